/*
 * config.h — the fetcher's options: one table (config.c), one struct.
 */
#ifndef KCRAWL_FETCHER_CONFIG_H
#define KCRAWL_FETCHER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

typedef struct fetcher_config {
        char      *brokers;
        char      *group;
        char      *urls_topic;
        char      *pages_topic;
        char      *records_topic;
        char      *errors_topic;
        long       max_inflight;
        long       host_concurrency;
        long long  max_body;
        long       connect_timeout;  /* seconds */
        long       timeout;          /* seconds, whole transfer */
        long       low_speed_time;   /* seconds below low_speed_limit */
        long       low_speed_limit;  /* bytes/s */
        long       max_redirects;
        char      *user_agent;
        bool       allow_private;
        strlist_t  allow_net;
        long       drain_timeout;    /* seconds */
        char      *log_level;
} fetcher_config_t;

extern const opt_def_t fetcher_options[];
extern const size_t fetcher_options_count;

#endif /* KCRAWL_FETCHER_CONFIG_H */
