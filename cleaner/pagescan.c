/*
 * pagescan.c — one pass over a page: its facts (see pagescan.h).
 *
 * Usually no tree is built: the parser's SAX events drive the collection
 * directly (libxml2's SAX parse is some 1.8x its DOM parse). Only when the
 * tree is asked for (or a page holds a text node over libxml2's limit) is
 * the DOM built and walked once, without recursion and without XPath.
 * Both front ends make the same calls: entering and leaving each element
 * updates a few counters and collectors (the visible text, and the text of
 * the current title, heading and link; textcollect.h) and keeps what is
 * resolved later (links, images, canonical, base, JSON-LD text). Links are
 * resolved after the parse because the first <base href> counts wherever
 * it is, against a base parsed once, into one arena per page.
 */
#include "pagescan.h"

#include "charset.h"
#include "clock.h"
#include "dynbuf.h"
#include "hash.h"
#include "jsonvalue.h"
#include "lazyimg.h"
#include "prescan.h"
#include "structured.h"
#include "textcollect.h"
#include "visibility.h"
#include "xmlarena.h"
#include "url.h"

#include <limits.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#define PARSE_OPTIONS                                                     \
        (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
         HTML_PARSE_NONET | HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC)

/* The SAX front end copies the attribute values it keeps into chunks
 * freed with the facts (the DOM's own live as long as the document). */
#define ARENA_CHUNK (16 * 1024)
struct pf_arena_chunk {
        struct pf_arena_chunk *next;
        size_t used;
        size_t size;
        char data[];
};

/* The scan in progress: its facts and what only the scan needs. */
typedef struct scan {
        page_facts_t *f;

        /* The CPU-time budget (budget_tick()). */
        long long budget_ns; /* 0 = none                            */
        long long cpu0_ns;   /* the thread's CPU clock at the start */
        long long wall0_ns;
        long long wall_next_ns; /* no need to read the CPU clock
                                     * before this (CLOCK_MONOTONIC_COARSE) */
        unsigned ticks;
        int timed_out;
        int mem_over; /* the parse passed its arena's cap (xmlarena.h) */
        xmlParserCtxtPtr ctxt; /* the parse in progress, to stop it   */
        /* The DOM front end: the tree builder's callbacks, wrapped. */
        startElementSAXFunc dom_start;
        endElementSAXFunc dom_end;
        charactersSAXFunc dom_chars;
        charactersSAXFunc dom_cdata;
        charactersSAXFunc dom_blank;
        /* The DOM front end on a page without the raw text of some script
         * and style elements (scan_html()): where each of them must open
         * (the offset of its start tag's '>' in the bytes parsed), the
         * next one expected, and whether the parse went otherwise. */
        const prescan_body_t *elided;
        size_t elided_n, elided_next;
        int elided_bad;
        const char *elided_src; /* the page as it is */
        /* ... and without the attribute values of some start tags (their
         * quotes left empty): the tags, the next one expected, and the
         * values put back, NUL-terminated, for one startElement. */
        const prescan_values_t *vals;
        size_t vals_next;
        dynbuf_t vals_buf;

        /* Walk state. */
        int hidden;       /* inside head, title, template, noscript, select,
                           * or the element at hidden_depth         */
        int hidden_depth; /* the outermost element its own markup hides
                           * (visibility.h); 0 when none              */
        int sax;          /* the SAX front end: keep() copies       */
        int skip_ids;     /* DOM: no ID table (no rules' XPath)     */
        int depth;        /* SAX: elements open                      */
        int skip_depth;   /* SAX: inside the script or style at
                           * this depth; 0 when not                  */
        dynbuf_t kinds;   /* SAX: enum tag of each open element      */
        dynbuf_t c1_text; /* a text with C1 controls, as windows-1252 */

        collector_t text_c;
        collector_t title_c;
        int title_done;
        collector_t link_c;
        collector_t heading_c;
        int jsonld_depth; /* the open JSON-LD script's; 0 none */
        int html_seen;
        int head_depth; /* the open <head>'s, <body>'s; 0 none */
        int body_depth;

        /* Attribute values the facts hold processed (finish()). */
        const xmlChar *description;
        const xmlChar *robots;
        const xmlChar *robots_mine; /* <meta name={robots_token}> */
        const xmlChar *tdm_reservation;
        const xmlChar *tdm_policy;
        const xmlChar *canonical;
        const xmlChar *base_href;
} scan_t;

/* ------------------------------------------------------------------ */
/* The arena                                                           */

void *pagefacts_alloc(page_facts_t *f, size_t n)
{
        pf_arena_chunk_t *c = f->arena;
        void *p;

        if (c == NULL || n > c->size - c->used) {
                size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;

                c = malloc(sizeof(*c) + size);
                if (c == NULL) {
                        f->oom = 1;
                        return NULL;
                }
                c->next = f->arena;
                c->used = 0;
                c->size = size;
                f->arena = c;
        }
        p = c->data + c->used;
        c->used += n;
        return p;
}

/* ------------------------------------------------------------------ */
/* Buffers and small string helpers                                    */

/* Grows an array of elem-sized items to hold one more. */
static int array_reserve(void **arr, size_t *cap, size_t n, size_t elem)
{
        size_t ncap;
        void *na;

        if (n < *cap)
                return 0;
        ncap = *cap ? *cap * 2 : 16;
        if (ncap > SIZE_MAX / elem)
                return -1;
        na = realloc(*arr, ncap * elem);
        if (na == NULL)
                return -1;
        *arr = na;
        *cap = ncap;
        return 0;
}

