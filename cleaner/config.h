/*
 * config.h — the cleaner's options: one table (config.c), one struct.
 */
#ifndef KCRAWL_CLEANER_CONFIG_H
#define KCRAWL_CLEANER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

typedef struct cleaner_config {
        char *brokers;
        char *group;
        char *urls_topic;
        char *pages_topic;
        char *records_topic;
        char *errors_topic;
        char *state_topic; /* content states; "" = not written */
        long workers;      /* 0 = one per online core */
        long long max_body;
        long drain_timeout;      /* seconds */
        long page_timeout;       /* CPU ms per page; 0 = no limit */
        long max_links_per_page; /* --follow fan-out per page   */
        long long max_link_meta; /* meta bytes a followed link carries */
        int log_level;           /* log_level_t (an OPT_ENUM)       */
        char *rules;             /* rules file; NULL = no user fields */
        bool follow;             /* publish discovered links         */
        long max_depth;          /* deepest followed link            */
        int scope;               /* links_scope_t (an OPT_ENUM)      */
        long sitemap_max_depth;  /* deepest URL a sitemap publishes  */
        long discovery_budget;   /* URLs per host per process; 0 = none */
        long discovery_hosts;    /* hosts the budget keeps counts of   */
        char *robots_token;      /* product token robots directives name */
        bool respect_tdm;        /* TDM-reserved pages dead-lettered     */
        int compression;         /* cleaner_compression_names index  */
        int record_text;         /* cleaner_record_text_names index  */
        bool exactly_once;       /* Kafka transactions               */
        long txn_messages;       /* pages per transaction            */
        long txn_ms;             /* longest a transaction stays open */
        char *transactional_id;  /* prefix; NULL = group-hostname    */
        char *metrics_addr;      /* HOST:PORT; NULL = no endpoint */
        long stats_interval;     /* seconds; 0 = off */
        bool sd_jsonld;          /* structured data extracted ...    */
        bool sd_microdata;
        bool sd_opengraph; /* opengraph_full                   */
        bool sd_dublincore;
        bool sd_product;
        bool sd_rdfa;
        bool sd_microformats;
} cleaner_config_t;

/* --compression's names: librdkafka's compression.type values, NULL-ended. */
extern const char *const cleaner_compression_names[];

/* --record-text's names, NULL-ended; cleaner_record_text() reads one. */
extern const char *const cleaner_record_text_names[];

/* Which texts --record-text value `v` (an index) names, as page_t.texts
 * bits (extract.h: EXTRACT_TEXT | EXTRACT_MAIN_TEXT | EXTRACT_MARKDOWN). */
int cleaner_record_text(int v);

/* The structured-data syntaxes the options turn off (structured.h
 * STRUCTURED_* bits; 0 = every one on), for page_t.structured_off. */
unsigned cleaner_structured_off(const cleaner_config_t *conf);

extern const opt_def_t cleaner_options[];
extern const size_t cleaner_options_count;

#endif /* KCRAWL_CLEANER_CONFIG_H */
