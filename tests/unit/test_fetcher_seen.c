/*
 * test_fetcher_seen.c — the bounded set of fetched URLs: membership, the
 * bound (at least max/2 and at most max of the latest URLs remembered),
 * generation rotation, refresh of a URL seen again, and no false
 * positives over a large sample.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "seen.h"

static void url_of(char *buf, size_t size, int i)
{
        snprintf(buf, size, "https://h%d.example/page/%d", i % 97, i);
}

static void test_add_has(void **state)
{
        seen_t *s = seen_new(100);

        (void)state;
        assert_non_null(s);
        assert_false(seen_has(s, "http://a.example/"));
        seen_add(s, "http://a.example/");
        assert_true(seen_has(s, "http://a.example/"));
        assert_false(seen_has(s, "http://a.example/x"));
        assert_false(seen_has(s, "https://a.example/"));
        seen_add(s, "http://a.example/"); /* again: one entry */
        assert_int_equal(seen_count(s), 1);
        seen_destroy(s);
}

static void test_null_is_empty(void **state)
{
        (void)state;
        assert_null(seen_new(0));
        assert_null(seen_new(1));
        seen_add(NULL, "http://a.example/");
        assert_false(seen_has(NULL, "http://a.example/"));
        assert_int_equal(seen_count(NULL), 0);
        seen_destroy(NULL);
}

/* After many more than max URLs, the latest max/2 are all remembered,
 * nothing older than the latest max is, and the count stays bounded. */
static void test_bound_and_rotation(void **state)
{
        const int max = 1000, total = 10 * max + 123;
        seen_t *s = seen_new(max);
        char url[96];
        int old_kept = 0;

        (void)state;
        assert_non_null(s);
        for (int i = 0; i < total; i++) {
                url_of(url, sizeof(url), i);
                seen_add(s, url);
                assert_true(seen_count(s) <= (size_t)max);
        }
        for (int i = total - max / 2; i < total; i++) {
                url_of(url, sizeof(url), i);
                assert_true(seen_has(s, url));
        }
        for (int i = 0; i < total - max; i++) {
                url_of(url, sizeof(url), i);
                old_kept += seen_has(s, url);
        }
        assert_int_equal(old_kept, 0);
        seen_destroy(s);
}

/* A URL added again while in the older generation moves to the newer
 * one, so a URL fetched now and then is not forgotten. */
static void test_refresh(void **state)
{
        const int max = 100;
        seen_t *s = seen_new(max);
        char url[96];

        (void)state;
        seen_add(s, "http://keep.example/");
        for (int i = 0; i < 20 * max; i++) {
                url_of(url, sizeof(url), i);
                seen_add(s, url);
                if (i % (max / 4) == 0)
                        seen_add(s, "http://keep.example/");
        }
        assert_true(seen_has(s, "http://keep.example/"));
        seen_destroy(s);
}

/* 200,000 URLs in, 200,000 others out: no false positive (the odds of
 * one are about 1e-9 with 64-bit hashes). */
static void test_no_false_positives(void **state)
{
        const int n = 200000;
        seen_t *s = seen_new(2 * (size_t)n + 2);
        char url[96];
        int fp = 0;

        (void)state;
        assert_non_null(s);
        for (int i = 0; i < n; i++) {
                url_of(url, sizeof(url), i);
                seen_add(s, url);
        }
        for (int i = 0; i < n; i++) {
                url_of(url, sizeof(url), i);
                assert_true(seen_has(s, url));
                url_of(url, sizeof(url), n + i);
                fp += seen_has(s, url);
        }
        assert_int_equal(fp, 0);
        assert_int_equal(seen_count(s), (size_t)n);
        seen_destroy(s);
}

/* A URL given up is forgotten; every other URL stays found, whatever
 * probe chains the removals cut through (the tables are 3/4 full). */
static void test_remove(void **state)
{
        seen_t *s = seen_new(2000);
        char url[64];

        (void)state;
        assert_non_null(s);
        for (int i = 0; i < 1500; i++) {
                url_of(url, sizeof(url), i);
                seen_add(s, url);
        }
        for (int i = 0; i < 1500; i += 3) {
                url_of(url, sizeof(url), i);
                seen_remove(s, url);
                seen_remove(s, url); /* twice: no harm */
        }
        for (int i = 0; i < 1500; i++) {
                url_of(url, sizeof(url), i);
                assert_int_equal(seen_has(s, url), i % 3 != 0);
        }
        seen_remove(s, "https://never.test/added");
        seen_remove(NULL, "https://a.test/");
        assert_int_equal(seen_count(s), 1000);
        seen_destroy(s);
}

static void test_hash_never_zero_and_spread(void **state)
{
        char url[96];
        int buckets[16] = { 0 };

        (void)state;
        assert_true(seen_hash("") != 0);
        for (int i = 0; i < 16000; i++) {
                url_of(url, sizeof(url), i);
                buckets[seen_hash(url) & 15]++;
        }
        for (int b = 0; b < 16; b++)
                assert_in_range(buckets[b], 800, 1200);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_add_has),
                cmocka_unit_test(test_null_is_empty),
                cmocka_unit_test(test_bound_and_rotation),
                cmocka_unit_test(test_refresh),
                cmocka_unit_test(test_no_false_positives),
                cmocka_unit_test(test_hash_never_zero_and_spread),
                cmocka_unit_test(test_remove),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
