/*
 * pagefacts.h — what one scan of a page found (pagescan.c fills it in, the
 * record's writers (record.c) and link following (links.c) read it).
 *
 * All strings are NUL-terminated UTF-8 owned by the facts and live until
 * pagefacts_free(). Attribute values (`const xmlChar *`) are as the page
 * wrote them, entities decoded, not trimmed: the writers trim and cut
 * them (record.h: rec_attr()). Everything resolved is resolved against
 * `base`.
 *
 * For a module that needs more than these facts (main content, Markdown,
 * microdata...): ask the scan for the tree (pagescan_opts_t.want_tree, set
 * in extract_record_facts()),
 * read `doc` (NULL for an empty page), resolve URLs with
 * pagefacts_resolve(), and write its fields as a part of the record
 * (record.h, "To add a field").
 */
#ifndef KCRAWL_PAGEFACTS_H
#define KCRAWL_PAGEFACTS_H

#include "robotsdirs.h"
#include "change.h"
#include "dynbuf.h"
#include "extract.h"
#include "mainfields.h"
#include "url.h"

#include <stddef.h>

#include <libxml/tree.h>

/* The lists a page had more of than their caps (the record's `capped`). */
enum {
        PF_CAP_LINKS = 1u << 0,
        PF_CAP_IMAGES = 1u << 1,
        PF_CAP_HEADINGS = 1u << 2,
        PF_CAP_OG = 1u << 3,
        PF_CAP_JSONLD = 1u << 4,
        PF_CAP_STRUCTURED = 1u << 5, /* structured.h: a syntax's cap */
};

/* An <a href> as found (before resolution): its text is
 * link_text.data[text_off, text_off + text_len). */
typedef struct pf_anchor {
        const xmlChar *href;
        const xmlChar *rel; /* NULL when absent */
        size_t text_off;
        size_t text_len;
} pf_anchor_t;

/* A link of the record: resolved, fragment-free, each URL once, in
 * document order, within the caps. */
typedef struct pf_link {
        const char *url;
        const char *text; /* collapsed, at most EXTRACT_SHORT_MAX bytes */
        size_t text_len;
        const char *rel; /* trimmed and cut (not NUL-terminated at
                          * rel_len); NULL when absent */
        size_t rel_len;
} pf_link_t;

/* An h1-h6: its text is heading_text.data[text_off, + text_len). */
typedef struct pf_heading {
        int level;
        size_t text_off;
        size_t text_len;
} pf_heading_t;

/* An <img> of the record: src resolved, within the caps. */
typedef struct pf_image {
        const char *src;
        const xmlChar *alt; /* NULL when absent */
} pf_image_t;

/* A <img src> as found. */
typedef struct pf_img_raw {
        const xmlChar *src;
        const xmlChar *alt;
} pf_img_raw_t;

typedef struct pf_og {
        const xmlChar *key; /* after "og:" */
        const xmlChar *content;
} pf_og_t;

/* A JSON-LD block's text: jsonld_text.data[off, off + len), or over
 * EXTRACT_JSONLD_BYTES_MAX (its text dropped). */
typedef struct pf_jsonld {
        size_t off;
        size_t len;
        int over;
} pf_jsonld_t;

/* The arena of strings that live as long as the facts. */
typedef struct pf_arena_chunk pf_arena_chunk_t;

