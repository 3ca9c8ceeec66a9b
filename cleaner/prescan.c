/*
 * prescan.c — attribute counts per start tag, as libxml2 2.9.14's HTML
 * parser tokenises (see prescan.h).
 *
 * Written by hand because libxml2 offers no way to ask: its tokeniser runs
 * only inside the parse whose cost is the problem. The states follow
 * HTMLparser.c: htmlParseContent() (a start tag is '<' and an ASCII letter;
 * "</", "<!--", "<!DOCTYPE", "<?" as below; any other '<' is text),
 * htmlParseStartTag() and htmlParseAttribute() (names of up to 100 name
 * characters, optional "= value", quoted or up to a blank or '>'; a token
 * that is no name is skipped up to a blank, '>' or "/>"),
 * htmlParseEndTag() (a name, then anything up to '>'), htmlParseComment()
 * (up to "-->"; unterminated, the rest of the page), htmlParsePI() and a
 * misplaced DOCTYPE (up to '>'), htmlParseScript() for script and style
 * (recover mode: up to "</" and the element's name). Where a count could
 * differ, it errs high: a name longer than libxml2's 100-character buffer
 * counts once per 100 characters; an unterminated comment hides nothing.
 *
 * Not followed exactly (libxml2's recovery depends there on its stack of
 * open elements, which a byte scan does not have): a DOCTYPE in the
 * middle of a page, an end tag first in the text of script or style that
 * closes an element around it, a PI whose target starts with a non-ASCII
 * letter. There the scan may see a tag libxml2 does not, or miss one; the
 * CPU-time budget (extract.h) still ends the page at its next parser
 * event. tests/unit/test_cleaner_prescan.c compares the counts with
 * libxml2's own on random tag soup of the constructs followed.
 */
#include "prescan.h"

#include "microformats.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_BUF 100 /* libxml2's HTML_PARSER_BUFFER_SIZE */

/* Character classes, as libxml2's HTML parser has them (ASCII only). */
#define C_BLANK 1 /* IS_BLANK_CH */
#define C_START 2 /* htmlParseHTMLName()'s first character */
#define C_NAME 4  /* and the rest */
#define C_ALPHA 8

static const unsigned char ctype[256] = {
        ['\t'] = C_BLANK,
        ['\n'] = C_BLANK,
        ['\r'] = C_BLANK,
        [' '] = C_BLANK,
        ['_'] = C_START | C_NAME,
        [':'] = C_START | C_NAME,
        ['.'] = C_START | C_NAME,
        ['-'] = C_NAME,
        ['0' ... '9'] = C_NAME,
        ['a' ... 'z'] = C_START | C_NAME | C_ALPHA,
        ['A' ... 'Z'] = C_START | C_NAME | C_ALPHA,
};

static int is_blank(unsigned char c)
{
        return ctype[c] & C_BLANK;
}

static int is_letter(unsigned char c)
{
        return ctype[c] & C_ALPHA;
}

static int is_name_start(unsigned char c)
{
        return ctype[c] & C_START;
}

static int is_name_char(unsigned char c)
{
        return ctype[c] & C_NAME;
}

/* The offset of the first '>' at or after i, else len. */
static size_t to_gt(const unsigned char *s, size_t i, size_t len)
{
        const unsigned char *p = i < len ? memchr(s + i, '>', len - i) : NULL;

        return p ? (size_t)(p - s) : len;
}

/* Whether s[i, len) starts with the n bytes of lit, ASCII case folded. */
static int starts_ci(const unsigned char *s, size_t i, size_t len,
                     const char *lit, size_t n)
{
        return len - i >= n && strncasecmp((const char *)s + i, lit, n) == 0;
}

/* Whether an attribute name is one RDFa makes triples of. */
static int rdfa_name(const unsigned char *s, size_t n)
{
        static const char *const names[] = { "property", "typeof", "rel",
                                             "rev",      "role",   "vocab" };

        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
                if (n == strlen(names[k]) &&
                    strncasecmp((const char *)s, names[k], n) == 0)
                        return 1;
        return 0;
}

