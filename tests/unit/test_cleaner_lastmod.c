/*
 * test_cleaner_lastmod.c — sitemap and feed dates to one form
 * (cleaner/lastmod.c).
 *
 * The cases are data: tests/data/lastmod/cases.json is an array of
 *   {"name", "in": the date as a sitemap or feed wrote it,
 *    "want": the normalised form, or null when it is no date}
 * Run from the repository root (or set LASTMOD_DATA).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "../../cleaner/lastmod.h"
#include "testutil.h"

#define DATA "tests/data/lastmod/cases.json"

static int run_case(yajl_val c)
{
        const char *name = tree_str(c, "name");
        const char *in = tree_str(c, "in");
        yajl_val want = tree_get(c, "want");
        char out[LASTMOD_NORM_SIZE];
        int rc;

        assert_non_null(name);
        assert_non_null(in);
        assert_true(YAJL_IS_STRING(want) || YAJL_IS_NULL(want));
        memset(out, 'x', sizeof(out));
        rc = lastmod_normalise(in, strlen(in), out, sizeof(out));
        if (YAJL_IS_NULL(want)) {
                if (rc == 0 || out[0] != '\0') {
                        fprintf(stderr,
                                "%s: \"%s\" read as \"%s\", want none\n", name,
                                in, out);
                        return 0;
                }
                return 1;
        }
        const char *w = YAJL_GET_STRING(want);

        assert_non_null(w);
        if (rc != 0 || strcmp(out, w) != 0) {
                fprintf(stderr, "%s: \"%s\" -> rc %d \"%s\", want \"%s\"\n",
                        name, in, rc, rc == 0 ? out : "", w);
                return 0;
        }
        return 1;
}

static void test_cases(void **state)
{
        const char *path = getenv("LASTMOD_DATA");
        char *text = NULL, err[256];
        size_t len, failed = 0;
        yajl_val root;

        (void)state;
        assert_int_equal(read_all(path ? path : DATA, &text, &len), 0);
        root = yajl_tree_parse(text, err, sizeof(err));
        if (root == NULL)
                fprintf(stderr, "%s: %s\n", path ? path : DATA, err);
        assert_true(YAJL_IS_ARRAY(root));
        assert_true(root->u.array.len >= 40);
        for (size_t i = 0; i < root->u.array.len; i++)
                failed += !run_case(root->u.array.values[i]);
        yajl_tree_free(root);
        free(text);
        assert_int_equal(failed, 0);
}

/* Not NUL-terminated input is read only to its length; a buffer too small
 * for the longest form is refused, never overrun. */
static void test_bounds(void **state)
{
        char out[LASTMOD_NORM_SIZE];

        (void)state;
        assert_int_equal(lastmod_normalise("2024-05-03T10:00:00Zjunk", 20, out,
                                           sizeof(out)),
                         0);
        assert_string_equal(out, "2024-05-03T10:00:00Z");
        assert_int_equal(lastmod_normalise("2024-05-03", 7, out, sizeof(out)),
                         0);
        assert_string_equal(out, "2024-05-01");
        assert_int_equal(lastmod_normalise("2024", 4, out, 8), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cases),
                cmocka_unit_test(test_bounds),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
