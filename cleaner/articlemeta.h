/*
 * articlemeta.h — who wrote a page, when, and for which site.
 *
 * From, in this order of trust: the page's JSON-LD (author, datePublished,
 * dateModified, publisher / WebSite name), microdata (itemprop author,
 * datePublished, dateModified), OpenGraph and article meta
 * (article:published_time, og:site_name, name=author ...), then the page
 * itself (<time datetime>, a byline). Dates come out as YYYY-MM-DD, or as an
 * RFC 3339 date-time when the page gives a time with its zone; a field the
 * page does not give stays NULL.
 *
 * Walks are iterative; at most `max_nodes` elements are looked at.
 * Thread-safety: no global state; any thread.
 */
#ifndef KCRAWL_ARTICLEMETA_H
#define KCRAWL_ARTICLEMETA_H

#include <stddef.h>

#include <libxml/tree.h>

#define ARTICLEMETA_FIELD_MAX 256 /* bytes of one field, NUL included */

typedef struct articlemeta {
        char *author;       /* NULL when the page does not say */
        char *published_at; /* YYYY-MM-DD or RFC 3339          */
        char *modified_at;
        char *site_name;
} articlemeta_t;

/*
 * Fills *meta (all NULL first) from doc. Returns 0, or -1 when out of
 * memory (errstr says so). The strings are the caller's
 * (articlemeta_clear()). jc: the page's parsed JSON-LD scripts, shared
 * with the main content's (jsonld.h); may be NULL.
 */
struct jsonld_cache;
int articlemeta_find(xmlDocPtr doc, size_t max_nodes, struct jsonld_cache *jc,
                     articlemeta_t *meta, char *errstr, size_t errstr_size);

void articlemeta_clear(articlemeta_t *meta);

/*
 * Normalises a date as the page wrote it (ISO 8601, "2024/03/05",
 * "March 5, 2024", "5 March 2024") into out: YYYY-MM-DD, or
 * YYYY-MM-DDTHH:MM:SS(Z|+HH:MM) when it has a time and a zone. Returns 0,
 * or -1 when it is not a date.
 */
int articlemeta_date(const char *in, char *out, size_t size);

#endif /* KCRAWL_ARTICLEMETA_H */