typedef struct page_facts {
        const page_t *page;
        int html;        /* the content type is HTML: the HTML parts apply */
        size_t utf8_len; /* the page decoded to UTF-8, bytes */

        /* The parsed document, when the scan was asked for it (or the
         * page needed it): read only, freed with the facts. NULL when
         * not asked for, and for an empty page. */
        xmlDocPtr doc;

        /* What URLs resolve against: <base href> (itself resolved against
         * the final URL), else the final URL; NULL when neither parses.
         * base->href is its serialisation. */
        url_t *base;

        /* <title>'s text, collapsed and cut; has_title 0 when none. */
        dynbuf_t title;
        int has_title;
        /* <meta name=description> collapsed; <meta name=robots> collapsed
         * and lower-cased; each cut to EXTRACT_SHORT_MAX; NULL when
         * absent. */
        const char *description;
        size_t description_len;
        const char *meta_robots;
        size_t meta_robots_len;
        const xmlChar *lang; /* <html lang>                      */
        /* Robots directives for this crawler (robotsdirs.h), merged from
         * the x_robots_tag header, <meta name=robots> and <meta
         * name={robots_token}>; the TDM reservation: 1 reserved, 0 not,
         * -1 unsaid (the tdm-reservation header, else the meta), and its
         * policy URL (NULL when none). For every page (not only HTML). */
        robotsdirs_t robots;
        int tdm_reserved;
        const char *tdm_policy;
        size_t tdm_policy_len;
        const char *canonical; /* <link rel=canonical> resolved; NULL */

        /* The visible text, collapsed, cut at EXTRACT_TEXT_MAX; `words`
         * counts every word, text_truncated says it was cut. */
        dynbuf_t text;
        long long words;
        int text_truncated;

        pf_heading_t *headings;
        size_t n_headings;
        dynbuf_t heading_text;

        pf_anchor_t *anchors; /* every <a href>, within EXTRACT_ANCHORS_MAX */
        size_t n_anchors;
        dynbuf_t link_text;
        pf_link_t *links; /* the record's links */
        size_t n_links;

        pf_img_raw_t *img_raw; /* every <img src> within the cap */
        size_t n_img_raw;
        pf_image_t *images; /* the record's images */
        size_t n_images;

        pf_og_t og[EXTRACT_OG_MAX];
        size_t n_og;

        pf_jsonld_t jsonld[EXTRACT_JSONLD_MAX];
        size_t n_jsonld;
        dynbuf_t jsonld_text;

        /* The record's `meta`: the page's meta header as one compact JSON
         * value (a JSON string when the header is not JSON); has_meta 0
         * when there is no header. */
        dynbuf_t meta_json;
        int has_meta;

        /* The page's structured data (structured.h): fed by the scan,
         * rendered by its last finish step; NULL for a page that is not
         * HTML. json_ld is written from it. */
        struct structured *sd;

        unsigned capped; /* PF_CAP_* */

        /* The main content and the article metadata (mainfields.h),
         * has_main 1 once computed (an HTML page); texts: page_t.texts,
         * 0 read as EXTRACT_TEXTS_ALL. */
        mainfields_t main;
        int has_main;
        int texts;

        /* Change detection (change.h), decided once the main text and
         * the product are known (extract.c). */
        change_t change;

        /* Private to pagescan.c. */
        int oom;
        size_t cap_anchors, cap_headings, cap_img_raw;
        pf_arena_chunk_t *arena;
        struct xmlarena *xarena; /* libxml2's, for the parse (xmlarena.h) */
        url_scratch_t *urls;
} page_facts_t;

/*
 * Resolves ref against the page's base: an absolute http(s) URL without its
 * fragment, owned by the facts, or NULL when ref does not make one (or it
 * is over EXTRACT_URL_MAX bytes, or memory ran out: then f->oom is set).
 * Not thread-safe for one page_facts_t (it uses the facts' buffers).
 */
const char *pagefacts_resolve(page_facts_t *f, const char *ref);

/* Room for n bytes that live as long as the facts; NULL (and f->oom set)
 * when memory runs out. */
void *pagefacts_alloc(page_facts_t *f, size_t n);

/* A page attribute value trimmed of whitespace, its *len cut to
 * EXTRACT_SHORT_MAX on a character boundary (the record's rule for
 * attribute values). */
const xmlChar *pagefacts_attr_trim(const xmlChar *v, size_t *len);

/* Frees the facts, the document included. NULL is fine. */
void pagefacts_free(page_facts_t *f);

#endif /* KCRAWL_PAGEFACTS_H */
