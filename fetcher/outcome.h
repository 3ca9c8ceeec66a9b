/*
 * outcome.h — a URL job's end: a page, a dead letter, or a retry (in the
 * timer heap, or parked) (outcome.c).
 */
#ifndef KCRAWL_OUTCOME_H
#define KCRAWL_OUTCOME_H

#include "fetcher_int.h"

/* Produces the job's error object; its delivery report finishes it. */
void outcome_fail(fetcher_t *f, job_t *job, const char *code,
                  const char *message);
/* The page's headers (the design's page contract) from the job and its
 * finished transfer; *final: the final URL parsed (NULL when it does not
 * parse), for the caller to url_destroy(). */
rd_kafka_headers_t *outcome_page_headers(const job_t *job, url_t **final);

/* Produces the page whose headers wait in job->page_hdrs (OUT_PENDING: its
 * pending state was delivered, or failed); its delivery report finishes
 * the job. */
void outcome_send_page(fetcher_t *f, job_t *job);
/* The transfer's Retry-After in seconds, as sent (libcurl's parse of
 * either form; 0 when none). Uncapped: every wait goes through
 * hosts_retry_after_ms(), which holds the cap. */
curl_off_t outcome_retry_after_s(CURL *easy);
/* Exponential back-off with jitter: base * 2^(n-1), capped, times a
 * random factor in [0.5, 1]. */
int64_t outcome_backoff_ms(long base, long max, int n);
/* What becomes of a URL whose transfer ended: the decision of
 * outcome_url_done(), from its inputs alone. */
typedef enum {
        OUTCOME_PAGE,  /* an HTTP answer: produce the page      */
        OUTCOME_RETRY, /* transient: again after *wait_ms, held */
        OUTCOME_PARK,  /* transient, a long wait: parked        */
        OUTCOME_FAIL,  /* no answer: dead letter                */
} outcome_next_t;

typedef struct {
        bool answered;         /* rc == CURLE_OK: an HTTP answer came    */
        long status;           /* its status                              */
        bool net_transient;    /* no answer: transfer_transient()         */
        int attempts;          /* this one included                       */
        long retries;          /* --retries                               */
        bool draining;         /* stopping: no retry                      */
        int64_t backoff_ms;    /* outcome_backoff_ms() for this attempt   */
        int64_t host_wait_ms;  /* until the host may be served again      */
        int64_t park_after_ms; /* --park-after                            */
        bool parking;          /* delay tiers configured                  */
} outcome_in_t;

/* Worth a retry: a 5xx or 429 answer, or a transient network failure. */
bool outcome_transient(bool answered, long status, bool net_transient);
/* The host asked to slow down (429, 503). */
bool outcome_slow_down(bool answered, long status);
/* Retry (after the back-off, not before the host is ready), park (that
 * wait over --park-after, with tiers), page or fail; *wait_ms: the wait
 * of a retry or park, else 0. */
outcome_next_t outcome_decide(const outcome_in_t *in, int64_t *wait_ms);
/* A URL's transfer ended with rc: page, retry, park or dead letter. */
void outcome_url_done(fetcher_t *f, job_t *job, CURLcode rc);

#endif /* KCRAWL_OUTCOME_H */
