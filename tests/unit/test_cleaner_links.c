/*
 * test_cleaner_links.c — link following (cleaner/links.c): which links of
 * a record become URL messages, where they go and what they hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "../../cleaner/links.h"
#include "../../cleaner/pagescan.h"
#include "../../cleaner/record.h"

#include <libxml/parser.h>

#define LINKS(...) "\"links\": [" __VA_ARGS__ "]"
#define L(u, rel) "{\"url\": \"" u "\", \"text\": \"t\", \"rel\": " rel "}"

static link_msg_t *follow(links_scope_t scope, long max_depth,
                          const char *record, size_t *n)
{
        links_t *lk = links_new(scope, max_depth, "crawl.urls");
        link_msg_t *msgs = NULL;
        char errstr[256] = "";

        assert_non_null(lk);
        assert_int_equal(links_from_record(lk, record, &msgs, n, errstr,
                                           sizeof(errstr)),
                         0);
        links_destroy(lk);
        return msgs;
}

static const char *RECORD =
        "{\"url\": \"http://www.example.co.uk/a\", "
        "\"final_url\": \"https://www.example.co.uk/b\", \"status\": 200, "
        "\"fetched_at\": \"2026-01-01T00:00:00Z\", \"meta_robots\": null, " LINKS(
                L("https://www.example.co.uk/c", "null") "," L(
                        "https://www.example.co.uk:8443/port",
                        "null") "," L("https://shop.example.co.uk/d",
                                      "\"next\"") "," L("https://other.co.uk/e",
                                                        "null") "," L("https://www.example.co.uk/nf",
                                                                      "\"external NoFollow\"") "," L("http://WWW.EXAMPLE.CO.UK/upper",
                                                                                                     "null")) "}";

static void test_scopes(void **state)
{
        link_msg_t *m;
        size_t n;

        (void)state;
        m = follow(LINKS_SAME_HOST, 1, RECORD, &n);
        assert_int_equal(n, 2); /* c and upper: same host and port */
        assert_string_equal(m[0].url, "https://www.example.co.uk/c");
        assert_string_equal(m[1].url, "http://www.example.co.uk/upper");
        assert_string_equal(m[0].key, "www.example.co.uk");
        assert_string_equal(m[0].topic, "crawl.urls");
        links_free(m, n);

        m = follow(LINKS_SAME_DOMAIN, 1, RECORD, &n);
        assert_int_equal(n, 4); /* + port and shop.example.co.uk */
        assert_string_equal(m[1].key, "www.example.co.uk:8443");
        assert_string_equal(m[2].key, "shop.example.co.uk");
        links_free(m, n);

        m = follow(LINKS_ANY, 1, RECORD, &n);
        assert_int_equal(n, 5); /* all but rel=nofollow */
        links_free(m, n);
}

static void test_same_domain_psl(void **state)
{
        links_t *lk = links_new(LINKS_SAME_DOMAIN, 1, "t");

        (void)state;
        assert_true(links_same_domain(lk, "a.example.com", "b.example.com"));
        assert_true(links_same_domain(lk, "example.com", "www.example.com"));
        assert_true(links_same_domain(lk, "a.example.co.uk", "example.co.uk"));
        assert_false(links_same_domain(lk, "example.co.uk", "other.co.uk"));
        /* private suffixes: each github.io site is its own domain */
        assert_false(
                links_same_domain(lk, "alice.github.io", "bob.github.io"));
        assert_true(links_same_domain(lk, "www.alice.github.io",
                                      "alice.github.io"));
        /* no registrable domain: equality only */
        assert_true(links_same_domain(lk, "127.0.0.1", "127.0.0.1"));
        assert_false(links_same_domain(lk, "127.0.0.1", "127.0.0.2"));
        assert_false(links_same_domain(lk, "co.uk", "bbc.co.uk"));
        assert_false(links_same_domain(lk, "[::1]", "localhost"));
        assert_true(links_same_domain(lk, "www.example.com.", "example.com"));
        links_destroy(lk);
}

