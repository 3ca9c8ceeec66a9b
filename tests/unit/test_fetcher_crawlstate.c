/*
 * test_fetcher_crawlstate.c — each URL's crawl state: the table (put, get,
 * forget, the --state-max bound with least recently used eviction), the
 * decisions made from a state alone (delivered already? changed?), and
 * the state topic's message format: what is written reads back the same,
 * and every malformed message is refused with a reason. One row per case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crawlstate.h"

static crawlstate_rec_t rec_of(const char *topic, int32_t part, int64_t off)
{
        crawlstate_rec_t r;

        memset(&r, 0, sizeof(r));
        r.fetched_at_ms = 1764633600000LL;
        r.status = 200;
        r.outcome = CRAWLSTATE_PAGE;
        r.fetches = 1;
        snprintf(r.in_topic, sizeof(r.in_topic), "%s", topic);
        r.in_partition = part;
        r.in_offset = off;
        return r;
}

static void test_put_get_del(void **state)
{
        crawlstate_t *cs = crawlstate_new(10);
        crawlstate_rec_t r = rec_of("crawl.urls", 2, 41), got;

        (void)state;
        assert_non_null(cs);
        snprintf(r.etag, sizeof(r.etag), "%s", "\"abc\"");
        snprintf(r.last_modified, sizeof(r.last_modified), "%s",
                 "Tue, 01 Dec 2026 10:00:00 GMT");
        assert_false(crawlstate_get(cs, "http://a.example/", &got));
        assert_int_equal(crawlstate_put(cs, "http://a.example/", &r), 0);
        assert_true(crawlstate_has(cs, "http://a.example/"));
        assert_false(crawlstate_has(cs, "http://a.example/x"));
        assert_true(crawlstate_get(cs, "http://a.example/", &got));
        assert_string_equal(got.etag, "\"abc\"");
        assert_string_equal(got.last_modified,
                            "Tue, 01 Dec 2026 10:00:00 GMT");
        assert_string_equal(got.in_topic, "crawl.urls");
        assert_int_equal(got.in_partition, 2);
        assert_int_equal(got.in_offset, 41);
        assert_int_equal(got.status, 200);
        /* Replaced, not added. */
        r.in_offset = 99;
        r.etag[0] = '\0';
        assert_int_equal(crawlstate_put(cs, "http://a.example/", &r), 0);
        assert_int_equal(crawlstate_count(cs), 1);
        assert_true(crawlstate_get(cs, "http://a.example/", &got));
        assert_int_equal(got.in_offset, 99);
        assert_string_equal(got.etag, "");
        crawlstate_del(cs, "http://a.example/");
        assert_false(crawlstate_has(cs, "http://a.example/"));
        assert_int_equal(crawlstate_count(cs), 0);
        crawlstate_del(cs, "http://a.example/"); /* twice: no-op */
        crawlstate_destroy(cs);
        /* NULL is "no state". */
        assert_false(crawlstate_has(NULL, "http://a.example/"));
        assert_false(crawlstate_get(NULL, "http://a.example/", &got));
        assert_int_equal(crawlstate_count(NULL), 0);
        assert_null(crawlstate_new(0));
}

/* At the cap the least recently used URL goes; a get counts as a use;
 * the count never passes the cap; memory is reused. */
static void test_bound_lru(void **state)
{
        const size_t max = 1000;
        crawlstate_t *cs = crawlstate_new(max);
        crawlstate_rec_t r = rec_of("crawl.urls", 0, 0), got;
        char url[64];

        (void)state;
        for (int i = 0; i < (int)max; i++) {
                snprintf(url, sizeof(url), "http://h.example/%d", i);
                r.in_offset = i;
                assert_int_equal(crawlstate_put(cs, url, &r), 0);
        }
        assert_int_equal(crawlstate_count(cs), max);
        assert_int_equal(crawlstate_evicted(cs), 0);
        /* URL 0 used again: URL 1 is now the oldest. */
        assert_true(crawlstate_get(cs, "http://h.example/0", &got));
        assert_int_equal(crawlstate_put(cs, "http://new.example/", &r), 0);
        assert_int_equal(crawlstate_count(cs), max);
        assert_int_equal(crawlstate_evicted(cs), 1);
        assert_true(crawlstate_has(cs, "http://h.example/0"));
        assert_false(crawlstate_has(cs, "http://h.example/1"));
        assert_true(crawlstate_has(cs, "http://h.example/2"));
        /* Many more: bounded, and the latest are all there. */
        for (int i = 0; i < 10 * (int)max; i++) {
                snprintf(url, sizeof(url), "http://more.example/%d", i);
                assert_int_equal(crawlstate_put(cs, url, &r), 0);
                assert_true(crawlstate_count(cs) <= max);
        }
        for (int i = 9 * (int)max; i < 10 * (int)max; i++) {
                snprintf(url, sizeof(url), "http://more.example/%d", i);
                assert_true(crawlstate_has(cs, url));
        }
        assert_false(crawlstate_has(cs, "http://h.example/0"));
        assert_int_equal(crawlstate_evicted(cs), 10 * max + 1);
        crawlstate_destroy(cs);
}

