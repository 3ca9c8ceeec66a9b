/*
 * structured.h — a page's structured data: what the page scan hands in,
 * the record fields that come out.
 *
 * The scan calls structured_jsonld() for each JSON-LD block's text,
 * structured_prefix() for the prefix attribute of <html>, <head>, <body>,
 * structured_meta() for each <meta> and structured_link() for each
 * <link>; these only copy what a syntax that is on needs. Microdata needs
 * the document tree (itemref points anywhere): the scan's look at the
 * bytes before parsing (prescan.h: PRESCAN_ITEMSCOPE, an itemscope
 * attribute in a start tag) tells it, structured_saw_itemscope() and
 * structured_wants_tree() say whether the tree is to be built, and
 * structured_finish() reads it. A page without structured data costs
 * these calls and nothing else.
 *
 * Record fields written (schemas/record.schema.json):
 *   json_ld, json_ld_errors   structured_write_jsonld() (jsonld.h)
 *   microdata, microdata_errors (when > 0), opengraph_full, dublincore,
 *   rdfa, rdfa_errors (when > 0),
 *   microformats, microformats_errors (when > 0),
 *   product                   structured_write_rest(); each only when
 *                             its syntax is on and, except product, the
 *                             page has some.
 * structured_finish() renders them all first (once the scan is done), so
 * the writers only copy text and a caller can know `capped` before.
 *
 * Thread-safety: one per page; no global state.
 */
#ifndef KCRAWL_STRUCTURED_H
#define KCRAWL_STRUCTURED_H

#include <stddef.h>

#include <libxml/tree.h>
#include <yajl/yajl_gen.h>

#include "opengraph.h"
#include "url.h"

/* The syntaxes on (bits; all by default). */
enum {
        STRUCTURED_JSONLD = 1u << 0,
        STRUCTURED_MICRODATA = 1u << 1,
        STRUCTURED_OPENGRAPH = 1u << 2,
        STRUCTURED_DUBLINCORE = 1u << 3,
        STRUCTURED_PRODUCT = 1u << 4,
        STRUCTURED_RDFA = 1u << 6,
        STRUCTURED_MICROFORMATS = 1u << 7,
        STRUCTURED_ALL = 0x1f | STRUCTURED_RDFA | STRUCTURED_MICROFORMATS,
};

#define STRUCTURED_JSONLD_MAX 100 /* blocks; later ones are ignored */

typedef struct structured structured_t;

/* NULL when out of memory. */
structured_t *structured_new(unsigned syntaxes);
void structured_destroy(structured_t *st);

/* A JSON-LD block's text (valid UTF-8); over_cap when the block was
 * longer than the caller's cap (it counts as an error). Returns 0 or -1
 * when out of memory. */
int structured_jsonld(structured_t *st, const unsigned char *text, size_t len,
                      int over_cap);

/* where: OPENGRAPH_HTML, _HEAD, _BODY. */
int structured_prefix(structured_t *st, int where, const char *value);

/* A <meta> with its attributes (name, value pairs, NULL-terminated, names
 * lower-case); parent_where: OPENGRAPH_HEAD / _BODY when its parent is
 * <head> / <body>, else -1. */
int structured_meta(structured_t *st, int parent_where,
                    const char *const *attrs);
int structured_link(structured_t *st, const char *const *attrs);

void structured_saw_itemscope(structured_t *st);
/* RDFa (rdfa.h) reads the tree too: the scan calls this when a start tag
 * has an attribute RDFa can make a triple of (prescan.h PRESCAN_RDFA), and
 * structured_doc_url() with the document's URL (RDFa resolves against it,
 * not <base>, as extruct does). */
void structured_saw_rdfa(structured_t *st);
/* Microformats (microformats.h) read the tree: the scan calls this when a
 * class attribute holds a root class name (prescan.h PRESCAN_MF). */
void structured_saw_microformats(structured_t *st);
int structured_doc_url(structured_t *st, const char *url);
/* 1 when microdata is on and an itemscope attribute was seen, RDFa is
 * on and an RDFa attribute was, or microformats are on and a root class
 * name was. */
int structured_wants_tree(const structured_t *st);
/* 1 when a syntax that is on reads the raw text of script and style
 * elements (microformats: mf2py's text and e-* HTML keep it), so the tree
 * must be built with it (pagescan.c elides it otherwise). */
int structured_wants_raw(const structured_t *st);

/*
 * Renders every field from what was handed in: doc is the page's tree
 * when structured_wants_tree() said so (else NULL), base what URL values
 * resolve against (NULL: kept as written). Call once, after the scan and
 * before the writers. Returns 0 or -1 when out of memory.
 */
int structured_finish(structured_t *st, xmlDocPtr doc, const url_t *base);

/* 1 when a syntax's output was cut at a cap (the record's `capped` lists
 * "structured_data"). */
/* The page's product object as compact JSON text (*len bytes, NUL-
 * terminated), or NULL when product extraction is off. Owned by st. */
const char *structured_product_json(const structured_t *st, size_t *len);

int structured_capped(const structured_t *st);

/* Writes "json_ld": [...] and, when some blocks were invalid,
 * "json_ld_errors" into the open record map (after structured_finish()).
 * Returns 0, or -1 when gen refuses. */
int structured_write_jsonld(const structured_t *st, yajl_gen gen);

/* Writes microdata, microdata_errors, opengraph_full, dublincore and
 * product (each when on and, but product, when the page has some) into
 * the open record map (after structured_finish()). Returns 0 or -1. */
int structured_write_rest(const structured_t *st, yajl_gen gen);

#endif /* KCRAWL_STRUCTURED_H */
