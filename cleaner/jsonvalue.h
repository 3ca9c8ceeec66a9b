/*
 * jsonvalue.h — the record's JSON values that are not written by yajl
 * alone: strings made strictly valid UTF-8 (a page's bytes are repaired to
 * U+FFFD, never refused) and quoted by json_quote() (jsonstr.h), and JSON
 * text from the page or its message (JSON-LD blocks, the meta header)
 * re-emitted compactly as one value.
 *
 * yajl still writes the structure around them: a literal built here is
 * handed to yajl_gen_number(), which writes its argument as it is with the
 * separators of the current position (keys cannot go that way: yajl
 * refuses a number as a key, so they go through yajl_gen_string()).
 *
 * Thread-safety: no state; any thread.
 */
#ifndef KCRAWL_JSONVALUE_H
#define KCRAWL_JSONVALUE_H

#include "dynbuf.h"

#include <stddef.h>
#include <yajl/yajl_gen.h>

/* Appends s[0, len) to b as a JSON string literal, repaired to strict
 * UTF-8 first when it is not. Returns 0, or -1 when out of memory or over
 * b's maximum (b unchanged). */
int jsonvalue_quote(dynbuf_t *b, const unsigned char *s, size_t len);

/* Writes s[0, len) as a string value with gen: the literal is built in
 * `scratch` (its bytes replaced) by jsonvalue_quote(). NULL s writes null.
 * Sets *oom when memory runs out. */
yajl_gen_status jsonvalue_string(yajl_gen gen, dynbuf_t *scratch,
                                 const unsigned char *s, size_t len, int *oom);

/* Writes s[0, len) as a map key with gen, repaired to strict UTF-8 first
 * when needed (yajl's own check is looser). Sets *oom when memory runs
 * out. */
yajl_gen_status jsonvalue_key(yajl_gen gen, const unsigned char *s, size_t len,
                              int *oom);

/*
 * Re-emits the JSON text s[0, len) (repaired to strict UTF-8 first) as one
 * compact JSON value into `out` (its bytes replaced): numbers as written,
 * strings re-quoted by jsonvalue_quote() (`scratch` holds each literal).
 * Returns 0 when written, 1 when the text is not one valid JSON value (or
 * nests deeper than yajl's generator allows), -1 when out of memory.
 */
int jsonvalue_reemit(const unsigned char *s, size_t len, dynbuf_t *out,
                     dynbuf_t *scratch);

#endif /* KCRAWL_JSONVALUE_H */
