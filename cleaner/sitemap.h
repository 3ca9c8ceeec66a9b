/*
 * sitemap.h — sitemaps and feeds, read as they stream: the URLs a site
 * lists for crawlers.
 *
 * Formats (detected from the bytes, not from a Content-Type, which sites
 * get wrong): gzip-compressed input of any of them (zlib, inflated as it
 * arrives; several gzip members are read one after another), sitemap XML
 * (`urlset` with `loc`, `lastmod`, `changefreq`, `priority`), sitemap index
 * XML (`sitemapindex`: each `loc` is itself a sitemap), plain text (one URL
 * a line, a UTF-8 byte order mark allowed), RSS 2.0 and RSS 1.0
 * (`item`/`link`, `pubDate` or `dc:date` as lastmod) and Atom (`entry`,
 * `link` with rel alternate or none, `updated` else `published`). The
 * sitemap extensions (image, news, video, xhtml:link alternates) are
 * elements of other namespaces or nested deeper: they are skipped.
 *
 * XML goes through libxml2's SAX2 push parser with the network off
 * (XML_PARSE_NONET), no DTD loaded, no entity of the document's own
 * declared or expanded (there is no entity handler at all: a reference to
 * one is an undeclared entity, recovered from), so an entity bomb expands
 * to nothing; the predefined entities and character references are read.
 * Malformed XML is read in libxml2's recover mode as far as it goes and
 * flagged in the statistics.
 *
 * The sitemaps.org rules, applied to each listed location:
 *   - it must be an absolute http(s) URL (WHATWG URL parser, shared/url.h;
 *     Atom links may be relative and are resolved against the xml:base
 *     of the link, its entry or the feed, else the sitemap's URL); its
 *     fragment is removed; the scope below applies to the result;
 *   - in scope: the host key of the sitemap (or of sitemap_opts_t's
 *     scope_host when robots.txt of that host listed the sitemap), and,
 *     unless any_path is set, a path under the sitemap's own directory
 *     (the sitemap's path up to its last '/'); the scheme is not compared
 *     (sites that moved to https list http sitemaps and the reverse);
 *   - the sitemap's own URL is dropped (an index listing itself);
 *   - at most max_urls locations a sitemap (50,000 by the protocol), the
 *     rest dropped and counted; at most max_bytes uncompressed bytes
 *     (50 MiB by the protocol), after which reading stops (truncated).
 * Each location dropped is counted by its reason; none is dropped silently.
 * `lastmod` (RSS pubDate / dc:date, Atom updated, else published) is
 * normalised by lastmod.h (YYYY-MM-DD, or RFC 3339 UTC when it has a
 * time); one that is not a date is left out and counted
 * (lastmod_invalid); `changefreq` when it is one of the protocol's words;
 * `priority` when a number in [0, 1].
 *
 * Memory is bounded whatever the input: one location's text (URL_MAX_LEN),
 * libxml2's push parser state, a 64 KiB inflate window. No thread-shared
 * state: one sitemap_t per thread at a time.
 */
#ifndef KCRAWL_SITEMAP_H
#define KCRAWL_SITEMAP_H

#include <stddef.h>

/* The protocol's limits per sitemap file. */
#define SITEMAP_MAX_BYTES ((size_t)50 * 1024 * 1024)
#define SITEMAP_MAX_URLS ((size_t)50000)
#define SITEMAP_LASTMOD_MAX 20 /* "YYYY-MM-DDThh:mm:ssZ" */

typedef enum {
        SITEMAP_FMT_UNKNOWN = 0, /* nothing read yet, or empty        */
        SITEMAP_FMT_URLSET,
        SITEMAP_FMT_INDEX,
        SITEMAP_FMT_TEXT,
        SITEMAP_FMT_RSS,
        SITEMAP_FMT_ATOM,
        SITEMAP_FMT_OTHER, /* XML, but no sitemap or feed root      */
} sitemap_format_t;

/* The formats' names in sitemap_format_t's order (for records). */
extern const char *const sitemap_format_names[];

typedef enum {
        SITEMAP_DROP_INVALID = 0, /* not a URL (or relative, or too long) */
        SITEMAP_DROP_SCHEME,      /* a URL, but not http or https        */
        SITEMAP_DROP_SCOPE,       /* another host, or outside the path   */
        SITEMAP_DROP_LIMIT,       /* over max_urls                        */
        SITEMAP_DROP_SELF,        /* the sitemap itself                   */
        SITEMAP_DROP_N,
} sitemap_drop_t;