static const struct {
        const char *name;
        crawlstate_outcome_t outcome;
        const char *rec_topic;
        int32_t rec_part;
        int64_t rec_off;
        const char *topic;
        int32_t part;
        int64_t off;
        bool delivered;
} delivered_rows[] = {
        { "same message, page out: delivered", CRAWLSTATE_PAGE, "u", 1, 7, "u",
          1, 7, true },
        { "same message, dead letter out: delivered", CRAWLSTATE_ERROR, "u", 1,
          7, "u", 1, 7, true },
        { "a re-published URL (later offset): fetched", CRAWLSTATE_PAGE, "u",
          1, 7, "u", 1, 8, false },
        { "another partition: fetched", CRAWLSTATE_PAGE, "u", 1, 7, "u", 2, 7,
          false },
        { "another topic (a parked copy): fetched", CRAWLSTATE_PAGE, "u", 1, 7,
          "u.delayed", 1, 7, false },
        { "no outcome recorded: fetched", CRAWLSTATE_NONE, "u", 1, 7, "u", 1,
          7, false },
        { "a pending page (delivery unknown): fetched", CRAWLSTATE_PENDING,
          "u", 1, 7, "u", 1, 7, false },
        { "no input recorded: fetched", CRAWLSTATE_PAGE, "", 0, 0, "", 0, 0,
          false },
};

static void test_delivered(void **state)
{
        (void)state;
        for (size_t i = 0;
             i < sizeof(delivered_rows) / sizeof(delivered_rows[0]); i++) {
                crawlstate_rec_t r = rec_of(delivered_rows[i].rec_topic,
                                            delivered_rows[i].rec_part,
                                            delivered_rows[i].rec_off);
                bool got;

                r.outcome = delivered_rows[i].outcome;
                got = crawlstate_delivered(&r, delivered_rows[i].topic,
                                           delivered_rows[i].part,
                                           delivered_rows[i].off);
                if (got != delivered_rows[i].delivered)
                        fail_msg("%s: %d", delivered_rows[i].name, got);
        }
}

static void test_changed(void **state)
{
        unsigned char a[CRAWLSTATE_DIGEST_LEN], b[CRAWLSTATE_DIGEST_LEN];
        crawlstate_rec_t prev = rec_of("u", 0, 0), nodigest = prev,
                         none = prev;

        (void)state;
        memset(a, 1, sizeof(a));
        memset(b, 2, sizeof(b));
        memcpy(prev.digest, a, sizeof(a));
        prev.has_digest = true;
        none.outcome = CRAWLSTATE_NONE;
        assert_int_equal(crawlstate_changed(NULL, false, a), -1);
        assert_int_equal(crawlstate_changed(&none, false, a), -1);
        assert_int_equal(crawlstate_changed(&prev, false, a), 0);
        assert_int_equal(crawlstate_changed(&prev, false, b), 1);
        assert_int_equal(crawlstate_changed(&prev, true, NULL), 0);
        assert_int_equal(crawlstate_changed(&nodigest, false, a), -1);
}

