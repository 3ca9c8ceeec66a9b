/*
 * jsonread.c — bounded JSON parsing (see jsonread.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "jsonread.h"
#include "utf8.h"

typedef struct depth_count {
        int depth, max_depth;
        int over; /* the bound was crossed */
} depth_count_t;

static int dc_open(void *ctx)
{
        depth_count_t *dc = ctx;

        if (++dc->depth > dc->max_depth) {
                dc->over = 1;
                return 0; /* cancels the parse */
        }
        return 1;
}

static int dc_close(void *ctx)
{
        depth_count_t *dc = ctx;

        dc->depth--;
        return 1;
}

/* Only nesting matters: scalars and keys need no callback. */
static const yajl_callbacks depth_callbacks = {
        NULL,    NULL, NULL,     NULL,    NULL,     NULL,
        dc_open, NULL, dc_close, dc_open, dc_close,
};

static int hex4(const char *s, unsigned *cp)
{
        unsigned v = 0;

        for (int i = 0; i < 4; i++) {
                char c = s[i];

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned)(c - 'A' + 10);
                else
                        return -1;
        }
        *cp = v;
        return 0;
}

/*
 * Rewrites, in place, each "\uXXXX" escape that is U+0000 or a surrogate
 * not part of a high-low pair into "\uFFFD" (the same six bytes, so yajl's
 * error offsets stay true). Written by hand because yajl decodes these
 * wrongly and offers no hook between lexing and decoding; it only needs to
 * know string bounds, escapes and comments, and leaves validation to yajl.
 */
static void repair_escapes(char *s, size_t len)
{
        size_t i = 0;

        while (i < len) {
                if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
                        char *e = memmem(s + i + 2, len - i - 2, "*/", 2);

                        i = e ? (size_t)(e - s) + 2 : len;
                } else if (s[i] == '/' && i + 1 < len && s[i + 1] == '/') {
                        char *e = memchr(s + i, '\n', len - i);

                        i = e ? (size_t)(e - s) + 1 : len;
                } else if (s[i] != '"') {
                        i++;
                } else {
                        /* A string: up to the closing quote. */
                        for (i++; i < len && s[i] != '"'; i++) {
                                unsigned cp, lo;

                                if (s[i] != '\\')
                                        continue;
                                if (i + 1 >= len)
                                        break;
                                if (s[i + 1] != 'u' || i + 6 > len ||
                                    hex4(s + i + 2, &cp)) {
                                        i++; /* skips the escaped char */
                                        continue;
                                }
                                if (cp >= 0xD800 && cp <= 0xDBFF &&
                                    i + 12 <= len && s[i + 6] == '\\' &&
                                    s[i + 7] == 'u' && !hex4(s + i + 8, &lo) &&
                                    lo >= 0xDC00 && lo <= 0xDFFF) {
                                        i += 11; /* a pair: kept */
                                        continue;
                                }
                                if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
                                        memcpy(s + i + 2, "FFFD", 4);
                                i += 5;
                        }
                        i++;
                }
        }
}

/* What both parses start with: the size and NUL checks, then the repair
 * (JSONREAD_REPAIR). Returns the text to parse — `text` itself, or *fixed,
 * a malloc'd repaired copy, its length in *len — or NULL with errstr
 * filled. */
static const char *prepare(const char *text, size_t *len,
                           const jsonread_caps_t *caps, char **fixed,
                           char *errstr, size_t errstr_size)
{
        *fixed = NULL;
        if (*len > caps->max_bytes) {
                snprintf(errstr, errstr_size,
                         "JSON text of %zu bytes is over the %zu-byte limit",
                         *len, caps->max_bytes);
                return NULL;
        }
        if (strlen(text) != *len) {
                snprintf(errstr, errstr_size,
                         "not valid JSON: a NUL byte in the text");
                return NULL;
        }
        if (!(caps->flags & JSONREAD_REPAIR))
                return text;
        /* yajl's own UTF-8 check lets overlong forms through: strict
         * repair first, then the escapes. */
        if (utf8_valid_prefix((const unsigned char *)text, *len) != *len) {
                if (utf8_repair((const unsigned char *)text, *len, 0, fixed,
                                len)) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return NULL;
                }
        } else {
                *fixed = malloc(*len + 1);
                if (!*fixed) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return NULL;
                }
                memcpy(*fixed, text, *len + 1);
        }
        repair_escapes(*fixed, *len);
        return *fixed;
}

