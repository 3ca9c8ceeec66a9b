/*
 * test_cleaner_rules.c — user-defined fields (cleaner/rules.c) through the
 * extractor's fields callback, and the rule-set holder.
 *
 * Cases are data: tests/data/rules/NAME.json holds
 *   {"rules_file": "X.rules.json"  (default NAME.rules.json),
 *    "html_file": "X.html" (default NAME.html) or "html": "inline body",
 *    "page": {"url", "status", "content_type", "fetched_at"},
 *    "fields": {the record's `fields`, compared deeply} | null (no
 *              `fields` member: no rule applies),
 *    "also": {other record members to compare},
 *    "error": "substring of the load error" (the rules must not load)}
 * Run from the repository root (or set RULES_DATA_DIR).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <yajl/yajl_tree.h>

#include "../../cleaner/extract.h"
#include "../../cleaner/rules.h"
#include "testutil.h"

#define DATA_DIR "tests/data/rules"

/* Runs one case; returns 1 when it passes. */
static int run_case(const char *dir, const char *name)
{
        char path[1024], perr[256] = "", errstr[1024] = "";
        char *spec = NULL, *body = NULL, *json = NULL;
        size_t spec_len, body_len = 0, len = 0;
        yajl_val root = NULL, pg, want, also, rec = NULL, v;
        const char *s;
        rules_t *rules;
        page_t page;
        int ok = 1, rc;

        snprintf(path, sizeof(path), "%s/%s.json", dir, name);
        assert_int_equal(read_all(path, &spec, &spec_len), 0);
        root = yajl_tree_parse(spec, perr, sizeof(perr));
        if (root == NULL)
                fprintf(stderr, "%s: %s\n", path, perr);
        assert_non_null(root);

        s = tree_str(root, "rules_file");
        if (s)
                snprintf(path, sizeof(path), "%s/%s", dir, s);
        else
                snprintf(path, sizeof(path), "%s/%s.rules.json", dir, name);
        rules = rules_load(path, errstr, sizeof(errstr));
        s = tree_str(root, "error");
        if (s) {
                if (rules != NULL || strstr(errstr, s) == NULL) {
                        fprintf(stderr, "  want error with \"%s\", got %s\n",
                                s, rules ? "rules loaded" : errstr);
                        ok = 0;
                }
                if (strchr(errstr, '\n')) {
                        fprintf(stderr, "  error not one line: %s\n", errstr);
                        ok = 0;
                }
                goto out;
        }
        if (rules == NULL) {
                fprintf(stderr, "  rules_load: %s\n", errstr);
                ok = 0;
                goto out;
        }

        s = tree_str(root, "html");
        if (s) {
                body = strdup(s);
                assert_non_null(body);
                body_len = strlen(body);
        } else {
                const char *hf = tree_str(root, "html_file");

                if (hf)
                        snprintf(path, sizeof(path), "%s/%s", dir, hf);
                else
                        snprintf(path, sizeof(path), "%s/%s.html", dir, name);
                assert_int_equal(read_all(path, &body, &body_len), 0);
        }
        pg = tree_get(root, "page");
        assert_non_null(pg);
        memset(&page, 0, sizeof(page));
        page.url = tree_str(pg, "url");
        page.final_url = tree_str(pg, "final_url");
        page.content_type = tree_str(pg, "content_type");
        page.fetched_at = tree_str(pg, "fetched_at");
        v = tree_get(pg, "status");
        page.status = YAJL_IS_INTEGER(v) ? (int)YAJL_GET_INTEGER(v) : 200;
        page.depth = -1;
        page.body = (const unsigned char *)body;
        page.body_len = body_len;

        {
                rules_page_t rp = { rules, page.final_url ? page.final_url
                                                          : page.url };
                extract_fields_fn cb = rules_match_url(rules, rp.url)
                                               ? rules_emit_fields
                                               : NULL;

                rc = extract_record_with(&page, cb, &rp, &json, &len, errstr,
                                         sizeof(errstr));
        }
        if (rc != 0) {
                fprintf(stderr, "  extract_record_with: %s\n", errstr);
                ok = 0;
                goto out;
        }
        assert_int_equal(strlen(json), len);
        rec = yajl_tree_parse(json, perr, sizeof(perr));
        assert_non_null(rec);
        want = tree_get(root, "fields");
        if (want == NULL || want->type == yajl_t_null) {
                if (tree_get(rec, "fields") != NULL) {
                        fprintf(stderr, "  fields present, want none\n");
                        ok = 0;
                }
        } else if (!json_equal(want, tree_get(rec, "fields"), "fields")) {
                ok = 0;
        }
        also = tree_get(root, "also");
        for (size_t i = 0; YAJL_IS_OBJECT(also) && i < also->u.object.len; i++)
                if (!json_equal(also->u.object.values[i],
                                tree_get(rec, also->u.object.keys[i]),
                                also->u.object.keys[i]))
                        ok = 0;
        if (!ok)
                fprintf(stderr, "  record: %s\n", json);
out:
        rules_unref(rules);
        yajl_tree_free(rec);
        yajl_tree_free(root);
        free(json);
        free(spec);
        free(body);
        return ok;
}

