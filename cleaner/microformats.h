/*
 * microformats.h — microformats2 items (h-card, h-entry, h-event, ...) and
 * the classic microformats mf2py maps onto them (vcard, hentry, vevent,
 * hproduct, hreview, adr, geo, hfeed, ...), as mf2py 2.0 parses them for
 * extruct 0.18.0: the `items` list of mf2 JSON, each
 * {"type": [...], "properties": {...}, "children", "id", "value", "lang"}.
 *
 * Parsing rules (microformats.org/wiki/microformats2-parsing, as mf2py
 * implements them): p-/u-/dt-/e- properties with the value-class pattern,
 * u- values resolved against the base (kept as written without one),
 * implied name, photo and url (not for classic roots), nested items as
 * property values and as children.
 *
 * Bounded: the tree is walked without recursion but for nested items,
 * which nest at most MF_NEST_MAX deep (deeper ones are skipped, counted as
 * errors); at most MF_ITEMS_MAX items, MF_BYTES_MAX bytes of output and
 * MF_VISITS_MAX node visits (text and HTML read included) a page; past a
 * cap the output is cut and `capped` set.
 *
 * Thread-safety: no global state.
 */
#ifndef KCRAWL_MICROFORMATS_H
#define KCRAWL_MICROFORMATS_H

#include <stddef.h>

#include <libxml/tree.h>

#include "dynbuf.h"
#include "url.h"

#define MF_NEST_MAX 16
#define MF_ITEMS_MAX 20000
#define MF_BYTES_MAX (8 * 1024 * 1024)
#define MF_VISITS_MAX (8 * 1000 * 1000)

typedef struct mf_stats {
        size_t items;  /* top-level items written */
        size_t errors; /* items skipped (too deep) or cut at a cap */
        int capped;    /* an MF_*_MAX cut the output */
} mf_stats_t;

/* Appends the page's items as one JSON array to out. base: what u- values
 * resolve against (NULL: kept as written). Returns 0 or -1 when out of
 * memory. */
int microformats_write(dynbuf_t *out, xmlDocPtr doc, const url_t *base,
                       mf_stats_t *stats);

/* Whether the class token s[0, n) is an mf2 root class name ("h-card"),
 * or a classic root mf2py reads ("vcard"). For the page's prescan. */
int microformats_root_class(const char *s, size_t n);

#endif /* KCRAWL_MICROFORMATS_H */
