/*
 * progress.h — what an operator watching a binary sees between scrapes:
 * every --stats-interval seconds a one-line JSON summary in the log, or,
 * when stderr is a terminal, a live progress line redrawn each second
 * instead (pages/s, in flight or lag, errors, CPU, memory).
 *
 * The figures are read from the metrics (metrics.h) by selector, so the
 * loop being watched does nothing extra: its counters are the source.
 */
#ifndef KCRAWL_PROGRESS_H
#define KCRAWL_PROGRESS_H

#include <stddef.h>

#define PROGRESS_SELECTORS 4

typedef struct progress_spec {
        /* Selectors (metrics_sum()) summed; unused slots are NULL. */
        const char *done[PROGRESS_SELECTORS];   /* pages finished: a rate  */
        const char *errors[PROGRESS_SELECTORS]; /* errors: a total         */
        const char *level;      /* a gauge shown as is (in flight, lag)  */
        const char *level_name; /* its name: "inflight", "lag"           */
} progress_spec_t;

/*
 * Starts the reporting thread: every `interval_s` seconds a summary line
 * (log level info, message "stats"), or the live line on a terminal.
 * interval_s 0 does nothing. `spec` is copied; its strings must outlive
 * the thread (literals). Returns 0, or -1 with errstr.
 * Call from the main thread, after log_init().
 */
int progress_start(const progress_spec_t *spec, long interval_s, char *errstr,
                   size_t errstr_size);

/* Stops the thread; on a terminal ends the live line with a newline.
 * Safe when not started. */
void progress_stop(void);

/*
 * Starts what the options --metrics-addr and --stats-interval ask for:
 * the metrics endpoint (when metrics_addr is set and not empty; its
 * address and port are logged) and the reporting thread. Returns 0, or -1
 * with a one-line reason in errstr (a bad address: exit code 2).
 */
int progress_watch_start(const char *metrics_addr, long interval_s,
                         const progress_spec_t *spec, char *errstr,
                         size_t errstr_size);

/* Stops both; safe when neither was started. */
void progress_watch_stop(void);

/*
 * Formats one live line into buf (bounded): the figures given, the way the
 * terminal shows them. Exposed for tests.
 */
void progress_format_line(char *buf, size_t size, double pages_per_s,
                          double level, const char *level_name, double errors,
                          double cpu_percent, double rss_bytes);

#endif /* KCRAWL_PROGRESS_H */
