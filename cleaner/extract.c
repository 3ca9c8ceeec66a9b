/*
 * extract.c — one fetched page in, one JSON record out (see extract.h).
 *
 * The page is decoded to valid UTF-8 (charset.c) and parsed by libxml2's
 * HTML parser. Usually no tree is built: the parser's SAX events drive the
 * extraction directly (libxml2's SAX parse is some 1.8x its DOM parse).
 * Only when a fields callback needs the document is the DOM built and
 * walked once, without recursion and without XPath. Both front ends make
 * the same calls: entering and leaving each element updates a few counters
 * and collectors (the visible text, and the text of the current title,
 * heading and link) and keeps what is resolved later (links, images,
 * canonical, base, JSON-LD text); test_extract.c checks that both give the
 * same record byte for byte. Links are resolved after the parse because the
 * first <base href> counts wherever it is, against a base parsed once, into
 * one arena per page. Then the record is generated with yajl straight into
 * the buffer handed to the caller.
 */
#include "extract.h"

#include "charset.h"
#include "clock.h"
#include "dynbuf.h"
#include "hash.h"
#include "jsonstr.h"
#include "prescan.h"
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
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#define PARSE_OPTIONS                                                     \
        (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
         HTML_PARSE_NONET | HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC)

/* The lists a page had more of than their caps (the record's `capped`). */
enum {
        CAP_LINKS = 1u << 0,
        CAP_IMAGES = 1u << 1,
        CAP_HEADINGS = 1u << 2,
        CAP_OG = 1u << 3,
        CAP_JSONLD = 1u << 4,
};

/* Whitespace-collapsing text collector. Its text is dst[start, dst->len). */
typedef struct collector {
        dynbuf_t *dst;
        size_t start;
        size_t limit; /* bytes this item may take                   */
        int depth;    /* the element collected's depth; 0 when idle */
        int space;    /* a space is due before the next word        */
        int in_word;
        int full; /* limit reached                               */
} collector_t;

typedef struct anchor {
        const xmlChar *href;
        const xmlChar *rel;
        size_t text_off;
        size_t text_len;
} anchor_t;

typedef struct heading {
        int level;
        size_t text_off;
        size_t text_len;
} heading_t;

typedef struct image {
        const xmlChar *src;
        const xmlChar *alt;
} image_t;

typedef struct og {
        const xmlChar *key; /* after "og:" */
        const xmlChar *content;
} og_t;

/* A JSON-LD block's text: jsonld_text[off, off + len), or over the cap. */
typedef struct jsonld {
        size_t off;
        size_t len;
        int over;
} jsonld_t;

/* The SAX front end copies the attribute values it keeps into chunks
 * freed with the page (the DOM's own live as long as the document). */
#define ARENA_CHUNK (16 * 1024)
typedef struct arena_chunk {
        struct arena_chunk *next;
        size_t used;
        size_t size;
        char data[];
} arena_chunk_t;

typedef struct link {
        const char *url;
        size_t anchor;
} link_t;

typedef struct extract {
        const page_t *page;
        int oom;

        /* The CPU-time budget (budget_tick()). */
        long long budget_ns; /* 0 = none                            */
        long long cpu0_ns;   /* the thread's CPU clock at the start */
        long long wall0_ns;
        long long wall_next_ns; /* no need to read the CPU clock
                                     * before this (CLOCK_MONOTONIC_COARSE) */
        unsigned ticks;
        int timed_out;
        xmlParserCtxtPtr ctxt; /* the parse in progress, to stop it   */
        /* The DOM front end: the tree builder's callbacks, wrapped. */
        startElementSAXFunc dom_start;
        endElementSAXFunc dom_end;
        charactersSAXFunc dom_chars;
        charactersSAXFunc dom_cdata;
        charactersSAXFunc dom_blank;

        /* Walk state. */
        int hidden;           /* inside head, title, template, noscript */
        int sax;              /* the SAX front end: keep() copies       */
        int depth;            /* SAX: elements open                      */
        int skip_depth;       /* SAX: inside the script or style at
                                 * this depth; 0 when not                  */
        dynbuf_t kinds;       /* SAX: enum tag of each open element      */
        arena_chunk_t *arena; /* strings that live as long as the page */
        url_scratch_t *urls;  /* resolve()'s buffers                     */

        /* The visible text. */
        dynbuf_t text;
        collector_t text_c;
        long long words;

        dynbuf_t title;
        collector_t title_c;
        int title_done;

        const xmlChar *description;
        const xmlChar *robots;
        const xmlChar *lang;
        const xmlChar *canonical;
        const xmlChar *base_href;
        int html_seen;

        dynbuf_t link_text;
        collector_t link_c;
        anchor_t *anchors;
        size_t n_anchors;
        size_t cap_anchors;

        dynbuf_t heading_text;
        collector_t heading_c;
        heading_t *headings;
        size_t n_headings;
        size_t cap_headings;

        image_t *images;
        size_t n_images;
        size_t cap_images;

        og_t og[EXTRACT_OG_MAX];
        size_t n_og;

        jsonld_t jsonld[EXTRACT_JSONLD_MAX];
        size_t n_jsonld;
        unsigned capped;  /* CAP_* of the lists cut at a cap */
        int jsonld_depth; /* the open JSON-LD script's; 0 none */
        dynbuf_t jsonld_text;

        /* Output. */
        yajl_gen gen;
        yajl_gen_status gen_st;
        dynbuf_t out;
        int out_failed;
        dynbuf_t scratch;
        dynbuf_t quoted; /* gen_string()'s literal               */
} extract_t;

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

static void collector_start(collector_t *c, dynbuf_t *dst, size_t limit,
                            int depth)
{
        c->dst = dst;
        c->start = dst->len;
        c->limit = limit;
        c->depth = depth;
        c->space = 0;
        c->in_word = 0;
        c->full = 0;
}

/* A block boundary: the next word is a new one, after a space. */
static void collector_break(collector_t *c)
{
        c->space = 1;
        c->in_word = 0;
}

/* The end of the word that goes on at s[i]: the index of the first
 * whitespace byte (or of a U+00A0) at or after i, or len. Eight bytes at a
 * time where the byte order allows: the lowest flagged byte of each mask
 * is exact (a borrow only runs upwards), and candidates that are not
 * whitespace (other control characters, a 0xC2 that starts another
 * character) are stepped over. */
