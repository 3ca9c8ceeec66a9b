/*
 * rdfa.h — RDFa (Core 1.1, which includes RDFa Lite, and 1.0 for a page
 * whose <html version> says so) as extruct's RDFa output gives it, from a
 * libxml2 HTML document: the triples as expanded JSON-LD.
 *
 * The processing follows RDFa Core 1.1 (W3C Recommendation, section 7.5)
 * with the choices of pyRdfa as extruct runs it (host language "RDFa
 * Core", the document's URL as the base, <base> not read): vocab, prefix
 * and xmlns: declarations, the RDFa initial context (prefixes such as
 * schema, og, dc, foaf, xsd, rdf, rdfs and the terms describedby, license,
 * role) with extruct's additions (fb, twitter, music, video, article,
 * book, profile), typeof, property, resource, about, href, src, content,
 * datatype (XML literals too), rel and rev with their hanging triples,
 * inlist (RDF lists), role (xhv:role), xml:lang. Literal text is every
 * text below the element (script and comment text too, as extruct's DOM
 * gives it).
 *
 * The output is a JSON array of node objects, one per subject (a blank
 * node used as an object is listed once it is reached), each {"@id",
 * "@type": [IRIs], IRI: [values]}, a value {"@id"}, {"@value"} with
 * "@language" or "@type", or {"@list": [...]}; xsd:integer, xsd:double,
 * xsd:boolean values are JSON numbers and booleans, as rdflib writes them.
 * Blank nodes are "_:bN". Nodes come in document order of their first
 * triple, values in document order (extruct sorts neither: compare as
 * sets). A triple given twice is one triple.
 *
 * Bounded, without recursion: elements nest at most RDFA_DEPTH_MAX deep
 * (deeper ones are not read, counted in errors), a page's work stops at
 * RDFA_TRIPLES_MAX triples, RDFA_TERMS_MAX terms, RDFA_BYTES_MAX bytes of
 * IRIs and literals or RDFA_VISITS_MAX node visits (element visits and the
 * nodes literal texts read); a literal is cut at RDFA_LITERAL_MAX bytes.
 * Each cut counts in errors and sets capped.
 *
 * Thread-safety: no state between calls; the document is only read.
 */
#ifndef KCRAWL_RDFA_H
#define KCRAWL_RDFA_H

#include <stddef.h>

#include <libxml/tree.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "url.h"

#define RDFA_DEPTH_MAX 10000
#define RDFA_TRIPLES_MAX 100000
#define RDFA_TERMS_MAX 400000
#define RDFA_BYTES_MAX (16 * 1024 * 1024)
#define RDFA_VISITS_MAX (4 * 1000 * 1000)
#define RDFA_LITERAL_MAX (256 * 1024)

typedef struct rdfa_stats {
        size_t triples; /* triples extracted                       */
        size_t nodes;   /* node objects written                    */
        size_t errors;  /* what a cap left out                     */
        int capped;     /* an RDFA_*_MAX cut the output            */
} rdfa_stats_t;

/*
 * Writes the document's RDFa as one JSON array into gen ("[]" when it has
 * none). base is the document's URL (relative IRIs resolve against it;
 * NULL: kept as written); doc_iri the same URL as given, the document's
 * own IRI (as extruct keeps it: not WHATWG-serialised; its fragment left
 * out; NULL: base's). Returns 0, or -1 when out of memory or gen refuses.
 */
int rdfa_write(yajl_gen gen, xmlDocPtr doc, const url_t *base,
               const char *doc_iri, rdfa_stats_t *stats);

/*
 * The schema.org nodes of rdfa_write()'s output (parsed, nodes) as
 * microdata-shaped items ({type: [IRIs], properties: {name: [values]}},
 * names without the schema.org namespace, a value naming another
 * schema.org node nested as its item, at most 4 deep), the nodes no other
 * node refers to at the top, for product.c (source "rdfa"). At most 2,000
 * nodes are read. Returns 0 or -1 when gen refuses.
 */
int rdfa_items(yajl_gen gen, yajl_val nodes);

#endif /* KCRAWL_RDFA_H */
