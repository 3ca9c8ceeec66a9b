/*
 * opengraph.c — OpenGraph properties in extruct's shape (see opengraph.h).
 */
#include "opengraph.h"

#include "dynbuf.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#define DECLS_MAX 256

typedef struct span {
        size_t off;
        size_t len;
} span_t;

typedef struct ogprop {
        int where;
        span_t key;
        span_t value;
} ogprop_t;

typedef struct ogdecl {
        int where;
        span_t name;
        span_t iri;
} ogdecl_t;

struct opengraph {
        dynbuf_t strings;
        ogprop_t *props;
        size_t n_props;
        size_t cap_props;
        ogdecl_t decls[DECLS_MAX];
        size_t n_decls;
        int capped;
};

static const struct {
        const char *prefix;
        const char *iri;
} known_ns[] = {
        { "og", "http://ogp.me/ns#" },
        { "music", "http://ogp.me/ns/music#" },
        { "video", "http://ogp.me/ns/video#" },
        { "article", "http://ogp.me/ns/article#" },
        { "book", "http://ogp.me/ns/book#" },
        { "profile", "http://ogp.me/ns/profile#" },
        { "product", "http://ogp.me/ns/product#" },
};

opengraph_t *opengraph_new(void)
{
        opengraph_t *og = calloc(1, sizeof(*og));

        if (og != NULL)
                dynbuf_init(&og->strings, 64 * 1024 * 1024);
        return og;
}

void opengraph_destroy(opengraph_t *og)
{
        if (og == NULL)
                return;
        dynbuf_free(&og->strings);
        free(og->props);
        free(og);
}

static int keep(opengraph_t *og, const char *s, size_t len, span_t *sp)
{
        len = utf8_valid_prefix((const unsigned char *)s, len);
        sp->off = og->strings.len;
        sp->len = len;
        return dynbuf_add(&og->strings, s, len) < 0 ? -1 : 0;
}