static void test_not_followed(void **state)
{
        char rec[1024];
        size_t n = 99;
        link_msg_t *m;
        static const char *cases[][2] = {
                { "404", "null" }, /* not 2xx */
                { "301", "null" },
                { "200", "\"noindex, nofollow\"" }, /* meta robots */
                { "200", "\"none\"" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                snprintf(rec, sizeof(rec),
                         "{\"url\": \"http://a.example/\", \"status\": %s, "
                         "\"meta_robots\": %s, " LINKS(
                                 L("http://a.example/x", "null")) "}",
                         cases[i][0], cases[i][1]);
                m = follow(LINKS_ANY, 5, rec, &n);
                assert_int_equal(n, 0);
                assert_null(m);
        }
        /* depth: a page at max-depth gives nothing */
        m = follow(LINKS_ANY, 2,
                   "{\"url\": \"http://a.example/\", "
                   "\"status\": 200, \"depth\": 2, " LINKS(
                           L("http://a.example/x", "null")) "}",
                   &n);
        assert_int_equal(n, 0);
        links_free(m, n);
        /* max-depth 0: never */
        m = follow(
                LINKS_ANY, 0,
                "{\"url\": \"http://a.example/\", "
                "\"status\": 200, " LINKS(L("http://a.example/x", "null")) "}",
                &n);
        assert_int_equal(n, 0);
        links_free(m, n);
        /* not a record */
        {
                links_t *lk = links_new(LINKS_ANY, 1, "t");
                char errstr[64];

                assert_int_equal(links_from_record(lk, "{nope", &m, &n, errstr,
                                                   sizeof(errstr)),
                                 -1);
                links_destroy(lk);
        }
}

static void test_message(void **state)
{
        const char *rec =
                "{\"url\": \"http://a.example/p\", \"status\": 203, "
                "\"depth\": 1, \"id\": \"job-7\", \"source_topic\": \"my.urls\", "
                "\"meta\": {\"campaign\": \"c1\", \"n\": [1, 2.50, null, true]}, " LINKS(
                        L("http://a.example/x?q=1",
                          "null") "," L("http://a.example/y", "\"next\"")) "}";
        const char *path_c[] = { "meta", "campaign", NULL };
        char perr[128];
        link_msg_t *m;
        yajl_val v, x;
        size_t n;

        (void)state;
        m = follow(LINKS_SAME_HOST, 3, rec, &n);
        assert_int_equal(n, 2);
        assert_string_equal(m[0].topic, "my.urls");
        assert_string_equal(m[0].key, "a.example");
        assert_int_equal(strlen(m[0].value), m[0].value_len);
        v = yajl_tree_parse(m[0].value, perr, sizeof(perr));
        assert_non_null(v);
        {
                const char *p_url[] = { "url", NULL },
                           *p_depth[] = { "depth", NULL },
                           *p_id[] = { "id", NULL };

                x = yajl_tree_get(v, p_url, yajl_t_string);
                assert_non_null(x);
                assert_string_equal(x->u.string, "http://a.example/x?q=1");
                x = yajl_tree_get(v, p_depth, yajl_t_number);
                assert_non_null(x);
                assert_int_equal(YAJL_GET_INTEGER(x), 2);
                x = yajl_tree_get(v, p_id, yajl_t_string);
                assert_non_null(x);
                assert_int_equal(strncmp(x->u.string, "job-7.", 6), 0);
                assert_int_equal(strlen(x->u.string), 6 + 16);
        }
        x = yajl_tree_get(v, path_c, yajl_t_string);
        assert_non_null(x);
        assert_string_equal(x->u.string, "c1");
        /* numbers as written */
        assert_non_null(strstr(m[0].value, "[1,2.50,null,true]"));
        yajl_tree_free(v);
        /* the two links have different ids; the same link the same id */
        assert_string_not_equal(strstr(m[0].value, "job-7."),
                                strstr(m[1].value, "job-7."));
        links_free(m, n);

        /* no id, no meta, no depth: depth 1, neither id nor meta */
        m = follow(
                LINKS_ANY, 3,
                "{\"url\": \"http://a.example/\", "
                "\"status\": 200, " LINKS(L("http://b.example/", "null")) "}",
                &n);
        assert_int_equal(n, 1);
        assert_string_equal(m[0].value,
                            "{\"url\":\"http://b.example/\",\"depth\":1}");
        assert_string_equal(m[0].topic, "crawl.urls");
        links_free(m, n);
}

/* links_each() counts what it hands over one by one. */
static int count_one(void *ctx, const link_msg_t *m)
{
        size_t *n = ctx;

        assert_non_null(strstr(m->value, "\"url\":"));
        (*n)++;
        return 0;
}

static void test_limits(void **state)
{
        static const char *record =
                "{\"url\": \"http://a.example/\", \"status\": 200, "
                "\"meta\": {\"k\": \"0123456789\"}, " LINKS(
                        L("http://a.example/1",
                          "null") "," L("http://a.example/2",
                                        "null") "," L("http://a.example/3",
                                                      "null")) "}";
        links_t *lk = links_new(LINKS_ANY, 1, "t");
        links_stats_t st;
        link_msg_t *m;
        char errstr[256];
        size_t n = 0;

        (void)state;
        /* At most two per page, the first two; the meta (18 bytes) fits. */
        links_set_limits(lk, 2, 18);
        assert_int_equal(links_each(lk, record, count_one, &n, &st, errstr,
                                    sizeof(errstr)),
                         0);
        assert_int_equal(n, 2);
        assert_int_equal(st.published, 2);
        assert_int_equal(st.dropped, 1);
        assert_int_equal(st.meta_dropped, 0);
        assert_int_equal(
                links_from_record(lk, record, &m, &n, errstr, sizeof(errstr)),
                0);
        assert_int_equal(n, 2);
        assert_string_equal(m[1].value,
                            "{\"url\":\"http://a.example/2\","
                            "\"depth\":1,\"meta\":{\"k\":\"0123456789\"}}");
        links_free(m, n);
        /* A meta over the cap: the links go without it, counted. */
        links_set_limits(lk, 0, 17);
        n = 0;
        assert_int_equal(links_each(lk, record, count_one, &n, &st, errstr,
                                    sizeof(errstr)),
                         0);
        assert_int_equal(n, 3);
        assert_int_equal(st.dropped, 0);
        assert_int_equal(st.meta_dropped, 1);
        assert_int_equal(
                links_from_record(lk, record, &m, &n, errstr, sizeof(errstr)),
                0);
        assert_string_equal(m[2].value,
                            "{\"url\":\"http://a.example/3\",\"depth\":1}");
        links_free(m, n);
        links_destroy(lk);
}

static void test_scope_parse(void **state)
{
        links_scope_t s;

        (void)state;
        assert_int_equal(links_scope_parse("same-host", &s), 0);
        assert_int_equal(s, LINKS_SAME_HOST);
        assert_int_equal(links_scope_parse("same-domain", &s), 0);
        assert_int_equal(s, LINKS_SAME_DOMAIN);
        assert_int_equal(links_scope_parse("any", &s), 0);
        assert_int_equal(s, LINKS_ANY);
        assert_int_equal(links_scope_parse("samehost", &s), -1);
        assert_int_equal(links_scope_parse(NULL, &s), -1);
}

/* links_each_facts() (the worker's way) gives the messages and counts
 * links_each() gives for the record written from the same facts. */
typedef struct seen_msgs {
        char buf[8192];
        size_t len;
} seen_msgs_t;

static int print_one(void *ctx, const link_msg_t *m)
{
        seen_msgs_t *s = ctx;
        int n = snprintf(s->buf + s->len, sizeof(s->buf) - s->len,
                         "%s %s %s %s\n", m->topic, m->key, m->url, m->value);

        assert_true(n > 0 && (size_t)n < sizeof(s->buf) - s->len);
        s->len += (size_t)n;
        return 0;
}

static void test_facts_match_record(void **state)
{
        static const struct {
                const char *body;
                int status;
                const char *meta;
                long depth;
        } pages[] = {
                { "<base href='/dir/'><a href=x>x</a><a href='x#f'>dup</a>"
                  "<a href='http://other.test/'>o</a>"
                  "<a rel=' NoFollow  ' href=n>n</a><a href=''>self</a>"
                  "<a href='mailto:a@b'>m</a><a rel='next' href=y>y</a>",
                  200, "{\"a\":[1,2.50,\"\\u00e9\"]}", 0 },
                { "<meta name=robots content='INDEX,  NoFollow'><a href=x>x</a>",
                  200, NULL, -1 },
                { "<meta name=robots content='none'><a href=x>x</a>", 200,
                  NULL, 3 },
                { "<a href=x>x</a>", 404, "not json", 0 },
                { "<a href=x>x</a><a href=z>z</a>", 201, "not json", 4 },
                { "<a href=x>x</a>", 200, "{\"big\":\"0123456789\"}", 9 },
                { "<a href=x>x</a>", 200, NULL, 10 },
        };
        links_t *lk = links_new(LINKS_SAME_HOST, 10, "crawl.urls");

        (void)state;
        assert_non_null(lk);
        links_set_limits(lk, 2, 16);
        for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
                page_t page = { .url = "http://h.test/a/b",
                                .status = pages[i].status,
                                .content_type = "text/html",
                                .fetched_at = "2026-01-01T00:00:00Z",
                                .id = "p1",
                                .meta = pages[i].meta,
                                .depth = pages[i].depth,
                                .body = (const unsigned char *)pages[i].body,
                                .body_len = strlen(pages[i].body) };
                seen_msgs_t a = { "", 0 }, b = { "", 0 };
                links_stats_t sa, sb;
                page_facts_t *f = NULL;
                char *rec = NULL, err[256] = "";
                size_t rec_len;

                assert_int_equal(
                        pagescan_run(&page, NULL, &f, err, sizeof(err)), 0);
                assert_int_equal(record_write(f, NULL, NULL, &rec, &rec_len,
                                              err, sizeof(err)),
                                 0);
                assert_int_equal(links_each_facts(lk, f, print_one, &a, &sa,
                                                  err, sizeof(err)),
                                 0);
                assert_int_equal(links_each(lk, rec, print_one, &b, &sb, err,
                                            sizeof(err)),
                                 0);
                assert_string_equal(a.buf, b.buf);
                assert_int_equal(sa.published, sb.published);
                assert_int_equal(sa.dropped, sb.dropped);
                assert_int_equal(sa.meta_dropped, sb.meta_dropped);
                if (i == 0) /* x, n's nofollow left out, over max_links */
                        assert_int_equal(sa.published + sa.dropped, 3);
                free(rec);
                pagefacts_free(f);
        }
        links_destroy(lk);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scopes),
                cmocka_unit_test(test_same_domain_psl),
                cmocka_unit_test(test_not_followed),
                cmocka_unit_test(test_message),
                cmocka_unit_test(test_scope_parse),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_facts_match_record),
        };

        xmlInitParser();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
