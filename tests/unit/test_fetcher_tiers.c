/*
 * test_fetcher_tiers.c — the delay tiers: parsing --delay-tiers, the
 * tier topics' suffixes, and the tier a wait is parked on (the longest
 * delay not over the wait, within the cap; else the shortest), so that a
 * parked URL never wakes after it is due.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tiers.h"

static void test_parse(void **state)
{
        long secs[TIERS_MAX];
        char err[256];

        (void)state;
        assert_int_equal(tiers_parse("2m,10m,1h,6h,1d", secs, TIERS_MAX, err,
                                     sizeof(err)),
                         5);
        assert_int_equal(secs[0], 120);
        assert_int_equal(secs[1], 600);
        assert_int_equal(secs[2], 3600);
        assert_int_equal(secs[3], 21600);
        assert_int_equal(secs[4], 86400);
        assert_int_equal(tiers_parse("90, 3m ,7200s", secs, TIERS_MAX, err,
                                     sizeof(err)),
                         3);
        assert_int_equal(secs[0], 90);
        assert_int_equal(secs[1], 180);
        assert_int_equal(secs[2], 7200);
        assert_int_equal(tiers_parse("", secs, TIERS_MAX, err, sizeof(err)),
                         0);
        assert_int_equal(tiers_parse("  ", secs, TIERS_MAX, err, sizeof(err)),
                         0);
        assert_int_equal(
                tiers_parse("366d", secs, TIERS_MAX, err, sizeof(err)), 1);
}

static void test_parse_rejects(void **state)
{
        static const char *bad[] = {
                "10m,2m", "2m,2m",  "2m,120", "5x",
                "0s",     "-1m",    "+1m",    "2m,",
                ",2m",    "2m,,3m", "367d",   "9999999999999999999999",
                "1m 2m",  "m",      "1.5h",   "8785h",
        };
        long secs[TIERS_MAX];
        char err[256];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = 0;
                if (tiers_parse(bad[i], secs, TIERS_MAX, err, sizeof(err)) !=
                    -1)
                        fail_msg("'%s' accepted", bad[i]);
                assert_true(strstr(err, bad[i]) != NULL);
        }
        /* The bound on the count. */
        assert_int_equal(tiers_parse("1,2,3", secs, 2, err, sizeof(err)), -1);
}

static void test_suffix(void **state)
{
        static const struct {
                long secs;
                const char *want;
        } cases[] = {
                { 1, "1s" },      { 90, "90s" },    { 120, "2m" },
                { 3600, "1h" },   { 5400, "90m" },  { 86400, "1d" },
                { 90000, "25h" }, { 604800, "7d" },
        };
        char buf[24];

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                tiers_suffix(cases[i].secs, buf, sizeof(buf));
                assert_string_equal(buf, cases[i].want);
        }
}

static void test_pick(void **state)
{
        /* The delay topic (--park-after 30 s) first, then the tiers. */
        const int64_t d[] = { 30000,   120000,   600000,
                              3600000, 21600000, 86400000 };
        const size_t n = sizeof(d) / sizeof(d[0]);
        const int64_t day = 86400000;

        (void)state;
        assert_int_equal(tiers_pick(d, n, 30000, day), 0);
        assert_int_equal(tiers_pick(d, n, 119999, day), 0);
        assert_int_equal(tiers_pick(d, n, 120000, day), 1);
        assert_int_equal(tiers_pick(d, n, 599999, day), 1);
        assert_int_equal(tiers_pick(d, n, 7200000, day), 3);
        assert_int_equal(tiers_pick(d, n, 5 * day, day), 5);
        /* Shorter than every tier (a deep queue's estimate): the
         * shortest. */
        assert_int_equal(tiers_pick(d, n, 5, day), 0);
        /* Tiers over the cap are not used. */
        assert_int_equal(tiers_pick(d, n, 5 * day, 3600000), 3);
        /* Unsorted delays. */
        {
                const int64_t u[] = { 60000, 1000, 10000 };

                assert_int_equal(tiers_pick(u, 3, 20000, day), 2);
                assert_int_equal(tiers_pick(u, 3, 500, day), 1);
                assert_int_equal(tiers_pick(u, 3, 60000, day), 0);
        }
        assert_int_equal(tiers_pick(d, 0, 1000, day), -1);
}

/* Parking greedily, then holding what is left under the shortest tier,
 * never wakes a URL after it is due, and takes few hops. */
static void test_hops_never_late(void **state)
{
        const int64_t d[] = { 30000,   120000,   600000,
                              3600000, 21600000, 86400000 };
        const size_t n = sizeof(d) / sizeof(d[0]);

        (void)state;
        for (int64_t wait = 30001; wait <= 86400000; wait += 7919) {
                int64_t left = wait;
                int hops = 0;

                while (left > d[0]) {
                        int t = tiers_pick(d, n, left, 86400000);

                        assert_true(t >= 0 && d[t] <= left);
                        left -= d[t];
                        hops++;
                }
                assert_true(left >= 0 && left <= d[0]);
                assert_true(hops <= 24);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_parse_rejects),
                cmocka_unit_test(test_suffix),
                cmocka_unit_test(test_pick),
                cmocka_unit_test(test_hops_never_late),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
