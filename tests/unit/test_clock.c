/*
 * test_clock.c — the one monotonic clock read three ways (ns of any clock,
 * ms, seconds) agrees with itself, moves forward, and says 0 for a clock
 * that cannot be read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "clock.h"

static void test_units_agree(void **state)
{
        int64_t ns = clock_ns(CLOCK_MONOTONIC);
        int64_t ms = clock_mono_ms();
        double s = clock_mono_s();

        (void)state;
        assert_true(ns > 0);
        assert_true(ms >= ns / 1000000);
        assert_true(ms - ns / 1000000 < 1000);
        assert_true(s * 1000 >= (double)ms - 1);
        assert_true(s * 1000 - (double)ms < 1000);
        assert_true(clock_ns(CLOCK_MONOTONIC) >= ns);
}

static void test_bad_clock_is_zero(void **state)
{
        (void)state;
        assert_true(clock_ns((clockid_t)-12345) == 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_units_agree),
                cmocka_unit_test(test_bad_clock_is_zero),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