static void test_roundtrip(void **state)
{
        crawlstate_rec_t r = rec_of("crawl.urls.delayed", 3, 123456789012LL),
                         got;
        const char *url = "https://www.example.com/a?b=\"c\"";
        char *json = NULL, err[256];
        size_t len = 0;

        (void)state;
        snprintf(r.etag, sizeof(r.etag), "%s", "W/\"5e-\\x\"");
        snprintf(r.last_modified, sizeof(r.last_modified), "%s",
                 "Tue, 01 Dec 2026 10:00:00 GMT");
        for (int i = 0; i < CRAWLSTATE_DIGEST_LEN; i++)
                r.digest[i] = (unsigned char)(i * 7);
        r.has_digest = true;
        r.fetches = 4;
        r.changes = 2;
        assert_int_equal(crawlstate_encode(url, &r, &json, &len), 0);
        assert_int_equal(crawlstate_decode(url, strlen(url), json, len, &got,
                                           err, sizeof(err)),
                         0);
        assert_memory_equal(&got, &r, sizeof(r));
        free(json);
        /* A pending page's state. */
        r.outcome = CRAWLSTATE_PENDING;
        assert_int_equal(crawlstate_encode(url, &r, &json, &len), 0);
        assert_non_null(strstr(json, "\"outcome\":\"pending\""));
        assert_int_equal(crawlstate_decode(url, strlen(url), json, len, &got,
                                           err, sizeof(err)),
                         0);
        assert_memory_equal(&got, &r, sizeof(r));
        free(json);
        /* A scheduled recrawl, and a recorded stop. */
        r.outcome = CRAWLSTATE_PAGE;
        r.recrawl_s = 140;
        r.recrawl_base_s = 60;
        r.next_due_ms = 1764669600123LL;
        assert_int_equal(crawlstate_encode(url, &r, &json, &len), 0);
        assert_non_null(strstr(json, "\"recrawl\":{\"interval_s\":140,"));
        assert_int_equal(crawlstate_decode(url, strlen(url), json, len, &got,
                                           err, sizeof(err)),
                         0);
        assert_memory_equal(&got, &r, sizeof(r));
        free(json);
        /* The last adaptation (schedule.h), kept for its correction. */
        r.recrawl_prev_s = 100;
        r.recrawl_on = 1;
        assert_int_equal(crawlstate_encode(url, &r, &json, &len), 0);
        assert_non_null(strstr(json, "\"prev_s\":100,\"adapted_on\":1}"));
        assert_int_equal(crawlstate_decode(url, strlen(url), json, len, &got,
                                           err, sizeof(err)),
                         0);
        assert_memory_equal(&got, &r, sizeof(r));
        free(json);
        r.recrawl_prev_s = 0;
        r.recrawl_on = 0;
        r.recrawl_s = 0;
        r.next_due_ms = 0;
        r.stopped_at_ms = 1764669600999LL;
        assert_int_equal(crawlstate_encode(url, &r, &json, &len), 0);
        assert_int_equal(crawlstate_decode(url, strlen(url), json, len, &got,
                                           err, sizeof(err)),
                         0);
        assert_memory_equal(&got, &r, sizeof(r));
        free(json);
        /* A dead letter's state. */
        r = rec_of("u", 0, 5);
        r.outcome = CRAWLSTATE_ERROR;
        r.status = 0;
        snprintf(r.error_code, sizeof(r.error_code), "%s", "timeout");
        assert_int_equal(crawlstate_encode(url, &r, &json, &len), 0);
        assert_non_null(strstr(json, "\"outcome\":\"error\""));
        assert_int_equal(crawlstate_decode(url, strlen(url), json, len, &got,
                                           err, sizeof(err)),
                         0);
        assert_memory_equal(&got, &r, sizeof(r));
        free(json);
}

