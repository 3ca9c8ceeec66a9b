/*
 * test_structured.c — the structured-data modules alone: the JSON-LD
 * repairs, one by one; and the bad inputs (nesting 100,000 deep, a 50 MB
 * block, itemscope nested 100,000 deep, itemref cycles, a million
 * properties) bounded, without a crash, with their error counts.
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

#include "jsonld.h"
#include "microdata.h"
#include "microformats.h"
#include "opengraph.h"
#include "prescan.h"
#include "product.h"

/* The JSON-LD block's values as one JSON array text (caller frees), and
 * jsonld_write()'s return in *rc. */
static char *jsonld_array(const char *block, size_t len, int *rc)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t buf_len, written;
        char *out;

        assert_non_null(g);
        assert_int_equal(yajl_gen_array_open(g), yajl_gen_status_ok);
        *rc = jsonld_write(g, (const unsigned char *)block, len, &written);
        assert_int_equal(yajl_gen_array_close(g), yajl_gen_status_ok);
        assert_int_equal(yajl_gen_get_buf(g, &buf, &buf_len),
                         yajl_gen_status_ok);
        out = strndup((const char *)buf, buf_len);
        yajl_gen_free(g);
        return out;
}

static void check_block(const char *block, int want_rc, const char *want)
{
        int rc;
        char *got = jsonld_array(block, strlen(block), &rc);

        if (rc != want_rc || strcmp(got, want) != 0)
                fail_msg("block %s\n  got rc %d %s\n want rc %d %s", block, rc,
                         got, want_rc, want);
        free(got);
}

static void test_jsonld_repairs(void **state)
{
        (void)state;
        /* Valid JSON is kept as it is. */
        check_block("{\"a\": [1, 2.50, \"x\"]}", 0,
                    "[{\"a\":[1,2.50,\"x\"]}]");
        /* HTML comment and CDATA wrappers, a BOM. */
        check_block("<!-- {\"a\":1} -->", 0, "[{\"a\":1}]");
        check_block("<![CDATA[ {\"a\":1} ]]>", 0, "[{\"a\":1}]");
        check_block("\xEF\xBB\xBF{\"a\":1}", 0, "[{\"a\":1}]");
        /* A comment holding text before the value. */
        check_block("<!-- said hello -->{\"a\":1}", 0, "[{\"a\":1}]");
        /* Line and block comments, not inside strings. */
        check_block("{\"a\": 1, // one\n \"b\": \"//x\" /* two */}", 0,
                    "[{\"a\":1,\"b\":\"//x\"}]");
        /* Trailing commas. */
        check_block("{\"a\": [1, 2, ], }", 0, "[{\"a\":[1,2]}]");
        /* Raw control characters inside strings. */
        check_block("{\"a\": \"x\ny\tz\x01\"}", 0,
                    "[{\"a\":\"x\\ny\\tz\\u0001\"}]");
        /* Escapes JSON has no use for. */
        check_block("{\"a\": \"Bob\\'s \\x41 c:\\videos\"}", 0,
                    "[{\"a\":\"Bob's A c:\\\\videos\"}]");
        /* Trailing junk; several values. */
        check_block("{\"a\":1}};", 0, "[{\"a\":1}]");
        check_block("{\"a\":1} oops", 0, "[{\"a\":1}]");
        check_block("{\"a\":1}{\"b\":2}", 0, "[{\"a\":1},{\"b\":2}]");
        /* HTML-escaped quotes. */
        check_block("{&quot;a&quot;:&quot;x &amp; y&quot;}", 0,
                    "[{\"a\":\"x & y\"}]");
        /* Empty and null blocks: no value, no error. */
        check_block("   \n ", 0, "[]");
        check_block("null", 0, "[]");
        check_block("false", 0, "[]");
        check_block("{}", 0, "[]");
        /* Invalid: truncated, not JSON at all. */
        check_block("{\"a\": ", 1, "[]");
        check_block("hello world", 1, "[]");
        check_block("{\"a\": \"unterminated}", 1, "[]");
}