static size_t word_end(const unsigned char *s, size_t i, size_t len)
{
        for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                const uint64_t ones = UINT64_C(0x0101010101010101);
                const uint64_t highs = UINT64_C(0x8080808080808080);

                while (i + 8 <= len) {
                        uint64_t v, c2, m;

                        memcpy(&v, s + i, 8);
                        c2 = v ^ (ones * 0xC2);
                        m = ((v - ones * 0x21) & ~v & highs) |
                            ((c2 - ones) & ~c2 & highs);
                        if (m != 0) {
                                i += (size_t)__builtin_ctzll(m) >> 3;
                                break;
                        }
                        i += 8;
                }
#endif
                while (i < len && s[i] > ' ' && s[i] != 0xC2)
                        i++;
                if (i >= len)
                        return len;
                if (s[i] == 0xC2 ? (i + 1 < len && s[i + 1] == 0xA0)
                                 : is_ws(s[i]))
                        return i;
                i++;
        }
}

/* The end of the run of words joined by single spaces that goes on at
 * s[j] (s[j - 1] is part of a word), counting the words it begins into
 * *words. Eight bytes at a time where they hold no control character, no
 * 0xC2 (U+00A0's first byte), no two spaces in a row and no space at the
 * end: then each space in them begins a word. */
static size_t run_end(const unsigned char *s, size_t j, size_t len,
                      long long *words)
{
        for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                const uint64_t ones = UINT64_C(0x0101010101010101);
                const uint64_t highs = UINT64_C(0x8080808080808080);
                const uint64_t lows = UINT64_C(0x7F7F7F7F7F7F7F7F);

                while (j + 8 <= len) {
                        uint64_t v, c2, sp, z;

                        memcpy(&v, s + j, 8);
                        c2 = v ^ (ones * 0xC2);
                        if ((((v - ones * 0x20) & ~v) | ((c2 - ones) & ~c2)) &
                            highs)
                                break;
                        /* 0x80 in exactly the bytes that are ' '. */
                        sp = v ^ (ones * ' ');
                        z = ~(((sp & lows) + lows) | sp | lows);
                        if ((z & (z >> 8)) != 0 || (z >> 63) != 0)
                                break;
                        *words += (long long)(((z >> 7) * ones) >> 56);
                        j += 8;
                }
#endif
                j = word_end(s, j, len);
                if (j + 1 < len && s[j] == ' ' && s[j + 1] > ' ' &&
                    !(s[j + 1] == 0xC2 && j + 2 < len && s[j + 2] == 0xA0)) {
                        (*words)++;
                        j += 2;
                        continue;
                }
                return j;
        }
}

/* Appends s[0, len) with whitespace runs collapsed to one space and none
 * leading; counts the words begun into *words when not NULL. One pass, one
 * reservation: the collapsed text is at most len + 1 bytes. Words joined
 * by single spaces are copied as one run (word_end()); at the cap the
 * character cut in two and a space left at the end are dropped. */
static void collector_add(extract_t *x, collector_t *c, const unsigned char *s,
                          size_t len, long long *words)
{
        dynbuf_t *dst = c->dst;
        size_t used = dst->len - c->start, avail, want, i;
        unsigned char *o = NULL, *o0 = NULL, *oend = NULL;
        int space = c->space, in_word = c->in_word, full = c->full;
        long long n_words = 0;

        avail = full ? 0 : c->limit - used;
        want = len < avail ? len + 1 : avail;
        if (want > 0) {
                if (dynbuf_reserve(dst, want) < 0) {
                        x->oom = 1;
                        return;
                }
                o0 = o = (unsigned char *)dst->data + dst->len;
                oend = o + want;
        }
        i = 0;
        while (i < len) {
                unsigned char ch = s[i];
                size_t j, n, room;

                if (ch <= ' ' ? is_ws(ch)
                              : (ch == 0xC2 && i + 1 < len &&
                                 s[i + 1] == 0xA0)) {
                        i += ch == 0xC2 ? 2 : 1; /* U+00A0 is two bytes */
                        space = 1;
                        in_word = 0;
                        continue;
                }
                /* The run that is copied as it is: this word, and every
                 * next one after a single ' ' (most of a page's text). */
                j = run_end(s, i + 1, len, &n_words);
                if (!in_word) {
                        in_word = 1;
                        n_words++;
                        if (!full && space && (used > 0 || o > o0)) {
                                if (o < oend)
                                        *o++ = ' ';
                                else
                                        full = 1;
                        }
                        space = 0;
                }
                if (full) {
                        i = j;
                        continue;
                }
                n = j - i;
                room = (size_t)(oend - o);
                if (n <= room) {
                        memcpy(o, s + i, n);
                        o += n;
                        i = j;
                        continue;
                }
                if (room > 0) {
                        memcpy(o, s + i, room);
                        o += room;
                }
                full = 1;
                if ((s[i + room] & 0xC0) == 0x80) {
                        while (o > o0 && (o[-1] & 0xC0) == 0x80)
                                o--;
                        if (o > o0 && o[-1] >= 0xC0)
                                o--;
                }
                if (o > o0 && o[-1] == ' ')
                        o--;
                i = j;
        }
        if (o != NULL) {
                dst->len += (size_t)(o - o0);
                dst->data[dst->len] = '\0';
        }
        c->space = space;
        c->in_word = in_word;
        c->full = full;
        if (words != NULL)
                *words += n_words;
}

static void text_break(extract_t *x)
{
        collector_break(&x->text_c);
        if (x->title_c.depth)
                collector_break(&x->title_c);
        if (x->link_c.depth)
                collector_break(&x->link_c);
        if (x->heading_c.depth)
                collector_break(&x->heading_c);
}

static void text_add(extract_t *x, const xmlChar *s, size_t len)
{
        if (x->hidden == 0)
                collector_add(x, &x->text_c, s, len, &x->words);
        if (x->title_c.depth)
                collector_add(x, &x->title_c, s, len, NULL);
        if (x->link_c.depth)
                collector_add(x, &x->link_c, s, len, NULL);
        if (x->heading_c.depth)
                collector_add(x, &x->heading_c, s, len, NULL);
}