static const struct {
        const char *name;
        const char *key;
        const char *value;
} invalid_rows[] = {
        { "not JSON", "http://a/", "{not json" },
        { "not an object", "http://a/", "[1,2]" },
        { "no version", "http://a/",
          "{\"url\":\"http://a/\",\"fetched_at_ms\":1}" },
        { "adapted_on not -1, 0 or 1", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,"
          "\"recrawl\":{\"interval_s\":5,\"adapted_on\":2}}" },
        { "another version", "http://a/",
          "{\"v\":2,\"url\":\"http://a/\",\"fetched_at_ms\":1}" },
        { "url is not the key", "http://a/",
          "{\"v\":1,\"url\":\"http://b/\",\"fetched_at_ms\":1}" },
        { "no url", "http://a/", "{\"v\":1,\"fetched_at_ms\":1}" },
        { "no key", "", "{\"v\":1,\"url\":\"\",\"fetched_at_ms\":1}" },
        { "no fetched_at_ms", "http://a/", "{\"v\":1,\"url\":\"http://a/\"}" },
        { "status a string", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,\"status\":\"200\"}" },
        { "status out of range", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,\"status\":1000}" },
        { "negative fetches", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,\"fetches\":-1}" },
        { "etag with CR LF", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,"
          "\"etag\":\"x\\r\\nX-Evil: 1\"}" },
        { "etag too long", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,\"etag\":\""
          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
          "x\"}" },
        { "bad digest", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,"
          "\"body_sha256\":\"zz\"}" },
        { "digest with a non-hex digit", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,\"body_sha256\":"
          "\"000000000000000000000000000000000000000000000000000000000000000g\"}" },
        { "digest in upper case", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,\"body_sha256\":"
          "\"A000000000000000000000000000000000000000000000000000000000000000\"}" },
        { "unknown outcome", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,"
          "\"outcome\":\"maybe\"}" },
        { "input without offset", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,"
          "\"input\":{\"topic\":\"u\",\"partition\":0}}" },
        { "input topic not a string", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,"
          "\"input\":{\"topic\":1,\"partition\":0,\"offset\":1}}" },
        { "recrawl not an object", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,"
          "\"recrawl\":60}" },
        { "recrawl interval negative", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,"
          "\"recrawl\":{\"interval_s\":-1}}" },
        { "recrawl due a string", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,"
          "\"recrawl\":{\"next_due_ms\":\"1\"}}" },
        { "nested too deep", "http://a/",
          "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":1,"
          "\"input\":{\"topic\":{\"x\":{}},\"partition\":0,\"offset\":1}}" },
};

static void test_invalid(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(invalid_rows) / sizeof(invalid_rows[0]);
             i++) {
                crawlstate_rec_t got;
                char err[256] = "";
                const char *v = invalid_rows[i].value;

                if (!crawlstate_decode(invalid_rows[i].key,
                                       strlen(invalid_rows[i].key), v,
                                       strlen(v), &got, err, sizeof(err)))
                        fail_msg("%s: accepted", invalid_rows[i].name);
                if (!*err)
                        fail_msg("%s: no reason", invalid_rows[i].name);
        }
}

static void test_minimal_valid(void **state)
{
        const char *v = "{\"v\":1,\"url\":\"http://a/\",\"fetched_at_ms\":5}";
        crawlstate_rec_t got;
        char err[256];

        (void)state;
        assert_int_equal(crawlstate_decode("http://a/", 9, v, strlen(v), &got,
                                           err, sizeof(err)),
                         0);
        assert_int_equal(got.fetched_at_ms, 5);
        assert_int_equal(got.outcome, CRAWLSTATE_NONE);
        assert_false(crawlstate_delivered(&got, "", 0, 0));
}

/* Forgotten after max age of nothing: no fetch, no recrawl due, no
 * stop. */
static void test_expired(void **state)
{
        crawlstate_rec_t r;
        const int64_t day = 86400000, now = 400 * day;

        (void)state;
        memset(&r, 0, sizeof(r));
        r.fetched_at_ms = now - 91 * day;
        assert_true(crawlstate_expired(&r, now, 90 * day));
        assert_false(crawlstate_expired(&r, now, 92 * day));
        assert_false(crawlstate_expired(&r, now, 0)); /* never */
        r.next_due_ms = now - 10 * day; /* a recrawl due lately */
        assert_false(crawlstate_expired(&r, now, 90 * day));
        r.next_due_ms = 0;
        r.stopped_at_ms = now - day; /* a stop asked lately */
        assert_false(crawlstate_expired(&r, now, 90 * day));
        r.stopped_at_ms = now - 100 * day;
        assert_true(crawlstate_expired(&r, now, 90 * day));
        r.fetched_at_ms = now;
        assert_false(crawlstate_expired(&r, now, 90 * day));
}

static void test_validator_ok(void **state)
{
        (void)state;
        assert_true(crawlstate_validator_ok("W/\"abc\""));
        assert_true(crawlstate_validator_ok(""));
        assert_false(crawlstate_validator_ok("a\r\nb"));
        assert_false(crawlstate_validator_ok("a\tb"));
        assert_false(crawlstate_validator_ok("a\x7f"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_put_get_del),
                cmocka_unit_test(test_bound_lru),
                cmocka_unit_test(test_delivered),
                cmocka_unit_test(test_changed),
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_minimal_valid),
                cmocka_unit_test(test_validator_ok),
                cmocka_unit_test(test_expired),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
