/*
 * test_contentstate.c — change detection's pure parts: the content digest
 * and its hex form, the change decision, the content state message
 * (written, read back, malformed ones refused), the merge of a content
 * state into the fetcher's crawl state (and the fetcher's own writes
 * keeping it), and the cleaner's decision for a page (change.h): first
 * fetch, same main text in a different body, a 304, a price change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "change.h"
#include "contentstate.h"
#include "crawlstate.h"

/* SHA-256("abc"), FIPS 180-2's example. */
#define ABC_SHA256 \
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_digest_hex(void **state)
{
        unsigned char d[CONTENTSTATE_DIGEST_LEN],
                back[CONTENTSTATE_DIGEST_LEN];
        char hex[CONTENTSTATE_HEX_LEN + 1];

        (void)state;
        assert_int_equal(contentstate_digest("abc", 3, d), 0);
        contentstate_hex(d, hex);
        assert_string_equal(hex, ABC_SHA256);
        assert_int_equal(contentstate_unhex(hex, back), 0);
        assert_memory_equal(d, back, sizeof(d));
        /* Not 64 lower-case hex digits. */
        assert_int_equal(contentstate_unhex("abc", back), -1);
        hex[0] = 'B';
        assert_int_equal(contentstate_unhex(hex, back), -1);
        hex[0] = 'g';
        assert_int_equal(contentstate_unhex(hex, back), -1);
}

static void test_changed(void **state)
{
        static const struct {
                const char *prev, *now;
                int want;
        } rows[] = {
                { NULL, "abc", -1 },      /* first fetch */
                { "", "abc", -1 },        /* no previous digest */
                { "not-hex", "abc", -1 }, /* not one */
                { ABC_SHA256, "abc", 0 }, /* same content */
                { ABC_SHA256, "abd", 1 }, /* changed */
        };

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                unsigned char d[CONTENTSTATE_DIGEST_LEN];

                assert_int_equal(contentstate_digest(rows[i].now,
                                                     strlen(rows[i].now), d),
                                 0);
                assert_int_equal(contentstate_changed(rows[i].prev, d),
                                 rows[i].want);
        }
        assert_false(contentstate_value_changed(false, "1.00", "2.00"));
        assert_false(contentstate_value_changed(true, "1.00", "1.00"));
        assert_true(contentstate_value_changed(true, "1.00", "2.00"));
        assert_true(contentstate_value_changed(true, NULL, "2.00"));
        assert_true(contentstate_value_changed(true, "1.00", ""));
        assert_false(contentstate_value_changed(true, NULL, ""));
}

static void test_key(void **state)
{
        char buf[64];
        const char *u = NULL;
        size_t ul = 0;

        (void)state;
        assert_int_equal(
                contentstate_key("http://a.example/x", buf, sizeof(buf)), 26);
        assert_string_equal(buf, "content:http://a.example/x");
        assert_true(contentstate_is_key(buf, strlen(buf), &u, &ul));
        assert_int_equal(ul, 18);
        assert_memory_equal(u, "http://a.example/x", ul);
        assert_false(contentstate_is_key("http://a.example/x", 18, &u, &ul));
        assert_false(contentstate_is_key("content:", 8, &u, &ul));
        assert_int_equal(contentstate_key("http://a.example/x", buf, 10), -1);
}

static void test_roundtrip(void **state)
{
        const char *url = "http://shop.example/p/1?\"q\"";
        char key[128];
        contentstate_t cs = { 0 }, got;
        char *json = NULL, why[256];
        size_t len = 0;

        (void)state;
        cs.at_ms = 1764633600123LL;
        cs.has_digest = true;
        assert_int_equal(contentstate_digest("main text", 9, cs.digest), 0);
        snprintf(cs.price, sizeof(cs.price), "49.99");
        snprintf(cs.availability, sizeof(cs.availability), "InStock");
        cs.changed = 1;
        assert_int_equal(contentstate_encode(url, &cs, &json, &len), 0);
        assert_non_null(strstr(json, "\"kind\":\"content\""));
        contentstate_key(url, key, sizeof(key));
        assert_int_equal(contentstate_decode(key, strlen(key), json, len, &got,
                                             why, sizeof(why)),
                         0);
        assert_int_equal(got.at_ms, cs.at_ms);
        assert_true(got.has_digest);
        assert_memory_equal(got.digest, cs.digest, sizeof(cs.digest));
        assert_string_equal(got.price, "49.99");
        assert_string_equal(got.availability, "InStock");
        assert_int_equal(got.changed, 1);
        free(json);
        cs.changed = 0;
        assert_int_equal(contentstate_encode(url, &cs, &json, &len), 0);
        assert_int_equal(contentstate_decode(key, strlen(key), json, len, &got,
                                             why, sizeof(why)),
                         0);
        assert_int_equal(got.changed, 0);
        free(json);
        cs.changed = -1;
        /* No product: price and availability left out, read back "". */
        cs.price[0] = cs.availability[0] = '\0';
        assert_int_equal(contentstate_encode(url, &cs, &json, &len), 0);
        assert_null(strstr(json, "price"));
        assert_int_equal(contentstate_decode(key, strlen(key), json, len, &got,
                                             why, sizeof(why)),
                         0);
        assert_string_equal(got.price, "");
        assert_int_equal(got.changed, -1);
        free(json);
}