/* Room for n bytes that live as long as the page (SAX front end). Sets
 * x->oom and returns NULL on allocation failure. */
static void *arena_alloc(extract_t *x, size_t n)
{
        arena_chunk_t *c = x->arena;
        void *p;

        if (c == NULL || n > c->size - c->used) {
                size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;

                c = malloc(sizeof(*c) + size);
                if (c == NULL) {
                        x->oom = 1;
                        return NULL;
                }
                c->next = x->arena;
                c->used = 0;
                c->size = size;
                x->arena = c;
        }
        p = c->data + c->used;
        c->used += n;
        return p;
}

static void arena_free(extract_t *x)
{
        while (x->arena != NULL) {
                arena_chunk_t *next = x->arena->next;

                free(x->arena);
                x->arena = next;
        }
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
        T_HIDE, /* head, template, noscript */
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
                        return T_HIDE;
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
 * NULL stays NULL; on allocation failure sets x->oom and returns NULL. */
static const xmlChar *keep(extract_t *x, const xmlChar *s)
{
        size_t n;
        char *p;

        if (s == NULL || !x->sax)
                return s;
        n = strlen((const char *)s) + 1;
        p = arena_alloc(x, n);
        if (p == NULL)
                return NULL;
        memcpy(p, s, n);
        return (const xmlChar *)p;
}

static void on_meta(extract_t *x, const elem_t *e)
{
        const xmlChar *name = NULL, *property = NULL, *content = NULL;
        const xmlChar *prop, *an, *v;
        elem_t it = *e;

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
        }
        /* OpenGraph: property="og:..."; some pages write name="og:...". */
        prop = property != NULL ? property : name;
        if (prop != NULL && ascii_lower(prop[0]) == 'o' &&
            ascii_lower(prop[1]) == 'g' && prop[2] == ':' && prop[3] != '\0') {
                size_t i;

                for (i = 0; i < x->n_og; i++)
                        if (strcmp((const char *)x->og[i].key,
                                   (const char *)prop + 3) == 0)
                                return; /* the first one counts */
                if (x->n_og >= EXTRACT_OG_MAX) {
                        x->capped |= CAP_OG;
                        return;
                }
                x->og[x->n_og].key = keep(x, prop + 3);
                x->og[x->n_og].content = keep(x, content);
                if (x->og[x->n_og].key != NULL &&
                    x->og[x->n_og].content != NULL)
                        x->n_og++;
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
static void jsonld_begin(extract_t *x)
{
        jsonld_t *j = &x->jsonld[x->n_jsonld++];

        j->off = x->jsonld_text.len;
        j->len = 0;
        j->over = 0;
}

/* Appends text to the open block (the last one); one over
 * EXTRACT_JSONLD_BYTES_MAX is marked and its text dropped. */
static void jsonld_add(extract_t *x, const void *s, size_t len)
{
        jsonld_t *j = &x->jsonld[x->n_jsonld - 1];

        if (j->over)
                return;
        if (len > EXTRACT_JSONLD_BYTES_MAX - j->len) {
                j->over = 1;
                x->jsonld_text.len = j->off;
                return;
        }
        if (dynbuf_add(&x->jsonld_text, s, len) < 0) {
                x->oom = 1;
                return;
        }
        j->len += len;
}

/* Entering an element at depth (>= 1); returns 0 when its children are to
 * be skipped. */
static int on_enter(extract_t *x, const elem_t *e, enum tag kind, int level,
                    int depth)
{
        const xmlChar *v;

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
                if (x->n_anchors >= EXTRACT_ANCHORS_MAX) {
                        x->capped |= CAP_LINKS;
                        break;
                }
                if (array_reserve((void **)&x->anchors, &x->cap_anchors,
                                  x->n_anchors, sizeof(anchor_t)) < 0) {
                        x->oom = 1;
                        return 0;
                }
                x->anchors[x->n_anchors].href = keep(x, v);
                x->anchors[x->n_anchors].rel = keep(x, attr_get(e, "rel"));
                x->anchors[x->n_anchors].text_off = x->link_text.len;
                x->anchors[x->n_anchors].text_len = 0;
                x->n_anchors++;
                collector_start(&x->link_c, &x->link_text, EXTRACT_SHORT_MAX,
                                depth);
                break;
        case T_H:
                text_break(x);
                if (x->heading_c.depth != 0)
                        break;
                if (x->n_headings >= EXTRACT_HEADINGS_MAX) {
                        x->capped |= CAP_HEADINGS;
                        break;
                }
                if (array_reserve((void **)&x->headings, &x->cap_headings,
                                  x->n_headings, sizeof(heading_t)) < 0) {
                        x->oom = 1;
                        return 0;
                }
                x->headings[x->n_headings].level = level;
                x->headings[x->n_headings].text_off = x->heading_text.len;
                x->headings[x->n_headings].text_len = 0;
                x->n_headings++;
                collector_start(&x->heading_c, &x->heading_text,
                                EXTRACT_SHORT_MAX, depth);
                break;
        case T_IMG:
                v = attr_get(e, "src");
                if (v == NULL || *v == '\0')
                        break;
                if (x->n_images >= EXTRACT_IMAGES_MAX) {
                        x->capped |= CAP_IMAGES;
                        break;
                }
                if (array_reserve((void **)&x->images, &x->cap_images,
                                  x->n_images, sizeof(image_t)) < 0) {
                        x->oom = 1;
                        return 0;
                }
                x->images[x->n_images].src = keep(x, v);
                x->images[x->n_images].alt = keep(x, attr_get(e, "alt"));
                x->n_images++;
                break;
        case T_HTML:
                if (!x->html_seen) {
                        x->html_seen = 1;
                        x->lang = keep(x, attr_get(e, "lang"));
                }
                break;
        case T_HIDE:
                x->hidden++;
                break;
        case T_TITLE:
                x->hidden++;
                if (!x->title_done && x->title_c.depth == 0)
                        collector_start(&x->title_c, &x->title,
                                        EXTRACT_SHORT_MAX, depth);
                break;
        case T_META:
                on_meta(x, e);
                break;
        case T_LINK:
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
                        if (x->n_jsonld < EXTRACT_JSONLD_MAX) {
                                jsonld_begin(x);
                                x->jsonld_depth = depth;
                        } else {
                                x->capped |= CAP_JSONLD;
                        }
                }
                return 0;
        case T_STYLE:
                return 0;
        }
        return 1;
}

