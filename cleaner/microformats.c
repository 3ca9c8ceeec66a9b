/*
 * microformats.c — microformats2 (and classic microformats) items as mf2py
 * 2.0 parses them for extruct (see microformats.h).
 *
 * Written by hand: Debian has no microformats parser in C. The rules
 * follow the microformats2 parsing spec where mf2py does; where mf2py
 * differs (its text-content algorithm, value-class date handling, which
 * classic classes map to what) it is followed, since the record is
 * compared with extruct's output.
 */
#include "microformats.h"

#include "jsonvalue.h"

#include <stdlib.h>
#include <string.h>

#define CLS_MAX 48 /* class tokens of one element read */

typedef struct tok {
        const char *s;
        size_t n;
} tok_t;

/* ---- classic microformats: mf2py's backcompat rules ---------------- */

typedef struct bc_rule {
        const char *old;    /* space-separated classes (or rels) all there */
        const char *add[4]; /* classes added */
} bc_rule_t;

typedef struct bc_root {
        const char *root, *type;
        const bc_rule_t *props;
        const bc_rule_t *rels;
} bc_root_t;

static const bc_rule_t adr_p[] = {
        { "locality", { "p-locality" } },
        { "region", { "p-region" } },
        { "extended-address", { "p-extended-address" } },
        { "post-office-box", { "p-post-office-box" } },
        { "street-address", { "p-street-address" } },
        { "postal-code", { "p-postal-code" } },
        { "country-name", { "p-country-name" } },
        { NULL, { NULL } }
};
static const bc_rule_t geo_p[] = { { "latitude", { "p-latitude" } },
                                   { "longitude", { "p-longitude" } },
                                   { NULL, { NULL } } };
static const bc_rule_t hentry_p[] = { { "category", { "p-category" } },
                                      { "entry-title", { "p-name" } },
                                      { "published", { "dt-published" } },
                                      { "entry-content", { "e-content" } },
                                      { "entry-summary", { "p-summary" } },
                                      { "author", { "p-author", "h-card" } },
                                      { "geo", { "p-geo", "h-geo" } },
                                      { "updated", { "dt-updated" } },
                                      { NULL, { NULL } } };
static const bc_rule_t hentry_r[] = { { "bookmark", { "u-url" } },
                                      { "tag", { "p-category" } },
                                      { NULL, { NULL } } };
static const bc_rule_t hfeed_p[] = { { "category", { "p-category" } },
                                     { "site-description", { "p-summary" } },
                                     { "description", { "p-summary" } },
                                     { "site-title", { "p-name" } },
                                     { "title", { "p-name" } },
                                     { NULL, { NULL } } };
static const bc_rule_t tag_r[] = { { "tag", { "p-category" } },
                                   { NULL, { NULL } } };
static const bc_rule_t hproduct_p[] = { { "category", { "p-category" } },
                                        { "price", { "p-price" } },
                                        { "description", { "p-description" } },
                                        { "url", { "u-url" } },
                                        { "photo", { "u-photo" } },
                                        { "brand", { "p-brand" } },
                                        { "identifier", { "u-identifier" } },
                                        { "review",
                                          { "p-review", "h-review" } },
                                        { "fn", { "p-name" } },
                                        { NULL, { NULL } } };
static const bc_rule_t hrecipe_p[] = { { "nutrition", { "p-nutrition" } },
                                       { "yield", { "p-yield" } },
                                       { "author", { "p-author", "h-card" } },
                                       { "duration", { "dt-duration" } },
                                       { "photo", { "u-photo" } },
                                       { "instructions",
                                         { "e-instructions" } },
                                       { "summary", { "p-summary" } },
                                       { "fn", { "p-name" } },
                                       { "ingredient", { "p-ingredient" } },
                                       { "category", { "p-category" } },
                                       { NULL, { NULL } } };
static const bc_rule_t hresume_p[] = {
        { "experience", { "h-event", "p-experience" } },
        { "summary", { "p-summary" } },
        { "affiliation", { "p-affiliation", "h-card" } },
        { "contact", { "h-card", "p-contact" } },
        { "skill", { "p-skill" } },
        { "education", { "h-event", "p-education" } },
        { NULL, { NULL } }
};
static const bc_rule_t hreviewagg_p[] = {
        { "rating", { "p-rating" } },
        { "description", { "p-description" } },
        { "photo", { "u-photo" } },
        { "worst", { "p-worst" } },
        { "reviewer", { "p-reviewer", "p-author", "h-card" } },
        { "best", { "p-best" } },
        { "count", { "p-count" } },
        { "votes", { "p-votes" } },
        { "dtreviewed", { "dt-reviewed" } },
        { "url", { "u-url" } },
        { "summary", { "p-name" } },
        { "fn", { "p-item", "h-item", "p-name" } },
        { NULL, { NULL } }
};
static const bc_rule_t hreview_p[] = {
        { "rating", { "p-rating" } },
        { "worst", { "p-worst" } },
        { "dtreviewed", { "dt-reviewed" } },
        { "reviewer", { "p-author", "h-card" } },
        { "url", { "p-item", "h-item", "u-url" } },
        { "photo", { "p-item", "h-item", "u-photo" } },
        { "best", { "p-best" } },
        { "description", { "p-description" } },
        { "fn", { "p-item", "h-item", "p-name" } },
        { "summary", { "p-name" } },
        { "item vcard", { "p-item", "vcard" } },
        { "item vevent", { "p-item", "vevent" } },
        { "item hproduct", { "p-item", "hproduct" } },
        { NULL, { NULL } }
};
static const bc_rule_t hreview_r[] = { { "self bookmark", { "u-url" } },
                                       { "tag", { "p-category" } },
                                       { NULL, { NULL } } };
static const bc_rule_t vcard_p[] = {
        { "tel", { "p-tel" } },
        { "honorific-suffix", { "p-honorific-suffix" } },
        { "family-name", { "p-family-name" } },
        { "photo", { "u-photo" } },
        { "logo", { "u-logo" } },
        { "postal-code", { "p-postal-code" } },
        { "country-name", { "p-country-name" } },
        { "uid", { "u-uid" } },
        { "category", { "p-category" } },
        { "adr", { "p-adr", "h-adr" } },
        { "locality", { "p-locality" } },
        { "nickname", { "p-nickname" } },
        { "label", { "p-label" } },
        { "note", { "p-note" } },
        { "street-address", { "p-street-address" } },
        { "latitude", { "p-latitude" } },
        { "email", { "u-email" } },
        { "bday", { "dt-bday" } },
        { "extended-address", { "p-extended-address" } },
        { "additional-name", { "p-additional-name" } },
        { "organization-unit", { "p-organization-unit" } },
        { "given-name", { "p-given-name" } },
        { "key", { "u-key" } },
        { "org", { "p-org" } },
        { "honorific-prefix", { "p-honorific-prefix" } },
        { "geo", { "p-geo", "h-geo" } },
        { "fn", { "p-name" } },
        { "url", { "u-url" } },
        { "region", { "p-region" } },
        { "longitude", { "p-longitude" } },
        { "organization-name", { "p-organization-name" } },
        { "title", { "p-job-title" } },
        { "role", { "p-role" } },
        { NULL, { NULL } }
};
static const bc_rule_t vevent_p[] = { { "attendee", { "p-attendee" } },
                                      { "description", { "p-description" } },
                                      { "duration", { "dt-duration" } },
                                      { "dtend", { "dt-end" } },
                                      { "dtstart", { "dt-start" } },
                                      { "organizer", { "p-organizer" } },
                                      { "category", { "p-category" } },
                                      { "url", { "u-url" } },
                                      { "summary", { "p-name" } },
                                      { "contact", { "p-contact" } },
                                      { "location", { "p-location" } },
                                      { NULL, { NULL } } };
static const bc_rule_t no_r[] = { { NULL, { NULL } } };

/* Sorted by root name, as mf2py lists a page's classic roots. */
static const bc_root_t bc_roots[] = {
        { "adr", "h-adr", adr_p, no_r },
        { "geo", "h-geo", geo_p, no_r },
        { "hentry", "h-entry", hentry_p, hentry_r },
        { "hfeed", "h-feed", hfeed_p, tag_r },
        { "hproduct", "h-product", hproduct_p, no_r },
        { "hrecipe", "h-recipe", hrecipe_p, tag_r },
        { "hresume", "h-resume", hresume_p, no_r },
        { "hreview", "h-review", hreview_p, hreview_r },
        { "hreview-aggregate", "h-review-aggregate", hreviewagg_p, no_r },
        { "vcard", "h-card", vcard_p, no_r },
        { "vevent", "h-event", vevent_p, no_r },
};
#define BC_N (sizeof(bc_roots) / sizeof(bc_roots[0]))

static int tok_is(const tok_t *t, const char *s)
{
        return strlen(s) == t->n && memcmp(t->s, s, t->n) == 0;
}

static const bc_root_t *bc_find(const char *s, size_t n)
{
        for (size_t i = 0; i < BC_N; i++)
                if (strlen(bc_roots[i].root) == n &&
                    memcmp(bc_roots[i].root, s, n) == 0)
                        return &bc_roots[i];
        return NULL;
}

/* ---- class names ---------------------------------------------------- */

static int lower(char c)
{
        return c >= 'a' && c <= 'z';
}

static int digit(char c)
{
        return c >= '0' && c <= '9';
}

/* mf2py's name grammar after the prefix: [a-z]+ (":"? "-" [a-z]+)* */
static int name_rest(const char *s, size_t n)
{
        size_t i = 0;

        if (n == 0 || !lower(s[0]))
                return 0;
        while (i < n) {
                if (!lower(s[i]))
                        return 0;
                while (i < n && lower(s[i]))
                        i++;
                if (i == n)
                        return 1;
                if (s[i] == ':')
                        i++;
                if (i >= n || s[i] != '-')
                        return 0;
                i++;
                if (i >= n)
                        return 0;
        }
        return 1;
}