static char *repeat(const char *open, const char *close, size_t n)
{
        size_t lo = strlen(open), lc = strlen(close), i;
        char *s = malloc(n * (lo + lc) + 1), *p = s;

        assert_non_null(s);
        for (i = 0; i < n; i++, p += lo)
                memcpy(p, open, lo);
        for (i = 0; i < n; i++, p += lc)
                memcpy(p, close, lc);
        *p = '\0';
        return s;
}

static double cpu_seconds(void)
{
        return (double)clock() / CLOCKS_PER_SEC;
}

static void test_jsonld_deep_and_large(void **state)
{
        char *deep = repeat("{\"a\":[", "]}", 100000), *got, *big;
        size_t n = 50u * 1024 * 1024, i;
        double t0 = cpu_seconds();
        int rc;

        (void)state;
        got = jsonld_array(deep, strlen(deep), &rc);
        assert_int_equal(rc, 1); /* too deep: invalid, nothing written */
        assert_string_equal(got, "[]");
        free(got);
        free(deep);
        /* Just within the depth bound, it is written. */
        deep = repeat("[", "]", JSONLD_DEPTH_MAX - 1);
        deep[JSONLD_DEPTH_MAX - 2] = '1';
        got = jsonld_array(deep, strlen(deep), &rc);
        assert_int_equal(rc, 0);
        free(got);
        free(deep);
        /* 50 MB: one pass, linear. */
        big = malloc(n + 1);
        assert_non_null(big);
        memcpy(big, "{\"a\":\"", 6);
        for (i = 6; i < n - 2; i++)
                big[i] = (char)('a' + i % 26);
        memcpy(big + n - 2, "\"}", 2);
        big[n] = '\0';
        got = jsonld_array(big, n, &rc);
        assert_int_equal(rc, 0);
        assert_int_equal(strlen(got), n + 2);
        free(got);
        free(big);
        assert_true(cpu_seconds() - t0 < 20.0);
}

static htmlDocPtr parse_html(const char *html, size_t len)
{
        htmlDocPtr doc =
                htmlReadMemory(html, (int)len, NULL, "UTF-8",
                               HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                       HTML_PARSE_NOWARNING |
                                       HTML_PARSE_NONET | HTML_PARSE_COMPACT);

        assert_non_null(doc);
        return doc;
}

/* The microdata of html as JSON text (caller frees). */
static char *microdata_of(const char *html, size_t len, microdata_stats_t *st)
{
        htmlDocPtr doc = parse_html(html, len);
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t buf_len;
        char *out;

        assert_int_equal(microdata_write(g, doc, NULL, 0, st), 0);
        assert_int_equal(yajl_gen_get_buf(g, &buf, &buf_len),
                         yajl_gen_status_ok);
        out = strndup((const char *)buf, buf_len);
        yajl_gen_free(g);
        xmlFreeDoc(doc);
        return out;
}

static void test_microdata_itemref_cycles(void **state)
{
        static const char html[] =
                "<div itemscope id=a itemref=b><span itemprop=x>1</span></div>"
                "<div id=b itemprop=y itemscope itemref=a>"
                "<span itemprop=z>2</span></div>"
                "<div itemscope itemref=self id=self>"
                "<i itemprop=w>3</i></div>";
        microdata_stats_t st;
        char *got = microdata_of(html, sizeof(html) - 1, &st);

        (void)state;
        /* a's properties: x, and y (b's item); b's: z, and a's x again
         * (a's subtree); a itself, met again, is not re-entered. An item
         * referring to itself lists its own properties twice, as extruct
         * does. */
        assert_string_equal(
                got, "[{\"properties\":{\"x\":\"1\",\"y\":{\"properties\":"
                     "{\"z\":\"2\",\"x\":\"1\"}}}},{\"properties\":{\"w\":"
                     "[\"3\",\"3\"]}}]");
        free(got);
}

