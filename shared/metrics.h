/*
 * metrics.h — process-wide Prometheus metrics and their HTTP endpoint.
 *
 * Series are registered once at start-up (name, a fixed label set, help)
 * and updated lock-free from any thread (atomic adds), so the hot paths of
 * the fetcher's loop and the cleaner's workers pay one atomic operation per
 * update. Label values must come from small fixed sets (outcome, status
 * class, worker index): never a URL or a host.
 *
 * metrics_serve() exposes the text format (version 0.0.4) on HOST:PORT via
 * libmicrohttpd in its own thread; process CPU seconds, resident memory
 * and start time are added at scrape time.
 */
#ifndef KCRAWL_METRICS_H
#define KCRAWL_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct mcounter mcounter_t;
typedef struct mgauge mgauge_t;
typedef struct mhist mhist_t;

/*
 * Registers a series. `labels` is NULL or the label pairs as they appear
 * in the exposition, e.g. "outcome=\"page\",status_class=\"2xx\"".
 * Registering the same name and labels twice returns the same series.
 * Returns NULL only when out of memory or past METRICS_MAX_SERIES.
 * Call from the main thread before the workers start.
 */
#define METRICS_MAX_SERIES 512
mcounter_t *metrics_counter(const char *name, const char *labels,
                            const char *help);
mgauge_t *metrics_gauge(const char *name, const char *labels,
                        const char *help);
/* `bounds` are the upper bounds of the buckets, increasing (le="..."),
 * copied; +Inf is implied. */
mhist_t *metrics_histogram(const char *name, const char *labels,
                           const char *help, const double *bounds,
                           size_t nbounds);

/* Updates; all NULL-safe and thread-safe. */
void mcounter_add(mcounter_t *c, uint64_t n);
void mgauge_set(mgauge_t *g, double v);
void mgauge_add(mgauge_t *g, double v);
void mhist_observe(mhist_t *h, double v);

/* Bucket bounds in seconds for latencies, 1 ms .. 60 s. */
extern const double metrics_latency_bounds[];
extern const size_t metrics_latency_nbounds;

/* Writes every series in the text exposition format. */
void metrics_render(FILE *fp);

/*
 * Serves GET /metrics on `addr` ("HOST:PORT", "[v6]:PORT" or ":PORT" for
 * all addresses). Returns 0, or -1 with a reason in errstr (bad address,
 * port in use).
 */
int metrics_serve(const char *addr, char *errstr, size_t errstr_size);
void metrics_stop(void);

/* ---- extensions ------------------------------------------------------ */

/*
 * Names. Every series is prefixed kcrawl_ and named for what it counts in
 * base units (_total, _seconds, _bytes). The series the progress line and
 * the docs rely on (docs/operations.md lists them all):
 *   fetcher: kcrawl_fetcher_pages_total, kcrawl_fetcher_errors_total{code},
 *            kcrawl_fetcher_inflight
 *   cleaner: kcrawl_cleaner_records_total, kcrawl_cleaner_errors_total{code},
 *            kcrawl_cleaner_worker_busy_seconds_total{worker},
 *            kcrawl_cleaner_parse_seconds, kcrawl_kafka_consumer_lag
 *   both:    kcrawl_kafka_produce_errors_total,
 *            kcrawl_kafka_delivery_seconds
 * A name must match [a-zA-Z_:][a-zA-Z0-9_:]*; registering an invalid name,
 * or a name already registered as another type, returns NULL (updates on
 * NULL are no-ops, so a bad name loses its series, not the process).
 */

/*
 * A counter kept as an integer of `scale` units and shown multiplied by
 * it: busy microseconds with scale 1e-6 are exposed as seconds, exactly
 * and lock-free. metrics_counter() is this with scale 1.
 */
mcounter_t *metrics_counter_scaled(const char *name, const char *labels,
                                   const char *help, double scale);

/* Bucket bounds in seconds for CPU work, 100 us .. 10 s (parse times). */
extern const double metrics_cpu_bounds[];
extern const size_t metrics_cpu_nbounds;

/* Current values (for the progress line and tests). A counter's value is
 * scaled; a histogram's metrics_sum() is its observation count. */
double mcounter_value(const mcounter_t *c);
double mgauge_value(const mgauge_t *g);

/*
 * The sum over every series named `selector`, or over those whose labels
 * contain the text inside braces: "kcrawl_fetcher_errors_total" or
 * "kcrawl_cleaner_errors_total{code=\"too_large\"}". 0 when none match.
 * Thread-safe.
 */
double metrics_sum(const char *selector);

/* Process CPU seconds (user + system) and resident bytes, from /proc/self;
 * -1 when unreadable. */
double metrics_process_cpu_seconds(void);
double metrics_process_resident_bytes(void);

/*
 * The port the endpoint listens on (useful with ":0", which picks a free
 * one), or 0 when not serving.
 */
int metrics_port(void);

/* Largest response served; past it GET /metrics answers 500. */
#define METRICS_MAX_RESPONSE (4 * 1024 * 1024)

/* Forgets every series (tests; after metrics_stop(), with no thread
 * updating). Pointers returned before are invalid afterwards. */
void metrics_reset(void);

#endif /* KCRAWL_METRICS_H */
