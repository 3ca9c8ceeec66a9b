/*
 * discover.h — a sitemap or feed page (page header `kind`: "sitemap" or
 * "feed"): the URLs it lists as URL messages, and its record.
 *
 * The body is read by sitemap.h as it streams (gzip or not; the fetcher
 * may have compressed it on the way) and each location kept is published
 * as it is found, so memory holds one message at a time whatever the
 * sitemap's size:
 *   {"url", "depth": page depth + 1, "id"?, "meta"?, "lastmod"?,
 *    "kind": "sitemap" and "sitemap_host"? for the sitemaps an index lists}
 * keyed by the URL's host key, for the topic the page's URL came from (its
 * source_topic, else the default), like followed links (links.h): `id` is
 * the page's id "." 16 hex digits of FNV-1a of the URL, `meta` the page's
 * when its JSON is at most max_meta bytes. The scope is the sitemaps.org
 * rule (sitemap.h: the sitemap's host and directory, or the whole of the
 * page's sitemap_host — the host whose robots.txt listed it), not
 * --scope; the depth bound is the discoverer's max_depth (a sitemap index
 * of depth D lists sitemaps of depth D+1 listing pages of depth D+2, so
 * nested indexes end there). Only 2xx pages are read.
 *
 * A URL listed twice by one sitemap is published once (a set of 64-bit
 * hashes of what it published, at most SITEMAP_MAX_URLS of them).
 *
 * Per-host budget (budget.h): the URLs of a host key published by every
 * discoverer sharing one budget_t (all workers of a cleaner process;
 * links followed from HTML pages count too, through
 * discover_budget_take()) stop at its per-host limit; the rest are
 * dropped and counted.
 *
 * The record: the page fields every record has (url, final_url, status,
 * fetched_at, content_type, source_topic, id, meta, depth, lastmod) and
 *   "kind": "sitemap" | "feed",
 *   "sitemap": {"format", "gzip", "bytes", "found", "published",
 *               "dropped": {"invalid_url", "not_http", "out_of_scope",
 *                           "over_limit", "self", "duplicate",
 *                           "over_depth", "budget"},
 *               "lastmod_invalid", "truncated", "malformed", "error"?}
 */
#ifndef KCRAWL_DISCOVER_H
#define KCRAWL_DISCOVER_H

#include <stddef.h>

#include "budget.h"
#include "links.h"
#include "sitemap.h"

/* discover_page()'s answer for a sitemap over the protocol's 50 MiB: the
 * page ends as a too_large dead letter (the URLs before the cut were
 * published); *record is NULL, the statistics in *st. */
#define DISCOVER_TOO_LARGE 1
/* discover_page()'s answer for a sitemap whose XML (or gzip) is broken
 * and gave no URL: the page ends as a parse_failed dead letter with the
 * first problem met. */
#define DISCOVER_PARSE_FAILED 2

typedef struct discover discover_t;

/* budget: the per-host budget, shared with the other workers (not owned;
 * must outlive the discoverer; NULL = no limit); max_meta: the largest
 * page meta (JSON bytes) a published URL carries. NULL when out of
 * memory. One per worker thread. */
discover_t *discover_new(long max_depth, budget_t *budget, size_t max_meta,
                         const char *default_topic);
void discover_destroy(discover_t *d);

/* Takes one URL of host_key from its host's budget (budget_take()): 1
 * when it may be published, 0 when the budget is spent (counted by the
 * caller). */
int discover_budget_take(discover_t *d, const char *host_key);

/* The page, as the worker read it from its headers (strings may be
 * NULL but url and fetched_at). */
typedef struct discover_page {
        const char *url, *final_url, *fetched_at, *content_type;
        const char *source_topic, *id, *meta, *kind, *lastmod;
        const char *sitemap_host;
        int status;
        long depth; /* -1 when absent */
        const void *body;
        size_t body_len;
} discover_page_t;

typedef struct discover_stats {
        sitemap_stats_t st;
        size_t published;
        size_t over_depth;
        size_t over_budget;
        size_t duplicate; /* listed twice in this sitemap           */
        int emit_failed;  /* emit returned non-zero: reading stopped */
} discover_stats_t;

/*
 * Reads the page and hands each URL message to emit(ctx, m) (valid during
 * the call). Returns 0 with *record (malloc'd JSON, *record_len bytes) the
 * caller frees; DISCOVER_TOO_LARGE (above); or -1 with a reason in errstr
 * (out of memory). *ds is filled in every case.
 */
int discover_page(discover_t *d, const discover_page_t *pg, links_emit_fn emit,
                  void *ctx, char **record, size_t *record_len,
                  discover_stats_t *ds, char *errstr, size_t errstr_size);

#endif /* KCRAWL_DISCOVER_H */
