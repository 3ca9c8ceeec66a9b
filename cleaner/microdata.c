/*
 * microdata.c — HTML microdata items (see microdata.h).
 *
 * Walks are iterative (first child / next sibling / parent pointers); the
 * only recursion is an item's nested items, at most MICRODATA_DEPTH_MAX
 * frames. The text of a property is rendered as the html-text library
 * renders it (extruct's choice), so that values compare equal with
 * extruct's.
 */
#include "microdata.h"

#include "dynbuf.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct prop {
        const xmlChar *name;
        size_t name_len;
        xmlNodePtr node;
        size_t idx;
        int again; /* a later token of the same itemprop: its item value
                    * is emitted again rather than seen */
} prop_t;

typedef struct props {
        prop_t *v;
        size_t n;
        size_t cap;
} props_t;

typedef struct idref {
        const xmlChar *id;
        xmlNodePtr node;
        size_t order;
} idref_t;

typedef struct md {
        yajl_gen gen;
        const url_t *base;
        int strict;
        microdata_stats_t *st;
        int failed; /* out of memory or gen refused */

        xmlNodePtr *scopes; /* itemscope elements, document order */
        size_t n_scopes;
        xmlNodePtr *by_ptr; /* the same, sorted by address          */
        unsigned char *seen;

        idref_t *ids; /* elements with an id, by id then order */
        size_t n_ids;
        int ids_built;

        size_t visits;
        size_t props_total;
        dynbuf_t text;
        url_scratch_t *urls;
} md_t;

static const xmlChar empty_value[] = "";

/* The value of attribute `name` (lower-case) of element n; "" for an
 * attribute without one; NULL when absent. */
static const xmlChar *attr(xmlNodePtr n, const char *name)
{
        xmlAttrPtr a;

        for (a = n->properties; a != NULL; a = a->next) {
                if (a->name == NULL ||
                    strcmp((const char *)a->name, name) != 0)
                        continue;
                if (a->children == NULL || a->children->content == NULL)
                        return empty_value;
                return a->children->content;
        }
        return NULL;
}

static int is_elem(xmlNodePtr n)
{
        return n->type == XML_ELEMENT_NODE;
}

static int tag_is(xmlNodePtr n, const char *name)
{
        return n->name != NULL && strcmp((const char *)n->name, name) == 0;
}