/* Whether a class attribute's value v[0, n) names a microformats root:
 * a token is tested only when it starts as one can (h-, or a classic
 * root's first letter). */
static int mf_value(const unsigned char *v, size_t n)
{
        size_t i = 0;

        while (i < n) {
                size_t t;

                while (i < n && is_blank(v[i]))
                        i++;
                t = i;
                while (i < n && !is_blank(v[i]))
                        i++;
                if (i > t &&
                    (v[t] == 'h' || v[t] == 'v' || v[t] == 'a' ||
                     v[t] == 'g') &&
                    microformats_root_class((const char *)v + t, i - t))
                        return 1;
        }
        return 0;
}

/* The attributes of one start tag, as far as values_add() needs them. */
#define TAG_ATTS_MAX PRESCAN_TAG_ATTS_MAX
typedef struct tag_atts {
        int plain; /* every attribute as values_add() asks */
        size_t n;  /* attributes */
        size_t name[TAG_ATTS_MAX];
        unsigned short name_len[TAG_ATTS_MAX];
        size_t nv; /* values to list */
        prescan_value_t v[TAG_ATTS_MAX];
} tag_atts_t;

/* Whether the element name s[from, from + n) is one whose start tag
 * libxml2 may discard (html, head, body: once open, it merges nothing
 * into the tree from a second one) or reads the attributes of itself
 * (meta). */
static int tag_kept_whole(const unsigned char *s, size_t from, size_t n)
{
        static const char *const names[] = { "html", "head", "body", "meta" };

        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
                if (n == 4 &&
                    strncasecmp((const char *)s + from, names[k], 4) == 0)
                        return 1;
        return 0;
}

/* One more tag's values (ta->v) in *values, when its attributes are all
 * plain and no name is there twice. On no memory the list is dropped
 * (nothing is elided). */
static void values_add(prescan_values_t *values, const unsigned char *s,
                       const tag_atts_t *ta, size_t end)
{
        prescan_tag_t *t;

        if (values->oom || !ta->plain || ta->nv == 0)
                return;
        for (size_t a = 1; a < ta->n; a++)
                for (size_t b = 0; b < a; b++)
                        if (ta->name_len[a] == ta->name_len[b] &&
                            strncasecmp((const char *)s + ta->name[a],
                                        (const char *)s + ta->name[b],
                                        ta->name_len[a]) == 0)
                                return;
        if (values->n + ta->nv > values->cap) {
                size_t cap = values->cap ? values->cap * 2 : 256;
                prescan_value_t *v;

                while (cap < values->n + ta->nv)
                        cap *= 2;
                v = realloc(values->v, cap * sizeof(*v));
                if (v == NULL) {
                        values->oom = 1;
                        return;
                }
                values->v = v;
                values->cap = cap;
        }
        if (values->tags_n == values->tags_cap) {
                size_t cap = values->tags_cap ? values->tags_cap * 2 : 64;
                prescan_tag_t *v = realloc(values->tags, cap * sizeof(*v));

                if (v == NULL) {
                        values->oom = 1;
                        return;
                }
                values->tags = v;
                values->tags_cap = cap;
        }
        t = &values->tags[values->tags_n++];
        t->end = end;
        t->first = values->n;
        t->natts = (unsigned short)ta->n;
        t->n = (unsigned short)ta->nv;
        memcpy(values->v + values->n, ta->v, ta->nv * sizeof(ta->v[0]));
        values->n += ta->nv;
}

/* The quoted value s[v, q) of the attribute whose name is s[name, name +
 * name_len), noted in ta when it is one to list. */
