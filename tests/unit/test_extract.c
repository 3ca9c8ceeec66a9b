/*
 * test_extract.c — the cleaner's extractor (cleaner/extract.c) and its
 * charset decoding (cleaner/charset.c).
 *
 * Most cases are data: tests/data/extract/NAME.html is a page body and
 * NAME.json holds
 *   {"page":   {"url", "final_url", "status", "content_type", "fetched_at",
 *               "source_topic", "id", "meta", "depth",
 *               "texts" (page_t.texts: 1 text, 2 main_text, 4 markdown)},
 *    "expect": {record fields with the values they must have},
 *    "absent": ["fields the record must not have"],
 *    "contains": ["substrings of the record's JSON text"]}
 * Each expected value is compared deeply with the record's (numbers by
 * value); the record may have more fields than "expect" names. Run from the
 * repository root (or set EXTRACT_DATA_DIR).
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

#include <libxml/parser.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "../../cleaner/charset.h"
#include "../../cleaner/extract.h"
#include "../../cleaner/xmlarena.h"
#include "testutil.h"

#define DATA_DIR "tests/data/extract"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* A strict UTF-8 check written apart from the code under test. */
static int utf8_strict(const unsigned char *s, size_t len)
{
        size_t i = 0;

        while (i < len) {
                unsigned char c = s[i];
                uint32_t cp;
                size_t n, k;

                if (c < 0x80) {
                        i++;
                        continue;
                } else if ((c & 0xE0) == 0xC0) {
                        n = 1;
                        cp = c & 0x1F;
                } else if ((c & 0xF0) == 0xE0) {
                        n = 2;
                        cp = c & 0x0F;
                } else if ((c & 0xF8) == 0xF0) {
                        n = 3;
                        cp = c & 0x07;
                } else {
                        return 0;
                }
                if (i + n >= len)
                        return 0;
                for (k = 1; k <= n; k++) {
                        if ((s[i + k] & 0xC0) != 0x80)
                                return 0;
                        cp = (cp << 6) | (s[i + k] & 0x3F);
                }
                if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
                    (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
                    (cp >= 0xD800 && cp <= 0xDFFF))
                        return 0;
                i += n + 1;
        }
        return 1;
}

/* Runs extract_record() and checks what every record must be: produced,
 * strictly valid UTF-8, one JSON object. Returns the parsed record. */
static yajl_val extract_checked(const page_t *page, char **json)
{
        char errstr[256] = "", perr[256] = "";
        size_t len = 0;
        yajl_val rec;
        int rc;

        rc = extract_record(page, json, &len, errstr, sizeof(errstr));
        if (rc != 0)
                fprintf(stderr, "extract_record: %s\n", errstr);
        assert_int_equal(rc, 0);
        assert_non_null(*json);
        assert_int_equal(strlen(*json), len);
        assert_true(utf8_strict((const unsigned char *)*json, len));
        rec = yajl_tree_parse(*json, perr, sizeof(perr));
        if (rec == NULL)
                fprintf(stderr, "record does not parse: %s\n%s\n", perr,
                        *json);
        assert_non_null(rec);
        assert_true(YAJL_IS_OBJECT(rec));
        return rec;
}

static void page_init(page_t *page, const char *body, size_t len)
{
        memset(page, 0, sizeof(*page));
        page->url = "https://example.com/page";
        page->status = 200;
        page->content_type = "text/html; charset=utf-8";
        page->fetched_at = "2024-05-01T12:00:00.000Z";
        page->depth = -1;
        page->body = (const unsigned char *)body;
        page->body_len = len;
}

/* A fields callback that writes null: extract_record_with() with it takes
 * the DOM path (the tree the callback reads), extract_record() the SAX
 * path. */
static int fields_null(void *ctx, struct _xmlDoc *doc, void *gen)
{
        return (int)yajl_gen_null((yajl_gen)gen);
}

/* Both paths must give the same record, byte for byte (the DOM one with
 * ,"fields":null added at the end of an HTML page's). Returns 1 when they
 * do. */
