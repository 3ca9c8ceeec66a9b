/*
 * test_fetcher_robotsfetch.c — what a robots.txt answer means for its
 * host (robotsfetch_verdict(), RFC 9309 §2.3.1): 2xx its rules (a file cut
 * at the size cap too), 4xx but 429 allow all, 5xx/429/unreachable retried
 * until --robots-retries then robots_unreachable, and a DNS failure, a
 * blocked address, TLS or a redirect loop fail open (the URLs fail on
 * their own). One row per case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "robotsfetch.h"

static const struct {
        const char *name;
        CURLcode rc;
        long status;
        bool blocked, too_large;
        long failures; /* before this one; --robots-retries 3 */
        robotsfetch_verdict_t verdict;
} rows[] = {
        { "200: rules", CURLE_OK, 200, false, false, 0, ROBOTS_V_RULES },
        { "204: rules (empty)", CURLE_OK, 204, false, false, 0,
          ROBOTS_V_RULES },
        { "200 after failures: rules", CURLE_OK, 200, false, false, 3,
          ROBOTS_V_RULES },
        { "cut at the cap: rules", CURLE_WRITE_ERROR, 200, false, true, 0,
          ROBOTS_V_RULES },
        { "write error not at the cap: retried", CURLE_WRITE_ERROR, 200, false,
          false, 0, ROBOTS_V_RETRY },
        { "404: allow all", CURLE_OK, 404, false, false, 0,
          ROBOTS_V_ALLOW_ALL },
        { "401: allow all", CURLE_OK, 401, false, false, 0,
          ROBOTS_V_ALLOW_ALL },
        { "410: allow all", CURLE_OK, 410, false, false, 2,
          ROBOTS_V_ALLOW_ALL },
        { "429: retried", CURLE_OK, 429, false, false, 0, ROBOTS_V_RETRY },
        { "500: retried", CURLE_OK, 500, false, false, 0, ROBOTS_V_RETRY },
        { "503, last retry: retried", CURLE_OK, 503, false, false, 2,
          ROBOTS_V_RETRY },
        { "503, retries spent: unreachable", CURLE_OK, 503, false, false, 3,
          ROBOTS_V_UNREACHABLE },
        { "3xx left over: retried", CURLE_OK, 302, false, false, 0,
          ROBOTS_V_RETRY },
        { "connection refused: retried", CURLE_COULDNT_CONNECT, 0, false,
          false, 0, ROBOTS_V_RETRY },
        { "timeout, retries spent: unreachable", CURLE_OPERATION_TIMEDOUT, 0,
          false, false, 3, ROBOTS_V_UNREACHABLE },
        { "no DNS: fail open", CURLE_COULDNT_RESOLVE_HOST, 0, false, false, 0,
          ROBOTS_V_FAIL_OPEN },
        { "blocked address: fail open", CURLE_COULDNT_CONNECT, 0, true, false,
          3, ROBOTS_V_FAIL_OPEN },
        { "redirect loop: fail open", CURLE_TOO_MANY_REDIRECTS, 0, false,
          false, 0, ROBOTS_V_FAIL_OPEN },
        { "unsupported scheme: fail open", CURLE_UNSUPPORTED_PROTOCOL, 0,
          false, false, 0, ROBOTS_V_FAIL_OPEN },
        { "bad certificate: fail open", CURLE_PEER_FAILED_VERIFICATION, 0,
          false, false, 0, ROBOTS_V_FAIL_OPEN },
        { "TLS handshake: fail open", CURLE_SSL_CONNECT_ERROR, 0, false, false,
          0, ROBOTS_V_FAIL_OPEN },
};

static void test_verdict(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                robotsfetch_verdict_t v = robotsfetch_verdict(
                        rows[i].rc, rows[i].status, rows[i].blocked,
                        rows[i].too_large, rows[i].failures, 3);

                if (v != rows[i].verdict)
                        fail_msg("%s: verdict %d, want %d", rows[i].name,
                                 (int)v, (int)rows[i].verdict);
        }
}

/* --robots-retries 0: the first failure is the verdict. */
static void test_no_retries(void **state)
{
        (void)state;
        assert_int_equal(
                robotsfetch_verdict(CURLE_OK, 500, false, false, 0, 0),
                ROBOTS_V_UNREACHABLE);
        assert_int_equal(
                robotsfetch_verdict(CURLE_OK, 404, false, false, 0, 0),
                ROBOTS_V_ALLOW_ALL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_verdict),
                cmocka_unit_test(test_no_retries),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
