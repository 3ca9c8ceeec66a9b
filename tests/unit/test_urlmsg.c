/*
 * test_urlmsg.c — decoding URL messages: bare lines, JSON objects, and
 * every kind of bad input, each with its stable error code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "urlmsg.h"

static int decode(const char *s, size_t len, urlmsg_t *um, const char **code)
{
        char why[256];

        return urlmsg_decode(s, len, um, code, why, sizeof(why));
}

static void test_bare_line(void **state)
{
        const char *in = "  HTTP://WWW.Example.COM:80/a/../b?q#f\r\n";
        const char *code;
        urlmsg_t um;

        assert_int_equal(decode(in, strlen(in), &um, &code), 0);
        assert_string_equal(um.url, "http://www.example.com/b?q#f");
        assert_string_equal(um.host_key, "www.example.com");
        assert_null(um.id);
        assert_null(um.meta);
        assert_int_equal(um.depth, -1);
        urlmsg_clear(&um);
}

static void test_json(void **state)
{
        const char *in = "{\"url\":\"https://example.org:8443/x\","
                         "\"depth\":2,\"id\":\"abc\","
                         "\"meta\":{\"job\":\"j1\",\"n\":[1,2.5,true,null]}}";
        const char *code;
        urlmsg_t um;

        assert_int_equal(decode(in, strlen(in), &um, &code), 0);
        assert_string_equal(um.url, "https://example.org:8443/x");
        assert_string_equal(um.host_key, "example.org:8443");
        assert_string_equal(um.id, "abc");
        assert_int_equal(um.depth, 2);
        assert_string_equal(um.meta,
                            "{\"job\":\"j1\",\"n\":[1,2.5,true,null]}");
        urlmsg_clear(&um);
}

/* The discovery members: kind (a page by default), lastmod and the
 * sitemap's scope host. */
static void test_discovery(void **state)
{
        const char *in = "{\"url\":\"https://example.org/sitemap.xml\","
                         "\"kind\":\"sitemap\",\"lastmod\":\"2024-05-01\","
                         "\"sitemap_host\":\"shop.example.org:8080\"}";
        const char *page = "{\"url\":\"https://example.org/\","
                           "\"kind\":\"page\"}";
        const char *code;
        urlmsg_t um;

        assert_int_equal(decode(in, strlen(in), &um, &code), 0);
        assert_string_equal(um.kind, "sitemap");
        assert_string_equal(um.lastmod, "2024-05-01");
        assert_string_equal(um.sitemap_host, "shop.example.org:8080");
        urlmsg_clear(&um);
        assert_int_equal(decode(page, strlen(page), &um, &code), 0);
        assert_null(um.kind);
        assert_null(um.lastmod);
        assert_null(um.sitemap_host);
        urlmsg_clear(&um);
}

/* Lone surrogates and U+0000 in id and meta: kept, repaired to U+FFFD,
 * never refused and never cut. */
static void test_repaired_strings(void **state)
{
        const char *in = "{\"url\":\"http://x/\",\"id\":\"a\\ud800b\\u0000c\","
                         "\"meta\":{\"k\\u0000\":\"\\udc00z\\u0000\"}}";
        const char *code;
        urlmsg_t um;

        assert_int_equal(decode(in, strlen(in), &um, &code), 0);
        assert_string_equal(um.id, "a\xEF\xBF\xBD"
                                   "b\xEF\xBF\xBD"
                                   "c");
        assert_string_equal(um.meta, "{\"k\xEF\xBF\xBD\":"
                                     "\"\xEF\xBF\xBDz\xEF\xBF\xBD\"}");
        urlmsg_clear(&um);
}

/* Nesting past URLMSG_MAX_DEPTH is refused before a tree is built. */
static void test_deep(void **state)
{
        const size_t n = 450000;
        const char *head = "{\"url\":\"http://x/\",\"meta\":";
        size_t hl = strlen(head), len = hl + 2 * n + 1;
        char *s = malloc(len + 1), why[256];
        const char *code;
        urlmsg_t um;

        assert_non_null(s);
        memcpy(s, head, hl);
        memset(s + hl, '[', n);
        memset(s + hl + n, ']', n);
        s[len - 1] = '}';
        s[len] = '\0';
        assert_int_equal(urlmsg_decode(s, len, &um, &code, why, sizeof(why)),
                         -1);
        assert_string_equal(code, "invalid_message");
        assert_string_equal(why, "JSON nests deeper than 64 levels");
        urlmsg_clear(&um);
        free(s);
}