static void test_microdata_deep(void **state)
{
        size_t n = 100000, i;
        const char *open = "<div itemscope itemprop=p>";
        size_t lo = strlen(open);
        char *html = malloc(n * (lo + 6) + 1), *p = html, *got;
        microdata_stats_t st;
        double t0 = cpu_seconds();

        (void)state;
        assert_non_null(html);
        for (i = 0; i < n; i++, p += lo)
                memcpy(p, open, lo);
        for (i = 0; i < n; i++, p += 6)
                memcpy(p, "</div>", 6);
        *p = '\0';
        got = microdata_of(html, (size_t)(p - html), &st);
        /* Bounded: nesting past MICRODATA_DEPTH_MAX is counted, not
         * followed (libxml2 may itself have cut the tree shorter). */
        assert_true(strlen(got) < 100000);
        assert_true(st.items >= 1);
        assert_true(st.errors >= 1);
        assert_true(st.errors <= st.items);
        assert_true(cpu_seconds() - t0 < 20.0);
        free(got);
        free(html);
}

static void test_microdata_million_properties(void **state)
{
        size_t n = 1000000, i;
        const char *prop = "<b itemprop=p>x</b>";
        size_t lp = strlen(prop);
        char *html = malloc(n * lp + 64), *p = html, *got;
        microdata_stats_t st;
        double t0 = cpu_seconds();

        (void)state;
        assert_non_null(html);
        memcpy(p, "<div itemscope>", 15);
        p += 15;
        for (i = 0; i < n; i++, p += lp)
                memcpy(p, prop, lp);
        memcpy(p, "</div>", 6);
        p += 6;
        got = microdata_of(html, (size_t)(p - html), &st);
        assert_int_equal(st.capped, 1);
        assert_int_equal(st.items, 1);
        assert_true(cpu_seconds() - t0 < 30.0);
        free(got);
        free(html);
}

/* A page of n copies of unit (after head), parsed and read for
 * microformats; the output checked to be one JSON array. */
static char *mf_of(const char *head, const char *unit, size_t n,
                   mf_stats_t *st)
{
        size_t lh = strlen(head), lu = strlen(unit), i;
        char *html = malloc(lh + n * lu + 1), *p = html;
        htmlDocPtr doc;
        dynbuf_t out;

        assert_non_null(html);
        memcpy(p, head, lh);
        p += lh;
        for (i = 0; i < n; i++, p += lu)
                memcpy(p, unit, lu);
        *p = '\0';
        doc = parse_html(html, (size_t)(p - html));
        dynbuf_init(&out, SIZE_MAX / 2);
        assert_int_equal(microformats_write(&out, doc, NULL, st), 0);
        assert_true(out.len >= 2 && out.data[0] == '[' &&
                    out.data[out.len - 1] == ']');
        xmlFreeDoc(doc);
        free(html);
        return out.data;
}

/* Items nested 100,000 deep, each a property of the one above twice (so
 * mf2py's output doubles at each level): bounded in time and output,
 * what was left out counted. */
static void test_microformats_deep(void **state)
{
        mf_stats_t st;
        double t0 = cpu_seconds();
        char *got = mf_of("",
                          "<div class=\"h-card p-author e-x\"><b "
                          "class=p-name>n</b>",
                          100000, &st);

        (void)state;
        assert_true(st.errors >= 1);
        assert_int_equal(st.capped, 1);
        assert_true(strlen(got) <= MF_BYTES_MAX + 2);
        assert_true(cpu_seconds() - t0 < 20.0);
        free(got);
}

