/*
 * microdata.h — HTML microdata (WHATWG HTML, "Microdata") as extruct's
 * microdata output gives it, from a libxml2 HTML document.
 *
 * The output is a JSON array of items in document order of their
 * itemscope elements; an item nested as a property value appears there
 * and not again at the top. An item is {"type", "id", "properties"}:
 * `type` the itemtype tokens (a string when there is one, an array when
 * several or in strict mode), `id` the trimmed itemid (only with a type),
 * `properties` a map from each property name to its value, or to the array
 * of its values when the name is repeated (always an array in strict
 * mode), names in order of first appearance. An item without properties
 * has `value` instead (the element's own value). Properties come from the
 * item's subtree (not entering nested items) and from each element its
 * itemref names (the first element with that id). Values by element: a
 * nested item; meta: content; audio, embed, iframe, img, source, track,
 * video: src (else content), a, area, link: href (else content), object:
 * data (else content) — resolved against the base (kept as written when
 * they cannot be); data, meter: value; time: datetime; any other element
 * with a non-empty content attribute: content; an itemprop ending in
 * "-input"/"-output" (schema.org actions): {valueRequired, valueName};
 * else the element's text as html-text renders it (script, style, link,
 * meta and comments left out, whitespace collapsed, line breaks around
 * block elements, no space before punctuation).
 *
 * Bounded, without unbounded recursion: each item is emitted once (which
 * also breaks itemref cycles: an item met again is null), items nest at
 * most MICRODATA_DEPTH_MAX deep (a deeper one is null and counted in
 * errors), and a page's work stops at MICRODATA_ITEMS_MAX items,
 * MICRODATA_PROPS_MAX properties or MICRODATA_VISITS_MAX element visits
 * (the output is then cut and `capped` set). Texts are cut at
 * MICRODATA_TEXT_MAX bytes.
 *
 * Thread-safety: no state between calls; the document is only read.
 */
#ifndef KCRAWL_MICRODATA_H
#define KCRAWL_MICRODATA_H

#include <stddef.h>

#include <libxml/tree.h>
#include <yajl/yajl_gen.h>

#include "url.h"

#define MICRODATA_DEPTH_MAX 32
#define MICRODATA_ITEMS_MAX 10000
#define MICRODATA_PROPS_MAX 100000
#define MICRODATA_VISITS_MAX (4 * 1000 * 1000)
#define MICRODATA_TEXT_MAX (64 * 1024)

typedef struct microdata_stats {
        size_t items;  /* items written                          */
        size_t errors; /* items left out (nested too deep)       */
        int capped;    /* a MICRODATA_*_MAX cut the output        */
} microdata_stats_t;

/* 1 when doc has an element with an itemscope attribute. */
int microdata_present(xmlDocPtr doc);

/*
 * Writes the document's items as one JSON array into gen. base resolves
 * URL values (NULL: kept as written); strict as extruct's strict mode
 * (types and property values always arrays). Returns 0, or -1 when out of
 * memory or gen refuses (the array may then be unfinished).
 */
int microdata_write(yajl_gen gen, xmlDocPtr doc, const url_t *base, int strict,
                    microdata_stats_t *stats);

#endif /* KCRAWL_MICRODATA_H */