static void expect_code(const char *in, size_t len, const char *want)
{
        const char *code = NULL;
        urlmsg_t um;

        assert_int_equal(decode(in, len, &um, &code), -1);
        assert_string_equal(code, want);
        urlmsg_clear(&um);
}

static void test_bad(void **state)
{
        char *big;

        expect_code("", 0, "invalid_message");
        expect_code("   \n", 4, "invalid_message");
        expect_code("\xff\xfe http://x/", 12, "invalid_message");
        expect_code("http://x/\0y", 11, "invalid_message");
        expect_code("{\"url\": 5}", 10, "invalid_message");
        expect_code("{\"depth\": 1}", 12, "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"depth\":-1}", 30,
                    "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"depth\":\"1\"}", 31,
                    "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"id\":7}", 26, "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"kind\":\"map\"}", 32,
                    "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"kind\":1}", 28,
                    "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"sitemap_host\":\"a/b\"}", 40,
                    "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"sitemap_host\":\"\"}", 37,
                    "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"lastmod\":\"0123456789012345678"
                    "901234567890123456789012345678901234567890123456\"}",
                    99, "invalid_message");
        expect_code("{\"url\":", 7, "invalid_message");
        expect_code("[\"http://x/\"]", 13, "invalid_url");
        expect_code("http://x/\nhttp://y/", 19, "invalid_message");
        expect_code("not a url", 9, "invalid_url");
        expect_code("http://exa mple.com/", 20, "invalid_url");
        expect_code("ftp://example.com/", 18, "unsupported_scheme");
        expect_code("mailto:a@b.c", 12, "unsupported_scheme");
        expect_code("{\"url\":\"file:///etc/passwd\"}", 28,
                    "unsupported_scheme");
        big = malloc(URLMSG_MAX_BYTES + 1);
        assert_non_null(big);
        memset(big, 'a', URLMSG_MAX_BYTES + 1);
        expect_code(big, URLMSG_MAX_BYTES + 1, "invalid_message");
        free(big);
}

/* "recrawl": seconds (0 = none), false = stop; absent otherwise. */
static void test_recrawl(void **state)
{
        static const struct {
                const char *in;
                long want;
        } rows[] = {
                { "{\"url\":\"http://x/\",\"recrawl\":3600}", 3600 },
                { "{\"url\":\"http://x/\",\"recrawl\":0}", 0 },
                { "{\"url\":\"http://x/\",\"recrawl\":false}",
                  URLMSG_RECRAWL_STOP },
                { "{\"url\":\"http://x/\"}", URLMSG_RECRAWL_ABSENT },
                { "http://x/", URLMSG_RECRAWL_ABSENT },
                { "{\"url\":\"http://x/\",\"recrawl\":31622400}", 31622400 },
        };
        const char *code;
        urlmsg_t um;

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                assert_int_equal(
                        decode(rows[i].in, strlen(rows[i].in), &um, &code), 0);
                if (um.recrawl != rows[i].want)
                        fail_msg("%s: recrawl %ld", rows[i].in, um.recrawl);
                urlmsg_clear(&um);
        }
        expect_code("{\"url\":\"http://x/\",\"recrawl\":-1}", 32,
                    "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"recrawl\":true}", 34,
                    "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"recrawl\":\"1h\"}", 34,
                    "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"recrawl\":1.5}", 33,
                    "invalid_message");
        expect_code("{\"url\":\"http://x/\",\"recrawl\":31622401}", 38,
                    "invalid_message");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bare_line),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_discovery),
                cmocka_unit_test(test_recrawl),
                cmocka_unit_test(test_bad),
                cmocka_unit_test(test_repaired_strings),
                cmocka_unit_test(test_deep),
        };

        return cmocka_run_group_tests_name("urlmsg", tests, NULL, NULL);
}
