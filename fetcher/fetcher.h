/*
 * fetcher.h — the fetch loop: URL messages in, pages and dead letters out.
 *
 * One thread, one event loop: libcurl's multi interface drives every
 * transfer, and the same wait (curl_multi_poll) also wakes on the Kafka
 * consumer queue, the producer's delivery reports and the stop signal.
 * At most --max-inflight transfers are in flight and at most --max-queued
 * URLs are held (queued, in flight, awaiting delivery); at that bound the
 * assigned partitions are paused (the consumer is still polled) and
 * resumed below 3/4 of it. A URL's offset is stored for commit only once its outcome
 * (page or error) is acknowledged by the broker, at the partition's
 * low-water mark (offsets.h): at-least-once.
 */
#ifndef KCRAWL_FETCHER_H
#define KCRAWL_FETCHER_H

#include "config.h"

typedef struct fetcher fetcher_t;

/*
 * Builds the Kafka clients, the transfer engine and the address guard.
 * `conf` and `kafka_props` must outlive the fetcher. Returns NULL with a
 * one-line reason in errstr (a bad -X property, a bad --allow-net).
 */
fetcher_t *fetcher_new(const fetcher_config_t *conf,
                       const strlist_t *kafka_props, char *errstr,
                       size_t errstr_size);

/*
 * Runs until signals_stop is raised (SIGTERM/SIGINT) or a fatal error.
 * Then stops consuming, lets in-flight work finish for --drain-timeout,
 * flushes the producer and commits. Returns 0, or -1 after a fatal error
 * (nothing past the failure is committed).
 */
int fetcher_run(fetcher_t *f);

void fetcher_destroy(fetcher_t *f);

#endif /* KCRAWL_FETCHER_H */