static int is_html_space(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* The next node in document order within root's subtree (root excluded),
 * skipping n's children when skip_children. */
static xmlNodePtr walk_next(xmlNodePtr n, xmlNodePtr root, int skip_children)
{
        if (!skip_children && n->children != NULL && is_elem(n))
                return n->children;
        while (n != root && n->next == NULL)
                n = n->parent;
        if (n == root || n == NULL)
                return NULL;
        return n->next;
}

static int visit(md_t *m)
{
        if (++m->visits > MICRODATA_VISITS_MAX) {
                m->st->capped = 1;
                return 0;
        }
        return 1;
}

/* ------------------------------------------------------------------ */
/* The element index                                                   */

static int cmp_ptr(const void *a, const void *b)
{
        uintptr_t x = (uintptr_t) * (xmlNodePtr const *)a;
        uintptr_t y = (uintptr_t) * (xmlNodePtr const *)b;

        return x < y ? -1 : x > y;
}

static int cmp_id(const void *a, const void *b)
{
        const idref_t *x = a, *y = b;
        int c = strcmp((const char *)x->id, (const char *)y->id);

        if (c != 0)
                return c;
        return x->order < y->order ? -1 : x->order > y->order;
}

static int push_node(xmlNodePtr **v, size_t *n, size_t *cap, xmlNodePtr x)
{
        if (*n == *cap) {
                size_t ncap = *cap ? *cap * 2 : 64;
                xmlNodePtr *nv = realloc(*v, ncap * sizeof(**v));

                if (nv == NULL)
                        return -1;
                *v = nv;
                *cap = ncap;
        }
        (*v)[(*n)++] = x;
        return 0;
}

/* Collects the itemscope elements (and, when want_ids, those with an id). */
static int index_doc(md_t *m, xmlNodePtr root, int want_ids)
{
        size_t cap = 0, id_cap = 0;
        xmlNodePtr n;

        for (n = root; n != NULL; n = walk_next(n, NULL, 0)) {
                const xmlChar *id;

                if (!is_elem(n))
                        continue;
                if (!want_ids && attr(n, "itemscope") != NULL) {
                        if (m->n_scopes >= MICRODATA_ITEMS_MAX) {
                                m->st->capped = 1;
                        } else if (push_node(&m->scopes, &m->n_scopes, &cap,
                                             n) < 0) {
                                return -1;
                        }
                }
                if (want_ids) {
                        id = attr(n, "id");
                        if (id == NULL || id[0] == '\0')
                                continue;
                        if (m->n_ids == id_cap) {
                                size_t ncap = id_cap ? id_cap * 2 : 64;
                                idref_t *nv =
                                        realloc(m->ids, ncap * sizeof(*nv));

                                if (nv == NULL)
                                        return -1;
                                m->ids = nv;
                                id_cap = ncap;
                        }
                        m->ids[m->n_ids].id = id;
                        m->ids[m->n_ids].node = n;
                        m->ids[m->n_ids].order = m->n_ids;
                        m->n_ids++;
                }
        }
        return 0;
}

/* The first element whose id is id[0, len), or NULL. */
static xmlNodePtr find_id(md_t *m, xmlDocPtr doc, const xmlChar *id,
                          size_t len)
{
        size_t lo = 0, hi;
        char key[256];

        if (len == 0 || len >= sizeof(key))
                return NULL;
        if (!m->ids_built) {
                m->ids_built = 1;
                if (index_doc(m, xmlDocGetRootElement(doc), 1) < 0) {
                        m->failed = 1;
                        return NULL;
                }
                if (m->n_ids > 0)
                        qsort(m->ids, m->n_ids, sizeof(*m->ids), cmp_id);
        }
        memcpy(key, id, len);
        key[len] = '\0';
        hi = m->n_ids;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (strcmp((const char *)m->ids[mid].id, key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < m->n_ids && strcmp((const char *)m->ids[lo].id, key) == 0)
                return m->ids[lo].node;
        return NULL;
}

static long scope_index(md_t *m, xmlNodePtr n)
{
        xmlNodePtr *hit;

        if (m->n_scopes == 0)
                return -1;
        hit = bsearch(&n, m->by_ptr, m->n_scopes, sizeof(n), cmp_ptr);

        return hit ? (long)(hit - m->by_ptr) : -1;
}

/* ------------------------------------------------------------------ */
/* Text as html-text renders it                                        */

enum { PREV_DOUBLE_NL, PREV_NL, PREV_TEXT };

typedef struct textstate {
        dynbuf_t *out;
        int prev;
        int prev_ws;    /* the previous raw text ended in whitespace */
        int prev_paren; /* ... in '('                                */
        dynbuf_t pending;
        int full;
} textstate_t;

/* Python's str.isspace() for the code point starting at s; its length in
 * *n (1 for a byte that does not start a valid character). */
static int py_space(const unsigned char *s, size_t avail, size_t *n)
{
        unsigned cp;
        size_t l;

        if (s[0] < 0x80) {
                *n = 1;
                return (s[0] >= 0x09 && s[0] <= 0x0D) ||
                       (s[0] >= 0x1C && s[0] <= 0x20);
        }
        l = utf8_char_len(s, avail);
        if (l == 0) {
                *n = 1;
                return 0;
        }
        *n = l;
        if (l == 2)
                cp = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
        else if (l == 3)
                cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) |
                     (s[2] & 0x3Fu);
        else
                return 0;
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
               (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
               cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static void text_put(textstate_t *t, const void *s, size_t n)
{
        if (t->full)
                return;
        if (t->out->len + n > MICRODATA_TEXT_MAX) {
                t->full = 1;
                n = MICRODATA_TEXT_MAX - t->out->len;
                n = utf8_valid_prefix(s, n);
        }
        if (dynbuf_add(t->out, s, n) < 0)
                t->full = 1;
}

/* html-text's add_text(): the pending raw text, whitespace collapsed. */
static void text_flush(textstate_t *t)
{
        const unsigned char *s = (const unsigned char *)t->pending.data;
        size_t len = t->pending.len, i = 0, n, start;
        int first = 1, space = 0;

        if (len == 0)
                return;
        t->pending.len = 0;
        /* Is there any non-space text? */
        while (i < len && py_space(s + i, len - i, &n))
                i += n;
        if (i >= len)
                return;
        if (t->prev == PREV_TEXT) {
                int punct = strchr(",:;.!?\")", s[i]) != NULL;

                if (t->prev_ws || !(punct || t->prev_paren))
                        text_put(t, " ", 1);
        }
        while (i < len) {
                if (py_space(s + i, len - i, &n)) {
                        space = 1;
                        i += n;
                        continue;
                }
                if (space && !first)
                        text_put(t, " ", 1);
                space = 0;
                first = 0;
                start = i;
                while (i < len && !py_space(s + i, len - i, &n))
                        i += n;
                text_put(t, s + start, i - start);
        }
        t->prev = PREV_TEXT;
        /* Whitespace at the end: the last character, decoded. */
        start = len - 1;
        while (start > 0 && (s[start] & 0xC0) == 0x80 && len - start < 4)
                start--;
        t->prev_ws = py_space(s + start, len - start, &n);
        t->prev_paren = s[len - 1] == '(';
}

static const char *const newline_tags[] = {
        "article", "aside",  "br",       "dd",         "details",
        "div",     "dt",     "fieldset", "figcaption", "footer",
        "form",    "header", "hr",       "legend",     "li",
        "main",    "nav",    "table",    "tr",         NULL
};
static const char *const double_newline_tags[] = {
        "blockquote", "dl", "figure", "h1",  "h2",    "h3", "h4", "h5",
        "h6",         "ol", "p",      "pre", "title", "ul", NULL
};

static int in_list(const xmlChar *name, const char *const *list)
{
        size_t i;

        if (name == NULL)
                return 0;
        for (i = 0; list[i] != NULL; i++)
                if (strcmp((const char *)name, list[i]) == 0)
                        return 1;
        return 0;
}

static void text_newlines(textstate_t *t, xmlNodePtr n)
{
        text_flush(t);
        if (t->prev == PREV_DOUBLE_NL)
                return;
        if (in_list(n->name, double_newline_tags)) {
                text_put(t, t->prev == PREV_NL ? "\n" : "\n\n",
                         t->prev == PREV_NL ? 1 : 2);
                t->prev = PREV_DOUBLE_NL;
        } else if (in_list(n->name, newline_tags)) {
                if (t->prev != PREV_NL)
                        text_put(t, "\n", 1);
                t->prev = PREV_NL;
        }
}

/* Elements lxml's Cleaner (extruct's settings) removes, text and all. */
static int text_dropped(xmlNodePtr n)
{
        return tag_is(n, "script") || tag_is(n, "style") ||
               tag_is(n, "link") || tag_is(n, "meta");
}

/* The text of element root into m->text (emptied first). */
static int text_of(md_t *m, xmlNodePtr root)
{
        textstate_t t;
        xmlNodePtr n;
        size_t len;

        m->text.len = 0;
        memset(&t, 0, sizeof(t));
        t.out = &m->text;
        t.prev = PREV_DOUBLE_NL;
        dynbuf_init(&t.pending, MICRODATA_TEXT_MAX);
        text_newlines(&t, root);
        n = root->children;
        while (n != NULL && visit(m)) {
                int skip = 0;

                if (is_elem(n)) {
                        if (text_dropped(n))
                                skip = 1;
                        else
                                text_newlines(&t, n);
                } else if (n->type == XML_TEXT_NODE ||
                           n->type == XML_CDATA_SECTION_NODE) {
                        if (n->content != NULL &&
                            dynbuf_add(&t.pending, n->content,
                                       strlen((const char *)n->content)) < 0)
                                t.full = 1;
                }
                /* Leaving elements: their closing newlines. */
                if (is_elem(n) && !skip && n->children != NULL) {
                        n = n->children;
                        continue;
                }
                if (is_elem(n) && !skip)
                        text_newlines(&t, n);
                while (n != root && n->next == NULL) {
                        n = n->parent;
                        if (n != root && n != NULL)
                                text_newlines(&t, n);
                }
                if (n == root || n == NULL)
                        break;
                n = n->next;
        }
        text_newlines(&t, root);
        dynbuf_free(&t.pending);
        /* strip() */
        len = m->text.len;
        while (len > 0 &&
               (m->text.data[len - 1] == '\n' || m->text.data[len - 1] == ' '))
                len--;
        m->text.len = len;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */

#define GEN(expr)                                               \
        do {                                                    \
                if (!m->failed && (expr) != yajl_gen_status_ok) \
                        m->failed = 1;                          \
        } while (0)

static void gen_str(md_t *m, const void *s, size_t len)
{
        size_t ok = utf8_valid_prefix(s, len);

        GEN(yajl_gen_string(m->gen, s, ok));
}

static void gen_cstr(md_t *m, const char *s)
{
        gen_str(m, s, strlen(s));
}

/* A URL attribute's value: trimmed, resolved against the base. */
static void gen_url(md_t *m, const xmlChar *v)
{
        const char *s = v ? (const char *)v : "";
        size_t len = strlen(s);
        const char *href;
        size_t href_len;

        while (len > 0 && is_html_space((unsigned char)s[0])) {
                s++;
                len--;
        }
        while (len > 0 && is_html_space((unsigned char)s[len - 1]))
                len--;
        if (len > 0 && m->base != NULL && m->urls != NULL &&
            url_href_n(m->urls, s, len, m->base, &href, &href_len) == URL_OK) {
                gen_str(m, href, href_len);
                return;
        }
        gen_str(m, s, len);
}

static void gen_attr(md_t *m, xmlNodePtr n, const char *name)
{
        const xmlChar *v = attr(n, name);

        gen_cstr(m, v ? (const char *)v : "");
}

static int ends_with(const xmlChar *s, const char *suffix)
{
        size_t a = strlen((const char *)s), b = strlen(suffix);

        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static void emit_item(md_t *m, xmlNodePtr node, int depth);

static void emit_value(md_t *m, xmlNodePtr n, int depth, int force, int again)
{
        const xmlChar *v;
        const xmlChar *content = attr(n, "content");
        const xmlChar *itemprop = attr(n, "itemprop");

        if (m->failed)
                return;
        if (!force && attr(n, "itemscope") != NULL) {
                long k = scope_index(m, n);

                if (k < 0 || (m->seen[k] && !again)) {
                        GEN(yajl_gen_null(m->gen));
                        return;
                }
                if (depth + 1 > MICRODATA_DEPTH_MAX) {
                        m->seen[k] = 1;
                        m->st->errors++;
                        GEN(yajl_gen_null(m->gen));
                        return;
                }
                emit_item(m, n, depth + 1);
                return;
        }
        if (tag_is(n, "meta")) {
                gen_attr(m, n, "content");
        } else if (tag_is(n, "audio") || tag_is(n, "embed") ||
                   tag_is(n, "iframe") || tag_is(n, "img") ||
                   tag_is(n, "source") || tag_is(n, "track") ||
                   tag_is(n, "video")) {
                v = attr(n, "src");
                gen_url(m, v && v[0] ? v : attr(n, "content"));
        } else if (tag_is(n, "a") || tag_is(n, "area") || tag_is(n, "link")) {
                v = attr(n, "href");
                gen_url(m, v && v[0] ? v : attr(n, "content"));
        } else if (tag_is(n, "object")) {
                v = attr(n, "data");
                gen_url(m, v && v[0] ? v : attr(n, "content"));
        } else if (tag_is(n, "data") || tag_is(n, "meter")) {
                gen_attr(m, n, "value");
        } else if (tag_is(n, "time")) {
                gen_attr(m, n, "datetime");
        } else if (content != NULL && content[0] != '\0') {
                gen_cstr(m, (const char *)content);
        } else if (itemprop != NULL && (ends_with(itemprop, "-input") ||
                                        ends_with(itemprop, "-output"))) {
                GEN(yajl_gen_map_open(m->gen));
                if (attr(n, "required") != NULL) {
                        gen_cstr(m, "valueRequired");
                        GEN(yajl_gen_bool(m->gen, 1));
                }
                v = attr(n, "name");
                if (v != NULL && v[0] != '\0') {
                        gen_cstr(m, "valueName");
                        gen_cstr(m, (const char *)v);
                }
                GEN(yajl_gen_map_close(m->gen));
        } else {
                text_of(m, n);
                gen_str(m, m->text.data ? m->text.data : "", m->text.len);
        }
}

/* Adds n's itemprop tokens to p. */
static int add_props(md_t *m, props_t *p, xmlNodePtr n)
{
        const xmlChar *v = attr(n, "itemprop");
        size_t i = 0, start;
        int again = 0;

        if (v == NULL)
                return 0;
        while (v[i] != '\0') {
                while (is_html_space(v[i]))
                        i++;
                start = i;
                while (v[i] != '\0' && !is_html_space(v[i]))
                        i++;
                if (i == start)
                        break;
                if (m->props_total >= MICRODATA_PROPS_MAX) {
                        m->st->capped = 1;
                        return 0;
                }
                if (p->n == p->cap) {
                        size_t ncap = p->cap ? p->cap * 2 : 16;
                        prop_t *nv = realloc(p->v, ncap * sizeof(*nv));

                        if (nv == NULL)
                                return -1;
                        p->v = nv;
                        p->cap = ncap;
                }
                p->v[p->n].name = v + start;
                p->v[p->n].name_len = i - start;
                p->v[p->n].node = n;
                p->v[p->n].idx = p->n;
                p->v[p->n].again = again;
                p->n++;
                m->props_total++;
                again = 1;
        }
        return 0;
}

/* The properties in root's subtree, not entering nested items. */
static int collect_under(md_t *m, props_t *p, xmlNodePtr root)
{
        xmlNodePtr n = root->children;

        while (n != NULL && visit(m)) {
                int scope = 0;

                if (is_elem(n)) {
                        if (attr(n, "itemprop") != NULL &&
                            add_props(m, p, n) < 0)
                                return -1;
                        scope = attr(n, "itemscope") != NULL;
                }
                n = walk_next(n, root, scope);
        }
        return 0;
}

static int collect_refs(md_t *m, props_t *p, xmlNodePtr node)
{
        const xmlChar *v = attr(node, "itemref");
        size_t i = 0, start;

        if (v == NULL)
                return 0;
        while (v[i] != '\0') {
                xmlNodePtr ref;

                while (is_html_space(v[i]))
                        i++;
                start = i;
                while (v[i] != '\0' && !is_html_space(v[i]))
                        i++;
                if (i == start)
                        break;
                ref = find_id(m, node->doc, v + start, i - start);
                if (m->failed)
                        return -1;
                if (ref == NULL)
                        continue;
                if (attr(ref, "itemprop") != NULL) {
                        if (add_props(m, p, ref) < 0)
                                return -1;
                        if (attr(ref, "itemscope") != NULL)
                                continue;
                }
                if (collect_under(m, p, ref) < 0)
                        return -1;
        }
        return 0;
}

static int cmp_prop(const void *a, const void *b)
{
        const prop_t *x = a, *y = b;
        size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
        int c = memcmp(x->name, y->name, n);

        if (c != 0)
                return c;
        if (x->name_len != y->name_len)
                return x->name_len < y->name_len ? -1 : 1;
        return x->idx < y->idx ? -1 : x->idx > y->idx;
}

typedef struct run {
        size_t first; /* index into the sorted props */
        size_t count;
        size_t idx; /* the first appearance */
} run_t;

static int cmp_run(const void *a, const void *b)
{
        const run_t *x = a, *y = b;

        return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void emit_types(md_t *m, xmlNodePtr node)
{
        const xmlChar *v = attr(node, "itemtype");
        size_t i = 0, start, count = 0;
        int pass;

        if (v == NULL)
                return;
        for (pass = 0; pass < 2; pass++) {
                i = 0;
                if (pass == 1) {
                        if (count == 0)
                                return;
                        gen_cstr(m, "type");
                        if (m->strict || count > 1)
                                GEN(yajl_gen_array_open(m->gen));
                }
                while (v[i] != '\0') {
                        while (is_html_space(v[i]))
                                i++;
                        start = i;
                        while (v[i] != '\0' && !is_html_space(v[i]))
                                i++;
                        if (i == start)
                                break;
                        if (pass == 0)
                                count++;
                        else
                                gen_str(m, v + start, i - start);
                }
        }
        if (m->strict || count > 1)
                GEN(yajl_gen_array_close(m->gen));
        v = attr(node, "itemid");
        if (v != NULL) {
                size_t len = strlen((const char *)v);

                while (len > 0 && is_html_space(v[0])) {
                        v++;
                        len--;
                }
                while (len > 0 && is_html_space(v[len - 1]))
                        len--;
                if (len > 0) {
                        gen_cstr(m, "id");
                        gen_str(m, v, len);
                }
        }
}

static void emit_item(md_t *m, xmlNodePtr node, int depth)
{
        props_t p = { NULL, 0, 0 };
        run_t *runs = NULL;
        size_t n_runs = 0, i, j;
        long k = scope_index(m, node);

        if (k >= 0)
                m->seen[k] = 1;
        m->st->items += depth == 0;
        GEN(yajl_gen_map_open(m->gen));
        emit_types(m, node);
        if (collect_under(m, &p, node) < 0 || collect_refs(m, &p, node) < 0) {
                m->failed = 1;
                goto out;
        }
        if (p.n == 0) {
                gen_cstr(m, "value");
                emit_value(m, node, depth, 1, 0);
                GEN(yajl_gen_map_close(m->gen));
                goto out;
        }
        qsort(p.v, p.n, sizeof(*p.v), cmp_prop);
        runs = malloc(p.n * sizeof(*runs));
        if (runs == NULL) {
                m->failed = 1;
                goto out;
        }
        for (i = 0; i < p.n; i = j) {
                for (j = i + 1;
                     j < p.n && p.v[j].name_len == p.v[i].name_len &&
                     memcmp(p.v[j].name, p.v[i].name, p.v[i].name_len) == 0;
                     j++)
                        ;
                runs[n_runs].first = i;
                runs[n_runs].count = j - i;
                runs[n_runs].idx = p.v[i].idx;
                n_runs++;
        }
        qsort(runs, n_runs, sizeof(*runs), cmp_run);
        gen_cstr(m, "properties");
        GEN(yajl_gen_map_open(m->gen));
        for (i = 0; i < n_runs && !m->failed; i++) {
                const prop_t *r = &p.v[runs[i].first];
                int arr = m->strict || runs[i].count > 1;

                gen_str(m, r->name, r->name_len);
                if (arr)
                        GEN(yajl_gen_array_open(m->gen));
                for (j = 0; j < runs[i].count && !m->failed; j++)
                        emit_value(m, r[j].node, depth, 0, r[j].again);
                if (arr)
                        GEN(yajl_gen_array_close(m->gen));
        }
        GEN(yajl_gen_map_close(m->gen));
        GEN(yajl_gen_map_close(m->gen));
out:
        free(runs);
        free(p.v);
}

int microdata_present(xmlDocPtr doc)
{
        xmlNodePtr n;

        if (doc == NULL)
                return 0;
        for (n = xmlDocGetRootElement(doc); n != NULL;
             n = walk_next(n, NULL, 0))
                if (is_elem(n) && attr(n, "itemscope") != NULL)
                        return 1;
        return 0;
}

int microdata_write(yajl_gen gen, xmlDocPtr doc, const url_t *base, int strict,
                    microdata_stats_t *stats)
{
        md_t mm, *m = &mm;
        size_t i;
        int rc = -1;

        memset(m, 0, sizeof(*m));
        memset(stats, 0, sizeof(*stats));
        m->gen = gen;
        m->base = base;
        m->strict = strict;
        m->st = stats;
        dynbuf_init(&m->text, MICRODATA_TEXT_MAX);
        if (base != NULL) {
                m->urls = url_scratch_new();
                if (m->urls == NULL)
                        goto out;
        }
        if (doc != NULL && xmlDocGetRootElement(doc) != NULL &&
            index_doc(m, xmlDocGetRootElement(doc), 0) < 0)
                goto out;
        if (m->n_scopes > 0) {
                m->by_ptr = malloc(m->n_scopes * sizeof(*m->by_ptr));
                m->seen = calloc(m->n_scopes, 1);
                if (m->by_ptr == NULL || m->seen == NULL)
                        goto out;
                memcpy(m->by_ptr, m->scopes, m->n_scopes * sizeof(*m->by_ptr));
                qsort(m->by_ptr, m->n_scopes, sizeof(*m->by_ptr), cmp_ptr);
        }
        GEN(yajl_gen_array_open(gen));
        for (i = 0; i < m->n_scopes && !m->failed; i++) {
                long k = scope_index(m, m->scopes[i]);

                if (k >= 0 && m->seen[k])
                        continue;
                if (m->visits > MICRODATA_VISITS_MAX)
                        break;
                emit_item(m, m->scopes[i], 0);
        }
        GEN(yajl_gen_array_close(gen));
        rc = m->failed ? -1 : 0;
out:
        free(m->scopes);
        free(m->by_ptr);
        free(m->seen);
        free(m->ids);
        dynbuf_free(&m->text);
        url_scratch_destroy(m->urls);
        return rc;
}
