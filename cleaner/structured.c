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
#include "microformats.h"
#include "product.h"
#include "rdfa.h"

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
        int rdfa;
        char *doc_url;
        dynbuf_t rdfa_json;
        size_t rdfa_errors;
        int mf;
        dynbuf_t mf_json;
        size_t mf_errors;
        /* structured_finish()'s output: each field's JSON value. */
        int finished;
        int capped;
        dynbuf_t md, og_json, dc_json, product;
        size_t md_errors;
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
        dynbuf_init(&st->md, SIZE_MAX / 2);
        dynbuf_init(&st->og_json, SIZE_MAX / 2);
        dynbuf_init(&st->dc_json, SIZE_MAX / 2);
        dynbuf_init(&st->product, SIZE_MAX / 2);
        dynbuf_init(&st->rdfa_json, SIZE_MAX / 2);
        dynbuf_init(&st->mf_json, SIZE_MAX / 2);
        if (syntaxes & (STRUCTURED_OPENGRAPH | STRUCTURED_PRODUCT))
                st->og = opengraph_new();
        if (syntaxes & STRUCTURED_DUBLINCORE)
                st->dc = dublincore_new();
        if (((syntaxes & (STRUCTURED_OPENGRAPH | STRUCTURED_PRODUCT)) &&
             st->og == NULL) ||
            ((syntaxes & STRUCTURED_DUBLINCORE) && st->dc == NULL)) {
                structured_destroy(st);
                return NULL;
        }
        return st;
}

