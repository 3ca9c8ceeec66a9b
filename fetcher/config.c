/*
 * config.c — the fetcher's option table. One line per option; --help,
 * --print-config, the environment variables and validation follow from it.
 */
#include <stddef.h>

#include "config.h"

#define F(field) offsetof(fetcher_config_t, field)
#define UA "kcrawl/" KCRAWL_VERSION \
        " (+https://kcrawl.invalid/bot; set --user-agent to a contact URL)"

const opt_def_t fetcher_options[] = {
        { "brokers", OPT_STR, F(brokers), "localhost:9092", 0, 0,
          "KAFKA_BROKERS", "Kafka bootstrap servers (host:port,...).", false },
        { "group", OPT_STR, F(group), "fetcher", 0, 0, NULL,
          "Consumer group id; fetchers in one group share the URL topic's "
          "partitions (and so its hosts).", false },
        { "urls-topic", OPT_STR, F(urls_topic), "crawl.urls", 0, 0, NULL,
          "Topic(s) of URLs to fetch: a comma-separated list, or ^regex.",
          false },
        { "pages-topic", OPT_STR, F(pages_topic), "crawl.pages", 0, 0, NULL,
          "Topic the fetched pages are produced to.", false },
        { "records-topic", OPT_STR, F(records_topic), "crawl.records", 0, 0,
          NULL, "Records topic (the cleaner's output; accepted for a "
          "uniform command line, unused by the fetcher).", false },
        { "errors-topic", OPT_STR, F(errors_topic), "crawl.errors", 0, 0,
          NULL, "Topic failed URLs are dead-lettered to.", false },
        { "max-inflight", OPT_INT, F(max_inflight), "200", 1, 100000, NULL,
          "URLs held at once (transfers plus pages awaiting delivery); at "
          "the bound the URL partitions are paused.", false },
        { "host-concurrency", OPT_INT, F(host_concurrency), "2", 1, 64,
          NULL, "Connections at most to one host at a time.", false },
        { "max-body", OPT_SIZE, F(max_body), "8M", 1024, 256.0 * 1024 * 1024,
          NULL, "Largest body kept, counted after decoding; larger ends as "
          "too_large.", false },
        { "connect-timeout", OPT_INT, F(connect_timeout), "10", 1, 600, NULL,
          "Seconds to connect (DNS and TLS included).", false },
        { "timeout", OPT_INT, F(timeout), "30", 1, 3600, NULL,
          "Seconds for a whole transfer, redirects included.", false },
        { "low-speed-time", OPT_INT, F(low_speed_time), "15", 1, 3600, NULL,
          "Abort a transfer slower than --low-speed-limit for this many "
          "seconds.", false },
        { "low-speed-limit", OPT_INT, F(low_speed_limit), "100", 0, 1e9,
          NULL, "Bytes per second below which a transfer counts as stalled.",
          false },
        { "max-redirects", OPT_INT, F(max_redirects), "5", 0, 50, NULL,
          "Redirects followed; more end as too_many_redirects.", false },
        { "user-agent", OPT_STR, F(user_agent), UA, 0, 0, NULL,
          "User-Agent header; its first product token is what robots.txt "
          "groups match.", false },
        { "allow-private", OPT_BOOL, F(allow_private), "false", 0, 0, NULL,
          "Allow loopback, private, link-local and other non-public "
          "addresses (refused by default).", false },
        { "allow-net", OPT_LIST, F(allow_net), NULL, 0, 0, NULL,
          "Allow one address range (CIDR) that would be refused.", false },
        { "drain-timeout", OPT_INT, F(drain_timeout), "10", 0, 3600, NULL,
          "Seconds to finish in-flight work on SIGTERM before abandoning "
          "it (abandoned URLs are fetched again after a restart).", false },
        { "log-level", OPT_STR, F(log_level), "info", 0, 0, NULL,
          "debug, info, warn or error.", false },
};

const size_t fetcher_options_count =
        sizeof(fetcher_options) / sizeof(fetcher_options[0]);
