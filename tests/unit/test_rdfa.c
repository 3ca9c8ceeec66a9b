/*
 * test_rdfa.c — the RDFa processor (cleaner/rdfa.h) alone: its rules one
 * by one on small pages (the output is deterministic: nodes in document
 * order of their first triple, values in document order), and the bad
 * inputs (typeof nested 100,000 deep, a million properties, huge
 * attributes, a long prefix chain) bounded in time and output, with their
 * error counts. tests/data/rdfa/ holds the cases compared with extruct
 * (tests/structured/test_rdfa_cases.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <libxml/HTMLparser.h>
#include <yajl/yajl_gen.h>

#include "rdfa.h"
#include "url.h"

/* Appends to buf (cap bytes) at *k, as snprintf. */
static void put(char *buf, size_t cap, size_t *k, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf + *k, cap - *k, fmt, ap);
        va_end(ap);
        assert_true(n >= 0 && (size_t)n < cap - *k);
        *k += (size_t)n;
}

static double cpu_seconds(void)
{
        return (double)clock() / CLOCKS_PER_SEC;
}

/* As the cleaner parses a page: no depth limit (XML_PARSE_HUGE). */
static htmlDocPtr parse(const char *html, size_t len)
{
        htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(html, (int)len);
        htmlDocPtr doc;

        assert_non_null(ctxt);
        htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                         HTML_PARSE_NOWARNING |
                                         HTML_PARSE_NONET |
                                         HTML_PARSE_COMPACT);
        ctxt->options |= XML_PARSE_HUGE;
        htmlParseDocument(ctxt);
        doc = ctxt->myDoc;
        htmlFreeParserCtxt(ctxt);
        assert_non_null(doc);
        return doc;
}

/* The page's RDFa as JSON text (caller frees). */
static char *rdfa_of(const char *html, size_t len, rdfa_stats_t *st)
{
        htmlDocPtr doc = parse(html, len);
        yajl_gen g = yajl_gen_alloc(NULL);
        url_t *base = NULL;
        const unsigned char *buf;
        size_t blen;
        char *out;

        assert_non_null(g);
        assert_int_equal(url_parse("http://example.com/dir/page.html", NULL,
                                   &base, NULL, 0),
                         URL_OK);
        assert_int_equal(rdfa_write(g, doc, base, NULL, st), 0);
        assert_int_equal(yajl_gen_get_buf(g, &buf, &blen), yajl_gen_status_ok);
        out = strndup((const char *)buf, blen);
        yajl_gen_free(g);
        url_destroy(base);
        xmlFreeDoc(doc);
        return out;
}

static void check(const char *html, const char *want)
{
        rdfa_stats_t st;
        char *got = rdfa_of(html, strlen(html), &st);

        if (strcmp(got, want) != 0)
                fail_msg("page %s\n  got  %s\n  want %s", html, got, want);
        assert_int_equal(st.errors, 0);
        free(got);
}

#define DOC "\"@id\":\"http://example.com/dir/page.html\""
#define SCHEMA "http://schema.org/"

static void test_rdfa_lite(void **state)
{
        (void)state;
        /* No RDFa attribute: nothing. */
        check("<p>hello <a href=x>x</a></p>", "[]");
        /* vocab, typeof (a blank node), property: text, href. */
        check("<div vocab=\"http://schema.org/\" typeof=Person>"
              "<span property=name>Ann</span>"
              "<a property=url href=/ann>me</a></div>",
              "[{" DOC ",\"http://www.w3.org/ns/rdfa#usesVocabulary\":"
              "[{\"@id\":\"" SCHEMA "\"}]},"
              "{\"@id\":\"_:b0\",\"@type\":[\"" SCHEMA "Person\"],"
              "\"" SCHEMA "name\":[{\"@value\":\"Ann\"}],"
              "\"" SCHEMA "url\":[{\"@id\":\"http://example.com/ann\"}]}]");
        /* resource names the subject; an undefined term makes nothing. */
        check("<p prefix=\"s: http://schema.org/\" resource=#me "
              "typeof=s:Person><span property=s:name>A</span>"
              "<span property=nope>B</span></p>",
              "[{\"@id\":\"http://example.com/dir/page.html#me\","
              "\"@type\":[\"" SCHEMA "Person\"],"
              "\"" SCHEMA "name\":[{\"@value\":\"A\"}]}]");
}

