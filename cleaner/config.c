/*
 * config.c — the cleaner's option table. One line per option; --help,
 * --print-config, the environment variables and validation follow from it.
 */
#include <stddef.h>

#include "budget.h"
#include "config.h"
#include "extract.h"
#include "links.h"
#include "structured.h"

#define F(field) offsetof(cleaner_config_t, field)

const char *const cleaner_compression_names[] = {
        "none", "lz4", "zstd", "snappy", "gzip", NULL,
};

const char *const cleaner_record_text_names[] = {
        "text",          "main_text",          "markdown", "text+main_text",
        "text+markdown", "main_text+markdown", "all",      NULL,
};

const opt_def_t cleaner_options[] = {
        OPTS_BROKERS(cleaner_config_t),
        { "group", OPT_STR, F(group), "cleaner", 0, 0, NULL,
          "Consumer group id; every worker of every cleaner process in the "
          "group shares the pages topic's partitions.",
          false },
        { "urls-topic", OPT_STR, F(urls_topic), "crawl.urls", 0, 0, NULL,
          "URL topic followed links go to when a page has no "
          "source_topic header.",
          false },
        { "pages-topic", OPT_STR, F(pages_topic), "crawl.pages", 0, 0, NULL,
          "Topic of fetched pages to parse.", false },
        { "records-topic", OPT_STR, F(records_topic), "crawl.records", 0, 0,
          NULL, "Topic the structured records are produced to.", false },
        { "errors-topic", OPT_STR, F(errors_topic), "crawl.errors", 0, 0, NULL,
          "Topic pages that cannot be parsed are dead-lettered to.", false },
        { "state-topic", OPT_STR, F(state_topic), "crawl.state", 0, 0, NULL,
          "The fetcher's crawl-state topic (compacted): each record's "
          "content state (main-text digest, product price and "
          "availability) is written there, keyed content:URL, for the "
          "URL's next fetch to say whether it changed. A topic that does "
          "not exist is a warning at start-up and no content states are "
          "written (records then say changed: null). Empty = none.",
          false },
        { "workers", OPT_INT, F(workers), "0", 0, 1024, NULL,
          "Consumer-group members (threads) in this process; 0 = one per "
          "online core.",
          false },
        { "max-body", OPT_SIZE, F(max_body), "8M", 1024, 256.0 * 1024 * 1024,
          NULL, "Largest page parsed; larger ends as too_large.", false },
        { "page-timeout", OPT_INT, F(page_timeout), "5000", 0, 3600000, NULL,
          "CPU milliseconds (the worker thread's) one page may take to "
          "decode, parse and walk; a page over it ends as parse_timeout and "
          "the worker goes on. 0 = no limit.",
          false },
        { "max-links-per-page", OPT_INT, F(max_links_per_page), "1000", 0,
          10000, NULL,
          "With --follow: the most links one page publishes; "
          "the rest are dropped and counted "
          "(kcrawl_cleaner_links_dropped_total{reason=\"fan_out\"}).",
          false },
        { "max-link-meta", OPT_SIZE, F(max_link_meta), "16K", 0, 1024.0 * 1024,
          NULL,
          "With --follow: the largest page meta (as "
          "JSON) a followed link carries; over it, the links carry none "
          "and are counted (kcrawl_cleaner_links_meta_dropped_total).",
          false },
        { "record-text", OPT_ENUM, F(record_text), "all", 0, 0,
          cleaner_record_text_names,
          "Which forms of the page's text a record carries: text (all "
          "visible text), main_text (the main content, without navigation, "
          "footers, sidebars, banners), markdown (the main content as "
          "CommonMark), or a '+' of them; all = the three. Each adds to the "
          "record's size; a record over the topic's limit drops markdown, "
          "then main_text, then cuts text.",
          false },
        { "drain-timeout", OPT_INT, F(drain_timeout), "10", 0, 3600, NULL,
          "Seconds to deliver finished records on SIGTERM.", false },
        { "rules", OPT_STR, F(rules), NULL, 0, 0, NULL,
          "Rules file (JSON, schemas/rules.schema.json): XPath fields per "
          "host, added under `fields`; validated at start, reloaded on "
          "SIGHUP.",
          false },
        { "follow", OPT_BOOL, F(follow), "false", 0, 0, NULL,
          "Publish the links of 2xx pages as URL messages to the topic the "
          "page's URL came from (its source_topic, else --urls-topic).",
          false },
        { "max-depth", OPT_INT, F(max_depth), "1", 0, 1000, NULL,
          "Deepest link followed: a page of depth D gives links of depth "
          "D+1 only while D+1 <= this.",
          false },
        { "scope", OPT_ENUM, F(scope), "same-host", 0, 0, links_scope_names,
          "Which links --follow publishes: same-host, same-domain "
          "(registrable domain, Public Suffix List) or any.",
          false },
        { "sitemap-max-depth", OPT_INT, F(sitemap_max_depth), "3", 1, 100,
          NULL,
          "Deepest URL a sitemap or feed page (URL message kind "
          "\"sitemap\"/\"feed\") publishes: a sitemap of depth D lists "
          "URLs of depth D+1 only while D+1 <= this (an index, its "
          "sitemaps and their pages take 2), so nested indexes end.",
          false },
        { "discovery-budget", OPT_INT, F(discovery_budget), "100000", 0,
          1000000000, NULL,
          "The most URLs this cleaner process (all its workers together) "
          "publishes per host from sitemaps, feeds and followed links; the "
          "rest are dropped and counted "
          "(kcrawl_cleaner_links_dropped_total{reason=\"budget\"}). With "
          "P cleaner processes a host gets at most P times this. "
          "0 = no limit.",
          false },
        BUDGET_HOSTS_OPT(cleaner_config_t, discovery_hosts),
        { "robots-token", OPT_STR, F(robots_token), "kcrawl", 0, 0, NULL,
          "This crawler's product token (the fetcher's --user-agent's "
          "first): the robots directives of X-Robots-Tag values addressed "
          "to it and of <meta name=\"TOKEN\"> apply, with those for all "
          "crawlers; nofollow from any of them stops --follow for the "
          "page.",
          false },
        { "respect-tdm", OPT_BOOL, F(respect_tdm), "false", 0, 0, NULL,
          "A page that reserves text and data mining (TDMRep: the "
          "tdm-reservation header or <meta name=\"tdm-reservation\"> is "
          "1) ends as a tdm_reserved dead letter instead of a record.",
          false },
        { "compression", OPT_ENUM, F(compression), "none", 0, 0,
          cleaner_compression_names,
          "Compression of what the cleaner produces (records, errors, "
          "followed links): none, lz4, zstd, snappy or gzip. The cleaner is "
          "CPU-bound and lz4 costs some 15% of its CPU per page; choose a "
          "codec when the network to the brokers is the limit (-X "
          "compression.type overrides).",
          false },
        { "exactly-once", OPT_BOOL, F(exactly_once), "false", 0, 0, NULL,
          "Kafka transactions: records, errors, followed links and the "
          "input offsets of a batch commit together.",
          false },
        { "txn-messages", OPT_INT, F(txn_messages), "500", 1, 1000000, NULL,
          "With --exactly-once: commit after this many pages.", false },
        { "txn-ms", OPT_INT, F(txn_ms), "100", 1, 600000, NULL,
          "With --exactly-once: commit a transaction at most this many ms "
          "after it began.",
          false },
        { "transactional-id", OPT_STR, F(transactional_id), NULL, 0, 0, NULL,
          "With --exactly-once: this process's stable id; worker N "
          "uses ID-N. Unique per live process, the same across its "
          "restarts. Default GROUP-HOSTNAME.",
          false },
        { "json-ld", OPT_BOOL, F(sd_jsonld), "true", 0, 0, NULL,
          "Extract JSON-LD blocks (json_ld), read tolerantly: comment "
          "wrappers, comments, trailing commas, raw control characters.",
          false },
        { "microdata", OPT_BOOL, F(sd_microdata), "true", 0, 0, NULL,
          "Extract HTML microdata items (microdata), as extruct does. A "
          "page with an itemscope attribute is parsed into a tree.",
          false },
        { "opengraph-full", OPT_BOOL, F(sd_opengraph), "true", 0, 0, NULL,
          "Extract every OpenGraph property, repeated ones included "
          "(opengraph_full, extruct's shape); `opengraph` is always there.",
          false },
        { "dublin-core", OPT_BOOL, F(sd_dublincore), "true", 0, 0, NULL,
          "Extract Dublin Core <meta>/<link> elements (dublincore).", false },
        { "rdfa", OPT_BOOL, F(sd_rdfa), "true", 0, 0, NULL,
          "Extract RDFa 1.1 triples (rdfa: expanded JSON-LD, as extruct "
          "gives it). A page with a property, typeof, rel, rev, role or "
          "vocab attribute is read from its tree.",
          false },
        { "microformats", OPT_BOOL, F(sd_microformats), "true", 0, 0, NULL,
          "Extract microformats2 items and the classic microformats mf2py "
          "maps onto them (microformats: mf2 JSON, as extruct gives it). A "
          "page with a class attribute naming a root (h-*, vcard, hentry, "
          "...) is read from its tree.",
          false },
        { "product", OPT_BOOL, F(sd_product), "true", 0, 0, NULL,
          "Write the page's normalised product (product: from JSON-LD, else "
          "microdata, else RDFa, else OpenGraph; null when not a product "
          "page).",
          false },
        OPTS_OBSERVABILITY(cleaner_config_t),
};

