/*
 * test_cleaner_prescan.c — the attribute pre-scan (cleaner/prescan.c):
 * its counts on hand-written tags, and, on random tag soup, that it never
 * counts fewer attributes in a tag than libxml2's HTML parser hands to its
 * startElement callback (the bound it exists for).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include "../../cleaner/prescan.h"
#include "testutil.h"

static size_t scan(const char *s, size_t *at)
{
        return prescan_max_attributes(s, strlen(s), 1000, at);
}

static void test_counts(void **state)
{
        size_t at = 99;

        assert_int_equal(scan("", NULL), 0);
        assert_int_equal(scan("no tags at all", NULL), 0);
        assert_int_equal(scan("<p>x</p>", NULL), 0);
        assert_int_equal(scan("<p a=1 b='2' c=\"3\" d>", NULL), 4);
        /* The most attributes wins, and where it is. */
        assert_int_equal(scan("<b x><i a b c>", &at), 3);
        assert_int_equal(at, 5);
        /* Blanks around '=', values without blanks between them. */
        assert_int_equal(scan("<p a = \"1\"b='2'c=3 >", NULL), 3);
        /* A quoted value holds blanks and '>'. */
        assert_int_equal(scan("<p title=\"x > y z w\" id=a>", NULL), 2);
        /* A token that is no name is skipped to the next blank, and a
         * name ends at the first other character. */
        assert_int_equal(scan("<p ;b=\"x y z\" a;c d>", NULL), 4);
        /* A name over libxml2's 100-character buffer is several. */
        {
                char tag[400];

                memset(tag, 'a', sizeof(tag));
                memcpy(tag, "<p ", 3);
                tag[3 + 250] = '>';
                tag[3 + 251] = '\0';
                assert_int_equal(scan(tag, NULL), 3);
        }
}

static void test_not_tags(void **state)
{
        /* Comments, declarations, PIs, end tags and script text are not
         * start tags; the start tags after them are. */
        assert_int_equal(scan("<!-- <p a b c> --><i x>", NULL), 1);
        assert_int_equal(scan("<?pi <p a b c>?><i x>", NULL), 1);
        assert_int_equal(scan("<!DOCTYPE html><i x>", NULL), 1);
        assert_int_equal(scan("</p a b c d><i x>", NULL), 1);
        assert_int_equal(
                scan("<script>var s = '<p a b c>';</script><i x>", NULL), 1);
        assert_int_equal(scan("<STYLE>x{}<p a b c></style ><i x>", NULL), 1);
        /* Self-closed script: no raw text follows. */
        assert_int_equal(scan("<script/><p a b c>", NULL), 3);
        /* "</" not followed by a name is text; the tag after counts. */
        assert_int_equal(scan("</1 <p a b>", NULL), 2);
        /* '<' and no letter: text. */
        assert_int_equal(scan("a < b <.p x y> <_p x y>", NULL), 0);
        /* An unterminated comment hides nothing from the scan. */
        assert_int_equal(scan("<!-- x", NULL), 0);
}

static void test_stops_at_cap(void **state)
{
        size_t n = 300000, len = 0, at = 7;
        char *s = malloc(n * 12 + 16);

        assert_non_null(s);
        memcpy(s, "<p", 2);
        len = 2;
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(s + len, 16, " a%zu=1", i);
        s[len++] = '>';
        assert_true(prescan_max_attributes(s, len, 1000, &at) > 1000);
        assert_int_equal(at, 0);
        assert_int_equal(prescan_max_attributes(s, len, n, NULL), n);
        free(s);
}

/* ------------------------------------------------------------------ */
/* Never fewer than libxml2                                            */

/* Random soup of the constructs the scan follows. Left out are the
 * recovery paths prescan.c lists as not followed exactly (a misplaced
 * DOCTYPE, end tags in script or style text, whose effect depends on
 * the elements open around them, a PI target that is not ASCII); script
 * and style are in test_not_tags() instead. */

static size_t sax_max;

static void count_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
        size_t n = 0;

        while (atts != NULL && atts[2 * n] != NULL)
                n++;
        if (n > sax_max)
                sax_max = n;
}