/* (":"? [a-z0-9]+ "-")? then name_rest */
static int mf_name(const char *s, size_t n)
{
        size_t i = 0, j;

        if (name_rest(s, n))
                return 1;
        if (n > 0 && s[0] == ':')
                i = 1;
        j = i;
        while (j < n && (lower(s[j]) || digit(s[j])))
                j++;
        return j > i && j < n && s[j] == '-' &&
               name_rest(s + j + 1, n - j - 1);
}

/* The kind of an mf2 class: 'h', 'p', 'u', 'e', 'd' (dt-) or 0; *name
 * the part after the prefix. */
static int mf_kind(const char *s, size_t n, size_t *off)
{
        if (n > 3 && s[0] == 'd' && s[1] == 't' && s[2] == '-') {
                *off = 3;
                return mf_name(s + 3, n - 3) ? 'd' : 0;
        }
        if (n > 2 && s[1] == '-' &&
            (s[0] == 'h' || s[0] == 'p' || s[0] == 'u' || s[0] == 'e')) {
                *off = 2;
                return mf_name(s + 2, n - 2) ? s[0] : 0;
        }
        return 0;
}

int microformats_root_class(const char *s, size_t n)
{
        size_t off;

        return mf_kind(s, n, &off) == 'h' || bc_find(s, n) != NULL;
}

static int html_space(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Splits s on whitespace into t[] (at most CLS_MAX); returns the count. */
static size_t split(const char *s, tok_t *t)
{
        size_t n = 0;

        while (s != NULL && *s && n < CLS_MAX) {
                while (html_space((unsigned char)*s))
                        s++;
                if (!*s)
                        break;
                t[n].s = s;
                while (*s && !html_space((unsigned char)*s))
                        s++;
                t[n].n = (size_t)(s - t[n].s);
                n++;
        }
        return n;
}

static int has_tok(const tok_t *t, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (tok_is(&t[i], s))
                        return 1;
        return 0;
}

/* Whether every space-separated word of words is among t[]. */
static int has_all(const tok_t *t, size_t n, const char *words)
{
        const char *w = words;

        while (*w) {
                const char *e = strchr(w, ' ');
                size_t len = e ? (size_t)(e - w) : strlen(w);
                size_t i;

                for (i = 0; i < n; i++)
                        if (t[i].n == len && memcmp(t[i].s, w, len) == 0)
                                break;
                if (i == n)
                        return 0;
                w += len;
                if (*w == ' ')
                        w++;
        }
        return 1;
}

/* ---- state ---------------------------------------------------------- */

typedef struct prop {
        char *name;
        size_t nlen;
        dynbuf_t vals; /* JSON values, comma-separated */
        size_t first;  /* length of the first value */
} prop_t;


enum { AGG_P = 1, AGG_U = 2, AGG_D = 4, AGG_E = 8, AGG_H = 16 };

typedef struct mf {
        const url_t *base;
        url_scratch_t *urls;
        const char *doc_lang;
        size_t visits, bytes, errors, items;
        int stop, failed, capped;
        int over;      /* past MF_BYTES_MAX: the item being built is dropped */
        char date[64]; /* mf2py's default date for time-only dt- values */
        int has_date;
        dynbuf_t tmp;
} mf_t;

static const char *attr(xmlNodePtr n, const char *name)
{
        for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
                if (a->name && strcmp((const char *)a->name, name) == 0) {
                        if (a->children && a->children->content)
                                return (const char *)a->children->content;
                        return "";
                }
        return NULL;
}

static int is(xmlNodePtr n, const char *name)
{
        return n->name && strcmp((const char *)n->name, name) == 0;
}

static int is_elem(xmlNodePtr n)
{
        return n->type == XML_ELEMENT_NODE && !is(n, "template");
}

/* A node visit: 0, or -1 once the page's visits are spent. */
static int visit(mf_t *m)
{
        if (++m->visits > MF_VISITS_MAX) {
                if (!m->stop)
                        m->errors++;
                m->stop = 1;
                m->capped = 1;
                return -1;
        }
        return 0;
}

static void add(mf_t *m, dynbuf_t *b, const void *s, size_t n)
{
        if (m->failed)
                return;
        m->bytes += n;
        if (m->bytes > MF_BYTES_MAX) {
                if (!m->stop)
                        m->errors++;
                m->stop = m->over = 1;
                m->capped = 1;
                return;
        }
        if (dynbuf_add(b, s, n) < 0)
                m->failed = 1;
}

static void adds(mf_t *m, dynbuf_t *b, const char *s)
{
        add(m, b, s, strlen(s));
}

static void quote(mf_t *m, dynbuf_t *b, const char *s, size_t n)
{
        size_t before = b->len;

        if (m->failed)
                return;
        if (jsonvalue_quote(b, (const unsigned char *)s, n) < 0) {
                m->failed = 1;
                return;
        }
        m->bytes += b->len - before;
        if (m->bytes > MF_BYTES_MAX) {
                if (!m->stop)
                        m->errors++;
                m->stop = m->over = 1;
                m->capped = 1;
        }
}

/* ---- URLs ------------------------------------------------------------ */

/* mf2py's try_urljoin: http(s) URLs as written, others resolved. Into
 * m->tmp's place: appends to out. */
static void join(mf_t *m, dynbuf_t *out, const char *s, size_t n)
{
        const char *href;
        size_t hl;

        if (m->base != NULL && m->urls != NULL &&
            !(n >= 7 && memcmp(s, "http://", 7) == 0) &&
            !(n >= 8 && memcmp(s, "https://", 8) == 0) &&
            url_href_n(m->urls, s, n, m->base, &href, &hl) == URL_OK) {
                /* Python's urljoin() drops an empty fragment or query. */
                if (hl > 0 && href[hl - 1] == '#')
                        hl--;
                if (hl > 0 && href[hl - 1] == '?')
                        hl--;
                add(m, out, href, hl);
                return;
        }
        add(m, out, s, n);
}

/* ---- text ------------------------------------------------------------ */

/* Python's str.isspace() for the UTF-8 character at s (length *cl). */
static int u_space(const unsigned char *s, size_t n, size_t *cl)
{
        *cl = 1;
        if (s[0] < 0x80)
                return s[0] == ' ' || (s[0] >= 0x09 && s[0] <= 0x0d) ||
                       (s[0] >= 0x1c && s[0] <= 0x1f);
        if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0)) {
                *cl = 2;
                return 1;
        }
        if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
            (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) {
                *cl = 3;
                return 1;
        }
        if (n >= 3 && ((s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) ||
                       (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) ||
                       (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80))) {
                *cl = 3;
                return 1;
        }
        return 0;
}

static size_t lstrip_len(const char *s, size_t n)
{
        size_t i = 0, cl;

        while (i < n && u_space((const unsigned char *)s + i, n - i, &cl))
                i += cl;
        return i;
}

static size_t rstrip_len(const char *s, size_t n)
{
        /* the end after trailing whitespace */
        size_t end = n;

        while (end > 0) {
                size_t st = end - 1, cl;

                while (st > 0 && ((unsigned char)s[st] & 0xc0) == 0x80 &&
                       end - st < 3)
                        st--;
                if (u_space((const unsigned char *)s + st, end - st, &cl) &&
                    st + cl == end)
                        end = st;
                else if (u_space((const unsigned char *)s + end - 1, 1, &cl))
                        end--;
                else
                        break;
        }
        return end;
}

/* A text node's text as BeautifulSoup holds it: CR LF and CR as LF, and
 * text of ASCII whitespace only (outside pre and textarea) as one "\n"
 * when it has a line break, else one " ". Into out. */
static void bs_text(mf_t *m, xmlNodePtr t, dynbuf_t *out)
{
        const char *s = (const char *)t->content, *p;
        int blank = 1, nl = 0;

        if (s == NULL)
                return;
        for (p = s; *p; p++) {
                if (*p == '\n' || *p == '\r')
                        nl = 1;
                else if (*p != ' ' && *p != '\t' && *p != '\f')
                        blank = 0;
                if (!blank)
                        break;
        }
        if (blank && *s) {
                xmlNodePtr a;

                for (a = t->parent; a != NULL; a = a->parent)
                        if (a->type == XML_ELEMENT_NODE &&
                            (is(a, "pre") || is(a, "textarea")))
                                break;
                if (a == NULL) {
                        add(m, out, nl ? "\n" : " ", 1);
                        return;
                }
        }
        for (p = s; *p; p++) {
                const char *q = p;

                while (*q && *q != '\r')
                        q++;
                add(m, out, p, (size_t)(q - p));
                if (!*q)
                        break;
                add(m, out, "\n", 1);
                if (q[1] == '\n')
                        q++;
                p = q;
        }
}

static int skip_text_of(xmlNodePtr n)
{
        return is(n, "script") || is(n, "style") || is(n, "template") ||
               is(n, "rt") || is(n, "rp");
}

/* bs4's get_text(): every text of the subtree, comments and the text of
 * script, style, template, rt, rp left out. */
static void get_text(mf_t *m, xmlNodePtr el, dynbuf_t *out)
{
        xmlNodePtr n = el->children;

        while (n != NULL && !m->stop) {
                int down = 0;

                if (visit(m) < 0)
                        return;
                if (n->type == XML_TEXT_NODE ||
                    n->type == XML_CDATA_SECTION_NODE) {
                        bs_text(m, n, out);
                } else if (n->type == XML_ELEMENT_NODE) {
                        down = !skip_text_of(n);
                }
                if (down && n->children) {
                        n = n->children;
                        continue;
                }
                while (n != el && n->next == NULL)
                        n = n->parent;
                if (n == el)
                        break;
                n = n->next;
        }
}