static void value_note(tag_atts_t *ta, const unsigned char *s, size_t v,
                       size_t q)
{
        if (q - v < PRESCAN_VALUE_MIN || memchr(s + v, '&', q - v) != NULL ||
            memchr(s + v, 0, q - v) != NULL)
                return;
        ta->v[ta->nv].from = v;
        ta->v[ta->nv].to = q;
        ta->v[ta->nv].name = ta->name[ta->n - 1];
        ta->v[ta->nv].name_len = ta->name_len[ta->n - 1];
        ta->v[ta->nv].index = (unsigned short)(ta->n - 1);
        ta->nv++;
}

/* A start tag from s[i] == '<' (s[i + 1] a letter). Returns the offset
 * after it; *natts its attribute count (at most cap + 1: scanning stops
 * there), *raw the length of its name when it opens raw text (script or
 * style, not self-closed), else 0. With values, lists the values of the
 * tag that a parse can do without (prescan_page_elide()). */
static size_t start_tag(const unsigned char *s, size_t i, size_t len,
                        size_t cap, size_t *natts, size_t *raw,
                        unsigned *found, prescan_values_t *values)
{
        size_t name = i + 1, n = 0;
        tag_atts_t ta_store, *ta = NULL;

        *natts = 0;
        *raw = 0;
        i++;
        while (i < len && is_name_char(s[i]) && i - name < NAME_BUF)
                i++;
        if (values != NULL && i - name < NAME_BUF &&
            !tag_kept_whole(s, name, i - name)) {
                ta = &ta_store;
                ta->plain = 1;
                ta->n = 0;
                ta->nv = 0;
        }
        if (i - name == 6 &&
            strncasecmp((const char *)s + name, "script", 6) == 0)
                *raw = 6;
        else if (i - name == 5 &&
                 strncasecmp((const char *)s + name, "style", 5) == 0)
                *raw = 5;
        while (i < len && is_blank(s[i]))
                i++;
        while (i < len && s[i] != '>' &&
               !(s[i] == '/' && i + 1 < len && s[i + 1] == '>')) {
                if (is_name_start(s[i])) {
                        size_t start = i;
                        int cls;

                        while (i < len && is_name_char(s[i]))
                                i++;
                        if (ta != NULL && ta->plain &&
                            (i - start >= NAME_BUF || ta->n == TAG_ATTS_MAX))
                                ta->plain = 0;
                        if (ta != NULL && ta->plain) {
                                ta->name[ta->n] = start;
                                ta->name_len[ta->n] =
                                        (unsigned short)(i - start);
                                ta->n++;
                        }
                        cls = !(*found & PRESCAN_MF) && i - start == 5 &&
                              strncasecmp((const char *)s + start, "class",
                                          5) == 0;
                        if (i - start == 9 &&
                            strncasecmp((const char *)s + start, "itemscope",
                                        9) == 0)
                                *found |= PRESCAN_ITEMSCOPE;
                        else if (!(*found & PRESCAN_RDFA) &&
                                 rdfa_name(s + start, i - start))
                                *found |= PRESCAN_RDFA;
                        n += (i - start + NAME_BUF - 1) / NAME_BUF;
                        if (n > cap) {
                                *natts = n;
                                return i;
                        }
                        while (i < len && is_blank(s[i]))
                                i++;
                        if (i < len && s[i] == '=') {
                                i++;
                                while (i < len && is_blank(s[i]))
                                        i++;
                                if (i < len && (s[i] == '"' || s[i] == '\'')) {
                                        const unsigned char *q = memchr(
                                                s + i + 1, s[i], len - i - 1);

                                        size_t v = i + 1;

                                        i = q ? (size_t)(q - s) + 1 : len;
                                        if (ta != NULL && ta->plain) {
                                                if (q == NULL)
                                                        ta->plain = 0;
                                                else
                                                        value_note(
                                                                ta, s, v,
                                                                (size_t)(q -
                                                                         s));
                                        }
                                        if (cls && q &&
                                            mf_value(s + v,
                                                     (size_t)(q - s) - v))
                                                *found |= PRESCAN_MF;
                                } else {
                                        size_t v = i;

                                        while (i < len && !is_blank(s[i]) &&
                                               s[i] != '>')
                                                i++;
                                        if (cls && mf_value(s + v, i - v))
                                                *found |= PRESCAN_MF;
                                }
                        }
                } else {
                        /* Not a name: skipped up to a blank or the end. */
                        if (ta != NULL)
                                ta->plain = 0;
                        while (i < len && !is_blank(s[i]) && s[i] != '>' &&
                               !(s[i] == '/' && i + 1 < len &&
                                 s[i + 1] == '>'))
                                i++;
                }
                while (i < len && is_blank(s[i]))
                        i++;
        }
        *natts = n;
        if (ta != NULL && i < len)
                values_add(values, s, ta, i);
        if (i < len && s[i] == '/') { /* "/>": empty, no raw text */
                *raw = 0;
                return i + 2;
        }
        return i < len ? i + 1 : len;
}