static size_t libxml2_max_attributes(const char *s, size_t len)
{
        htmlSAXHandler sax;

        memset(&sax, 0, sizeof(sax));
        sax.startElement = count_start;
        sax.initialized = 1;
        sax_max = 0;
        if (len == 0)
                return 0;
        {
                htmlParserCtxtPtr ctxt =
                        htmlCreateMemoryParserCtxt(s, (int)len);

                assert_non_null(ctxt);
                memcpy(ctxt->sax, &sax, sizeof(xmlSAXHandlerV1));
                htmlCtxtUseOptions(
                        ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                      HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
                htmlParseDocument(ctxt);
                if (ctxt->myDoc)
                        xmlFreeDoc(ctxt->myDoc);
                ctxt->myDoc = NULL;
                xmlFreeParserCtxt(ctxt);
        }
        return sax_max;
}

static uint64_t rng_state = UINT64_C(0x853C49E6748FEA9B);

/* The test's sequence: testutil_rng() on this file's seed. */
static uint64_t rng(void)
{
        return testutil_rng(&rng_state);
}

static void test_never_fewer_than_libxml2(void **state)
{
        static const char *const pieces[] = {
                "<p",
                "<P",
                "<!--",
                "-->",
                "<!",
                "<?",
                "?>",
                "<",
                ">",
                "/>",
                "/",
                " ",
                "\n",
                "\t",
                "=",
                "\"",
                "'",
                "a",
                "b1",
                "_e",
                ":f",
                ".g",
                "1",
                ";",
                "&amp;",
                "x=\"y z\"",
                "x='<p a b>'",
                "<i a b c d e f g h>",
                "<br/>",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        };
        const size_t n_pieces = sizeof(pieces) / sizeof(pieces[0]);
        char buf[2048];
        int iter, failed = 0;

        for (iter = 0; iter < 20000 && failed < 5; iter++) {
                size_t len, want = (size_t)(rng() % sizeof(buf));
                size_t ours, theirs;

                len = testutil_pieces(buf, sizeof(buf), want, pieces, n_pieces,
                                      &rng_state);
                ours = prescan_max_attributes(buf, len, 1000000, NULL);
                theirs = libxml2_max_attributes(buf, len);
                if (ours < theirs) {
                        fprintf(stderr,
                                "  pre-scan %zu < libxml2 %zu: "
                                "%.*s\n",
                                ours, theirs, (int)len, buf);
                        failed++;
                }
        }
        assert_int_equal(failed, 0);
}

static unsigned found_in(const char *s)
{
        unsigned found;

        prescan_page(s, strlen(s), 1000, NULL, &found);
        return found;
}

/* PRESCAN_MF: a class token that is a microformats root (mf2py's h-*
 * grammar, or a classic root), in any quoting; not other classes, nor a
 * root name in another attribute or in text. */
static void test_microformats_flag(void **state)
{
        (void)state;
        assert_true(found_in("<div class=\"x h-card\">") & PRESCAN_MF);
        assert_true(found_in("<div class='a  h-review-aggregate'>") &
                    PRESCAN_MF);
        assert_true(found_in("<p class=vcard>") & PRESCAN_MF);
        assert_true(found_in("<p CLASS=\"hentry\">") & PRESCAN_MF);
        assert_true(found_in("<p class=\"h-x-y h-100-ab\">") & PRESCAN_MF);
        assert_false(found_in("<div class=\"h-100 h- hx-card H-card\">") &
                     PRESCAN_MF);
        assert_false(found_in("<div class=\"vcards p-name\">") & PRESCAN_MF);
        assert_false(found_in("<div id=\"h-card\">h-card vcard</div>") &
                     PRESCAN_MF);
        assert_false(found_in("<!-- <p class=h-card> -->") & PRESCAN_MF);
}

/* The values prescan_page_elide() lists in s: "from-to@end/natts#index"
 * for each, space-separated, into out. */
static void values_in(const char *s, char *out, size_t out_size)
{
        prescan_values_t v = { 0 };
        size_t at, used = 0;
        unsigned found;

        prescan_page_elide(s, strlen(s), 1000, &at, &found, NULL, &v);
        assert_false(v.oom);
        out[0] = '\0';
        for (size_t t = 0; t < v.tags_n; t++)
                for (size_t k = 0; k < v.tags[t].n; k++) {
                        const prescan_value_t *pv = &v.v[v.tags[t].first + k];

                        used += (size_t)snprintf(out + used, out_size - used,
                                                 "%s%zu-%zu@%zu/%u#%u",
                                                 used ? " " : "", pv->from,
                                                 pv->to, v.tags[t].end,
                                                 v.tags[t].natts, pv->index);
                        assert_true(used < out_size);
                }
        prescan_values_free(&v);
}

static void test_values_listed(void **state)
{
        char got[512];

        (void)state;
        /* Quoted, at least PRESCAN_VALUE_MIN bytes: listed, with where the
         * tag's attributes end ('>' or the '/' of "/>"). */
        values_in("<p a=\"12345678\" b='1234567890'>", got, sizeof(got));
        assert_string_equal(got, "6-14@30/2#0 19-29@30/2#1");
        values_in("<img x src=\"12345678\" />", got, sizeof(got));
        assert_string_equal(got, "12-20@22/2#1");
        /* Too short, unquoted, with '&' or NUL: not listed; the others of
         * the tag are. */
        values_in("<p a=\"1234567\" b=12345678 c=\"x&amp;yyyyy\" "
                  "d=\"12345678\">",
                  got, sizeof(got));
        assert_string_equal(got, "45-53@54/4#3");
        /* Not at all in a tag with a name twice (any case), a token that is
         * no name, an unterminated value, a name of 100 characters, or in
         * html, head, body and meta. */
        values_in("<p a=\"12345678\" A=\"12345678\">", got, sizeof(got));
        assert_string_equal(got, "");
        values_in("<p ;x a=\"12345678\">", got, sizeof(got));
        assert_string_equal(got, "");
        values_in("<p a=\"12345678\" b=\"12345678", got, sizeof(got));
        assert_string_equal(got, "");
        values_in("<body class=\"12345678\"><META content=\"12345678\">", got,
                  sizeof(got));
        assert_string_equal(got, "");
        {
                char tag[200];

                memset(tag, 'n', sizeof(tag));
                memcpy(tag, "<p a=\"12345678\" ", 16);
                memcpy(tag + 16 + 100, "=\"12345678\">", 13); /* and its NUL */
                values_in(tag, got, sizeof(got));
                assert_string_equal(got, "");
                tag[16 + 99] = ' '; /* 99 characters: listed */
                values_in(tag, got, sizeof(got));
                assert_string_equal(got, "6-14@127/2#0 118-126@127/2#1");
        }
        /* Nothing in comments or script text. */
        values_in("<!-- <p a=\"12345678\"> --><script>\"<p a=\"12345678\">"
                  "</script>",
                  got, sizeof(got));
        assert_string_equal(got, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counts),
                cmocka_unit_test(test_not_tags),
                cmocka_unit_test(test_stops_at_cap),
                cmocka_unit_test(test_never_fewer_than_libxml2),
                cmocka_unit_test(test_microformats_flag),
                cmocka_unit_test(test_values_listed),
        };

        xmlInitParser();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
