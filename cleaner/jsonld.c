/*
 * jsonld.c — tolerant JSON-LD blocks (see jsonld.h).
 *
 * The repair is written by hand: yajl's own leniency (allow_comments,
 * allow_trailing_garbage, allow_multiple_values) covers comments and
 * trailing junk but neither trailing commas, raw control characters in
 * strings, stray escapes nor HTML comment wrappers, and a second tolerant
 * JSON parser is more code than a one-pass rewrite into strict JSON that
 * yajl then checks.
 */
#include "jsonld.h"
#include "jsonread.h"

#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

void jsonld_values_init(jsonld_values_t *v, size_t max)
{
        dynbuf_init(&v->text, max);
        v->n = 0;
}

void jsonld_values_free(jsonld_values_t *v)
{
        dynbuf_free(&v->text);
        v->n = 0;
}

static int is_hex(unsigned char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
               (c >= 'A' && c <= 'F');
}

static int is_space(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int starts(const unsigned char *s, size_t avail, const char *lit)
{
        size_t n = strlen(lit);

        return avail >= n && memcmp(s, lit, n) == 0;
}

/* Skips what is not JSON outside strings: whitespace, comments and the
 * wrappers. Returns the bytes skipped at s (0 when s is JSON). */
static size_t skip_noise(const unsigned char *s, size_t avail)
{
        size_t i = 0;
        const unsigned char *e;

        if (is_space(s[0]))
                return 1;
        if (starts(s, avail, "<!--")) {
                /* A wrapper when JSON follows, else a comment. */
                for (i = 4; i < avail && is_space(s[i]); i++)
                        ;
                if (i < avail && (s[i] == '{' || s[i] == '['))
                        return 4;
                e = memmem(s + 4, avail - 4, "-->", 3);
                return e ? (size_t)(e - s) + 3 : avail;
        }
        if (starts(s, avail, "-->"))
                return 3;
        if (starts(s, avail, "<![CDATA["))
                return 9;
        if (starts(s, avail, "]]>"))
                return 3;
        if (starts(s, avail, "//")) {
                e = memchr(s, '\n', avail);
                return e ? (size_t)(e - s) + 1 : avail;
        }
        if (starts(s, avail, "/*")) {
                for (i = 2; i + 1 < avail; i++)
                        if (s[i] == '*' && s[i + 1] == '/')
                                return i + 2;
                return avail;
        }
        return 0;
}

#define PUT(p, n)                                         \
        do {                                              \
                if (dynbuf_add(&v->text, (p), (n)) < 0) { \
                        rc = -1;                          \
                        goto out;                         \
                }                                         \
        } while (0)

int jsonld_repair(const unsigned char *s, size_t len, jsonld_values_t *v)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t i = 0, skip;
        int depth = 0, comma = 0, scalar = 0, rc = 0;

        v->text.len = 0;
        v->n = 0;
        if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
                i = 3;
        while (i < len) {
                unsigned char c = s[i];

                skip = skip_noise(s + i, len - i);
                if (skip > 0) {
                        i += skip;
                        continue;
                }
                if (depth == 0 && !scalar) {
                        if (c == ';') {
                                i++;
                                continue;
                        }
                        if (c != '{' && c != '[') {
                                if (v->n > 0)
                                        break; /* trailing junk */
                                scalar = 1;    /* a bare value */
                        }
                        if (v->n >= JSONLD_VALUES_MAX)
                                break;
                        v->start[v->n] = v->text.len;
                }
                if (c == ',') {
                        comma = 1;
                        i++;
                        continue;
                }
                if (c == '}' || c == ']') {
                        comma = 0;
                        PUT(&c, 1);
                        i++;
                        if (scalar)
                                continue;
                        if (--depth < 0)
                                return 1;
                        if (depth == 0)
                                v->end[v->n++] = v->text.len;
                        continue;
                }
                if (comma) {
                        PUT(",", 1);
                        comma = 0;
                }
                if (c == '{' || c == '[') {
                        if (!scalar && ++depth > JSONLD_DEPTH_MAX)
                                return 1;
                        PUT(&c, 1);
                        i++;
                        continue;
                }
                if (c != '"') {
                        PUT(&c, 1);
                        i++;
                        continue;
                }
                /* A string: copied up to its closing quote, repaired. */
                PUT("\"", 1);
                i++;
                for (;;) {
                        size_t run = i;

                        while (run < len && s[run] != '"' && s[run] != '\\' &&
                               s[run] >= 0x20)
                                run++;
                        if (run > i)
                                PUT(s + i, run - i);
                        i = run;
                        if (i >= len)
                                return 1; /* unterminated */
                        c = s[i];
                        if (c == '"') {
                                PUT("\"", 1);
                                i++;
                                break;
                        }
                        if (c < 0x20) {
                                char esc[7];
                                size_t n = 2;

                                esc[0] = '\\';
                                if (c == '\n')
                                        esc[1] = 'n';
                                else if (c == '\r')
                                        esc[1] = 'r';
                                else if (c == '\t')
                                        esc[1] = 't';
                                else if (c == '\b')
                                        esc[1] = 'b';
                                else if (c == '\f')
                                        esc[1] = 'f';
                                else {
                                        memcpy(esc + 1, "u00", 3);
                                        esc[4] = hex[c >> 4];
                                        esc[5] = hex[c & 15];
                                        n = 6;
                                }
                                PUT(esc, n);
                                i++;
                                continue;
                        }
                        /* A backslash. */
                        if (i + 1 < len &&
                            strchr("\"\\/bfnrt", s[i + 1]) != NULL &&
                            s[i + 1] != '\0') {
                                PUT(s + i, 2);
                                i += 2;
                        } else if (i + 5 < len && s[i + 1] == 'u' &&
                                   is_hex(s[i + 2]) && is_hex(s[i + 3]) &&
                                   is_hex(s[i + 4]) && is_hex(s[i + 5])) {
                                PUT(s + i, 6);
                                i += 6;
                        } else if (i + 1 < len && s[i + 1] == '\'') {
                                PUT("'", 1);
                                i += 2;
                        } else if (i + 3 < len && s[i + 1] == 'x' &&
                                   is_hex(s[i + 2]) && is_hex(s[i + 3])) {
                                PUT("\\u00", 4);
                                PUT(s + i + 2, 2);
                                i += 4;
                        } else {
                                PUT("\\\\", 2);
                                i++;
                        }
                }
        }
        if (scalar) {
                v->end[v->n++] = v->text.len;
        } else if (depth > 0) {
                return 1; /* truncated */
        }
out:
        return rc;
}

