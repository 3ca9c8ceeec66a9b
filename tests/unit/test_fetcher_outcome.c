/*
 * test_fetcher_outcome.c — what becomes of a URL whose transfer ended
 * (outcome_decide(), the decision of outcome_url_done()): a page for any
 * HTTP answer once its retries are spent, a retry after the back-off (not
 * before the host is ready) for a 5xx, a 429 or a transient network
 * failure, parked when that wait is over --park-after and tiers exist, a
 * dead letter for a failure without an answer. One row per case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "outcome.h"

/* The defaults: --retries 3, --park-after 30 s, tiers on. */
#define ROW(name_, ans, st, net, att, drain, boff, hwait, park, next_, wait_) \
        {                                                                     \
                name_,                                                        \
                        { .answered = ans,                                    \
                          .status = st,                                       \
                          .net_transient = net,                               \
                          .attempts = att,                                    \
                          .retries = 3,                                       \
                          .draining = drain,                                  \
                          .backoff_ms = boff,                                 \
                          .host_wait_ms = hwait,                              \
                          .park_after_ms = 30000,                             \
                          .parking = park },                                  \
                        next_, wait_                                          \
        }

static const struct {
        const char *name;
        outcome_in_t in;
        outcome_next_t next;
        int64_t wait;
} rows[] = {
        ROW("200 is a page", true, 200, false, 1, false, 1000, 0, true,
            OUTCOME_PAGE, 0),
        ROW("404 is a page, not retried", true, 404, false, 1, false, 1000, 0,
            true, OUTCOME_PAGE, 0),
        ROW("301 left unfollowed is a page", true, 301, false, 1, false, 1000,
            0, true, OUTCOME_PAGE, 0),
        ROW("500 is retried after the back-off", true, 500, false, 1, false,
            1000, 0, true, OUTCOME_RETRY, 1000),
        ROW("429 is retried", true, 429, false, 2, false, 2000, 0, true,
            OUTCOME_RETRY, 2000),
        ROW("503 waits for the host when it is later", true, 503, false, 1,
            false, 1000, 5000, true, OUTCOME_RETRY, 5000),
        ROW("the last retry is still a retry", true, 502, false, 3, false,
            4000, 0, true, OUTCOME_RETRY, 4000),
        ROW("5xx after its retries is a page", true, 503, false, 4, false,
            8000, 0, true, OUTCOME_PAGE, 0),
        ROW("no retry while stopping", true, 500, false, 1, true, 1000, 0,
            true, OUTCOME_PAGE, 0),
        ROW("a long wait is parked", true, 429, false, 1, false, 1000, 60000,
            true, OUTCOME_PARK, 60000),
        ROW("a long back-off is parked", true, 500, false, 2, false, 45000, 0,
            true, OUTCOME_PARK, 45000),
        ROW("exactly --park-after is held", true, 500, false, 1, false, 30000,
            0, true, OUTCOME_RETRY, 30000),
        ROW("without tiers a long wait is held", true, 429, false, 1, false,
            1000, 60000, false, OUTCOME_RETRY, 60000),
        ROW("a transient network failure is retried", false, 0, true, 1, false,
            1000, 0, true, OUTCOME_RETRY, 1000),
        ROW("a transient failure after its retries fails", false, 0, true, 4,
            false, 1000, 0, true, OUTCOME_FAIL, 0),
        ROW("a lasting network failure fails at once", false, 0, false, 1,
            false, 1000, 0, true, OUTCOME_FAIL, 0),
        ROW("a stale status without an answer is ignored", false, 503, false,
            1, false, 1000, 0, true, OUTCOME_FAIL, 0),
        ROW("no retry of a failure while stopping", false, 0, true, 1, true,
            1000, 0, true, OUTCOME_FAIL, 0),
};

static void test_decide(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                int64_t wait = -1;
                outcome_next_t next = outcome_decide(&rows[i].in, &wait);

                if (next != rows[i].next || wait != rows[i].wait)
                        fail_msg("%s: decision %d wait %lld, want %d wait "
                                 "%lld",
                                 rows[i].name, (int)next, (long long)wait,
                                 (int)rows[i].next, (long long)rows[i].wait);
        }
}

static void test_transient_and_slow(void **state)
{
        static const struct {
                bool answered;
                long status;
                bool net, transient, slow;
        } t[] = {
                { true, 200, false, false, false },
                { true, 404, false, false, false },
                { true, 429, false, true, true },
                { true, 500, false, true, false },
                { true, 503, false, true, true },
                { true, 599, false, true, false },
                { true, 499, true, false, false }, /* an answer: net ignored */
                { false, 0, true, true, false },
                { false, 0, false, false, false },
                { false, 503, false, false, false },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                if (outcome_transient(t[i].answered, t[i].status, t[i].net) !=
                    t[i].transient)
                        fail_msg("row %zu: transient", i);
                if (outcome_slow_down(t[i].answered, t[i].status) != t[i].slow)
                        fail_msg("row %zu: slow down", i);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decide),
                cmocka_unit_test(test_transient_and_slow),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
