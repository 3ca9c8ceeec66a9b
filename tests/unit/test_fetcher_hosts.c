/*
 * test_fetcher_hosts.c — the host scheduler on a simulated clock: token
 * bucket limits, fair round robin, concurrency, back-off and recovery,
 * eviction; and the murmur2 partitioner the fetcher checks messages with
 * (librdkafka's) against Kafka's Java values.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "hosts.h"

typedef struct item {
        hlink_t link;
        int id;
} item_t;

static hosts_params_t params(double rate, double burst, int conc)
{
        return (hosts_params_t){ .rate = rate,
                                 .burst = burst,
                                 .concurrency = conc,
                                 .idle_ms = 1000,
                                 .max_hosts = 1000,
                                 .backoff_base_ms = 1000,
                                 .backoff_max_ms = 8000,
                                 .retry_after_max_ms = 60000,
                                 .delay_max_s = 60 };
}

/* Serves everything that may start at `now`; returns how many started. */
static int serve(hosts_t *hs, int64_t now, int *per_host, host_t **hv, int nh)
{
        int n = 0;
        host_t *h;

        for (h = hosts_next(hs, now); h; h = hosts_next(hs, now)) {
                hlink_t *l = host_pop(h);

                assert_non_null(l);
                for (int i = 0; i < nh; i++)
                        if (hv[i] == h)
                                per_host[i]++;
                host_start(hs, h, now);
                host_end(hs, h, true, false, 0, now); /* instant reply */
                n++;
        }
        return n;
}

static void test_token_bucket(void **state)
{
        hosts_params_t p = params(2, 3, 100);
        hosts_t *hs = hosts_new(&p, NULL);
        item_t items[50];
        host_t *h = hosts_get(hs, "a.test", 0);
        int per[1] = { 0 };

        for (int i = 0; i < 50; i++)
                hosts_push(hs, h, &items[i].link, false, 0);
        /* A burst of 3 at once, then 2 per second. */
        assert_int_equal(serve(hs, 0, per, &h, 1), 3);
        assert_int_equal(hosts_wait_ms(hs, 0), 500);
        assert_int_equal(serve(hs, 499, per, &h, 1), 0);
        assert_int_equal(serve(hs, 500, per, &h, 1), 1);
        assert_int_equal(serve(hs, 10500, per, &h, 1), 3); /* capped burst */
        assert_int_equal(per[0], 7);
        hosts_destroy(hs);
}

static void test_fair_round_robin(void **state)
{
        hosts_params_t p = params(1000, 1000, 100);
        hosts_t *hs = hosts_new(&p, NULL);
        item_t *items = calloc(1003, sizeof(*items));
        host_t *big = hosts_get(hs, "big.test", 0);
        host_t *small = hosts_get(hs, "small.test", 0);
        int order_small[3], k = 0, served = 0;

        for (int i = 0; i < 1000; i++)
                hosts_push(hs, big, &items[i].link, false, 0);
        for (int i = 1000; i < 1003; i++)
                hosts_push(hs, small, &items[i].link, false, 0);
        while (served < 20) {
                host_t *h = hosts_next(hs, 0);

                assert_non_null(h);
                host_pop(h);
                if (h == small)
                        order_small[k++] = served;
                host_start(hs, h, 0);
                host_end(hs, h, true, false, 0, 0);
                served++;
        }
        /* Alternating: the small host's 3 are among the first 6. */
        assert_int_equal(k, 3);
        assert_true(order_small[2] < 6);
        free(items);
        hosts_destroy(hs);
}

static void test_concurrency(void **state)
{
        hosts_params_t p = params(1000, 1000, 2);
        hosts_t *hs = hosts_new(&p, NULL);
        item_t items[5];
        host_t *h = hosts_get(hs, "c.test", 0), *x;

        for (int i = 0; i < 5; i++)
                hosts_push(hs, h, &items[i].link, false, 0);
        for (int i = 0; i < 2; i++) {
                x = hosts_next(hs, 0);
                assert_ptr_equal(x, h);
                host_pop(x);
                host_start(hs, x, 0);
        }
        assert_null(hosts_next(hs, 0)); /* at its concurrency */
        assert_int_equal(hosts_wait_ms(hs, 0), -1);
        host_end(hs, h, true, false, 0, 1);
        assert_ptr_equal(hosts_next(hs, 1), h);
        hosts_update(hs, h, 1);
        hosts_destroy(hs);
}

static void test_backoff_and_recovery(void **state)
{
        hosts_params_t p = params(10, 1, 10);
        hosts_t *hs = hosts_new(&p, NULL);
        item_t items[5];
        host_t *h = hosts_get(hs, "b.test", 0), *x;

        for (int i = 0; i < 5; i++)
                hosts_push(hs, h, &items[i].link, false, 0);
        x = hosts_next(hs, 0);
        host_pop(x);
        host_start(hs, x, 0);
        /* 429 with Retry-After: 3 s. */
        host_end(hs, h, true, true, 3000, 0);
        assert_true(host_ready_at(hs, h, 0) >= 3000);
        assert_null(hosts_next(hs, 2999));
        assert_true(host_rate(hs, h) < 10);
        x = hosts_next(hs, 3000);
        assert_ptr_equal(x, h);
        host_pop(x);
        host_start(hs, x, 3000);
        /* 503 without Retry-After: the exponential back-off (level 1). */
        host_end(hs, h, true, true, 0, 3000);
        assert_true(host_ready_at(hs, h, 3000) >= 5000);
        /* Successes restore the rate gradually. */
        for (int i = 0; i < 10; i++)
                host_end(hs, h, false, false, 0, 6000);
        assert_true(host_rate(hs, h) > 9.99);
        hosts_destroy(hs);
}

