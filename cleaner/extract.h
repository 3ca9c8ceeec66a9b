/*
 * extract.h — one fetched page in, one JSON record out.
 *
 * The page's bytes are decoded by charset (Content-Type header, else the
 * page's <meta charset>/http-equiv, else UTF-8), invalid sequences repaired
 * to U+FFFD before libxml2 sees them, parsed by libxml2's HTML parser in
 * recover mode with no network access, and the built-in fields extracted.
 * The record is always valid UTF-8 JSON (schemas/record.schema.json).
 * The work is done by the page scan (pagescan.h: the page's facts,
 * pagefacts.h) and the record's writers (record.h); docs/cleaner.md
 * lists the modules and where a new field goes.
 *
 * Thread-safety: extract_record() may be called from several threads at
 * once (each cleaner worker calls it on its own pages); it keeps no state
 * between calls and no global mutable state. libxml2 must have been
 * initialised once, before the threads start, with xmlInitParser() (the
 * cleaner's main does it; so do the tests).
 *
 * Record fields: url, final_url (= url when absent), status, fetched_at,
 * content_type (null when absent), source_topic, id, depth and meta (these
 * four only when present; meta re-emitted as JSON, or as a string when it is
 * not valid JSON). A page whose content type is neither text/html nor
 * application/xhtml+xml (a missing one counts as HTML) stops there. An HTML
 * page adds: title, description, canonical, lang, meta_robots (null when
 * absent), headings [{level, text}], text, word_count, text_truncated (only
 * when true), links [{url, text, rel}], images [{src, alt}], opengraph
 * {key: content}, json_ld [values] and json_ld_errors (only when > 0),
 * and, from the page's main content (mainfields.h), main_text and
 * markdown (each as page_t.texts asks, with main_text_truncated and
 * markdown_truncated only when true), author, published_at, modified_at
 * and site_name (null when the page does not say); `text` only when
 * page_t.texts asks for it;
 * the other structured-data fields (structured.h: microdata,
 * opengraph_full, dublincore, product), each syntax on unless
 * page->structured_off turns it off.
 *
 * Caps, so that a hostile page cannot blow up memory or the record: */
#define EXTRACT_TEXT_MAX \
        (1024 * 1024) /* visible text, bytes; word_count
                                               * still counts every word    */
#define EXTRACT_SHORT_MAX \
        4096                      /* title, description, a heading's or
                                          * link's text, alt, rel, lang,
                                          * robots, og values: longer ones
                                          * are cut at a character boundary */
#define EXTRACT_URL_MAX 8192      /* longer resolved URLs are dropped */
#define EXTRACT_ANCHORS_MAX 50000 /* <a href> elements looked at      */
#define EXTRACT_LINKS_MAX 10000   /* distinct links in the record     */
#define EXTRACT_IMAGES_MAX 1000
#define EXTRACT_LIST_BYTES_MAX \
        (4 * 1024 * 1024) /* links' (and images')
                                          * URL and text bytes, per list     */
#define EXTRACT_HEADINGS_MAX 1000
#define EXTRACT_OG_MAX 100     /* distinct og:* properties         */
#define EXTRACT_JSONLD_MAX 100 /* blocks parsed; later ones ignored */
#define EXTRACT_JSONLD_BYTES_MAX \
        (1024 * 1024)                         /* per block; a longer one
                                          * counts in json_ld_errors         */
#define EXTRACT_RECORD_MAX (64 * 1024 * 1024) /* the whole record      */
#define EXTRACT_ATTRS_MAX \
        1000 /* attributes of one start tag: a
                                          * page with a tag over it ends as
                                          * EXTRACT_TIMEOUT unparsed
                                          * (prescan.h: libxml2's cost is
                                          * quadratic in them)               */
#ifndef KCRAWL_EXTRACT_H
#define KCRAWL_EXTRACT_H

#include <stddef.h>

/* A page as the cleaner reads it from the pages topic. Strings are
 * NUL-terminated UTF-8 or NULL when the header was absent; nothing here is
 * owned by the extractor. */
