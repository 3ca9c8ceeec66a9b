/*
 * config.h — the fetcher's options: one table (config.c), one struct.
 */
#ifndef KCRAWL_FETCHER_CONFIG_H
#define KCRAWL_FETCHER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

typedef struct fetcher_config {
        char *brokers;
        char *group;
        char *urls_topic;
        char *pages_topic;
        char *records_topic;
        char *errors_topic;
        long max_inflight;
        long host_concurrency;
        long long max_body;
        long connect_timeout; /* seconds */
        long timeout;         /* seconds, whole transfer */
        long low_speed_time;  /* seconds below low_speed_limit */
        long low_speed_limit; /* bytes/s */
        long max_redirects;
        char *user_agent;
        bool allow_private;
        strlist_t allow_net;
        long drain_timeout; /* seconds */
        long max_queued;    /* URLs held in memory             */
        double host_rate;   /* requests/s per host (decimal)   */
        long host_burst;
        long host_idle_timeout; /* seconds before eviction     */
        long max_hosts;
        bool robots;
        bool sitemaps;         /* robots.txt Sitemap: lines to URL messages */
        bool sitemap_fallback; /* --sitemaps: /sitemap.xml when none listed */
        bool respect_tdm;      /* tdm-reservation: 1 -> tdm_reserved      */
        bool tdm;              /* read each host's tdmrep.json            */
        long robots_cache;     /* seconds                     */
        long robots_retries;
        long robots_retry_ms;
        long long robots_host_memory; /* bytes of rules per host     */
        long long robots_memory;      /* bytes of rules in all       */
        long max_crawl_delay;         /* seconds                     */
        long retries;
        long retry_backoff_ms;
        long retry_backoff_max_ms;
        long host_backoff_ms;
        long host_backoff_max_ms;
        long max_retry_after; /* seconds                     */
        strlist_t resolve;
        strlist_t connect_to;
        char *delay_topic; /* and the tiers' base name    */
        char *delay_tiers; /* "2m,10m,1h": tier delays    */
        long park_after;   /* seconds                     */
        long max_park;     /* seconds: cap on a park wait */
        long max_host_queued;
        long seen_max;                 /* fetched URLs remembered     */
        long discovery_budget;         /* discovered URLs a host      */
        long discovery_hosts;          /* hosts whose count is kept   */
        char *state_topic;             /* crawl state; "" = none      */
        long state_max;                /* URLs' states held in memory */
        long state_load_timeout;       /* seconds                     */
        long state_max_age;            /* seconds; 0 = keep forever   */
        long recrawl;                  /* default interval, s; 0 = off */
        long recrawl_min, recrawl_max; /* interval bounds, s    */
        char *recrawl_stop;            /* stop-list file; NULL = none  */
        strlist_t proxy;
        char *proxy_file;
        char *ca_file;
        int log_level;       /* log_level_t (an OPT_ENUM)       */
        char *metrics_addr;  /* HOST:PORT; NULL = no endpoint */
        long stats_interval; /* seconds; 0 = off */
} fetcher_config_t;

extern const opt_def_t fetcher_options[];
extern const size_t fetcher_options_count;

#endif /* KCRAWL_FETCHER_CONFIG_H */