/* Every wait a server asks for is capped: Retry-After in seconds (huge,
 * overflowing when multiplied, negative = a date in the past), the
 * back-off it sets on the host, and a Crawl-delay (huge, NaN). */
static void test_wait_caps(void **state)
{
        hosts_params_t p = params(10, 1, 10);
        hosts_t *hs = hosts_new(&p, NULL);
        item_t it;
        host_t *h = hosts_get(hs, "c.test", 0), *x;

        assert_int_equal(hosts_retry_after_ms(hs, 99999999), 60000);
        assert_int_equal(hosts_retry_after_ms(hs, 9223372036854775807LL),
                         60000);
        assert_int_equal(hosts_retry_after_ms(hs, 253402300799LL), 60000);
        assert_int_equal(hosts_retry_after_ms(hs, 7), 7000);
        assert_int_equal(hosts_retry_after_ms(hs, 0), 0);
        assert_int_equal(hosts_retry_after_ms(hs, -5), 0);
        assert_int_equal(hosts_cap_wait_ms(-1, 10), 0);
        assert_int_equal(hosts_cap_wait_ms(INT64_MAX, 10), 10);
        hosts_push(hs, h, &it.link, false, 0);
        x = hosts_next(hs, 0);
        assert_ptr_equal(x, h);
        host_start(hs, x, 0);
        /* A raw three-year wait handed to host_end() is capped there too. */
        host_end(hs, h, true, true, 99999999000LL, 0);
        assert_true(host_ready_at(hs, h, 0) <= 60000);
        assert_ptr_equal(hosts_next(hs, 60000), h);
        host_set_delay(hs, h, 1e300, 60000);
        assert_true(host_delay_s(h) == 60);
        host_set_delay(hs, h, NAN, 60000);
        assert_true(host_delay_s(h) == 0);
        host_set_delay(hs, h, -3, 60000);
        assert_true(host_delay_s(h) == 0);
        assert_true(hosts_crawl_delay_s(hs, 2.5) == 2.5);
        hosts_destroy(hs);
}

static int freed;
static void count_free(void *p)
{
        freed++;
        free(p);
}

static void test_eviction(void **state)
{
        hosts_params_t p = params(1, 1, 1);
        hosts_t *hs = hosts_new(&p, count_free);
        item_t it;
        host_t *busy = hosts_get(hs, "busy.test", 0);

        freed = 0;
        for (int i = 0; i < 100; i++) {
                char key[32];
                host_t *h;

                snprintf(key, sizeof(key), "h%d.test", i);
                h = hosts_get(hs, key, 0);
                host_set_user(h, malloc(8));
        }
        hosts_push(hs, busy, &it.link, false, 0);
        assert_int_equal(hosts_count(hs), 101);
        assert_int_equal(hosts_active(hs), 1);
        hosts_evict(hs, 999);
        assert_int_equal(hosts_count(hs), 101);
        hosts_evict(hs, 1000);
        assert_int_equal(hosts_count(hs), 1); /* the busy one stays */
        assert_int_equal(freed, 100);
        assert_ptr_equal(hosts_get(hs, "busy.test", 1000), busy);
        hosts_destroy(hs);
}

/* Kafka's Utils.murmur2 values (its unit tests), through librdkafka's
 * partitioner: (hash & 0x7fffffff) % count. */
static void test_murmur2(void **state)
{
        static const struct {
                const char *key;
                int32_t java;
        } v[] = {
                { "21", -973932308 },
                { "foobar", -790332482 },
                { "a-little-bit-long-string", -985981536 },
                { "a-little-bit-longer-string", -1486304829 },
                { "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                  -58897971 },
                { "abc", 479470107 },
        };

        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                int32_t want = (int32_t)((uint32_t)v[i].java & 0x7fffffff);

                assert_int_equal(rd_kafka_msg_partitioner_murmur2(
                                         NULL, v[i].key, strlen(v[i].key),
                                         INT32_MAX, NULL, NULL),
                                 want % INT32_MAX);
                assert_int_equal(rd_kafka_msg_partitioner_murmur2(
                                         NULL, v[i].key, strlen(v[i].key), 12,
                                         NULL, NULL),
                                 want % 12);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_token_bucket),
                cmocka_unit_test(test_fair_round_robin),
                cmocka_unit_test(test_concurrency),
                cmocka_unit_test(test_backoff_and_recovery),
                cmocka_unit_test(test_wait_caps),
                cmocka_unit_test(test_eviction),
                cmocka_unit_test(test_murmur2),
        };

        return cmocka_run_group_tests_name("fetcher_hosts", tests, NULL, NULL);
}
