/*
 * lazyimg.h — an image's source as a browser ends up showing it: `src`,
 * or, when `src` is missing or a placeholder (a data: URI, a blank, spacer
 * or pixel gif, a "placeholder" or "lazy" image), where lazy-loading
 * scripts keep the real one: data-src, data-lazy-src, data-original, then
 * the first candidate of srcset (or data-srcset). One choice for the
 * record's `images` (pagescan.c) and for Markdown (markdown.c).
 * Thread-safety: pure functions.
 */
#ifndef KCRAWL_LAZYIMG_H
#define KCRAWL_LAZYIMG_H

#include <stddef.h>

/* An element's attribute by (lower-case) name: its value ("" when it has
 * none), or NULL when the element does not have it. */
typedef const char *(*lazyimg_attr_fn)(const void *elem, const char *name);

/* True when src is NULL, empty or a placeholder image. */
int lazyimg_placeholder(const char *src);

/* The element's image source, unresolved: `src` when it is not a
 * placeholder, else the first lazy-loading attribute that is not empty,
 * else the first srcset candidate copied into buf[size] (cut to fit);
 * NULL when there is none (a placeholder src is then the caller's to keep
 * or drop). The result is an attribute's value or buf. */
const char *lazyimg_src(lazyimg_attr_fn get, const void *elem, char *buf,
                        size_t size);

#endif
