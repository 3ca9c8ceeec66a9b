/*
 * test_cleaner_sitemap.c — the sitemap and feed reader (cleaner/sitemap.c).
 *
 * Most cases are data: tests/data/sitemap/NAME.json holds
 *   {"sitemap_url", "input": "FILE", "gzip"?: true (the test compresses
 *    FILE first), "scope_host"?, "any_path"?, "max_urls"?, "max_bytes"?,
 *    "want": {"format", "gzip", "found", "emitted", "truncated",
 *             "malformed", "lastmod_invalid", "dropped": {reason: count},
 *             "entries": [{"url", "lastmod", "changefreq", "priority",
 *                          "sitemap"}]}}
 * and each input is read three ways — whole, a byte at a time, in 7-byte
 * pieces — which must all give "want". Run from the repository root (or
 * set SITEMAP_DATA_DIR). The cases that need large inputs (limits, gzip
 * bombs) are built here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include <zlib.h>

#include "../../cleaner/sitemap.h"
#include "testutil.h"

#define DATA_DIR "tests/data/sitemap"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* gzip of in[0, n) (one member); the caller frees. */
static unsigned char *gzip_bytes(const void *in, size_t n, size_t *out_len)
{
        z_stream z;
        size_t cap = deflateBound(NULL, (uLong)n) + 64;
        unsigned char *out = malloc(cap);

        assert_non_null(out);
        memset(&z, 0, sizeof(z));
        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
                                      Z_DEFAULT_STRATEGY),
                         Z_OK);
        z.next_in = (unsigned char *)in;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        *out_len = cap - z.avail_out;
        deflateEnd(&z);
        return out;
}

/* What the emit callback collects: the entries as JSON. */
typedef struct collect {
        yajl_gen g;
        size_t n;
        size_t stop_after; /* 0 = never stop */
} collect_t;

static int collect_emit(void *ctx, const sitemap_entry_t *e)
{
        collect_t *c = ctx;
        yajl_gen g = c->g;

#define STR(s) yajl_gen_string(g, (const unsigned char *)(s), strlen(s))
        assert_int_equal(strlen(e->url), e->url_len);
        yajl_gen_map_open(g);
        STR("url");
        STR(e->url);
        STR("lastmod");
        if (e->lastmod)
                STR(e->lastmod);
        else
                yajl_gen_null(g);
        STR("changefreq");
        if (e->changefreq)
                STR(e->changefreq);
        else
                yajl_gen_null(g);
        STR("priority");
        if (e->priority >= 0)
                yajl_gen_double(g, e->priority);
        else
                yajl_gen_null(g);
        STR("sitemap");
        yajl_gen_bool(g, e->is_sitemap);
        yajl_gen_map_close(g);
        c->n++;
        return c->stop_after && c->n >= c->stop_after;
}

/* Reads data in pieces of `step` bytes (0 = whole) and returns the result
 * as a yajl tree in the "want" shape; the caller frees. */
static yajl_val read_in_steps(const char *url, const sitemap_opts_t *opts,
                              const unsigned char *data, size_t len,
                              size_t step)
{
        collect_t c = { 0 };
        char err[256] = "";
        sitemap_t *sm;
        const sitemap_stats_t *st;
        const unsigned char *buf;
        size_t buf_len, off = 0;
        yajl_val v;
        int rc = 0;

        c.g = yajl_gen_alloc(NULL);
        assert_non_null(c.g);
        yajl_gen_map_open(c.g);
        yajl_gen_string(c.g, (const unsigned char *)"entries", 7);
        yajl_gen_array_open(c.g);
        sm = sitemap_new(url, opts, collect_emit, &c, err, sizeof(err));
        if (sm == NULL)
                fprintf(stderr, "sitemap_new: %s\n", err);
        assert_non_null(sm);
        while (off < len && rc == 0) {
                size_t k = step && len - off > step ? step : len - off;

                rc = sitemap_feed(sm, data + off, k);
                off += k;
        }
        if (rc == 0)
                rc = sitemap_finish(sm);
        assert_true(rc == 0 || rc == SITEMAP_STOPPED);
        st = sitemap_stats(sm);
        yajl_gen_array_close(c.g);
        {
                yajl_gen g = c.g;

                STR("format");
                STR(sitemap_format_names[st->format]);
                STR("gzip");
                yajl_gen_bool(g, st->gzip);
                STR("found");
                yajl_gen_integer(g, (long long)st->found);
                STR("emitted");
                yajl_gen_integer(g, (long long)st->emitted);
                STR("truncated");
                yajl_gen_bool(g, st->truncated);
                STR("malformed");
                yajl_gen_bool(g, st->malformed);
                STR("lastmod_invalid");
                yajl_gen_integer(g, (long long)st->lastmod_invalid);
                STR("dropped");
                yajl_gen_map_open(g);
                for (int i = 0; i < SITEMAP_DROP_N; i++) {
                        STR(sitemap_drop_names[i]);
                        yajl_gen_integer(g, (long long)st->dropped[i]);
                }
                yajl_gen_map_close(g);
        }
        yajl_gen_map_close(c.g);
        assert_int_equal(st->emitted, c.n);
        assert_int_equal(st->bytes_in, off);
        sitemap_destroy(sm);
        yajl_gen_get_buf(c.g, &buf, &buf_len);
        v = yajl_tree_parse((const char *)buf, err, sizeof(err));
        if (v == NULL)
                fprintf(stderr, "result JSON: %s\n%.*s\n", err, (int)buf_len,
                        (const char *)buf);
        assert_non_null(v);
        yajl_gen_free(c.g);
        return v;
#undef STR
}