void structured_destroy(structured_t *st)
{
        if (st == NULL)
                return;
        if (st->jgen != NULL)
                yajl_gen_free(st->jgen);
        dynbuf_free(&st->jbuf);
        dynbuf_free(&st->md);
        dynbuf_free(&st->og_json);
        dynbuf_free(&st->dc_json);
        dynbuf_free(&st->product);
        dynbuf_free(&st->rdfa_json);
        dynbuf_free(&st->mf_json);
        free(st->doc_url);
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

void structured_saw_rdfa(structured_t *st)
{
        st->rdfa = 1;
}

void structured_saw_microformats(structured_t *st)
{
        st->mf = 1;
}

int structured_doc_url(structured_t *st, const char *url)
{
        free(st->doc_url);
        st->doc_url = url ? strdup(url) : NULL;
        return url != NULL && st->doc_url == NULL ? -1 : 0;
}

int structured_wants_raw(const structured_t *st)
{
        return st->mf && (st->on & STRUCTURED_MICROFORMATS);
}

int structured_wants_tree(const structured_t *st)
{
        return (st->itemscope &&
                (st->on & (STRUCTURED_MICRODATA | STRUCTURED_PRODUCT))) ||
               (st->rdfa && (st->on & STRUCTURED_RDFA)) ||
               (st->mf && (st->on & STRUCTURED_MICROFORMATS));
}


static void print_to(void *ctx, const char *s, size_t len)
{
        dynbuf_t *b = ctx;

        if (b->len != SIZE_MAX && dynbuf_add(b, s, len) < 0)
                b->len = SIZE_MAX; /* marks the failure */
}

/* A generator writing one JSON value into out; NULL when out of memory. */
static yajl_gen gen_into(dynbuf_t *out)
{
        yajl_gen g = yajl_gen_alloc(NULL);

        if (g != NULL)
                yajl_gen_config(g, yajl_gen_print_callback, print_to, out);
        return g;
}

static int gen_done(yajl_gen g, dynbuf_t *out, int rc)
{
        if (g != NULL)
                yajl_gen_free(g);
        if (g == NULL || out->len == SIZE_MAX || rc < 0) {
                out->len = 0;
                return -1;
        }
        return 0;
}

static yajl_val parse_back(const char *text, size_t len)
{
        jsonread_caps_t caps = { SIZE_MAX / 2, 128, JSONREAD_REPAIR };
        char err[128];

        if (text == NULL || len == 0)
                return NULL;
        return jsonread_tree(text, len, &caps, err, sizeof(err));
}

/* The page's RDFa into st->rdfa_json, against the document's URL. */
static int finish_rdfa(structured_t *st, xmlDocPtr doc, const url_t *base)
{
        rdfa_stats_t rs;
        url_t *docurl = NULL;
        yajl_gen g;
        int rc;

        if (st->doc_url != NULL &&
            url_parse(st->doc_url, NULL, &docurl, NULL, 0) != URL_OK)
                docurl = NULL;
        g = gen_into(&st->rdfa_json);
        rc = gen_done(g, &st->rdfa_json,
                      g ? rdfa_write(g, doc, docurl ? docurl : base,
                                     docurl ? st->doc_url : NULL, &rs)
                        : -1);
        url_destroy(docurl);
        if (rc < 0)
                return -1;
        if (st->rdfa_json.len <= 2)
                st->rdfa_json.len = 0; /* "[]": no triples */
        st->rdfa_errors = rs.errors;
        if (rs.capped)
                st->capped = 1;
        return 0;
}

int structured_finish(structured_t *st, xmlDocPtr doc, const url_t *base)
{
        microdata_stats_t ms;
        yajl_val jtree = NULL, mtree = NULL, rtree = NULL, itree = NULL;
        dynbuf_t items;
        yajl_gen g;
        int rc = -1;

        if (st->finished)
                return 0;
        st->finished = 1;
        memset(&ms, 0, sizeof(ms));
        dynbuf_init(&items, SIZE_MAX / 2);
        if (st->jsonld_capped)
                st->capped = 1;
        if (st->jgen != NULL) {
                if (yajl_gen_array_close(st->jgen) != yajl_gen_status_ok ||
                    st->failed)
                        goto out;
        }
        if (doc != NULL && st->itemscope &&
            (st->on & (STRUCTURED_MICRODATA | STRUCTURED_PRODUCT))) {
                g = gen_into(&st->md);
                if (gen_done(g, &st->md,
                             g ? microdata_write(g, doc, base, 0, &ms) : -1) <
                    0)
                        goto out;
                if (st->md.len <= 2)
                        st->md.len = 0; /* "[]": no items */
                st->md_errors = ms.errors;
                if (ms.capped)
                        st->capped = 1;
        }
        if (doc != NULL && st->rdfa && (st->on & STRUCTURED_RDFA) &&
            finish_rdfa(st, doc, base) < 0)
                goto out;
        if (doc != NULL && st->mf && (st->on & STRUCTURED_MICROFORMATS)) {
                mf_stats_t fs;

                if (microformats_write(&st->mf_json, doc, base, &fs) < 0)
                        goto out;
                if (st->mf_json.len <= 2)
                        st->mf_json.len = 0; /* "[]": no items */
                st->mf_errors = fs.errors;
                if (fs.capped)
                        st->capped = 1;
        }
        if ((st->on & STRUCTURED_OPENGRAPH) && opengraph_present(st->og)) {
                g = gen_into(&st->og_json);
                if (gen_done(g, &st->og_json,
                             g ? opengraph_write(st->og, g) : -1) < 0)
                        goto out;
                if (opengraph_capped(st->og))
                        st->capped = 1;
        }
        if (st->dc != NULL && dublincore_present(st->dc)) {
                g = gen_into(&st->dc_json);
                if (gen_done(g, &st->dc_json,
                             g ? dublincore_write(st->dc, g) : -1) < 0)
                        goto out;
                if (dublincore_capped(st->dc))
                        st->capped = 1;
        }
        if (st->on & STRUCTURED_PRODUCT) {
                product_input_t in;

                memset(&in, 0, sizeof(in));
                /* The syntaxes' output parsed back only when it may
                 * hold a product. */
                if (st->jgen != NULL &&
                    product_may_be_in(st->jbuf.data, st->jbuf.len)) {
                        jtree = parse_back(st->jbuf.data, st->jbuf.len);
                        if (jtree != NULL && YAJL_IS_ARRAY(jtree)) {
                                in.jsonld = (const yajl_val *)
                                                    jtree->u.array.values;
                                in.n_jsonld = jtree->u.array.len;
                        }
                }
                if (st->md.len > 0 &&
                    product_may_be_in(st->md.data, st->md.len))
                        mtree = parse_back(st->md.data, st->md.len);
                in.microdata = mtree;
                /* RDFa's schema.org nodes, as items product.c reads. */
                /* rdfa_items() keeps only schema.org's types. */
                if (st->rdfa_json.len > 0 &&
                    memmem(st->rdfa_json.data, st->rdfa_json.len,
                           "schema.org/", 11) != NULL &&
                    product_may_be_in(st->rdfa_json.data, st->rdfa_json.len))
                        rtree = parse_back(st->rdfa_json.data,
                                           st->rdfa_json.len);
                if (rtree != NULL) {
                        g = gen_into(&items);
                        if (gen_done(g, &items,
                                     g ? rdfa_items(g, rtree) : -1) < 0)
                                goto out;
                        if (items.len > 2)
                                itree = parse_back(items.data, items.len);
                }
                in.rdfa = itree;
                in.og = st->og;
                g = gen_into(&st->product);
                if (gen_done(g, &st->product, g ? product_write(g, &in) : -1) <
                    0)
                        goto out;
        }
        rc = 0;
out:
        if (jtree != NULL)
                yajl_tree_free(jtree);
        if (mtree != NULL)
                yajl_tree_free(mtree);
        if (rtree != NULL)
                yajl_tree_free(rtree);
        if (itree != NULL)
                yajl_tree_free(itree);
        dynbuf_free(&items);
        return rc;
}

const char *structured_product_json(const structured_t *st, size_t *len)
{
        *len = st->product.len;
        return st->product.len > 0 ? st->product.data : NULL;
}

int structured_capped(const structured_t *st)
{
        return st->capped;
}

/* One field: its key, then its JSON text verbatim. */
static int emit(yajl_gen gen, const char *k, const dynbuf_t *v)
{
        if (yajl_gen_string(gen, (const unsigned char *)k, strlen(k)) !=
            yajl_gen_status_ok)
                return -1;
        return yajl_gen_number(gen, v->data, v->len) == yajl_gen_status_ok
                       ? 0
                       : -1;
}

int structured_write_jsonld(const structured_t *st, yajl_gen gen)
{
        static const dynbuf_t empty = { (char *)"[]", 2, 3, 2 };

        if (!(st->on & STRUCTURED_JSONLD))
                return 0;
        if (emit(gen, "json_ld", st->jgen != NULL ? &st->jbuf : &empty) < 0)
                return -1;
        if (st->jsonld_errors > 0 &&
            (yajl_gen_string(gen, (const unsigned char *)"json_ld_errors",
                             14) != yajl_gen_status_ok ||
             yajl_gen_integer(gen, st->jsonld_errors) != yajl_gen_status_ok))
                return -1;
        return 0;
}

int structured_write_rest(const structured_t *st, yajl_gen gen)
{
        if ((st->on & STRUCTURED_MICRODATA) && st->md.len > 0) {
                if (emit(gen, "microdata", &st->md) < 0)
                        return -1;
                if (st->md_errors > 0 &&
                    (yajl_gen_string(gen,
                                     (const unsigned char *)"microdata_errors",
                                     16) != yajl_gen_status_ok ||
                     yajl_gen_integer(gen, (long long)st->md_errors) !=
                             yajl_gen_status_ok))
                        return -1;
        }
        if (st->og_json.len > 0 &&
            emit(gen, "opengraph_full", &st->og_json) < 0)
                return -1;
        if (st->dc_json.len > 0 && emit(gen, "dublincore", &st->dc_json) < 0)
                return -1;
        if (st->rdfa_json.len > 0 && emit(gen, "rdfa", &st->rdfa_json) < 0)
                return -1;
        {
                if (st->rdfa_errors > 0 &&
                    (yajl_gen_string(gen, (const unsigned char *)"rdfa_errors",
                                     11) != yajl_gen_status_ok ||
                     yajl_gen_integer(gen, (long long)st->rdfa_errors) !=
                             yajl_gen_status_ok))
                        return -1;
        }
        if (st->mf_json.len > 0 && emit(gen, "microformats", &st->mf_json) < 0)
                return -1;
        if (st->mf_errors > 0 &&
            (yajl_gen_string(gen, (const unsigned char *)"microformats_errors",
                             19) != yajl_gen_status_ok ||
             yajl_gen_integer(gen, (long long)st->mf_errors) !=
                     yajl_gen_status_ok))
                return -1;
        if (st->product.len > 0 && emit(gen, "product", &st->product) < 0)
                return -1;
        return 0;
}