static void test_invalid(void **state)
{
        static const struct {
                const char *key, *value, *why;
        } rows[] = {
                { "http://a.example/", "{}", "content:URL key" },
                { "content:http://a.example/", "{not json", "" },
                { "content:http://a.example/", "[1]", "not a JSON object" },
                { "content:http://a.example/",
                  "{\"v\":2,\"kind\":\"content\",\"url\":\"http://a.example/\"}",
                  "\"v\": 1" },
                { "content:http://a.example/",
                  "{\"v\":1,\"url\":\"http://a.example/\"}", "\"kind\"" },
                { "content:http://a.example/",
                  "{\"v\":1,\"kind\":\"content\",\"url\":\"http://b.example/\"}",
                  "\"url\"" },
                { "content:http://a.example/",
                  "{\"v\":1,\"kind\":\"content\",\"url\":\"http://a.example/\","
                  "\"content_sha256\":\"XYZ\"}",
                  "content_sha256" },
                { "content:http://a.example/",
                  "{\"v\":1,\"kind\":\"content\",\"url\":\"http://a.example/\","
                  "\"price\":49.99}",
                  "price" },
                { "content:http://a.example/",
                  "{\"v\":1,\"kind\":\"content\",\"url\":\"http://a.example/\","
                  "\"at_ms\":\"now\"}",
                  "at_ms" },
                { "content:http://a.example/",
                  "{\"v\":1,\"kind\":\"content\",\"url\":\"http://a.example/\","
                  "\"changed\":\"yes\"}",
                  "changed" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                contentstate_t got;
                char why[256] = "";

                assert_int_equal(contentstate_decode(
                                         rows[i].key, strlen(rows[i].key),
                                         rows[i].value, strlen(rows[i].value),
                                         &got, why, sizeof(why)),
                                 -1);
                assert_true(*why);
                assert_non_null(strstr(why, rows[i].why));
        }
}

static void test_merge_and_fetch_writes(void **state)
{
        crawlstate_t *cs = crawlstate_new(4);
        crawlstate_rec_t r, got;
        contentstate_t c = { 0 };

        (void)state;
        assert_non_null(cs);
        memset(&r, 0, sizeof(r));
        r.fetched_at_ms = 1;
        r.status = 200;
        r.outcome = CRAWLSTATE_PAGE;
        snprintf(r.etag, sizeof(r.etag), "\"e1\"");
        assert_int_equal(crawlstate_put(cs, "http://a.example/", &r), 0);
        c.has_digest = true;
        assert_int_equal(contentstate_digest("v1", 2, c.digest), 0);
        snprintf(c.price, sizeof(c.price), "49.99");
        snprintf(c.availability, sizeof(c.availability), "InStock");
        c.changed = 1;
        assert_int_equal(crawlstate_merge_content(cs, "http://a.example/", &c),
                         1);
        assert_true(crawlstate_get(cs, "http://a.example/", &got));
        assert_true(got.has_content);
        assert_memory_equal(got.content_digest, c.digest, sizeof(c.digest));
        assert_string_equal(got.price, "49.99");
        assert_string_equal(got.availability, "InStock");
        assert_int_equal(got.content_changed, 1);
        /* The fetcher's part untouched. */
        assert_string_equal(got.etag, "\"e1\"");
        assert_int_equal(got.outcome, CRAWLSTATE_PAGE);
        /* A fetcher write from a copy read before the merge keeps it. */
        r.fetched_at_ms = 2;
        assert_int_equal(crawlstate_put_fetch(cs, "http://a.example/", &r), 0);
        assert_true(crawlstate_get(cs, "http://a.example/", &got));
        assert_int_equal(got.fetched_at_ms, 2);
        assert_true(got.has_content);
        assert_int_equal(got.content_changed, 1);
        assert_string_equal(got.price, "49.99");
        /* A content state before its URL's fetcher state (compaction):
         * kept in an entry of outcome none, that the fetcher state then
         * completes. */
        assert_int_equal(crawlstate_merge_content(cs, "http://b.example/", &c),
                         1);
        assert_true(crawlstate_get(cs, "http://b.example/", &got));
        assert_int_equal(got.outcome, CRAWLSTATE_NONE);
        assert_int_equal(crawlstate_changed(&got, false, c.digest), -1);
        assert_int_equal(crawlstate_put_fetch(cs, "http://b.example/", &r), 0);
        assert_true(crawlstate_get(cs, "http://b.example/", &got));
        assert_int_equal(got.outcome, CRAWLSTATE_PAGE);
        assert_true(got.has_content);
        assert_string_equal(got.availability, "InStock");
        /* put_fetch of a URL with no entry: no content. */
        r.has_content = true;
        assert_int_equal(crawlstate_put_fetch(cs, "http://c.example/", &r), 0);
        assert_true(crawlstate_get(cs, "http://c.example/", &got));
        assert_false(got.has_content);
        assert_int_equal(
                crawlstate_merge_content(NULL, "http://a.example/", &c), 0);
        crawlstate_destroy(cs);
}

static void hex_of(const char *s, char *hex)
{
        unsigned char d[CONTENTSTATE_DIGEST_LEN];

        assert_int_equal(contentstate_digest(s, strlen(s), d), 0);
        contentstate_hex(d, hex);
}

static void test_decide(void **state)
{
        char prev[CONTENTSTATE_HEX_LEN + 1];
        const char *body1 = "<p>Main</p><p>at 10:00:01</p>";
        const char *body2 = "<p>Main</p><p>at 10:05:07</p>";
        const char *product = "{\"name\":\"Lamp\",\"price\":\"44.99\","
                              "\"availability\":\"OutOfStock\"}";
        change_prev_t p = { 0 };
        change_t c;

        (void)state;
        /* First fetch: null, no product change. */
        assert_int_equal(change_decide(&c, &p, "Main", 4, body1, strlen(body1),
                                       product, strlen(product)),
                         0);
        assert_int_equal(c.changed, -1);
        assert_true(c.has_digest && c.write_state);
        assert_false(c.price_changed || c.availability_changed);
        assert_string_equal(c.price, "44.99");
        assert_string_equal(c.availability, "OutOfStock");
        /* The same main text in a body whose timestamp moved. */
        hex_of("Main", prev);
        p.content_sha256 = prev;
        assert_int_equal(change_decide(&c, &p, "Main", 4, body2, strlen(body2),
                                       NULL, 0),
                         0);
        assert_int_equal(c.changed, 0);
        /* Other main text. */
        assert_int_equal(change_decide(&c, &p, "Main 2", 6, body2,
                                       strlen(body2), NULL, 0),
                         0);
        assert_int_equal(c.changed, 1);
        /* No main text: the body's digest. */
        hex_of(body1, prev);
        assert_int_equal(
                change_decide(&c, &p, NULL, 0, body1, strlen(body1), NULL, 0),
                0);
        assert_int_equal(c.changed, 0);
        assert_int_equal(
                change_decide(&c, &p, "", 0, body2, strlen(body2), NULL, 0),
                0);
        assert_int_equal(c.changed, 1);
        /* Price and availability from what to what. */
        p.price = "49.99";
        p.availability = "InStock";
        assert_int_equal(change_decide(&c, &p, "Main", 4, body1, strlen(body1),
                                       product, strlen(product)),
                         0);
        assert_true(c.price_changed && c.availability_changed);
        assert_string_equal(c.prev_price, "49.99");
        assert_string_equal(c.price, "44.99");
        assert_string_equal(c.prev_availability, "InStock");
        assert_string_equal(c.availability, "OutOfStock");
        /* Only the price. */
        p.availability = "OutOfStock";
        assert_int_equal(change_decide(&c, &p, "Main", 4, body1, strlen(body1),
                                       product, strlen(product)),
                         0);
        assert_true(c.price_changed);
        assert_false(c.availability_changed);
        /* A 304: unchanged, the previous digest and values said again,
         * no product change. */
        p.not_modified = true;
        assert_int_equal(change_decide(&c, &p, NULL, 0, "", 0, NULL, 0), 0);
        assert_int_equal(c.changed, 0);
        assert_true(c.has_digest);
        assert_true(c.write_state);
        assert_false(c.price_changed || c.availability_changed);
        assert_string_equal(c.price, "49.99");
        {
                char hex[CONTENTSTATE_HEX_LEN + 1];

                contentstate_hex(c.digest, hex);
                assert_string_equal(hex, prev);
        }
        /* A 304 with no previous content state: no digest, still false. */
        p.content_sha256 = NULL;
        assert_int_equal(change_decide(&c, &p, NULL, 0, "", 0, NULL, 0), 0);
        assert_int_equal(c.changed, 0);
        assert_false(c.has_digest);
        assert_false(c.write_state);
}

static void test_product_values(void **state)
{
        static const struct {
                const char *json, *price, *avail;
        } rows[] = {
                { "{\"price\":\"1.50\",\"availability\":\"InStock\"}", "1.50",
                  "InStock" },
                { "{\"price\":null,\"availability\":null}", "", "" },
                { "{\"price\":1.5}", "", "" },
                { "null", "", "" },
                { "{bad", "", "" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                char price[CONTENTSTATE_PRICE_MAX + 1],
                        avail[CONTENTSTATE_AVAIL_MAX + 1];

                change_product_values(rows[i].json, strlen(rows[i].json),
                                      price, sizeof(price), avail,
                                      sizeof(avail));
                assert_string_equal(price, rows[i].price);
                assert_string_equal(avail, rows[i].avail);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_digest_hex),
                cmocka_unit_test(test_changed),
                cmocka_unit_test(test_key),
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_merge_and_fetch_writes),
                cmocka_unit_test(test_decide),
                cmocka_unit_test(test_product_values),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