static void test_rdfa_literals(void **state)
{
        (void)state;
        /* content wins over text; datatype; xsd:integer is a number,
         * its digits as Python writes them; xml:lang applies, lang does
         * not (host language RDFa Core, as extruct runs it). */
        check("<div xml:lang=EN><meta property=og:title content=T>"
              "<span property=\"http://x/n\" datatype=xsd:integer>"
              "007</span><span lang=de property=\"http://x/d\" "
              "datatype=xsd:double>1e3</span>"
              "<i property=\"http://x/b\" datatype=xsd:boolean>True</i>"
              "</div>",
              "[{" DOC ",\"http://ogp.me/ns#title\":[{\"@language\":\"en\","
              "\"@value\":\"T\"}],\"http://x/n\":[{\"@type\":"
              "\"http://www.w3.org/2001/XMLSchema#integer\",\"@value\":7}],"
              "\"http://x/d\":[{\"@type\":"
              "\"http://www.w3.org/2001/XMLSchema#double\","
              "\"@value\":1000.0}],\"http://x/b\":[{\"@type\":"
              "\"http://www.w3.org/2001/XMLSchema#boolean\","
              "\"@value\":true}]}]");
        /* A text literal is every text below, comments too; CR LF is LF;
         * an ill-formed integer stays a string. */
        check("<p property=\"http://x/t\">a<!--c-->b<b>\r\nc</b></p>"
              "<p property=\"http://x/i\" datatype=xsd:integer>1.5</p>",
              "[{" DOC ",\"http://x/t\":[{\"@value\":\"acb\\nc\"}],"
              "\"http://x/i\":[{\"@type\":"
              "\"http://www.w3.org/2001/XMLSchema#integer\","
              "\"@value\":\"1.5\"}]}]");
        /* An XML literal: children serialised, each child's tail twice
         * (lxml's tostring() keeps it, as in extruct). */
        check("<p property=\"http://x/x\" datatype=rdf:XMLLiteral>"
              "a<b c='1&amp;'>d</b>e</p>",
              "[{" DOC ",\"http://x/x\":[{\"@type\":"
              "\"http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral\","
              "\"@value\":\"a<b c=\\\"1&amp;\\\">d</b>ee\"}]}]");
        /* The same triple twice is one. */
        check("<meta property=og:x content=1><meta property=og:x content=1>",
              "[{" DOC ",\"http://ogp.me/ns#x\":[{\"@value\":\"1\"}]}]");
}

static void test_rdfa_rel_rev(void **state)
{
        (void)state;
        /* rel with an object; rev; a hanging rel completed by each child
         * that sets a subject. */
        check("<div about=/a rel=\"http://x/knows\" href=/b></div>"
              "<div about=/a rev=\"http://x/by\" resource=/c></div>"
              "<div about=/a rel=\"http://x/has\">"
              "<span about=/d></span><span about=/e></span></div>",
              "[{\"@id\":\"http://example.com/a\","
              "\"http://x/knows\":[{\"@id\":\"http://example.com/b\"}],"
              "\"http://x/has\":[{\"@id\":\"http://example.com/d\"},"
              "{\"@id\":\"http://example.com/e\"}]},"
              "{\"@id\":\"http://example.com/c\","
              "\"http://x/by\":[{\"@id\":\"http://example.com/a\"}]}]");
        /* Terms of the initial context; rel values that are not terms,
         * CURIEs or absolute IRIs make nothing. */
        check("<link rel=\"stylesheet license\" href=l.css>"
              "<link rel=https://api.w.org/ href=/j>",
              "[{" DOC ",\"http://www.w3.org/1999/xhtml/vocab#license\":"
              "[{\"@id\":\"http://example.com/dir/l.css\"}],"
              "\"https://api.w.org/\":[{\"@id\":\"http://example.com/j\"}]}]");
        /* role: xhv:role of the element (its id, else a blank node). */
        check("<nav role=navigation id=n></nav>",
              "[{\"@id\":\"http://example.com/dir/page.html#n\","
              "\"http://www.w3.org/1999/xhtml/vocab#role\":"
              "[{\"@id\":\"http://www.w3.org/1999/xhtml/vocab#navigation\"}]}]");
}

