/*
 * bodyzip.h — the body of a sitemap or feed URL (URL message kind
 * "sitemap"/"feed") kept gzip-compressed as it arrives.
 *
 * Why: the sitemaps protocol allows 50 MiB uncompressed per sitemap, more
 * than --max-body (8 MiB) and than a pages-topic message. Sitemap XML and
 * text compress some 10 to 30 times, so the fetcher deflates the decoded
 * bytes on the fly (zlib, level 1: cheap on the one fetcher thread) and the
 * page carries the gzip stream (header body_encoding: gzip), at most
 * --max-body bytes of it. The cleaner's sitemap reader inflates it as it
 * parses (cleaner/sitemap.h), bounded at 50 MiB again. A body that
 * arrives gzip-compressed already (a .xml.gz file, not a Content-Encoding)
 * is kept as it is. Over 50 MiB decoded, or over --max-body compressed,
 * the URL ends as too_large, never as a cut page.
 */
#ifndef KCRAWL_FETCHER_BODYZIP_H
#define KCRAWL_FETCHER_BODYZIP_H

#include <stddef.h>

#include "fetcher_int.h"

/* The most decoded bytes a sitemap body may have (the protocol's). */
#define BODYZIP_MAX_DECODED ((size_t)50 * 1024 * 1024)

/* Whether job's body is kept this way (its URL message's kind). */
int bodyzip_wanted(const job_t *job);

/* A new transfer of job begins: forgets what an earlier one wrote. */
void bodyzip_reset(job_t *job);

/* The write callback's work for such a job: n bytes of decoded body.
 * Returns 0, or -1 with job->too_large set (over a cap) or not (out of
 * memory). */
int bodyzip_write(job_t *job, const char *p, size_t n);

/* The end of the body: flushes the gzip trailer into job->body. Returns
 * 0, or -1 when it does not fit --max-body (or memory runs out). */
int bodyzip_finish(job_t *job);

/* Whether job->body is a gzip stream the fetcher made (the page header
 * body_encoding: gzip). */
int bodyzip_compressed(const job_t *job);

/* Frees the compressor state; the job keeps its body. */
void bodyzip_free(job_t *job);

#endif /* KCRAWL_FETCHER_BODYZIP_H */
