/*
 * test_fetcher_intake.c — what becomes of a consumed URL message
 * (intake_route(), intake_place()): re-routed when keyed or partitioned
 * otherwise than by its host key (unless the partition count is
 * unknown), committed without a request when its crawl state shows its
 * outcome delivered (a redelivery), dropped when a followed link was
 * fetched already, parked when
 * its host's queue is full (for as long as the queue takes to drain) or
 * the host will not be served within --park-after, else queued. One row
 * per case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "intake.h"

static const struct {
        const char *name;
        intake_msg_t in;
        intake_next_t next;
} routes[] = {
        { "right partition and key: on to its host",
          { 3, 3, true, false, false, false },
          INTAKE_QUEUE },
        { "wrong partition: re-routed",
          { 1, 3, true, false, false, false },
          INTAKE_REROUTE },
        { "wrong key: re-routed",
          { 3, 3, false, false, false, false },
          INTAKE_REROUTE },
        { "unknown partition count: fetched, not stalled",
          { 1, -1, false, false, false, false },
          INTAKE_QUEUE },
        { "followed link fetched already: dropped",
          { 3, 3, true, true, true, false },
          INTAKE_DROP },
        { "followed link not fetched yet: on to its host",
          { 3, 3, true, true, false, false },
          INTAKE_QUEUE },
        { "a user's URL is never dropped",
          { 3, 3, true, false, true, false },
          INTAKE_QUEUE },
        { "re-routing comes before the drop",
          { 0, 3, true, true, true, false },
          INTAKE_REROUTE },
        { "unknown partitions, fetched link: dropped",
          { 0, -1, false, true, true, false },
          INTAKE_DROP },
        { "outcome delivered for this message: committed, no request",
          { 3, 3, true, false, false, true },
          INTAKE_DELIVERED },
        { "a delivered followed link: committed as delivered",
          { 3, 3, true, true, true, true },
          INTAKE_DELIVERED },
        { "re-routing comes before the delivered check",
          { 1, 3, true, false, false, true },
          INTAKE_REROUTE },
        { "a state without this message's outcome: on to its host",
          { 3, 3, true, false, true, false },
          INTAKE_QUEUE },
};

/* --max-host-queued 100, --park-after 30 s. */
#define PLACE(name_, park, q, rate_, wait_, next_, ms_) \
        {                                               \
                name_,                                  \
                        { .parking = park,              \
                          .queued = q,                  \
                          .max_host_queued = 100,       \
                          .rate = rate_,                \
                          .host_wait_ms = wait_,        \
                          .park_after_ms = 30000 },     \
                        next_, ms_                      \
        }

static const struct {
        const char *name;
        intake_host_t in;
        intake_next_t next;
        int64_t park_ms;
} places[] = {
        PLACE("room and ready: queued", true, 0, 1.0, 0, INTAKE_QUEUE, 0),
        PLACE("a short wait: queued", true, 99, 1.0, 30000, INTAKE_QUEUE, 0),
        PLACE("a long wait: parked for it", true, 5, 1.0, 30001, INTAKE_PARK,
              30001),
        PLACE("queue full: parked while it drains", true, 100, 2.0, 0,
              INTAKE_PARK, 50000),
        PLACE("queue full, a longer wait: parked for the wait", true, 100,
              10.0, 20000, INTAKE_PARK, 20000),
        PLACE("queue full, no rate: one a second", true, 100, 0.0, 0,
              INTAKE_PARK, 100000),
        PLACE("no tiers: queued, however full", false, 500, 1.0, 99999,
              INTAKE_QUEUE, 0),
};

static void test_route(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
                intake_next_t n = intake_route(&routes[i].in);

                if (n != routes[i].next)
                        fail_msg("%s: %d, want %d", routes[i].name, (int)n,
                                 (int)routes[i].next);
        }
}

static void test_place(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
                int64_t ms = -1;
                intake_next_t n = intake_place(&places[i].in, &ms);

                if (n != places[i].next || ms != places[i].park_ms)
                        fail_msg("%s: %d for %lld ms, want %d for %lld ms",
                                 places[i].name, (int)n, (long long)ms,
                                 (int)places[i].next,
                                 (long long)places[i].park_ms);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_route),
                cmocka_unit_test(test_place),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
