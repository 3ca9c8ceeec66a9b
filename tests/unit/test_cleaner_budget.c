/*
 * test_cleaner_budget.c — the per-host discovery budget shared by a
 * cleaner's workers (cleaner/budget.c): exact under threads, bounded, and
 * a busy host keeps its count while idle ones are evicted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../../shared/budget.h"

#define THREADS 4
#define TRIES 5000

typedef struct taker {
        budget_t *b;
        long granted[3];
} taker_t;

static void *take_loop(void *arg)
{
        taker_t *t = arg;
        static const char *const hosts[3] = { "a.test", "b.test:8080",
                                              "xn--bcher-kva.test" };

        for (int i = 0; i < TRIES; i++)
                for (int h = 0; h < 3; h++)
                        t->granted[h] += budget_take(t->b, hosts[h]);
        return NULL;
}

/* Workers on their own threads, the same hosts: the budget is the
 * process's, not a worker's — exactly per_host each, whatever the
 * interleaving. */
static void test_threads_share(void **state)
{
        budget_t *b = budget_new(1000, 1024);
        pthread_t th[THREADS];
        taker_t t[THREADS];
        long sum[3] = { 0 };

        (void)state;
        assert_non_null(b);
        for (int i = 0; i < THREADS; i++) {
                memset(&t[i], 0, sizeof(t[i]));
                t[i].b = b;
                assert_int_equal(
                        pthread_create(&th[i], NULL, take_loop, &t[i]), 0);
        }
        for (int i = 0; i < THREADS; i++) {
                assert_int_equal(pthread_join(th[i], NULL), 0);
                for (int h = 0; h < 3; h++)
                        sum[h] += t[i].granted[h];
        }
        for (int h = 0; h < 3; h++)
                assert_int_equal(sum[h], 1000);
        budget_destroy(b);
}

/* More hosts than the table holds: memory stays fixed, idle hosts are
 * forgotten (they start over), and a host in use all along keeps its
 * count — the old table forgot every host at once when it filled. */
static void test_eviction(void **state)
{
        budget_t *b = budget_new(3, 64);
        char host[32];
        int busy_granted = 0;

        (void)state;
        assert_non_null(b);
        for (int i = 0; i < 100000; i++) {
                snprintf(host, sizeof(host), "h%d.test", i);
                assert_true(budget_take(b, host)); /* each new: granted */
                if (i % 4 == 0)
                        busy_granted += budget_take(b, "busy.test");
        }
        /* busy.test took 25,000 times (about one new host in its set between
         * two), was granted its 3 only. The hashes are fixed: no flake. */
        assert_int_equal(busy_granted, 3);
        assert_true(budget_evictions(b) >= 100000 - 64);
        /* An evicted idle host starts over. */
        assert_true(budget_take(b, "h0.test"));
        budget_destroy(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_threads_share),
                cmocka_unit_test(test_eviction),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