/* After the raw text of script or style (name s[name, name + n)) from i:
 * the offset of its "</NAME", else len. */
static size_t raw_end(const unsigned char *s, size_t i, size_t len,
                      size_t name, size_t n)
{
        while (i < len) {
                const unsigned char *p = memchr(s + i, '<', len - i);

                if (!p)
                        return len;
                i = (size_t)(p - s);
                if (i + 1 < len && s[i + 1] == '/' && len - i - 2 >= n &&
                    strncasecmp((const char *)s + i + 2,
                                (const char *)s + name, n) == 0)
                        return i;
                i++;
        }
        return len;
}

size_t prescan_max_attributes(const char *html, size_t len, size_t cap,
                              size_t *at)
{
        unsigned found;

        return prescan_page(html, len, cap, at, &found);
}

/* The raw text s[from, to) of a script or style as one its parse can do
 * without: what libxml2 would read as the element's one text and then
 * its end tag, whatever precedes it. Not when it starts with "</" or '<'
 * and a name's first character (htmlParseContent() looks for an end tag
 * or a start tag that closes the element there before it reads raw
 * text), holds a NUL (libxml2 reads raw text up to one) or is empty. */
static int body_elidable(const unsigned char *s, size_t from, size_t to)
{
        if (to == from)
                return 0;
        if (s[from] == '<' && to - from > 1 &&
            (s[from + 1] == '/' || is_letter(s[from + 1]) ||
             s[from + 1] == '_' || s[from + 1] == ':'))
                return 0;
        return memchr(s + from, 0, to - from) == NULL;
}

static size_t scan(const char *html, size_t len, size_t cap, size_t *at,
                   unsigned *found, prescan_bodies_t *bodies,
                   prescan_values_t *values);

size_t prescan_page(const char *html, size_t len, size_t cap, size_t *at,
                    unsigned *found)
{
        return scan(html, len, cap, at, found, NULL, NULL);
}

size_t prescan_page_bodies(const char *html, size_t len, size_t cap,
                           size_t *at, unsigned *found,
                           prescan_bodies_t *bodies)
{
        return scan(html, len, cap, at, found, bodies, NULL);
}

size_t prescan_page_elide(const char *html, size_t len, size_t cap, size_t *at,
                          unsigned *found, prescan_bodies_t *bodies,
                          prescan_values_t *values)
{
        return scan(html, len, cap, at, found, bodies, values);
}

void prescan_bodies_free(prescan_bodies_t *b)
{
        free(b->v);
        b->v = NULL;
        b->n = b->cap = 0;
}

void prescan_values_free(prescan_values_t *v)
{
        free(v->v);
        free(v->tags);
        *v = (prescan_values_t){ 0 };
}

