/*
 * dublincore.h — Dublin Core metadata (<meta name="DC.*">, "DCTERMS.*",
 * <link rel="DCTERMS.*">, <link rel="schema.DC" href=...>) as extruct's
 * Dublin Core output gives it.
 *
 * The page scan hands in every <meta> and <link> with all its attributes.
 * A <meta> whose name, or a <link> whose rel, ends (after its last '.',
 * case-insensitively) in a DCMES element name is an element, else in a
 * DCMI term name a term; each is written as an object of the element's
 * attributes plus "URI" (the property's IRI). `namespaces` maps each
 * <link rel="schema.X"> whose href is one of the two Dublin Core
 * namespaces to it. Note that, as in extruct, a plain
 * <meta name="description"> counts (its name is an element's).
 * Output: [{"namespaces": {}, "elements": [], "terms": []}].
 *
 * Thread-safety: one accumulator per page; no global state.
 */
#ifndef KCRAWL_DUBLINCORE_H
#define KCRAWL_DUBLINCORE_H

#include <stddef.h>

#include <yajl/yajl_gen.h>

#define DUBLINCORE_MAX 1000              /* elements + terms kept         */
#define DUBLINCORE_VALUE_MAX (64 * 1024) /* longer attribute values cut */

typedef struct dublincore dublincore_t;

dublincore_t *dublincore_new(void);
void dublincore_destroy(dublincore_t *dc);

/* A <meta> (is_link 0) or <link> (1) with its attributes: name, value
 * pairs, NULL-terminated (libxml2's SAX attribute array; a NULL value is
 * an attribute without one). Returns 0 or -1 when out of memory. */
int dublincore_add(dublincore_t *dc, int is_link, const char *const *attrs);

/* 1 when something was found (an element, a term or a namespace). */
int dublincore_present(const dublincore_t *dc);
int dublincore_capped(const dublincore_t *dc);

/* Writes the array described above into gen; 0, or -1 when gen refuses. */
int dublincore_write(const dublincore_t *dc, yajl_gen gen);

#endif /* KCRAWL_DUBLINCORE_H */