/* The reasons' names in sitemap_drop_t's order: "invalid_url",
 * "not_http", "out_of_scope", "over_limit", "self". */
extern const char *const sitemap_drop_names[];

/* One listed location, valid during the emit call only. */
typedef struct sitemap_entry {
        const char *url; /* absolute, serialised, no fragment      */
        size_t url_len;
        const char *host_key;   /* its host key (url_host_key())          */
        const char *lastmod;    /* NULL when none                          */
        const char *changefreq; /* NULL when none                          */
        double priority;        /* -1 when none                            */
        int is_sitemap;         /* listed by a sitemap index              */
} sitemap_entry_t;

/* Takes one entry; non-zero stops the reading (sitemap_feed() then
 * returns SITEMAP_STOPPED). */
typedef int (*sitemap_emit_fn)(void *ctx, const sitemap_entry_t *e);

typedef struct sitemap_opts {
        size_t max_bytes;       /* uncompressed; 0 = SITEMAP_MAX_BYTES     */
        size_t max_urls;        /* emitted; 0 = SITEMAP_MAX_URLS           */
        const char *scope_host; /* host key listed URLs must have; NULL =
                                 * the sitemap's own                        */
        int any_path;           /* 1: any path of that host (robots.txt
                                 * listed the sitemap)                      */
        int any_host;           /* 1: no scope rule at all (tools that
                                 * compare what parsers find)               */
} sitemap_opts_t;

typedef struct sitemap_stats {
        sitemap_format_t format;
        int gzip;        /* the input was gzip-compressed            */
        size_t bytes_in; /* bytes given to sitemap_feed()            */
        size_t bytes;    /* bytes read after inflating               */
        size_t found;    /* locations met                            */
        size_t emitted;  /* handed to emit                           */
        size_t dropped[SITEMAP_DROP_N];
        size_t lastmod_invalid; /* date fields that were no date: left out */
        int truncated;          /* stopped at max_bytes                     */
        int malformed;          /* XML errors recovered, or a broken gzip   */
        char error[160];        /* the first problem met, "" when none      */
} sitemap_stats_t;

typedef struct sitemap sitemap_t;

/* sitemap_feed()'s answer when reading has stopped for good (max_bytes
 * reached, or emit returned non-zero): further input is ignored. */
#define SITEMAP_STOPPED 1

/*
 * A reader for the sitemap at `sitemap_url` (absolute http(s); listed
 * locations are checked against it), handing each location kept to
 * emit(ctx, entry). opts may be NULL (the protocol's limits, own host and
 * path). Returns NULL with a reason in errstr when the URL is not http(s)
 * or memory runs out.
 */
sitemap_t *sitemap_new(const char *sitemap_url, const sitemap_opts_t *opts,
                       sitemap_emit_fn emit, void *ctx, char *errstr,
                       size_t errstr_size);

/*
 * Reads the next len bytes of the input (any split: a byte at a time
 * works). Returns 0, SITEMAP_STOPPED once reading has stopped, or -1 when
 * memory runs out (the reason in the statistics' error).
 */
int sitemap_feed(sitemap_t *sm, const void *data, size_t len);

/* The end of the input: flushes the last line or element. Returns 0,
 * SITEMAP_STOPPED or -1 as sitemap_feed(). */
int sitemap_finish(sitemap_t *sm);

/* What was read so far; owned by sm. */
const sitemap_stats_t *sitemap_stats(const sitemap_t *sm);

void sitemap_destroy(sitemap_t *sm);

/*
 * One whole input in memory: new, feed, finish, destroy. Copies the
 * statistics into *stats (may be NULL). Returns 0 (also when reading
 * stopped at a limit: see stats->truncated), or -1 with a reason in
 * errstr.
 */
int sitemap_parse(const char *sitemap_url, const sitemap_opts_t *opts,
                  const void *data, size_t len, sitemap_emit_fn emit,
                  void *ctx, sitemap_stats_t *stats, char *errstr,
                  size_t errstr_size);

#endif /* KCRAWL_SITEMAP_H */
