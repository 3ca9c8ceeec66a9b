/*
 * config.c — the cleaner's option table. One line per option; --help,
 * --print-config, the environment variables and validation follow from it.
 */
#include <stddef.h>

#include "config.h"

#define F(field) offsetof(cleaner_config_t, field)

const opt_def_t cleaner_options[] = {
        { "brokers", OPT_STR, F(brokers), "localhost:9092", 0, 0,
          "KAFKA_BROKERS", "Kafka bootstrap servers (host:port,...).", false },
        { "group", OPT_STR, F(group), "cleaner", 0, 0, NULL,
          "Consumer group id; every worker of every cleaner process in the "
          "group shares the pages topic's partitions.", false },
        { "urls-topic", OPT_STR, F(urls_topic), "crawl.urls", 0, 0, NULL,
          "URL topic (where followed links will go; unused until link "
          "following is enabled).", false },
        { "pages-topic", OPT_STR, F(pages_topic), "crawl.pages", 0, 0, NULL,
          "Topic of fetched pages to parse.", false },
        { "records-topic", OPT_STR, F(records_topic), "crawl.records", 0, 0,
          NULL, "Topic the structured records are produced to.", false },
        { "errors-topic", OPT_STR, F(errors_topic), "crawl.errors", 0, 0,
          NULL, "Topic pages that cannot be parsed are dead-lettered to.",
          false },
        { "workers", OPT_INT, F(workers), "0", 0, 1024, NULL,
          "Consumer-group members (threads) in this process; 0 = one per "
          "online core.", false },
        { "max-body", OPT_SIZE, F(max_body), "8M", 1024, 256.0 * 1024 * 1024,
          NULL, "Largest page parsed; larger ends as too_large.", false },
        { "drain-timeout", OPT_INT, F(drain_timeout), "10", 0, 3600, NULL,
          "Seconds to deliver finished records on SIGTERM.", false },
        { "log-level", OPT_STR, F(log_level), "info", 0, 0, NULL,
          "debug, info, warn or error.", false },
};

const size_t cleaner_options_count =
        sizeof(cleaner_options) / sizeof(cleaner_options[0]);