/* ------------------------------------------------------------------ */
/* Parsing the repaired values: a yajl parser driving a generator       */

typedef struct reemit {
        yajl_gen gen;
        dynbuf_t *out;
        int failed;
} reemit_t;

#define RE(expr) \
        (((reemit_t *)ctx)->failed == 0 && (expr) == yajl_gen_status_ok)

static int re_null(void *ctx)
{
        return RE(yajl_gen_null(((reemit_t *)ctx)->gen));
}

static int re_bool(void *ctx, int b)
{
        return RE(yajl_gen_bool(((reemit_t *)ctx)->gen, b));
}

static int re_number(void *ctx, const char *s, size_t len)
{
        return RE(yajl_gen_number(((reemit_t *)ctx)->gen, s, len));
}

/* Strings as yajl decoded them, repaired to strict UTF-8 (a lone
 * surrogate escape decodes to bytes that are not UTF-8). */
static int re_text(void *ctx, const unsigned char *s, size_t len)
{
        reemit_t *re = ctx;
        char *fixed = NULL;
        size_t fixed_len;
        int ok;

        if (re->failed)
                return 0;
        if (utf8_valid_prefix(s, len) == len)
                return yajl_gen_string(re->gen, s, len) == yajl_gen_status_ok;
        if (utf8_repair(s, len, 0, &fixed, &fixed_len) < 0) {
                re->failed = 1;
                return 0;
        }
        ok = yajl_gen_string(re->gen, (const unsigned char *)fixed,
                             fixed_len) == yajl_gen_status_ok;
        free(fixed);
        return ok;
}

static int re_map_open(void *ctx)
{
        return RE(yajl_gen_map_open(((reemit_t *)ctx)->gen));
}

static int re_map_close(void *ctx)
{
        return RE(yajl_gen_map_close(((reemit_t *)ctx)->gen));
}

static int re_array_open(void *ctx)
{
        return RE(yajl_gen_array_open(((reemit_t *)ctx)->gen));
}

static int re_array_close(void *ctx)
{
        return RE(yajl_gen_array_close(((reemit_t *)ctx)->gen));
}

static const yajl_callbacks reemit_callbacks = {
        re_null,      re_bool,       NULL,           NULL,
        re_number,    re_text,       re_map_open,    re_text,
        re_map_close, re_array_open, re_array_close,
};

static void re_print(void *ctx, const char *s, size_t len)
{
        reemit_t *re = ctx;

        if (!re->failed && dynbuf_add(re->out, s, len) < 0)
                re->failed = 1;
}

