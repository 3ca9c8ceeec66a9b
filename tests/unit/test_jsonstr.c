/*
 * test_jsonstr.c — json_quote() writes what yajl_gen_string() writes, and
 * refuses what is not strictly valid UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <yajl/yajl_gen.h>

#include "jsonstr.h"
#include "utf8.h"

/* yajl's literal for s: a one-element array, brackets dropped. */
static char *yajl_literal(const unsigned char *s, size_t n, size_t *out_n)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *b;
        size_t blen;
        char *r;

        assert_non_null(g);
        assert_int_equal(yajl_gen_array_open(g), yajl_gen_status_ok);
        assert_int_equal(yajl_gen_string(g, s, n), yajl_gen_status_ok);
        assert_int_equal(yajl_gen_array_close(g), yajl_gen_status_ok);
        assert_int_equal(yajl_gen_get_buf(g, &b, &blen), yajl_gen_status_ok);
        assert_true(blen >= 2);
        r = malloc(blen - 1);
        assert_non_null(r);
        memcpy(r, b + 1, blen - 2);
        r[blen - 2] = '\0';
        *out_n = blen - 2;
        yajl_gen_free(g);
        return r;
}

static void check_same(const unsigned char *s, size_t n)
{
        char *buf = NULL, *want;
        size_t len = 0, cap = 0, want_n;

        /* Something already in the buffer stays in front. */
        assert_int_equal(json_quote(&buf, &len, &cap, SIZE_MAX / 2,
                                    (const unsigned char *)"x", 1),
                         0);
        assert_int_equal(json_quote(&buf, &len, &cap, SIZE_MAX / 2, s, n), 0);
        want = yajl_literal(s, n, &want_n);
        assert_int_equal(len, 3 + want_n);
        assert_memory_equal(buf, "\"x\"", 3);
        assert_memory_equal(buf + 3, want, want_n);
        assert_int_equal(buf[len], '\0');
        free(want);
        free(buf);
}

static void test_fixed(void **state)
{
        static const char *cases[] = {
                "",
                "plain ascii text",
                "quote \" backslash \\ slash /",
                "\b\f\n\r\t",
                "\x01\x02\x1f\x7f end",
                "caf\xc3\xa9 na\xc3\xafve",
                "\xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbd",
                "exactly8",
                "exactly16bytes!!",
                "\"\"\"\"\"\"\"\"\"",
                "long run of ascii text that crosses many eight-byte words\n",
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                check_same((const unsigned char *)cases[i], strlen(cases[i]));
        /* A NUL inside is a control character like the others. */
        check_same((const unsigned char *)"a\0b", 3);
}

/* Random valid UTF-8 built from a mix of the classes that matter, at every
 * alignment against the eight-byte scan. */
static void test_random(void **state)
{
        static const char *pieces[] = {
                "a",
                "Z",
                " ",
                "/",
                "\"",
                "\\",
                "\n",
                "\t",
                "\x01",
                "\x1f",
                "\x7f",
                "\xc3\xa9",
                "\xc2\xa0",
                "\xe2\x82\xac",
                "\xed\x9f\xbf",
                "\xee\x80\x80",
                "\xf0\x90\x80\x80",
                "\xf4\x8f\xbf\xbf",
                "0123456789",
                "abcdefgh",
        };
        unsigned char s[512];
        uint32_t seed = 12345;

        for (int iter = 0; iter < 5000; iter++) {
                size_t n = 0;
                int parts;

                seed = seed * 1103515245u + 12345u;
                parts = (int)((seed >> 16) % 40);
                for (int k = 0; k < parts; k++) {
                        const char *p;
                        size_t pl;

                        seed = seed * 1103515245u + 12345u;
                        p = pieces[(seed >> 16) %
                                   (sizeof(pieces) / sizeof(pieces[0]))];
                        pl = strlen(p);
                        if (pl == 0)
                                pl = 1;
                        if (n + pl > sizeof(s))
                                break;
                        memcpy(s + n, p, pl);
                        n += pl;
                }
                assert_int_equal(utf8_valid_prefix(s, n), n);
                check_same(s, n);
        }
}

static void test_invalid(void **state)
{
        static const struct {
                const char *s;
                size_t n;
        } bad[] = {
                { "\xc0\x80", 2 },         /* overlong NUL */
                { "\xe0\x80\xaf", 3 },     /* overlong '/' */
                { "\xed\xa0\x80", 3 },     /* surrogate */
                { "\xf4\x90\x80\x80", 4 }, /* over U+10FFFF */
                { "\xf5\x80\x80\x80", 4 },
                { "ok then \xc3", 9 }, /* truncated */
                { "\x80 lone continuation", 20 },
                { "abcdefgh\xff", 9 },
        };
        char *buf = NULL;
        size_t len = 0, cap = 0;

        assert_int_equal(json_quote(&buf, &len, &cap, SIZE_MAX / 2,
                                    (const unsigned char *)"kept", 4),
                         0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(json_quote(&buf, &len, &cap, SIZE_MAX / 2,
                                            (const unsigned char *)bad[i].s,
                                            bad[i].n),
                                 1);
                assert_int_equal(len, 6);
                assert_string_equal(buf, "\"kept\"");
        }
        free(buf);
}

static void test_max(void **state)
{
        char *buf = NULL;
        size_t len = 0, cap = 0;

        /* "abc" needs 5 bytes; escapes grow it past the cap midway. */
        assert_int_equal(json_quote(&buf, &len, &cap, 4,
                                    (const unsigned char *)"abc", 3),
                         -1);
        assert_int_equal(len, 0);
        assert_int_equal(json_quote(&buf, &len, &cap, 5,
                                    (const unsigned char *)"abc", 3),
                         0);
        assert_int_equal(len, 5);
        len = 0;
        assert_int_equal(json_quote(&buf, &len, &cap, 8,
                                    (const unsigned char *)"a\x01", 2),
                         -1);
        assert_int_equal(len, 0);
        assert_int_equal(json_quote(&buf, &len, &cap, 9,
                                    (const unsigned char *)"a\x01", 2),
                         0);
        assert_string_equal(buf, "\"a\\u0001\"");
        free(buf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixed),
                cmocka_unit_test(test_random),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_max),
        };

        return cmocka_run_group_tests_name("jsonstr", tests, NULL, NULL);
}
