/*
 * fuzz_structured.c — libFuzzer target: a page's structured data
 * (cleaner/structured.h: microdata, OpenGraph, Dublin Core, product) on
 * arbitrary HTML, fed from libxml2's tree as the cleaner's scan feeds it.
 *
 * Checks: no invalid memory access, no stack overflow however deep
 * itemscope nests or itemref loops, and the fields written are JSON that
 * yajl reads again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "structured.h"

static const char *attr(xmlNodePtr n, const char *name)
{
        for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
                if (strcmp((const char *)a->name, name) == 0)
                        return a->children && a->children->content
                                       ? (const char *)a->children->content
                                       : "";
        return NULL;
}

static xmlNodePtr next_node(xmlNodePtr n)
{
        if (n->type == XML_ELEMENT_NODE && n->children != NULL)
                return n->children;
        while (n->next == NULL) {
                n = n->parent;
                if (n == NULL || n->type != XML_ELEMENT_NODE)
                        return NULL;
        }
        return n->next;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int init;
        structured_t *st = structured_new(STRUCTURED_ALL);
        htmlDocPtr doc;
        yajl_gen g;
        yajl_handle h;
        const unsigned char *out;
        size_t out_len;
        url_t *base = NULL;

        if (!init) {
                xmlInitParser();
                init = 1;
        }
        if (st == NULL || size > 1 << 20)
                goto out;
        doc = htmlReadMemory((const char *)data, (int)size, NULL, "UTF-8",
                             HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                     HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
        for (xmlNodePtr n = doc ? xmlDocGetRootElement(doc) : NULL; n != NULL;
             n = next_node(n)) {
                const char *attrs[65];
                size_t k = 0;

                if (n->type != XML_ELEMENT_NODE)
                        continue;
                for (xmlAttrPtr a = n->properties; a != NULL && k < 64;
                     a = a->next) {
                        attrs[k++] = (const char *)a->name;
                        attrs[k++] = attr(n, (const char *)a->name);
                }
                attrs[k] = NULL;
                if (attr(n, "itemscope") != NULL)
                        structured_saw_itemscope(st);
                if (attr(n, "prefix") != NULL)
                        structured_prefix(st, OPENGRAPH_HTML,
                                          attr(n, "prefix"));
                if (strcmp((const char *)n->name, "meta") == 0)
                        structured_meta(st, OPENGRAPH_HEAD, attrs);
                if (strcmp((const char *)n->name, "link") == 0)
                        structured_link(st, attrs);
                if (strcmp((const char *)n->name, "script") == 0) {
                        xmlChar *t = xmlNodeGetContent(n);

                        if (t != NULL)
                                structured_jsonld(st, t, strlen((char *)t), 0);
                        xmlFree(t);
                }
        }
        url_parse("https://example.com/a/b", NULL, &base, NULL, 0);
        g = yajl_gen_alloc(NULL);
        yajl_gen_map_open(g);
        if (structured_finish(st, doc, base) == 0 &&
            structured_write_jsonld(st, g) == 0 &&
            structured_write_rest(st, g) == 0) {
                yajl_gen_map_close(g);
                if (yajl_gen_get_buf(g, &out, &out_len) != yajl_gen_status_ok)
                        abort();
                h = yajl_alloc(NULL, NULL, NULL);
                if (yajl_parse(h, out, out_len) != yajl_status_ok ||
                    yajl_complete_parse(h) != yajl_status_ok)
                        abort();
                yajl_free(h);
        }
        yajl_gen_free(g);
        url_destroy(base);
        xmlFreeDoc(doc);
out:
        structured_destroy(st);
        return 0;
}
