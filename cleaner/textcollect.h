/*
 * textcollect.h — the whitespace-collapsing text collector of the page
 * scan (pagescan.c): text appended in pieces as the parser reports it,
 * whitespace runs (every Unicode space too: text_uspace()) collapsed to one space, none leading, a
 * block boundary (collector_break()) counting as whitespace, words
 * counted, cut at a byte limit on a character boundary.
 *
 * Several collectors may share one buffer (each item's text is then
 * dst[start, dst->len) while it is collected, as the scan does for link
 * and heading texts). Thread-safety: no state of its own.
 */
#ifndef KCRAWL_TEXTCOLLECT_H
#define KCRAWL_TEXTCOLLECT_H

#include "dynbuf.h"

#include <stddef.h>

/* A collector. Its text is dst[start, dst->len). */
typedef struct collector {
        dynbuf_t *dst;
        size_t start;
        size_t limit; /* bytes this item may take                   */
        int depth;    /* the element collected's depth; 0 when idle */
        int space;    /* a space is due before the next word        */
        int in_word;
        int full; /* limit reached                               */
} collector_t;

/* Length of the Unicode space (Zs, or U+2028/U+2029) whose UTF-8 begins
 * at s[0, n) other than U+0020: U+00A0, U+1680, U+2000-U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000; 0 when there is none. Every text the
 * cleaner writes collapses these like a space (the collector here and
 * markdown.c). */
size_t text_uspace(const unsigned char *s, size_t n);

/* Starts collecting into dst (at its end) at most limit bytes; depth is
 * the caller's (the element collected, 0 for none). */
void collector_start(collector_t *c, dynbuf_t *dst, size_t limit, int depth);

/* A block boundary: the next word is a new one, after a space. */
void collector_break(collector_t *c);

/* Appends s[0, len) collapsed; counts the words begun into *words when
 * not NULL. Sets *oom (and appends nothing) when memory runs out. */
void collector_add(collector_t *c, const unsigned char *s, size_t len,
                   long long *words, int *oom);

#endif /* KCRAWL_TEXTCOLLECT_H */