static void test_rdfa_lists_prefixes(void **state)
{
        (void)state;
        /* inlist: the values in document order as one RDF list. */
        check("<p about=/s><span property=\"http://x/l\" inlist>1</span>"
              "<span property=\"http://x/l\" inlist>2</span>"
              "<span rel=\"http://x/e\" inlist></span></p>",
              "[{\"@id\":\"http://example.com/s\","
              "\"http://x/l\":[{\"@list\":[{\"@value\":\"1\"},"
              "{\"@value\":\"2\"}]}],\"http://x/e\":[{\"@list\":[]}]}]");
        /* prefix: pairs read from the end (an earlier one wins), names
         * case-insensitive; xmlns: declares too; a safe CURIE; "_:"
         * names a blank node. */
        check("<div prefix=\"a: http://one/ A: http://two/\" "
              "xmlns:b=\"http://b/\">"
              "<i about=\"[b:x]\" property=a:p>v</i>"
              "<i about=\"_:n\" property=b:q>w</i></div>",
              "[{\"@id\":\"http://b/x\",\"http://one/p\":"
              "[{\"@value\":\"v\"}]},"
              "{\"@id\":\"_:b0\",\"http://b/q\":[{\"@value\":\"w\"}]}]");
        /* RDFa 1.0 by <html version>: no initial context, a property
         * holding elements is an XML literal. */
        check("<html version=\"XHTML+RDFa 1.0\" xmlns:d=\"http://d/\">"
              "<body><p property=d:t><b>x</b></p>"
              "<p property=og:title>y</p></body></html>",
              "[{" DOC ",\"http://d/t\":[{\"@type\":"
              "\"http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral\","
              "\"@value\":\"<b xmlns:d=\\\"http://d/\\\">x</b>\"}]}]");
}

/* n copies of open, then n of close. */
static char *nested(const char *open, const char *mid, const char *close,
                    size_t n, size_t *len)
{
        size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
        char *html = malloc(n * (lo + lc) + lm + 1), *p = html;

        assert_non_null(html);
        for (size_t i = 0; i < n; i++, p += lo)
                memcpy(p, open, lo);
        memcpy(p, mid, lm);
        p += lm;
        for (size_t i = 0; i < n; i++, p += lc)
                memcpy(p, close, lc);
        *p = '\0';
        *len = (size_t)(p - html);
        return html;
}

static void test_rdfa_deep(void **state)
{
        size_t len;
        char *html = nested("<div typeof=schema:Thing property=schema:name>",
                            "x", "</div>", 100000, &len),
             *got;
        rdfa_stats_t st;
        double t0 = cpu_seconds();

        (void)state;
        got = rdfa_of(html, len, &st);
        /* Bounded: no recursion; nesting past RDFA_DEPTH_MAX is not read
         * (counted), and each property's text walk spends the budget. */
        assert_true(st.triples > 0);
        assert_true(st.triples <= RDFA_TRIPLES_MAX);
        assert_int_equal(st.capped, 1);
        assert_true(st.errors >= 1);
        assert_true(strlen(got) < 64u * 1024 * 1024);
        assert_true(cpu_seconds() - t0 < 30.0);
        free(got);
        free(html);
}

