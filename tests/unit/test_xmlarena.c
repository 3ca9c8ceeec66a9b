/*
 * test_xmlarena.c — libxml2's allocator pointed at a page's arena
 * (cleaner/xmlarena.c): blocks aligned as malloc's and apart, realloc
 * keeping the bytes (in place or not), blocks freed on the other side of
 * xmlarena_enter()/leave(), the cap, and a document parsed in an arena
 * read after the parse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xmlmemory.h>

#include "../../cleaner/xmlarena.h"
#include "testutil.h"

static void test_aligned_and_apart(void **state)
{
        xmlarena_t *a = xmlarena_new(64 * 1024 * 1024);
        unsigned char *p[300];
        size_t i, k;

        (void)state;
        assert_non_null(a);
        xmlarena_enter(a);
        for (i = 0; i < 300; i++) {
                /* Some over a chunk: those get one of their own. */
                size_t n = i % 50 == 49 ? 300000 + i : i + 1;

                p[i] = xmlMalloc(n);
                assert_non_null(p[i]);
                assert_int_equal((uintptr_t)p[i] % 16, 0);
                memset(p[i], (int)(i & 0xff), n);
        }
        xmlarena_leave(a);
        for (i = 0; i < 300; i++) {
                size_t n = i % 50 == 49 ? 300000 + i : i + 1;

                for (k = 0; k < n; k++)
                        assert_int_equal(p[i][k], i & 0xff);
        }
        assert_true(xmlarena_used(a) > 0);
        assert_false(xmlarena_over(a));
        xmlarena_free(a);
}

static void test_regrow(void **state)
{
        xmlarena_t *a = xmlarena_new(64 * 1024 * 1024);
        char *s, *t, *u, *heap;
        size_t i;

        (void)state;
        heap = xmlMalloc(10); /* before the arena: from the heap */
        assert_non_null(heap);
        memcpy(heap, "heap", 5);
        xmlarena_enter(a);
        s = xmlMalloc(8);
        memcpy(s, "abcdefg", 8);
        /* The last block grows where it is, many times over. */
        for (i = 16; i <= 65536; i *= 2) {
                s = xmlRealloc(s, i);
                assert_non_null(s);
                assert_string_equal(s, "abcdefg");
                memset(s + 8, 'x', i - 9);
                s[i - 1] = '\0';
                s[7] = '\0';
        }
        t = xmlMalloc(4);
        memcpy(t, "tt", 3);
        /* No longer the last: moves, with its bytes. */
        u = xmlRealloc(s, 200000);
        assert_non_null(u);
        assert_string_equal(u, "abcdefg");
        assert_int_equal(u[100], 'x');
        assert_int_equal(u[65535], '\0');
        memset(u + 65536, 'y', 200000 - 65536);
        assert_string_equal(t, "tt"); /* not under u */
        /* Shrinks. */
        t = xmlRealloc(t, 2);
        assert_int_equal(t[0], 't');
        /* A block of the heap reallocated inside the arena, freed too. */
        heap = xmlRealloc(heap, 100000);
        assert_string_equal(heap, "heap");
        xmlFree(heap);
        xmlarena_leave(a);
        heap = xmlMemStrdup("dup"); /* from the heap again */
        /* After the leave: the arena's blocks move to the heap. */
        u = xmlRealloc(u, 300000);
        assert_string_equal(u, "abcdefg");
        xmlFree(u);
        xmlFree(t); /* an arena's block freed after the leave */
        xmlarena_free(a);
        assert_string_equal(heap, "dup"); /* it outlives the arena */
        xmlFree(heap);
}

static void test_cap(void **state)
{
        xmlarena_t *a = xmlarena_new(1024 * 1024);
        void *p[600];
        size_t i;

        (void)state;
        xmlarena_enter(a);
        for (i = 0; i < 600; i++) {
                p[i] = xmlMalloc(4000);
                /* Past the cap, from the heap: never NULL for libxml2. */
                assert_non_null(p[i]);
                memset(p[i], 1, 4000);
        }
        xmlarena_leave(a);
        assert_true(xmlarena_over(a));
        assert_true(xmlarena_used(a) <= 1024 * 1024);
        for (i = 0; i < 600; i++)
                xmlFree(p[i]);
        xmlarena_free(a);
}

static void test_document(void **state)
{
        static const char html[] = "<html><body><p class=a>one</p>"
                                   "<p>two &amp; three</p></body></html>";
        xmlarena_t *a = xmlarena_new(64 * 1024 * 1024);
        htmlDocPtr doc;
        xmlNodePtr body, p;
        xmlChar *text;

        (void)state;
        xmlarena_enter(a);
        doc = htmlReadMemory(html, (int)strlen(html), NULL, "UTF-8",
                             HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
        xmlarena_leave(a);
        assert_non_null(doc);
        body = xmlDocGetRootElement(doc)->children;
        assert_string_equal((const char *)body->name, "body");
        p = body->children->next;
        text = xmlNodeGetContent(p); /* from the heap now */
        assert_string_equal((const char *)text, "two & three");
        xmlFree(text);
        xmlarena_free(a); /* the document goes with it */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_aligned_and_apart),
                cmocka_unit_test(test_regrow),
                cmocka_unit_test(test_cap),
                cmocka_unit_test(test_document),
        };

        /* The arena must not be turned off by the environment here. */
        unsetenv("KCRAWL_XML_ARENA");
        assert_int_equal(xmlarena_setup(), 0);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
