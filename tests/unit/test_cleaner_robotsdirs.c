/*
 * test_cleaner_robotsdirs.c — robots directives from X-Robots-Tag and meta
 * tags (cleaner/robotsdirs.c).
 *
 * The cases are data: tests/data/robotsdirs/cases.json is an array of
 *   {"name", "product"? (default "kcrawl"), "headers"?: [X-Robots-Tag
 *    values], "json"?: the page header x_robots_tag (a JSON array),
 *    "json_fails"?: true when it must be refused, "meta"?: [[name,
 *    content]], "want": the directives object, "nofollow": bool}
 * Run from the repository root (or set ROBOTSDIRS_DATA).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "../../cleaner/robotsdirs.h"
#include "testutil.h"

#define DATA "tests/data/robotsdirs/cases.json"

static int run_case(yajl_val c)
{
        const char *name = tree_str(c, "name");
        const char *product = tree_str(c, "product");
        yajl_val headers = tree_get(c, "headers"), meta = tree_get(c, "meta");
        const char *json = tree_str(c, "json");
        robotsdirs_t d;
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t len;
        char err[128];
        yajl_val got;
        int ok = 1;

        assert_non_null(name);
        assert_non_null(g);
        if (!product)
                product = "kcrawl";
        robotsdirs_init(&d);
        for (size_t i = 0; YAJL_IS_ARRAY(headers) && i < headers->u.array.len;
             i++) {
                const char *v = YAJL_GET_STRING(headers->u.array.values[i]);

                assert_non_null(v);
                robotsdirs_add_header(&d, v, strlen(v), product);
        }
        if (json) {
                int rc = robotsdirs_add_header_json(&d, json, product);

                assert_int_equal(
                        rc, YAJL_IS_TRUE(tree_get(c, "json_fails")) ? -1 : 0);
        }
        for (size_t i = 0; YAJL_IS_ARRAY(meta) && i < meta->u.array.len; i++) {
                yajl_val m = meta->u.array.values[i];

                assert_true(YAJL_IS_ARRAY(m) && m->u.array.len == 2);
                robotsdirs_add_meta(&d, YAJL_GET_STRING(m->u.array.values[0]),
                                    YAJL_GET_STRING(m->u.array.values[1]),
                                    product);
        }
        assert_int_equal(robotsdirs_gen(&d, g), 0);
        yajl_gen_get_buf(g, &buf, &len);
        got = yajl_tree_parse((const char *)buf, err, sizeof(err));
        assert_non_null(got);
        if (!json_equal(tree_get(c, "want"), got, name)) {
                fprintf(stderr, "  got: %.*s\n", (int)len, (const char *)buf);
                ok = 0;
        }
        if (robotsdirs_nofollow(&d) != YAJL_IS_TRUE(tree_get(c, "nofollow"))) {
                fprintf(stderr, "  %s: nofollow is %d\n", name,
                        robotsdirs_nofollow(&d));
                ok = 0;
        }
        if (robotsdirs_any(&d) != (got->u.object.len > 0)) {
                fprintf(stderr, "  %s: any is %d\n", name, robotsdirs_any(&d));
                ok = 0;
        }
        fprintf(stderr, "%s robots case %s\n", ok ? "ok  " : "FAIL", name);
        yajl_tree_free(got);
        yajl_gen_free(g);
        return ok;
}

static void test_data_cases(void **state)
{
        const char *path = getenv("ROBOTSDIRS_DATA");
        char *text = NULL, err[256];
        size_t len, failed = 0;
        yajl_val cases;

        if (!path)
                path = DATA;
        assert_int_equal(read_all(path, &text, &len), 0);
        cases = yajl_tree_parse(text, err, sizeof(err));
        if (!cases)
                fprintf(stderr, "%s: %s\n", path, err);
        assert_true(YAJL_IS_ARRAY(cases));
        for (size_t i = 0; i < cases->u.array.len; i++)
                failed += !run_case(cases->u.array.values[i]);
        assert_true(cases->u.array.len >= 15);
        yajl_tree_free(cases);
        free(text);
        assert_int_equal(failed, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_data_cases),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
