/*
 * test_fetcher_schedule.c — scheduled recrawl decisions (fetcher/
 * schedule.c): the adaptive interval (Nutch's AdaptiveFetchSchedule:
 * changed shrinks, unchanged or 304 grows, within bounds), the plan after
 * an outcome (requests, the default, stops, restarts), what becomes of a
 * consumed message (copies expected, superseded, stopped), and the
 * --recrawl-stop list (fetcher/stoplist.c).
 *
 * The cases are data: tests/data/schedule/cases.json. Run from the
 * repository root (or set SCHEDULE_DATA).
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

#include <yajl/yajl_tree.h>

#include "../../fetcher/schedule.h"
#include "../../fetcher/stoplist.h"
#include "../../fetcher/urlmsg.h"
#include "testutil.h"

#define DATA "tests/data/schedule/cases.json"

static yajl_val root;

static long num(yajl_val c, const char *k, long def)
{
        yajl_val v = tree_get(c, k);

        return YAJL_IS_INTEGER(v) ? (long)YAJL_GET_INTEGER(v) : def;
}

static bool flag(yajl_val c, const char *k)
{
        return YAJL_IS_TRUE(tree_get(c, k));
}

/* "requested": an integer, "absent" (or missing), or "stop". */
static long requested(yajl_val c)
{
        const char *s = tree_str(c, "requested");

        if (s && !strcmp(s, "stop"))
                return URLMSG_RECRAWL_STOP;
        return num(c, "requested", URLMSG_RECRAWL_ABSENT);
}

static yajl_val section(const char *name)
{
        yajl_val v = tree_get(root, name);

        assert_non_null(v);
        return v;
}

static void test_adapt(void **state)
{
        yajl_val cases = section("adapt");
        int bad = 0;

        (void)state;
        assert_true(YAJL_IS_ARRAY(cases) && cases->u.array.len > 0);
        for (size_t i = 0; i < cases->u.array.len; i++) {
                yajl_val c = cases->u.array.values[i];
                long got = schedule_adapt(
                        num(c, "interval", -1), (int)num(c, "changed", -9),
                        num(c, "min", -1), num(c, "max", -1));

                if (got != num(c, "want", -1)) {
                        fprintf(stderr, "  adapt %s: got %ld, want %ld\n",
                                tree_str(c, "name"), got, num(c, "want", -1));
                        bad++;
                }
        }
        assert_int_equal(bad, 0);
}

static void test_plan(void **state)
{
        yajl_val cases = section("plan");
        int bad = 0;

        (void)state;
        assert_true(YAJL_IS_ARRAY(cases) && cases->u.array.len > 0);
        for (size_t i = 0; i < cases->u.array.len; i++) {
                yajl_val c = cases->u.array.values[i];
                schedule_in_t in = {
                        .requested = requested(c),
                        .dflt = num(c, "dflt", 0),
                        .min_s = num(c, "min", 1),
                        .max_s = num(c, "max", 86400),
                        .copy = flag(c, "copy"),
                        .stop_listed = flag(c, "stop_listed"),
                        .cur_s = num(c, "cur", 0),
                        .base_s = num(c, "base", 0),
                        .stopped = flag(c, "stopped"),
                        .changed = (int)num(c, "changed", -1),
                        .failed = flag(c, "failed"),
                        .prev_s = num(c, "prev", 0),
                        .on = (int)num(c, "on", -1),
                        .content_changed = (int)num(c, "content_changed", -1),
                };
                schedule_out_t out;

                memset(&out, 0x5a, sizeof(out));
                schedule_plan(&in, &out);
                if (out.interval_s != num(c, "want", -1) ||
                    out.base_s != num(c, "want_base", -1) ||
                    out.stopped != flag(c, "want_stopped") ||
                    (tree_get(c, "want_prev") &&
                     out.prev_s != num(c, "want_prev", -1)) ||
                    (tree_get(c, "want_on") &&
                     out.on != (int)num(c, "want_on", -9))) {
                        fprintf(stderr,
                                "  plan %s: got %ld (base %ld, stopped %d, "
                                "prev %ld, on %d)\n",
                                tree_str(c, "name"), out.interval_s,
                                out.base_s, out.stopped, out.prev_s, out.on);
                        bad++;
                }
        }
        assert_int_equal(bad, 0);
}

