/*
 * structured.c — the page's structured data, from scan facts to record
 * fields (see structured.h).
 *
 * Each syntax's output is generated into a buffer of its own and copied
 * into the record verbatim (yajl_gen_number writes its argument as is),
 * so that the product can be read from the very values the record holds
 * (parsed back by jsonread.c, within its depth bound).
 */
#include "structured.h"

#include "dublincore.h"
#include "dynbuf.h"
#include "jsonld.h"
#include "jsonread.h"
#include "microdata.h"
#include "product.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct structured {
        unsigned on;
        /* JSON-LD: the values so far, as one JSON array's text. */
        yajl_gen jgen;
        dynbuf_t jbuf;
        size_t blocks;
        long long jsonld_errors;
        int jsonld_capped;
        int failed;
        opengraph_t *og;
        dublincore_t *dc;
        int itemscope;
};

static void buf_print(void *ctx, const char *s, size_t len)
{
        structured_t *st = ctx;

        if (dynbuf_add(&st->jbuf, s, len) < 0)
                st->failed = 1;
}

structured_t *structured_new(unsigned syntaxes)
{
        structured_t *st = calloc(1, sizeof(*st));

        if (st == NULL)
                return NULL;
        st->on = syntaxes;
        dynbuf_init(&st->jbuf, SIZE_MAX / 2);
        if (syntaxes & (STRUCTURED_OPENGRAPH | STRUCTURED_PRODUCT)) {
                st->og = opengraph_new();
                if (st->og == NULL)
                        goto fail;
        }
        if (syntaxes & STRUCTURED_DUBLINCORE) {
                st->dc = dublincore_new();
                if (st->dc == NULL)
                        goto fail;
        }
        return st;
fail:
        structured_destroy(st);
        return NULL;
}

void structured_destroy(structured_t *st)
{
        if (st == NULL)
                return;
        if (st->jgen != NULL)
                yajl_gen_free(st->jgen);
        dynbuf_free(&st->jbuf);
        opengraph_destroy(st->og);
        dublincore_destroy(st->dc);
        free(st);
}

int structured_jsonld(structured_t *st, const unsigned char *text, size_t len,
                      int over_cap)
{
        size_t written;
        int rc;

        if (!(st->on & STRUCTURED_JSONLD))
                return 0;
        if (st->blocks >= STRUCTURED_JSONLD_MAX) {
                st->jsonld_capped = 1;
                return 0;
        }
        st->blocks++;
        if (over_cap) {
                st->jsonld_errors++;
                return 0;
        }
        if (st->jgen == NULL) {
                st->jgen = yajl_gen_alloc(NULL);
                if (st->jgen == NULL)
                        return -1;
                yajl_gen_config(st->jgen, yajl_gen_print_callback, buf_print,
                                st);
                if (yajl_gen_array_open(st->jgen) != yajl_gen_status_ok)
                        return -1;
        }
        rc = jsonld_write(st->jgen, text, len, &written);
        if (rc < 0 || st->failed)
                return -1;
        if (rc > 0)
                st->jsonld_errors++;
        return 0;
}

int structured_prefix(structured_t *st, int where, const char *value)
{
        if (st->og == NULL)
                return 0;
        return opengraph_prefix(st->og, where, value);
}

static const char *attr_of(const char *const *attrs, const char *name)
{
        size_t i;

        for (i = 0; attrs[i] != NULL; i += 2)
                if (strcmp(attrs[i], name) == 0)
                        return attrs[i + 1] ? attrs[i + 1] : "";
        return NULL;
}

int structured_meta(structured_t *st, int parent_where,
                    const char *const *attrs)
{
        const char *property, *content;

        if (st->og != NULL && parent_where >= 0) {
                property = attr_of(attrs, "property");
                content = attr_of(attrs, "content");
                if (property != NULL && content != NULL &&
                    opengraph_meta(st->og, parent_where, property, content) <
                            0)
                        return -1;
        }
        if (st->dc != NULL && dublincore_add(st->dc, 0, attrs) < 0)
                return -1;
        return 0;
}

int structured_link(structured_t *st, const char *const *attrs)
{
        if (st->dc != NULL && dublincore_add(st->dc, 1, attrs) < 0)
                return -1;
        return 0;
}

void structured_saw_itemscope(structured_t *st)
{
        st->itemscope = 1;
}

int structured_wants_tree(const structured_t *st)
{
        return st->itemscope &&
               (st->on & (STRUCTURED_MICRODATA | STRUCTURED_PRODUCT));
}