/* A yajl tree back to JSON text, to show what a failing case got. */
static void dump(yajl_gen g, yajl_val v)
{
        if (YAJL_IS_STRING(v)) {
                yajl_gen_string(g, (const unsigned char *)v->u.string,
                                strlen(v->u.string));
        } else if (YAJL_IS_NUMBER(v)) {
                yajl_gen_number(g, YAJL_GET_NUMBER(v),
                                strlen(YAJL_GET_NUMBER(v)));
        } else if (YAJL_IS_OBJECT(v)) {
                yajl_gen_map_open(g);
                for (size_t i = 0; i < v->u.object.len; i++) {
                        yajl_gen_string(
                                g, (const unsigned char *)v->u.object.keys[i],
                                strlen(v->u.object.keys[i]));
                        dump(g, v->u.object.values[i]);
                }
                yajl_gen_map_close(g);
        } else if (YAJL_IS_ARRAY(v)) {
                yajl_gen_array_open(g);
                for (size_t i = 0; i < v->u.array.len; i++)
                        dump(g, v->u.array.values[i]);
                yajl_gen_array_close(g);
        } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
                yajl_gen_bool(g, YAJL_IS_TRUE(v));
        } else {
                yajl_gen_null(g);
        }
}

static int run_case(const char *dir, const char *name)
{
        char path[1024], err[256];
        char *spec = NULL, *input = NULL;
        size_t spec_len, input_len;
        unsigned char *gz = NULL;
        const unsigned char *data;
        size_t data_len;
        sitemap_opts_t opts = { 0 };
        yajl_val root, want, v;
        int ok = 1;

        snprintf(path, sizeof(path), "%s/%s.json", dir, name);
        assert_int_equal(read_all(path, &spec, &spec_len), 0);
        root = yajl_tree_parse(spec, err, sizeof(err));
        if (root == NULL)
                fprintf(stderr, "%s: %s\n", path, err);
        assert_non_null(root);
        assert_non_null(tree_str(root, "input"));
        assert_non_null(tree_str(root, "sitemap_url"));
        want = tree_get(root, "want");
        assert_true(YAJL_IS_OBJECT(want));
        snprintf(path, sizeof(path), "%s/%s", dir, tree_str(root, "input"));
        assert_int_equal(read_all(path, &input, &input_len), 0);
        data = (const unsigned char *)input;
        data_len = input_len;
        if (YAJL_IS_TRUE(tree_get(root, "gzip"))) {
                gz = gzip_bytes(input, input_len, &data_len);
                data = gz;
        }
        opts.scope_host = tree_str(root, "scope_host");
        opts.any_path = YAJL_IS_TRUE(tree_get(root, "any_path"));
        v = tree_get(root, "max_urls");
        if (YAJL_IS_INTEGER(v))
                opts.max_urls = (size_t)YAJL_GET_INTEGER(v);
        v = tree_get(root, "max_bytes");
        if (YAJL_IS_INTEGER(v))
                opts.max_bytes = (size_t)YAJL_GET_INTEGER(v);
        static const size_t steps[] = { 0, 1, 7 };
        for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
                yajl_val got = read_in_steps(tree_str(root, "sitemap_url"),
                                             &opts, data, data_len, steps[i]);
                char where[128];

                snprintf(where, sizeof(where), "%s (pieces of %zu)", name,
                         steps[i]);
                if (!json_equal(want, got, where)) {
                        yajl_gen g = yajl_gen_alloc(NULL);
                        const unsigned char *buf;
                        size_t buf_len;

                        assert_non_null(g);
                        dump(g, got);
                        yajl_gen_get_buf(g, &buf, &buf_len);
                        fprintf(stderr, "  got: %.*s\n", (int)buf_len,
                                (const char *)buf);
                        yajl_gen_free(g);
                        ok = 0;
                }
                yajl_tree_free(got);
        }
        yajl_tree_free(root);
        free(gz);
        free(input);
        free(spec);
        return ok;
}

