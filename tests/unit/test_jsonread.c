/*
 * test_jsonread.c — the bounded JSON reader: size and depth bounds before
 * any tree is built, the same verdict as yajl_tree_parse() within them,
 * and the repair of escapes yajl decodes wrongly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jsonread.h"

static yajl_val parse(const char *s, size_t max_bytes, int max_depth,
                      int flags, char *why, size_t why_size)
{
        jsonread_caps_t caps = { max_bytes, max_depth, flags };

        why[0] = '\0';
        return jsonread_tree(s, strlen(s), &caps, why, why_size);
}

/* open^n close^n, with `inner` between (NULL: nothing). */
static char *nested(const char *open, const char *close, size_t n,
                    const char *inner)
{
        size_t lo = strlen(open), lc = strlen(close);
        size_t li = inner ? strlen(inner) : 0;
        char *s = malloc(n * (lo + lc) + li + 1), *p = s;

        assert_non_null(s);
        for (size_t i = 0; i < n; i++, p += lo)
                memcpy(p, open, lo);
        memcpy(p, inner ? inner : "", li);
        p += li;
        for (size_t i = 0; i < n; i++, p += lc)
                memcpy(p, close, lc);
        *p = '\0';
        return s;
}

static void test_within_bounds(void **state)
{
        char why[256];
        yajl_val v = parse("{\"a\":[1,{\"b\":null}], /* c */ \"s\":\"x\"}",
                           1024, 3, 0, why, sizeof(why));

        assert_non_null(v);
        assert_true(YAJL_IS_OBJECT(v));
        assert_int_equal(v->u.object.len, 2);
        yajl_tree_free(v);
}

static void test_depth_bound(void **state)
{
        char why[256], *deep;
        yajl_val v;

        /* Exactly at the bound: parsed; one deeper: refused. */
        deep = nested("[", "]", 64, "1");
        v = parse(deep, SIZE_MAX, 64, 0, why, sizeof(why));
        assert_non_null(v);
        yajl_tree_free(v);
        free(deep);
        deep = nested("{\"k\":", "}", 65, "1");
        assert_null(parse(deep, SIZE_MAX, 64, 0, why, sizeof(why)));
        assert_string_equal(why, "JSON nests deeper than 64 levels");
        free(deep);
        /* 450,000 deep (the tree, freed recursively, would overflow the
         * stack): refused, quickly, without building it. */
        deep = nested("[", "]", 450000, NULL);
        assert_null(parse(deep, SIZE_MAX, 64, 0, why, sizeof(why)));
        assert_string_equal(why, "JSON nests deeper than 64 levels");
        free(deep);
        /* Deep but invalid further on: still the depth that is named. */
        deep = nested("[", "", 1000, NULL);
        assert_null(parse(deep, SIZE_MAX, 10, 0, why, sizeof(why)));
        assert_string_equal(why, "JSON nests deeper than 10 levels");
        free(deep);
}

static void test_size_bound(void **state)
{
        char why[256];

        assert_null(parse("[1,2,3]", 6, 8, 0, why, sizeof(why)));
        assert_string_equal(why,
                            "JSON text of 7 bytes is over the 6-byte limit");
}

static void test_invalid(void **state)
{
        static const char *bad[] = { "",        "{",   "{\"a\":}",
                                     "[1] [2]", "nul", "{\"a\":1,}",
                                     "\"\xff\"" };
        char why[256];

        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                yajl_val v = parse(bad[i], 1024, 8, 0, why, sizeof(why));

                assert_null(v);
                assert_true(strncmp(why, "not valid JSON: ", 16) == 0);
                assert_null(strchr(why, '\n')); /* one line */
        }
}

static const char *get_s(yajl_val root)
{
        static const char *path[] = { "s", NULL };
        yajl_val v = yajl_tree_get(root, path, yajl_t_string);

        assert_non_null(v);
        return v->u.string;
}

static void test_repair(void **state)
{
        static const struct {
                const char *in, *want;
        } cases[] = {
                /* A lone high surrogate: yajl would give "?" and eat no
                 * more; a lone low one: bytes that are not UTF-8. */
                { "{\"s\":\"a\\ud800b\"}", "a\xEF\xBF\xBD"
                                           "b" },
                { "{\"s\":\"a\\uDC00b\"}", "a\xEF\xBF\xBD"
                                           "b" },
                { "{\"s\":\"\\ud800\"}", "\xEF\xBF\xBD" },
                { "{\"s\":\"\\ud800\\u0041\"}", "\xEF\xBF\xBD"
                                                "A" },
                { "{\"s\":\"\\udbff\\udbff\\udfff\"}",
                  "\xEF\xBF\xBD\xF4\x8F\xBF\xBF" },
                /* A pair is kept. */
                { "{\"s\":\"\\ud83d\\ude00\"}", "\xF0\x9F\x98\x80" },
                /* NUL would cut the C string: the value is kept whole. */
                { "{\"s\":\"a\\u0000b\"}", "a\xEF\xBF\xBD"
                                           "b" },
                /* Escaped backslashes and quotes are not escapes of u. */
                { "{\"s\":\"\\\\ud800\"}", "\\ud800" },
                { "{\"s\":\"\\\"\\ud800\"}", "\"\xEF\xBF\xBD" },
                /* Comments and keys. */
                { "{/* \" \\ud800 */\"s\":\"x\"} // \"", "x" },
                { "{\"\\u0000\":1,\"s\":\"\\u00e9\"}", "\xC3\xA9" },
                /* Raw bytes yajl's check lets through: an overlong form. */
                { "{\"s\":\"a\xC0\x8F\"}", "a\xEF\xBF\xBD\xEF\xBF\xBD" },
                { "{\"s\":\"\xFF\"}", "\xEF\xBF\xBD" },
        };
        char why[256];

        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                yajl_val v = parse(cases[i].in, 1024, 8, JSONREAD_REPAIR, why,
                                   sizeof(why));

                if (!v)
                        fail_msg("%s: %s", cases[i].in, why);
                assert_string_equal(get_s(v), cases[i].want);
                yajl_tree_free(v);
        }
}

static void test_repaired_key(void **state)
{
        char why[256];
        yajl_val v = parse("{\"k\\u0000x\":1}", 1024, 8, JSONREAD_REPAIR, why,
                           sizeof(why));

        assert_non_null(v);
        assert_string_equal(v->u.object.keys[0], "k\xEF\xBF\xBDx");
        yajl_tree_free(v);
}

static void test_nul_byte(void **state)
{
        jsonread_caps_t caps = { 1024, 8, 0 };
        char why[256];

        assert_null(jsonread_tree("[1]\0[2]", 7, &caps, why, sizeof(why)));
        assert_string_equal(why, "not valid JSON: a NUL byte in the text");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_within_bounds),
                cmocka_unit_test(test_depth_bound),
                cmocka_unit_test(test_size_bound),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_repair),
                cmocka_unit_test(test_repaired_key),
                cmocka_unit_test(test_nul_byte),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