int structured_write_jsonld(structured_t *st, yajl_gen gen)
{
        const unsigned char *s = (const unsigned char *)"json_ld";

        if (!(st->on & STRUCTURED_JSONLD))
                return 0;
        if (yajl_gen_string(gen, s, 7) != yajl_gen_status_ok)
                return -1;
        if (st->jgen == NULL) {
                if (yajl_gen_array_open(gen) != yajl_gen_status_ok ||
                    yajl_gen_array_close(gen) != yajl_gen_status_ok)
                        return -1;
        } else {
                if (yajl_gen_array_close(st->jgen) != yajl_gen_status_ok ||
                    st->failed)
                        return -1;
                if (yajl_gen_number(gen, st->jbuf.data, st->jbuf.len) !=
                    yajl_gen_status_ok)
                        return -1;
        }
        if (st->jsonld_errors > 0) {
                s = (const unsigned char *)"json_ld_errors";
                if (yajl_gen_string(gen, s, 14) != yajl_gen_status_ok ||
                    yajl_gen_integer(gen, st->jsonld_errors) !=
                            yajl_gen_status_ok)
                        return -1;
        }
        return 0;
}

static void print_to(void *ctx, const char *s, size_t len)
{
        dynbuf_t *b = ctx;

        if (b->len != SIZE_MAX && dynbuf_add(b, s, len) < 0)
                b->len = SIZE_MAX; /* marks the failure */
}

static int key(yajl_gen gen, const char *k)
{
        return yajl_gen_string(gen, (const unsigned char *)k, strlen(k)) ==
                               yajl_gen_status_ok
                       ? 0
                       : -1;
}

/* The microdata array's text into *out (caller frees), or NULL. */
static int microdata_text(xmlDocPtr doc, const url_t *base, dynbuf_t *out,
                          microdata_stats_t *ms)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        int rc;

        if (g == NULL)
                return -1;
        yajl_gen_config(g, yajl_gen_print_callback, print_to, out);
        rc = microdata_write(g, doc, base, 0, ms);
        yajl_gen_free(g);
        if (out->len == SIZE_MAX) {
                out->len = 0;
                return -1;
        }
        return rc;
}

static yajl_val parse_back(const char *text, size_t len)
{
        jsonread_caps_t caps = { SIZE_MAX / 2, 128, JSONREAD_REPAIR };
        char err[128];

        if (text == NULL || len == 0)
                return NULL;
        return jsonread_tree(text, len, &caps, err, sizeof(err));
}

int structured_write_rest(structured_t *st, yajl_gen gen, xmlDocPtr doc,
                          const url_t *base, int *capped)
{
        dynbuf_t md;
        microdata_stats_t ms;
        yajl_val jtree = NULL, mtree = NULL;
        int rc = -1, have_md = 0;

        dynbuf_init(&md, SIZE_MAX / 2);
        memset(&ms, 0, sizeof(ms));
        if (st->jsonld_capped)
                *capped = 1;
        if (doc != NULL && st->itemscope &&
            (st->on & (STRUCTURED_MICRODATA | STRUCTURED_PRODUCT))) {
                if (microdata_text(doc, base, &md, &ms) < 0)
                        goto out;
                have_md = md.len > 2; /* not "[]" */
                if (ms.capped)
                        *capped = 1;
        }
        if ((st->on & STRUCTURED_MICRODATA) && have_md) {
                if (key(gen, "microdata") < 0 ||
                    yajl_gen_number(gen, md.data, md.len) !=
                            yajl_gen_status_ok)
                        goto out;
                if (ms.errors > 0 &&
                    (key(gen, "microdata_errors") < 0 ||
                     yajl_gen_integer(gen, (long long)ms.errors) !=
                             yajl_gen_status_ok))
                        goto out;
        }
        if ((st->on & STRUCTURED_OPENGRAPH) && opengraph_present(st->og)) {
                if (key(gen, "opengraph_full") < 0 ||
                    opengraph_write(st->og, gen) < 0)
                        goto out;
                if (opengraph_capped(st->og))
                        *capped = 1;
        }
        if (st->dc != NULL && dublincore_present(st->dc)) {
                if (key(gen, "dublincore") < 0 ||
                    dublincore_write(st->dc, gen) < 0)
                        goto out;
                if (dublincore_capped(st->dc))
                        *capped = 1;
        }
        if (st->on & STRUCTURED_PRODUCT) {
                product_input_t in;

                memset(&in, 0, sizeof(in));
                if (st->jgen != NULL && (st->on & STRUCTURED_JSONLD)) {
                        jtree = parse_back(st->jbuf.data, st->jbuf.len);
                        if (jtree != NULL && YAJL_IS_ARRAY(jtree)) {
                                in.jsonld = (const yajl_val *)
                                                    jtree->u.array.values;
                                in.n_jsonld = jtree->u.array.len;
                        }
                }
                if (have_md)
                        mtree = parse_back(md.data, md.len);
                in.microdata = mtree;
                in.og = st->og;
                if (key(gen, "product") < 0 || product_write(gen, &in) < 0)
                        goto out;
        }
        rc = 0;
out:
        if (jtree != NULL)
                yajl_tree_free(jtree);
        if (mtree != NULL)
                yajl_tree_free(mtree);
        dynbuf_free(&md);
        return rc;
}
