/*
 * structured_dump — the structured-data modules on one HTML file, for the
 * data-driven comparison with extruct's expected outputs
 * (tests/structured/test_extruct_samples.py).
 *
 *   structured_dump FILE BASE_URL|-
 *   structured_dump --record FILE URL
 *
 * Prints one JSON object with the record's structured-data fields
 * (json_ld, json_ld_errors, microdata, rdfa, opengraph_full, dublincore,
 * product), written by structured.c as the cleaner does, fed from
 * libxml2's DOM of the file. "-" for no base URL (URL values are then kept
 * as written, as extruct does without one).
 * With --record, prints the cleaner's whole record for the file as the
 * page at URL (status 200, text/html), by extract_record().
 */
#include "extract.h"
#include "structured.h"
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <yajl/yajl_gen.h>

static int read_file(const char *path, char **out, size_t *out_len)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        size_t len = 0, cap = 0, n;

        if (f == NULL)
                return -1;
        for (;;) {
                if (cap - len < 65536) {
                        char *nb = realloc(buf, cap + 65536 + 1);

                        if (nb == NULL) {
                                free(buf);
                                fclose(f);
                                return -1;
                        }
                        buf = nb;
                        cap += 65536;
                }
                n = fread(buf + len, 1, cap - len, f);
                len += n;
                if (n == 0)
                        break;
        }
        fclose(f);
        buf[len] = '\0';
        *out = buf;
        *out_len = len;
        return 0;
}

static const char *prop(xmlNodePtr n, const char *name)
{
        xmlAttrPtr a;

        for (a = n->properties; a != NULL; a = a->next)
                if (strcmp((const char *)a->name, name) == 0)
                        return a->children && a->children->content
                                       ? (const char *)a->children->content
                                       : "";
        return NULL;
}

static int is_jsonld(xmlNodePtr n)
{
        const char *t = prop(n, "type");

        return t != NULL && strncasecmp(t, "application/ld+json", 19) == 0;
}

static xmlNodePtr next_node(xmlNodePtr n)
{
        if (n->type == XML_ELEMENT_NODE && n->children != NULL)
                return n->children;
        while (n->next == NULL) {
                n = n->parent;
                if (n == NULL || n->type == XML_DOCUMENT_NODE ||
                    n->type == XML_HTML_DOCUMENT_NODE)
                        return NULL;
        }
        return n->next;
}

static int dump_record(const char *path, const char *url)
{
        page_t page;
        char *body = NULL, *out = NULL, errstr[256];
        size_t len, out_len;
        int rc;

        if (read_file(path, &body, &len) < 0) {
                fprintf(stderr, "cannot read %s\n", path);
                return 2;
        }
        memset(&page, 0, sizeof(page));
        page.url = url;
        page.status = 200;
        page.content_type = "text/html";
        page.fetched_at = "2026-01-01T00:00:00.000Z";
        page.depth = -1;
        page.body = (const unsigned char *)body;
        page.body_len = len;
        xmlInitParser();
        rc = extract_record(&page, &out, &out_len, errstr, sizeof(errstr));
        if (rc != 0) {
                fprintf(stderr, "extract_record: %s\n", errstr);
                free(body);
                return 1;
        }
        fwrite(out, 1, out_len, stdout);
        putchar('\n');
        free(out);
        free(body);
        return 0;
}