static int sax_matches_dom(const page_t *page, const char *what)
{
        static const char tail[] = ",\"fields\":null}";
        char errstr[256] = "", *sax = NULL, *dom = NULL;
        size_t sax_len = 0, dom_len = 0, t = sizeof(tail) - 1;
        int rc_sax, rc_dom, same;

        rc_sax = extract_record(page, &sax, &sax_len, errstr, sizeof(errstr));
        rc_dom = extract_record_with(page, fields_null, NULL, &dom, &dom_len,
                                     errstr, sizeof(errstr));
        if (rc_sax != 0 || rc_dom != 0) {
                same = rc_sax == rc_dom;
        } else {
                if (dom_len >= t && memcmp(dom + dom_len - t, tail, t) == 0) {
                        dom_len -= t - 1;
                        dom[dom_len - 1] = '}';
                }
                same = sax_len == dom_len && memcmp(sax, dom, sax_len) == 0;
        }
        if (!same)
                fprintf(stderr,
                        "  %s: SAX and DOM records differ\n"
                        "    sax (%d) %.*s\n    dom (%d) %.*s\n",
                        what, rc_sax, (int)sax_len, sax ? sax : "", rc_dom,
                        (int)dom_len, dom ? dom : "");
        free(sax);
        free(dom);
        return same;
}

/* ------------------------------------------------------------------ */
/* Data-driven cases                                                   */

/* Runs one case; returns 1 when it passes. */
static int run_case(const char *dir, const char *name)
{
        char path[1024], perr[256] = "", *spec = NULL, *body = NULL;
        char *json = NULL;
        size_t spec_len, body_len = 0, i;
        yajl_val root = NULL, pg, expect, absent, contains, rec = NULL, v;
        page_t page;
        int ok = 1;

        snprintf(path, sizeof(path), "%s/%s.json", dir, name);
        assert_int_equal(read_all(path, &spec, &spec_len), 0);
        root = yajl_tree_parse(spec, perr, sizeof(perr));
        if (root == NULL)
                fprintf(stderr, "%s: %s\n", path, perr);
        assert_non_null(root);
        snprintf(path, sizeof(path), "%s/%s.html", dir, name);
        if (read_all(path, &body, &body_len) < 0)
                body_len = 0; /* no .html: an empty body */

        pg = tree_get(root, "page");
        assert_non_null(pg);
        page_init(&page, body, body_len);
        page.url = tree_str(pg, "url");
        page.final_url = tree_str(pg, "final_url");
        page.content_type = tree_str(pg, "content_type");
        page.fetched_at = tree_str(pg, "fetched_at");
        page.source_topic = tree_str(pg, "source_topic");
        page.id = tree_str(pg, "id");
        page.meta = tree_str(pg, "meta");
        v = tree_get(pg, "status");
        page.status = YAJL_IS_INTEGER(v) ? (int)YAJL_GET_INTEGER(v) : 200;
        v = tree_get(pg, "texts");
        if (v != NULL && YAJL_IS_INTEGER(v))
                page.texts = (int)YAJL_GET_INTEGER(v);
        v = tree_get(pg, "depth");
        page.depth = YAJL_IS_INTEGER(v) ? (long)YAJL_GET_INTEGER(v) : -1;

        rec = extract_checked(&page, &json);
        if (!sax_matches_dom(&page, name))
                ok = 0;

        expect = tree_get(root, "expect");
        if (YAJL_IS_OBJECT(expect)) {
                for (i = 0; i < expect->u.object.len; i++) {
                        const char *key = expect->u.object.keys[i];

                        if (!json_equal(expect->u.object.values[i],
                                        tree_get(rec, key), key))
                                ok = 0;
                }
        }
        absent = tree_get(root, "absent");
        if (YAJL_IS_ARRAY(absent)) {
                for (i = 0; i < absent->u.array.len; i++) {
                        const char *key =
                                YAJL_GET_STRING(absent->u.array.values[i]);

                        if (key != NULL && tree_get(rec, key) != NULL) {
                                fprintf(stderr, "  %s: should be absent\n",
                                        key);
                                ok = 0;
                        }
                }
        }
        contains = tree_get(root, "contains");
        if (YAJL_IS_ARRAY(contains)) {
                for (i = 0; i < contains->u.array.len; i++) {
                        const char *s =
                                YAJL_GET_STRING(contains->u.array.values[i]);

                        if (s != NULL && strstr(json, s) == NULL) {
                                fprintf(stderr, "  record lacks %s\n", s);
                                ok = 0;
                        }
                }
        }
        if (!ok)
                fprintf(stderr, "  record: %s\n", json);
        yajl_tree_free(rec);
        yajl_tree_free(root);
        free(json);
        free(spec);
        free(body);
        return ok;
}

