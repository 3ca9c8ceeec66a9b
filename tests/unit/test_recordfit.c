/*
 * test_recordfit.c — records cut to a size: the largest members first,
 * strings keep their head, arrays their first elements, the members that
 * name the page are kept, and `truncated` lists what was cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "recordfit.h"

/* A record whose text is n copies of `unit` and with nlinks links. */
static char *big_record(const char *unit, size_t n, size_t nlinks)
{
        size_t ul = strlen(unit), cap = 4096 + n * ul * 2 + nlinks * 64;
        char *s = malloc(cap);
        size_t len;

        assert_non_null(s);
        len = (size_t)snprintf(s, cap,
                               "{\"url\":\"http://x.test/\","
                               "\"final_url\":\"http://x.test/\","
                               "\"status\":200,\"fetched_at\":"
                               "\"2024-05-01T10:00:00.000Z\","
                               "\"id\":\"i1\",\"title\":\"T\",\"text\":\"");
        for (size_t i = 0; i < n; i++) {
                for (const char *u = unit; *u; u++) {
                        if (*u == '"' || *u == '\\')
                                s[len++] = '\\';
                        s[len++] = *u;
                }
        }
        len += (size_t)snprintf(s + len, cap - len, "\",\"links\":[");
        for (size_t i = 0; i < nlinks; i++)
                len += (size_t)snprintf(s + len, cap - len,
                                        "%s{\"url\":\"http://x.test/%zu\","
                                        "\"text\":\"l\",\"rel\":null}",
                                        i ? "," : "", i);
        len += (size_t)snprintf(s + len, cap - len, "]}");
        return s;
}

static yajl_val member(yajl_val root, const char *key)
{
        const char *path[] = { key, NULL };

        return yajl_tree_get(root, path, yajl_t_any);
}

static void check_fit(const char *rec, size_t limit, const char *first_cut)
{
        char *out = NULL, why[256];
        size_t out_len = 0;
        yajl_val root, t;

        assert_int_equal(recordfit_cut(rec, strlen(rec), limit, &out, &out_len,
                                       why, sizeof(why)),
                         0);
        assert_true(out_len <= limit);
        assert_int_equal(strlen(out), out_len);
        root = yajl_tree_parse(out, why, sizeof(why));
        assert_non_null(root);
        assert_string_equal(YAJL_GET_STRING(member(root, "url")),
                            "http://x.test/");
        assert_string_equal(YAJL_GET_STRING(member(root, "id")), "i1");
        assert_int_equal(YAJL_GET_INTEGER(member(root, "status")), 200);
        t = member(root, "truncated");
        assert_true(YAJL_IS_ARRAY(t));
        assert_true(t->u.array.len >= 1);
        assert_string_equal(YAJL_GET_STRING(t->u.array.values[0]), first_cut);
        /* Not more than needed: it uses most of the room. */
        assert_true(out_len > limit / 2);
        yajl_tree_free(root);
        free(out);
}

static void test_text_cut(void **state)
{
        char *rec = big_record("abc def ", 200000, 10);
        yajl_val root;
        char *out, why[256];
        size_t out_len;

        check_fit(rec, 100000, "text");
        /* The text keeps its head. */
        assert_int_equal(recordfit_cut(rec, strlen(rec), 100000, &out,
                                       &out_len, why, sizeof(why)),
                         0);
        root = yajl_tree_parse(out, why, sizeof(why));
        assert_non_null(root);
        {
                const char *text = YAJL_GET_STRING(member(root, "text"));

                assert_non_null(text);
                assert_true(strncmp(text, "abc def abc def ", 16) == 0);
        }
        assert_int_equal(YAJL_GET_ARRAY(member(root, "links"))->len, 10);
        yajl_tree_free(root);
        free(out);
        free(rec);
}

static void test_escaped_text_cut(void **state)
{
        /* Quotes double in JSON: the cut must allow for it. */
        char *rec = big_record("\"\"\"\"\"\"\"x", 200000, 0);

        check_fit(rec, 1000000, "text");
        check_fit(rec, 50000, "text");
        free(rec);
}