/* mf2py's get_textContent(): tokens are strings (in m->tmp) or the marks
 * P_BEFORE 1, P_AFTER 0, PRE_BEFORE 2, PRE_AFTER 3. */
typedef struct ttok {
        int mark; /* -1: a string */
        size_t off, len;
} ttok_t;

typedef struct tlist {
        ttok_t *t;
        size_t n, cap;
} tlist_t;

static void tpush(mf_t *m, tlist_t *l, int mark, size_t off, size_t len)
{
        if (l->n == l->cap) {
                size_t nc = l->cap ? l->cap * 2 : 64;
                ttok_t *t = realloc(l->t, nc * sizeof(*t));

                if (t == NULL) {
                        m->failed = 1;
                        return;
                }
                l->t = t;
                l->cap = nc;
        }
        l->t[l->n].mark = mark;
        l->t[l->n].off = off;
        l->t[l->n].len = len;
        l->n++;
}

static void tstr(mf_t *m, tlist_t *l, dynbuf_t *sb, const char *s, size_t n)
{
        size_t off = sb->len;

        if (n == 0)
                return; /* mf2py drops "" */
        add(m, sb, s, n);
        tpush(m, l, -1, off, n);
}

/* A text node's text with runs of \n\t\r as one space, and runs of
 * spaces as one. */
static void tnorm(mf_t *m, tlist_t *l, dynbuf_t *sb, const char *s)
{
        size_t off = sb->len;
        int sp = 0;

        for (; *s; s++) {
                char c = *s;

                if (c == '\n' || c == '\t' || c == '\r')
                        c = ' ';
                if (c == ' ' && sp)
                        continue;
                sp = c == ' ';
                add(m, sb, &c, 1);
        }
        if (sb->len > off)
                tpush(m, l, -1, off, sb->len - off);
}

static int is_str(const ttok_t *t, const char *sb, const char *lit)
{
        return t->mark < 0 && t->len == strlen(lit) &&
               memcmp(sb + t->off, lit, t->len) == 0;
}

static int is_pmark(const ttok_t *t)
{
        return t->mark == 0 || t->mark == 1;
}

static void text_content(mf_t *m, xmlNodePtr el, int replace_img,
                         int img_to_src, dynbuf_t *out)
{
        tlist_t l = { NULL, 0, 0 };
        dynbuf_t sb;
        xmlNodePtr n = el->children;
        size_t i, first, last;
        int count = 0, lastmark = -2;
        const ttok_t *lastt = NULL;

        dynbuf_init(&sb, SIZE_MAX / 2);
        while (n != NULL && !m->stop && !m->failed) {
                int down = 0;

                if (visit(m) < 0)
                        break;
                if (n->type == XML_TEXT_NODE ||
                    n->type == XML_CDATA_SECTION_NODE) {
                        m->tmp.len = 0;
                        bs_text(m, n, &m->tmp);
                        add(m, &m->tmp, "", 1); /* NUL */
                        if (m->tmp.len > 1)
                                tnorm(m, &l, &sb, m->tmp.data);
                } else if (n->type != XML_ELEMENT_NODE || skip_text_of(n)) {
                        if (n->type == XML_ELEMENT_NODE &&
                            (is(n, "rt") || is(n, "rp")))
                                down = 1;
                } else if (is(n, "pre")) {
                        size_t off = sb.len;

                        tpush(m, &l, 2, 0, 0);
                        get_text(m, n, &sb);
                        if (sb.len > off)
                                tpush(m, &l, -1, off, sb.len - off);
                        tpush(m, &l, 3, 0, 0);
                } else if (is(n, "img") && replace_img) {
                        const char *v = attr(n, "alt");

                        m->tmp.len = 0;
                        if (v != NULL) {
                                add(m, &m->tmp, v, strlen(v));
                        } else if (img_to_src) {
                                v = attr(n, "src");
                                if (v != NULL)
                                        join(m, &m->tmp, v, strlen(v));
                        }
                        if (v != NULL) {
                                tstr(m, &l, &sb, " ", 1);
                                tstr(m, &l, &sb,
                                     m->tmp.data ? m->tmp.data : "",
                                     m->tmp.len);
                                tstr(m, &l, &sb, " ", 1);
                        }
                } else if (is(n, "br")) {
                        tstr(m, &l, &sb, "\n", 1);
                } else {
                        if (is(n, "p"))
                                tpush(m, &l, 1, 0, 0);
                        down = 1;
                }
                if (down && n->children) {
                        n = n->children;
                        continue;
                }
                for (;;) { /* n is done: a paragraph closes */
                        if (n->type == XML_ELEMENT_NODE && is(n, "p")) {
                                tpush(m, &l, 0, 0, 0);
                                tstr(m, &l, &sb, "\n", 1);
                        }
                        if (n->next != NULL) {
                                n = n->next;
                                break;
                        }
                        n = n->parent;
                        if (n == el || n == NULL) {
                                n = NULL;
                                break;
                        }
                }
        }
        if (m->failed || l.n == 0)
                goto out;
        /* lone spaces next to an edge, a space or a paragraph mark go */
        for (i = 0; i < l.n; i++) {
                if (!is_str(&l.t[i], sb.data, " "))
                        continue;
                if (i == 0 || i == l.n - 1 ||
                    is_str(&l.t[i - 1], sb.data, " ") ||
                    is_pmark(&l.t[i - 1]) ||
                    is_str(&l.t[i + 1], sb.data, " ") || is_pmark(&l.t[i + 1]))
                        l.t[i].len = 0;
        }
        first = 0;
        last = l.n;
        while (first < last) {
                ttok_t *t = &l.t[first];

                if (is_pmark(t) ||
                    (t->mark < 0 &&
                     lstrip_len(sb.data + t->off, t->len) == t->len))
                        first++;
                else
                        break;
        }
        while (last > first) {
                ttok_t *t = &l.t[last - 1];

                if (is_pmark(t) ||
                    (t->mark < 0 &&
                     lstrip_len(sb.data + t->off, t->len) == t->len))
                        last--;
                else
                        break;
        }
        if (first < last && l.t[first].mark < 0) {
                size_t k =
                        lstrip_len(sb.data + l.t[first].off, l.t[first].len);

                l.t[first].off += k;
                l.t[first].len -= k;
        }
        if (first < last && l.t[last - 1].mark < 0)
                l.t[last - 1].len = rstrip_len(sb.data + l.t[last - 1].off,
                                               l.t[last - 1].len);
        {
                size_t start = out->len;

                for (i = first; i < last; i++) {
                        ttok_t *t = &l.t[i];

                        if (is_pmark(t)) {
                                if (t->mark > count)
                                        count = t->mark;
                        } else if (t->mark == 2) {
                                while (out->len > start &&
                                       out->data[out->len - 1] == ' ')
                                        out->len--;
                        } else if (t->mark < 0) {
                                const char *s = sb.data + t->off;
                                size_t len = t->len;

                                if (count || (lastt != NULL && lastmark < 0 &&
                                              is_str(lastt, sb.data, "\n"))) {
                                        while (len > 0 && *s == ' ') {
                                                s++;
                                                len--;
                                        }
                                }
                                for (int c = 0; c < count; c++)
                                        add(m, out, "\n", 1);
                                add(m, out, s, len);
                                count = 0;
                        }
                        lastt = t;
                        lastmark = t->mark;
                }
        }
out:
        free(l.t);
        dynbuf_free(&sb);
}

/* ---- dates: mf2py's DATE_RE, TIME_RE, TIMEZONE_RE, DATETIME_RE -------- */

typedef struct dtm {
        size_t date, date_n, hour, hour_n, min, min_n, sec, sec_n;
        size_t ampm, ampm_n, tz, tz_n;
        char sep;
} dtm_t;

static size_t digits(const char *s, size_t i, size_t n, size_t max)
{
        size_t k = 0;

        while (i + k < n && k < max && digit(s[i + k]))
                k++;
        return k;
}

/* \d{4}-\d{2}-\d{2} | \d{4}-\d{3} at s[i]: its length or 0. Both are
 * tried (the caller needs a full match). */
static size_t date_at(const char *s, size_t i, size_t n, int alt)
{
        if (digits(s, i, n, 4) != 4 || i + 4 >= n || s[i + 4] != '-')
                return 0;
        if (!alt) {
                if (digits(s, i + 5, n, 2) == 2 && i + 7 < n &&
                    s[i + 7] == '-' && digits(s, i + 8, n, 2) == 2)
                        return 10;
                return 0;
        }
        return digits(s, i + 5, n, 3) == 3 ? 8 : 0;
}

static int at_end(const char *s, size_t i, size_t n)
{
        return i == n || (i + 1 == n && s[i] == '\n'); /* Python's $ */
}

/* Z | [+-]\d{1,2}:?\d{2} ending exactly at the end. */
static int tz_full(const char *s, size_t i, size_t n)
{
        if (i < n && s[i] == 'Z')
                return at_end(s, i + 1, n);
        if (i >= n || (s[i] != '+' && s[i] != '-'))
                return 0;
        for (size_t h = 2; h >= 1; h--) {
                size_t j = i + 1;

                if (digits(s, j, n, h) != h)
                        continue;
                j += h;
                for (int c = 1; c >= 0; c--) {
                        size_t k = j;

                        if (c) {
                                if (k < n && s[k] == ':')
                                        k++;
                                else
                                        continue;
                        }
                        if (digits(s, k, n, 2) == 2 && at_end(s, k + 2, n))
                                return 1;
                }
        }
        return 0;
}

static size_t ampm_at(const char *s, size_t i, size_t n)
{
        static const char *const w[] = { "a.m.", "p.m.", "A.M.", "P.M.",
                                         "am",   "pm",   "AM",   "PM" };

        for (size_t k = 0; k < 8; k++) {
                size_t l = strlen(w[k]);

                if (n - i >= l && memcmp(s + i, w[k], l) == 0)
                        return l;
        }
        return 0;
}

