/*
 * dynbuf.h — the one growable byte buffer, capped at creation (the shape of
 * curl's dynbuf): it grows by doubling, never past its maximum, and keeps
 * its bytes NUL-terminated.
 *
 * dynbuf_room() is the growth rule itself, for code that keeps its buffer
 * in its own fields (url.c's strings, json_quote()'s caller buffer, an
 * iconv output); dynbuf_t is the buffer for everything else.
 */
#ifndef KCRAWL_DYNBUF_H
#define KCRAWL_DYNBUF_H

#include <stddef.h>

#define DYNBUF_ERR_NOMEM (-1)   /* realloc failed */
#define DYNBUF_ERR_TOO_BIG (-2) /* the bytes would pass the maximum */

typedef struct dynbuf {
        char *data; /* NULL until the first byte; NUL-terminated after */
        size_t len; /* bytes used, NUL not counted */
        size_t cap; /* bytes allocated */
        size_t max; /* the most bytes it may hold, NUL not counted */
} dynbuf_t;

/*
 * Makes room in *data (len bytes used of *cap) for n more bytes and a NUL,
 * holding at most max bytes: realloc's *data, doubling *cap (first 256
 * bytes, never above max + 1). When *cap > max it is never reallocated, so
 * a fixed buffer of *cap bytes may be passed. Returns 0,
 * DYNBUF_ERR_TOO_BIG (len + n > max) or DYNBUF_ERR_NOMEM; on error nothing
 * changes.
 */
int dynbuf_room(char **data, size_t *cap, size_t len, size_t n, size_t max);

/* Appends p[0, n) to *data (*len bytes used of *cap) by dynbuf_room(),
 * keeping it NUL-terminated and *len up to date. Returns 0 or a
 * DYNBUF_ERR_ code (nothing appended). */
int dynbuf_append(char **data, size_t *cap, size_t *len, size_t max,
                  const void *p, size_t n);

/* An empty buffer that will hold at most max bytes. */
void dynbuf_init(dynbuf_t *b, size_t max);

/* Room for n more bytes (dynbuf_room()'s return codes). */
int dynbuf_reserve(dynbuf_t *b, size_t n);

/* Appends p[0, n). Returns 0 or a DYNBUF_ERR_ code (nothing appended). */
int dynbuf_add(dynbuf_t *b, const void *p, size_t n);

/* Frees the bytes; the buffer is empty again and keeps its maximum. */
void dynbuf_free(dynbuf_t *b);

#endif /* KCRAWL_DYNBUF_H */