static int is_ws(int c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* A length <= max that does not split a UTF-8 character. */
static size_t utf8_cut(const unsigned char *s, size_t len, size_t max)
{
        if (len <= max)
                return len;
        while (max > 0 && (s[max] & 0xC0) == 0x80)
                max--;
        return max;
}

static int ascii_lower(int c)
{
        return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive equality of a NUL-terminated string. */
static int ci_eq(const xmlChar *s, const char *lit)
{
        while (*s && *lit) {
                if (ascii_lower(*s) != (unsigned char)*lit)
                        return 0;
                s++;
                lit++;
        }
        return *s == '\0' && *lit == '\0';
}

/* Whether the space-separated list s holds token (case-insensitive). */
static int has_token(const xmlChar *s, const char *token)
{
        size_t tlen = strlen(token);

        while (*s) {
                size_t n = 0, i;

                while (*s && is_ws(*s))
                        s++;
                while (s[n] && !is_ws(s[n]))
                        n++;
                if (n == tlen) {
                        for (i = 0; i < n; i++)
                                if (ascii_lower(s[i]) !=
                                    (unsigned char)token[i])
                                        break;
                        if (i == n)
                                return 1;
                }
                s += n;
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* Text collection                                                     */

static void text_break(scan_t *x)
{
        collector_break(&x->text_c);
        if (x->title_c.depth)
                collector_break(&x->title_c);
        if (x->link_c.depth)
                collector_break(&x->link_c);
        if (x->heading_c.depth)
                collector_break(&x->heading_c);
}

/* windows-1252's characters for U+0080-U+009F, as UTF-8; NULL where it
 * has none (the control stays). libxml2 2.9 decodes &#128;-&#159; as
 * these C1 controls; browsers show windows-1252's characters (the HTML
 * standard's numeric character reference table). A control written as
 * such in the page reads the same way: a page that has one meant
 * windows-1252. A table, as the standard gives it. */
static const char *const c1_cp1252[32] = {
        "\xE2\x82\xAC", NULL,           "\xE2\x80\x9A", "\xC6\x92",
        "\xE2\x80\x9E", "\xE2\x80\xA6", "\xE2\x80\xA0", "\xE2\x80\xA1",
        "\xCB\x86",     "\xE2\x80\xB0", "\xC5\xA0",     "\xE2\x80\xB9",
        "\xC5\x92",     NULL,           "\xC5\xBD",     NULL,
        NULL,           "\xE2\x80\x98", "\xE2\x80\x99", "\xE2\x80\x9C",
        "\xE2\x80\x9D", "\xE2\x80\xA2", "\xE2\x80\x93", "\xE2\x80\x94",
        "\xCB\x9C",     "\xE2\x84\xA2", "\xC5\xA1",     "\xE2\x80\xBA",
        "\xC5\x93",     NULL,           "\xC5\xBE",     "\xC5\xB8",
};

/* The first C1 control windows-1252 has a character for in s[0, len),
 * or NULL: memchr() for its first byte, 0xC2. */
static const xmlChar *c1_find(const xmlChar *s, size_t len)
{
        const xmlChar *end = s + len, *p = s;

        while (p < end) {
                p = memchr(p, 0xC2, (size_t)(end - p));
                if (p == NULL || p + 1 >= end)
                        return NULL;
                if (p[1] >= 0x80 && p[1] <= 0x9F &&
                    c1_cp1252[p[1] - 0x80] != NULL)
                        return p;
                p++;
        }
        return NULL;
}

/* s[0, len) with its C1 controls as windows-1252's characters, in
 * x->c1_text (from c1, the first); NULL when out of memory. */
static const xmlChar *c1_translate(scan_t *x, const xmlChar *s, size_t len,
                                   const xmlChar *c1, size_t *out_len)
{
        const xmlChar *end = s + len;
        dynbuf_t *b = &x->c1_text;

        b->len = 0;
        if (dynbuf_reserve(b, len + len / 2 + 1) < 0)
                return NULL;
        while (c1 != NULL) {
                const char *to = c1_cp1252[c1[1] - 0x80];

                if (dynbuf_add(b, s, (size_t)(c1 - s)) < 0 ||
                    dynbuf_add(b, to, strlen(to)) < 0)
                        return NULL;
                s = c1 + 2;
                c1 = c1_find(s, (size_t)(end - s));
        }
        if (dynbuf_add(b, s, (size_t)(end - s)) < 0)
                return NULL;
        *out_len = b->len;
        return (const xmlChar *)b->data;
}

static void text_add(scan_t *x, const xmlChar *s, size_t len)
{
        const xmlChar *c1 = c1_find(s, len);

        if (c1 != NULL) {
                s = c1_translate(x, s, len, c1, &len);
                if (s == NULL) {
                        x->f->oom = 1;
                        return;
                }
        }
        if (x->hidden == 0)
                collector_add(&x->text_c, s, len, &x->f->words, &x->f->oom);
        if (x->title_c.depth)
                collector_add(&x->title_c, s, len, NULL, &x->f->oom);
        if (x->link_c.depth)
                collector_add(&x->link_c, s, len, NULL, &x->f->oom);
        if (x->heading_c.depth)
                collector_add(&x->heading_c, s, len, NULL, &x->f->oom);
}


/* ------------------------------------------------------------------ */
/* The walk                                                            */

enum tag {
        T_BLOCK, /* anything not listed: a text boundary */
        T_INLINE,
        T_BR,
        T_A,
        T_H,
        T_IMG,
        T_HTML,
        T_HIDE, /* template, noscript, select: not text */
        T_HEAD, /* hidden too; its meta children are OpenGraph's */
        T_BODY, /* a block */
        T_TITLE,
        T_META,
        T_LINK,
        T_BASE,
        T_SCRIPT,
        T_STYLE,
};

#define TAG_IS(name, n, lit) (memcmp((name), (lit), (n)) == 0)

/* The kind of an element by its (lower-case) name; *level for h1-h6. A
 * switch on the length then memcmp: cheaper than libxml2's table lookup. */
static enum tag tag_kind(const xmlChar *xname, int *level)
{
        const char *name = (const char *)xname;
        size_t n = strlen(name);

        switch (n) {
        case 1:
                if (name[0] == 'a')
                        return T_A;
                if (strchr("biqsu", name[0]))
                        return T_INLINE;
                return T_BLOCK;
        case 2:
                if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6') {
                        *level = name[1] - '0';
                        return T_H;
                }
                if (TAG_IS(name, 2, "br"))
                        return T_BR;
                if (TAG_IS(name, 2, "em") || TAG_IS(name, 2, "tt") ||
                    TAG_IS(name, 2, "rp") || TAG_IS(name, 2, "rt"))
                        return T_INLINE;
                return T_BLOCK;
        case 3:
                if (TAG_IS(name, 3, "img"))
                        return T_IMG;
                if (TAG_IS(name, 3, "sub") || TAG_IS(name, 3, "sup") ||
                    TAG_IS(name, 3, "del") || TAG_IS(name, 3, "ins") ||
                    TAG_IS(name, 3, "kbd") || TAG_IS(name, 3, "var") ||
                    TAG_IS(name, 3, "bdi") || TAG_IS(name, 3, "bdo") ||
                    TAG_IS(name, 3, "dfn") || TAG_IS(name, 3, "big") ||
                    TAG_IS(name, 3, "wbr"))
                        return T_INLINE;
                return T_BLOCK;
        case 4:
                if (TAG_IS(name, 4, "span") || TAG_IS(name, 4, "abbr") ||
                    TAG_IS(name, 4, "cite") || TAG_IS(name, 4, "code") ||
                    TAG_IS(name, 4, "font") || TAG_IS(name, 4, "mark") ||
                    TAG_IS(name, 4, "time") || TAG_IS(name, 4, "data") ||
                    TAG_IS(name, 4, "samp") || TAG_IS(name, 4, "nobr") ||
                    TAG_IS(name, 4, "ruby"))
                        return T_INLINE;
                if (TAG_IS(name, 4, "meta"))
                        return T_META;
                if (TAG_IS(name, 4, "link"))
                        return T_LINK;
                if (TAG_IS(name, 4, "html"))
                        return T_HTML;
                if (TAG_IS(name, 4, "head"))
                        return T_HEAD;
                if (TAG_IS(name, 4, "body"))
                        return T_BODY;
                if (TAG_IS(name, 4, "base"))
                        return T_BASE;
                return T_BLOCK;
        case 5:
                if (TAG_IS(name, 5, "small") || TAG_IS(name, 5, "label"))
                        return T_INLINE;
                if (TAG_IS(name, 5, "title"))
                        return T_TITLE;
                if (TAG_IS(name, 5, "style"))
                        return T_STYLE;
                return T_BLOCK;
        case 6:
                if (TAG_IS(name, 6, "strong") || TAG_IS(name, 6, "strike"))
                        return T_INLINE;
                if (TAG_IS(name, 6, "script"))
                        return T_SCRIPT;
                if (TAG_IS(name, 6, "select"))
                        return T_HIDE;
                return T_BLOCK;
        case 7:
                if (TAG_IS(name, 7, "acronym"))
                        return T_INLINE;
                return T_BLOCK;
        case 8:
                if (TAG_IS(name, 8, "template") || TAG_IS(name, 8, "noscript"))
                        return T_HIDE;
                return T_BLOCK;
        default:
                return T_BLOCK;
        }
}

/* An element's attributes, from either front end: the DOM's attribute
 * list (each value one text child, entities already decoded) or a SAX
 * event's name/value pairs. A value-less attribute reads as "". */
typedef struct elem {
        xmlAttrPtr prop;      /* DOM                                    */
        const xmlChar **atts; /* SAX: NULL-terminated pairs, may be NULL */
} elem_t;

/* The next attribute of *e (consumed); 0 when there is none left. */
static int attr_next(elem_t *e, const xmlChar **name, const xmlChar **value)
{
        if (e->atts != NULL) {
                if (e->atts[0] == NULL)
                        return 0;
                *name = e->atts[0];
                *value = e->atts[1] ? e->atts[1] : (const xmlChar *)"";
                e->atts += 2;
                return 1;
        }
        if (e->prop == NULL)
                return 0;
        *name = e->prop->name;
        *value = (e->prop->children && e->prop->children->content)
                         ? e->prop->children->content
                         : (const xmlChar *)"";
        e->prop = e->prop->next;
        return 1;
}

/* An attribute's value, or NULL when the element has none of that name.
 * Only valid during the event (SAX): keep() what outlives it. */
static const xmlChar *attr_get(const elem_t *e, const char *name)
{
        elem_t it = *e;
        const xmlChar *n, *v;

        while (attr_next(&it, &n, &v))
                if (ci_eq(n, name))
                        return v;
        return NULL;
}

/* A string that must outlive the event it came from: the DOM's own (it
 * lives as long as the document), or a copy in the page's arena (SAX).
 * NULL stays NULL; on allocation failure sets x->f->oom and returns NULL. */
/* The product token <meta name=...> robots directives are read for. */
static const char *scan_robots_token(const scan_t *x)
{
        const char *t = x->f->page->robots_token;

        return t && *t ? t : "kcrawl";
}

static const xmlChar *keep(scan_t *x, const xmlChar *s)
{
        size_t n;
        char *p;

        if (s == NULL || !x->sax)
                return s;
        n = strlen((const char *)s) + 1;
        p = pagefacts_alloc(x->f, n);
        if (p == NULL)
                return NULL;
        memcpy(p, s, n);
        return (const xmlChar *)p;
}

/* A <meta> or <link>'s attributes for structured.c: name, value pairs,
 * NULL-terminated, at most 32. */
static void attrs_of(const elem_t *e, const char *attrs[65])
{
        const xmlChar *an, *v;
        elem_t it = *e;
        size_t k = 0;

        while (k < 64 && attr_next(&it, &an, &v)) {
                attrs[k++] = (const char *)an;
                attrs[k++] = (const char *)v;
        }
        attrs[k] = NULL;
}

/* The page's structured data sees every <meta> (OpenGraph's are the
 * children of <head> or <body>) and every <link>. */
static void structured_elem(scan_t *x, const elem_t *e, int is_link, int depth)
{
        const char *attrs[65];
        int where = -1;

        if (x->f->sd == NULL)
                return;
        attrs_of(e, attrs);
        if (x->head_depth != 0 && depth == x->head_depth + 1)
                where = OPENGRAPH_HEAD;
        else if (x->body_depth != 0 && depth == x->body_depth + 1)
                where = OPENGRAPH_BODY;
        if ((is_link ? structured_link(x->f->sd, attrs)
                     : structured_meta(x->f->sd, where, attrs)) < 0)
                x->f->oom = 1;
}

static void structured_prefix_of(scan_t *x, const elem_t *e, int where)
{
        const xmlChar *v;

        if (x->f->sd == NULL)
                return;
        v = attr_get(e, "prefix");
        if (v != NULL &&
            structured_prefix(x->f->sd, where, (const char *)v) < 0)
                x->f->oom = 1;
}

static void on_meta(scan_t *x, const elem_t *e, int depth)
{
        const xmlChar *name = NULL, *property = NULL, *content = NULL;
        const xmlChar *prop, *an, *v;
        elem_t it = *e;

        structured_elem(x, e, 0, depth);
        while (attr_next(&it, &an, &v)) {
                if (ci_eq(an, "name") && name == NULL)
                        name = v;
                else if (ci_eq(an, "property") && property == NULL)
                        property = v;
                else if (ci_eq(an, "content") && content == NULL)
                        content = v;
        }
        if (content == NULL)
                return;
        if (name != NULL) {
                if (x->description == NULL && ci_eq(name, "description"))
                        x->description = keep(x, content);
                else if (x->robots == NULL && ci_eq(name, "robots"))
                        x->robots = keep(x, content);
                else if (x->robots_mine == NULL &&
                         ci_eq(name, scan_robots_token(x)))
                        x->robots_mine = keep(x, content);
                else if (x->tdm_reservation == NULL &&
                         ci_eq(name, "tdm-reservation"))
                        x->tdm_reservation = keep(x, content);
                else if (x->tdm_policy == NULL && ci_eq(name, "tdm-policy"))
                        x->tdm_policy = keep(x, content);
        }
        /* OpenGraph: property="og:..."; some pages write name="og:...". */
        prop = property != NULL ? property : name;
        if (prop != NULL && ascii_lower(prop[0]) == 'o' &&
            ascii_lower(prop[1]) == 'g' && prop[2] == ':' && prop[3] != '\0') {
                size_t i;

                for (i = 0; i < x->f->n_og; i++)
                        if (strcmp((const char *)x->f->og[i].key,
                                   (const char *)prop + 3) == 0)
                                return; /* the first one counts */
                if (x->f->n_og >= EXTRACT_OG_MAX) {
                        x->f->capped |= PF_CAP_OG;
                        return;
                }
                x->f->og[x->f->n_og].key = keep(x, prop + 3);
                x->f->og[x->f->n_og].content = keep(x, content);
                if (x->f->og[x->f->n_og].key != NULL &&
                    x->f->og[x->f->n_og].content != NULL)
                        x->f->n_og++;
        }
}

static int is_jsonld(const elem_t *e)
{
        const xmlChar *type = attr_get(e, "type");
        static const char want[] = "application/ld+json";
        size_t n = sizeof(want) - 1, i;

        if (type == NULL)
                return 0;
        while (is_ws(*type))
                type++;
        for (i = 0; i < n; i++)
                if (ascii_lower(type[i]) != (unsigned char)want[i])
                        return 0;
        type += n;
        while (is_ws(*type))
                type++;
        return *type == '\0' || *type == ';';
}

/* Starts a JSON-LD block; its text is added by jsonld_add() until
 * jsonld_end(). */
static void jsonld_begin(scan_t *x)
{
        pf_jsonld_t *j = &x->f->jsonld[x->f->n_jsonld++];

        j->off = x->f->jsonld_text.len;
        j->len = 0;
        j->over = 0;
}

/* Appends text to the open block (the last one); one over
 * EXTRACT_JSONLD_BYTES_MAX is marked and its text dropped. */
static void jsonld_add(scan_t *x, const void *s, size_t len)
{
        pf_jsonld_t *j = &x->f->jsonld[x->f->n_jsonld - 1];

        if (j->over)
                return;
        if (len > EXTRACT_JSONLD_BYTES_MAX - j->len) {
                j->over = 1;
                x->f->jsonld_text.len = j->off;
                return;
        }
        if (dynbuf_add(&x->f->jsonld_text, s, len) < 0) {
                x->f->oom = 1;
                return;
        }
        j->len += len;
}

static const char *elem_attr(const void *e, const char *name)
{
        return (const char *)attr_get(e, name);
}

/* An <img>'s source (lazyimg.h), kept as long as the facts; a placeholder
 * src when there is nothing better. NULL when none (or out of memory). */
static const xmlChar *img_src(scan_t *x, const elem_t *e)
{
        char first[2048];
        const char *v = lazyimg_src(elem_attr, e, first, sizeof(first));
        size_t n;
        char *p;

        if (v == NULL)
                return keep(x, attr_get(e, "src"));
        if (v != first)
                return keep(x, (const xmlChar *)v);
        n = strlen(first) + 1;
        p = pagefacts_alloc(x->f, n);
        if (p == NULL)
                return NULL;
        memcpy(p, first, n);
        return (const xmlChar *)p;
}

/* True when the element's own attributes hide it (visibility.h). Only
 * names beginning with h or s are looked at further. */
static int elem_hides(const elem_t *e)
{
        elem_t it = *e;
        const xmlChar *n, *v;

        while (attr_next(&it, &n, &v))
                if ((n[0] | 0x20) == 'h' || (n[0] | 0x20) == 's')
                        if (visibility_attr_hides((const char *)n,
                                                  (const char *)v))
                                return 1;
        return 0;
}

/* Entering an element at depth (>= 1); returns 0 when its children are to
 * be skipped. An element hidden by its own markup is left out of the text
 * with its subtree (its links, headings and images are still read). */
static int on_enter(scan_t *x, const elem_t *e, enum tag kind, int level,
                    int depth)
{
        const xmlChar *v;

        if (x->hidden_depth == 0 && elem_hides(e)) {
                x->hidden_depth = depth;
                x->hidden++;
        }
        switch (kind) {
        case T_INLINE:
                break;
        case T_BLOCK:
        case T_BR:
                text_break(x);
                break;
        case T_A:
                if (x->link_c.depth != 0)
                        break;
                v = attr_get(e, "href");
                if (v == NULL)
                        break;
                if (x->f->n_anchors >= EXTRACT_ANCHORS_MAX) {
                        x->f->capped |= PF_CAP_LINKS;
                        break;
                }
                if (array_reserve((void **)&x->f->anchors, &x->f->cap_anchors,
                                  x->f->n_anchors, sizeof(pf_anchor_t)) < 0) {
                        x->f->oom = 1;
                        return 0;
                }
                x->f->anchors[x->f->n_anchors].href = keep(x, v);
                x->f->anchors[x->f->n_anchors].rel =
                        keep(x, attr_get(e, "rel"));
                x->f->anchors[x->f->n_anchors].text_off = x->f->link_text.len;
                x->f->anchors[x->f->n_anchors].text_len = 0;
                x->f->n_anchors++;
                collector_start(&x->link_c, &x->f->link_text,
                                EXTRACT_SHORT_MAX, depth);
                break;
        case T_H:
                text_break(x);
                if (x->heading_c.depth != 0)
                        break;
                if (x->f->n_headings >= EXTRACT_HEADINGS_MAX) {
                        x->f->capped |= PF_CAP_HEADINGS;
                        break;
                }
                if (array_reserve((void **)&x->f->headings,
                                  &x->f->cap_headings, x->f->n_headings,
                                  sizeof(pf_heading_t)) < 0) {
                        x->f->oom = 1;
                        return 0;
                }
                x->f->headings[x->f->n_headings].level = level;
                x->f->headings[x->f->n_headings].text_off =
                        x->f->heading_text.len;
                x->f->headings[x->f->n_headings].text_len = 0;
                x->f->n_headings++;
                collector_start(&x->heading_c, &x->f->heading_text,
                                EXTRACT_SHORT_MAX, depth);
                break;
        case T_IMG:
                v = img_src(x, e);
                if (v == NULL || *v == '\0')
                        break;
                if (x->f->n_img_raw >= EXTRACT_IMAGES_MAX) {
                        x->f->capped |= PF_CAP_IMAGES;
                        break;
                }
                if (array_reserve((void **)&x->f->img_raw, &x->f->cap_img_raw,
                                  x->f->n_img_raw, sizeof(pf_img_raw_t)) < 0) {
                        x->f->oom = 1;
                        return 0;
                }
                x->f->img_raw[x->f->n_img_raw].src = v;
                x->f->img_raw[x->f->n_img_raw].alt =
                        keep(x, attr_get(e, "alt"));
                x->f->n_img_raw++;
                break;
        case T_HTML:
                if (!x->html_seen) {
                        x->html_seen = 1;
                        x->f->lang = keep(x, attr_get(e, "lang"));
                        structured_prefix_of(x, e, OPENGRAPH_HTML);
                }
                break;
        case T_HEAD:
                if (x->head_depth == 0) {
                        x->head_depth = depth;
                        structured_prefix_of(x, e, OPENGRAPH_HEAD);
                }
                x->hidden++;
                break;
        case T_BODY:
                if (x->body_depth == 0) {
                        x->body_depth = depth;
                        structured_prefix_of(x, e, OPENGRAPH_BODY);
                }
                text_break(x);
                break;
        case T_HIDE:
                x->hidden++;
                break;
        case T_TITLE:
                x->hidden++;
                if (!x->title_done && x->title_c.depth == 0)
                        collector_start(&x->title_c, &x->f->title,
                                        EXTRACT_SHORT_MAX, depth);
                break;
        case T_META:
                on_meta(x, e, depth);
                break;
        case T_LINK:
                structured_elem(x, e, 1, depth);
                if (x->canonical == NULL) {
                        v = attr_get(e, "rel");
                        if (v != NULL && has_token(v, "canonical"))
                                x->canonical = keep(x, attr_get(e, "href"));
                }
                break;
        case T_BASE:
                if (x->base_href == NULL)
                        x->base_href = keep(x, attr_get(e, "href"));
                break;
        case T_SCRIPT:
                if (is_jsonld(e)) {
                        if (x->f->n_jsonld < EXTRACT_JSONLD_MAX) {
                                jsonld_begin(x);
                                x->jsonld_depth = depth;
                        } else {
                                x->f->capped |= PF_CAP_JSONLD;
                        }
                }
                return 0;
        case T_STYLE:
                return 0;
        }
        return 1;
}

static void on_leave(scan_t *x, enum tag kind, int depth)
{
        if (x->hidden_depth == depth) {
                x->hidden_depth = 0;
                x->hidden--;
        }
        switch (kind) {
        case T_BLOCK:
        case T_BR:
                text_break(x);
                break;
        case T_A:
                if (x->link_c.depth == depth) {
                        pf_anchor_t *a = &x->f->anchors[x->f->n_anchors - 1];

                        a->text_len = x->f->link_text.len - a->text_off;
                        x->link_c.depth = 0;
                }
                break;
        case T_H:
                if (x->heading_c.depth == depth) {
                        pf_heading_t *h =
                                &x->f->headings[x->f->n_headings - 1];

                        h->text_len = x->f->heading_text.len - h->text_off;
                        x->heading_c.depth = 0;
                }
                text_break(x);
                break;
        case T_HIDE:
                x->hidden--;
                break;
        case T_HEAD:
                if (x->head_depth == depth)
                        x->head_depth = 0;
                x->hidden--;
                break;
        case T_BODY:
                if (x->body_depth == depth)
                        x->body_depth = 0;
                text_break(x);
                break;
        case T_TITLE:
                x->hidden--;
                if (x->title_c.depth == depth) {
                        x->title_c.depth = 0;
                        x->title_done = 1;
                }
                break;
        case T_SCRIPT:
                if (x->jsonld_depth == depth)
                        x->jsonld_depth = 0;
                break;
        default:
                break;
        }
}

/* ------------------------------------------------------------------ */
/* The CPU-time budget                                                 */

#define BUDGET_EVERY 64 /* events between looks at the (coarse) wall clock */

static void budget_start(scan_t *x, long budget_ms)
{
        if (budget_ms <= 0)
                return;
        x->budget_ns = (long long)budget_ms * 1000000LL;
        x->cpu0_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        x->wall0_ns = clock_ns(CLOCK_MONOTONIC_COARSE);
        x->wall_next_ns = x->wall0_ns + x->budget_ns;
}

/* Whether the budget is spent, reading the thread's CPU clock (a system
 * call here, some 1.6 us) only when the wall clock (a cheap coarse one)
 * says the rest of the budget may have gone. */
static int budget_over(scan_t *x)
{
        long long now, used;

        if (x->budget_ns == 0 || x->timed_out)
                return x->timed_out;
        now = clock_ns(CLOCK_MONOTONIC_COARSE);
        if (now < x->wall_next_ns)
                return 0;
        used = clock_ns(CLOCK_THREAD_CPUTIME_ID) - x->cpu0_ns;
        if (used >= x->budget_ns) {
                x->timed_out = 1;
                return 1;
        }
        x->wall_next_ns = now + (x->budget_ns - used);
        return 0;
}

/* One parser event of `weight` (1, more for a costly one): every
 * BUDGET_EVERY, whether the budget is spent; stops the parse when it is. */
static void budget_tick(scan_t *x, unsigned weight)
{
        x->ticks += weight;
        if (x->ticks < BUDGET_EVERY)
                return;
        x->ticks = 0;
        if (xmlarena_over(x->f->xarena) && x->ctxt != NULL) {
                x->mem_over = 1;
                xmlStopParser(x->ctxt);
                return;
        }
        if (x->budget_ns == 0)
                return;
        if (budget_over(x) && x->ctxt != NULL)
                xmlStopParser(x->ctxt);
}

/* A start tag's weight: its attributes cost the parser more than one
 * event (prescan.h). */
static unsigned atts_weight(const xmlChar **atts)
{
        size_t i;

        for (i = 0; atts != NULL && atts[i] != NULL; i += 2)
                if (i >= 2 * 32)
                        return BUDGET_EVERY;
        return 1;
}

/* The DOM front end: visits every node in document order, iteratively (a
 * deep page cannot exhaust the stack). Elements are entered on the way down
 * and left on the way up. Used when the tree is asked for (or needed). */
static void walk(scan_t *x, xmlDocPtr doc)
{
        xmlNodePtr cur = doc->children;
        int depth = 1;

        while (cur != NULL && !x->f->oom) {
                int descend = 0, level = 0;

                budget_tick(x, 1);
                if (x->timed_out)
                        break;

                if (cur->type == XML_ELEMENT_NODE) {
                        enum tag kind = tag_kind(cur->name, &level);
                        elem_t e = { cur->properties, NULL };
                        xmlNodePtr c;

                        descend = on_enter(x, &e, kind, level, depth);
                        /* A JSON-LD block's text: its text children. */
                        for (c = cur->children;
                             x->jsonld_depth == depth && c != NULL;
                             c = c->next)
                                if (c->content != NULL)
                                        jsonld_add(x, c->content,
                                                   strlen((const char *)
                                                                  c->content));
                } else if (cur->type == XML_TEXT_NODE ||
                           cur->type == XML_CDATA_SECTION_NODE) {
                        if (cur->content != NULL)
                                text_add(x, cur->content,
                                         strlen((const char *)cur->content));
                }
                if (descend && cur->children != NULL) {
                        cur = cur->children;
                        depth++;
                        continue;
                }
                /* Leave cur and every ancestor that has no next sibling. */
                while (cur != NULL) {
                        if (cur->type == XML_ELEMENT_NODE) {
                                level = 0;
                                on_leave(x, tag_kind(cur->name, &level),
                                         depth);
                        }
                        if (cur->next != NULL) {
                                cur = cur->next;
                                break;
                        }
                        cur = cur->parent;
                        depth--;
                        if (cur == NULL || cur->type != XML_ELEMENT_NODE)
                                cur = NULL;
                }
        }
}

/* The SAX front end: the same enter/leave/text calls from libxml2's parser
 * events, with no tree built. libxml2 2.9's HTML parser emits the same
 * events whether or not a tree is built (it reads the tree only to class
 * blank text, which it then reports either way); what the tree builder
 * adds is mirrored here: text outside any element is dropped, and the
 * children of a skipped element (script, style) are not visited, a JSON-LD
 * script's text excepted. Elements still open when the parser stops are
 * left, innermost first, as the walk would. */
static void sax_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
        scan_t *x = ((xmlParserCtxtPtr)ctx)->_private;
        static const xmlChar *no_atts[] = { NULL };
        elem_t e = { NULL, atts != NULL ? atts : no_atts };
        enum tag kind;
        int level = 0;

        budget_tick(x, atts_weight(atts));
        if (x->timed_out)
                return;
        if (x->f->oom || dynbuf_add(&x->kinds, &(char){ 0 }, 1) < 0) {
                x->f->oom = 1;
                return;
        }
        x->depth++;
        if (x->skip_depth != 0)
                kind = T_INLINE; /* inside script or style: not looked at */
        else
                kind = tag_kind(name, &level);
        x->kinds.data[x->kinds.len - 1] = (char)kind;
        if (x->skip_depth == 0 && !on_enter(x, &e, kind, level, x->depth))
                x->skip_depth = x->depth;
}

static void sax_leave(scan_t *x)
{
        enum tag kind = (enum tag)x->kinds.data[--x->kinds.len];

        if (x->skip_depth == 0 || x->skip_depth == x->depth)
                on_leave(x, kind, x->depth);
        if (x->skip_depth == x->depth)
                x->skip_depth = 0;
        x->depth--;
}

static void sax_end(void *ctx, const xmlChar *name)
{
        scan_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (x->depth > 0 && !x->f->oom && !x->timed_out)
                sax_leave(x);
}

static void sax_text(void *ctx, const xmlChar *s, int len)
{
        scan_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (x->depth == 0 || len <= 0 || x->f->oom || x->timed_out)
                return;
        if (x->skip_depth == 0)
                text_add(x, s, (size_t)len);
        else if (x->jsonld_depth == x->depth)
                jsonld_add(x, s, (size_t)len);
}

static const xmlSAXHandlerV1 sax_handler = {
        .startElement = sax_start,
        .endElement = sax_end,
        .characters = sax_text,
        .cdataBlock = sax_text,
        .initialized = 1,
};

/* The DOM front end's parse: the tree builder's callbacks, each first
 * counting against the budget. */
/* Whether a script or style opened under parent has its text read by
 * the record: by RDFa (the literal of an element with a property), or
 * for a style, by the article metadata (the text of an itemprop, <time>
 * or <a> element, articlemeta.c). */
static int raw_text_read(xmlNodePtr parent, int style)
{
        for (xmlNodePtr a = parent; a != NULL && a->type == XML_ELEMENT_NODE;
             a = a->parent) {
                if (xmlHasProp(a, (const xmlChar *)"property"))
                        return 1;
                if (style && (xmlHasProp(a, (const xmlChar *)"itemprop") ||
                              xmlStrEqual(a->name, (const xmlChar *)"time") ||
                              xmlStrEqual(a->name, (const xmlChar *)"a")))
                        return 1;
        }
        return 0;
}

/* A script or style opens: was its text taken out (scan_html())? Each
 * one taken out must open exactly where the prescan saw its start tag
 * end, else the prescan tokenised the page otherwise than libxml2 and the
 * page is parsed again as it is (elided_bad). Returns the body when its
 * text was taken out but the record reads it (a JSON-LD block, one with
 * a property, a style with an itemprop, or one under raw_text_read()'s
 * elements): it is put back. */
/* Whether a script with these attributes is JSON-LD to a reader of the
 * tree: its type holds "ld+json", any case (articlemeta.c and
 * maincontent.c look for that; pagescan.c's is_jsonld() for less). */
static int script_is_jsonld(const xmlChar **atts)
{
        for (size_t k = 0; atts != NULL && atts[k] != NULL; k += 2)
                if (xmlStrEqual(atts[k], (const xmlChar *)"type"))
                        return atts[k + 1] != NULL &&
                               strcasestr((const char *)atts[k + 1],
                                          "ld+json") != NULL;
        return 0;
}

/* Whether atts has an attribute of that name: the element's own text is
 * read like its ancestors' (raw_text_read()). */
static int atts_have(const xmlChar **atts, const char *name)
{
        for (size_t k = 0; atts != NULL && atts[k] != NULL; k += 2)
                if (xmlStrEqual(atts[k], (const xmlChar *)name))
                        return 1;
        return 0;
}

static const prescan_body_t *elided_check(scan_t *x, xmlParserCtxtPtr ctxt,
                                          const xmlChar *name,
                                          const xmlChar **atts)
{
        xmlParserInputPtr in = ctxt->input;
        const prescan_body_t *b;
        size_t pos;
        int style;

        if (name[0] != 's' || x->elided_bad || x->elided_next >= x->elided_n ||
            in == NULL)
                return NULL;
        style = xmlStrEqual(name, (const xmlChar *)"style");
        if (!style && !xmlStrEqual(name, (const xmlChar *)"script"))
                return NULL;
        pos = (size_t)in->consumed + (size_t)(in->cur - in->base);
        b = &x->elided[x->elided_next];
        if (pos < b->gt)
                return NULL; /* one that kept its text */
        x->elided_next++;
        if (pos > b->gt) {
                x->elided_bad = 1;
                return NULL;
        }
        return (!style && script_is_jsonld(atts)) ||
                               atts_have(atts, "property") ||
                               (style && atts_have(atts, "itemprop")) ||
                               raw_text_read(ctxt->node, style)
                       ? b
                       : NULL;
}

/* The text libxml2 would have given the element b is the body of (just
 * opened): htmlParseScript() drops the characters that are not XML Chars
 * (the C0 controls but tab, LF and CR; U+FFFE, U+FFFF: the page is valid
 * UTF-8, charset.h), and the tree builder concatenates its pieces into
 * one node. */
static void elided_restore(scan_t *x, xmlParserCtxtPtr ctxt,
                           const prescan_body_t *b)
{
        const unsigned char *s =
                (const unsigned char *)x->elided_src + b->from;
        size_t n = b->to - b->from, k, out = 0;
        unsigned char *t = malloc(n + 1);

        if (t == NULL) {
                x->f->oom = 1;
                return;
        }
        for (k = 0; k < n; k++) {
                if ((s[k] < 0x20 && s[k] != '\t' && s[k] != '\n' &&
                     s[k] != '\r') ||
                    (s[k] == 0xEF && k + 2 < n && s[k + 1] == 0xBF &&
                     (s[k + 2] == 0xBE || s[k + 2] == 0xBF))) {
                        if (s[k] == 0xEF)
                                k += 2;
                        continue;
                }
                t[out++] = s[k];
        }
        t[out] = '\0';
        if (out > 0)
                x->dom_cdata(ctxt, t, (int)out);
        free(t);
}

/* A start tag's attributes are handed over: were values of it taken out
 * (scan_html())? Each such tag's attributes must end exactly where the
 * prescan saw them end, with as many attributes, an empty value for each
 * taken out, under the same name, else the prescan tokenised the page
 * otherwise than libxml2 and the page is parsed again as it is
 * (elided_bad). Returns the tag when its values are to be put back. */
/* Whether atts are those of tag t with its values taken out. */
static int values_match(const scan_t *x, const prescan_tag_t *t,
                        const xmlChar **atts)
{
        size_t natts = 0;

        if (atts == NULL)
                return 0;
        while (atts[2 * natts] != NULL)
                natts++;
        if (natts != t->natts)
                return 0;
        for (size_t k = 0; k < t->n; k++) {
                const prescan_value_t *v = &x->vals->v[t->first + k];
                const xmlChar *n = atts[2 * v->index];
                const xmlChar *val = atts[2 * v->index + 1];

                if (val == NULL || val[0] != '\0' ||
                    strlen((const char *)n) != v->name_len ||
                    strncasecmp((const char *)n, x->elided_src + v->name,
                                v->name_len) != 0)
                        return 0;
        }
        return 1;
}

static const prescan_tag_t *values_check(scan_t *x, xmlParserCtxtPtr ctxt,
                                         const xmlChar **atts)
{
        xmlParserInputPtr in = ctxt->input;
        const prescan_tag_t *t;
        size_t pos;

        if (x->elided_bad || x->vals_next >= x->vals->tags_n || in == NULL)
                return NULL;
        pos = (size_t)in->consumed + (size_t)(in->cur - in->base);
        t = &x->vals->tags[x->vals_next];
        if (pos < t->end)
                return NULL; /* a tag that kept its values */
        x->vals_next++;
        if (pos > t->end || !values_match(x, t, atts)) {
                x->elided_bad = 1;
                return NULL;
        }
        return t;
}

/* The values of tag t put back in atts (the originals kept in saved),
 * each NUL-terminated in vals_buf: libxml2 hands a copy of each to the
 * tree. Returns 0, or -1 out of memory (atts untouched). */
static int values_restore(scan_t *x, const prescan_tag_t *t,
                          const xmlChar **atts, const xmlChar **saved)
{
        size_t need = 0, at = 0;

        for (size_t k = 0; k < t->n; k++) {
                const prescan_value_t *v = &x->vals->v[t->first + k];

                need += v->to - v->from + 1;
        }
        x->vals_buf.len = 0;
        if (dynbuf_reserve(&x->vals_buf, need) < 0) {
                x->f->oom = 1;
                return -1;
        }
        for (size_t k = 0; k < t->n; k++) {
                const prescan_value_t *v = &x->vals->v[t->first + k];
                char *d = x->vals_buf.data + at;

                memcpy(d, x->elided_src + v->from, v->to - v->from);
                d[v->to - v->from] = '\0';
                at += v->to - v->from + 1;
                saved[k] = atts[2 * v->index + 1];
                atts[2 * v->index + 1] = (const xmlChar *)d;
        }
        return 0;
}

static void dom_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
        scan_t *x = ((xmlParserCtxtPtr)ctx)->_private;
        const xmlChar *saved[PRESCAN_TAG_ATTS_MAX];
        const prescan_body_t *back = NULL;
        const prescan_tag_t *vt = NULL;

        budget_tick(x, atts_weight(atts));
        if (x->timed_out)
                return;
        if (x->vals != NULL)
                vt = values_check(x, ctx, atts);
        if (vt != NULL && values_restore(x, vt, atts, saved) < 0)
                vt = NULL;
        if (x->elided_n != 0) /* with the values put back */
                back = elided_check(x, ctx, name, atts);
        x->dom_start(ctx, name, atts);
        if (vt != NULL) /* libxml2 frees its own */
                for (size_t k = 0; k < vt->n; k++)
                        atts[2 * x->vals->v[vt->first + k].index + 1] =
                                saved[k];
        if (back != NULL)
                elided_restore(x, ctx, back);
}

static void dom_end(void *ctx, const xmlChar *name)
{
        scan_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (!x->timed_out)
                x->dom_end(ctx, name);
}

static void dom_chars(void *ctx, const xmlChar *s, int len)
{
        scan_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (!x->timed_out)
                x->dom_chars(ctx, s, len);
}

static void dom_cdata(void *ctx, const xmlChar *s, int len)
{
        scan_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (!x->timed_out)
                x->dom_cdata(ctx, s, len);
}

static void dom_blank(void *ctx, const xmlChar *s, int len)
{
        scan_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (!x->timed_out)
                x->dom_blank(ctx, s, len);
}

/* Every error libxml2 reports (recovered tag soup: stray end tags, bad
 * names) is an event too: some cost the parser a search of its stack of
 * open elements, with no SAX callback in between. */
static void on_parse_error(void *ctx, xmlErrorPtr err)
{
        scan_t *x = ctx;
        xmlParserCtxtPtr ctxt = x->ctxt;

        budget_tick(x, 1);
        /* `</br>`: libxml2 2.9 drops it ("Unexpected end tag : br"; a br
         * is never open, so no other mismatch names it); browsers read it
         * as <br> (HTML's "an end tag whose tag name is br"). The same
         * start and end events go to either front end, so the tree gets
         * the element too. */
        if (err != NULL && err->code == XML_ERR_TAG_NAME_MISMATCH &&
            err->str1 != NULL && strcmp(err->str1, "br") == 0 &&
            ctxt != NULL && ctxt->sax != NULL &&
            ctxt->sax->startElement != NULL && ctxt->sax->endElement != NULL &&
            !x->timed_out) {
                ctxt->sax->startElement(ctxt, (const xmlChar *)"br", NULL);
                ctxt->sax->endElement(ctxt, (const xmlChar *)"br");
        }
}

/* A document of the page's parse no longer needed: its memory goes with
 * the page's arena, unless it has nodes from the heap (no arena, or one
 * over its cap). */
static void doc_drop(page_facts_t *f, xmlDocPtr doc)
{
        if (doc != NULL && (f->xarena == NULL || xmlarena_over(f->xarena)))
                xmlFreeDoc(doc);
}

/*
 * Parses utf8[0, len) as htmlReadMemory() does, with sax_handler's
 * callbacks instead of the tree builder's (`tree` 0), or with the tree
 * builder's wrapped (`tree` 1: returns the document, NULL when empty or on
 * failure).
 *
 * XML_PARSE_HUGE lifts the parser's hard-coded limits for both front ends
 * alike: without it the tree builder (nodePush()) stops the whole parse at
 * a depth of 256 open elements (xmlParserMaxDepth) and at a text node over
 * XML_MAX_TEXT_LENGTH, so a page with rules lost everything after the
 * 256th nested element while the SAX front end kept it. Depth costs the
 * parser one pointer per open element; --max-body bounds the page.
 */
static xmlDocPtr parse(scan_t *x, const char *utf8, int len, int tree)
{
        xmlParserCtxtPtr ctxt;
        xmlCharEncodingHandlerPtr hdlr;
        xmlStructuredErrorFunc old_serror = xmlStructuredError;
        void *old_serror_ctx = xmlStructuredErrorContext;
        xmlDocPtr doc = NULL;

        /* libxml2's allocations of the parse come from the page's arena
         * (the tree lives in it until pagefacts_free()). */
        xmlarena_enter(x->f->xarena);
        ctxt = xmlCreateMemoryParserCtxt(utf8, len);
        if (ctxt == NULL) {
                xmlarena_leave(x->f->xarena);
                x->f->oom = 1;
                return NULL;
        }
        if (tree) {
                xmlSAXHandler html;

                memset(&html, 0, sizeof(html));
                xmlSAX2InitHtmlDefaultSAXHandler(&html);
                memcpy(ctxt->sax, &html, sizeof(xmlSAXHandlerV1));
                x->dom_start = ctxt->sax->startElement;
                x->dom_end = ctxt->sax->endElement;
                x->dom_chars = ctxt->sax->characters;
                x->dom_cdata = ctxt->sax->cdataBlock;
                x->dom_blank = ctxt->sax->ignorableWhitespace;
                if (x->dom_start && x->dom_end && x->dom_chars &&
                    x->dom_cdata && x->dom_blank) {
                        ctxt->sax->startElement = dom_start;
                        ctxt->sax->endElement = dom_end;
                        ctxt->sax->characters = dom_chars;
                        ctxt->sax->cdataBlock = dom_cdata;
                        ctxt->sax->ignorableWhitespace = dom_blank;
                }
        } else {
                memcpy(ctxt->sax, &sax_handler, sizeof(sax_handler));
                x->sax = 1;
        }
        ctxt->_private = x;
        x->ctxt = ctxt;
        /* What htmlReadMemory() does before parsing. */
        htmlCtxtUseOptions(ctxt, PARSE_OPTIONS);
        ctxt->options |= XML_PARSE_HUGE;
        ctxt->html = 1;
        /* The tree builder registers every id attribute (and <a name>)
         * in the document's ID table, for XPath's id() and xmlGetID(),
         * and takes each out again as the tree is freed (about 1% of the
         * extraction of wcxb-dev's product pages). Only the rules' XPath
         * could read it (keep_raw); the modules find ids themselves. */
        if (tree && x->skip_ids)
                ctxt->loadsubset |= XML_SKIP_IDS;
        hdlr = xmlFindCharEncodingHandler("UTF-8");
        if (hdlr != NULL) {
                xmlSwitchToEncoding(ctxt, hdlr);
                if (ctxt->input->encoding != NULL)
                        xmlFree((xmlChar *)ctxt->input->encoding);
                ctxt->input->encoding = xmlStrdup((const xmlChar *)"UTF-8");
        }
        xmlSetStructuredErrorFunc(x, on_parse_error);
        htmlParseDocument(ctxt);
        xmlSetStructuredErrorFunc(old_serror_ctx, old_serror);
        if (!tree)
                while (x->depth > 0 && !x->f->oom)
                        sax_leave(x);
        doc = ctxt->myDoc;
        ctxt->myDoc = NULL;
        if (!tree && doc != NULL) { /* not built by these callbacks */
                doc_drop(x->f, doc);
                doc = NULL;
        }
        if (doc != NULL && ctxt->dictNames && doc->dict == ctxt->dict)
                ctxt->dict = NULL; /* the document's now (htmlDoRead()) */
        x->ctxt = NULL;
        xmlFreeParserCtxt(ctxt);
        xmlarena_leave(x->f->xarena);
        return doc;
}

/* ------------------------------------------------------------------ */
/* URLs                                                                */

const char *pagefacts_resolve(page_facts_t *f, const char *ref)
{
        const char *href, *hash;
        size_t len;
        char *copy;
        int r;

        if (f->urls == NULL) {
                f->urls = url_scratch_new();
                if (f->urls == NULL) {
                        f->oom = 1;
                        return NULL;
                }
        }
        /* strnlen: an over-long ref is refused without reading it all. */
        r = url_href_n(f->urls, ref, strnlen(ref, (size_t)URL_MAX_LEN + 1),
                       f->base, &href, &len);
        if (r == URL_ERR_NOMEM)
                f->oom = 1;
        if (r != URL_OK)
                return NULL;
        /* A serialised URL's first '#' starts its fragment: the path and
         * query percent-encode theirs. */
        hash = memchr(href, '#', len);
        if (hash != NULL)
                len = (size_t)(hash - href);
        if (len > EXTRACT_URL_MAX)
                return NULL;
        copy = pagefacts_alloc(f, len + 1);
        if (copy == NULL)
                return NULL;
        memcpy(copy, href, len);
        copy[len] = '\0';
        return copy;
}

/* A set of strings by hash (open addressing), for de-duplication. */
typedef struct strset {
        const char **slot;
        uint64_t *hash;
        size_t mask;
} strset_t;

static int strset_init(strset_t *set, size_t n)
{
        size_t size = 16;

        while (size < n * 2)
                size *= 2;
        set->slot = calloc(size, sizeof(*set->slot));
        set->hash = calloc(size, sizeof(*set->hash));
        set->mask = size - 1;
        if (set->slot == NULL || set->hash == NULL)
                return -1;
        return 0;
}

static void strset_free(strset_t *set)
{
        free(set->slot);
        free(set->hash);
}

/* Adds s (not copied); returns 1 when added, 0 when already there. The
 * caller never adds more than the n it was sized for. */
static int strset_add(strset_t *set, const char *s)
{
        /* Only membership is visible, so any hash gives the same record. */
        uint64_t h = hash_fnv1a64(s);
        size_t i = (size_t)h & set->mask;

        while (set->slot[i] != NULL) {
                if (set->hash[i] == h && strcmp(set->slot[i], s) == 0)
                        return 0;
                i = (i + 1) & set->mask;
        }
        set->slot[i] = s;
        set->hash[i] = h;
        return 1;
}

/* An attribute value trimmed and cut to EXTRACT_SHORT_MAX (pagefacts.h). */
const xmlChar *pagefacts_attr_trim(const xmlChar *v, size_t *len)
{
        size_t n;

        while (is_ws(*v))
                v++;
        n = strlen((const char *)v);
        while (n > 0 && is_ws(v[n - 1]))
                n--;
        *len = utf8_cut(v, n, EXTRACT_SHORT_MAX);
        return v;
}

/* Whether a Content-Type is HTML (a missing or empty one counts as HTML). */
static int is_html(const char *content_type)
{
        const char *p = content_type, *end;
        size_t n;

        if (p == NULL)
                return 1;
        while (is_ws((unsigned char)*p))
                p++;
        end = p;
        while (*end && *end != ';')
                end++;
        while (end > p && is_ws((unsigned char)end[-1]))
                end--;
        n = (size_t)(end - p);
        if (n == 0)
                return 1;
        return (n == 9 && strncasecmp(p, "text/html", 9) == 0) ||
               (n == 21 && strncasecmp(p, "application/xhtml+xml", 21) == 0);
}

/* ------------------------------------------------------------------ */
/* After the parse: what needs the whole page                          */

/* An attribute value with whitespace collapsed (and lower-cased when
 * lower), cut to EXTRACT_SHORT_MAX, into the facts; NULL stays NULL. */
static const char *collapse(scan_t *x, const xmlChar *v, int lower,
                            size_t *len)
{
        dynbuf_t b;
        collector_t c;
        char *copy;

        *len = 0;
        if (v == NULL)
                return NULL;
        dynbuf_init(&b, EXTRACT_SHORT_MAX + 1);
        collector_start(&c, &b, EXTRACT_SHORT_MAX, 0);
        collector_add(&c, v, strlen((const char *)v), NULL, &x->f->oom);
        if (lower)
                for (size_t i = 0; i < b.len; i++)
                        b.data[i] =
                                (char)ascii_lower((unsigned char)b.data[i]);
        copy = pagefacts_alloc(x->f, b.len + 1);
        if (copy != NULL) {
                if (b.len)
                        memcpy(copy, b.data, b.len);
                copy[b.len] = '\0';
                *len = b.len;
        }
        dynbuf_free(&b);
        return copy;
}

/* Links and images resolve against <base href> (itself resolved against
 * the final URL), else the final URL. */
static int finish_base(scan_t *x)
{
        page_facts_t *f = x->f;
        const char *final_url =
                f->page->final_url ? f->page->final_url : f->page->url;
        url_t *based = NULL;

        if (final_url != NULL &&
            url_parse(final_url, NULL, &f->base, NULL, 0) != URL_OK)
                f->base = NULL;
        if (x->base_href != NULL &&
            url_parse((const char *)x->base_href, f->base, &based, NULL, 0) ==
                    URL_OK) {
                url_destroy(f->base);
                f->base = based;
        }
        return 0;
}

static int finish_head(scan_t *x)
{
        page_facts_t *f = x->f;

        f->has_title = x->title_done || x->title_c.depth != 0;
        f->text_truncated = x->text_c.full;
        f->description = collapse(x, x->description, 0, &f->description_len);
        f->meta_robots = collapse(x, x->robots, 1, &f->meta_robots_len);
        if (x->canonical != NULL)
                f->canonical =
                        pagefacts_resolve(f, (const char *)x->canonical);
        return f->oom ? -1 : 0;
}

/* The record's links: each href resolved once, each URL kept once, in
 * document order, within EXTRACT_LINKS_MAX and EXTRACT_LIST_BYTES_MAX. */
static int finish_links(scan_t *x)
{
        page_facts_t *f = x->f;
        strset_t raw = { NULL, NULL, 0 }, seen = { NULL, NULL, 0 };
        size_t bytes = 0, i;
        int rc = -1;

        if (f->n_anchors == 0)
                return 0;
        f->links = calloc(f->n_anchors, sizeof(*f->links));
        if (f->links == NULL || strset_init(&raw, f->n_anchors) < 0 ||
            strset_init(&seen, f->n_anchors) < 0)
                goto out;
        for (i = 0; i < f->n_anchors && f->n_links < EXTRACT_LINKS_MAX; i++) {
                pf_anchor_t *a = &f->anchors[i];
                pf_link_t *l;
                const char *url;
                size_t cost;

                /* The same href resolves the same way: parse it once. */
                if (!strset_add(&raw, (const char *)a->href))
                        continue;
                url = pagefacts_resolve(f, (const char *)a->href);
                if (f->oom)
                        goto out;
                if (url == NULL)
                        continue;
                if (!strset_add(&seen, url))
                        continue;
                cost = strlen(url) + a->text_len;
                if (cost > EXTRACT_LIST_BYTES_MAX - bytes)
                        break; /* over the byte budget: stop here */
                bytes += cost;
                l = &f->links[f->n_links++];
                l->url = url;
                l->text = a->text_len ? f->link_text.data + a->text_off : "";
                l->text_len = a->text_len;
                if (a->rel != NULL)
                        l->rel = (const char *)pagefacts_attr_trim(
                                a->rel, &l->rel_len);
        }
        /* Stopped at a cap with anchors left: some may be new links. */
        if (i < f->n_anchors)
                f->capped |= PF_CAP_LINKS;
        rc = 0;
out:
        strset_free(&raw);
        strset_free(&seen);
        if (rc < 0)
                f->oom = 1;
        return rc;
}

/* The record's images: src resolved, within EXTRACT_LIST_BYTES_MAX. */
static int finish_images(scan_t *x)
{
        page_facts_t *f = x->f;
        size_t bytes = 0, i;

        if (f->n_img_raw == 0)
                return 0;
        f->images = calloc(f->n_img_raw, sizeof(*f->images));
        if (f->images == NULL) {
                f->oom = 1;
                return -1;
        }
        for (i = 0; i < f->n_img_raw && !f->oom; i++) {
                const pf_img_raw_t *r = &f->img_raw[i];
                const char *src = pagefacts_resolve(f, (const char *)r->src);
                size_t cost;

                if (src == NULL)
                        continue;
                cost = strlen(src) +
                       (r->alt ? strlen((const char *)r->alt) : 0);
                if (cost > EXTRACT_LIST_BYTES_MAX - bytes) {
                        f->capped |= PF_CAP_IMAGES;
                        break;
                }
                bytes += cost;
                f->images[f->n_images].src = src;
                f->images[f->n_images].alt = r->alt;
                f->n_images++;
        }
        return f->oom ? -1 : 0;
}

/*
 * The steps run after the parse of an HTML page, in order; each returns 0,
 * or -1 when memory ran out. To add a fact that needs the whole page (or
 * the tree: facts->doc when pagescan_opts_t.want_tree): a member in
 * page_facts_t, a step here after the ones it uses, and a part in
 * record.c that writes it.
 */
/* The structured data (structured.h): the JSON-LD blocks handed over,
 * then every field rendered, with the tree when there is one and URLs
 * against the page's base. */
static int finish_structured(scan_t *x)
{
        page_facts_t *f = x->f;

        if (f->sd == NULL)
                return 0;
        for (size_t i = 0; i < f->n_jsonld; i++) {
                const pf_jsonld_t *j = &f->jsonld[i];
                const unsigned char *s =
                        (const unsigned char *)(j->len ? f->jsonld_text.data +
                                                                 j->off
                                                       : "");

                if (structured_jsonld(f->sd, s, j->len, j->over) < 0) {
                        f->oom = 1;
                        return -1;
                }
        }
        if (structured_doc_url(f->sd, f->page->final_url ? f->page->final_url
                                                         : f->page->url) < 0 ||
            structured_finish(f->sd, f->doc, f->base) < 0) {
                f->oom = 1;
                return -1;
        }
        if (structured_capped(f->sd))
                f->capped |= PF_CAP_STRUCTURED;
        return 0;
}

static int (*const finish_steps[])(scan_t *x) = {
        finish_base,   finish_head,       finish_links,
        finish_images, finish_structured,
};

/* The record's meta: the header's JSON re-emitted, or the header as a
 * JSON string when it is not JSON. */
/* The compliance signals, for every page: robots directives and the TDM
 * reservation from the headers and (HTML) the meta tags. */
static void finish_signals(scan_t *x)
{
        page_facts_t *f = x->f;
        const page_t *page = f->page;
        size_t mine_len = 0, res_len = 0;
        const char *mine = collapse(x, x->robots_mine, 0, &mine_len);
        const char *res = collapse(x, x->tdm_reservation, 0, &res_len);

        robotsdirs_for_page(&f->robots, page->x_robots_tag, f->meta_robots,
                            f->meta_robots_len, mine, mine_len,
                            scan_robots_token(x));
        f->tdm_reserved = -1;
        if (page->tdm_reservation) {
                res = page->tdm_reservation;
                res_len = strlen(res);
        }
        while (res && res_len > 0 && (*res == ' ' || *res == '\t')) {
                res++;
                res_len--;
        }
        while (res && res_len > 0 &&
               (res[res_len - 1] == ' ' || res[res_len - 1] == '\t'))
                res_len--;
        if (res && res_len == 1 && (*res == '0' || *res == '1'))
                f->tdm_reserved = *res == '1';
        if (page->tdm_policy) {
                f->tdm_policy = page->tdm_policy;
                f->tdm_policy_len = strlen(page->tdm_policy);
        } else {
                f->tdm_policy =
                        collapse(x, x->tdm_policy, 0, &f->tdm_policy_len);
        }
}

static int finish_meta(page_facts_t *f)
{
        const unsigned char *meta = (const unsigned char *)f->page->meta;
        size_t len;
        dynbuf_t scratch;
        int r;

        if (meta == NULL)
                return 0;
        f->has_meta = 1;
        len = strlen((const char *)meta);
        dynbuf_init(&scratch, SIZE_MAX / 2);
        r = jsonvalue_reemit(meta, len, &f->meta_json, &scratch);
        if (r == 1) {
                f->meta_json.len = 0;
                r = jsonvalue_quote(&f->meta_json, meta, len);
        }
        dynbuf_free(&scratch);
        if (r < 0)
                f->oom = 1;
        return r < 0 ? -1 : 0;
}

/* Parses the decoded page and collects its facts; 0, -1 or
 * EXTRACT_TIMEOUT with errstr. */
/*
 * The page's tree: parsed without the raw text of the script and style
 * elements in bodies (prescan_page_bodies()) when there are any, which
 * libxml2 reads a character at a time and the tree would hold for nothing
 * (on real pages some half of the bytes). A body inside an element whose
 * text the record reads is put back as the element opens; the page is
 * parsed again as it is when the parse did not open those elements where
 * the prescan saw them (elided_check()). The same for the attribute
 * values in vals (prescan_page_elide()): parsed as "" and put back in the
 * attributes handed to the tree builder (values_check()). Records are
 * byte for byte those of a parse of the page as it is
 * (tests/bench/record_identity.sh, and fuzz_extract compares the two).
 * Frees bodies and vals.
 */
static xmlDocPtr parse_tree(scan_t *x, const char *utf8, size_t utf8_len,
                            prescan_bodies_t *bodies, prescan_values_t *vals)
{
        size_t cut = 0, at = 0, kb = 0, kv = 0, kt = 0;
        xmlDocPtr doc;
        char *buf = NULL;

        if (bodies->oom)
                prescan_bodies_free(bodies);
        if (vals->oom)
                prescan_values_free(vals);
        for (kb = 0; kb < bodies->n; kb++)
                cut += bodies->v[kb].to - bodies->v[kb].from;
        for (kv = 0; kv < vals->n; kv++)
                cut += vals->v[kv].to - vals->v[kv].from;
        if (cut != 0)
                buf = malloc(utf8_len - cut + 1);
        if (buf == NULL) {
                prescan_bodies_free(bodies);
                prescan_values_free(vals);
                return parse(x, utf8, (int)utf8_len, 1);
        }
        /* The bytes without the bodies and values (both in page order,
         * apart); each '>' then at its offset less the bytes taken out
         * before it. */
        cut = 0; /* the end of the last cut */
        kb = kv = 0;
        while (kb < bodies->n || kv < vals->n) {
                size_t from, to;

                if (kv == vals->n || (kb < bodies->n &&
                                      bodies->v[kb].from < vals->v[kv].from)) {
                        prescan_body_t *b = &bodies->v[kb++];

                        from = b->from;
                        to = b->to;
                        b->gt -= cut - at; /* the bytes taken out before */
                } else {
                        from = vals->v[kv].from;
                        to = vals->v[kv].to;
                        kv++;
                }
                /* The tags whose attributes end before this cut. */
                while (kt < vals->tags_n && vals->tags[kt].end < from)
                        vals->tags[kt++].end -= cut - at;
                memcpy(buf + at, utf8 + cut, from - cut);
                at += from - cut;
                cut = to;
        }
        while (kt < vals->tags_n)
                vals->tags[kt++].end -= cut - at;
        memcpy(buf + at, utf8 + cut, utf8_len - cut);
        at += utf8_len - cut;
        buf[at] = '\0';
        x->elided = bodies->v;
        x->elided_n = bodies->n;
        x->elided_next = 0;
        x->elided_bad = 0;
        x->elided_src = utf8;
        x->vals = vals->tags_n != 0 ? vals : NULL;
        x->vals_next = 0;
        doc = parse(x, buf, (int)at, 1);
        if (!x->timed_out &&
            (x->elided_bad || x->elided_next != x->elided_n ||
             (x->vals != NULL && x->vals_next != vals->tags_n))) {
                doc_drop(x->f, doc);
                x->elided_n = 0;
                x->vals = NULL;
                doc = parse(x, utf8, (int)utf8_len, 1);
        }
        x->elided = NULL;
        x->elided_n = 0;
        x->vals = NULL;
        free(buf);
        prescan_bodies_free(bodies);
        prescan_values_free(vals);
        return doc;
}

/* The cap on the memory of a page's parse (its arena, xmlarena.h): the
 * parse of a real page takes some 12-14 times its bytes, at most 34 (the
 * 3,356 parses of tools/bench/record_identity.sh's two sets). */
#define XMLARENA_PER_BYTE 64
#define XMLARENA_CAP(len) \
        ((size_t)16 * 1024 * 1024 + (size_t)XMLARENA_PER_BYTE * (len))

static int scan_html(scan_t *x, const char *utf8, size_t utf8_len,
                     int want_tree, int keep_raw, char *errstr,
                     size_t errstr_size)
{
        page_facts_t *f = x->f;
        prescan_bodies_t bodies = { 0 };
        prescan_values_t vals = { 0 };
        size_t natts, at = 0;
        htmlDocPtr doc = NULL;
        unsigned found = 0;

        if (utf8_len > INT_MAX) {
                snprintf(errstr, errstr_size,
                         "page of %zu bytes too large to parse", utf8_len);
                return -1;
        }
        x->skip_ids = !keep_raw;
        natts = prescan_page_elide(utf8, utf8_len, EXTRACT_ATTRS_MAX, &at,
                                   &found, keep_raw ? NULL : &bodies,
                                   keep_raw ? NULL : &vals);
        if (natts > EXTRACT_ATTRS_MAX) {
                prescan_bodies_free(&bodies);
                prescan_values_free(&vals);
                snprintf(errstr, errstr_size,
                         "the start tag at byte "
                         "%zu has over %d attributes (parsing it "
                         "would take time quadratic in them)",
                         at, EXTRACT_ATTRS_MAX);
                return EXTRACT_TIMEOUT;
        }
        /* Microdata reads the tree (itemref points anywhere): built for
         * a page with an itemscope attribute only. */
        if ((found & PRESCAN_ITEMSCOPE) && f->sd != NULL)
                structured_saw_itemscope(f->sd);
        if ((found & PRESCAN_RDFA) && f->sd != NULL)
                structured_saw_rdfa(f->sd);
        if ((found & PRESCAN_MF) && f->sd != NULL)
                structured_saw_microformats(f->sd);
        if (f->sd != NULL && structured_wants_tree(f->sd))
                want_tree = 1;
        /* Microformats' text and e-* HTML hold script and style text as
         * written: such a page's tree is built with it. */
        if (f->sd != NULL && structured_wants_raw(f->sd)) {
                prescan_bodies_free(&bodies);
                bodies = (prescan_bodies_t){ 0 };
        }
        /* Room up front for the usual size, so that the text does not
         * grow by copying: a text-heavy page's text is most of the page.
         * Memory not written to is not touched. */
        if (dynbuf_reserve(&f->text, utf8_len < EXTRACT_TEXT_MAX
                                             ? utf8_len
                                             : EXTRACT_TEXT_MAX) < 0) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        /* The DOM only when asked for, or for a page long enough to hold
         * a text node over libxml2's limit (the tree builder stops the
         * parse there). NULL for an empty document (or out of memory
         * inside libxml2, which it does not tell apart): the record then
         * has empty fields. */
        if (utf8_len > 0)
                f->xarena = xmlarena_new(XMLARENA_CAP(utf8_len));
        if (utf8_len > 0 && !want_tree && utf8_len <= XML_MAX_TEXT_LENGTH) {
                parse(x, utf8, (int)utf8_len, 0);
        } else if (utf8_len > 0) {
                doc = parse_tree(x, utf8, utf8_len, &bodies, &vals);
                /* The facts point into it: it lives as long as they do. */
                f->doc = doc;
                if (doc != NULL && !x->timed_out)
                        walk(x, doc);
        }
        prescan_bodies_free(&bodies);
        prescan_values_free(&vals);
        if (x->mem_over || xmlarena_over(f->xarena)) {
                snprintf(errstr, errstr_size,
                         "the page's tree took over %zu MiB "
                         "(%zu times its %zu bytes, and 16 MiB)",
                         (size_t)XMLARENA_CAP(utf8_len) >> 20,
                         (size_t)XMLARENA_PER_BYTE, utf8_len);
                return -1;
        }
        if (x->timed_out || budget_over(x)) {
                snprintf(errstr, errstr_size,
                         "page over its CPU-time "
                         "budget of %ld ms",
                         f->page->budget_ms);
                return EXTRACT_TIMEOUT;
        }
        if (f->oom) {
                snprintf(errstr, errstr_size, "out of memory extracting");
                return -1;
        }
        return 0;
}

int pagescan_run(const page_t *page, const pagescan_opts_t *opts,
                 page_facts_t **facts, char *errstr, size_t errstr_size)
{
        scan_t *x;
        page_facts_t *f;
        const char *utf8 = NULL;
        char *owned = NULL;
        size_t utf8_len = 0;
        int rc = -1;

        *facts = NULL;
        /* Some 6 KiB of state: on the heap, worker stacks may be small. */
        x = calloc(1, sizeof(*x));
        f = calloc(1, sizeof(*f));
        if (x == NULL || f == NULL) {
                free(x);
                free(f);
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        x->f = f;
        f->page = page;
        dynbuf_init(&f->text, EXTRACT_TEXT_MAX + 1);
        dynbuf_init(&f->title, EXTRACT_SHORT_MAX + 1);
        /* Bounded by the page's text: */
        dynbuf_init(&f->link_text, SIZE_MAX / 2);
        dynbuf_init(&f->heading_text, SIZE_MAX / 2);
        dynbuf_init(&f->jsonld_text, SIZE_MAX / 2);
        dynbuf_init(&f->meta_json, SIZE_MAX / 2);
        dynbuf_init(&x->kinds, SIZE_MAX / 2);
        dynbuf_init(&x->c1_text, SIZE_MAX / 2);  /* 1.5 x a text node */
        dynbuf_init(&x->vals_buf, SIZE_MAX / 2); /* one tag's values */
        collector_start(&x->text_c, &f->text, EXTRACT_TEXT_MAX, 0);

        budget_start(x, page->budget_ms);
        f->html = is_html(page->content_type);
        if (f->html) {
                unsigned on = STRUCTURED_ALL & ~page->structured_off;

                f->sd = structured_new(on);
                if (f->sd == NULL) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto out;
                }
        }
        if (f->html && page->body_len > 0) {
                if (charset_decode(page->content_type, page->body,
                                   page->body_len, &utf8, &utf8_len, &owned,
                                   errstr, errstr_size) < 0)
                        goto out;
                f->utf8_len = utf8_len;
                rc = scan_html(
                        x, utf8, utf8_len, opts != NULL && opts->want_tree,
                        opts != NULL && opts->keep_raw, errstr, errstr_size);
                if (rc != 0)
                        goto out;
                rc = -1;
        }
        if (f->html)
                for (size_t i = 0;
                     i < sizeof(finish_steps) / sizeof(finish_steps[0]); i++)
                        if (finish_steps[i](x) < 0)
                                break;
        if (!f->oom)
                finish_signals(x);
        if (!f->oom)
                finish_meta(f);
        if (f->oom) {
                snprintf(errstr, errstr_size, "out of memory building record");
                goto out;
        }
        *facts = f;
        f = NULL;
        rc = 0;
out:
        pagefacts_free(f);
        free(owned);
        dynbuf_free(&x->kinds);
        dynbuf_free(&x->c1_text);
        dynbuf_free(&x->vals_buf);
        free(x);
        return rc;
}

void pagefacts_free(page_facts_t *f)
{
        if (f == NULL)
                return;
        doc_drop(f, f->doc);
        xmlarena_free(f->xarena);
        if (f->has_main)
                mainfields_clear(&f->main);
        structured_destroy(f->sd);
        dynbuf_free(&f->text);
        dynbuf_free(&f->title);
        dynbuf_free(&f->link_text);
        dynbuf_free(&f->heading_text);
        dynbuf_free(&f->jsonld_text);
        dynbuf_free(&f->meta_json);
        while (f->arena != NULL) {
                pf_arena_chunk_t *next = f->arena->next;

                free(f->arena);
                f->arena = next;
        }
        url_scratch_destroy(f->urls);
        url_destroy(f->base);
        free(f->anchors);
        free(f->headings);
        free(f->img_raw);
        free(f->links);
        free(f->images);
        free(f);
}