/* TIME_RE matched in full from s[i]. */
static int time_full(const char *s, size_t i, size_t n, dtm_t *d)
{
        for (size_t h = 2; h >= 1; h--) {
                size_t j;

                if (digits(s, i, n, h) != h)
                        continue;
                d->hour = i;
                d->hour_n = h;
                for (int withmin = 1; withmin >= 0; withmin--) {
                        j = i + h;
                        d->min_n = d->sec_n = 0;
                        if (withmin) {
                                if (!(j < n && s[j] == ':' &&
                                      digits(s, j + 1, n, 2) == 2))
                                        continue;
                                d->min = j + 1;
                                d->min_n = 2;
                                j += 3;
                                if (j < n && s[j] == ':' &&
                                    digits(s, j + 1, n, 2) == 2) {
                                        d->sec = j + 1;
                                        d->sec_n = 2;
                                        j += 3;
                                        if (j < n && s[j] == '.' &&
                                            digits(s, j + 1, n, 1000) > 0)
                                                j += 1 + digits(s, j + 1, n,
                                                                (size_t)-1);
                                }
                        }
                        /* ( ?AMPM)?( ?TZ)?$ */
                        for (int a = 1; a >= 0; a--) {
                                size_t k = j;

                                d->ampm_n = 0;
                                if (a) {
                                        size_t sp = k < n && s[k] == ' ';
                                        size_t l = ampm_at(s, k + sp, n);

                                        if (l == 0)
                                                continue;
                                        d->ampm = k + sp;
                                        d->ampm_n = l;
                                        k += sp + l;
                                }
                                d->tz_n = 0;
                                if (at_end(s, k, n))
                                        return 1;
                                for (int sp = 1; sp >= 0; sp--) {
                                        size_t t = k + (size_t)sp;

                                        if (sp && !(k < n && s[k] == ' '))
                                                continue;
                                        if (tz_full(s, t, n)) {
                                                d->tz = t;
                                                d->tz_n = n - t;
                                                if (d->tz_n &&
                                                    s[n - 1] == '\n')
                                                        d->tz_n--;
                                                return 1;
                                        }
                                }
                        }
                }
        }
        return 0;
}

static int datetime_full(const char *s, size_t n, dtm_t *d)
{
        for (int alt = 0; alt < 2; alt++) {
                size_t l = date_at(s, 0, n, alt);

                if (l == 0 || l >= n || (s[l] != 'T' && s[l] != ' '))
                        continue;
                d->date = 0;
                d->date_n = l;
                d->sep = s[l];
                if (time_full(s, l + 1, n, d))
                        return 1;
        }
        return 0;
}

static int date_full(const char *s, size_t n)
{
        return (date_at(s, 0, n, 0) == 10 && at_end(s, 10, n)) ||
               (date_at(s, 0, n, 1) == 8 && at_end(s, 8, n));
}

/* The decimal s[0, n) (digits, checked by the caller). */
static int num(const char *s, size_t n)
{
        int v = 0;

        for (size_t i = 0; i < n; i++)
                v = v * 10 + (s[i] - '0');
        return v;
}

/* mf2py's normalize_datetime() of s[0, n) into out. */
static void dt_normal(mf_t *m, const char *s, size_t n, dynbuf_t *out)
{
        dtm_t d;
        char buf[32];

        memset(&d, 0, sizeof(d));
        if (!datetime_full(s, n, &d)) {
                add(m, out, s, n);
                return;
        }
        if (d.date_n == 8) { /* YYYY-DDD: an ordinal date */
                int y = num(s, 4), day = num(s + 5, 3);
                int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
                static const int ml[] = { 31, 28, 31, 30, 31, 30,
                                          31, 31, 30, 31, 30, 31 };
                int mo = 0;

                if (y >= 1 && day >= 1 && day <= 365 + leap) {
                        while (day > ml[mo] + (mo == 1 ? leap : 0)) {
                                day -= ml[mo] + (mo == 1 ? leap : 0);
                                mo++;
                        }
                        snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, mo + 1,
                                 day);
                        add(m, out, buf, strlen(buf));
                } else {
                        add(m, out, s, d.date_n);
                }
        } else {
                add(m, out, s, d.date_n);
        }
        add(m, out, &d.sep, 1);
        if (d.ampm_n) {
                int h = num(s + d.hour, d.hour_n);
                char c = s[d.ampm];

                if ((c == 'a' || c == 'A') && h == 12)
                        add(m, out, "00", 2);
                else if ((c == 'p' || c == 'P') && h < 12) {
                        snprintf(buf, sizeof(buf), "%d", h + 12);
                        add(m, out, buf, strlen(buf));
                } else
                        add(m, out, s + d.hour, d.hour_n);
        } else {
                add(m, out, s + d.hour, d.hour_n);
        }
        add(m, out, ":", 1);
        if (d.min_n)
                add(m, out, s + d.min, d.min_n);
        else
                add(m, out, "00", 2);
        if (d.sec_n) {
                add(m, out, ":", 1);
                add(m, out, s + d.sec, d.sec_n);
        }
        for (size_t i = 0; i < d.tz_n; i++)
                if (s[d.tz + i] != ':')
                        add(m, out, s + d.tz + i, 1);
}

static void set_date(mf_t *m, const char *s, size_t n)
{
        if (n < sizeof(m->date)) {
                memcpy(m->date, s, n);
                m->date[n] = '\0';
                m->has_date = 1;
        }
}

/* ---- property values -------------------------------------------------- */

static int vcp_child(xmlNodePtr c, int *title)
{
        tok_t t[CLS_MAX];
        size_t n = split(attr(c, "class"), t);

        *title = has_tok(t, n, "value-title");
        return *title || has_tok(t, n, "value");
}

/* The value-class pattern's text; 0 when el has no value child. */
static int vcp_text(mf_t *m, xmlNodePtr el, dynbuf_t *out)
{
        int found = 0, title;

        for (xmlNodePtr c = el->children; c != NULL; c = c->next) {
                if (!is_elem(c) || !vcp_child(c, &title))
                        continue;
                found = 1;
                if (title) {
                        const char *v = attr(c, "title");

                        if (v)
                                add(m, out, v, strlen(v));
                } else {
                        get_text(m, c, out);
                }
        }
        return found;
}

static const char *attr_on(xmlNodePtr n, const char *name, const char *tag1,
                           const char *tag2)
{
        if (is(n, tag1) || (tag2 != NULL && is(n, tag2)))
                return attr(n, name);
        return NULL;
}

/* p-*: raw text into out. */
static void p_text(mf_t *m, xmlNodePtr el, dynbuf_t *out)
{
        const char *v;

        if (vcp_text(m, el, out))
                return;
        v = attr_on(el, "title", "abbr", "link");
        if (v == NULL)
                v = attr_on(el, "value", "data", "input");
        if (v == NULL)
                v = attr_on(el, "alt", "img", "area");
        if (v != NULL)
                add(m, out, v, strlen(v));
        else
                text_content(m, el, 1, 1, out);
}

static void srcset(mf_t *m, const char *s, dynbuf_t *out)
{
        /* mf2py: (\S+)\s*([\d.]+[xw])?\s*,?\s* found repeatedly; the first
         * URL of each descriptor is kept. */
        char seen[64][16];
        size_t nseen = 0;
        int any = 0;

        adds(m, out, "{");
        while (*s) {
                const char *u, *d = NULL;
                size_t ul, dl = 0, k;

                while (*s && html_space((unsigned char)*s))
                        s++;
                if (!*s)
                        break;
                u = s;
                while (*s && !html_space((unsigned char)*s))
                        s++;
                ul = (size_t)(s - u);
                while (*s && html_space((unsigned char)*s))
                        s++;
                k = 0;
                while ((digit(s[k]) || s[k] == '.'))
                        k++;
                if (k > 0 && (s[k] == 'x' || s[k] == 'w')) {
                        d = s;
                        dl = k + 1;
                        s += k + 1;
                        while (*s && html_space((unsigned char)*s))
                                s++;
                        if (*s == ',')
                                s++;
                }
                if (d == NULL) {
                        d = "1x";
                        dl = 2;
                }
                while (ul > 0 && u[0] == ',') {
                        u++;
                        ul--;
                }
                while (ul > 0 && u[ul - 1] == ',')
                        ul--;
                for (k = 0; k < nseen; k++)
                        if (strlen(seen[k]) == dl &&
                            memcmp(seen[k], d, dl) == 0)
                                break;
                if (k < nseen || dl >= 16 || nseen == 64)
                        continue;
                memcpy(seen[nseen], d, dl);
                seen[nseen++][dl] = '\0';
                if (any)
                        adds(m, out, ",");
                any = 1;
                quote(m, out, d, dl);
                adds(m, out, ":");
                m->tmp.len = 0;
                join(m, &m->tmp, u, ul);
                quote(m, out, m->tmp.data ? m->tmp.data : "", m->tmp.len);
        }
        adds(m, out, "}");
}

/* mf2py's get_img(): an img's src as a JSON string, or {"value", "alt",
 * "srcset"}; 0 when el is no img with a src. *empty: the URL is "". */
static int get_img(mf_t *m, xmlNodePtr el, dynbuf_t *out, int *empty)
{
        const char *src, *alt, *ss;

        if (!is(el, "img"))
                return 0;
        src = attr(el, "src");
        if (src == NULL)
                return 0;
        alt = attr(el, "alt");
        ss = attr(el, "srcset");
        m->tmp.len = 0;
        join(m, &m->tmp, src, strlen(src));
        *empty = m->tmp.len == 0;
        if (alt == NULL && (ss == NULL || !*ss)) {
                quote(m, out, m->tmp.data ? m->tmp.data : "", m->tmp.len);
                return 1;
        }
        adds(m, out, "{\"value\":");
        quote(m, out, m->tmp.data ? m->tmp.data : "", m->tmp.len);
        if (alt != NULL) {
                adds(m, out, ",\"alt\":");
                quote(m, out, alt, strlen(alt));
        }
        if (ss != NULL && *ss) {
                adds(m, out, ",\"srcset\":");
                srcset(m, ss, out);
        }
        adds(m, out, "}");
        return 1;
}