/* One streaming pass of text through h, comments allowed (as
 * yajl_tree_parse). */
static yajl_status stream(yajl_handle h, const char *text, size_t len)
{
        yajl_status st;

        yajl_config(h, yajl_allow_comments, 1);
        st = yajl_parse(h, (const unsigned char *)text, len);
        return st == yajl_status_ok ? yajl_complete_parse(h) : st;
}

/* A pass's verdict: 0, or -1 with the one-line reason — the depth bound
 * when it was crossed (the pass stopped there), else yajl's. */
static int verdict(yajl_handle h, yajl_status st, int over,
                   const jsonread_caps_t *caps, char *errstr,
                   size_t errstr_size)
{
        unsigned char *msg;

        if (over) {
                snprintf(errstr, errstr_size,
                         "JSON nests deeper than %d levels", caps->max_depth);
                return -1;
        }
        if (st == yajl_status_ok)
                return 0;
        msg = yajl_get_error(h, 0, NULL, 0);
        snprintf(errstr, errstr_size, "not valid JSON: %s",
                 msg ? (const char *)msg : "parse error");
        errstr[strcspn(errstr, "\n")] = '\0';
        if (msg)
                yajl_free_error(h, msg);
        return -1;
}

yajl_val jsonread_tree(const char *text, size_t len,
                       const jsonread_caps_t *caps, char *errstr,
                       size_t errstr_size)
{
        depth_count_t dc = { 0, caps->max_depth, 0 };
        yajl_handle h = NULL;
        yajl_status st;
        yajl_val root = NULL;
        char *fixed = NULL, why[256];

        text = prepare(text, &len, caps, &fixed, errstr, errstr_size);
        if (!text)
                goto out;
        h = yajl_alloc(&depth_callbacks, NULL, &dc);
        if (!h) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        st = stream(h, text, len); /* before dc.over is read */
        if (verdict(h, st, dc.over, caps, errstr, errstr_size))
                goto out;
        why[0] = '\0';
        root = yajl_tree_parse(text, why, sizeof(why));
        if (!root) {
                why[strcspn(why, "\n")] = '\0';
                snprintf(errstr, errstr_size, "not valid JSON: %s",
                         why[0] ? why : "out of memory");
        }
out:
        if (h)
                yajl_free(h);
        free(fixed);
        return root;
}

/* ------------------------------------------------------------ arena -- */

#define ARENA_ALIGN 16u
#define ARENA_BLOCK_MIN 16384u

/* A heap block; its memory follows the header. */
typedef struct arena_block {
        struct arena_block *next;
        size_t size, used;
        char *mem;
} arena_block_t;

/* Each allocation is preceded by its size (for realloc). */
typedef struct arena_hdr {
        size_t size;
        size_t pad; /* keeps the memory after it 16-byte aligned */
} arena_hdr_t;

void jsonread_arena_init(jsonread_arena_t *a, void *buf, size_t size)
{
        uintptr_t p = (uintptr_t)buf,
                  q = (p + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1);

        memset(a, 0, sizeof(*a));
        if (buf && size > q - p) {
                a->buf = (char *)q;
                a->size = size - (q - p);
        }
}

void jsonread_arena_release(jsonread_arena_t *a)
{
        arena_block_t *b = a->blocks;

        while (b) {
                arena_block_t *next = b->next;

                free(b);
                b = next;
        }
        a->blocks = NULL;
        a->used = 0;
        a->last = NULL;
}

