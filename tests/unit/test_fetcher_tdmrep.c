/*
 * test_fetcher_tdmrep.c — tdmrep.json read and matched, as tables: a
 * pattern and a path with the expected match; a file and a path with the
 * expected reservation and policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tdmrep.h"

typedef struct mcase {
        const char *pattern;
        const char *path;
        int match;
} mcase_t;

static const mcase_t mcases[] = {
        { "/", "/a", 1 },
        { "/private/", "/private/x", 1 },
        { "/private/", "/privatex", 0 },
        { "/private/", "/public/y", 0 },
        { "/private/*", "/private/x", 1 },
        { "/private/*", "/private/", 1 },
        { "*", "/anything", 1 },
        { "/*.pdf", "/a/b.pdf", 1 },
        { "/*.pdf", "/a/b.pdf?x=1", 1 },
        { "/*.pdf$", "/a/b.pdf?x=1", 0 },
        { "/*.pdf$", "/a/b.pdf", 1 },
        { "/a$", "/a", 1 },
        { "/a$", "/ab", 0 },
        { "/a*b*c", "/axxbyyc", 1 },
        { "/a*b*c", "/axxbyy", 0 },
        { "/a*c$", "/abcbc", 1 },
        { "/a*c$", "/abcbd", 0 },
        { "/A", "/a", 0 }, /* case matters, as in robots.txt */
        { "/long/path", "/long", 0 },
};

static void test_match_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(mcases) / sizeof(mcases[0]); i++) {
                int got = tdmrep_match(mcases[i].pattern, mcases[i].path);

                if (got != mcases[i].match)
                        fail_msg("pattern %s path %s: got %d want %d",
                                 mcases[i].pattern, mcases[i].path, got,
                                 mcases[i].match);
        }
}

typedef struct fcase {
        const char *name;
        const char *json;
        const char *path;
        int reserved; /* -1: the file says nothing */
        const char *policy;
        int rules; /* rules kept; -1: the parse fails */
} fcase_t;

#define PRIV                                                  \
        "[{\"location\":\"/private/\",\"tdm-reservation\":1," \
        "\"tdm-policy\":\"https://e.com/policy.json\"},"      \
        "{\"location\":\"/public/*\",\"tdm-reservation\":0}]"

static const fcase_t fcases[] = {
        { "reserved by its rule", PRIV, "/private/x", 1,
          "https://e.com/policy.json", 2 },
        { "not reserved by its rule", PRIV, "/public/y", 0, NULL, 2 },
        { "no rule matches", PRIV, "/other", -1, NULL, 2 },
        { "first match wins",
          "[{\"location\":\"/a\",\"tdm-reservation\":0},"
          "{\"location\":\"/a/b\",\"tdm-reservation\":1}]",
          "/a/b", 0, NULL, 2 },
        { "empty array", "[]", "/x", -1, NULL, 0 },
        { "bad rules left out, good kept",
          "[{\"location\":\"/a\",\"tdm-reservation\":2},"
          "{\"location\":1,\"tdm-reservation\":1},"
          "{\"tdm-reservation\":1},"
          "{\"location\":\"/a\",\"tdm-reservation\":\"1\"},"
          "{\"location\":\"/a\",\"tdm-reservation\":1,\"tdm-policy\":3},"
          "\"x\", 5, null,"
          "{\"location\":\"/a\",\"tdm-reservation\":1}]",
          "/a", 1, NULL, 1 },
        { "null policy is none",
          "[{\"location\":\"/\",\"tdm-reservation\":1,\"tdm-policy\":null}]",
          "/x", 1, NULL, 1 },
        { "object, not array", "{\"location\":\"/\",\"tdm-reservation\":1}",
          "/", -1, NULL, -1 },
        { "not JSON", "<html>not found</html>", "/", -1, NULL, -1 },
        { "too deep", "[{\"location\":[[1]],\"tdm-reservation\":1}]", "/", -1,
          NULL, -1 },
};

static void test_file_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
                const fcase_t *c = &fcases[i];
                char err[256] = "";
                tdmrep_t *t = tdmrep_parse(c->json, strlen(c->json), err,
                                           sizeof(err));
                const char *policy = "unset";
                int got;

                if (c->rules < 0) {
                        if (t)
                                fail_msg("%s: parsed, want a failure",
                                         c->name);
                        if (!err[0])
                                fail_msg("%s: no reason", c->name);
                        continue;
                }
                if (!t)
                        fail_msg("%s: %s", c->name, err);
                if ((int)tdmrep_count(t) != c->rules)
                        fail_msg("%s: %zu rules, want %d", c->name,
                                 tdmrep_count(t), c->rules);
                got = tdmrep_lookup(t, c->path, &policy);
                if (got != c->reserved)
                        fail_msg("%s: reserved %d want %d", c->name, got,
                                 c->reserved);
                if (c->policy ? !policy || strcmp(policy, c->policy)
                              : policy != NULL)
                        fail_msg("%s: policy %s want %s", c->name,
                                 policy ? policy : "(null)",
                                 c->policy ? c->policy : "(null)");
                assert_true(tdmrep_bytes(t) > 0);
                tdmrep_free(t);
        }
}

static void test_bounds(void **state)
{
        size_t cap = TDMREP_MAX_BYTES + 64, n = 0;
        char *big = malloc(cap + 1);
        char err[256];
        tdmrep_t *t;

        (void)state;
        assert_non_null(big);
        /* Over the size cap: refused. */
        memset(big, ' ', cap);
        big[0] = '[';
        big[cap - 1] = ']';
        big[cap] = '\0';
        assert_null(tdmrep_parse(big, cap, err, sizeof(err)));
        /* More rules than kept: the first TDMREP_MAX_RULES. */
        n += (size_t)snprintf(big + n, cap - n, "[");
        for (int i = 0; i < TDMREP_MAX_RULES + 10; i++)
                n += (size_t)snprintf(big + n, cap - n,
                                      "%s{\"location\":\"/%d$\","
                                      "\"tdm-reservation\":1}",
                                      i ? "," : "", i);
        n += (size_t)snprintf(big + n, cap - n, "]");
        t = tdmrep_parse(big, n, err, sizeof(err));
        assert_non_null(t);
        assert_int_equal(tdmrep_count(t), TDMREP_MAX_RULES);
        {
                const char *pol;
                char path[32];

                snprintf(path, sizeof(path), "/%d", TDMREP_MAX_RULES - 1);
                assert_int_equal(tdmrep_lookup(t, path, &pol), 1);
                snprintf(path, sizeof(path), "/%d", TDMREP_MAX_RULES);
                assert_int_equal(tdmrep_lookup(t, path, &pol), -1);
        }
        tdmrep_free(t);
        free(big);
}

static void test_empty(void **state)
{
        tdmrep_t *t = tdmrep_empty();
        const char *pol = "unset";

        (void)state;
        assert_non_null(t);
        assert_int_equal(tdmrep_lookup(t, "/private/x", &pol), -1);
        assert_null(pol);
        tdmrep_free(t);
        assert_int_equal(tdmrep_lookup(NULL, "/x", &pol), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_match_table),
                cmocka_unit_test(test_file_table),
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_empty),
        };

        return cmocka_run_group_tests_name("fetcher_tdmrep", tests, NULL,
                                           NULL);
}