static void quote_buf(mf_t *m, dynbuf_t *out, const dynbuf_t *b)
{
        quote(m, out, b->data ? b->data : "", b->len);
}

/* u-*: a JSON value into out. */
static void u_value(mf_t *m, xmlNodePtr el, dynbuf_t *out)
{
        dynbuf_t raw;
        const char *v;
        int empty;

        v = attr_on(el, "href", "a", "area");
        if (v == NULL)
                v = attr_on(el, "href", "link", NULL);
        if (v == NULL && get_img(m, el, out, &empty))
                return;
        if (v == NULL)
                v = attr_on(el, "src", "audio", "video");
        if (v == NULL)
                v = attr_on(el, "src", "source", "iframe");
        if (v == NULL)
                v = attr_on(el, "poster", "video", NULL);
        if (v == NULL)
                v = attr_on(el, "data", "object", NULL);
        dynbuf_init(&raw, SIZE_MAX / 2);
        if (v != NULL) {
                add(m, &raw, v, strlen(v));
        } else if (!vcp_text(m, el, &raw)) {
                v = attr_on(el, "title", "abbr", NULL);
                if (v == NULL)
                        v = attr_on(el, "value", "data", "input");
                if (v != NULL)
                        add(m, &raw, v, strlen(v));
                else
                        text_content(m, el, 0, 1, &raw);
        }
        m->tmp.len = 0;
        join(m, &m->tmp, raw.data ? raw.data : "", raw.len);
        quote_buf(m, out, &m->tmp);
        dynbuf_free(&raw);
}

static int match_full(int (*f)(const char *, size_t), const char *s, size_t n)
{
        return f(s, n);
}

static int time_only(const char *s, size_t n)
{
        dtm_t d;

        return time_full(s, 0, n, &d);
}

static int tz_only(const char *s, size_t n)
{
        return tz_full(s, 0, n);
}

/* dt-*: the value (raw) into out; 0 when it has none (mf2py's None). */
static int dt_value(mf_t *m, xmlNodePtr el, dynbuf_t *out)
{
        dynbuf_t raw;
        int title, found = 0;
        const char *v;
        dtm_t d;

        dynbuf_init(&raw, SIZE_MAX / 2);
        /* The value-class pattern: date, time and zone parts. */
        {
                const char *parts_date = NULL, *parts_time = NULL,
                           *parts_tz = NULL;
                size_t dl = 0, tl = 0, zl = 0;
                dynbuf_t pb;
                size_t offs[64], lens[64], np = 0;

                dynbuf_init(&pb, SIZE_MAX / 2);
                for (xmlNodePtr c = el->children; c != NULL && np < 64;
                     c = c->next) {
                        size_t off = pb.len, a, b;

                        if (!is_elem(c) || !vcp_child(c, &title))
                                continue;
                        found = 1;
                        v = NULL;
                        if (title)
                                v = attr(el, "title"); /* mf2py reads el's */
                        else if (is(c, "img") || is(c, "area"))
                                v = attr(c, "alt");
                        else if (is(c, "data"))
                                v = attr(c, "value");
                        else if (is(c, "abbr"))
                                v = attr(c, "title");
                        else if (is(c, "del") || is(c, "ins") || is(c, "time"))
                                v = attr(c, "datetime");
                        if (v != NULL && *v)
                                add(m, &pb, v, strlen(v));
                        else if (!title)
                                get_text(m, c, &pb);
                        if (pb.len == off)
                                continue;
                        a = lstrip_len(pb.data + off, pb.len - off);
                        b = rstrip_len(pb.data + off, pb.len - off);
                        if (b <= a)
                                continue;
                        offs[np] = off + a;
                        lens[np++] = b - a;
                }
                if (found) {
                        size_t i;

                        for (i = 0; i < np; i++) {
                                const char *s = pb.data + offs[i];
                                size_t n = lens[i];

                                if (datetime_full(s, n, &d)) {
                                        dt_normal(m, s, n, out);
                                        set_date(m, s, d.date_n);
                                        dynbuf_free(&pb);
                                        dynbuf_free(&raw);
                                        return 1;
                                }
                                if (time_only(s, n)) {
                                        if (!parts_time) {
                                                parts_time = s;
                                                tl = n;
                                        }
                                } else if (date_full(s, n)) {
                                        if (!parts_date) {
                                                parts_date = s;
                                                dl = n;
                                        }
                                } else if (match_full(tz_only, s, n) &&
                                           !parts_tz) {
                                        parts_tz = s;
                                        zl = n;
                                }
                        }
                        if (parts_date == NULL && m->has_date) {
                                parts_date = m->date;
                                dl = strlen(m->date);
                        }
                        if (parts_date && parts_time) {
                                add(m, &raw, parts_date, dl);
                                add(m, &raw, " ", 1);
                                add(m, &raw, parts_time, tl);
                        } else if (parts_date) {
                                add(m, &raw, parts_date, dl);
                        } else if (parts_time) {
                                add(m, &raw, parts_time, tl);
                        }
                        if (parts_tz && (parts_date || parts_time))
                                add(m, &raw, parts_tz, zl);
                        if (parts_date && parts_date != m->date)
                                set_date(m, parts_date, dl);
                        dynbuf_free(&pb);
                        if (!parts_date && !parts_time) {
                                dynbuf_free(&raw);
                                return 0;
                        }
                        dt_normal(m, raw.data, raw.len, out);
                        dynbuf_free(&raw);
                        return 1;
                }
                dynbuf_free(&pb);
        }
        v = attr_on(el, "datetime", "time", "ins");
        if (v == NULL)
                v = attr_on(el, "datetime", "del", NULL);
        if (v == NULL)
                v = attr_on(el, "title", "abbr", NULL);
        if (v == NULL)
                v = attr_on(el, "value", "data", "input");
        if (v != NULL)
                add(m, &raw, v, strlen(v));
        else
                text_content(m, el, 0, 1, &raw);
        if (raw.data == NULL)
                add(m, &raw, "", 0);
        if (raw.data != NULL && m->has_date && time_only(raw.data, raw.len)) {
                dynbuf_t j;

                dynbuf_init(&j, SIZE_MAX / 2);
                adds(m, &j, m->date);
                add(m, &j, " ", 1);
                add(m, &j, raw.data, raw.len);
                dt_normal(m, j.data, j.len, out);
                dynbuf_free(&j);
        } else if (raw.data != NULL && datetime_full(raw.data, raw.len, &d)) {
                dt_normal(m, raw.data, raw.len, out);
                set_date(m, raw.data, d.date_n);
        } else if (raw.data != NULL) {
                add(m, out, raw.data, raw.len);
        }
        dynbuf_free(&raw);
        return 1;
}

/* ---- e-* HTML, as BeautifulSoup's decode_contents() writes it ---------- */

static int void_elem(xmlNodePtr n)
{
        static const char *const v[] = {
                "area",     "base",     "br",      "col",     "embed",
                "hr",       "img",      "input",   "keygen",  "link",
                "menuitem", "meta",     "param",   "source",  "track",
                "wbr",      "basefont", "bgsound", "command", "frame",
                "image",    "isindex",  "nextid",  "spacer"
        };

        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
                if (is(n, v[i]))
                        return 1;
        return 0;
}

static void esc(mf_t *m, dynbuf_t *out, const char *s, int quot)
{
        for (; *s; s++) {
                if (*s == '&')
                        adds(m, out, "&amp;");
                else if (*s == '<')
                        adds(m, out, "&lt;");
                else if (*s == '>')
                        adds(m, out, "&gt;");
                else if (*s == '"' && quot)
                        adds(m, out, "&quot;");
                else
                        add(m, out, s, 1);
        }
}

static int cmp_attr(const void *a, const void *b)
{
        const xmlAttr *x = *(const xmlAttr *const *)a;
        const xmlAttr *y = *(const xmlAttr *const *)b;

        return strcmp((const char *)x->name, (const char *)y->name);
}

/* Whether BeautifulSoup holds the attribute as a list of words (joined
 * again by one space). */
static int list_attr(xmlNodePtr n, const char *nm)
{
        if (!strcmp(nm, "class") || !strcmp(nm, "accesskey") ||
            !strcmp(nm, "dropzone"))
                return 1;
        if ((!strcmp(nm, "rel") || !strcmp(nm, "rev")) &&
            (is(n, "a") || is(n, "link") || is(n, "area")))
                return 1;
        return !strcmp(nm, "headers") && (is(n, "td") || is(n, "th"));
}