typedef struct page {
        const char *url;          /* required                                */
        const char *final_url;    /* after redirects; NULL = same as url     */
        int status;               /* HTTP status, required                   */
        const char *content_type; /* may be NULL                             */
        const char *fetched_at;   /* RFC 3339, required                      */
        const char *source_topic; /* may be NULL                             */
        const char *id;           /* passed through when not NULL            */
        const char *meta;         /* JSON text, passed through as JSON       */
        long depth;               /* passed through when >= 0                */
        /* Discovery and compliance signals, from the page headers (NULL
         * when absent): the sitemap's lastmod (passed through), the
         * X-Robots-Tag values (JSON array), the TDMRep headers, and the
         * product token robots directives are read for (NULL: "kcrawl"). */
        const char *lastmod;
        const char *x_robots_tag;
        const char *tdm_reservation;
        const char *tdm_policy;
        const char *robots_token;
        /* Change detection (change.h): the URL's previous content state
         * from the fetcher's headers (NULL when absent), and whether the
         * page is a 304 to a conditional request (not_modified: true). */
        const char *prev_content_sha256;
        const char *prev_price;
        const char *prev_availability;
        int not_modified;
        const unsigned char *body;
        size_t body_len;
        unsigned structured_off; /* structured.h STRUCTURED_* syntaxes
                                  * turned off; 0 = every one on      */
        long budget_ms;          /* CPU time (the calling thread's) the
                                   * decoding, parsing and walking may take;
                                   * 0 = no limit                           */
        int texts;               /* which texts the record carries:
                         * EXTRACT_TEXT | EXTRACT_MAIN_TEXT |
                         * EXTRACT_MARKDOWN; 0 = all three              */
} page_t;

/* page_t.texts: the forms of the page's text a record carries. */
#define EXTRACT_TEXT 1      /* text: all visible text                  */
#define EXTRACT_MAIN_TEXT 2 /* main_text: the main content, plain      */
#define EXTRACT_MARKDOWN 4  /* markdown: the main content as CommonMark */
#define EXTRACT_TEXTS_ALL (EXTRACT_TEXT | EXTRACT_MAIN_TEXT | EXTRACT_MARKDOWN)

/* extract_record()'s return when the page is over its CPU-time budget, or
 * would be certainly (a start tag with over EXTRACT_ATTRS_MAX attributes):
 * the caller dead-letters it as `parse_timeout`. */
#define EXTRACT_TIMEOUT (-2)

/*
 * Builds the JSON record for `page`. On success returns 0 and sets *out to
 * a malloc'd NUL-terminated JSON object (*out_len its length, without the
 * NUL), which the caller frees. On failure returns -1 with a reason in
 * errstr; the caller dead-letters the page as `parse_failed`; or
 * EXTRACT_TIMEOUT (with a reason) when page->budget_ms ran out.
 *
 * The budget is checked against the thread's CPU clock
 * (CLOCK_THREAD_CPUTIME_ID) in the parser's callbacks and error reports
 * and in the DOM walk, reading that clock only once the wall time since
 * the start could have used the rest of the budget (CPU time of one thread
 * never runs faster than the wall clock), so a normal page reads it
 * once. libxml2 is stopped with xmlStopParser() when it is over.
 */
int extract_record(const page_t *page, char **out, size_t *out_len,
                   char *errstr, size_t errstr_size);

/*
 * User-defined fields: called once for an HTML page with its parsed
 * document (NULL for an empty body) after the built-in fields, to write the
 * value of the record's `fields` member (one JSON value, normally an object)
 * with `gen` (a yajl_gen). Returns a yajl_gen_status; anything but
 * yajl_gen_status_ok fails the record. The document is only read.
 */
struct _xmlDoc;
typedef int (*extract_fields_fn)(void *ctx, struct _xmlDoc *doc, void *gen);

/*
 * As extract_record(), adding `fields` from `fields_cb(fields_ctx, ...)`
 * when fields_cb is not NULL and the page is HTML. The caller passes a
 * callback only for pages a rule applies to; without one the extraction is
 * exactly extract_record()'s.
 */
int extract_record_with(const page_t *page, extract_fields_fn fields_cb,
                        void *fields_ctx, char **out, size_t *out_len,
                        char *errstr, size_t errstr_size);

/*
 * As extract_record_with(), also handing back the page's facts
 * (pagefacts.h) in *facts on success (freed with pagefacts_free(); NULL on
 * failure), for what comes after the record (link following: links.h,
 * links_each_facts()). What the scan is asked for (pagescan_opts_t: the
 * tree when a fields callback, or a module writing the record, needs it)
 * is decided here, once for every caller.
 */
struct page_facts;
int extract_record_facts(const page_t *page, extract_fields_fn fields_cb,
                         void *fields_ctx, struct page_facts **facts,
                         char **out, size_t *out_len, char *errstr,
                         size_t errstr_size);

#endif /* KCRAWL_EXTRACT_H */
