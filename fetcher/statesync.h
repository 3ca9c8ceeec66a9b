/*
 * statesync.h — the crawl state's Kafka side (statesync.c): the state
 * topic checked at start-up, each assigned partition's state loaded into
 * the table (crawlstate.h) before its URLs are consumed, a URL's new state
 * taken from its outcome and written after the outcome's delivery, and
 * the validators a request carries.
 *
 * Off (every function a no-op) when --state-topic is empty.
 */
#ifndef KCRAWL_STATESYNC_H
#define KCRAWL_STATESYNC_H

#include "fetcher_int.h"

/* Checks the state topic (it must exist: a missing one is an error naming
 * it), makes the table and the loader's consumer. Returns 0, or -1 with a
 * one-line reason. Called by fetcher_new() once the producer exists. */
int statesync_init(fetcher_t *f, const strlist_t *kafka_props, char *errstr,
                   size_t errstr_size);
void statesync_destroy(fetcher_t *f);

/* Loads the state of the state topic's partitions that hold the hosts of
 * the assigned partitions `parts` (the same partition numbers when the
 * state topic has the URL topics' partition count, else every partition),
 * from the beginning to the end seen now, within --state-load-timeout.
 * Invalid state messages are dead-lettered (invalid_state) and skipped;
 * tombstones forget their URL; states older than --state-max-age are
 * forgotten and deleted with a tombstone (when the load read its
 * partitions to the end). URLs whose latest state is a pending page
 * are looked for on the pages topic (header kcrawl_input naming the same
 * input message, around the pending state's time): found, the page is
 * their outcome; not found, they are fetched again. Blocks (called from
 * the rebalance callback, before the partitions are assigned). */
void statesync_load(fetcher_t *f,
                    const rd_kafka_topic_partition_list_t *parts);

/* Takes the new state of job's URL from its finished transfer (`page`:
 * a page is being produced; else a dead letter with `code`), for
 * statesync_write() once the outcome is delivered. Sets
 * *not_modified for a 304. Out of memory: the state is not written. */
void statesync_capture(fetcher_t *f, job_t *job, bool page, const char *code,
                       bool *not_modified);

/* The job's page is about to be produced: its state, marked pending, goes to
 * the table and the state topic at once, so that a fetcher taking
 * over after a crash knows to look for the page before requesting the
 * URL again. Returns true when that state was produced with `job` as its
 * opaque: the page must then wait for its delivery report (a page is
 * never on the broker without its pending state, as it could be if the
 * two were sent at once to their different partitions and the fetcher
 * died between them). */
bool statesync_pending(fetcher_t *f, job_t *job);

/* The job's outcome was delivered: its state goes to the table and the
 * state topic (a failure is logged and counted, never fatal: the state
 * is an optimisation, at-least-once still holds without it). */
void statesync_write(fetcher_t *f, job_t *job);

/* Writes rec as the job's URL state now (the table and the state topic,
 * with `job` as the produce's opaque: its delivery report finishes the
 * job). Returns 0, or -1 when there is no crawl state or it cannot be
 * written (logged, counted). */
int statesync_record(fetcher_t *f, job_t *job, const crawlstate_rec_t *rec);

/* Adds If-None-Match / If-Modified-Since from the URL's state to the
 * job's request headers (job->hdrs), once. Returns 0, or -1 when out of
 * memory (the request goes without them). */
int statesync_conditional(fetcher_t *f, job_t *job);

/* Merges the content states (the cleaner's, contentstate.h) that reached
 * the state partitions loaded last since: at most a batch per call, from
 * the loop, without waiting (the loader's queue wakes the loop). */
void statesync_tail(fetcher_t *f);

/* Adds the URL's last content state (job->crawl, from statesync_capture())
 * to a page's headers: prev_content_sha256, prev_price,
 * prev_availability, for the cleaner's change detection. */
void statesync_page_headers(fetcher_t *f, const job_t *job,
                            rd_kafka_headers_t *h);

#endif /* KCRAWL_STATESYNC_H */