/* A million sibling h-* elements: items stop at MF_ITEMS_MAX. */
static void test_microformats_million_items(void **state)
{
        mf_stats_t st;
        double t0 = cpu_seconds();
        char *got = mf_of("<body>", "<i class=h-x>a</i>", 1000000, &st);

        (void)state;
        assert_int_equal(st.items, MF_ITEMS_MAX);
        assert_int_equal(st.capped, 1);
        assert_true(st.errors >= 1);
        assert_true(cpu_seconds() - t0 < 30.0);
        free(got);
}

static void test_opengraph_prefixes(void **state)
{
        opengraph_t *og = opengraph_new();
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t len;

        (void)state;
        assert_int_equal(opengraph_prefix(og, OPENGRAPH_HTML,
                                          "og: http://ogp.me/ns# my-ns: "
                                          "http://example.org/ns#"),
                         0);
        assert_int_equal(opengraph_meta(og, OPENGRAPH_HEAD, "og:image", "a"),
                         0);
        assert_int_equal(
                opengraph_meta(og, OPENGRAPH_HEAD, "og:image:width", "10"), 0);
        assert_int_equal(opengraph_meta(og, OPENGRAPH_HEAD, "og:image", "b"),
                         0);
        assert_int_equal(opengraph_meta(og, OPENGRAPH_HEAD, "ns:x", "c"), 0);
        assert_int_equal(opengraph_meta(og, OPENGRAPH_HEAD, "al:x", "d"), 0);
        assert_int_equal(
                opengraph_meta(og, OPENGRAPH_HEAD, "article:author", "e"), 0);
        assert_int_equal(opengraph_write(og, g), 0);
        assert_int_equal(yajl_gen_get_buf(g, &buf, &len), yajl_gen_status_ok);
        /* "my-ns" is read as "ns" (a word before ':'), as extruct does;
         * "al" is not declared. */
        assert_string_equal(
                (const char *)buf,
                "[{\"namespace\":{\"og\":\"http://ogp.me/ns#\",\"ns\":"
                "\"http://example.org/ns#\",\"article\":"
                "\"http://ogp.me/ns/article#\"},\"properties\":[[\"og:image\","
                "\"a\"],[\"og:image:width\",\"10\"],[\"og:image\",\"b\"],"
                "[\"ns:x\",\"c\"],[\"article:author\",\"e\"]]}]");
        yajl_gen_free(g);
        opengraph_destroy(og);
}

static void test_product_price(void **state)
{
        static const struct {
                const char *in;
                const char *out;
        } cases[] = {
                { "1.234,56 \xE2\x82\xAC", "1234.56" },
                { "$49.99", "49.99" },
                { "1,299", "1299" },
                { "12,5", "12.5" },
                { "1 234 567,00", "1234567.00" },
                { "1.234.567", "1234567" },
                { "007.50", "7.50" },
                { "EUR 3", "3" },
        };
        char out[64];
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                assert_int_equal(product_price(cases[i].in,
                                               strlen(cases[i].in), out,
                                               sizeof(out)),
                                 0);
                assert_string_equal(out, cases[i].out);
        }
        assert_int_equal(product_price("free", 4, out, sizeof(out)), -1);
        assert_string_equal(product_currency_of("1.234,56 \xE2\x82\xAC", 12),
                            "EUR");
        assert_string_equal(
                product_availability("http://schema.org/InStock", 25),
                "InStock");
        assert_string_equal(product_availability("out of stock", 12),
                            "OutOfStock");
        assert_null(product_availability("maybe", 5));
}

static unsigned found_in(const char *html)
{
        unsigned found = 1234;
        size_t at;

        prescan_page(html, strlen(html), 1000, &at, &found);
        return found;
}

/* The scan asks for the tree only for a page with an itemscope
 * attribute: text, other attributes and script do not count. */