int cleaner_record_text(int v)
{
        /* In the order of cleaner_record_text_names. */
        static const int sets[] = {
                EXTRACT_TEXT,
                EXTRACT_MAIN_TEXT,
                EXTRACT_MARKDOWN,
                EXTRACT_TEXT | EXTRACT_MAIN_TEXT,
                EXTRACT_TEXT | EXTRACT_MARKDOWN,
                EXTRACT_MAIN_TEXT | EXTRACT_MARKDOWN,
                EXTRACT_TEXTS_ALL,
        };

        if (v < 0 || (size_t)v >= sizeof(sets) / sizeof(sets[0]))
                return sets[6];
        return sets[v];
}

const size_t cleaner_options_count =
        sizeof(cleaner_options) / sizeof(cleaner_options[0]);

unsigned cleaner_structured_off(const cleaner_config_t *conf)
{
        unsigned off = 0;

        if (!conf->sd_jsonld)
                off |= STRUCTURED_JSONLD;
        if (!conf->sd_microdata)
                off |= STRUCTURED_MICRODATA;
        if (!conf->sd_opengraph)
                off |= STRUCTURED_OPENGRAPH;
        if (!conf->sd_dublincore)
                off |= STRUCTURED_DUBLINCORE;
        if (!conf->sd_rdfa)
                off |= STRUCTURED_RDFA;
        if (!conf->sd_microformats)
                off |= STRUCTURED_MICROFORMATS;
        if (!conf->sd_product)
                off |= STRUCTURED_PRODUCT;
        return off;
}