static size_t round_up(size_t n)
{
        return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

static void *arena_alloc(void *ctx, size_t n)
{
        jsonread_arena_t *a = ctx;
        arena_block_t *b = a->blocks;
        size_t need = sizeof(arena_hdr_t) + round_up(n ? n : 1);
        arena_hdr_t *h;

        if (need < n)
                return NULL; /* overflow */
        if (!b && a->used + need <= a->size) {
                h = (arena_hdr_t *)(a->buf + a->used);
                a->used += need;
        } else {
                if (!b || b->used + need > b->size) {
                        size_t sz = b ? b->size * 2 : ARENA_BLOCK_MIN;

                        if (sz < need)
                                sz = need;
                        b = malloc(round_up(sizeof(*b)) + sz);
                        if (!b)
                                return NULL;
                        b->mem = (char *)b + round_up(sizeof(*b));
                        b->size = sz;
                        b->used = 0;
                        b->next = a->blocks;
                        a->blocks = b;
                }
                h = (arena_hdr_t *)(b->mem + b->used);
                b->used += need;
        }
        h->size = n;
        a->last = (char *)(h + 1);
        return h + 1;
}

static void *arena_realloc(void *ctx, void *ptr, size_t n)
{
        jsonread_arena_t *a = ctx;
        arena_block_t *b = a->blocks;
        arena_hdr_t *h;
        void *p;

        if (!ptr)
                return arena_alloc(ctx, n);
        h = (arena_hdr_t *)ptr - 1;
        if (n <= h->size) {
                h->size = n;
                return ptr;
        }
        /* The latest allocation grows in place when there is room. */
        if (ptr == a->last) {
                size_t old = round_up(h->size ? h->size : 1),
                       grown = round_up(n);
                size_t *used = b ? &b->used : &a->used,
                       cap = b ? b->size : a->size;

                if (grown >= n && *used - old + grown <= cap) {
                        *used = *used - old + grown;
                        h->size = n;
                        return ptr;
                }
        }
        p = arena_alloc(ctx, n);
        if (p)
                memcpy(p, ptr, h->size);
        return p;
}

/* Memory goes back with the whole arena. */
static void arena_free(void *ctx, void *ptr)
{
}

/* ----------------------------------------------- the tree in an arena -- */

typedef struct tchild {
        struct tchild *next;
        const char *key; /* NULL in an array */
        yajl_val v;
} tchild_t;

/* An open object or array. */
typedef struct tframe {
        struct tframe *up;
        yajl_val node;
        tchild_t *head, *tail;
        size_t n;
        const char *key; /* the object's key awaiting its value */
} tframe_t;

typedef struct tbuild {
        jsonread_arena_t *a;
        tframe_t *top;
        yajl_val root;
        int depth, max_depth;
        int over; /* the depth bound was crossed */
        int oom;
} tbuild_t;

static yajl_val tb_node(tbuild_t *b, yajl_type type)
{
        yajl_val v = arena_alloc(b->a, sizeof(*v));

        if (!v) {
                b->oom = 1;
                return NULL;
        }
        memset(v, 0, sizeof(*v));
        v->type = type;
        return v;
}

static char *tb_str(tbuild_t *b, const void *s, size_t len)
{
        char *p = arena_alloc(b->a, len + 1);

        if (!p) {
                b->oom = 1;
                return NULL;
        }
        memcpy(p, s, len);
        p[len] = '\0';
        return p;
}

/* Adds v to the open container, or makes it the root. 0 cancels. */
static int tb_add(tbuild_t *b, yajl_val v)
{
        tframe_t *f = b->top;
        tchild_t *c;

        if (!v)
                return 0;
        if (!f) {
                b->root = v;
                return 1;
        }
        c = arena_alloc(b->a, sizeof(*c));
        if (!c) {
                b->oom = 1;
                return 0;
        }
        c->next = NULL;
        c->key = f->key;
        c->v = v;
        f->key = NULL;
        if (f->tail)
                f->tail->next = c;
        else
                f->head = c;
        f->tail = c;
        f->n++;
        return 1;
}

static int tb_null(void *ctx)
{
        tbuild_t *b = ctx;

        return tb_add(b, tb_node(b, yajl_t_null));
}

static int tb_bool(void *ctx, int val)
{
        tbuild_t *b = ctx;

        return tb_add(b, tb_node(b, val ? yajl_t_true : yajl_t_false));
}

/* yajl_tree's integer: digits only, after an optional '-', of a
 * magnitude up to LLONG_MAX (so not LLONG_MIN itself). */
static int tb_integer(const char *s, size_t len, long long *out)
{
        long long v = 0;
        size_t i = 0;
        int neg = 0;

        if (i < len && s[i] == '-') {
                neg = 1;
                i++;
        }
        if (i == len)
                return -1;
        for (; i < len; i++) {
                int d = s[i] - '0';

                if (d < 0 || d > 9 || v > LLONG_MAX / 10 ||
                    LLONG_MAX - v * 10 < d)
                        return -1;
                v = v * 10 + d;
        }
        *out = neg ? -v : v;
        return 0;
}

/* As yajl_tree: the text kept, the integer and double flagged valid when
 * they parse whole and in range. */
static int tb_number(void *ctx, const char *s, size_t len)
{
        tbuild_t *b = ctx;
        yajl_val v = tb_node(b, yajl_t_number);
        char *end = NULL;

        if (!v)
                return 0;
        v->u.number.r = tb_str(b, s, len);
        if (!v->u.number.r)
                return 0;
        if (!tb_integer(s, len, &v->u.number.i)) {
                /* An integer's double without strtod(): the conversion
                 * rounds the exact value as strtod() rounds the text
                 * (both to nearest), and "-0" is -0.0. */
                v->u.number.flags |=
                        YAJL_NUMBER_INT_VALID | YAJL_NUMBER_DOUBLE_VALID;
                v->u.number.d = v->u.number.i || *s != '-'
                                        ? (double)v->u.number.i
                                        : -0.0;
                return tb_add(b, v);
        }
        errno = 0;
        v->u.number.d = strtod(v->u.number.r, &end);
        if (!errno && end && !*end)
                v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
        return tb_add(b, v);
}

static int tb_string(void *ctx, const unsigned char *s, size_t len)
{
        tbuild_t *b = ctx;
        yajl_val v = tb_node(b, yajl_t_string);

        if (!v)
                return 0;
        v->u.string = tb_str(b, s, len);
        return v->u.string ? tb_add(b, v) : 0;
}

static int tb_key(void *ctx, const unsigned char *s, size_t len)
{
        tbuild_t *b = ctx;

        b->top->key = tb_str(b, s, len);
        return b->top->key != NULL;
}

static int tb_open(tbuild_t *b, yajl_type type)
{
        tframe_t *f;

        if (++b->depth > b->max_depth) {
                b->over = 1;
                return 0;
        }
        f = arena_alloc(b->a, sizeof(*f));
        if (!f) {
                b->oom = 1;
                return 0;
        }
        memset(f, 0, sizeof(*f));
        f->node = tb_node(b, type);
        if (!f->node)
                return 0;
        f->up = b->top;
        b->top = f;
        return 1;
}

static int tb_close(tbuild_t *b)
{
        tframe_t *f = b->top;
        yajl_val v = f->node;
        yajl_val *values = NULL;
        const char **keys = NULL;
        size_t i = 0;

        if (f->n) {
                values = arena_alloc(b->a, f->n * sizeof(*values));
                if (v->type == yajl_t_object)
                        keys = arena_alloc(b->a, f->n * sizeof(*keys));
                if (!values || (v->type == yajl_t_object && !keys)) {
                        b->oom = 1;
                        return 0;
                }
        }
        for (tchild_t *c = f->head; c; c = c->next, i++) {
                values[i] = c->v;
                if (keys)
                        keys[i] = c->key;
        }
        if (v->type == yajl_t_object) {
                v->u.object.keys = keys;
                v->u.object.values = values;
                v->u.object.len = f->n;
        } else {
                v->u.array.values = values;
                v->u.array.len = f->n;
        }
        b->top = f->up;
        b->depth--;
        return tb_add(b, v);
}

static int tb_map_open(void *ctx)
{
        return tb_open(ctx, yajl_t_object);
}

static int tb_array_open(void *ctx)
{
        return tb_open(ctx, yajl_t_array);
}

static int tb_end(void *ctx)
{
        return tb_close(ctx);
}

static const yajl_callbacks tree_callbacks = {
        tb_null,     tb_bool, NULL,   NULL,          tb_number, tb_string,
        tb_map_open, tb_key,  tb_end, tb_array_open, tb_end,
};

yajl_val jsonread_tree_in(jsonread_arena_t *a, const char *text, size_t len,
                          const jsonread_caps_t *caps, char *errstr,
                          size_t errstr_size)
{
        tbuild_t b = { a, NULL, NULL, 0, caps->max_depth, 0, 0 };
        yajl_alloc_funcs af = { arena_alloc, arena_realloc, arena_free, a };
        yajl_handle h = NULL;
        yajl_status st;
        yajl_val root = NULL;
        char *fixed = NULL;

        text = prepare(text, &len, caps, &fixed, errstr, errstr_size);
        if (!text)
                goto out;
        h = yajl_alloc(&tree_callbacks, &af, &b);
        if (!h) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        st = stream(h, text, len);
        if (b.oom && !b.over) {
                snprintf(errstr, errstr_size, "not valid JSON: out of memory");
                goto out;
        }
        if (verdict(h, st, b.over, caps, errstr, errstr_size))
                goto out;
        root = b.root;
out:
        /* yajl's parser state is in the arena too: nothing to free. */
        free(fixed);
        return root;
}

int jsonread_gen(yajl_gen g, yajl_val v)
{
        yajl_gen_status st = yajl_gen_status_ok;

        switch (v->type) {
        case yajl_t_string:
                st = yajl_gen_string(g, (const unsigned char *)v->u.string,
                                     strlen(v->u.string));
                break;
        case yajl_t_number:
                st = yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
                break;
        case yajl_t_true:
        case yajl_t_false:
                st = yajl_gen_bool(g, v->type == yajl_t_true);
                break;
        case yajl_t_null:
                st = yajl_gen_null(g);
                break;
        case yajl_t_array:
                st = yajl_gen_array_open(g);
                for (size_t i = 0;
                     st == yajl_gen_status_ok && i < v->u.array.len; i++)
                        if (jsonread_gen(g, v->u.array.values[i]))
                                return -1;
                if (st == yajl_gen_status_ok)
                        st = yajl_gen_array_close(g);
                break;
        case yajl_t_object:
                st = yajl_gen_map_open(g);
                for (size_t i = 0;
                     st == yajl_gen_status_ok && i < v->u.object.len; i++) {
                        const char *k = v->u.object.keys[i];

                        st = yajl_gen_string(g, (const unsigned char *)k,
                                             strlen(k));
                        if (st == yajl_gen_status_ok &&
                            jsonread_gen(g, v->u.object.values[i]))
                                return -1;
                }
                if (st == yajl_gen_status_ok)
                        st = yajl_gen_map_close(g);
                break;
        default:
                return -1;
        }
        return st == yajl_gen_status_ok ? 0 : -1;
}

int jsonread_get_str(yajl_val root, const char *name, char *dst, size_t cap)
{
        const char *path[] = { name, NULL };
        yajl_val v = yajl_tree_get(root, path, yajl_t_any);
        size_t n;

        *dst = '\0';
        if (!v)
                return 0;
        if (!YAJL_IS_STRING(v) || !v->u.string)
                return -1;
        n = strlen(v->u.string);
        if (n >= cap)
                return -1;
        memcpy(dst, v->u.string, n + 1);
        return 0;
}