static void test_links_cut(void **state)
{
        char *rec = big_record("a", 10, 20000);
        char *out, why[256];
        size_t out_len;
        yajl_val root, links;

        check_fit(rec, 200000, "links");
        assert_int_equal(recordfit_cut(rec, strlen(rec), 200000, &out,
                                       &out_len, why, sizeof(why)),
                         0);
        root = yajl_tree_parse(out, why, sizeof(why));
        links = member(root, "links");
        assert_true(links->u.array.len > 1000 && links->u.array.len < 20000);
        assert_string_equal(
                YAJL_GET_STRING(member(links->u.array.values[0], "url")),
                "http://x.test/0");
        yajl_tree_free(root);
        free(out);
        free(rec);
}

static void test_cannot_fit(void **state)
{
        char *rec = big_record("a", 10, 0), *out = NULL, why[256];
        size_t out_len;

        assert_int_equal(recordfit_cut(rec, strlen(rec), 100, &out, &out_len,
                                       why, sizeof(why)),
                         1);
        assert_null(out);
        assert_non_null(strstr(why, "100 bytes"));
        assert_int_equal(
                recordfit_cut("[1", 2, 100, &out, &out_len, why, sizeof(why)),
                -1);
        free(rec);
}

/* A record with text, main_text and markdown of 60,000 bytes each. */
static char *texts_record(void)
{
        size_t cap = 200000;
        char *s = malloc(cap);
        size_t len;

        assert_non_null(s);
        len = (size_t)snprintf(s, cap,
                               "{\"url\":\"http://x.test/\","
                               "\"final_url\":\"http://x.test/\","
                               "\"status\":200,\"fetched_at\":"
                               "\"2024-05-01T10:00:00.000Z\","
                               "\"id\":\"i1\"");
        for (int k = 0; k < 3; k++) {
                static const char *const names[] = { "text", "main_text",
                                                     "markdown" };

                len += (size_t)snprintf(s + len, cap - len, ",\"%s\":\"",
                                        names[k]);
                for (size_t i = 0; i < 60000; i++)
                        s[len++] = (char)('a' + k);
                s[len++] = '"';
        }
        len += (size_t)snprintf(s + len, cap - len,
                                ",\"markdown_truncated\":false}");
        return s;
}

/* The length of a string member (which must be there). */
static size_t str_len(yajl_val root, const char *key)
{
        yajl_val v = member(root, key);

        assert_true(YAJL_IS_STRING(v));
        return strlen(v->u.string);
}

static yajl_val fit(const char *rec, size_t limit, char **out)
{
        char why[256];
        size_t out_len = 0;
        yajl_val root;

        assert_int_equal(recordfit_cut(rec, strlen(rec), limit, out, &out_len,
                                       why, sizeof(why)),
                         0);
        assert_true(out_len <= limit);
        root = yajl_tree_parse(*out, why, sizeof(why));
        assert_non_null(root);
        return root;
}

/* markdown goes first, then main_text, then text; each one cut is
 * flagged, though markdown and main_text are larger than text. */
static void test_texts_order(void **state)
{
        char *rec = texts_record(), *out = NULL;
        yajl_val root;

        /* Room for two of the three. */
        root = fit(rec, 150000, &out);
        assert_null(member(root, "markdown"));
        assert_true(YAJL_IS_TRUE(member(root, "markdown_truncated")));
        assert_int_equal(str_len(root, "main_text"), 60000);
        assert_int_equal(str_len(root, "text"), 60000);
        assert_null(member(root, "main_text_truncated"));
        assert_null(member(root, "text_truncated"));
        yajl_tree_free(root);
        free(out);

        /* Room for one. */
        root = fit(rec, 80000, &out);
        assert_null(member(root, "markdown"));
        assert_null(member(root, "main_text"));
        assert_true(YAJL_IS_TRUE(member(root, "markdown_truncated")));
        assert_true(YAJL_IS_TRUE(member(root, "main_text_truncated")));
        assert_int_equal(str_len(root, "text"), 60000);
        yajl_tree_free(root);
        free(out);

        /* Room for part of one: text keeps its head. */
        root = fit(rec, 30000, &out);
        assert_null(member(root, "main_text"));
        assert_true(YAJL_IS_TRUE(member(root, "text_truncated")));
        assert_true(str_len(root, "text") > 20000);
        yajl_tree_free(root);
        free(out);
        free(rec);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_text_cut),
                cmocka_unit_test(test_escaped_text_cut),
                cmocka_unit_test(test_links_cut),
                cmocka_unit_test(test_cannot_fit),
                cmocka_unit_test(test_texts_order),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
