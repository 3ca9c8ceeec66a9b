/*
 * jsonread.h — JSON text to a yajl tree, within a size and a depth bound.
 *
 * yajl_tree_parse() builds the whole tree before the caller can look at it,
 * and yajl_tree_free() recurses once per nesting level: a small message
 * nested a few hundred thousand deep overflows the stack. So every stage
 * parses JSON through here: the size is checked first, then a streaming
 * yajl_parse() pass counts the nesting and stops at the bound, and only
 * then is the tree built. Both passes accept what yajl_tree_parse() accepts
 * (comments included), so the bound is the only difference.
 *
 * Thread-safety: no state between calls; any thread.
 */
#ifndef KCRAWL_JSONREAD_H
#define KCRAWL_JSONREAD_H

#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* jsonread_tree() flag: what yajl would decode to something other than
 * the text meant is replaced by U+FFFD before parsing — bytes that are not
 * strictly UTF-8 (yajl lets overlong forms through), a lone UTF-16
 * surrogate escape ("\ud800", which yajl turns into "?" or into bytes
 * that are not UTF-8) and "\u0000" (which would end the C string the tree
 * holds, silently cutting the value). Strings and keys of the tree are
 * then valid UTF-8 without NUL. */
#define JSONREAD_REPAIR 0x1

typedef struct jsonread_caps {
        size_t max_bytes; /* longest text accepted */
        int max_depth;    /* deepest nesting: 1 for a flat object/array */
        int flags;        /* JSONREAD_REPAIR */
} jsonread_caps_t;

/*
 * Parses text[0, len) (text[len] must be '\0') into a yajl tree, which the
 * caller frees with yajl_tree_free(). Returns NULL with a one-line reason
 * in errstr when the text is longer than caps->max_bytes, nests deeper
 * than caps->max_depth, is not one valid JSON value, or memory runs out.
 */
yajl_val jsonread_tree(const char *text, size_t len,
                       const jsonread_caps_t *caps, char *errstr,
                       size_t errstr_size);

/*
 * The same tree, built in one streaming pass into an arena instead of
 * yajl_tree_parse()'s two passes and a malloc() for every node, key and
 * string: for messages decoded by the million (the crawl state's load,
 * 5-6x faster on a 350-byte state message). The arena is first the
 * caller's buffer (a few KB on the stack hold a small message's tree and
 * yajl's own parser state), then heap blocks as needed; the tree (and
 * every string in it) lives until jsonread_arena_release(), which frees
 * the blocks. Never yajl_tree_free() such a tree. One tree per arena at a
 * time: release before the next parse.
 */
typedef struct jsonread_arena {
        char *buf; /* the caller's buffer */
        size_t size, used;
        void *blocks; /* heap blocks beyond it, newest first */
        char *last;   /* the latest allocation (grown in place) */
} jsonread_arena_t;

void jsonread_arena_init(jsonread_arena_t *a, void *buf, size_t size);
void jsonread_arena_release(jsonread_arena_t *a);

/*
 * As jsonread_tree() (the same bounds, flags, accepted texts and errors),
 * the tree in `a`. Returns NULL with a one-line reason as jsonread_tree().
 */
yajl_val jsonread_tree_in(jsonread_arena_t *a, const char *text, size_t len,
                          const jsonread_caps_t *caps, char *errstr,
                          size_t errstr_size);

/*
 * Writes a tree from jsonread_tree() back as JSON into g (recursion is as
 * deep as the tree, which jsonread_tree() bounded). Returns 0, or -1 when
 * the generator refuses (its own depth limit, 128) or memory runs out.
 */
int jsonread_gen(yajl_gen g, yajl_val v);

/* The string member `name` of object root, copied into dst (cap bytes,
 * NUL-terminated): 0 and "" when absent, -1 when not a string or when it
 * does not fit. One helper for the state messages' decoders
 * (fetcher/crawlstate.c, shared/contentstate.c). */
int jsonread_get_str(yajl_val root, const char *name, char *dst, size_t cap);

#endif /* KCRAWL_JSONREAD_H */