static void test_data_cases(void **state)
{
        const char *dir = getenv("SITEMAP_DATA_DIR");
        size_t n, failed;

        (void)state;
        n = testutil_run_cases(dir ? dir : DATA_DIR, NULL, "sitemap", run_case,
                               &failed);
        assert_true(n >= 10);
        assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* Limits                                                              */

static int count_emit(void *ctx, const sitemap_entry_t *e)
{
        (*(size_t *)ctx)++;
        return 0;
}

/* A urlset of n URLs, each padded with `pad` bytes of an extension. */
static char *big_urlset(size_t n, size_t pad, size_t *len)
{
        size_t cap = 256 + n * (96 + pad), off = 0;
        char *s = malloc(cap);

        assert_non_null(s);
        off += (size_t)snprintf(s, cap,
                                "<?xml version=\"1.0\"?>\n<urlset xmlns="
                                "\"http://www.sitemaps.org/schemas/"
                                "sitemap/0.9\">\n");
        for (size_t i = 0; i < n; i++) {
                off += (size_t)snprintf(s + off, cap - off,
                                        "<url><loc>https://example.com/p/%zu"
                                        "</loc><lastmod>2024-01-01</lastmod>"
                                        "<x>",
                                        i);
                memset(s + off, 'x', pad);
                off += pad;
                off += (size_t)snprintf(s + off, cap - off, "</x></url>\n");
        }
        off += (size_t)snprintf(s + off, cap - off, "</urlset>\n");
        *len = off;
        return s;
}

/* The protocol's 50,000 URLs: the 50,001st is dropped and counted. */
static void test_max_urls(void **state)
{
        size_t len, emitted = 0;
        char *s = big_urlset(SITEMAP_MAX_URLS + 1, 0, &len);
        sitemap_stats_t st;
        char err[128];

        assert_int_equal(sitemap_parse("https://example.com/sitemap.xml", NULL,
                                       s, len, count_emit, &emitted, &st, err,
                                       sizeof(err)),
                         0);
        assert_int_equal(emitted, SITEMAP_MAX_URLS);
        assert_int_equal(st.found, SITEMAP_MAX_URLS + 1);
        assert_int_equal(st.dropped[SITEMAP_DROP_LIMIT], 1);
        assert_false(st.truncated);
        free(s);
}

/* A gzip bomb: 64 MiB of zeros in about 64 KiB. Reading stops at the
 * protocol's 50 MiB of inflated bytes. */
static void test_gzip_bomb(void **state)
{
        size_t n = (size_t)64 * 1024 * 1024, gz_len, emitted = 0;
        char *zeros = calloc(1, n);
        unsigned char *gz;
        sitemap_stats_t st;
        char err[128];

        assert_non_null(zeros);
        gz = gzip_bytes(zeros, n, &gz_len);
        free(zeros);
        assert_true(gz_len < n / 100);
        assert_int_equal(sitemap_parse("https://example.com/bomb.xml.gz", NULL,
                                       gz, gz_len, count_emit, &emitted, &st,
                                       err, sizeof(err)),
                         0);
        assert_true(st.gzip);
        assert_true(st.truncated);
        assert_int_equal(st.bytes, SITEMAP_MAX_BYTES);
        assert_int_equal(emitted, 0);
        free(gz);
}

/* An XML sitemap over max_bytes: the URLs before the cut are read, then
 * reading stops and later input is refused. */
static void test_max_bytes_xml(void **state)
{
        size_t len, emitted = 0;
        char *s = big_urlset(1000, 0, &len);
        sitemap_opts_t opts = { .max_bytes = len / 2 };
        char err[128];
        sitemap_t *sm = sitemap_new("https://example.com/sitemap.xml", &opts,
                                    count_emit, &emitted, err, sizeof(err));

        assert_non_null(sm);
        assert_int_equal(sitemap_feed(sm, s, len), SITEMAP_STOPPED);
        assert_int_equal(sitemap_feed(sm, s, 10), SITEMAP_STOPPED);
        assert_int_equal(sitemap_finish(sm), SITEMAP_STOPPED);
        assert_true(sitemap_stats(sm)->truncated);
        /* Every <url> complete before the cut, and no other. */
        size_t complete = 0;
        for (const char *p = strstr(s, "</url>");
             p != NULL && p + 6 <= s + len / 2; p = strstr(p + 1, "</url>"))
                complete++;
        assert_true(complete > 400);
        assert_int_equal(emitted, complete);
        assert_int_equal(sitemap_stats(sm)->emitted, emitted);
        sitemap_destroy(sm);
        free(s);
}

/* Several gzip members are one stream (gzip -c a b > ab.gz); bytes after
 * the last member are flagged and ignored. */
static void test_gzip_members(void **state)
{
        static const char a[] = "https://example.com/a\n";
        static const char b[] = "https://example.com/b\n";
        size_t la, lb, emitted = 0;
        unsigned char *ga = gzip_bytes(a, strlen(a), &la);
        unsigned char *gb = gzip_bytes(b, strlen(b), &lb);
        unsigned char *both = malloc(la + lb + 5);
        sitemap_stats_t st;
        char err[128];

        assert_non_null(both);
        memcpy(both, ga, la);
        memcpy(both + la, gb, lb);
        assert_int_equal(sitemap_parse("https://example.com/s.txt.gz", NULL,
                                       both, la + lb, count_emit, &emitted,
                                       &st, err, sizeof(err)),
                         0);
        assert_int_equal(emitted, 2);
        assert_false(st.malformed);

        memcpy(both + la + lb, "junk!", 5);
        emitted = 0;
        assert_int_equal(sitemap_parse("https://example.com/s.txt.gz", NULL,
                                       both, la + lb + 5, count_emit, &emitted,
                                       &st, err, sizeof(err)),
                         0);
        assert_int_equal(emitted, 2);
        assert_true(st.malformed);

        /* Cut short, and corrupted: flagged, what was read is kept. */
        emitted = 0;
        assert_int_equal(sitemap_parse("https://example.com/s.txt.gz", NULL,
                                       both, la - 4, count_emit, &emitted, &st,
                                       err, sizeof(err)),
                         0);
        assert_true(st.malformed);
        memset(both + 10, 0xff, 8);
        assert_int_equal(sitemap_parse("https://example.com/s.txt.gz", NULL,
                                       both, la, count_emit, &emitted, &st,
                                       err, sizeof(err)),
                         0);
        assert_true(st.malformed);
        assert_true(st.error[0] != '\0');
        free(ga);
        free(gb);
        free(both);
}

static int stop_at_two(void *ctx, const sitemap_entry_t *e)
{
        return ++*(size_t *)ctx >= 2;
}

/* emit's non-zero stops the reading. */
static void test_emit_stops(void **state)
{
        size_t len, emitted = 0;
        char *s = big_urlset(100, 0, &len);
        char err[128];
        sitemap_t *sm = sitemap_new("https://example.com/sitemap.xml", NULL,
                                    stop_at_two, &emitted, err, sizeof(err));

        assert_non_null(sm);
        assert_int_equal(sitemap_feed(sm, s, len), SITEMAP_STOPPED);
        assert_int_equal(emitted, 2);
        sitemap_destroy(sm);
        free(s);
}

static void test_bad_sitemap_url(void **state)
{
        char err[128] = "";

        assert_null(sitemap_new("ftp://example.com/s.xml", NULL, count_emit,
                                NULL, err, sizeof(err)));
        assert_true(err[0] != '\0');
        assert_null(sitemap_new("not a url", NULL, count_emit, NULL, err,
                                sizeof(err)));
}

/* Speed and memory: a 50 MiB sitemap (50,000 URLs with ~1 KiB of
 * extension each) read in 64 KiB pieces, at the floor of 50,000
 * URLs per CPU second (a sanitizer build is slower: the floor is then
 * only printed). */
static void test_speed(void **state)
{
        size_t len, emitted = 0;
        char *s = big_urlset(SITEMAP_MAX_URLS, 960, &len);
        char err[128];
        struct timespec t0, t1;
        sitemap_t *sm;
        double cpu;

        assert_true(len <= SITEMAP_MAX_BYTES);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        sm = sitemap_new("https://example.com/sitemap.xml", NULL, count_emit,
                         &emitted, err, sizeof(err));
        assert_non_null(sm);
        for (size_t off = 0; off < len; off += 65536)
                assert_int_equal(
                        sitemap_feed(sm, s + off,
                                     len - off < 65536 ? len - off : 65536),
                        0);
        assert_int_equal(sitemap_finish(sm), 0);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
        sitemap_destroy(sm);
        cpu = (double)(t1.tv_sec - t0.tv_sec) +
              (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr,
                "sitemap speed: %zu URLs, %.1f MiB in %.3f CPU s: "
                "%.0f URLs per CPU second\n",
                emitted, (double)len / (1024 * 1024), cpu,
                (double)emitted / cpu);
        assert_int_equal(emitted, SITEMAP_MAX_URLS);
#if !defined(__SANITIZE_ADDRESS__)
        assert_true((double)emitted / cpu >= 50000);
#endif
        free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_data_cases),
                cmocka_unit_test(test_max_urls),
                cmocka_unit_test(test_gzip_bomb),
                cmocka_unit_test(test_max_bytes_xml),
                cmocka_unit_test(test_gzip_members),
                cmocka_unit_test(test_emit_stops),
                cmocka_unit_test(test_bad_sitemap_url),
                cmocka_unit_test(test_speed),
        };

        xmlInitParser();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
