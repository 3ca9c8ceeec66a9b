/*
 * log.h — structured logs: one JSON object per line on stderr.
 *
 *   {"ts":"2026-11-25T19:36:16.123Z","level":"warn","component":"fetcher",
 *    "msg":"delivery failed","topic":"crawl.pages","err":"..."}
 *
 * Fields are typed key/value pairs:
 *   LOGF(LOG_WARN, "delivery failed", LOG_S("topic", t), LOG_I("n", 3));
 * Each line is written with a single write(2), so lines from several
 * threads never interleave. Safe to call from any thread.
 */
#ifndef KCRAWL_LOG_H
#define KCRAWL_LOG_H

#include <stdint.h>

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

typedef struct log_field {
        const char *key; /* NULL ends the list */
        int type;        /* 's' string, 'i' integer, 'f' double */
        const char *s;
        int64_t i;
        double f;
} log_field_t;

#define LOG_S(k, v) ((log_field_t){ (k), 's', (v), 0, 0 })
#define LOG_I(k, v) ((log_field_t){ (k), 'i', NULL, (int64_t)(v), 0 })
#define LOG_F(k, v) ((log_field_t){ (k), 'f', NULL, 0, (double)(v) })
#define LOG_END ((log_field_t){ NULL, 0, NULL, 0, 0 })

/* The levels' names in log_level_t's order, NULL-ended (the option
 * table's choices for --log-level). */
extern const char *const log_level_names[];

/* Sets the component name and the lowest level written. Call once, early. */
void log_init(const char *component, log_level_t level);

/* Writes one line; `fields` ends with LOG_END (may be NULL). */
void log_emit(log_level_t level, const char *msg, const log_field_t *fields);

#define LOGF(level, msg, ...) \
        log_emit((level), (msg), (const log_field_t[]){ __VA_ARGS__, LOG_END })
#define LOG(level, msg) log_emit((level), (msg), NULL)

#endif /* KCRAWL_LOG_H */
