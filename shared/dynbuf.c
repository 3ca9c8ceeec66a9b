/*
 * dynbuf.c — the capped growable buffer (see dynbuf.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dynbuf.h"

#define DYNBUF_FIRST 256

int dynbuf_room(char **data, size_t *cap, size_t len, size_t n, size_t max)
{
        size_t need, ncap;
        char *nd;

        if (len > max || n > max - len)
                return DYNBUF_ERR_TOO_BIG;
        if (len + n >= SIZE_MAX)
                return DYNBUF_ERR_TOO_BIG;
        need = len + n + 1;
        if (need <= *cap)
                return 0;
        ncap = *cap ? *cap : DYNBUF_FIRST;
        while (ncap < need) {
                if (ncap > SIZE_MAX / 2)
                        return DYNBUF_ERR_NOMEM;
                ncap *= 2;
        }
        if (max < SIZE_MAX && ncap > max + 1)
                ncap = max + 1; /* need <= max + 1 */
        nd = realloc(*data, ncap);
        if (nd == NULL)
                return DYNBUF_ERR_NOMEM;
        *data = nd;
        *cap = ncap;
        return 0;
}

void dynbuf_init(dynbuf_t *b, size_t max)
{
        b->data = NULL;
        b->len = b->cap = 0;
        b->max = max;
}

int dynbuf_reserve(dynbuf_t *b, size_t n)
{
        return dynbuf_room(&b->data, &b->cap, b->len, n, b->max);
}

int dynbuf_append(char **data, size_t *cap, size_t *len, size_t max,
                  const void *p, size_t n)
{
        int rc = dynbuf_room(data, cap, *len, n, max);

        if (rc < 0)
                return rc;
        if (n)
                memcpy(*data + *len, p, n);
        *len += n;
        (*data)[*len] = '\0';
        return 0;
}

int dynbuf_add(dynbuf_t *b, const void *p, size_t n)
{
        return dynbuf_append(&b->data, &b->cap, &b->len, b->max, p, n);
}

void dynbuf_free(dynbuf_t *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}
