/*
 * options.h — one table declares every option of a binary.
 *
 * Each entry gives the option's name (the --flag), its type, where its value
 * lives in the binary's config struct, its default, its range and its help
 * text. The same table fills the struct (defaults < environment < flags),
 * prints --help, validates values and prints --print-config, so an option is
 * added with one line. The environment variable of an option is the binary's
 * name and the option's, upper-cased with '-' as '_' (FETCHER_MAX_INFLIGHT);
 * an entry may name one more, lower-precedence variable (KAFKA_BROKERS).
 * An OPT_ENUM names its values instead, and is validated against them.
 */
#ifndef KCRAWL_OPTIONS_H
#define KCRAWL_OPTIONS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>

#include "log.h" /* log_level_names, for OPTS_OBSERVABILITY */

typedef enum {
        OPT_STR,    /* char *                                     */
        OPT_INT,    /* long, range-checked                        */
        OPT_SIZE,   /* long long bytes; accepts k, M, G suffixes  */
        OPT_BOOL,   /* bool; a flag without a value sets true     */
        OPT_LIST,   /* strlist_t; the flag repeats, env splits on ',' */
        OPT_ENUM,   /* int: the index of the value in choices     */
        OPT_DOUBLE, /* double, finite, range-checked             */
} opt_type_t;

/* A growable list of strings owned by the config (OPT_LIST values, -X). */
typedef struct strlist {
        char **v;
        size_t n;
} strlist_t;

typedef struct opt_def {
        const char *name; /* "max-inflight"                          */
        opt_type_t type;
        size_t offset;   /* offsetof(config struct, field)          */
        const char *def; /* default as text; NULL = unset           */
        double min, max; /* OPT_INT, OPT_SIZE, OPT_DOUBLE: inclusive */
        /* OPT_ENUM: its values' names (const char *const[], NULL-ended; the
         * value stored is the index). Any other type: an extra, lower-
         * precedence environment variable (const char *), or NULL. One
         * slot, so that every table line keeps its eight fields. */
        const void *extra;
        const char *help;
        bool secret; /* --print-config masks the value          */
} opt_def_t;

/*
 * Table lines every stage shares, with one meaning and one text. T is the
 * binary's config struct, which has fields of these names.
 */
#define OPTS_BROKERS(T)                                                     \
        {                                                                   \
                "brokers", OPT_STR, offsetof(T, brokers), "localhost:9092", \
                        0, 0, "KAFKA_BROKERS",                              \
                        "Kafka bootstrap servers (host:port,...).", false   \
        }
#define OPTS_OBSERVABILITY(T)                                                            \
        { "log-level",                                                                   \
          OPT_ENUM,                                                                      \
          offsetof(T, log_level),                                                        \
          "info",                                                                        \
          0,                                                                             \
          0,                                                                             \
          log_level_names,                                                               \
          "debug, info, warn or error.",                                                 \
          false },                                                                       \
                { "metrics-addr",                                                        \
                  OPT_STR,                                                               \
                  offsetof(T, metrics_addr),                                             \
                  NULL,                                                                  \
                  0,                                                                     \
                  0,                                                                     \
                  NULL,                                                                  \
                  "Serve Prometheus metrics at http://HOST:PORT/metrics "                \
                  "(also [IPV6]:PORT, or :PORT for every address); off when "            \
                  "unset.",                                                              \
                  false },                                                               \
        {                                                                                \
                "stats-interval", OPT_INT, offsetof(T, stats_interval), "0",             \
                        0, 86400, NULL,                                                  \
                        "Seconds between one-line stats summaries in the "               \
                        "log (a live progress line instead when stderr is a terminal); " \
                        "0 = off.",                                                      \
                        false                                                            \
        }

/* Where an option's value came from, for --print-config. */
typedef enum { OPT_SRC_DEFAULT, OPT_SRC_ENV, OPT_SRC_FLAG } opt_src_t;

#define OPTS_MAX 96

/* The parsed state: -X properties and the source of every option. */
typedef struct opts {
        const char *prog;
        const char *summary;
        const opt_def_t *defs;
        size_t ndefs;
        void *conf;
        opt_src_t src[OPTS_MAX];
        strlist_t kafka; /* "-X key=value" in the order given */
} opts_t;

/* Results of opts_parse(). */
#define OPTS_RUN 0    /* go on and run                          */
#define OPTS_EXIT 1   /* --help / --print-config / --version done: exit 0 */
#define OPTS_ERROR -1 /* errstr says why: print it, exit 2      */

/*
 * Fills `conf` from the table's defaults, the environment and argv, in that
 * order of precedence. Handles --help, --version and --print-config (prints,
 * returns OPTS_EXIT). -X key=value (or -Xkey=value) collects librdkafka
 * properties into o->kafka unchecked; the Kafka setup validates them.
 * On a bad value or unknown option returns OPTS_ERROR with one line in
 * errstr naming the option.
 */
int opts_parse(opts_t *o, const char *prog, const char *summary,
               const opt_def_t *defs, size_t ndefs, void *conf, int argc,
               char **argv, char *errstr, size_t errstr_size);

/* Prints the effective configuration, one "name=value (source)" a line. */
void opts_print_config(const opts_t *o, FILE *fp);

/* Prints --help generated from the table. */
void opts_print_help(const opts_t *o, FILE *fp);

/* Prints the table as a Markdown section (the hidden --help-markdown,
 * from which docs/configuration.md is generated). */
void opts_print_markdown(const opts_t *o, FILE *fp);

/* Frees what opts_parse() allocated in o and in conf. */
void opts_free(opts_t *o);

/* Appends a copy of s; returns 0 or -1 on allocation failure. */
int strlist_add(strlist_t *l, const char *s);
void strlist_free(strlist_t *l);

#endif /* KCRAWL_OPTIONS_H */