static void test_data_cases(void **state)
{
        const char *dir = getenv("EXTRACT_DATA_DIR");
        size_t n, failed;

        (void)state;
        n = testutil_run_cases(dir ? dir : DATA_DIR, NULL, "extract", run_case,
                               &failed);
        assert_true(n >= 8);
        assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* Passthrough of id, meta, depth                                      */

static void test_passthrough(void **state)
{
        static const char body[] = "<title>t</title>";
        char *json = NULL;
        yajl_val rec, v;
        const char *path_a[] = { "meta", "a", NULL };
        const char *path_b[] = { "meta", "b", NULL };
        page_t page;

        page_init(&page, body, sizeof(body) - 1);
        page.id = "job-42";
        page.meta = " {\"a\": [1, 2.50, \"x\"], \"b\": {\"c\": null}} ";
        page.depth = 3;
        page.source_topic = "crawl.urls";
        rec = extract_checked(&page, &json);
        assert_string_equal(tree_str(rec, "id"), "job-42");
        assert_string_equal(tree_str(rec, "source_topic"), "crawl.urls");
        v = tree_get(rec, "depth");
        assert_true(YAJL_IS_INTEGER(v));
        assert_int_equal(YAJL_GET_INTEGER(v), 3);
        v = yajl_tree_get(rec, path_a, yajl_t_array);
        assert_non_null(v);
        assert_int_equal(v->u.array.len, 3);
        assert_non_null(yajl_tree_get(rec, path_b, yajl_t_object));
        /* Numbers are re-emitted as written. */
        assert_non_null(strstr(json, "\"meta\":{\"a\":[1,2.50,\"x\"]"));
        yajl_tree_free(rec);
        free(json);

        /* Invalid JSON meta: passed on as a string. An invalid UTF-8 id is
         * repaired. depth < 0 and a NULL source_topic are omitted. */
        page.id = "bad-\xff-id";
        page.meta = "{not json";
        page.depth = -1;
        page.source_topic = NULL;
        rec = extract_checked(&page, &json);
        assert_string_equal(tree_str(rec, "id"), "bad-\xEF\xBF\xBD-id");
        assert_string_equal(tree_str(rec, "meta"), "{not json");
        assert_null(tree_get(rec, "depth"));
        assert_null(tree_get(rec, "source_topic"));
        yajl_tree_free(rec);
        free(json);

        /* None of them: all omitted; final_url defaults to url. */
        page.id = NULL;
        page.meta = NULL;
        rec = extract_checked(&page, &json);
        assert_null(tree_get(rec, "id"));
        assert_null(tree_get(rec, "meta"));
        assert_string_equal(tree_str(rec, "final_url"), page.url);
        yajl_tree_free(rec);
        free(json);

        /* Meta nested past yajl's generator depth: kept as a string. */
        {
                char deep[601];

                memset(deep, '[', 300);
                memset(deep + 300, ']', 300);
                deep[600] = '\0';
                page.meta = deep;
                rec = extract_checked(&page, &json);
                assert_true(YAJL_IS_STRING(tree_get(rec, "meta")));
                yajl_tree_free(rec);
                free(json);
        }
}

/* ------------------------------------------------------------------ */
/* Random bytes: always a record, always valid UTF-8                   */

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

/* The test's sequence: testutil_rng() on this file's seed. */
static uint64_t rng(void)
{
        return testutil_rng(&rng_state);
}

static void test_random_bytes(void **state)
{
        static const char *const pieces[] = {
                "<a href=\"",
                "\">",
                "</a>",
                "<meta charset=\"",
                "\">",
                "<script type=\"application/ld+json\">{\"a\":\"",
                "\"}</script>",
                "<title>",
                "</title>",
                "<h1>",
                "<img src=",
                "<base href=/x/>",
                "&#xD800;",
                "&#0;",
                "&eacute;",
                "<p>",
                "<!--",
                "-->",
                "<meta property=\"og:t\" content=\"",
                "\xC3\xA9",
                "\xED\xA0\x80",
                "\xF4\x90\x80\x80",
                "\xC0\xAF",
                "\xEF\xBF\xBD",
                "\xFF",
                "<html lang=",
                "<noscript>",
                "<![CDATA[",
                "<?php",
        };
        static const char *const ctypes[] = {
                NULL,
                "text/html",
                "text/html; charset=utf-8",
                "text/html; charset=iso-8859-1",
                "text/html;charset=shift_jis",
                "text/html; charset=\"utf-16le\"",
                "text/html; charset=bogus",
                "text/html; charset=iso-2022-jp",
                "text/html; charset=gb18030",
                "application/xhtml+xml",
                "text/html; charset=utf-16be",
        };
        unsigned char buf[2048];
        int iter;

        for (iter = 0; iter < 3000; iter++) {
                size_t len = (size_t)(rng() % sizeof(buf)), i = 0;
                int mode = (int)(rng() % 3);
                char *json = NULL;
                yajl_val rec;
                page_t page;

                while (i < len) {
                        if (mode > 0 && rng() % 4 == 0) {
                                const char *p =
                                        pieces[rng() % (sizeof(pieces) /
                                                        sizeof(pieces[0]))];
                                size_t n = strlen(p);

                                if (n > len - i)
                                        n = len - i;
                                memcpy(buf + i, p, n);
                                i += n;
                        } else if (mode == 2) {
                                buf[i++] = (unsigned char)(' ' + rng() % 95);
                        } else {
                                buf[i++] = (unsigned char)rng();
                        }
                }
                page_init(&page, (const char *)buf, len);
                page.content_type =
                        ctypes[rng() % (sizeof(ctypes) / sizeof(ctypes[0]))];
                rec = extract_checked(&page, &json);
                yajl_tree_free(rec);
                free(json);
        }
}

/* ------------------------------------------------------------------ */
/* The SAX path gives the DOM path's records                           */

/* Tag soup from pieces that steer the extraction and libxml2's recovery:
 * implied and misplaced html/head/body, content after </html>, doctypes
 * (the HTML 4.01 strict one changes how blanks in body are classed),
 * unclosed and stray tags, script and style, entities, U+00A0, comments,
 * value-less and repeated attributes, invalid UTF-8. */
static void test_sax_matches_dom(void **state)
{
        static const char *const pieces[] = {
                "<!DOCTYPE html>",
                "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML "
                "4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">",
                "<html lang=\"en-GB\">",
                "<html>",
                "</html>",
                "<head>",
                "</head>",
                "<body>",
                "</body>",
                "<title>",
                "</title>",
                "<base href=\"/b/\">",
                "<base href=//other.test/d/>",
                "<link rel=\"Canonical alternate\" href=\"c#x\">",
                "<meta name=description content=\"  a  b \">",
                "<meta name=ROBOTS content=\"NoIndex, Follow\">",
                "<meta property=\"og:title\" content=\"T\">",
                "<meta name=\"og:image\" content=\"/i.png\">",
                "<meta content=\"x\" property=\"og:title\">",
                "<a href=\"/p?q=1#f\">",
                "<a href=rel/x rel=\"nofollow\">",
                "<a href=\"http://Example.COM:80/./a/../b\">",
                "<a href>",
                "<a href=\"javascript:void(0)\">",
                "<a href=\"  x y \">",
                "<a href=\"../up\" href=\"dup\">",
                "<a name=n>",
                "</a>",
                "<h1>",
                "</h1>",
                "<h3 class=x>",
                "</h3>",
                "<h7>",
                "<img src=\"/i.jpg\" alt=\"A  b\">",
                "<img src=\"\">",
                "<img alt=x src=y.png>",
                "<p>",
                "</p>",
                "<br>",
                "<br/>",
                "<div>",
                "</div>",
                "<span>",
                "</span>",
                "<b>",
                "</b>",
                "<i>",
                "<em>",
                "</em>",
                "<table><tr><td>",
                "</td>",
                "</table>",
                "<ul><li>",
                "<li>",
                "</ul>",
                "<select><option>",
                "<textarea>",
                "</textarea>",
                "<pre>",
                "</pre>",
                "<template>",
                "</template>",
                "<noscript>",
                "</noscript>",
                "<script>var a = '<p>x</p>';",
                "</script>",
                "<script type=\" Application/LD+JSON ; x\">",
                "<script type=application/ld+json>{\"@type\": \"T\", "
                "\"n\": [1, 2.50, true, null]}</script>",
                "<script type=application/ld+json>{bad</script>",
                "<style>p { x: '</p>' }</style>",
                "<style>",
                /* The raw text the parse may do without (pagescan.c's
                 * parse_tree()), and where the record reads it. */
                "<script>a\x01"
                "b\x0b"
                "\xEF\xBF\xBE"
                "c\r\n</script>",
                "<script>x</scripts>y</script>",
                "<script><!-- x --></script>",
                "<script><b>x</b></script>",
                "<SCRIPT src=x>y</SCRIPT >",
                "<style>p{}</STYLE>",
                "<scriptx>",
                "</scriptx>",
                "<div property=\"name\" vocab=\"http://schema.org/\" "
                "typeof=\"Thing\">",
                "<span property=description>",
                "<div itemscope itemtype=\"http://schema.org/Person\">",
                "<span itemprop=author>",
                "<span itemprop=datePublished>",
                "<time>",
                "</time>",
                "<a rel=author>",
                "<!-- c -->",
                "<!--",
                "-->",
                "<![CDATA[ c ]]>",
                "<?pi x?>",
                "&amp;",
                "&nbsp;",
                "&#160;",
                "&lt;a&gt;",
                "&#x1F600;",
                "&#0;",
                "&#xD800;",
                "&bogus;",
                "&amp",
                "\xC2\xA0",
                " ",
                "  ",
                "\n",
                "\t",
                "\r\n",
                "word",
                "Two words",
                "\xC3\xA9t\xC3\xA9",
                "\xFF",
                "\xC0\xAF",
                "\xED\xA0\x80",
                "<",
                ">",
                "</",
                "</x>",
                "<x y=\"z\">",
                "\"",
                "'",
                "=",
                "<frameset>",
                "<frame>",
                "<object>",
                "<p/>",
                /* Attribute values the parse may do without (prescan.h
                 * prescan_page_elide()), put back as each tag opens. */
                "<div class=\"long class list x\" id=\"identifier-1\">",
                "<a href=\"/a/long/path?x=1\" title='quoted > value'>",
                "<p data-x=\"multi\nline value\" data-y=\"a&amp;b value\">",
                "<span class=\"dup dup dup\" CLASS=\"second value\">",
                "<img src=\"/img/long-name.png\" alt=\"alt text here\"/>",
                "<i ;bogus title=\"long title value\">",
                "<b title=\"unterminated long value",
                "<meta name=\"description\" content=\"long meta text\">",
                "<body class=\"body class names\">",
                "<html class=\"html class names\">",
                "<div style=\"display: none\" title=\"hidden title\">",
                "<a href=\"https://other.test/long\" rel=\"nofollow x\">",
                "<span property=\"name\" content=\"long content value\">",
                "<p title=\"\xC3\xA9t\xC3\xA9 long value\" lang=en-GB>",
                "<td colspan=\"2\" title = \"spaced out value\" >",
                "<p title=\"long value\"title=\"no blank between\">",
        };
        static const char *const ctypes[] = {
                NULL,
                "text/html; charset=utf-8",
                "text/html; charset=latin1",
                "application/xhtml+xml",
                "text/plain",
        };
        const size_t n_pieces = sizeof(pieces) / sizeof(pieces[0]);
        char buf[4096];
        int iter, failed = 0;

        /* A script or style whose own attribute makes its text read: an
         * RDFa literal, an itemprop's text. */
        {
                static const char *const own[] = {
                        "<body vocab=\"http://schema.org/\" typeof=Thing><p>"
                        "<script property=\"name\">hello world</script>",
                        "<div itemscope><style itemprop=author>A B</style>",
                };

                for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++) {
                        page_t page;

                        page_init(&page, own[k], strlen(own[k]));
                        if (!sax_matches_dom(&page, own[k]))
                                failed++;
                }
        }
        rng_state = UINT64_C(0x2545F4914F6CDD1D);
        for (iter = 0; iter < 4000 && failed < 5; iter++) {
                size_t len, want = (size_t)(rng() % sizeof(buf));
                char what[64];
                page_t page;

                len = testutil_pieces(buf, sizeof(buf), want, pieces, n_pieces,
                                      &rng_state);
                page_init(&page, buf, len);
                page.url = iter % 7 == 0 ? "https://u:p@example.com:8443/a/b"
                                         : "http://example.com/dir/page.html";
                page.content_type =
                        ctypes[rng() % (sizeof(ctypes) / sizeof(ctypes[0]))];
                snprintf(what, sizeof(what), "random page %d", iter);
                if (!sax_matches_dom(&page, what)) {
                        fprintf(stderr, "    page: %.*s\n", (int)len, buf);
                        failed++;
                }
        }
        assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* Caps                                                                */

static void test_caps(void **state)
{
        size_t cap = 8 * 1024 * 1024, len = 0, i;
        char *html = malloc(cap), *json = NULL;
        yajl_val rec, v;
        page_t page;

        assert_non_null(html);
        len += (size_t)snprintf(html + len, cap - len, "<body>");
        for (i = 0; i < 12000; i++)
                len += (size_t)snprintf(html + len, cap - len,
                                        "<a href=\"/l/%zu\">l</a> ", i);
        for (i = 0; i < 1500; i++)
                len += (size_t)snprintf(html + len, cap - len,
                                        "<img src=\"/i/%zu.png\"><h2>h</h2>",
                                        i);
        for (i = 0; i < 150; i++)
                len += (size_t)snprintf(html + len, cap - len,
                                        "<script type=\"application/ld+json\">"
                                        "{\"n\": %zu}</script>",
                                        i);
        /* Over 1 MiB of two-byte characters: cut at a character boundary. */
        for (i = 0; i < 700000 && len + 2 < cap; i++) {
                html[len++] = '\xC3';
                html[len++] = '\xA9';
        }
        len += (size_t)snprintf(html + len, cap - len, " tail</body>");
        page_init(&page, html, len);
        rec = extract_checked(&page, &json);
        v = tree_get(rec, "links");
        assert_int_equal(v->u.array.len, EXTRACT_LINKS_MAX);
        v = tree_get(rec, "images");
        assert_int_equal(v->u.array.len, EXTRACT_IMAGES_MAX);
        v = tree_get(rec, "headings");
        assert_int_equal(v->u.array.len, EXTRACT_HEADINGS_MAX);
        v = tree_get(rec, "json_ld");
        assert_int_equal(v->u.array.len, EXTRACT_JSONLD_MAX);
        assert_true(strlen(tree_str(rec, "text")) <= EXTRACT_TEXT_MAX);
        assert_true(YAJL_IS_TRUE(tree_get(rec, "text_truncated")));
        /* word_count counts past the cut: l×12000 + h×1500 + é… + tail */
        v = tree_get(rec, "word_count");
        assert_int_equal(YAJL_GET_INTEGER(v), 12000 + 1500 + 1 + 1);
        /* Each list cut at its cap is named in `capped`. */
        v = tree_get(rec, "capped");
        assert_non_null(v);
        assert_true(YAJL_IS_ARRAY(v));
        assert_int_equal(v->u.array.len, 4);
        assert_string_equal(YAJL_GET_STRING(v->u.array.values[0]), "links");
        assert_string_equal(YAJL_GET_STRING(v->u.array.values[1]), "images");
        assert_string_equal(YAJL_GET_STRING(v->u.array.values[2]), "headings");
        assert_string_equal(YAJL_GET_STRING(v->u.array.values[3]), "json_ld");
        yajl_tree_free(rec);
        free(json);

        /* Exactly at the caps: nothing cut, no `capped`. */
        len = 0;
        len += (size_t)snprintf(html + len, cap - len, "<body>");
        for (i = 0; i < EXTRACT_HEADINGS_MAX; i++)
                len += (size_t)snprintf(html + len, cap - len,
                                        "<img src=\"/i/%zu.png\"><h2>h</h2>"
                                        "<a href=\"/l/%zu\">l</a>",
                                        i, i);
        len += (size_t)snprintf(html + len, cap - len, "</body>");
        page_init(&page, html, len);
        rec = extract_checked(&page, &json);
        assert_int_equal(tree_get(rec, "headings")->u.array.len,
                         EXTRACT_HEADINGS_MAX);
        assert_null(tree_get(rec, "capped"));
        yajl_tree_free(rec);
        free(json);
        free(html);
}

/* ------------------------------------------------------------------ */
/* UTF-8 repair and charset detection                                  */

static void test_utf8_repair(void **state)
{
        static const struct {
                const char *in;
                size_t len;
                const char *out;
        } cases[] = {
                { "ok caf\xC3\xA9", 8, "ok caf\xC3\xA9" },
                { "\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD" }, /* overlong */
                { "\xED\xA0\x80", 3,                           /* surrogate */
                  "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
                { "\xF4\x90\x80\x80", 4, /* > 10FFFF */
                  "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
                { "a\xE2\x82", 3, "a\xEF\xBF\xBD" }, /* cut off */
                { "\xE2\x82(", 3, "\xEF\xBF\xBD(" },
                { "\xF0\x9F\x98\x80", 4, "\xF0\x9F\x98\x80" }, /* U+1F600 */
                { "a\0b", 3,
                  "a\xEF\xBF\xBD"
                  "b" }, /* NUL */
        };
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *out = NULL;
                size_t out_len = 0;

                assert_int_equal(
                        utf8_repair((const unsigned char *)cases[i].in,
                                    cases[i].len, UTF8_REPAIR_NUL, &out,
                                    &out_len),
                        0);
                assert_int_equal(out_len, strlen(cases[i].out));
                assert_memory_equal(out, cases[i].out, out_len);
                free(out);
        }
        assert_int_equal(
                utf8_valid_prefix((const unsigned char *)"abc\xC3\xA9\xFF", 6),
                5);
}

static void test_charset_detection(void **state)
{
        static const char p1[] =
                "<!-- <meta charset=koi8-r> -->"
                "<div title='<meta charset=x>'>"
                "<META HTTP-EQUIV=\"Content-Type\" "
                "CONTENT=\"text/html; charset='Windows-1251'\">";
        static const char p2[] = "<meta content=\"text/html; charset=utf-8\">"
                                 "<meta charset=\"UTF-16LE\">";
        static const char p3[] =
                "<meta content=\"text/html; charset=koi8-r\">";
        char label[64];

        assert_true(charset_from_content_type(
                "text/html; Charset=\"ISO-8859-2\"", label, sizeof(label)));
        assert_string_equal(label, "iso-8859-2");
        assert_false(
                charset_from_content_type("text/html", label, sizeof(label)));
        assert_false(charset_from_content_type("text/html; charset=../../x",
                                               label, sizeof(label)));
        assert_true(charset_prescan((const unsigned char *)p1, sizeof(p1) - 1,
                                    label, sizeof(label)));
        assert_string_equal(label, "windows-1251");
        /* content= without http-equiv does not count; UTF-16 means UTF-8 */
        assert_true(charset_prescan((const unsigned char *)p2, sizeof(p2) - 1,
                                    label, sizeof(label)));
        assert_string_equal(label, "utf-8");
        assert_false(charset_prescan((const unsigned char *)p3, sizeof(p3) - 1,
                                     label, sizeof(label)));
}

static int setup(void **state)
{
        xmlarena_setup(); /* and xmlInitParser() */
        return 0;
}

static int teardown(void **state)
{
        xmlCleanupParser();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_utf8_repair),
                cmocka_unit_test(test_charset_detection),
                cmocka_unit_test(test_data_cases),
                cmocka_unit_test(test_passthrough),
                cmocka_unit_test(test_random_bytes),
                cmocka_unit_test(test_sax_matches_dom),
                cmocka_unit_test(test_caps),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
