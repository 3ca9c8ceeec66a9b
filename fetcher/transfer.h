/*
 * transfer.h — libcurl easy setup, body cap, address guard, trusted
 * --resolve/--connect-to targets, proxy target check, error codes and
 * which errors are transient (transfer.c).
 */
#ifndef KCRAWL_TRANSFER_H
#define KCRAWL_TRANSFER_H

#include "fetcher_int.h"

/* libcurl's write callback (userdata: the job): appends to job->body up
 * to job->body_max decoded bytes; past it sets too_large and aborts the
 * transfer (CURLE_WRITE_ERROR). */
size_t transfer_write_body(char *ptr, size_t size, size_t nmemb,
                           void *userdata);
/* The request options of a transfer of `url` for `job` on easy handle `e`,
 * from the configuration alone: URL, job as CURLOPT_PRIVATE, body through
 * transfer_write_body() capped at job->body_max (set here: --max-body, or
 * ROBOTS_MAX_BYTES for robots.txt), redirects, timeouts, encodings, user
 * agent, TLS checks. Sets job->easy and clears the job's per-request
 * flags. The caller adds the connection's options (address guard, DNS
 * share, --resolve/--connect-to, proxy) and owns `e`. */
void transfer_easy_setup(CURL *e, job_t *job, const fetcher_config_t *c,
                         const char *url);
/* Sets up and starts the transfer of `url` for `job` (through its proxy,
 * if any, after the target check). 0, or -1 when it cannot start. */
int transfer_start(fetcher_t *f, job_t *job, const char *url);
/* A transfer of `job` ended with *rc. When it was a proxy target check
 * that passed, or a proxied redirect to follow, starts the next request
 * and returns true. Otherwise returns false: the job's outcome is *rc
 * (set to CURLE_COULDNT_CONNECT with job->blocked for a refused target,
 * CURLE_TOO_MANY_REDIRECTS, ...), read with the job's easy handle. */
bool transfer_check_done(fetcher_t *f, job_t *job, CURLcode *rc);
/* The design's stable error code of a failed transfer. */
const char *transfer_error_code(const job_t *job, CURLcode rc);
/* Transient network failures worth a retry. */
bool transfer_transient(const job_t *job, CURLcode rc);
/* Adds --resolve (resolve) or --connect-to entries to *list and to the
 * trusted targets. -1 with a reason in errstr when one does not parse. */
int transfer_add_overrides(fetcher_t *f, const strlist_t *l, bool resolve,
                           struct curl_slist **list, char *errstr,
                           size_t errstr_size);

#endif /* KCRAWL_TRANSFER_H */
