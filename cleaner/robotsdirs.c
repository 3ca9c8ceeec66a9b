/*
 * robotsdirs.c — robots directives from X-Robots-Tag and meta tags (see
 * robotsdirs.h). Written here: no library Debian packages parses them.
 */
#include "robotsdirs.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_tree.h>

static const struct {
        const char *name;
        unsigned flag;
} flag_names[] = {
        { "noindex", RD_NOINDEX },
        { "nofollow", RD_NOFOLLOW },
        { "noarchive", RD_NOARCHIVE },
        { "nocache", RD_NOCACHE },
        { "nosnippet", RD_NOSNIPPET },
        { "noimageindex", RD_NOIMAGEINDEX },
        { "notranslate", RD_NOTRANSLATE },
        { "indexifembedded", RD_INDEXIFEMBEDDED },
        { "all", RD_ALL },
        { "none", RD_NONE | RD_NOINDEX | RD_NOFOLLOW },
};

static const char *const valued_names[] = { "unavailable_after", "max-snippet",
                                            "max-image-preview",
                                            "max-video-preview", NULL };

static const char *const preview_names[] = { "none", "standard", "large",
                                             NULL };

void robotsdirs_init(robotsdirs_t *d)
{
        memset(d, 0, sizeof(*d));
        d->max_snippet = -2;
        d->max_video_preview = -2;
        d->max_image_preview = -1;
}

static void trim(const char **s, size_t *n)
{
        while (*n > 0 && isspace((unsigned char)**s)) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
                (*n)--;
}

static int word_is(const char *s, size_t n, const char *w)
{
        return n == strlen(w) && strncasecmp(s, w, n) == 0;
}

/* The length of the leading name of s[0, n): up to ':' or white space. */
static size_t name_len(const char *s, size_t n)
{
        size_t i = 0;

        while (i < n && s[i] != ':' && !isspace((unsigned char)s[i]))
                i++;
        return i;
}

static int is_valued(const char *s, size_t n)
{
        for (int i = 0; valued_names[i]; i++)
                if (word_is(s, n, valued_names[i]))
                        return 1;
        return 0;
}

/* Whether the piece s[0, n) begins with a known directive name. */
static int starts_directive(const char *s, size_t n)
{
        size_t k;

        trim(&s, &n);
        k = name_len(s, n);
        if (is_valued(s, k))
                return 1;
        for (size_t i = 0; i < sizeof(flag_names) / sizeof(*flag_names); i++)
                if (word_is(s, k, flag_names[i].name))
                        return 1;
        return 0;
}

static void keep_number(long *dst, const char *v, size_t n)
{
        char buf[32], *end;
        long x;

        if (n == 0 || n >= sizeof(buf))
                return;
        memcpy(buf, v, n);
        buf[n] = '\0';
        x = strtol(buf, &end, 10);
        if (*end != '\0' || x < -1)
                return;
        /* -1 is "no limit": any limit is more restrictive. */
        if (*dst == -2 || *dst == -1 || (x != -1 && x < *dst))
                *dst = x;
}

/* One directive s[0, n) (trimmed), its value after ':'. */
static void directive(robotsdirs_t *d, const char *s, size_t n)
{
        size_t k = name_len(s, n);
        const char *v = s + k;
        size_t vn = n - k;

        trim(&v, &vn);
        if (vn > 0 && *v == ':') {
                v++;
                vn--;
                trim(&v, &vn);
        }
        for (size_t i = 0; i < sizeof(flag_names) / sizeof(*flag_names); i++) {
                if (word_is(s, k, flag_names[i].name)) {
                        d->flags |= flag_names[i].flag;
                        return;
                }
        }
        if (word_is(s, k, "max-snippet")) {
                keep_number(&d->max_snippet, v, vn);
        } else if (word_is(s, k, "max-video-preview")) {
                keep_number(&d->max_video_preview, v, vn);
        } else if (word_is(s, k, "max-image-preview")) {
                for (int i = 0; preview_names[i]; i++)
                        if (word_is(v, vn, preview_names[i]) &&
                            (d->max_image_preview < 0 ||
                             i < d->max_image_preview))
                                d->max_image_preview = i;
        } else if (word_is(s, k, "unavailable_after")) {
                if (d->unavailable_after[0] || vn == 0 ||
                    vn > ROBOTSDIRS_DATE_MAX)
                        return;
                for (size_t i = 0; i < vn; i++)
                        if ((unsigned char)v[i] < 0x20 ||
                            (unsigned char)v[i] > 0x7e)
                                return;
                memcpy(d->unavailable_after, v, vn);
                d->unavailable_after[vn] = '\0';
        }
}

/* A directive list s[0, n): split at commas, unavailable_after's date
 * keeping the pieces that start no directive. */