static const char *intake_name(schedule_intake_t v)
{
        switch (v) {
        case SCHEDULE_FETCH:
                return "fetch";
        case SCHEDULE_STOP:
                return "stop";
        case SCHEDULE_STOPPED:
                return "stopped";
        case SCHEDULE_SUPERSEDED:
                return "superseded";
        case SCHEDULE_DISCOVERED_STOPPED:
                return "discovered_stopped";
        }
        return "?";
}

static void test_intake(void **state)
{
        yajl_val cases = section("intake");
        int bad = 0;

        (void)state;
        assert_true(YAJL_IS_ARRAY(cases) && cases->u.array.len > 0);
        for (size_t i = 0; i < cases->u.array.len; i++) {
                yajl_val c = cases->u.array.values[i];
                schedule_msg_t m = {
                        .requested = requested(c),
                        .dflt = num(c, "dflt", 60),
                        .copy = flag(c, "copy"),
                        .token = num(c, "token", 0),
                        .followed = flag(c, "followed"),
                        .stop_listed = flag(c, "stop_listed"),
                        .has_state = flag(c, "has_state"),
                        .stopped = flag(c, "stopped"),
                        .next_due_ms = num(c, "next_due", 0),
                };
                const char *got = intake_name(schedule_intake(&m));
                const char *want = tree_str(c, "want");

                assert_non_null(want);
                if (strcmp(got, want)) {
                        fprintf(stderr, "  intake %s: got %s, want %s\n",
                                tree_str(c, "name"), got, want);
                        bad++;
                }
        }
        assert_int_equal(bad, 0);
}

static void test_stoplist(void **state)
{
        yajl_val sl = section("stoplist"), cases = tree_get(sl, "cases"),
                 badv = tree_get(sl, "bad");
        const char *text = tree_str(sl, "text");
        char err[256];
        stoplist_t *l;
        int bad = 0;

        (void)state;
        assert_non_null(text);
        l = stoplist_parse(text, strlen(text), err, sizeof(err));
        assert_non_null(l);
        assert_int_equal(stoplist_count(l), num(sl, "count", -1));
        assert_true(YAJL_IS_ARRAY(cases));
        for (size_t i = 0; i < cases->u.array.len; i++) {
                yajl_val c = cases->u.array.values[i];
                bool got = stoplist_has(l, tree_str(c, "host"),
                                        tree_str(c, "id"));

                if (got != flag(c, "want")) {
                        fprintf(stderr, "  stoplist host %s id %s: got %d\n",
                                tree_str(c, "host"), tree_str(c, "id"), got);
                        bad++;
                }
        }
        stoplist_destroy(l);
        assert_false(stoplist_has(NULL, "a.example", "price"));
        assert_true(YAJL_IS_ARRAY(badv));
        for (size_t i = 0; i < badv->u.array.len; i++) {
                const char *t = YAJL_GET_STRING(badv->u.array.values[i]);

                err[0] = '\0';
                l = stoplist_parse(t, strlen(t), err, sizeof(err));
                if (l || !strstr(err, "line ")) {
                        fprintf(stderr, "  stoplist accepted %s (%s)\n", t,
                                err);
                        stoplist_destroy(l);
                        bad++;
                }
        }
        assert_int_equal(bad, 0);
}

int main(void)
{
        const char *path = getenv("SCHEDULE_DATA");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_adapt),
                cmocka_unit_test(test_plan),
                cmocka_unit_test(test_intake),
                cmocka_unit_test(test_stoplist),
        };
        char *data, err[256];
        size_t len;
        int rc;

        if (read_all(path ? path : DATA, &data, &len)) {
                fprintf(stderr, "cannot read %s\n", path ? path : DATA);
                return 1;
        }
        root = yajl_tree_parse(data, err, sizeof(err));
        free(data);
        if (!root) {
                fprintf(stderr, "%s: %s\n", path ? path : DATA, err);
                return 1;
        }
        rc = cmocka_run_group_tests(tests, NULL, NULL);
        yajl_tree_free(root);
        return rc;
}