/* One more body; on no memory the list is dropped (nothing is elided). */
static void body_add(prescan_bodies_t *b, size_t gt, size_t from, size_t to)
{
        if (b->oom)
                return;
        if (b->n == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 32;
                prescan_body_t *v = realloc(b->v, cap * sizeof(*v));

                if (v == NULL) {
                        b->oom = 1;
                        return;
                }
                b->v = v;
                b->cap = cap;
        }
        b->v[b->n].gt = gt;
        b->v[b->n].from = from;
        b->v[b->n].to = to;
        b->n++;
}

static size_t scan(const char *html, size_t len, size_t cap, size_t *at,
                   unsigned *found, prescan_bodies_t *bodies,
                   prescan_values_t *values)
{
        const unsigned char *s = (const unsigned char *)html;
        size_t i = 0, best = 0, best_at = 0;
        size_t doctype_end = (size_t)-1;

        *found = 0;
        while (i < len) {
                const unsigned char *p = memchr(s + i, '<', len - i);
                size_t natts, raw;

                if (!p)
                        break;
                i = (size_t)(p - s);
                if (i + 1 >= len)
                        break;
                if (is_letter(s[i + 1])) {
                        size_t tag = i;

                        i = start_tag(s, i, len, cap, &natts, &raw, found,
                                      values);
                        if (natts > best || best == 0) {
                                best = natts;
                                best_at = tag;
                        }
                        if (natts > cap)
                                break;
                        /* Raw text up to "</" and its name; an end tag
                         * first in it, or one whose name only starts with
                         * the element's, is taken as an end tag that does
                         * not close it (htmlParseContent() looks for an end
                         * tag before it calls htmlParseScript() again). */
                        size_t body = i;
                        int plain = 1; /* no end tag inside */

                        while (raw && i < len) {
                                if (i + 1 < len && s[i] == '<' &&
                                    s[i + 1] == '/') {
                                        if (len - i - 2 >= raw &&
                                            strncasecmp(
                                                    (const char *)s + i + 2,
                                                    (const char *)s + tag + 1,
                                                    raw) == 0 &&
                                            (i + 2 + raw == len ||
                                             !is_name_char(s[i + 2 + raw]))) {
                                                if (bodies && plain &&
                                                    body_elidable(s, body, i))
                                                        body_add(bodies,
                                                                 body - 1,
                                                                 body, i);
                                                break; /* closed */
                                        }
                                        plain = 0;
                                        if (i + 2 < len &&
                                            is_name_start(s[i + 2]))
                                                i = to_gt(s, i, len) + 1;
                                        else
                                                i += 2;
                                        continue;
                                }
                                i = raw_end(s, i, len, tag + 1, raw);
                        }
                } else if (s[i + 1] == '/' && i == doctype_end) {
                        /* htmlParseContent() takes a misplaced DOCTYPE
                         * after its check for an end tag: "</" (or another
                         * DOCTYPE) right after one is text. */
                        i++;
                } else if (s[i + 1] == '/') {
                        i += 2;
                        if (i < len && is_name_start(s[i]))
                                i = to_gt(s, i, len) + 1;
                } else if (starts_ci(s, i, len, "<!--", 4)) {
                        const unsigned char *e =
                                memmem(s + i + 4, len - i - 4, "-->", 3);

                        /* Unterminated: what follows is still scanned. */
                        i = e ? (size_t)(e - s) + 3 : i + 4;
                } else if (s[i + 1] == '?') {
                        /* A PI needs a target name; without one only
                         * "<?" is skipped. */
                        if (i + 2 < len &&
                            (is_letter(s[i + 2]) || s[i + 2] == '_' ||
                             s[i + 2] == ':' || s[i + 2] >= 0x80))
                                i = to_gt(s, i, len) + 1;
                        else
                                i += 2;
                } else if (starts_ci(s, i, len, "<!DOCTYPE", 9) &&
                           i != doctype_end) {
                        i = to_gt(s, i, len) + 1;
                        doctype_end = i;
                } else {
                        i++; /* a '<' of text */
                }
        }
        if (at)
                *at = best_at;
        return best;
}
