/*
 * jsonld.h — a <script type="application/ld+json"> block's text to JSON
 * values, tolerant as search engines' and extruct's readers are.
 *
 * Pages publish JSON-LD that a strict JSON parser refuses but consumers
 * accept, so the text is repaired before yajl parses it: a byte-order
 * mark, HTML comment and CDATA wrappers (<!-- -->, <![CDATA[ ]]>), `//`
 * and block comments, trailing commas before `}` or `]`, raw control
 * characters inside strings (escaped), escapes JSON has no use for
 * (`\'` read as `'`, `\xHH` as `\u00HH`, any other stray backslash kept as
 * a backslash), trailing junk after the last complete value (`}}`, `;`,
 * words), several values one after the other (each one a value), and a
 * block whose quotes are HTML-escaped (`&quot;`, only when the text has no
 * `"` of its own). Only objects and arrays are values: an empty block, or
 * one holding only `null`, `false`, a number, a string, `{}` or `[]`,
 * gives no value and no error (as extruct).
 *
 * Bounded: the repair is one pass without recursion; nesting deeper than
 * JSONLD_DEPTH_MAX makes the block invalid (yajl's generator stops at 128
 * anyway), so a block nested 100,000 deep costs one pass and an error.
 *
 * Thread-safety: no state between calls; any thread.
 */
#ifndef KCRAWL_JSONLD_H
#define KCRAWL_JSONLD_H

#include <yajl/yajl_tree.h>

#include <stddef.h>

#include <yajl/yajl_gen.h>

#include "dynbuf.h"

#define JSONLD_VALUES_MAX 64 /* values of one block; later ones ignored */
#define JSONLD_DEPTH_MAX 100 /* deepest nesting accepted              */

/* A block's values after repair: value i is text.data[start[i], end[i]),
 * strict JSON (still to be checked by a parser: the repair does not
 * validate). */
typedef struct jsonld_values {
        dynbuf_t text;
        size_t start[JSONLD_VALUES_MAX];
        size_t end[JSONLD_VALUES_MAX];
        size_t n;
} jsonld_values_t;

/* An empty set of values holding at most max bytes of repaired text. */
void jsonld_values_init(jsonld_values_t *v, size_t max);
void jsonld_values_free(jsonld_values_t *v);

/*
 * Repairs the block s[0, len) (valid UTF-8) into v (emptied first).
 * Returns 0 (v->n may be 0: nothing but whitespace or comments), 1 when
 * the text cannot be JSON (unbalanced, too deep, or no value at all),
 * -1 when out of memory or over v's cap.
 */
int jsonld_repair(const unsigned char *s, size_t len, jsonld_values_t *v);

/*
 * Repairs and parses the block s[0, len) (valid UTF-8) and writes each of
 * its values into gen (one array element, or one map value, each; values
 * that are not a non-empty object or array are left out). *written is set to the number of values written.
 * All or nothing: a block that is not valid JSON after repair writes
 * nothing. Returns 0, 1 when the block is invalid, -1 when out of memory
 * or when gen refuses.
 */
int jsonld_write(yajl_gen gen, const unsigned char *s, size_t len,
                 size_t *written);

/*
 * The character reference at s[0, len) ("&amp;", "&#39;", "&#x2019;"):
 * one of the five XML names (&quot; &amp; &lt; &gt; &apos;) or a numeric
 * reference of 1 to 7 digits ending in ';' (not 0, a surrogate or over
 * U+10FFFF). Its UTF-8 bytes into out, their count, *used set to the
 * bytes of s read; 0 when s starts no such reference. Shared by the
 * HTML-escaped block's decoding here and articlemeta.c's meta values.
 */
size_t jsonld_char_ref(const unsigned char *s, size_t len, char out[4],
                       size_t *used);

/*
 * The tree walkers' way to read a block (maincontent.c, articlemeta.c):
 * repairs s[0, len) (valid UTF-8, at most max_bytes after repair) as
 * above and calls fn(ctx, value) with each value parsed by the bounded
 * reader (shared/jsonread.h, nesting at most JSONLD_DEPTH_MAX, so a walk
 * of the tree may recurse). The tree is freed after fn returns. Returns
 * the number of values visited; 0 for a block that is not JSON.
 */
typedef void (*jsonld_tree_fn)(void *ctx, yajl_val value);
size_t jsonld_each_tree(const unsigned char *s, size_t len, size_t max_bytes,
                        jsonld_tree_fn fn, void *ctx);

/*
 * The values of a page's JSON-LD scripts, parsed once for the walkers
 * that read the same scripts of one tree (the main content's hints and
 * the article metadata, mainfields.c): keyed by the script text's address
 * (the tree's, unchanged while the cache lives), its length and
 * max_bytes. jsonld_each_tree_in() visits what jsonld_each_tree() would,
 * in the same order; a NULL cache, or one full (JSONLD_CACHE_MAX scripts
 * or JSONLD_CACHE_BYTES of their text), parses as jsonld_each_tree().
 * The trees are freed with the cache; fn must not change them.
 */
#define JSONLD_CACHE_MAX 256
#define JSONLD_CACHE_BYTES (8u * 1024 * 1024)
typedef struct jsonld_cache jsonld_cache_t;
jsonld_cache_t *jsonld_cache_new(void); /* NULL when out of memory */
void jsonld_cache_free(jsonld_cache_t *c);
size_t jsonld_each_tree_in(jsonld_cache_t *c, const unsigned char *s,
                           size_t len, size_t max_bytes, jsonld_tree_fn fn,
                           void *ctx);

#endif /* KCRAWL_JSONLD_H */
