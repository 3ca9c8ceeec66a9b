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
/* The transfer's Retry-After in seconds, as sent (libcurl's parse of
 * either form; 0 when none). Uncapped: every wait goes through
 * hosts_retry_after_ms(), which holds the cap. */
curl_off_t outcome_retry_after_s(CURL *easy);
/* Exponential back-off with jitter: base * 2^(n-1), capped, times a
 * random factor in [0.5, 1]. */
int64_t outcome_backoff_ms(long base, long max, int n);
/* A URL's transfer ended with rc: page, retry, park or dead letter. */
void outcome_url_done(fetcher_t *f, job_t *job, CURLcode rc);

#endif /* KCRAWL_OUTCOME_H */
