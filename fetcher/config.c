/*
 * config.c — the fetcher's option table. One line per option; --help,
 * --print-config, the environment variables and validation follow from it.
 */
#include <stddef.h>

#include "budget.h"
#include "config.h"

#define F(field) offsetof(fetcher_config_t, field)
#define UA                       \
        "kcrawl/" KCRAWL_VERSION \
        " (+https://kcrawl.invalid/bot; set --user-agent to a contact URL)"

const opt_def_t fetcher_options[] = {
        OPTS_BROKERS(fetcher_config_t),
        { "group", OPT_STR, F(group), "fetcher", 0, 0, NULL,
          "Consumer group id; fetchers in one group share the URL topic's "
          "partitions (and so its hosts).",
          false },
        { "urls-topic", OPT_STR, F(urls_topic), "crawl.urls", 0, 0, NULL,
          "Topic(s) of URLs to fetch: a comma-separated list, or ^regex.",
          false },
        { "pages-topic", OPT_STR, F(pages_topic), "crawl.pages", 0, 0, NULL,
          "Topic the fetched pages are produced to.", false },
        { "records-topic", OPT_STR, F(records_topic), "crawl.records", 0, 0,
          NULL,
          "Records topic (the cleaner's output; accepted for a "
          "uniform command line, unused by the fetcher).",
          false },
        { "errors-topic", OPT_STR, F(errors_topic), "crawl.errors", 0, 0, NULL,
          "Topic failed URLs are dead-lettered to.", false },
        { "max-inflight", OPT_INT, F(max_inflight), "200", 1, 100000, NULL,
          "Transfers (HTTP requests) in flight at once, over all hosts.",
          false },
        { "max-queued", OPT_INT, F(max_queued), "10000", 1, 10000000, NULL,
          "URLs held in memory (queued, in flight, awaiting delivery); at "
          "the bound the URL partitions are paused, below 3/4 of it "
          "resumed.",
          false },
        { "host-concurrency", OPT_INT, F(host_concurrency), "2", 1, 64, NULL,
          "Requests at most to one host at a time.", false },
        { "host-rate", OPT_DOUBLE, F(host_rate), "1", 0.001, 100000, NULL,
          "Requests per second to one host (a decimal); the token "
          "bucket's refill rate.",
          false },
        { "host-burst", OPT_INT, F(host_burst), "2", 1, 100000, NULL,
          "Requests one host may get at once after a quiet spell (the "
          "token bucket's size).",
          false },
        { "host-idle-timeout", OPT_INT, F(host_idle_timeout), "600", 1, 86400,
          NULL,
          "Seconds after which an idle host's state (bucket, "
          "robots.txt) is forgotten.",
          false },
        { "max-hosts", OPT_INT, F(max_hosts), "100000", 16, 100000000, NULL,
          "Idle hosts kept beyond this count are evicted, oldest "
          "first.",
          false },
        { "robots", OPT_BOOL, F(robots), "true", 0, 0, NULL,
          "Obey robots.txt (RFC 9309); --robots=false only for sites you "
          "own.",
          false },
        { "sitemaps", OPT_BOOL, F(sitemaps), "false", 0, 0, NULL,
          "Publish each Sitemap: line of a host's robots.txt as a URL "
          "message of kind \"sitemap\" (depth 0, the host as its "
          "sitemap_host) to --urls-topic; the cleaner reads it and "
          "publishes the URLs it lists.",
          false },
        { "sitemap-fallback", OPT_BOOL, F(sitemap_fallback), "true", 0, 0,
          NULL,
          "With --sitemaps: a host whose robots.txt lists no Sitemap: "
          "line (or that has no robots.txt, 4xx) gets its /sitemap.xml "
          "published instead, once per --robots-cache; "
          "--sitemap-fallback=false publishes only what robots.txt lists.",
          false },
        { "respect-tdm", OPT_BOOL, F(respect_tdm), "false", 0, 0, NULL,
          "A response with the TDMRep header tdm-reservation: 1 (text and "
          "data mining reserved) is not produced: it ends as a tdm_reserved "
          "dead letter. Without it the page goes on with its tdm_reservation "
          "and tdm_policy headers.",
          false },
        { "tdm", OPT_BOOL, F(tdm), "false", 0, 0, NULL,
          "Read each host's /.well-known/tdmrep.json (TDMRep) once its "
          "robots.txt is read, cached with it: a page whose path a rule "
          "of the file matches gets that rule's reservation and policy "
          "in its tdm_reservation and tdm_policy headers (the response's "
          "own headers win); with --respect-tdm a URL the file reserves "
          "is not fetched (tdm_reserved). Needs --robots.",
          false },
        { "robots-cache", OPT_INT, F(robots_cache), "86400", 1, 86400, NULL,
          "Seconds a host's robots.txt is cached (RFC 9309: at most a "
          "day).",
          false },
        { "robots-retries", OPT_INT, F(robots_retries), "5", 0, 100, NULL,
          "Retries of a robots.txt answering 5xx or unreachable before the "
          "host's URLs end as robots_unreachable.",
          false },
        { "robots-retry-ms", OPT_INT, F(robots_retry_ms), "5000", 1, 3600000,
          NULL,
          "First back-off of a robots.txt retry "
          "(milliseconds; doubles each time).",
          false },
        { "robots-host-memory", OPT_SIZE, F(robots_host_memory), "1M", 4096,
          64.0 * 1024 * 1024, NULL,
          "Memory for one host's robots.txt "
          "rules (kept compactly: 16 bytes a rule plus its pattern); a "
          "file needing more disallows the whole host.",
          false },
        { "robots-memory", OPT_SIZE, F(robots_memory), "64M", 65536,
          64.0 * 1024 * 1024 * 1024, NULL,
          "Memory for all hosts' "
          "robots.txt rules; beyond it the least recently used are "
          "forgotten and fetched again when needed.",
          false },
        { "max-crawl-delay", OPT_INT, F(max_crawl_delay), "30", 0, 86400, NULL,
          "Cap on a robots.txt Crawl-delay, seconds.", false },
        { "retries", OPT_INT, F(retries), "3", 0, 100, NULL,
          "Retries of transient failures (connect errors, timeouts, 5xx, "
          "429).",
          false },
        { "retry-backoff-ms", OPT_INT, F(retry_backoff_ms), "1000", 1, 3600000,
          NULL,
          "First retry back-off in milliseconds; doubles "
          "per attempt, with jitter.",
          false },
        { "retry-backoff-max-ms", OPT_INT, F(retry_backoff_max_ms), "60000", 1,
          86400000, NULL, "Cap on one retry back-off, milliseconds.", false },
        { "host-backoff-ms", OPT_INT, F(host_backoff_ms), "5000", 1, 3600000,
          NULL,
          "A host answering 429/503 without Retry-After "
          "pauses this long (milliseconds), doubling while it goes on.",
          false },
        { "host-backoff-max-ms", OPT_INT, F(host_backoff_max_ms), "600000", 1,
          86400000, NULL, "Cap on a host's back-off, milliseconds.", false },
        { "max-retry-after", OPT_INT, F(max_retry_after), "600", 0, 86400,
          NULL, "Cap on a Retry-After the fetcher honours, seconds.", false },
        { "resolve", OPT_LIST, F(resolve), NULL, 0, 0, NULL,
          "HOST:PORT:ADDR[,ADDR]: use these addresses for HOST:PORT (curl's "
          "--resolve); connections libcurl makes to those addresses for "
          "HOST:PORT are trusted by the address guard. Repeatable.",
          false },
        { "connect-to", OPT_LIST, F(connect_to), NULL, 0, 0, NULL,
          "HOST:PORT:CONNECT-HOST:CONNECT-PORT: connect there instead "
          "(curl's --connect-to; empty parts match anything); connections "
          "libcurl makes there for HOST:PORT are trusted by the address "
          "guard. Repeatable.",
          false },
        { "delay-topic", OPT_STR, F(delay_topic), "crawl.urls.delayed", 0, 0,
          NULL,
          "Delay topic URLs that must wait long are parked on, "
          "and the base name of its tiers (NAME.TIER, see --delay-tiers); "
          "all co-partitioned with the URL topic. Empty = never park.",
          false },
        { "delay-tiers", OPT_STR, F(delay_tiers), "2m,10m,1h,6h,1d", 0, 0,
          NULL,
          "Delays of the tier topics (growing; s, m, h or d), each "
          "topic named after the delay topic and its delay "
          "(crawl.urls.delayed.2m). A URL is parked on the tier with the "
          "longest delay not over its wait, and again for the rest; the "
          "delay topic itself is the tier of --park-after. Empty = that "
          "one tier.",
          false },
        { "park-after", OPT_INT, F(park_after), "30", 1, 86400, NULL,
          "A URL that must wait longer than this many seconds (back-off, "
          "Retry-After, Crawl-delay, a deep host queue) is parked; shorter "
          "waits are held in memory. The delay of the delay topic itself.",
          false },
        { "max-park", OPT_INT, F(max_park), "86400", 1, 31622400, NULL,
          "Cap on a URL's park wait, seconds; a longer wait (or due time) "
          "is cut to it. The delay topics' retention must exceed their "
          "delay and any fetcher outage to ride out.",
          false },
        { "max-host-queued", OPT_INT, F(max_host_queued), "1000", 1, 10000000,
          NULL,
          "URLs queued in memory per host; more are parked "
          "on the delay topic.",
          false },
        { "seen-max", OPT_INT, F(seen_max), "1000000", 0, 100000000, NULL,
          "Fetched URLs remembered (the latest half to all of them) so that "
          "a followed link already fetched is dropped; 0 = fetch every "
          "followed link.",
          false },
        { "discovery-budget", OPT_INT, F(discovery_budget), "100000", 0,
          1000000000, NULL,
          "The most discovered URLs (followed links, sitemap and feed "
          "entries: URL messages with a followed_from header) taken in "
          "per host by this fetcher, which owns the host's partition and "
          "so sees every cleaner process's; the rest are committed "
          "without a request and counted "
          "(kcrawl_fetcher_discovered_over_budget_total). Counted after "
          "duplicates are dropped; starts over when the host moves to "
          "another fetcher or this one restarts. 0 = no limit.",
          false },
        BUDGET_HOSTS_OPT(fetcher_config_t, discovery_hosts),
        { "state-topic", OPT_STR, F(state_topic), "crawl.state", 0, 0, NULL,
          "Compacted topic of each URL's crawl state (keyed by URL, "
          "partitioned by host key like the URL topic, with its partition "
          "count): loaded on assignment, written after each outcome; it "
          "must exist. Empty = no crawl state.",
          false },
        { "state-max", OPT_INT, F(state_max), "1000000", 1, 100000000, NULL,
          "URLs whose crawl state is held in memory (about 160 bytes "
          "each with typical validators: 1,000,000 take about 150 MB); "
          "beyond it the least recently used is forgotten (fetched again "
          "as new when it comes).",
          false },
        { "state-load-timeout", OPT_INT, F(state_load_timeout), "60", 1, 3600,
          NULL,
          "Seconds an assignment may spend loading its partitions' crawl "
          "state; what is not read by then is fetched as new.",
          false },
        { "state-max-age", OPT_INT, F(state_max_age), "7776000", 0, 315360000,
          NULL,
          "Seconds after which a URL's crawl state that nothing happened "
          "to (no fetch, no recrawl due, no stop) is forgotten: deleted "
          "from the state topic with a tombstone when a partition's state "
          "is loaded. 0 = never.",
          false },
        { "recrawl", OPT_INT, F(recrawl), "0", 0, 31622400, NULL,
          "Seconds until a URL is fetched again, for URL messages without "
          "\"recrawl\"; the interval then adapts (shorter while the page "
          "changes, longer while it does not) within --recrawl-min and "
          "--recrawl-max. Recrawls go through the delay topic. 0 = off.",
          false },
        { "recrawl-min", OPT_INT, F(recrawl_min), "60", 1, 31622400, NULL,
          "Shortest recrawl interval, seconds.", false },
        { "recrawl-max", OPT_INT, F(recrawl_max), "86400", 1, 31622400, NULL,
          "Longest recrawl interval, seconds; at most --max-park (with "
          "--recrawl off it is cut to it). The "
          "delay topics' retention should exceed it (checked at start-up "
          "when --recrawl is on).",
          false },
        { "recrawl-stop", OPT_STR, F(recrawl_stop), NULL, 0, 0, NULL,
          "File of stopped hosts and crawls, one a line: \"host HOSTKEY\" "
          "or \"crawl ID\" (URL messages whose id is ID or begins with "
          "\"ID.\"). Their recrawls and discovered URLs are dropped, "
          "their URLs not scheduled again. Re-read when it changes.",
          false },
        { "proxy", OPT_LIST, F(proxy), NULL, 0, 0, NULL,
          "Proxy URL (http://user:pass@host:port, socks5h://...; '#', "
          "'?', '/', '@' in credentials percent-encoded); repeatable: a "
          "pool, sticky per host. Proxies from the environment are never "
          "used.",
          true },
        { "proxy-file", OPT_STR, F(proxy_file), NULL, 0, 0, NULL,
          "File of proxy URLs, one per line ('#' comments).", false },
        { "ca-file", OPT_STR, F(ca_file), NULL, 0, 0, NULL,
          "Extra CA bundle (PEM) to verify TLS servers with.", false },
        { "max-body", OPT_SIZE, F(max_body), "8M", 1024, 256.0 * 1024 * 1024,
          NULL,
          "Largest body kept, counted after decoding; larger ends as "
          "too_large.",
          false },
        { "connect-timeout", OPT_INT, F(connect_timeout), "10", 1, 600, NULL,
          "Seconds to connect (DNS and TLS included).", false },
        { "timeout", OPT_INT, F(timeout), "30", 1, 3600, NULL,
          "Seconds for a whole transfer, redirects included.", false },
        { "low-speed-time", OPT_INT, F(low_speed_time), "15", 1, 3600, NULL,
          "Abort a transfer slower than --low-speed-limit for this many "
          "seconds.",
          false },
        { "low-speed-limit", OPT_INT, F(low_speed_limit), "100", 0, 1e9, NULL,
          "Bytes per second below which a transfer counts as stalled.",
          false },
        { "max-redirects", OPT_INT, F(max_redirects), "5", 0, 50, NULL,
          "Redirects followed; more end as too_many_redirects.", false },
        { "user-agent", OPT_STR, F(user_agent), UA, 0, 0, NULL,
          "User-Agent header; its first product token is what robots.txt "
          "groups match.",
          false },
        { "allow-private", OPT_BOOL, F(allow_private), "false", 0, 0, NULL,
          "Allow loopback, private, link-local and other non-public "
          "addresses (refused by default).",
          false },
        { "allow-net", OPT_LIST, F(allow_net), NULL, 0, 0, NULL,
          "Allow one address range (CIDR) that would be refused.", false },
        { "drain-timeout", OPT_INT, F(drain_timeout), "10", 0, 3600, NULL,
          "Seconds to finish in-flight work on SIGTERM before abandoning "
          "it (abandoned URLs are fetched again after a restart).",
          false },
        OPTS_OBSERVABILITY(fetcher_config_t),
};

const size_t fetcher_options_count =
        sizeof(fetcher_options) / sizeof(fetcher_options[0]);
