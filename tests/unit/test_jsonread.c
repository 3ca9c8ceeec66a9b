/*
 * test_jsonread.c — the bounded JSON reader: size and depth bounds before
 * any tree is built, the same verdict as yajl_tree_parse() within them,
 * and the repair of escapes yajl decodes wrongly; every case also checks
 * that jsonread_tree_in() (the tree in an arena) gives the same verdict,
 * reason and tree.
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

/* The same tree, node for node (numbers: text, values and flags). */
static void assert_same_tree(yajl_val a, yajl_val b)
{
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(a->type, b->type);
        switch (a->type) {
        case yajl_t_string:
                assert_string_equal(a->u.string, b->u.string);
                break;
        case yajl_t_number:
                assert_string_equal(a->u.number.r, b->u.number.r);
                assert_int_equal(a->u.number.flags, b->u.number.flags);
                if (a->u.number.flags & YAJL_NUMBER_INT_VALID)
                        assert_true(a->u.number.i == b->u.number.i);
                if (a->u.number.flags & YAJL_NUMBER_DOUBLE_VALID)
                        assert_memory_equal(&a->u.number.d, &b->u.number.d,
                                            sizeof(double));
                break;
        case yajl_t_object:
                assert_int_equal(a->u.object.len, b->u.object.len);
                for (size_t i = 0; i < a->u.object.len; i++) {
                        assert_string_equal(a->u.object.keys[i],
                                            b->u.object.keys[i]);
                        assert_same_tree(a->u.object.values[i],
                                         b->u.object.values[i]);
                }
                break;
        case yajl_t_array:
                assert_int_equal(a->u.array.len, b->u.array.len);
                for (size_t i = 0; i < a->u.array.len; i++)
                        assert_same_tree(a->u.array.values[i],
                                         b->u.array.values[i]);
                break;
        default:
                break;
        }
}

/* jsonread_tree(), checked against jsonread_tree_in() on the same input:
 * the same verdict, reason and tree, with an arena buffer big enough and
 * with one too small (heap blocks). */
static yajl_val parse_n(const char *s, size_t len, size_t max_bytes,
                        int max_depth, int flags, char *why, size_t why_size)
{
        jsonread_caps_t caps = { max_bytes, max_depth, flags };
        yajl_val v;
        static char big[16384];
        char small[64], why_in[256];

        why[0] = '\0';
        v = jsonread_tree(s, len, &caps, why, why_size);
        for (int k = 0; k < 3; k++) {
                jsonread_arena_t a;
                yajl_val w;

                if (k == 0)
                        jsonread_arena_init(&a, big, sizeof(big));
                else if (k == 1)
                        jsonread_arena_init(&a, small, sizeof(small));
                else
                        jsonread_arena_init(&a, NULL, 0);
                why_in[0] = '\0';
                w = jsonread_tree_in(&a, s, len, &caps, why_in,
                                     sizeof(why_in));
                if (v)
                        assert_same_tree(v, w);
                else
                        assert_null(w);
                assert_string_equal(why_in, v ? "" : why);
                jsonread_arena_release(&a);
        }
        return v;
}

static yajl_val parse(const char *s, size_t max_bytes, int max_depth,
                      int flags, char *why, size_t why_size)
{
        return parse_n(s, strlen(s), max_bytes, max_depth, flags, why,
                       why_size);
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
        assert_null(parse_n("[1]\0[2]", 7, 1024, 8, 0, why, sizeof(why)));
        (void)caps;
}

/* Values of every kind, numbers at the edges of long long and double. */
static void test_arena_same_tree(void **state)
{
        static const char *const texts[] = {
                "{\"v\":1,\"s\":\"caf\\u00e9\",\"t\":true,\"f\":false,"
                "\"n\":null,\"a\":[],\"o\":{},\"k\":1,\"k\":2}",
                "[0,-0,1.5,-2e3,9223372036854775807,9223372036854775808,"
                "-9223372036854775808,1e400,1E-400,12345678901234567890,"
                "9007199254740993,-9007199254740993,-0.0,1.0]",
                "\"just a string\"",
                "42",
                "[[[[{\"deep\":[1,[2,[3]]]}]]]]",
        };
        char why[256];

        (void)state;
        for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
                yajl_val v = parse(texts[i], 1024, 16, 0, why, sizeof(why));

                if (!v)
                        fail_msg("%s: %s", texts[i], why);
                yajl_tree_free(v);
        }
}

/* A tree far bigger than the arena's buffer: heap blocks, doubling, all
 * freed by the release (valgrind and ASan see it). */
static void test_arena_blocks(void **state)
{
        size_t n = 20000, len = 0;
        char *s = malloc(n * 16 + 16), buf[256], why[256];
        jsonread_caps_t caps = { SIZE_MAX, 4, 0 };
        jsonread_arena_t a;
        yajl_val v;

        (void)state;
        assert_non_null(s);
        s[len++] = '[';
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(s + len, 16, "%s\"x%zu\"",
                                        i ? "," : "", i);
        s[len++] = ']';
        s[len] = '\0';
        jsonread_arena_init(&a, buf, sizeof(buf));
        v = jsonread_tree_in(&a, s, len, &caps, why, sizeof(why));
        assert_non_null(v);
        assert_int_equal(v->u.array.len, n);
        assert_string_equal(v->u.array.values[n - 1]->u.string, "x19999");
        assert_non_null(a.blocks);
        jsonread_arena_release(&a);
        assert_null(a.blocks);
        assert_int_equal(a.used, 0);
        /* The arena is ready for the next parse. */
        v = jsonread_tree_in(&a, "[1]", 3, &caps, why, sizeof(why));
        assert_non_null(v);
        assert_int_equal(v->u.array.values[0]->u.number.i, 1);
        jsonread_arena_release(&a);
        free(s);
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
                cmocka_unit_test(test_arena_same_tree),
                cmocka_unit_test(test_arena_blocks),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
