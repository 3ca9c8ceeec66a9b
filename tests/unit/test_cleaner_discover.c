/*
 * test_cleaner_discover.c — sitemap pages to URL messages and a record
 * (cleaner/discover.c): the messages' shape, depth bound, duplicates,
 * the per-host budget, the record's counts and the dead-letter answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <yajl/yajl_tree.h>

#include "../../cleaner/discover.h"
#include "utf8.h"
#include "testutil.h"

typedef struct got {
        char *values[16];
        char *keys[16];
        char *topics[16];
        size_t n;
} got_t;

static int keep(void *ctx, const link_msg_t *m)
{
        got_t *g = ctx;

        assert_int_equal(strlen(m->value), m->value_len);
        if (g->n < 16) {
                g->values[g->n] = strdup(m->value);
                g->keys[g->n] = strdup(m->key);
                g->topics[g->n] = strdup(m->topic);
        }
        g->n++;
        return 0;
}

static void got_free(got_t *g)
{
        for (size_t i = 0; i < g->n && i < 16; i++) {
                free(g->values[i]);
                free(g->keys[i]);
                free(g->topics[i]);
        }
        memset(g, 0, sizeof(*g));
}

static const char index_xml[] =
        "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
        "<sitemap><loc>https://a.test/s1.xml</loc>"
        "<lastmod>2024-01-02</lastmod></sitemap>"
        "<sitemap><loc>https://a.test/s1.xml</loc></sitemap>"
        "<sitemap><loc>https://a.test/s2.xml</loc></sitemap>"
        "</sitemapindex>";

static void test_messages_and_record(void **state)
{
        discover_t *d = discover_new(3, NULL, 1024, "crawl.urls");
        discover_page_t pg = {
                .url = "https://a.test/index.xml",
                .fetched_at = "2024-01-01T00:00:00.000Z",
                .source_topic = "in.urls",
                .id = "job",
                .meta = "{\"k\": [1, 2]}",
                .kind = "sitemap",
                .sitemap_host = "a.test",
                .status = 200,
                .depth = 1,
                .body = index_xml,
                .body_len = sizeof(index_xml) - 1,
        };
        got_t g = { 0 };
        discover_stats_t ds;
        char *rec = NULL, err[256];
        size_t rec_len;
        yajl_val v, r;

        assert_non_null(d);
        assert_int_equal(discover_page(d, &pg, keep, &g, &rec, &rec_len, &ds,
                                       err, sizeof(err)),
                         0);
        assert_int_equal(g.n, 2);
        assert_int_equal(ds.duplicate, 1);
        assert_string_equal(g.keys[0], "a.test");
        assert_string_equal(g.topics[0], "in.urls");
        v = yajl_tree_parse(g.values[0], err, sizeof(err));
        assert_non_null(v);
        assert_string_equal(tree_str(v, "url"), "https://a.test/s1.xml");
        assert_int_equal(YAJL_GET_INTEGER(tree_get(v, "depth")), 2);
        assert_string_equal(tree_str(v, "kind"), "sitemap");
        assert_string_equal(tree_str(v, "sitemap_host"), "a.test");
        assert_string_equal(tree_str(v, "lastmod"), "2024-01-02");
        assert_true(strncmp(tree_str(v, "id"), "job.", 4) == 0);
        assert_int_equal(strlen(tree_str(v, "id")), 4 + 16);
        assert_true(YAJL_IS_OBJECT(tree_get(v, "meta")));
        yajl_tree_free(v);

        r = yajl_tree_parse(rec, err, sizeof(err));
        assert_non_null(r);
        assert_string_equal(tree_str(r, "kind"), "sitemap");
        {
                const char *pf[] = { "sitemap", "found", NULL };
                const char *pp[] = { "sitemap", "published", NULL };
                const char *pd[] = { "sitemap", "dropped", "duplicate", NULL };
                const char *pm[] = { "meta", "k", NULL };

                assert_int_equal(
                        YAJL_GET_INTEGER(yajl_tree_get(r, pf, yajl_t_number)),
                        3);
                assert_int_equal(
                        YAJL_GET_INTEGER(yajl_tree_get(r, pp, yajl_t_number)),
                        2);
                assert_int_equal(
                        YAJL_GET_INTEGER(yajl_tree_get(r, pd, yajl_t_number)),
                        1);
                assert_non_null(yajl_tree_get(r, pm, yajl_t_array));
        }
        yajl_tree_free(r);
        free(rec);
        got_free(&g);

        /* At depth 3 of 3: nothing deeper is published, all counted. */
        pg.depth = 3;
        assert_int_equal(discover_page(d, &pg, keep, &g, &rec, &rec_len, &ds,
                                       err, sizeof(err)),
                         0);
        assert_int_equal(g.n, 0);
        assert_int_equal(ds.over_depth, 3);
        free(rec);

        /* Not 2xx: not read, a record all the same. */
        pg.depth = 0;
        pg.status = 404;
        assert_int_equal(discover_page(d, &pg, keep, &g, &rec, &rec_len, &ds,
                                       err, sizeof(err)),
                         0);
        assert_int_equal(g.n, 0);
        assert_int_equal(ds.st.found, 0);
        free(rec);
        discover_destroy(d);
}

