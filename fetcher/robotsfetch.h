/*
 * robotsfetch.h — robots.txt fetched through the loop, per host: cached,
 * retried, its rules kept under --robots-memory (robotsfetch.c).
 */
#ifndef KCRAWL_ROBOTSFETCH_H
#define KCRAWL_ROBOTSFETCH_H

#include "fetcher_int.h"

/* Frees a host's robots.txt state (hosts.h's user-data destructor). */
void robotsfetch_hstate_free(void *p);
/* May host h's next URL be started? Starts or awaits its robots.txt (and
 * with --tdm then its tdmrep.json) and ends a host's URLs as
 * robots_unreachable when that is the verdict.
 * Returns 1 when it may, 0 when not now, -1 on a fatal error. */
int robotsfetch_gate(fetcher_t *f, host_t *h, int64_t now);
/* Does h's robots.txt allow the job's URL? Counted in the metrics; when
 * not, *why says why (a static string). */
bool robotsfetch_allowed(fetcher_t *f, host_t *h, const job_t *job,
                         const char **why);
/* What a robots.txt answer means for its host (RFC 9309). */
typedef enum {
        ROBOTS_V_RULES,       /* 2xx: its rules, parsed                 */
        ROBOTS_V_ALLOW_ALL,   /* 4xx but 429: unavailable, all allowed  */
        ROBOTS_V_FAIL_OPEN,   /* no DNS, blocked, TLS, redirects: the
                               * URLs are tried and fail on their own   */
        ROBOTS_V_RETRY,       /* 5xx, 429, unreachable: all disallowed,
                               * robots.txt retried with back-off       */
        ROBOTS_V_UNREACHABLE, /* the same, retries spent: the host's
                               * URLs end as robots_unreachable         */
} robotsfetch_verdict_t;

/* The verdict of a robots.txt transfer that ended with rc and (rc ==
 * CURLE_OK) HTTP status `status`: blocked by the address guard, cut at
 * the size cap (too_large: parsed as far as read), after `failures`
 * failed tries of the --robots-retries `retries`. */
robotsfetch_verdict_t robotsfetch_verdict(CURLcode rc, long status,
                                          bool blocked, bool too_large,
                                          long failures, long retries);
/* A robots.txt transfer ended with rc: rules, allow-all, retry or
 * robots_unreachable for the host's queued URLs. */
void robotsfetch_done(fetcher_t *f, job_t *job, CURLcode rc);

/* --tdm: a tdmrep.json transfer ended with rc: the host's file, or a
 * file that says nothing (4xx: for --robots-cache; 5xx, 429 or
 * unreachable: for a short while, then asked again). */
void robotsfetch_tdm_done(fetcher_t *f, job_t *job, CURLcode rc);
/* --tdm: what the job's host's tdmrep.json says of its URL, into
 * job->tdm_file and job->tdm_file_policy. */
void robotsfetch_tdm_mark(hstate_t *hs, job_t *job);

#endif /* KCRAWL_ROBOTSFETCH_H */