/* A start tag as BeautifulSoup writes it: attributes in name order. */
static void open_tag(mf_t *m, xmlNodePtr n, dynbuf_t *out)
{
        xmlAttrPtr at[64] = { NULL };
        size_t na = 0;

        adds(m, out, "<");
        adds(m, out, (const char *)n->name);
        for (xmlAttrPtr a = n->properties; a != NULL && na < 64; a = a->next)
                if (a->name)
                        at[na++] = a;
        qsort(at, na, sizeof(at[0]), cmp_attr);
        for (size_t k = 0; k < na; k++) {
                xmlAttrPtr a = at[k];
                const char *v = a->children && a->children->content
                                        ? (const char *)a->children->content
                                        : "";
                const char *nm = (const char *)a->name;
                int url = strcmp(nm, "href") == 0 || strcmp(nm, "src") == 0 ||
                          strcmp(nm, "cite") == 0 || strcmp(nm, "data") == 0 ||
                          strcmp(nm, "poster") == 0;
                int dq, sq;

                m->tmp.len = 0;
                if (list_attr(n, nm)) {
                        tok_t t[CLS_MAX];
                        size_t nt = split(v, t);

                        for (size_t i = 0; i < nt; i++) {
                                if (i)
                                        add(m, &m->tmp, " ", 1);
                                add(m, &m->tmp, t[i].s, t[i].n);
                        }
                } else if (url) {
                        join(m, &m->tmp, v, strlen(v));
                } else {
                        for (const char *c = v; *c; c++) /* CR LF as LF */
                                if (*c != '\r')
                                        add(m, &m->tmp, c, 1);
                                else if (c[1] != '\n')
                                        add(m, &m->tmp, "\n", 1);
                }
                add(m, &m->tmp, "", 1); /* NUL */
                v = m->tmp.data ? m->tmp.data : "";
                dq = strchr(v, '"') != NULL;
                sq = strchr(v, '\'') != NULL;
                adds(m, out, " ");
                adds(m, out, nm);
                if (dq && !sq) {
                        adds(m, out, "='");
                        esc(m, out, v, 0);
                        adds(m, out, "'");
                } else {
                        adds(m, out, "=\"");
                        esc(m, out, v, dq);
                        adds(m, out, "\"");
                }
        }
        adds(m, out, n->children == NULL && void_elem(n) ? "/>" : ">");
}

static void close_tag(mf_t *m, xmlNodePtr n, dynbuf_t *out)
{
        if (n->children == NULL && void_elem(n))
                return;
        adds(m, out, "</");
        adds(m, out, (const char *)n->name);
        adds(m, out, ">");
}

static void inner_html(mf_t *m, xmlNodePtr el, dynbuf_t *out)
{
        xmlNodePtr n = el->children;

        while (n != NULL && !m->stop) {
                int down = 0;

                if (visit(m) < 0)
                        return;
                if (n->type == XML_TEXT_NODE && n->content) {
                        dynbuf_t t;

                        dynbuf_init(&t, SIZE_MAX / 2);
                        bs_text(m, n, &t);
                        add(m, &t, "", 1); /* NUL */
                        if (n->parent && (is(n->parent, "script") ||
                                          is(n->parent, "style")))
                                adds(m, out, t.data ? t.data : "");
                        else
                                esc(m, out, t.data ? t.data : "", 0);
                        dynbuf_free(&t);
                } else if (n->type == XML_CDATA_SECTION_NODE && n->content) {
                        /* libxml2's raw text of script and style */
                        dynbuf_t t;

                        dynbuf_init(&t, SIZE_MAX / 2);
                        bs_text(m, n, &t);
                        add(m, &t, "", 1); /* NUL */
                        adds(m, out, t.data ? t.data : "");
                        dynbuf_free(&t);
                } else if (n->type == XML_COMMENT_NODE && n->content) {
                        adds(m, out, "<!--");
                        for (const char *c = (const char *)n->content; *c; c++)
                                if (*c != '\r')
                                        add(m, out, c, 1);
                                else if (c[1] != '\n')
                                        add(m, out, "\n", 1);
                        adds(m, out, "-->");
                } else if (is_elem(n)) {
                        open_tag(m, n, out);
                        down = 1;
                }
                if (down && n->children) {
                        n = n->children;
                        continue;
                }
                for (;;) {
                        if (is_elem(n))
                                close_tag(m, n, out);
                        if (n->next != NULL) {
                                n = n->next;
                                break;
                        }
                        n = n->parent;
                        if (n == el || n == NULL)
                                return;
                }
        }
}

static const char *lang_of(xmlNodePtr n)
{
        const char *l = attr(n, "lang");

        return l != NULL && *l ? l : NULL;
}

/* e-*: {"value", "lang", "html"} into out. */
static void e_value(mf_t *m, xmlNodePtr el, const char *root_lang,
                    int with_lang, dynbuf_t *out)
{
        dynbuf_t b;
        const char *l;
        size_t a, z;

        dynbuf_init(&b, SIZE_MAX / 2);
        text_content(m, el, 1, 1, &b);
        adds(m, out, "{\"value\":");
        quote_buf(m, out, &b);
        l = lang_of(el);
        if (l == NULL)
                l = root_lang;
        if (l == NULL)
                l = m->doc_lang;
        if (l != NULL && with_lang) {
                adds(m, out, ",\"lang\":");
                quote(m, out, l, strlen(l));
        }
        b.len = 0;
        inner_html(m, el, &b);
        a = b.data ? lstrip_len(b.data, b.len) : 0;
        z = b.data ? rstrip_len(b.data, b.len) : 0;
        adds(m, out, ",\"html\":");
        quote(m, out, b.data ? b.data + a : "", z > a ? z - a : 0);
        adds(m, out, "}");
        dynbuf_free(&b);
}

/* ---- items ------------------------------------------------------------ */

typedef struct rules {
        const bc_root_t *r[BC_N];
        size_t n;
} rules_t;

typedef struct cls {
        tok_t t[2 * CLS_MAX];
        size_t n;
} cls_t;

static int is_prop_class(const tok_t *t)
{
        size_t off;
        int k = mf_kind(t->s, t->n, &off);

        return k && k != 'h';
}

/* An element's classes as mf2py sees them: in a classic root's reach (r
 * not NULL) its mf2 property classes are dropped and the root's rules add
 * the mf2 classes of its classic ones. */
static void classes(xmlNodePtr n, const rules_t *r, cls_t *c)
{
        tok_t orig[CLS_MAX];
        size_t no = split(attr(n, "class"), orig);

        c->n = 0;
        for (size_t i = 0; i < no; i++)
                if (r == NULL || r->n == 0 || !is_prop_class(&orig[i]))
                        c->t[c->n++] = orig[i];
        if (r == NULL)
                return;
        for (size_t k = 0; k < r->n; k++) {
                for (const bc_rule_t *u = r->r[k]->props; u->old; u++) {
                        if (!has_all(c->t, c->n, u->old))
                                continue;
                        for (size_t a = 0; a < 4 && u->add[a]; a++)
                                if (!has_tok(c->t, c->n, u->add[a]) &&
                                    c->n < 2 * CLS_MAX) {
                                        c->t[c->n].s = u->add[a];
                                        c->t[c->n++].n = strlen(u->add[a]);
                                }
                }
                for (const bc_rule_t *u = r->r[k]->rels; u->old; u++) {
                        tok_t rel[CLS_MAX];
                        size_t nr = split(attr(n, "rel"), rel);

                        if (strcmp(u->old, "tag") == 0 ||
                            !has_all(rel, nr, u->old))
                                continue;
                        for (size_t a = 0; a < 4 && u->add[a]; a++)
                                if (!has_tok(c->t, c->n, u->add[a]) &&
                                    c->n < 2 * CLS_MAX) {
                                        c->t[c->n].s = u->add[a];
                                        c->t[c->n++].n = strlen(u->add[a]);
                                }
                }
        }
}

static int orig_h_root(xmlNodePtr n)
{
        tok_t t[CLS_MAX];
        size_t k = split(attr(n, "class"), t), off;

        for (size_t i = 0; i < k; i++)
                if (mf_kind(t[i].s, t[i].n, &off) == 'h')
                        return 1;
        return 0;
}

static int orig_root(xmlNodePtr n)
{
        tok_t t[CLS_MAX];
        size_t k = split(attr(n, "class"), t);

        for (size_t i = 0; i < k; i++)
                if (microformats_root_class(t[i].s, t[i].n))
                        return 1;
        return 0;
}

typedef struct item {
        prop_t *props;
        size_t nprops, cap;
        dynbuf_t children;
        size_t nchildren;
        unsigned agg;
        int name_explicit, url_explicit;
        dynbuf_t types; /* the JSON array */
} item_t;

static void item_free(item_t *it)
{
        for (size_t i = 0; i < it->nprops; i++) {
                free(it->props[i].name);
                dynbuf_free(&it->props[i].vals);
        }
        free(it->props);
        dynbuf_free(&it->children);
        dynbuf_free(&it->types);
}

static prop_t *prop_get(mf_t *m, item_t *it, const char *name, size_t n,
                        int create)
{
        prop_t *p;

        for (size_t i = 0; i < it->nprops; i++)
                if (it->props[i].nlen == n &&
                    memcmp(it->props[i].name, name, n) == 0)
                        return &it->props[i];
        if (!create)
                return NULL;
        if (it->nprops == it->cap) {
                size_t nc = it->cap ? it->cap * 2 : 8;
                prop_t *np = realloc(it->props, nc * sizeof(*np));

                if (np == NULL) {
                        m->failed = 1;
                        return NULL;
                }
                it->props = np;
                it->cap = nc;
        }
        p = &it->props[it->nprops];
        memset(p, 0, sizeof(*p));
        p->name = malloc(n + 1);
        if (p->name == NULL) {
                m->failed = 1;
                return NULL;
        }
        memcpy(p->name, name, n);
        p->name[n] = '\0';
        p->nlen = n;
        dynbuf_init(&p->vals, SIZE_MAX / 2);
        it->nprops++;
        return p;
}

static void prop_add(mf_t *m, prop_t *p, const char *json, size_t n)
{
        if (p == NULL || m->stop)
                return;
        if (p->vals.len > 0)
                add(m, &p->vals, ",", 1);
        else
                p->first = n;
        add(m, &p->vals, json, n);
}

static void handle_item(mf_t *m, xmlNodePtr el, const cls_t *c, int bc,
                        const rules_t *inherited, int depth, item_t *it);

/* The "value" (and what else a property value puts there) of a nested
 * item, then its lang and the closing brace. kind: 'p', 'u', 'd', 'e', 0
 * (a child). */