static void test_budget(void **state)
{
        budget_t *b = budget_new(2, 64);
        discover_t *d = discover_new(3, b, 0, NULL);
        discover_t *d2 = discover_new(3, b, 0, NULL);

        assert_non_null(d);
        assert_non_null(d2);
        assert_true(discover_budget_take(d, "a.test"));
        /* Two discoverers (two workers) share the host's budget. */
        assert_true(discover_budget_take(d2, "a.test"));
        assert_false(discover_budget_take(d, "a.test"));
        assert_false(discover_budget_take(d2, "a.test"));
        assert_true(discover_budget_take(d2, "b.test"));
        discover_destroy(d);
        discover_destroy(d2);
        budget_destroy(b);

        d = discover_new(3, NULL, 0, NULL); /* no budget: no limit */
        for (int i = 0; i < 1000; i++)
                assert_true(discover_budget_take(d, "a.test"));
        discover_destroy(d);
        b = budget_new(0, 64); /* 0: no limit */
        for (int i = 0; i < 1000; i++)
                assert_true(budget_take(b, "a.test"));
        budget_destroy(b);
}

static void test_broken_and_bomb(void **state)
{
        static const char broken[] =
                "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
                "<url><loc>https://a.test/&undeclared;</loc></url>";
        discover_t *d = discover_new(3, NULL, 0, "crawl.urls");
        discover_page_t pg = {
                .url = "https://a.test/s.xml",
                .fetched_at = "2024-01-01T00:00:00.000Z",
                .kind = "sitemap",
                .status = 200,
                .depth = -1,
                .body = broken,
                .body_len = sizeof(broken) - 1,
        };
        got_t g = { 0 };
        discover_stats_t ds;
        char *rec = NULL, err[256];
        size_t rec_len;
        size_t n = (size_t)60 * 1024 * 1024;
        char *big;

        assert_int_equal(discover_page(d, &pg, keep, &g, &rec, &rec_len, &ds,
                                       err, sizeof(err)),
                         DISCOVER_PARSE_FAILED);
        assert_null(rec);
        assert_true(strstr(err, "no URL") != NULL);

        big = malloc(n);
        assert_non_null(big);
        memset(big, ' ', n);
        memcpy(big, "https://a.test/x\n", 17);
        pg.body = big;
        pg.body_len = n;
        assert_int_equal(discover_page(d, &pg, keep, &g, &rec, &rec_len, &ds,
                                       err, sizeof(err)),
                         DISCOVER_TOO_LARGE);
        assert_null(rec);
        assert_int_equal(ds.published, 1);
        assert_true(strstr(err, "1 URLs published") != NULL);
        free(big);
        got_free(&g);
        discover_destroy(d);
}

/* The record is valid UTF-8 even when libxml2's message quoting the input
 * is cut in the middle of a character. */
static void test_record_utf8(void **state)
{
        char body[1024];
        int n = snprintf(body, sizeof(body),
                         "<urlset xmlns=\"http://www.sitemaps.org/schemas/"
                         "sitemap/0.9\"><url><loc>https://a.test/x</loc>"
                         "</url><a");
        discover_t *d = discover_new(3, NULL, 0, "t");
        discover_page_t pg = {
                .url = "https://a.test/s.xml",
                .fetched_at = "2024-01-01T00:00:00.000Z",
                .kind = "sitemap",
                .status = 200,
                .depth = -1,
        };
        got_t g = { 0 };
        discover_stats_t ds;
        char *rec = NULL, err[256];
        size_t rec_len;

        /* <a\u00e9\u00e9...></a\u00e9\u00e9...x>: a mismatch libxml2
         * names in its message, longer than the message is kept. */
        for (int k = 0; k < 2; k++) {
                for (int i = 0; i < 100; i++)
                        n += snprintf(body + n, sizeof(body) - (size_t)n,
                                      "\xc3\xa9");
                n += snprintf(body + n, sizeof(body) - (size_t)n,
                              k ? "x></urlset>" : "></a");
        }
        pg.body = body;
        pg.body_len = (size_t)n;
        assert_int_equal(discover_page(d, &pg, keep, &g, &rec, &rec_len, &ds,
                                       err, sizeof(err)),
                         0);
        assert_true(ds.st.malformed);
        assert_int_equal(
                utf8_valid_prefix((const unsigned char *)rec, rec_len),
                rec_len);
        assert_int_equal(utf8_valid_prefix((const unsigned char *)ds.st.error,
                                           strlen(ds.st.error)),
                         strlen(ds.st.error));
        free(rec);
        got_free(&g);
        discover_destroy(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_messages_and_record),
                cmocka_unit_test(test_budget),
                cmocka_unit_test(test_broken_and_bomb),
                cmocka_unit_test(test_record_utf8),
        };

        xmlInitParser();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
