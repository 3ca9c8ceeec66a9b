/*
 * test_offsets.c — low-water marks with out-of-order completion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "offsets.h"

static void test_in_order(void **state)
{
        offsets_t *ot = offsets_new();

        for (int64_t o = 0; o < 3; o++)
                assert_int_equal(offsets_begin(ot, "t", 0, o), 0);
        assert_int_equal(offsets_pending(ot), 3);
        assert_int_equal(offsets_done(ot, "t", 0, 0), 1);
        assert_int_equal(offsets_done(ot, "t", 0, 1), 2);
        assert_int_equal(offsets_done(ot, "t", 0, 2), 3);
        assert_int_equal(offsets_pending(ot), 0);
        offsets_destroy(ot);
}

static void test_out_of_order(void **state)
{
        offsets_t *ot = offsets_new();

        for (int64_t o = 10; o < 15; o++)
                offsets_begin(ot, "t", 3, o);
        /* Later ones finish first: the commit point must not move. */
        assert_int_equal(offsets_done(ot, "t", 3, 12), -1);
        assert_int_equal(offsets_done(ot, "t", 3, 14), -1);
        assert_int_equal(offsets_done(ot, "t", 3, 11), -1);
        /* The head finishes: jump past every finished one to 13. */
        assert_int_equal(offsets_done(ot, "t", 3, 10), 13);
        assert_int_equal(offsets_done(ot, "t", 3, 13), 15);
        offsets_destroy(ot);
}

static void test_gaps_and_partitions(void **state)
{
        offsets_t *ot = offsets_new();

        /* Offsets need not be contiguous (compaction, transactions). */
        offsets_begin(ot, "t", 0, 5);
        offsets_begin(ot, "t", 0, 9);
        offsets_begin(ot, "u", 0, 5);
        assert_int_equal(offsets_done(ot, "u", 0, 5), 6);
        assert_int_equal(offsets_done(ot, "t", 0, 5), 9);
        assert_int_equal(offsets_done(ot, "t", 0, 9), 10);
        /* Unknown and repeated completions change nothing. */
        assert_int_equal(offsets_done(ot, "t", 0, 9), -1);
        assert_int_equal(offsets_done(ot, "t", 7, 1), -1);
        offsets_destroy(ot);
}

static void test_forget(void **state)
{
        offsets_t *ot = offsets_new();

        offsets_begin(ot, "t", 1, 0);
        offsets_begin(ot, "t", 1, 1);
        offsets_begin(ot, "t", 2, 0);
        offsets_forget(ot, "t", 1);
        assert_int_equal(offsets_pending(ot), 1);
        assert_int_equal(offsets_done(ot, "t", 1, 0), -1);
        assert_int_equal(offsets_done(ot, "t", 2, 0), 1);
        offsets_destroy(ot);
}

static void test_many_wraps(void **state)
{
        offsets_t *ot = offsets_new();
        int64_t next = 0, expect;

        /* Keep a window of 100 in flight over 100,000 offsets, finishing
         * each window in reverse, so the ring grows and wraps. */
        for (int64_t base = 0; base < 100000; base += 100) {
                for (int64_t o = base; o < base + 100; o++)
                        assert_int_equal(offsets_begin(ot, "t", 0, o), 0);
                for (int64_t o = base + 99; o > base; o--)
                        assert_int_equal(offsets_done(ot, "t", 0, o), -1);
                next = offsets_done(ot, "t", 0, base);
                expect = base + 100;
                assert_int_equal(next, expect);
        }
        assert_int_equal(offsets_pending(ot), 0);
        offsets_destroy(ot);
}

/* A consumer that never joins a group (no broker needed). */
static rd_kafka_t *consumer_new(const char *auto_store)
{
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;

        assert_int_equal(rd_kafka_conf_set(conf, "group.id", "g", errstr,
                                           sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers",
                                           "127.0.0.1:1", errstr,
                                           sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "enable.auto.offset.store",
                                           auto_store, errstr, sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "log_level", "0", errstr,
                                           sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        assert_non_null(rk);
        return rk;
}

static void test_done_store(void **state)
{
        offsets_t *ot = offsets_new();
        rd_kafka_t *unassigned = consumer_new("false");
        rd_kafka_t *misconfigured = consumer_new("true");

        (void)state;
        assert_non_null(ot);
        for (int64_t o = 0; o < 4; o++)
                assert_int_equal(offsets_begin(ot, "t", 0, o), 0);
        /* No consumer (closed): the mark still moves. */
        assert_int_equal(offsets_done_store(ot, NULL, "t", 0, 0), 0);
        assert_int_equal(offsets_pending(ot), 3);
        /* A partition not (or no longer) assigned is no error. */
        assert_int_equal(offsets_done_store(ot, unassigned, "t", 0, 1), 0);
        /* The mark did not move: nothing to store, no error. */
        assert_int_equal(offsets_done_store(ot, misconfigured, "t", 0, 3), 0);
        /* A store librdkafka refuses for another reason is reported. */
        assert_int_equal(offsets_done_store(ot, misconfigured, "t", 0, 2), -1);
        assert_int_equal(offsets_pending(ot), 0);
        rd_kafka_destroy(misconfigured);
        rd_kafka_destroy(unassigned);
        offsets_destroy(ot);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_in_order),
                cmocka_unit_test(test_out_of_order),
                cmocka_unit_test(test_gaps_and_partitions),
                cmocka_unit_test(test_forget),
                cmocka_unit_test(test_many_wraps),
                cmocka_unit_test(test_done_store),
        };

        return cmocka_run_group_tests_name("offsets", tests, NULL, NULL);
}