static void test_prescan_itemscope(void **state)
{
        (void)state;
        assert_int_equal(found_in("<div itemscope>"), PRESCAN_ITEMSCOPE);
        assert_int_equal(found_in("<p><DIV class=x ITEMSCOPE itemtype=y>"),
                         PRESCAN_ITEMSCOPE);
        assert_int_equal(found_in("<p>itemscope</p>"), 0);
        assert_int_equal(found_in("<div data-itemscope=1 title=itemscope>"),
                         0);
        assert_int_equal(found_in("<script>'<div itemscope>'</script>"), 0);
        assert_int_equal(found_in("<!-- <div itemscope> -->"), 0);
}

/* jsonld_each_tree_in(): what jsonld_each_tree() visits, in its order;
 * a script seen again (same address) is not parsed again; a full cache
 * still visits. */
typedef struct seen_trees {
        yajl_val v[8];
        char key[8][8]; /* copied: jsonld_each_tree() frees the tree */
        size_t n;
} seen_trees_t;

static void see_tree(void *ctx, yajl_val v)
{
        seen_trees_t *st = ctx;

        if (st->n < 8) {
                st->v[st->n] = v;
                snprintf(st->key[st->n], sizeof(st->key[0]), "%s",
                         YAJL_IS_OBJECT(v) && v->u.object.len > 0
                                 ? v->u.object.keys[0]
                                 : "");
                st->n++;
        }
}

static void test_jsonld_cache(void **state)
{
        static const char block[] = "{\"a\": 1}\n{\"b\": [2,]}\n[{\"c\": 3}]";
        char copy[sizeof(block)];
        seen_trees_t plain = { 0 }, first = { 0 }, again = { 0 },
                     other = { 0 };
        jsonld_cache_t *c = jsonld_cache_new();
        const unsigned char *s = (const unsigned char *)block;
        size_t i, n = strlen(block);
        char(*many)[sizeof(block)] = malloc(JSONLD_CACHE_MAX * sizeof(*many));

        (void)state;
        assert_non_null(c);
        assert_non_null(many);
        memcpy(copy, block, sizeof(block));
        assert_int_equal(jsonld_each_tree(s, n, 1u << 20, see_tree, &plain),
                         3);
        assert_int_equal(
                jsonld_each_tree_in(c, s, n, 1u << 20, see_tree, &first), 3);
        assert_int_equal(
                jsonld_each_tree_in(c, s, n, 1u << 20, see_tree, &again), 3);
        for (i = 0; i < 3; i++) {
                assert_string_equal(plain.key[i], first.key[i]);
                assert_ptr_equal(first.v[i], again.v[i]); /* parsed once */
        }
        assert_string_equal(first.key[0], "a");
        assert_string_equal(first.key[1], "b");
        /* Another script of the same text: its own. */
        assert_int_equal(jsonld_each_tree_in(c, (const unsigned char *)copy, n,
                                             1u << 20, see_tree, &other),
                         3);
        assert_ptr_not_equal(other.v[0], first.v[0]);
        /* Past the cap on scripts: parsed each time, visited all the same. */
        for (i = 0; i < JSONLD_CACHE_MAX; i++) {
                seen_trees_t st = { 0 };

                memcpy(many[i], block, sizeof(block));
                assert_int_equal(
                        jsonld_each_tree_in(c, (const unsigned char *)many[i],
                                            n, 1u << 20, see_tree, &st),
                        3);
                assert_string_equal(st.key[1], "b");
        }
        jsonld_cache_free(c);
        jsonld_cache_free(NULL);
        free(many);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_jsonld_repairs),
                cmocka_unit_test(test_jsonld_deep_and_large),
                cmocka_unit_test(test_jsonld_cache),
                cmocka_unit_test(test_microdata_itemref_cycles),
                cmocka_unit_test(test_microdata_deep),
                cmocka_unit_test(test_microdata_million_properties),
                cmocka_unit_test(test_opengraph_prefixes),
                cmocka_unit_test(test_product_price),
                cmocka_unit_test(test_prescan_itemscope),
                cmocka_unit_test(test_microformats_deep),
                cmocka_unit_test(test_microformats_million_items),
        };

        xmlInitParser();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