static void suffix(mf_t *m, xmlNodePtr el, const item_t *it, int kind,
                   const dynbuf_t *simple, const char *root_lang,
                   dynbuf_t *out)
{
        const prop_t *p = NULL;
        const char *l;

        if (kind == 'p' && it->name_explicit)
                p = prop_get(m, (item_t *)it, "name", 4, 0);
        if (kind == 'u' && it->url_explicit)
                p = prop_get(m, (item_t *)it, "url", 3, 0);
        if (p != NULL && p->first > 0) {
                const char *v = p->vals.data;

                if (v[0] == '"') {
                        adds(m, out, ",\"value\":");
                        add(m, out, v, p->first);
                } else if (p->first > 2 && strncmp(v, "{\"type\"", 7) != 0) {
                        add(m, out, ",", 1);
                        add(m, out, v + 1, p->first - 2);
                }
        } else if (kind && simple != NULL && simple->len > 0) {
                if (simple->data[0] == '"') {
                        adds(m, out, ",\"value\":");
                        add(m, out, simple->data, simple->len);
                } else if (simple->len > 2) {
                        add(m, out, ",", 1);
                        add(m, out, simple->data + 1, simple->len - 2);
                }
        }
        l = lang_of(el);
        if (l == NULL)
                l = m->doc_lang;
        if (l == NULL && kind == 'e')
                l = root_lang;
        if (l != NULL) {
                adds(m, out, ",\"lang\":");
                quote(m, out, l, strlen(l));
        }
        adds(m, out, "}");
}

/* {"type", "properties", "shape", "coords", "children", "id" (no brace
 * closed) of an item. */
static void prefix(mf_t *m, xmlNodePtr el, const item_t *it, dynbuf_t *out)
{
        const char *v;

        adds(m, out, "{\"type\":");
        add(m, out, it->types.data, it->types.len);
        adds(m, out, ",\"properties\":{");
        for (size_t i = 0; i < it->nprops; i++) {
                if (i)
                        add(m, out, ",", 1);
                quote(m, out, it->props[i].name, it->props[i].nlen);
                adds(m, out, ":[");
                if (it->props[i].vals.len)
                        add(m, out, it->props[i].vals.data,
                            it->props[i].vals.len);
                adds(m, out, "]");
        }
        adds(m, out, "}");
        if (is(el, "area")) {
                v = attr(el, "shape");
                if (v != NULL) {
                        adds(m, out, ",\"shape\":");
                        quote(m, out, v, strlen(v));
                }
                v = attr(el, "coords");
                if (v != NULL) {
                        adds(m, out, ",\"coords\":");
                        quote(m, out, v, strlen(v));
                }
        }
        if (it->nchildren) {
                adds(m, out, ",\"children\":[");
                add(m, out, it->children.data, it->children.len);
                adds(m, out, "]");
        }
        v = attr(el, "id");
        if (v != NULL && *v) {
                adds(m, out, ",\"id\":");
                quote(m, out, v, strlen(v));
        }
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if ((c | 32) >= 'a' && (c | 32) <= 'f')
                return (c | 32) - 'a' + 10;
        return -1;
}

/* Percent-decoded last path segment of a rel=tag href (Python's
 * unquote()). */
static void tag_category(mf_t *m, item_t *it, xmlNodePtr n)
{
        const char *href = attr(n, "href"), *e, *s;
        dynbuf_t b;

        if (href == NULL || !*href)
                return;
        e = href + strlen(href);
        while (e > href && e[-1] == '/')
                e--;
        if (e == href)
                return;
        s = e;
        while (s > href && s[-1] != '/')
                s--;
        dynbuf_init(&b, SIZE_MAX / 2);
        for (const char *p = s; p < e; p++) {
                int h1 = e - p >= 3 ? hexval(p[1]) : -1;
                int h2 = e - p >= 3 ? hexval(p[2]) : -1;

                if (*p == '%' && h1 >= 0 && h2 >= 0) {
                        char ch = (char)(h1 * 16 + h2);

                        add(m, &b, &ch, 1);
                        p += 2;
                } else {
                        add(m, &b, p, 1);
                }
        }
        m->tmp.len = 0;
        quote_buf(m, &m->tmp, &b);
        prop_add(m, prop_get(m, it, "category", 8, 1), m->tmp.data,
                 m->tmp.len);
        it->agg |= AGG_P;
        dynbuf_free(&b);
}

static int rules_have_tag(const rules_t *r)
{
        for (size_t k = 0; r != NULL && k < r->n; k++)
                for (const bc_rule_t *u = r->r[k]->rels; u->old; u++)
                        if (strcmp(u->old, "tag") == 0)
                                return 1;
        return 0;
}

/* mf2py's parse_props() for one element of an item: its own properties
 * (a nested item when it is a root). Returns 1 when it is a root (its
 * subtree is the nested item's). */
static int props_of(mf_t *m, item_t *it, xmlNodePtr n, const rules_t *r,
                    const char *root_lang, int depth)
{
        cls_t c;
        tok_t h[CLS_MAX];
        size_t nh = 0, off, i;
        int root = 0, bc = 0, any = 0;
        item_t sub;
        dynbuf_t pre, val, js;

        if (rules_have_tag(r)) {
                tok_t rel[CLS_MAX];
                size_t nr = split(attr(n, "rel"), rel);

                if (has_tok(rel, nr, "tag"))
                        tag_category(m, it, n);
        }
        classes(n, r, &c);
        for (i = 0; i < c.n && nh < CLS_MAX; i++)
                if (mf_kind(c.t[i].s, c.t[i].n, &off) == 'h')
                        h[nh++] = c.t[i];
        root = nh > 0;
        (void)h;
        if (!root)
                for (i = 0; i < c.n; i++)
                        if (bc_find(c.t[i].s, c.t[i].n))
                                root = bc = 1;
        memset(&sub, 0, sizeof(sub));
        dynbuf_init(&pre, SIZE_MAX / 2);
        dynbuf_init(&val, SIZE_MAX / 2);
        dynbuf_init(&js, SIZE_MAX / 2);
        if (root) {
                it->agg |= AGG_H;
                if (depth + 1 >= MF_NEST_MAX || m->items >= MF_ITEMS_MAX) {
                        m->errors++;
                        m->capped = m->capped || m->items >= MF_ITEMS_MAX;
                        goto out;
                }
                m->items++;
                handle_item(m, n, &c, bc, r, depth + 1, &sub);
                prefix(m, n, &sub, &pre);
        }
        /* p-, u-, dt-, e- in that order, each name once */
        for (int pass = 0; pass < 4 && !m->stop; pass++) {
                static const char kinds[] = { 'p', 'u', 'd', 'e' };
                static const unsigned aggs[] = { AGG_P, AGG_U, AGG_D, AGG_E };
                int kind = kinds[pass], computed = 0, present = 1;

                for (i = 0; i < c.n; i++) {
                        prop_t *p;
                        size_t j;

                        if (mf_kind(c.t[i].s, c.t[i].n, &off) != kind)
                                continue;
                        for (j = 0; j < i; j++)
                                if (c.t[j].n == c.t[i].n &&
                                    memcmp(c.t[j].s, c.t[i].s, c.t[i].n) == 0)
                                        break;
                        if (j < i)
                                continue;
                        any = 1;
                        it->agg |= aggs[pass];
                        if (!computed) {
                                computed = 1;
                                val.len = 0;
                                js.len = 0;
                                if (kind == 'p') {
                                        p_text(m, n, &val);
                                        quote_buf(m, &js, &val);
                                } else if (kind == 'u') {
                                        u_value(m, n, &js);
                                } else if (kind == 'd') {
                                        present = dt_value(m, n, &val);
                                        if (present)
                                                quote_buf(m, &js, &val);
                                } else {
                                        e_value(m, n, root_lang, !root, &js);
                                }
                        }
                        p = prop_get(m, it, c.t[i].s + off, c.t[i].n - off, 1);
                        if (p == NULL)
                                goto out;
                        if (root) {
                                m->tmp.len = 0;
                                add(m, &m->tmp, pre.data, pre.len);
                                suffix(m, n, &sub, kind, present ? &js : NULL,
                                       root_lang, &m->tmp);
                                prop_add(m, p, m->tmp.data, m->tmp.len);
                        } else if (present) {
                                prop_add(m, p, js.data ? js.data : "\"\"",
                                         js.data ? js.len : 2);
                        }
                }
        }
        if (root && !any && !m->stop) {
                if (it->nchildren++)
                        add(m, &it->children, ",", 1);
                add(m, &it->children, pre.data, pre.len);
                m->tmp.len = 0;
                suffix(m, n, &sub, 0, NULL, root_lang, &m->tmp);
                add(m, &it->children, m->tmp.data, m->tmp.len);
        }
out:
        item_free(&sub);
        dynbuf_free(&pre);
        dynbuf_free(&val);
        dynbuf_free(&js);
        return root;
}

/* ---- implied properties ---------------------------------------------- */

static size_t elem_children(xmlNodePtr el, xmlNodePtr *only)
{
        size_t k = 0;

        *only = NULL;
        for (xmlNodePtr c = el->children; c != NULL; c = c->next)
                if (is_elem(c)) {
                        if (k++ == 0)
                                *only = c;
                }
        return k;
}

