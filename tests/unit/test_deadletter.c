/*
 * test_deadletter.c — error objects: fields, input as text or base64,
 * the 64 KiB cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "deadletter.h"

static yajl_val build(const deadletter_t *dl)
{
        char *json = NULL, why[128];
        size_t len;
        yajl_val v;

        assert_int_equal(deadletter_json(dl, &json, &len), 0);
        assert_int_equal(strlen(json), len);
        v = yajl_tree_parse(json, why, sizeof(why));
        assert_non_null(v);
        free(json);
        return v;
}

static const char *str(yajl_val v, const char *key)
{
        const char *path[] = { key, NULL };
        yajl_val f = yajl_tree_get(v, path, yajl_t_string);

        return f ? f->u.string : NULL;
}

static long long num(yajl_val v, const char *key)
{
        const char *path[] = { key, NULL };
        yajl_val f = yajl_tree_get(v, path, yajl_t_number);

        assert_non_null(f);
        return YAJL_GET_INTEGER(f);
}

static void test_fields(void **state)
{
        deadletter_t dl = { .stage = "fetcher",
                            .code = "connect_failed",
                            .message = "Couldn't connect",
                            .url = "http://x/",
                            .topic = "crawl.urls",
                            .partition = 3,
                            .offset = 42,
                            .attempts = 2,
                            .input = "http://x/",
                            .input_len = 9 };
        yajl_val v = build(&dl);
        const char *path[] = { "input_truncated", NULL };

        assert_string_equal(str(v, "stage"), "fetcher");
        assert_string_equal(str(v, "code"), "connect_failed");
        assert_string_equal(str(v, "url"), "http://x/");
        assert_string_equal(str(v, "topic"), "crawl.urls");
        assert_int_equal(num(v, "partition"), 3);
        assert_int_equal(num(v, "offset"), 42);
        assert_int_equal(num(v, "attempts"), 2);
        assert_string_equal(str(v, "input"), "http://x/");
        assert_null(str(v, "input_base64"));
        assert_null(yajl_tree_get(v, path, yajl_t_any));
        assert_non_null(str(v, "at"));
        assert_int_equal(strlen(str(v, "at")), 24);
        yajl_tree_free(v);
}

static void test_binary_input(void **state)
{
        static const unsigned char bin[] = { 0xff, 0x00, 0x41, 0xc3 };
        deadletter_t dl = { .stage = "cleaner",
                            .code = "invalid_message",
                            .message = "bad",
                            .input = bin,
                            .input_len = sizeof(bin) };
        yajl_val v = build(&dl);

        assert_null(str(v, "input"));
        assert_string_equal(str(v, "input_base64"), "/wBBww==");
        assert_null(str(v, "url"));
        yajl_tree_free(v);
}

static void test_cut(void **state)
{
        size_t n = DEADLETTER_INPUT_MAX + 1000;
        char *big = malloc(n);
        const char *path[] = { "input_truncated", NULL };
        deadletter_t dl = { .stage = "fetcher",
                            .code = "invalid_url",
                            .message = "long" };
        yajl_val v;

        assert_non_null(big);
        /* "a" then "é" (2 bytes) throughout: the cut at 64 KiB falls
         * inside an "é", and the text stays text. */
        big[0] = 'a';
        for (size_t i = 1; i + 1 < n; i += 2) {
                big[i] = (char)0xc3;
                big[i + 1] = (char)0xa9;
        }
        big[n - 1] = 'z';
        dl.input = big;
        dl.input_len = n;
        v = build(&dl);
        assert_non_null(str(v, "input"));
        assert_true(strlen(str(v, "input")) <= DEADLETTER_INPUT_MAX);
        assert_int_equal(strlen(str(v, "input")), DEADLETTER_INPUT_MAX - 1);
        assert_true(YAJL_IS_TRUE(yajl_tree_get(v, path, yajl_t_any)));
        yajl_tree_free(v);
        free(big);
}

/* A URL or message over its cap is cut (the URL flagged), and a key over
 * DEADLETTER_KEY_MAX is cut: a dead letter always fits the errors topic. */
static void test_url_message_key_cut(void **state)
{
        size_t n = DEADLETTER_URL_MAX + 1000;
        char *big = malloc(n + 1);
        const char *path[] = { "url_truncated", NULL };
        deadletter_t dl = { .stage = "cleaner", .code = "too_large" };
        yajl_val v;

        assert_non_null(big);
        memset(big, 'a', n);
        big[n] = '\0';
        dl.url = big;
        dl.message = big;
        v = build(&dl);
        assert_int_equal(strlen(str(v, "url")), DEADLETTER_URL_MAX);
        assert_true(YAJL_IS_TRUE(yajl_tree_get(v, path, yajl_t_any)));
        assert_int_equal(strlen(str(v, "message")), DEADLETTER_MESSAGE_MAX);
        yajl_tree_free(v);

        big[100] = '\0'; /* a short URL is whole and not flagged */
        v = build(&dl);
        assert_int_equal(strlen(str(v, "url")), 100);
        assert_null(yajl_tree_get(v, path, yajl_t_any));
        yajl_tree_free(v);
        free(big);

        assert_int_equal(deadletter_key_len(10), 10);
        assert_int_equal(deadletter_key_len(DEADLETTER_KEY_MAX + 1),
                         DEADLETTER_KEY_MAX);
}

static void test_empty_input(void **state)
{
        deadletter_t dl = { .stage = "fetcher",
                            .code = "invalid_message",
                            .message = "empty message",
                            .topic = "t",
                            .partition = 0,
                            .offset = 7 };
        yajl_val v = build(&dl);

        assert_non_null(str(v, "input"));
        assert_string_equal(str(v, "input"), "");
        yajl_tree_free(v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fields),
                cmocka_unit_test(test_binary_input),
                cmocka_unit_test(test_cut),
                cmocka_unit_test(test_empty_input),
                cmocka_unit_test(test_url_message_key_cut),
        };

        return cmocka_run_group_tests_name("deadletter", tests, NULL, NULL);
}
