/*
 * test_maincontent.c — the main content (cleaner/maincontent.c), its
 * Markdown and plain text (cleaner/markdown.c), the article metadata
 * (cleaner/articlemeta.c), together as the record gets them
 * (cleaner/mainfields.c).
 *
 * Most cases are data: tests/data/main/NAME.html is a page, NAME.txt the
 * main_text it must give, NAME.md the markdown, and NAME.json
 *   {"url": the page's URL (links resolve against it),
 *    "expect": {"author", "published_at", "modified_at", "site_name",
 *               "markdown_truncated"}}
 * (null for a field the page does not give). Adding a case needs no new C.
 * Run from the repository root (or set MAIN_DATA_DIR).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <yajl/yajl_tree.h>

#include "../../cleaner/articlemeta.h"
#include "../../cleaner/maincontent.h"
#include "../../cleaner/mainfields.h"
#include "../../cleaner/markdown.h"
#include "testutil.h"

#define DATA_DIR "tests/data/main"
/* The parse options of cleaner/extract.c. */
#define PARSE_OPTIONS                                                     \
        (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
         HTML_PARSE_NONET | HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC)

static char *slurp(const char *dir, const char *name, const char *ext,
                   size_t *lenp)
{
        char path[1024];
        FILE *f;
        char *buf;
        long len;

        snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
        f = fopen(path, "rb");
        if (f == NULL)
                return NULL;
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)len + 1);
        if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
                free(buf);
                fclose(f);
                return NULL;
        }
        buf[len] = '\0';
        fclose(f);
        if (lenp != NULL)
                *lenp = (size_t)len;
        return buf;
}

static xmlDocPtr parse(const char *html, size_t len, const char *url)
{
        return htmlReadMemory(html, (int)len, url, "UTF-8", PARSE_OPTIONS);
}

/* Both strings the same, or both NULL; says where when not. */
static int same(const char *what, const char *name, const char *want,
                const char *got)
{
        if (want == NULL && got == NULL)
                return 1;
        if (want != NULL && got != NULL && strcmp(want, got) == 0)
                return 1;
        fprintf(stderr, "%s: %s\n--- want\n%s\n--- got\n%s\n---\n", name, what,
                want ? want : "(null)", got ? got : "(null)");
        return 0;
}