static void implied_name(mf_t *m, xmlNodePtr el, dynbuf_t *out)
{
        const char *v;
        xmlNodePtr c, g, poss = NULL;

        v = attr_on(el, "alt", "img", "area");
        if (v == NULL || !*v)
                v = attr_on(el, "title", "abbr", NULL);
        if (v != NULL && *v) {
                add(m, out, v, strlen(v));
                return;
        }
        if (elem_children(el, &c) == 1) {
                poss = orig_h_root(c) ? NULL : c;
                if (poss && !is(poss, "img") && !is(poss, "area") &&
                    !is(poss, "abbr") && elem_children(poss, &g) == 1) {
                        poss = g;
                        if ((!is(g, "img") && !is(g, "area") &&
                             !is(g, "abbr")) ||
                            orig_h_root(g))
                                poss = NULL;
                }
        }
        if (poss != NULL) {
                v = attr_on(poss, "alt", "img", "area");
                if (v == NULL || !*v)
                        v = attr_on(poss, "title", "abbr", NULL);
                if (v != NULL && *v) {
                        add(m, out, v, strlen(v));
                        return;
                }
        }
        text_content(m, el, 1, 0, out);
}

static xmlNodePtr one_of(xmlNodePtr el, const char *a, const char *b)
{
        xmlNodePtr hit = NULL;
        size_t k = 0;

        for (xmlNodePtr c = el->children; c != NULL; c = c->next)
                if (is_elem(c) && is(c, a)) {
                        k++;
                        hit = c;
                }
        if (k == 1 && !orig_h_root(hit))
                return hit;
        if (b == NULL)
                return NULL;
        return one_of(el, b, NULL);
}

/* An img's or object's photo into out (JSON); 0 when none. */
static int photo_of(mf_t *m, xmlNodePtr el, dynbuf_t *out)
{
        const char *v;
        int empty = 0;
        size_t at = out->len;

        if (get_img(m, el, out, &empty)) {
                if (!empty)
                        return 1;
                out->len = at;
        }
        v = attr_on(el, "data", "object", NULL);
        if (v != NULL && *v) {
                m->tmp.len = 0;
                join(m, &m->tmp, v, strlen(v));
                quote_buf(m, out, &m->tmp);
                return 1;
        }
        return 0;
}

/* An implied photo or url (mf2py's rule for both): the element's own
 * value (value_of), else that of its only <a>/<img>-like child (tags a, b),
 * else of its only child's. */
static int implied_of(mf_t *m, xmlNodePtr el, dynbuf_t *out,
                      int (*value_of)(mf_t *, xmlNodePtr, dynbuf_t *),
                      const char *a, const char *b)
{
        xmlNodePtr c, poss;

        if (value_of(m, el, out))
                return 1;
        poss = one_of(el, a, b);
        if (poss == NULL && elem_children(el, &c) == 1 && !orig_h_root(c))
                poss = one_of(c, a, b);
        return poss != NULL && value_of(m, poss, out);
}

static int implied_photo(mf_t *m, xmlNodePtr el, dynbuf_t *out)
{
        return implied_of(m, el, out, photo_of, "img", "object");
}

static int href_of(mf_t *m, xmlNodePtr el, dynbuf_t *out)
{
        const char *v = attr_on(el, "href", "a", "area");

        if (v == NULL)
                return 0;
        m->tmp.len = 0;
        join(m, &m->tmp, v, strlen(v));
        quote_buf(m, out, &m->tmp);
        return 1;
}

static int implied_url(mf_t *m, xmlNodePtr el, dynbuf_t *out)
{
        return implied_of(m, el, out, href_of, "a", "area");
}

static int cmp_tok(const void *a, const void *b)
{
        const tok_t *x = a, *y = b;
        size_t n = x->n < y->n ? x->n : y->n;
        int r = memcmp(x->s, y->s, n);

        return r ? r : (x->n > y->n) - (x->n < y->n);
}

/* mf2py's handle_microformat(): the item of el (its classes c). */
static void handle_item(mf_t *m, xmlNodePtr el, const cls_t *c, int bc,
                        const rules_t *inherited, int depth, item_t *it)
{
        tok_t types[2 * CLS_MAX] = { { NULL, 0 } };
        size_t nt = 0, off, i;
        rules_t own;
        const rules_t *r;
        const char *root_lang = lang_of(el);
        xmlNodePtr n;
        dynbuf_t b;

        memset(it, 0, sizeof(*it));
        dynbuf_init(&it->children, SIZE_MAX / 2);
        dynbuf_init(&it->types, SIZE_MAX / 2);
        m->has_date = 0;
        for (i = 0; i < c->n; i++)
                if (mf_kind(c->t[i].s, c->t[i].n, &off) == 'h')
                        types[nt++] = c->t[i];
        own.n = 0;
        if (bc) {
                for (size_t k = 0; k < BC_N; k++)
                        if (has_tok(c->t, c->n, bc_roots[k].root)) {
                                own.r[own.n++] = &bc_roots[k];
                                if (nt < 2 * CLS_MAX) {
                                        types[nt].s = bc_roots[k].type;
                                        types[nt++].n =
                                                strlen(bc_roots[k].type);
                                }
                        }
                r = &own;
        } else {
                r = orig_root(el) ? NULL : inherited;
        }
        qsort(types, nt, sizeof(types[0]), cmp_tok);
        adds(m, &it->types, "[");
        for (i = 0; i < nt; i++) {
                if (i > 0 && cmp_tok(&types[i], &types[i - 1]) == 0)
                        continue;
                if (it->types.len > 1)
                        adds(m, &it->types, ",");
                quote(m, &it->types, types[i].s, types[i].n);
        }
        adds(m, &it->types, "]");
        /* The subtree in document order, nested roots not entered. */
        n = el->children;
        while (n != NULL && !m->stop && !m->failed) {
                int down = 0;

                if (visit(m) < 0)
                        break;
                if (is_elem(n))
                        down = !props_of(m, it, n, r, root_lang, depth);
                if (down && n->children) {
                        n = n->children;
                        continue;
                }
                while (n != el && n->next == NULL)
                        n = n->parent;
                if (n == el)
                        break;
                n = n->next;
        }
        it->name_explicit = prop_get(m, it, "name", 4, 0) != NULL;
        it->url_explicit = prop_get(m, it, "url", 3, 0) != NULL;
        if (bc || m->stop)
                return;
        dynbuf_init(&b, SIZE_MAX / 2);
        if (!it->name_explicit && !(it->agg & (AGG_P | AGG_E | AGG_H))) {
                implied_name(m, el, &b);
                m->tmp.len = 0;
                quote_buf(m, &m->tmp, &b);
                prop_add(m, prop_get(m, it, "name", 4, 1), m->tmp.data,
                         m->tmp.len);
        }
        if (!prop_get(m, it, "photo", 5, 0) && !(it->agg & (AGG_U | AGG_H))) {
                b.len = 0;
                if (implied_photo(m, el, &b))
                        prop_add(m, prop_get(m, it, "photo", 5, 1), b.data,
                                 b.len);
        }
        if (!it->url_explicit && !(it->agg & (AGG_U | AGG_H))) {
                b.len = 0;
                if (implied_url(m, el, &b))
                        prop_add(m, prop_get(m, it, "url", 3, 1), b.data,
                                 b.len);
        }
        dynbuf_free(&b);
}

int microformats_write(dynbuf_t *out, xmlDocPtr doc, const url_t *base,
                       mf_stats_t *stats)
{
        mf_t m;
        xmlNodePtr n, root;
        size_t nitems = 0;
        dynbuf_t pre;

        memset(stats, 0, sizeof(*stats));
        memset(&m, 0, sizeof(m));
        m.base = base;
        dynbuf_init(&m.tmp, SIZE_MAX / 2);
        dynbuf_init(&pre, SIZE_MAX / 2);
        if (base != NULL) {
                m.urls = url_scratch_new();
                if (m.urls == NULL)
                        return -1;
        }
        root = doc ? xmlDocGetRootElement(doc) : NULL;
        for (n = doc ? doc->children : NULL; n != NULL; n = n->next)
                if (n->type == XML_ELEMENT_NODE && is(n, "html")) {
                        m.doc_lang = lang_of(n);
                        break;
                }
        if (dynbuf_add(out, "[", 1) < 0)
                m.failed = 1;
        n = root;
        while (n != NULL && !m.stop && !m.failed) {
                int down = 0;

                if (visit(&m) < 0)
                        break;
                if (is_elem(n)) {
                        cls_t c;
                        size_t off;
                        int h = 0, bc = 0;

                        classes(n, NULL, &c);
                        for (size_t i = 0; i < c.n; i++) {
                                if (mf_kind(c.t[i].s, c.t[i].n, &off) == 'h')
                                        h = 1;
                                else if (bc_find(c.t[i].s, c.t[i].n))
                                        bc = 1;
                        }
                        if (h || bc) {
                                item_t it;

                                if (m.items >= MF_ITEMS_MAX) {
                                        m.errors++;
                                        m.capped = 1;
                                        break;
                                }
                                m.items++;
                                handle_item(&m, n, &c, !h, NULL, 0, &it);
                                pre.len = 0;
                                prefix(&m, n, &it, &pre);
                                suffix(&m, n, &it, 0, NULL, NULL, &pre);
                                /* Cut at the visits cap, an item is still
                                 * whole JSON; past the bytes cap it is
                                 * not. */
                                if (!m.over && !m.failed) {
                                        if (nitems++ &&
                                            dynbuf_add(out, ",", 1) < 0)
                                                m.failed = 1;
                                        if (dynbuf_add(out, pre.data,
                                                       pre.len) < 0)
                                                m.failed = 1;
                                }
                                item_free(&it);
                        } else {
                                down = 1;
                        }
                }
                if (down && n->children) {
                        n = n->children;
                        continue;
                }
                while (n != root && n->next == NULL)
                        n = n->parent;
                if (n == root)
                        break;
                n = n->next;
        }
        if (!m.failed && dynbuf_add(out, "]", 1) < 0)
                m.failed = 1;
        url_scratch_destroy(m.urls);
        dynbuf_free(&m.tmp);
        dynbuf_free(&pre);
        stats->items = nitems;
        stats->errors = m.errors;
        stats->capped = m.capped;
        return m.failed ? -1 : 0;
}