static void on_leave(extract_t *x, enum tag kind, int depth)
{
        switch (kind) {
        case T_BLOCK:
        case T_BR:
                text_break(x);
                break;
        case T_A:
                if (x->link_c.depth == depth) {
                        anchor_t *a = &x->anchors[x->n_anchors - 1];

                        a->text_len = x->link_text.len - a->text_off;
                        x->link_c.depth = 0;
                }
                break;
        case T_H:
                if (x->heading_c.depth == depth) {
                        heading_t *h = &x->headings[x->n_headings - 1];

                        h->text_len = x->heading_text.len - h->text_off;
                        x->heading_c.depth = 0;
                }
                text_break(x);
                break;
        case T_HIDE:
                x->hidden--;
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

static void budget_start(extract_t *x, long budget_ms)
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
static int budget_over(extract_t *x)
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
static void budget_tick(extract_t *x, unsigned weight)
{
        if (x->budget_ns == 0)
                return;
        x->ticks += weight;
        if (x->ticks < BUDGET_EVERY)
                return;
        x->ticks = 0;
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
 * and left on the way up. Used when a fields callback needs the document. */
static void walk(extract_t *x, xmlDocPtr doc)
{
        xmlNodePtr cur = doc->children;
        int depth = 1;

        while (cur != NULL && !x->oom) {
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
        extract_t *x = ((xmlParserCtxtPtr)ctx)->_private;
        static const xmlChar *no_atts[] = { NULL };
        elem_t e = { NULL, atts != NULL ? atts : no_atts };
        enum tag kind;
        int level = 0;

        budget_tick(x, atts_weight(atts));
        if (x->timed_out)
                return;
        if (x->oom || dynbuf_add(&x->kinds, &(char){ 0 }, 1) < 0) {
                x->oom = 1;
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

static void sax_leave(extract_t *x)
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
        extract_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (x->depth > 0 && !x->oom && !x->timed_out)
                sax_leave(x);
}

static void sax_text(void *ctx, const xmlChar *s, int len)
{
        extract_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (x->depth == 0 || len <= 0 || x->oom || x->timed_out)
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
static void dom_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
        extract_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, atts_weight(atts));
        if (!x->timed_out)
                x->dom_start(ctx, name, atts);
}

static void dom_end(void *ctx, const xmlChar *name)
{
        extract_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (!x->timed_out)
                x->dom_end(ctx, name);
}

static void dom_chars(void *ctx, const xmlChar *s, int len)
{
        extract_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (!x->timed_out)
                x->dom_chars(ctx, s, len);
}

static void dom_cdata(void *ctx, const xmlChar *s, int len)
{
        extract_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (!x->timed_out)
                x->dom_cdata(ctx, s, len);
}

static void dom_blank(void *ctx, const xmlChar *s, int len)
{
        extract_t *x = ((xmlParserCtxtPtr)ctx)->_private;

        budget_tick(x, 1);
        if (!x->timed_out)
                x->dom_blank(ctx, s, len);
}

/* Every error libxml2 reports (recovered tag soup: stray end tags, bad
 * names) is an event too: some cost the parser a search of its stack of
 * open elements, with no SAX callback in between. */
static void on_parse_error(void *ctx, xmlErrorPtr err)
{
        budget_tick(ctx, 1);
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
static xmlDocPtr parse(extract_t *x, const char *utf8, int len, int tree)
{
        xmlParserCtxtPtr ctxt;
        xmlCharEncodingHandlerPtr hdlr;
        xmlStructuredErrorFunc old_serror = xmlStructuredError;
        void *old_serror_ctx = xmlStructuredErrorContext;
        xmlDocPtr doc = NULL;

        ctxt = xmlCreateMemoryParserCtxt(utf8, len);
        if (ctxt == NULL) {
                x->oom = 1;
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
                while (x->depth > 0 && !x->oom)
                        sax_leave(x);
        doc = ctxt->myDoc;
        ctxt->myDoc = NULL;
        if (!tree && doc != NULL) { /* not built by these callbacks */
                xmlFreeDoc(doc);
                doc = NULL;
        }
        if (doc != NULL && ctxt->dictNames && doc->dict == ctxt->dict)
                ctxt->dict = NULL; /* the document's now (htmlDoRead()) */
        x->ctxt = NULL;
        xmlFreeParserCtxt(ctxt);
        return doc;
}

/* ------------------------------------------------------------------ */
/* URLs                                                                */

/* Resolves ref against base (may be NULL): an absolute http(s) URL
 * without its fragment, in the page's arena, or NULL when ref does not make
 * one (or it is over EXTRACT_URL_MAX). Sets x->oom on allocation failure. */
static const char *resolve(extract_t *x, const url_t *base, const xmlChar *ref)
{
        const char *href, *hash;
        size_t len;
        char *copy;
        int r;

        if (x->urls == NULL) {
                x->urls = url_scratch_new();
                if (x->urls == NULL) {
                        x->oom = 1;
                        return NULL;
                }
        }
        /* strnlen: an over-long ref is refused without reading it all. */
        r = url_href_n(x->urls, (const char *)ref,
                       strnlen((const char *)ref, (size_t)URL_MAX_LEN + 1),
                       base, &href, &len);
        if (r == URL_ERR_NOMEM)
                x->oom = 1;
        if (r != URL_OK)
                return NULL;
        /* A serialised URL's first '#' starts its fragment: the path and
         * query percent-encode theirs. */
        hash = memchr(href, '#', len);
        if (hash != NULL)
                len = (size_t)(hash - href);
        if (len > EXTRACT_URL_MAX)
                return NULL;
        copy = arena_alloc(x, len + 1);
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

/* ------------------------------------------------------------------ */
/* Generating the record                                               */

static void out_print(void *ctx, const char *s, size_t len)
{
        extract_t *x = ctx;

        if (!x->out_failed && dynbuf_add(&x->out, s, len) < 0)
                x->out_failed = 1;
}

/* The g_* helpers keep the first yajl error in x->gen_st and do nothing
 * after one; the caller checks once at the end. */
static void g_key(extract_t *x, const char *key)
{
        if (x->gen_st == yajl_gen_status_ok)
                x->gen_st = yajl_gen_string(x->gen, (const unsigned char *)key,
                                            strlen(key));
}

static void g_null(extract_t *x)
{
        if (x->gen_st == yajl_gen_status_ok)
                x->gen_st = yajl_gen_null(x->gen);
}

static void g_int(extract_t *x, long long v)
{
        if (x->gen_st == yajl_gen_status_ok)
                x->gen_st = yajl_gen_integer(x->gen, v);
}

static void g_bool(extract_t *x, int v)
{
        if (x->gen_st == yajl_gen_status_ok)
                x->gen_st = yajl_gen_bool(x->gen, v);
}

static void g_open(extract_t *x, int map)
{
        if (x->gen_st == yajl_gen_status_ok)
                x->gen_st = map ? yajl_gen_map_open(x->gen)
                                : yajl_gen_array_open(x->gen);
}

static void g_close(extract_t *x, int map)
{
        if (x->gen_st == yajl_gen_status_ok)
                x->gen_st = map ? yajl_gen_map_close(x->gen)
                                : yajl_gen_array_close(x->gen);
}

/* A JSON string value, repaired to strict UTF-8 first when needed. NULL
 * emits null. The literal is written by json_quote() (jsonstr.h: yajl's
 * byte-at-a-time escaping was an eighth of the extraction) into x->quoted
 * and handed to yajl with yajl_gen_number(), which writes its argument as
 * it is with the separators of the current position: yajl still keeps the
 * structure. Only for values; keys go through key_string(). */
/* Appends s[0, len) to x->quoted as a JSON string literal, repaired to
 * strict UTF-8 first when needed; -1 when out of memory. */
static int quote_append(extract_t *x, const unsigned char *s, size_t len)
{
        char *fixed;
        size_t fixed_len;
        int rc;

        rc = json_quote(&x->quoted.data, &x->quoted.len, &x->quoted.cap,
                        x->quoted.max, s, len);
        if (rc == 1) {
                if (utf8_repair(s, len, 0, &fixed, &fixed_len) < 0)
                        return -1;
                rc = json_quote(&x->quoted.data, &x->quoted.len,
                                &x->quoted.cap, x->quoted.max,
                                (const unsigned char *)fixed, fixed_len);
                free(fixed);
        }
        return rc == 0 ? 0 : -1;
}

static yajl_gen_status gen_string(extract_t *x, yajl_gen gen,
                                  const unsigned char *s, size_t len, int *oom)
{
        if (s == NULL)
                return yajl_gen_null(gen);
        x->quoted.len = 0;
        if (quote_append(x, s, len) < 0) {
                *oom = 1;
                return yajl_gen_invalid_string;
        }
        return yajl_gen_number(gen, x->quoted.data, x->quoted.len);
}

/* A map key (yajl_gen_number() is refused there), repaired to strict
 * UTF-8 first when needed (yajl's own check is looser). */
static yajl_gen_status key_string(yajl_gen gen, const unsigned char *s,
                                  size_t len, int *oom)
{
        yajl_gen_status st;
        char *fixed;
        size_t fixed_len;

        if (utf8_valid_prefix(s, len) == len)
                return yajl_gen_string(gen, s, len);
        if (utf8_repair(s, len, 0, &fixed, &fixed_len) < 0) {
                *oom = 1;
                return yajl_gen_invalid_string;
        }
        st = yajl_gen_string(gen, (const unsigned char *)fixed, fixed_len);
        free(fixed);
        return st;
}

static void g_str(extract_t *x, const void *s, size_t len)
{
        if (x->gen_st == yajl_gen_status_ok)
                x->gen_st = gen_string(x, x->gen, s, len, &x->oom);
}

/* A key taken from the page. */
static void g_dkey(extract_t *x, const xmlChar *key)
{
        if (x->gen_st == yajl_gen_status_ok)
                x->gen_st = key_string(x->gen, key, strlen((const char *)key),
                                       &x->oom);
}

static void g_cstr(extract_t *x, const void *s)
{
        g_str(x, s, s ? strlen(s) : 0);
}

/* An attribute value trimmed and cut to EXTRACT_SHORT_MAX; null when
 * absent. */
static const xmlChar *attr_trim(const xmlChar *v, size_t *len)
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

static void g_attr(extract_t *x, const xmlChar *v)
{
        size_t len;

        if (v == NULL) {
                g_null(x);
                return;
        }
        v = attr_trim(v, &len);
        g_str(x, v, len);
}

/* An attribute value with whitespace collapsed (and lower-cased when
 * lower), cut to EXTRACT_SHORT_MAX; null when absent. */
static void g_attr_collapsed(extract_t *x, const xmlChar *v, int lower)
{
        collector_t c;
        size_t i;

        if (v == NULL) {
                g_null(x);
                return;
        }
        x->scratch.len = 0;
        collector_start(&c, &x->scratch, EXTRACT_SHORT_MAX, 0);
        collector_add(x, &c, v, strlen((const char *)v), NULL);
        if (lower)
                for (i = 0; i < x->scratch.len; i++)
                        x->scratch.data[i] = (char)ascii_lower(
                                (unsigned char)x->scratch.data[i]);
        g_str(x, x->scratch.len ? x->scratch.data : "", x->scratch.len);
}

/* Re-emitting JSON text as a JSON value: a yajl parser whose callbacks
 * drive a second generator writing into x->scratch; the result goes into
 * the record verbatim (yajl_gen_number writes its argument as is). */
typedef struct reemit {
        extract_t *x;
        yajl_gen gen;
        int oom;
} reemit_t;

#define REEMIT_CB(expr) \
        (((reemit_t *)ctx)->oom == 0 && (expr) == yajl_gen_status_ok)

static int re_null(void *ctx)
{
        return REEMIT_CB(yajl_gen_null(((reemit_t *)ctx)->gen));
}

static int re_bool(void *ctx, int v)
{
        return REEMIT_CB(yajl_gen_bool(((reemit_t *)ctx)->gen, v));
}

/* Numbers are kept as the page wrote them. */
static int re_number(void *ctx, const char *s, size_t len)
{
        return REEMIT_CB(yajl_gen_number(((reemit_t *)ctx)->gen, s, len));
}

static int re_string(void *ctx, const unsigned char *s, size_t len)
{
        reemit_t *re = ctx;

        return REEMIT_CB(gen_string(re->x, re->gen, s, len, &re->oom));
}

static int re_key(void *ctx, const unsigned char *s, size_t len)
{
        reemit_t *re = ctx;

        return REEMIT_CB(key_string(re->gen, s, len, &re->oom));
}

static int re_map_open(void *ctx)
{
        return REEMIT_CB(yajl_gen_map_open(((reemit_t *)ctx)->gen));
}

static int re_map_close(void *ctx)
{
        return REEMIT_CB(yajl_gen_map_close(((reemit_t *)ctx)->gen));
}

static int re_array_open(void *ctx)
{
        return REEMIT_CB(yajl_gen_array_open(((reemit_t *)ctx)->gen));
}

static int re_array_close(void *ctx)
{
        return REEMIT_CB(yajl_gen_array_close(((reemit_t *)ctx)->gen));
}

static const yajl_callbacks reemit_callbacks = {
        re_null,      re_bool,       NULL,           NULL,
        re_number,    re_string,     re_map_open,    re_key,
        re_map_close, re_array_open, re_array_close,
};

static void scratch_print(void *ctx, const char *s, size_t len)
{
        extract_t *x = ctx;

        if (dynbuf_add(&x->scratch, s, len) < 0)
                x->oom = 1;
}

/* Parses JSON text s[0, len) and, when it is one valid JSON value, writes
 * it into the record. Returns 0 when written, 1 when the text is not valid
 * JSON (or nests deeper than yajl's generator allows), -1 when out of
 * memory. */
static int g_json(extract_t *x, const unsigned char *s, size_t len)
{
        reemit_t re = { x, NULL, 0 };
        yajl_handle parser = NULL;
        char *fixed = NULL;
        size_t fixed_len;
        int rc = -1;

        if (x->gen_st != yajl_gen_status_ok)
                return 0;
        /* Strictly valid UTF-8 before yajl sees it (its check is loose). */
        if (utf8_valid_prefix(s, len) != len) {
                if (utf8_repair(s, len, 0, &fixed, &fixed_len) < 0)
                        goto out;
                s = (const unsigned char *)fixed;
                len = fixed_len;
        }
        x->scratch.len = 0;
        re.gen = yajl_gen_alloc(NULL);
        if (re.gen == NULL)
                goto out;
        yajl_gen_config(re.gen, yajl_gen_print_callback, scratch_print, x);
        parser = yajl_alloc(&reemit_callbacks, NULL, &re);
        if (parser == NULL)
                goto out;
        if (yajl_parse(parser, s, len) != yajl_status_ok ||
            yajl_complete_parse(parser) != yajl_status_ok ||
            x->scratch.len == 0) {
                rc = (re.oom || x->oom) ? -1 : 1;
                goto out;
        }
        if (re.oom || x->oom)
                goto out;
        x->gen_st = yajl_gen_number(x->gen, x->scratch.data, x->scratch.len);
        rc = 0;
out:
        if (rc < 0)
                x->oom = 1;
        if (parser != NULL)
                yajl_free(parser);
        if (re.gen != NULL)
                yajl_gen_free(re.gen);
        free(fixed);
        return rc;
}

static void emit_jsonld(extract_t *x)
{
        long long errors = 0;
        size_t i;

        g_key(x, "json_ld");
        g_open(x, 0);
        for (i = 0; i < x->n_jsonld && !x->oom; i++) {
                const jsonld_t *j = &x->jsonld[i];

                if (j->over) {
                        errors++;
                        continue;
                }
                if (g_json(x,
                           (const unsigned char
                                    *)(j->len ? x->jsonld_text.data + j->off
                                              : ""),
                           j->len) == 1)
                        errors++;
        }
        g_close(x, 0);
        if (errors > 0) {
                g_key(x, "json_ld_errors");
                g_int(x, errors);
        }
}

static void emit_links(extract_t *x, const url_t *base)
{
        strset_t raw = { NULL, NULL, 0 }, seen = { NULL, NULL, 0 };
        link_t *links = NULL;
        size_t n_links = 0, bytes = 0, i;

        g_key(x, "links");
        g_open(x, 0);
        if (x->n_anchors == 0)
                goto out;
        links = calloc(x->n_anchors, sizeof(*links));
        if (links == NULL || strset_init(&raw, x->n_anchors) < 0 ||
            strset_init(&seen, x->n_anchors) < 0) {
                x->oom = 1;
                goto out;
        }
        for (i = 0; i < x->n_anchors && n_links < EXTRACT_LINKS_MAX; i++) {
                anchor_t *a = &x->anchors[i];
                const char *url;
                size_t cost;

                /* The same href resolves the same way: parse it once. */
                if (!strset_add(&raw, (const char *)a->href))
                        continue;
                url = resolve(x, base, a->href);
                if (x->oom)
                        goto out;
                if (url == NULL)
                        continue;
                if (!strset_add(&seen, url))
                        continue;
                cost = strlen(url) + a->text_len;
                if (cost > EXTRACT_LIST_BYTES_MAX - bytes)
                        break; /* over the byte budget: stop here */
                bytes += cost;
                links[n_links].url = url;
                links[n_links].anchor = i;
                n_links++;
        }
        /* Stopped at a cap with anchors left: some may be new links. */
        if (i < x->n_anchors)
                x->capped |= CAP_LINKS;
        /* Each link object is written whole into x->quoted and handed
         * to yajl as one value (see gen_string()): one generator call
         * instead of eight, for what is most of a record's items. */
        for (i = 0; i < n_links && x->gen_st == yajl_gen_status_ok; i++) {
                anchor_t *a = &x->anchors[links[i].anchor];
                const xmlChar *rel = a->rel;
                size_t rel_len = 0;

                x->quoted.len = 0;
                if (dynbuf_add(&x->quoted, "{\"url\":", 7) < 0 ||
                    quote_append(x, (const unsigned char *)links[i].url,
                                 strlen(links[i].url)) < 0 ||
                    dynbuf_add(&x->quoted, ",\"text\":", 8) < 0 ||
                    quote_append(x,
                                 a->text_len
                                         ? (const unsigned char *)
                                                           x->link_text.data +
                                                   a->text_off
                                         : (const unsigned char *)"",
                                 a->text_len) < 0 ||
                    dynbuf_add(&x->quoted, ",\"rel\":", 7) < 0) {
                        x->oom = 1;
                        goto out;
                }
                if (rel != NULL)
                        rel = attr_trim(rel, &rel_len);
                if ((rel != NULL ? quote_append(x, rel, rel_len)
                                 : dynbuf_add(&x->quoted, "null", 4)) < 0 ||
                    dynbuf_add(&x->quoted, "}", 1) < 0) {
                        x->oom = 1;
                        goto out;
                }
                x->gen_st =
                        yajl_gen_number(x->gen, x->quoted.data, x->quoted.len);
        }
out:
        g_close(x, 0);
        free(links);
        strset_free(&raw);
        strset_free(&seen);
}

static void emit_images(extract_t *x, const url_t *base)
{
        size_t bytes = 0, i;

        g_key(x, "images");
        g_open(x, 0);
        for (i = 0; i < x->n_images && !x->oom; i++) {
                const char *src = resolve(x, base, x->images[i].src);
                size_t cost;

                if (src == NULL)
                        continue;
                cost = strlen(src) +
                       (x->images[i].alt
                                ? strlen((const char *)x->images[i].alt)
                                : 0);
                if (cost > EXTRACT_LIST_BYTES_MAX - bytes) {
                        x->capped |= CAP_IMAGES;
                        break;
                }
                bytes += cost;
                g_open(x, 1);
                g_key(x, "src");
                g_cstr(x, src);
                g_key(x, "alt");
                g_attr(x, x->images[i].alt);
                g_close(x, 1);
        }
        g_close(x, 0);
}

/* The fields extracted from an HTML page. */
static void emit_html(extract_t *x)
{
        url_t *base = NULL, *based = NULL;
        const char *final_url =
                x->page->final_url ? x->page->final_url : x->page->url;
        const char *canonical = NULL;
        size_t i;

        /* Links resolve against <base href> (itself resolved against the
         * final URL), else the final URL. */
        if (final_url != NULL &&
            url_parse(final_url, NULL, &base, NULL, 0) != URL_OK)
                base = NULL;
        if (x->base_href != NULL && url_parse((const char *)x->base_href, base,
                                              &based, NULL, 0) == URL_OK) {
                url_destroy(base);
                base = based;
        }

        g_key(x, "title");
        if (x->title_done || x->title_c.depth != 0)
                g_str(x, x->title.len ? x->title.data : "", x->title.len);
        else
                g_null(x);
        g_key(x, "description");
        g_attr_collapsed(x, x->description, 0);
        g_key(x, "canonical");
        if (x->canonical != NULL)
                canonical = resolve(x, base, x->canonical);
        g_cstr(x, canonical);
        g_key(x, "lang");
        g_attr(x, x->lang);
        g_key(x, "meta_robots");
        g_attr_collapsed(x, x->robots, 1);

        g_key(x, "headings");
        g_open(x, 0);
        for (i = 0; i < x->n_headings; i++) {
                heading_t *h = &x->headings[i];

                g_open(x, 1);
                g_key(x, "level");
                g_int(x, h->level);
                g_key(x, "text");
                g_str(x, h->text_len ? x->heading_text.data + h->text_off : "",
                      h->text_len);
                g_close(x, 1);
        }
        g_close(x, 0);

        g_key(x, "text");
        g_str(x, x->text.len ? x->text.data : "", x->text.len);
        g_key(x, "word_count");
        g_int(x, x->words);
        if (x->text_c.full) {
                g_key(x, "text_truncated");
                g_bool(x, 1);
        }

        emit_links(x, base);
        emit_images(x, base);

        g_key(x, "opengraph");
        g_open(x, 1);
        for (i = 0; i < x->n_og; i++) {
                g_dkey(x, x->og[i].key);
                g_attr(x, x->og[i].content);
        }
        g_close(x, 1);

        emit_jsonld(x);

        /* Lists cut at their caps are named, never cut silently. */
        if (x->capped) {
                static const struct {
                        unsigned bit;
                        const char *name;
                } caps[] = { { CAP_LINKS, "links" },
                             { CAP_IMAGES, "images" },
                             { CAP_HEADINGS, "headings" },
                             { CAP_OG, "opengraph" },
                             { CAP_JSONLD, "json_ld" } };

                g_key(x, "capped");
                g_open(x, 0);
                for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++)
                        if (x->capped & caps[k].bit)
                                g_cstr(x, caps[k].name);
                g_close(x, 0);
        }

        url_destroy(base);
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

static void emit_metadata(extract_t *x)
{
        const page_t *page = x->page;

        g_key(x, "url");
        g_cstr(x, page->url);
        g_key(x, "final_url");
        g_cstr(x, page->final_url ? page->final_url : page->url);
        g_key(x, "status");
        g_int(x, page->status);
        g_key(x, "fetched_at");
        g_cstr(x, page->fetched_at);
        g_key(x, "content_type");
        g_cstr(x, page->content_type);
        if (page->source_topic != NULL) {
                g_key(x, "source_topic");
                g_cstr(x, page->source_topic);
        }
        if (page->id != NULL) {
                g_key(x, "id");
                g_cstr(x, page->id);
        }
        if (page->depth >= 0) {
                g_key(x, "depth");
                g_int(x, page->depth);
        }
        if (page->meta != NULL) {
                size_t len = strlen(page->meta);
                int r;

                g_key(x, "meta");
                r = g_json(x, (const unsigned char *)page->meta, len);
                if (r == 1) /* not JSON: passed on as a string */
                        g_str(x, page->meta, len);
        }
}

int extract_record(const page_t *page, char **out, size_t *out_len,
                   char *errstr, size_t errstr_size)
{
        return extract_record_with(page, NULL, NULL, out, out_len, errstr,
                                   errstr_size);
}

int extract_record_with(const page_t *page, extract_fields_fn fields_cb,
                        void *fields_ctx, char **out, size_t *out_len,
                        char *errstr, size_t errstr_size)
{
        extract_t *x;
        htmlDocPtr doc = NULL;
        const char *utf8 = NULL;
        char *owned = NULL;
        size_t utf8_len = 0;
        int rc = -1, html;

        *out = NULL;
        *out_len = 0;
        /* Some 3 KiB of state: on the heap, worker stacks may be small. */
        x = calloc(1, sizeof(*x));
        if (x == NULL) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        x->page = page;
        x->text.max = EXTRACT_TEXT_MAX + 1;
        x->title.max = EXTRACT_SHORT_MAX + 1;
        x->link_text.max = SIZE_MAX / 2; /* bounded by the page's text */
        x->heading_text.max = SIZE_MAX / 2;
        x->scratch.max = SIZE_MAX / 2;
        x->quoted.max = SIZE_MAX / 2;
        x->kinds.max = SIZE_MAX / 2;
        x->jsonld_text.max = SIZE_MAX / 2; /* bounded by the page's text */
        x->out.max = EXTRACT_RECORD_MAX;
        collector_start(&x->text_c, &x->text, EXTRACT_TEXT_MAX, 0);

        budget_start(x, page->budget_ms);
        html = is_html(page->content_type);
        if (html && page->body_len > 0) {
                size_t natts, at = 0;

                if (charset_decode(page->content_type, page->body,
                                   page->body_len, &utf8, &utf8_len, &owned,
                                   errstr, errstr_size) < 0)
                        goto out;
                if (utf8_len > INT_MAX) {
                        snprintf(errstr, errstr_size,
                                 "page of %zu bytes too large to parse",
                                 utf8_len);
                        goto out;
                }
                natts = prescan_max_attributes(utf8, utf8_len,
                                               EXTRACT_ATTRS_MAX, &at);
                if (natts > EXTRACT_ATTRS_MAX) {
                        snprintf(errstr, errstr_size,
                                 "the start tag at byte "
                                 "%zu has over %d attributes (parsing it "
                                 "would take time quadratic in them)",
                                 at, EXTRACT_ATTRS_MAX);
                        rc = EXTRACT_TIMEOUT;
                        goto out;
                }
                /* NULL for an empty document (or out of memory inside
                 * libxml2, which it does not tell apart): the record then
                 * has empty fields. */
                /* Room up front for the usual sizes, so that neither
                 * grows by copying: a text-heavy page's record is some
                 * 1.2 times the page, its text most of the page. Memory
                 * not written to is not touched. */
                if (dynbuf_reserve(&x->text, utf8_len < EXTRACT_TEXT_MAX
                                                     ? utf8_len
                                                     : EXTRACT_TEXT_MAX) < 0 ||
                    dynbuf_reserve(&x->out,
                                   utf8_len < EXTRACT_RECORD_MAX / 2
                                           ? utf8_len + utf8_len / 2 + 4096
                                           : 4096) < 0) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto out;
                }
                /* The DOM only when the fields callback needs it, or for
                 * a page long enough to hold a text node over libxml2's
                 * limit (the tree builder stops the parse there). */
                if (utf8_len > 0 && fields_cb == NULL &&
                    utf8_len <= XML_MAX_TEXT_LENGTH) {
                        parse(x, utf8, (int)utf8_len, 0);
                } else if (utf8_len > 0) {
                        doc = parse(x, utf8, (int)utf8_len, 1);
                        if (doc != NULL && !x->timed_out)
                                walk(x, doc);
                }
                if (x->timed_out || budget_over(x)) {
                        snprintf(errstr, errstr_size,
                                 "page over its CPU-time "
                                 "budget of %ld ms",
                                 page->budget_ms);
                        rc = EXTRACT_TIMEOUT;
                        goto out;
                }
                if (x->oom) {
                        snprintf(errstr, errstr_size,
                                 "out of memory extracting");
                        goto out;
                }
        }

        x->gen = yajl_gen_alloc(NULL);
        if (x->gen == NULL) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        /* Every string the extractor writes is strictly valid UTF-8
         * already (gen_string()); yajl's own, looser check is needed only
         * for what a fields callback writes. */
        if (fields_cb != NULL)
                yajl_gen_config(x->gen, yajl_gen_validate_utf8, 1);
        yajl_gen_config(x->gen, yajl_gen_print_callback, out_print, x);

        g_open(x, 1);
        emit_metadata(x);
        if (html)
                emit_html(x);
        if (html && fields_cb != NULL) {
                g_key(x, "fields");
                if (x->gen_st == yajl_gen_status_ok)
                        x->gen_st = (yajl_gen_status)fields_cb(fields_ctx, doc,
                                                               x->gen);
        }
        g_close(x, 1);

        if (x->oom) {
                snprintf(errstr, errstr_size, "out of memory building record");
                goto out;
        }
        if (x->out_failed) {
                snprintf(errstr, errstr_size,
                         "record over %d bytes (or out of memory)",
                         EXTRACT_RECORD_MAX);
                goto out;
        }
        if (x->gen_st != yajl_gen_status_ok) {
                snprintf(errstr, errstr_size, "JSON generator error %d",
                         (int)x->gen_st);
                goto out;
        }
        *out = x->out.data;
        *out_len = x->out.len;
        x->out.data = NULL;
        rc = 0;
out:
        if (x->gen != NULL)
                yajl_gen_free(x->gen);
        if (doc != NULL)
                xmlFreeDoc(doc);
        free(owned);
        dynbuf_free(&x->text);
        dynbuf_free(&x->title);
        dynbuf_free(&x->link_text);
        dynbuf_free(&x->heading_text);
        dynbuf_free(&x->scratch);
        dynbuf_free(&x->quoted);
        dynbuf_free(&x->kinds);
        dynbuf_free(&x->jsonld_text);
        arena_free(x);
        url_scratch_destroy(x->urls);
        dynbuf_free(&x->out);
        free(x->anchors);
        free(x->headings);
        free(x->images);
        free(x);
        return rc;
}