static const char *spec_str(yajl_val spec, const char *key)
{
        const char *path[] = { "expect", key, NULL };
        yajl_val v = yajl_tree_get(spec, path, yajl_t_any);

        return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

static int run_case(const char *dir, const char *name)
{
        char *json = slurp(dir, name, ".json", NULL);
        char *want_text = slurp(dir, name, ".txt", NULL);
        char *want_md = slurp(dir, name, ".md", NULL);
        size_t len = 0;
        char *html = slurp(dir, name, ".html", &len);
        const char *url_path[] = { "url", NULL };
        const char *tr_path[] = { "expect", "markdown_truncated", NULL };
        mainfields_opts_t o = { .want_text = 1,
                                .want_markdown = 1,
                                .want_meta = 1 };
        mainfields_t mf;
        yajl_val spec = NULL, url, tr;
        xmlDocPtr doc = NULL;
        char errstr[256];
        int ok = 0;

        memset(&mf, 0, sizeof(mf));
        if (json == NULL || want_text == NULL || want_md == NULL ||
            html == NULL) {
                fprintf(stderr, "%s: a file of the case is missing\n", name);
                goto out;
        }
        spec = yajl_tree_parse(json, errstr, sizeof(errstr));
        url = yajl_tree_get(spec, url_path, yajl_t_string);
        if (spec == NULL || url == NULL) {
                fprintf(stderr, "%s.json: %s\n", name, errstr);
                goto out;
        }
        doc = parse(html, len, url->u.string);
        if (mainfields_build(doc, url->u.string, &o, &mf, errstr,
                             sizeof(errstr)) != 0) {
                fprintf(stderr, "%s: %s\n", name, errstr);
                goto out;
        }
        tr = yajl_tree_get(spec, tr_path, yajl_t_any);
        ok = same("main_text", name, want_text, mf.text.data);
        ok &= same("markdown", name, want_md, mf.markdown.data);
        ok &= same("author", name, spec_str(spec, "author"), mf.meta.author);
        ok &= same("published_at", name, spec_str(spec, "published_at"),
                   mf.meta.published_at);
        ok &= same("modified_at", name, spec_str(spec, "modified_at"),
                   mf.meta.modified_at);
        ok &= same("site_name", name, spec_str(spec, "site_name"),
                   mf.meta.site_name);
        if (tr != NULL && YAJL_IS_TRUE(tr) != (mf.markdown_truncated != 0)) {
                fprintf(stderr, "%s: markdown_truncated\n", name);
                ok = 0;
        }
out:
        mainfields_clear(&mf);
        xmlFreeDoc(doc);
        yajl_tree_free(spec);
        free(json);
        free(want_text);
        free(want_md);
        free(html);
        return ok;
}

static void test_data_cases(void **state)
{
        const char *dir = getenv("MAIN_DATA_DIR");
        size_t n, failed;

        (void)state;
        n = testutil_run_cases(dir ? dir : DATA_DIR, NULL, "main-content",
                               run_case, &failed);
        assert_true(n >= 5);
        assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */

/* A page built in memory: `n` copies of open, then the middle, then `n`
 * copies of close. */
static char *repeat_page(const char *open, size_t n, const char *middle,
                         const char *close, size_t *lenp)
{
        size_t ol = strlen(open), ml = strlen(middle), cl = strlen(close);
        size_t len = 6 + n * (ol + cl) + ml, i, k = 0;
        char *p = malloc(len + 1);

        assert_non_null(p);
        memcpy(p + k, "<body>", 6);
        k += 6;
        for (i = 0; i < n; i++, k += ol)
                memcpy(p + k, open, ol);
        memcpy(p + k, middle, ml);
        k += ml;
        for (i = 0; i < n; i++, k += cl)
                memcpy(p + k, close, cl);
        p[k] = '\0';
        *lenp = k;
        return p;
}

static const char para[] =
        "<p>This paragraph is the content of the page, long enough to be "
        "taken for it, with commas, clauses, and a full stop at the end.</p>";

/* 100,000 nested elements: no recursion to overflow the stack; what is
 * past the depth cap is left out, and the walk ends. */
static void test_deep_nesting(void **state)
{
        size_t len;
        char *html = repeat_page("<div>", 100000, para, "</div>", &len);
        mainfields_opts_t o = { .want_text = 1,
                                .want_markdown = 1,
                                .want_meta = 1,
                                .max_depth = 256 };
        mainfields_t mf;
        xmlDocPtr doc;
        char errstr[256];

        (void)state;
        /* libxml2 itself caps the tree's depth unless told otherwise; the
         * modules must stand whatever depth the tree has. */
        doc = htmlReadMemory(html, (int)len, "http://d.test/", "UTF-8",
                             PARSE_OPTIONS | XML_PARSE_HUGE);
        assert_non_null(doc);
        assert_int_equal(mainfields_build(doc, "http://d.test/", &o, &mf,
                                          errstr, sizeof(errstr)),
                         0);
        /* The paragraph is deeper than 256: not looked at. */
        assert_string_equal(mf.text.data, "");
        mainfields_clear(&mf);

        o.max_depth = 0; /* the default, 512: still too deep */
        assert_int_equal(mainfields_build(doc, "http://d.test/", &o, &mf,
                                          errstr, sizeof(errstr)),
                         0);
        assert_string_equal(mf.markdown.data, "");
        mainfields_clear(&mf);
        xmlFreeDoc(doc);
        free(html);

        /* Within the cap, the same paragraph is found. */
        html = repeat_page("<div>", 100, para, "</div>", &len);
        doc = parse(html, len, "http://d.test/");
        assert_int_equal(mainfields_build(doc, "http://d.test/", &o, &mf,
                                          errstr, sizeof(errstr)),
                         0);
        assert_non_null(strstr(mf.text.data, "This paragraph is the content"));
        mainfields_clear(&mf);
        xmlFreeDoc(doc);
        free(html);
}

/* The Markdown cap: cut, flagged, and still well formed. */
static void test_markdown_cap(void **state)
{
        size_t len, i, stars = 0;
        char *html = repeat_page(
                "<p>Some <b>bold words</b> and a <a href=\"/x\">link to "
                "somewhere</a>, then more text, to fill the page.</p>",
                2000, "", "", &len);
        mainfields_opts_t o = { .want_text = 1,
                                .want_markdown = 1,
                                .max_bytes = 5000 };
        mainfields_t mf;
        xmlDocPtr doc;
        char errstr[256];

        (void)state;
        doc = parse(html, len, "http://cap.test/");
        assert_int_equal(mainfields_build(doc, "http://cap.test/", &o, &mf,
                                          errstr, sizeof(errstr)),
                         0);
        assert_true(mf.markdown_truncated);
        assert_true(mf.text_truncated);
        assert_true(mf.markdown.len <= 5000);
        assert_true(mf.markdown.len > 4000);
        assert_true(mf.text.len <= 5000);
        for (i = 0; i + 1 < mf.markdown.len; i++)
                if (mf.markdown.data[i] == '*' &&
                    mf.markdown.data[i + 1] == '*') {
                        stars++;
                        i++;
                }
        assert_int_equal(stars % 2, 0);
        mainfields_clear(&mf);

        /* Under the cap: not flagged. */
        o.max_bytes = 0;
        assert_int_equal(mainfields_build(doc, "http://cap.test/", &o, &mf,
                                          errstr, sizeof(errstr)),
                         0);
        assert_false(mf.markdown_truncated);
        assert_true(mf.markdown.len > 100000);
        mainfields_clear(&mf);
        xmlFreeDoc(doc);
        free(html);
}

static int spent(void *opaque)
{
        int *calls = opaque;

        (*calls)++;
        return 1;
}

/* A spent CPU budget stops the walk with an error. */
static void test_budget(void **state)
{
        size_t len;
        char *html = repeat_page("<div>x</div>", 20000, para, "", &len);
        int calls = 0;
        mainfields_opts_t o = { .want_text = 1,
                                .want_markdown = 1,
                                .budget = spent,
                                .budget_opaque = &calls };
        mainfields_t mf;
        xmlDocPtr doc;
        char errstr[256] = "";

        (void)state;
        doc = parse(html, len, "http://b.test/");
        assert_int_equal(mainfields_build(doc, "http://b.test/", &o, &mf,
                                          errstr, sizeof(errstr)),
                         -1);
        assert_true(calls > 0);
        assert_non_null(strstr(errstr, "budget"));
        mainfields_clear(&mf);
        xmlFreeDoc(doc);
        free(html);
}

/* The node cap: elements past it are not content. */
static void test_node_cap(void **state)
{
        size_t len;
        char *html = repeat_page("<span>filler</span>", 5000, para, "", &len);
        mainfields_opts_t o = { .want_text = 1, .max_nodes = 1000 };
        mainfields_t mf;
        xmlDocPtr doc;
        char errstr[256];

        (void)state;
        doc = parse(html, len, "http://n.test/");
        assert_int_equal(mainfields_build(doc, "http://n.test/", &o, &mf,
                                          errstr, sizeof(errstr)),
                         0);
        assert_null(strstr(mf.text.data, "This paragraph"));
        mainfields_clear(&mf);
        o.max_nodes = 0;
        assert_int_equal(mainfields_build(doc, "http://n.test/", &o, &mf,
                                          errstr, sizeof(errstr)),
                         0);
        assert_non_null(strstr(mf.text.data, "This paragraph"));
        mainfields_clear(&mf);
        xmlFreeDoc(doc);
        free(html);
}

/* A script-driven page whose only copy of the article is its JSON-LD. */
static void test_jsonld_body(void **state)
{
        static const char html[] =
                "<html><head><script type=\"application/ld+json\">"
                "{\"@type\": \"Article\", \"articleBody\": \"The whole "
                "article is here, in the metadata, because the page fills "
                "itself in by script. *Stars* stay text.\\n\\nA second "
                "paragraph follows, long enough for the body to be taken "
                "as the content of the page, which it is.\"}"
                "</script></head><body><div id=\"app\"></div></body></html>";
        mainfields_opts_t o = { .want_text = 1, .want_markdown = 1 };
        mainfields_t mf;
        xmlDocPtr doc;
        char errstr[256];

        (void)state;
        doc = parse(html, sizeof(html) - 1, "http://j.test/");
        assert_int_equal(mainfields_build(doc, "http://j.test/", &o, &mf,
                                          errstr, sizeof(errstr)),
                         0);
        assert_non_null(
                strstr(mf.text.data, "*Stars* stay text.\n\nA second"));
        assert_non_null(strstr(mf.markdown.data, "\\*Stars\\* stay text."));
        mainfields_clear(&mf);
        xmlFreeDoc(doc);
}

static void test_dates(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "2024-03-05", "2024-03-05" },
                { "2024-03-05T09:30:00+01:00", "2024-03-05T09:30:00+01:00" },
                { "2024-03-05T09:30:00.123Z", "2024-03-05T09:30:00Z" },
                { "2024-03-05T09:30+0530", "2024-03-05T09:30:00+05:30" },
                /* A time without a zone is not an instant: the date. */
                { "2024-03-05T09:30:00", "2024-03-05" },
                { "2024/03/05", "2024-03-05" },
                { "  March 5, 2024", "2024-03-05" },
                { "Mar. 5th, 2024", "2024-03-05" },
                { "5 March 2024", "2024-03-05" },
                { "05.03.2024", "2024-03-05" },
                { "2024-13-05", NULL },
                { "yesterday", NULL },
                { "", NULL },
                { "May 2024", NULL },
        };
        size_t i;
        char out[64];

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int rc = articlemeta_date(cases[i].in, out, sizeof(out));

                if (cases[i].out == NULL) {
                        assert_int_equal(rc, -1);
                        continue;
                }
                assert_int_equal(rc, 0);
                assert_string_equal(out, cases[i].out);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_data_cases),
                cmocka_unit_test(test_deep_nesting),
                cmocka_unit_test(test_markdown_cap),
                cmocka_unit_test(test_budget),
                cmocka_unit_test(test_node_cap),
                cmocka_unit_test(test_jsonld_body),
                cmocka_unit_test(test_dates),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