static void test_rdfa_million_properties(void **state)
{
        size_t n = 1000000, len;
        char *html = nested("", "", "<b property=\"http://x/p\">x</b>", n,
                            &len),
             *got;
        char *page = malloc(len + 64);
        rdfa_stats_t st;
        double t0 = cpu_seconds();

        (void)state;
        assert_non_null(page);
        len = 0;
        put(page, len + 64 + strlen(html), &len, "<div about=/s>%s</div>",
            html);
        got = rdfa_of(page, len, &st);
        /* A million elements with the same triple: one triple, the work
         * bounded. */
        assert_true(st.triples >= 1);
        assert_true(st.triples <= 2);
        assert_true(cpu_seconds() - t0 < 30.0);
        free(got);
        free(html);
        free(page);
        /* A million different values: the triple cap cuts them. */
        {
                size_t cap = n * 48 + 64, k = 0;

                page = malloc(cap);
                assert_non_null(page);
                put(page, cap, &k, "<div about=/s>");
                for (size_t i = 0; i < n; i++)
                        put(page, cap, &k, "<b property=p:p content=v%zu></b>",
                            i);
                put(page, cap, &k, "</div>");
                t0 = cpu_seconds();
                got = rdfa_of(page, k, &st);
                assert_int_equal(st.triples, RDFA_TRIPLES_MAX);
                assert_int_equal(st.capped, 1);
                assert_true(cpu_seconds() - t0 < 30.0);
                free(got);
                free(page);
        }
}

static void test_rdfa_huge_attributes(void **state)
{
        size_t n = 20u * 1024 * 1024, k = 0, cap = n * 2 + 4096;
        char *page = malloc(cap), *got;
        rdfa_stats_t st;
        double t0 = cpu_seconds();

        (void)state;
        assert_non_null(page);
        /* A 20 MB content, href, xmlns IRI and prefix attribute. */
        put(page, cap, &k, "<div about=/s><meta property=og:a content=\"");
        memset(page + k, 'a', n);
        k += n;
        put(page, cap, &k, "\"><a property=og:b href=\"/");
        memset(page + k, 'b', n / 4);
        k += n / 4;
        put(page, cap, &k, "\"></a><p xmlns:z=\"http://");
        memset(page + k, 'c', n / 4);
        k += n / 4;
        put(page, cap, &k, "\" prefix=\"");
        for (size_t i = 0; i < n / 4 / 8; i++)
                put(page, cap, &k, "p: u%02zu ", i % 100);
        put(page, cap, &k, "\"><i property=z:x>1</i></p></div>");
        got = rdfa_of(page, k, &st);
        /* The literal is cut at RDFA_LITERAL_MAX; the IRIs past
         * RDFA_IRI_MAX, the prefix pairs past 2,000 are left out. */
        assert_int_equal(st.capped, 1);
        assert_true(st.errors >= 3);
        assert_true(strlen(got) < 2u * RDFA_LITERAL_MAX);
        assert_non_null(strstr(got, "http://ogp.me/ns#a"));
        assert_true(cpu_seconds() - t0 < 30.0);
        free(got);
        free(page);
}

static void test_rdfa_prefix_chain(void **state)
{
        /* 8,000 nested prefix declarations, then 100,000 CURIEs of an
         * undeclared prefix: each lookup walks the chain, within the
         * work budget. */
        size_t len, k, cap;
        char *html = nested("<div prefix=\"p: http://p/ r: http://r/\">", "",
                            "</div>", 4000, &len),
             *page, *got;
        rdfa_stats_t st;
        double t0 = cpu_seconds();

        (void)state;
        cap = len + 100000 * 40 + 64;
        page = malloc(cap);
        assert_non_null(page);
        k = len - 4000 * 6;
        memcpy(page, html, k);
        for (size_t i = 0; i < 100000; i++)
                put(page, cap, &k, "<b property=q:x>y</b>");
        for (size_t i = 0; i < 4000; i++, k += 6)
                memcpy(page + k, "</div>", 6);
        got = rdfa_of(page, k, &st);
        assert_int_equal(st.capped, 1);
        assert_true(cpu_seconds() - t0 < 30.0);
        free(got);
        free(page);
        free(html);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rdfa_lite),
                cmocka_unit_test(test_rdfa_literals),
                cmocka_unit_test(test_rdfa_rel_rev),
                cmocka_unit_test(test_rdfa_lists_prefixes),
                cmocka_unit_test(test_rdfa_deep),
                cmocka_unit_test(test_rdfa_million_properties),
                cmocka_unit_test(test_rdfa_huge_attributes),
                cmocka_unit_test(test_rdfa_prefix_chain),
        };

        xmlInitParser();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