int main(int argc, char **argv)
{
        char *body = NULL;
        size_t len;
        htmlDocPtr doc;
        xmlNodePtr n;
        yajl_gen g;
        const unsigned char *out;
        size_t out_len;
        url_t *base = NULL;
        structured_t *st;

        if (argc == 4 && strcmp(argv[1], "--record") == 0)
                return dump_record(argv[2], argv[3]);
        if (argc < 3 || read_file(argv[1], &body, &len) < 0) {
                fprintf(stderr, "usage: structured_dump FILE BASE|-\n"
                                "       structured_dump --record FILE URL\n");
                return 2;
        }
        if (strcmp(argv[2], "-") != 0 &&
            url_parse(argv[2], NULL, &base, NULL, 0) != URL_OK) {
                fprintf(stderr, "bad base URL\n");
                return 2;
        }
        st = structured_new(STRUCTURED_ALL);
        if (st == NULL ||
            structured_doc_url(st, base != NULL ? base->href : NULL) < 0)
                return 1;
        xmlInitParser();
        doc = htmlReadMemory(body, (int)len, NULL, "UTF-8",
                             HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                     HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                                     HTML_PARSE_COMPACT);
        for (n = doc ? xmlDocGetRootElement(doc) : NULL; n != NULL;
             n = next_node(n)) {
                const char *v, *attrs[2 * 32 + 1];
                const char *name = (const char *)n->name;
                size_t k = 0;
                xmlAttrPtr a;
                int where = -1;

                if (n->type != XML_ELEMENT_NODE)
                        continue;
                for (a = n->properties; a != NULL && k < 64; a = a->next) {
                        attrs[k++] = (const char *)a->name;
                        attrs[k++] = prop(n, (const char *)a->name);
                }
                attrs[k] = NULL;
                if (prop(n, "itemscope") != NULL)
                        structured_saw_itemscope(st);
                if (prop(n, "property") || prop(n, "typeof") ||
                    prop(n, "rel") || prop(n, "rev") || prop(n, "role") ||
                    prop(n, "vocab"))
                        structured_saw_rdfa(st);
                if (strcmp(name, "script") == 0 && is_jsonld(n)) {
                        xmlChar *t = xmlNodeGetContent(n);

                        structured_jsonld(st, t ? t : (const xmlChar *)"",
                                          t ? strlen((const char *)t) : 0, 0);
                        xmlFree(t);
                }
                v = prop(n, "prefix");
                if (v != NULL) {
                        if (strcmp(name, "html") == 0)
                                structured_prefix(st, OPENGRAPH_HTML, v);
                        else if (strcmp(name, "head") == 0)
                                structured_prefix(st, OPENGRAPH_HEAD, v);
                        else if (strcmp(name, "body") == 0)
                                structured_prefix(st, OPENGRAPH_BODY, v);
                }
                if (n->parent != NULL && n->parent->name != NULL &&
                    n->parent->type == XML_ELEMENT_NODE) {
                        if (strcmp((const char *)n->parent->name, "head") == 0)
                                where = OPENGRAPH_HEAD;
                        else if (strcmp((const char *)n->parent->name,
                                        "body") == 0)
                                where = OPENGRAPH_BODY;
                }
                if (strcmp(name, "meta") == 0)
                        structured_meta(st, where, attrs);
                else if (strcmp(name, "link") == 0)
                        structured_link(st, attrs);
        }
        g = yajl_gen_alloc(NULL);
        yajl_gen_map_open(g);
        if (structured_finish(st, structured_wants_tree(st) ? doc : NULL,
                              base) < 0 ||
            structured_write_jsonld(st, g) < 0 ||
            structured_write_rest(st, g) < 0) {
                fprintf(stderr, "structured_write failed\n");
                return 1;
        }
        if (structured_capped(st)) {
                yajl_gen_string(g, (const unsigned char *)"capped", 6);
                yajl_gen_array_open(g);
                yajl_gen_string(g, (const unsigned char *)"structured_data",
                                15);
                yajl_gen_array_close(g);
        }
        yajl_gen_map_close(g);
        if (yajl_gen_get_buf(g, &out, &out_len) != yajl_gen_status_ok) {
                fprintf(stderr, "generator failed\n");
                return 1;
        }
        fwrite(out, 1, out_len, stdout);
        putchar('\n');
        yajl_gen_free(g);
        xmlFreeDoc(doc);
        structured_destroy(st);
        url_destroy(base);
        free(body);
        return 0;
}