static void test_data_cases(void **state)
{
        const char *dir = getenv("RULES_DATA_DIR");
        size_t n, failed;

        (void)state;
        n = testutil_run_cases(dir ? dir : DATA_DIR, ".rules.json", "rules",
                               run_case, &failed);
        assert_true(n >= 10);
        assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* Matching and the holder                                             */

static rules_t *parse(const char *json)
{
        char errstr[512] = "";
        rules_t *r = rules_parse(json, strlen(json), "test", errstr,
                                 sizeof(errstr));

        if (!r)
                fprintf(stderr, "rules_parse: %s\n", errstr);
        assert_non_null(r);
        return r;
}

static void test_host_patterns(void **state)
{
        rules_t *r = parse("{\"rules\": [{\"hosts\": [\"a.example\", "
                           "\"*.b.example\", \"10.0.0.1\", \"[::1]\"], "
                           "\"fields\": {\"t\": \"//title\"}}]}");

        (void)state;
        assert_true(rules_match_url(r, "http://a.example/"));
        assert_true(rules_match_url(r, "https://A.Example./x"));
        assert_true(rules_match_url(r, "http://a.example:8080/"));
        assert_false(rules_match_url(r, "http://x.a.example/"));
        assert_true(rules_match_url(r, "http://x.b.example/"));
        assert_true(rules_match_url(r, "http://y.x.b.example/"));
        assert_false(rules_match_url(r, "http://b.example/"));
        assert_false(rules_match_url(r, "http://xb.example/"));
        assert_true(rules_match_url(r, "http://10.0.0.1/"));
        assert_true(rules_match_url(r, "http://[::1]:81/"));
        assert_false(rules_match_url(r, "not a url"));
        assert_false(rules_match_url(NULL, "http://a.example/"));
        assert_int_equal(rules_count(r), 1);
        rules_unref(r);
}

static void test_holder_swap(void **state)
{
        rules_t *a = parse("{\"rules\": [{\"hosts\": [\"a.example\"], "
                           "\"fields\": {\"t\": \"//title\"}}]}");
        rules_t *b = parse("{\"rules\": []}");
        rules_holder_t *h;
        rules_t *got, *got2;
        unsigned gen, gen2;

        (void)state;
        h = rules_holder_new(a);
        assert_non_null(h);
        got = rules_holder_get(h, &gen);
        assert_ptr_equal(got, a);
        assert_int_equal(rules_holder_generation(h), gen);
        rules_holder_set(h, b); /* a lives on: `got` holds it */
        assert_int_not_equal(rules_holder_generation(h), gen);
        assert_true(rules_match_url(got, "http://a.example/"));
        got2 = rules_holder_get(h, &gen2);
        assert_ptr_equal(got2, b);
        assert_int_equal(rules_count(got2), 0);
        rules_unref(got);
        rules_unref(got2);
        rules_holder_set(h, NULL);
        got = rules_holder_get(h, &gen);
        assert_null(got);
        rules_holder_destroy(h);
}

/* Several threads evaluate one shared rule set while the holder swaps. */
typedef struct share {
        rules_holder_t *h;
        int bad;
} share_t;

static void *evaluate_many(void *arg)
{
        static const char body[] = "<html><head><title>T</title></head>"
                                   "<body><p class=x>1</p><p class=x>2</p>"
                                   "</body></html>";
        share_t *sh = arg;

        for (int i = 0; i < 200; i++) {
                unsigned gen;
                rules_t *r = rules_holder_get(sh->h, &gen);
                rules_page_t rp = { r, "http://a.example/" };
                page_t page = { .url = rp.url,
                                .status = 200,
                                .fetched_at = "2026-01-01T00:00:00Z",
                                .depth = -1,
                                .body = (const unsigned char *)body,
                                .body_len = sizeof(body) - 1 };
                char *json = NULL, errstr[256];
                size_t len;

                if (extract_record_with(&page, r ? rules_emit_fields : NULL,
                                        &rp, &json, &len, errstr,
                                        sizeof(errstr)) ||
                    (r && !strstr(json, "\"fields\":{\"p\":[\"1\",\"2\"]")))
                        __atomic_add_fetch(&sh->bad, 1, __ATOMIC_RELAXED);
                free(json);
                rules_unref(r);
        }
        return NULL;
}

static void test_threads(void **state)
{
        const char *text = "{\"rules\": [{\"hosts\": [\"*\"], \"fields\": "
                           "{\"p\": {\"xpath\": \"//p[@class='x']\", "
                           "\"type\": \"strings\"}}}]}";
        share_t sh = { rules_holder_new(parse(text)), 0 };
        pthread_t t[4];

        (void)state;
        for (int i = 0; i < 4; i++)
                assert_int_equal(
                        pthread_create(&t[i], NULL, evaluate_many, &sh), 0);
        for (int i = 0; i < 20; i++)
                rules_holder_set(sh.h, parse(text));
        for (int i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        assert_int_equal(sh.bad, 0);
        rules_holder_destroy(sh.h);
}

static void test_long_values(void **state)
{
        /* A value over RULES_VALUE_MAX is cut on a character boundary. */
        size_t n = RULES_VALUE_MAX + 100, len;
        char *body = malloc(n + 64), *json = NULL, errstr[256];
        rules_t *r = parse("{\"rules\": [{\"hosts\": [\"*\"], \"fields\": "
                           "{\"p\": \"//p\"}}]}");
        rules_page_t rp = { r, "http://a.example/" };
        page_t page = { .url = rp.url,
                        .status = 200,
                        .fetched_at = "2026-01-01T00:00:00Z",
                        .depth = -1 };
        yajl_val rec, v;
        const char *path[] = { "fields", "p", NULL };
        const char *s;
        size_t off;

        (void)state;
        assert_non_null(body);
        off = (size_t)snprintf(body, 64, "<p>");
        while (off + 2 < n) { /* "é" is two bytes */
                body[off++] = (char)0xC3;
                body[off++] = (char)0xA9;
        }
        memcpy(body + off, "</p>", 5);
        page.body = (const unsigned char *)body;
        page.body_len = strlen(body);
        assert_int_equal(extract_record_with(&page, rules_emit_fields, &rp,
                                             &json, &len, errstr,
                                             sizeof(errstr)),
                         0);
        rec = yajl_tree_parse(json, errstr, sizeof(errstr));
        assert_non_null(rec);
        v = yajl_tree_get(rec, path, yajl_t_string);
        assert_true(YAJL_IS_STRING(v));
        s = v->u.string;
        assert_true(strlen(s) <= RULES_VALUE_MAX);
        assert_true(strlen(s) >= RULES_VALUE_MAX - 1);
        assert_null(strstr(s, "\xEF\xBF\xBD"));
        yajl_tree_free(rec);
        free(json);
        free(body);
        rules_unref(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_data_cases),
                cmocka_unit_test(test_host_patterns),
                cmocka_unit_test(test_holder_swap),
                cmocka_unit_test(test_threads),
                cmocka_unit_test(test_long_values),
        };
        int rc;

        xmlInitParser();
        rc = cmocka_run_group_tests(tests, NULL, NULL);
        xmlCleanupParser();
        return rc;
}