static int is_word(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

static int is_space(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
               c == '\v';
}

/* extruct reads declarations with the pattern \s*(\w+):\s*(\S+), found
 * anywhere, left to right, without overlap. */
int opengraph_prefix(opengraph_t *og, int where, const char *value)
{
        const unsigned char *s = (const unsigned char *)value;
        size_t i = 0, n = strlen(value);

        while (i < n) {
                size_t w0, w1, v0, v1;

                if (!is_word(s[i])) {
                        i++;
                        continue;
                }
                w0 = i;
                while (i < n && is_word(s[i]))
                        i++;
                w1 = i;
                if (i >= n || s[i] != ':')
                        continue;
                i++;
                while (i < n && is_space(s[i]))
                        i++;
                v0 = i;
                while (i < n && !is_space(s[i]))
                        i++;
                v1 = i;
                if (v1 == v0)
                        continue;
                if (og->n_decls >= DECLS_MAX) {
                        og->capped = 1;
                        return 0;
                }
                og->decls[og->n_decls].where = where;
                if (keep(og, value + w0, w1 - w0,
                         &og->decls[og->n_decls].name) < 0 ||
                    keep(og, value + v0, v1 - v0,
                         &og->decls[og->n_decls].iri) < 0)
                        return -1;
                og->n_decls++;
        }
        return 0;
}

int opengraph_meta(opengraph_t *og, int where, const char *property,
                   const char *content)
{
        ogprop_t *p;
        size_t vlen = strlen(content);

        if (og->n_props >= OPENGRAPH_PROPS_MAX) {
                og->capped = 1;
                return 0;
        }
        if (og->n_props == og->cap_props) {
                size_t ncap = og->cap_props ? og->cap_props * 2 : 32;
                ogprop_t *nv = realloc(og->props, ncap * sizeof(*nv));

                if (nv == NULL)
                        return -1;
                og->props = nv;
                og->cap_props = ncap;
        }
        p = &og->props[og->n_props];
        p->where = where;
        if (vlen > OPENGRAPH_VALUE_MAX)
                vlen = OPENGRAPH_VALUE_MAX;
        if (keep(og, property, strlen(property), &p->key) < 0 ||
            keep(og, content, vlen, &p->value) < 0)
                return -1;
        og->n_props++;
        return 0;
}

int opengraph_present(const opengraph_t *og)
{
        return og != NULL && og->n_props > 0;
}

int opengraph_capped(const opengraph_t *og)
{
        return og != NULL && og->capped;
}

int opengraph_get(const opengraph_t *og, size_t i, const char **key,
                  size_t *key_len, const char **value, size_t *value_len)
{
        const char *s = og->strings.data ? og->strings.data : "";

        if (i >= og->n_props)
                return -1;
        *key = s + og->props[i].key.off;
        *key_len = og->props[i].key.len;
        *value = s + og->props[i].value.off;
        *value_len = og->props[i].value.len;
        return 0;
}

/* The namespace map of one root, in insertion order. */
typedef struct nsmap {
        const char *name[DECLS_MAX + 8];
        size_t name_len[DECLS_MAX + 8];
        const char *iri[DECLS_MAX + 8];
        size_t iri_len[DECLS_MAX + 8];
        size_t n;
} nsmap_t;

static long ns_find(const nsmap_t *m, const char *name, size_t len)
{
        size_t i;

        for (i = 0; i < m->n; i++)
                if (m->name_len[i] == len &&
                    memcmp(m->name[i], name, len) == 0)
                        return (long)i;
        return -1;
}

static void ns_set(nsmap_t *m, const char *name, size_t len, const char *iri,
                   size_t iri_len)
{
        long k = ns_find(m, name, len);

        if (k < 0) {
                if (m->n >= DECLS_MAX + 8)
                        return;
                k = (long)m->n++;
                m->name[k] = name;
                m->name_len[k] = len;
        }
        m->iri[k] = iri;
        m->iri_len[k] = iri_len;
}

#define GEN(expr)                                 \
        do {                                      \
                if ((expr) != yajl_gen_status_ok) \
                        rc = -1;                  \
        } while (0)

int opengraph_write(const opengraph_t *og, yajl_gen gen)
{
        static const int roots[] = { OPENGRAPH_HEAD, OPENGRAPH_BODY };
        const char *s = og->strings.data ? og->strings.data : "";
        nsmap_t *m = malloc(sizeof(*m));
        unsigned char *keepit = NULL;
        size_t r, i, k;
        int rc = 0;

        if (m == NULL)
                return -1;
        keepit = calloc(og->n_props + 1, 1);
        if (keepit == NULL) {
                free(m);
                return -1;
        }
        GEN(yajl_gen_array_open(gen));
        for (r = 0; r < 2 && rc == 0; r++) {
                size_t kept = 0;

                m->n = 0;
                for (i = 0; i < og->n_decls; i++)
                        if (og->decls[i].where == OPENGRAPH_HTML)
                                ns_set(m, s + og->decls[i].name.off,
                                       og->decls[i].name.len,
                                       s + og->decls[i].iri.off,
                                       og->decls[i].iri.len);
                for (i = 0; i < og->n_decls; i++)
                        if (og->decls[i].where == roots[r])
                                ns_set(m, s + og->decls[i].name.off,
                                       og->decls[i].name.len,
                                       s + og->decls[i].iri.off,
                                       og->decls[i].iri.len);
                for (i = 0; i < og->n_props; i++) {
                        const ogprop_t *p = &og->props[i];
                        const char *key = s + p->key.off;
                        const char *colon = memchr(key, ':', p->key.len);
                        size_t ns_len =
                                colon ? (size_t)(colon - key) : p->key.len;

                        keepit[i] = 0;
                        if (p->where != roots[r])
                                continue;
                        for (k = 0; k < sizeof(known_ns) / sizeof(known_ns[0]);
                             k++)
                                if (strlen(known_ns[k].prefix) == ns_len &&
                                    memcmp(known_ns[k].prefix, key, ns_len) ==
                                            0)
                                        ns_set(m, known_ns[k].prefix, ns_len,
                                               known_ns[k].iri,
                                               strlen(known_ns[k].iri));
                        if (ns_find(m, key, ns_len) >= 0) {
                                keepit[i] = 1;
                                kept++;
                        }
                }
                if (kept == 0)
                        continue;
                GEN(yajl_gen_map_open(gen));
                GEN(yajl_gen_string(gen, (const unsigned char *)"namespace",
                                    9));
                GEN(yajl_gen_map_open(gen));
                for (k = 0; k < m->n; k++) {
                        GEN(yajl_gen_string(gen,
                                            (const unsigned char *)m->name[k],
                                            m->name_len[k]));
                        GEN(yajl_gen_string(gen,
                                            (const unsigned char *)m->iri[k],
                                            m->iri_len[k]));
                }
                GEN(yajl_gen_map_close(gen));
                GEN(yajl_gen_string(gen, (const unsigned char *)"properties",
                                    10));
                GEN(yajl_gen_array_open(gen));
                for (i = 0; i < og->n_props; i++) {
                        const ogprop_t *p = &og->props[i];

                        if (!keepit[i])
                                continue;
                        GEN(yajl_gen_array_open(gen));
                        GEN(yajl_gen_string(
                                gen, (const unsigned char *)s + p->key.off,
                                p->key.len));
                        GEN(yajl_gen_string(
                                gen, (const unsigned char *)s + p->value.off,
                                p->value.len));
                        GEN(yajl_gen_array_close(gen));
                }
                GEN(yajl_gen_array_close(gen));
                GEN(yajl_gen_map_close(gen));
        }
        GEN(yajl_gen_array_close(gen));
        free(keepit);
        free(m);
        return rc;
}