size_t jsonld_char_ref(const unsigned char *s, size_t len, char out[4],
                       size_t *used)
{
        static const struct {
                const char *name;
                char c;
        } named[] = { { "&quot;", '"' },
                      { "&amp;", '&' },
                      { "&lt;", '<' },
                      { "&gt;", '>' },
                      { "&apos;", '\'' } };
        size_t k, j;
        unsigned long cp = 0;
        int base = 10, digits = 0;

        for (k = 0; k < sizeof(named) / sizeof(named[0]); k++)
                if (starts(s, len, named[k].name)) {
                        out[0] = named[k].c;
                        *used = strlen(named[k].name);
                        return 1;
                }
        if (len < 3 || s[0] != '&' || s[1] != '#')
                return 0;
        j = 2;
        if (s[j] == 'x' || s[j] == 'X') {
                base = 16;
                j++;
        }
        while (j < len && digits < 7 &&
               (base == 16 ? is_hex(s[j]) : (s[j] >= '0' && s[j] <= '9'))) {
                unsigned d = s[j] <= '9'   ? s[j] - '0'
                             : s[j] <= 'F' ? s[j] - 'A' + 10
                                           : s[j] - 'a' + 10;
                cp = cp * (unsigned long)base + d;
                j++;
                digits++;
        }
        if (digits == 0 || j >= len || s[j] != ';' || cp == 0 ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        *used = j + 1;
        if (cp < 0x80) {
                out[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char)(0xC0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char)(0xE0 | (cp >> 12));
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char)(0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
}

/* Decodes the HTML character references of a block written HTML-escaped
 * into out: &quot; &amp; &lt; &gt; &apos; and numeric ones. */
static int unescape_html(const unsigned char *s, size_t len, dynbuf_t *out)
{
        size_t i = 0;

        while (i < len) {
                const unsigned char *amp = memchr(s + i, '&', len - i);
                size_t run = amp ? (size_t)(amp - s) - i : len - i;
                char enc[4];
                size_t used = 0, n;

                if (dynbuf_add(out, s + i, run) < 0)
                        return -1;
                i += run;
                if (i >= len)
                        break;
                n = jsonld_char_ref(s + i, len - i, enc, &used);
                if (n == 0) {
                        enc[0] = '&';
                        n = 1;
                        used = 1;
                }
                if (dynbuf_add(out, enc, n) < 0)
                        return -1;
                i += used;
        }
        return 0;
}

/* A block with no '"' of its own but HTML-escaped quotes. */
static int html_escaped(const unsigned char *s, size_t len)
{
        if (memchr(s, '"', len) != NULL)
                return 0;
        return memmem(s, len, "&quot;", 6) != NULL ||
               memmem(s, len, "&#34;", 5) != NULL ||
               memmem(s, len, "&#x22;", 6) != NULL;
}

int jsonld_write(yajl_gen gen, const unsigned char *s, size_t len,
                 size_t *written)
{
        jsonld_values_t v;
        dynbuf_t unesc, out;
        size_t spans[JSONLD_VALUES_MAX][2];
        size_t n_spans = 0, i;
        reemit_t re = { NULL, &out, 0 };
        yajl_handle parser = NULL;
        int rc;

        *written = 0;
        jsonld_values_init(&v, 8 * len + 64);
        dynbuf_init(&unesc, len + 1);
        dynbuf_init(&out, 8 * len + 64);
        if (html_escaped(s, len)) {
                if (unescape_html(s, len, &unesc) < 0) {
                        rc = -1;
                        goto out;
                }
                s = (const unsigned char *)(unesc.data ? unesc.data : "");
                len = unesc.len;
        }
        rc = jsonld_repair(s, len, &v);
        if (rc != 0)
                goto out;
        re.gen = yajl_gen_alloc(NULL);
        if (re.gen == NULL) {
                rc = -1;
                goto out;
        }
        yajl_gen_config(re.gen, yajl_gen_print_callback, re_print, &re);
        for (i = 0; i < v.n; i++) {
                size_t before = out.len;

                if (v.end[i] == v.start[i])
                        continue; /* nothing but noise */
                parser = yajl_alloc(&reemit_callbacks, NULL, &re);
                if (parser == NULL) {
                        rc = -1;
                        goto out;
                }
                if (yajl_parse(parser,
                               (const unsigned char *)v.text.data + v.start[i],
                               v.end[i] - v.start[i]) != yajl_status_ok ||
                    yajl_complete_parse(parser) != yajl_status_ok) {
                        rc = re.failed ? -1 : 1;
                        goto out;
                }
                yajl_free(parser);
                parser = NULL;
                if (re.failed) {
                        rc = -1;
                        goto out;
                }
                yajl_gen_reset(re.gen, NULL);
                /* Only objects and arrays with something in them, as
                 * extruct keeps them. */
                if (out.len - before < 3 ||
                    (out.data[before] != '{' && out.data[before] != '[')) {
                        out.len = before;
                        continue;
                }
                spans[n_spans][0] = before;
                spans[n_spans][1] = out.len;
                n_spans++;
        }
        for (i = 0; i < n_spans; i++) {
                if (yajl_gen_number(gen, out.data + spans[i][0],
                                    spans[i][1] - spans[i][0]) !=
                    yajl_gen_status_ok) {
                        rc = -1;
                        goto out;
                }
                (*written)++;
        }
out:
        if (parser != NULL)
                yajl_free(parser);
        if (re.gen != NULL)
                yajl_gen_free(re.gen);
        jsonld_values_free(&v);
        dynbuf_free(&unesc);
        dynbuf_free(&out);
        return rc;
}

/* Repairs and parses block s's values, each tree given to take(tctx,
 * tree), which owns it. Returns the number of trees. */
static size_t parse_each(const unsigned char *s, size_t len, size_t max_bytes,
                         void (*take)(void *, yajl_val), void *tctx)
{
        jsonread_caps_t caps = { max_bytes, JSONLD_DEPTH_MAX,
                                 JSONREAD_REPAIR };
        jsonld_values_t v;
        size_t i, visited = 0;
        char why[128];

        jsonld_values_init(&v, max_bytes);
        if (jsonld_repair(s, len, &v) != 0)
                goto out;
        for (i = 0; i < v.n; i++) {
                size_t n = v.end[i] - v.start[i];
                char *text = malloc(n + 1);
                yajl_val tree;

                if (!text)
                        goto out;
                memcpy(text, v.text.data + v.start[i], n);
                text[n] = '\0';
                tree = jsonread_tree(text, n, &caps, why, sizeof(why));
                free(text);
                if (!tree)
                        continue;
                take(tctx, tree);
                visited++;
        }
out:
        jsonld_values_free(&v);
        return visited;
}

typedef struct visit {
        jsonld_tree_fn fn;
        void *ctx;
} visit_t;

static void visit_and_free(void *opaque, yajl_val tree)
{
        visit_t *vi = opaque;

        vi->fn(vi->ctx, tree);
        yajl_tree_free(tree);
}

size_t jsonld_each_tree(const unsigned char *s, size_t len, size_t max_bytes,
                        jsonld_tree_fn fn, void *ctx)
{
        visit_t vi = { fn, ctx };

        return parse_each(s, len, max_bytes, visit_and_free, &vi);
}

typedef struct cached {
        const unsigned char *s;
        size_t len, max_bytes;
        yajl_val *trees; /* at most JSONLD_VALUES_MAX */
        size_t n;
} cached_t;

struct jsonld_cache {
        cached_t e[JSONLD_CACHE_MAX];
        size_t n, bytes;
};

jsonld_cache_t *jsonld_cache_new(void)
{
        return calloc(1, sizeof(jsonld_cache_t));
}

void jsonld_cache_free(jsonld_cache_t *c)
{
        size_t i, k;

        if (c == NULL)
                return;
        for (i = 0; i < c->n; i++) {
                for (k = 0; k < c->e[i].n; k++)
                        yajl_tree_free(c->e[i].trees[k]);
                free(c->e[i].trees);
        }
        free(c);
}

static void keep(void *opaque, yajl_val tree)
{
        cached_t *e = opaque;

        e->trees[e->n++] = tree; /* parse_each: at most v.n of them */
}

size_t jsonld_each_tree_in(jsonld_cache_t *c, const unsigned char *s,
                           size_t len, size_t max_bytes, jsonld_tree_fn fn,
                           void *ctx)
{
        cached_t *e = NULL;
        size_t i;

        if (c == NULL)
                return jsonld_each_tree(s, len, max_bytes, fn, ctx);
        for (i = 0; i < c->n && e == NULL; i++)
                if (c->e[i].s == s && c->e[i].len == len &&
                    c->e[i].max_bytes == max_bytes)
                        e = &c->e[i];
        if (e == NULL) {
                if (c->n >= JSONLD_CACHE_MAX ||
                    len > JSONLD_CACHE_BYTES - c->bytes)
                        return jsonld_each_tree(s, len, max_bytes, fn, ctx);
                e = &c->e[c->n];
                e->trees = malloc(JSONLD_VALUES_MAX * sizeof(yajl_val));
                if (e->trees == NULL)
                        return jsonld_each_tree(s, len, max_bytes, fn, ctx);
                e->s = s;
                e->len = len;
                e->max_bytes = max_bytes;
                e->n = 0;
                c->n++;
                c->bytes += len;
                (void)parse_each(s, len, max_bytes, keep, e);
        }
        for (i = 0; i < e->n; i++)
                fn(ctx, e->trees[i]);
        return e->n;
}
