/*
 * opengraph.h — every OpenGraph property of a page, as extruct's
 * OpenGraph output gives it.
 *
 * The page scan hands in what it meets: the `prefix` attributes of <html>,
 * <head> and <body> (RDFa prefix declarations, "og: http://ogp.me/ns#
 * fb: ..."), and each <meta property=... content=...> that is a child of
 * <head> or <body>. The output is an array with one object per <head> and
 * <body> that has properties: {"namespace": {prefix: IRI}, "properties":
 * [[property, content], ...]}, properties in page order, repeated ones
 * (several og:image, og:image:width after each) each kept, values as
 * written. A property counts when its prefix is one of OpenGraph's (og,
 * article, book, profile, music, video, product) or one the page
 * declared (html's declarations, then the element's own, later ones
 * winning); a declaration is read as extruct reads it (a word, ':', an
 * IRI).
 *
 * Thread-safety: one accumulator per page; no global state.
 */
#ifndef KCRAWL_OPENGRAPH_H
#define KCRAWL_OPENGRAPH_H

#include <stddef.h>

#include <yajl/yajl_gen.h>

#define OPENGRAPH_PROPS_MAX 1000        /* later ones are dropped (capped) */
#define OPENGRAPH_VALUE_MAX (64 * 1024) /* longer values are cut          */

enum { OPENGRAPH_HTML, OPENGRAPH_HEAD, OPENGRAPH_BODY };

typedef struct opengraph opengraph_t;

/* A new, empty accumulator; NULL when out of memory. */
opengraph_t *opengraph_new(void);
void opengraph_destroy(opengraph_t *og);

/* The prefix attribute of <html>, <head> or <body> (where: OPENGRAPH_*).
 * Returns 0 or -1 when out of memory. */
int opengraph_prefix(opengraph_t *og, int where, const char *value);

/* A <meta property content> child of <head> or <body> (where). Returns 0
 * or -1 when out of memory; over OPENGRAPH_PROPS_MAX it is dropped and
 * opengraph_capped() answers 1. */
int opengraph_meta(opengraph_t *og, int where, const char *property,
                   const char *content);

/* 1 when a <meta property> was handed in. */
int opengraph_present(const opengraph_t *og);
int opengraph_capped(const opengraph_t *og);

/* The i-th property handed in (page order, any prefix, head's and
 * body's): key and value, not NUL-terminated. Returns 0, or -1 past the
 * end. */
int opengraph_get(const opengraph_t *og, size_t i, const char **key,
                  size_t *key_len, const char **value, size_t *value_len);

/* Writes the array described above into gen. Returns 0, or -1 when gen
 * refuses. */
int opengraph_write(const opengraph_t *og, yajl_gen gen);

#endif /* KCRAWL_OPENGRAPH_H */