static void directives(robotsdirs_t *d, const char *s, size_t n)
{
        const char *end = s + n;

        while (s < end) {
                const char *comma = memchr(s, ',', (size_t)(end - s));
                const char *stop = comma ? comma : end;
                const char *p = s;
                size_t pn;

                pn = (size_t)(stop - s);
                trim(&p, &pn);
                if (word_is(p, name_len(p, pn), "unavailable_after")) {
                        while (stop < end) {
                                const char *next = stop + 1;
                                const char *c2 = memchr(next, ',',
                                                        (size_t)(end - next));
                                const char *s2 = c2 ? c2 : end;

                                if (starts_directive(next,
                                                     (size_t)(s2 - next)))
                                        break;
                                stop = s2;
                        }
                        pn = (size_t)(stop - p);
                        trim(&p, &pn);
                }
                if (pn > 0)
                        directive(d, p, pn);
                s = stop < end ? stop + 1 : end;
        }
}

void robotsdirs_add_header(robotsdirs_t *d, const char *value, size_t len,
                           const char *product)
{
        const char *s = value;
        size_t n = len, k;

        trim(&s, &n);
        k = name_len(s, n);
        /* "{user agent}: directives": a first word before ':' that is no
         * valued directive names a crawler. */
        if (k < n && s[k] == ':' && !is_valued(s, k)) {
                int mine = product && word_is(s, k, product);

                if (!mine)
                        return;
                s += k + 1;
                n -= k + 1;
        }
        directives(d, s, n);
}

int robotsdirs_add_header_json(robotsdirs_t *d, const char *json,
                               const char *product)
{
        char err[128];
        yajl_val v = yajl_tree_parse(json, err, sizeof(err));

        if (!v || !YAJL_IS_ARRAY(v)) {
                yajl_tree_free(v);
                return -1;
        }
        for (size_t i = 0; i < v->u.array.len; i++) {
                yajl_val s = v->u.array.values[i];

                if (YAJL_IS_STRING(s))
                        robotsdirs_add_header(d, s->u.string,
                                              strlen(s->u.string), product);
        }
        yajl_tree_free(v);
        return 0;
}

void robotsdirs_add_meta(robotsdirs_t *d, const char *name,
                         const char *content, const char *product)
{
        const char *s = name;
        size_t n;

        if (!name || !content)
                return;
        n = strlen(name);
        trim(&s, &n);
        if (!word_is(s, n, "robots") && !(product && word_is(s, n, product)))
                return;
        directives(d, content, strlen(content));
}

void robotsdirs_for_page(robotsdirs_t *d, const char *x_robots_tag,
                         const char *meta_robots, size_t meta_robots_len,
                         const char *meta_product, size_t meta_product_len,
                         const char *product)
{
        robotsdirs_init(d);
        if (x_robots_tag)
                (void)robotsdirs_add_header_json(d, x_robots_tag, product);
        if (meta_robots)
                directives(d, meta_robots, meta_robots_len);
        if (meta_product)
                directives(d, meta_product, meta_product_len);
}

int robotsdirs_nofollow(const robotsdirs_t *d)
{
        return (d->flags & RD_NOFOLLOW) != 0;
}

int robotsdirs_any(const robotsdirs_t *d)
{
        return d->flags || d->max_snippet != -2 ||
               d->max_video_preview != -2 || d->max_image_preview >= 0 ||
               d->unavailable_after[0];
}

int robotsdirs_gen(const robotsdirs_t *d, yajl_gen g)
{
        yajl_gen_status st = yajl_gen_map_open(g);

        for (size_t i = 0; i < sizeof(flag_names) / sizeof(*flag_names); i++) {
                const char *nm = flag_names[i].name;
                unsigned f = flag_names[i].flag;

                /* none is reported with the two it stands for. */
                if (strcmp(nm, "none") == 0)
                        f = RD_NONE;
                if (st == yajl_gen_status_ok && (d->flags & f) == f) {
                        st = yajl_gen_string(g, (const unsigned char *)nm,
                                             strlen(nm));
                        if (st == yajl_gen_status_ok)
                                st = yajl_gen_bool(g, 1);
                }
        }
        if (st == yajl_gen_status_ok && d->max_snippet != -2) {
                st = yajl_gen_string(g, (const unsigned char *)"max-snippet",
                                     11);
                if (st == yajl_gen_status_ok)
                        st = yajl_gen_integer(g, d->max_snippet);
        }
        if (st == yajl_gen_status_ok && d->max_image_preview >= 0) {
                const char *v = preview_names[d->max_image_preview];

                st = yajl_gen_string(
                        g, (const unsigned char *)"max-image-preview", 17);
                if (st == yajl_gen_status_ok)
                        st = yajl_gen_string(g, (const unsigned char *)v,
                                             strlen(v));
        }
        if (st == yajl_gen_status_ok && d->max_video_preview != -2) {
                st = yajl_gen_string(
                        g, (const unsigned char *)"max-video-preview", 17);
                if (st == yajl_gen_status_ok)
                        st = yajl_gen_integer(g, d->max_video_preview);
        }
        if (st == yajl_gen_status_ok && d->unavailable_after[0]) {
                st = yajl_gen_string(
                        g, (const unsigned char *)"unavailable_after", 17);
                if (st == yajl_gen_status_ok)
                        st = yajl_gen_string(
                                g, (const unsigned char *)d->unavailable_after,
                                strlen(d->unavailable_after));
        }
        if (st == yajl_gen_status_ok)
                st = yajl_gen_map_close(g);
        return st == yajl_gen_status_ok ? 0 : -1;
}
