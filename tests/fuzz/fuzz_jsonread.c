/*
 * fuzz_jsonread.c — libFuzzer target: the bounded JSON reader
 * (shared/jsonread.h) on arbitrary text, with and without repair.
 *
 * Checks: jsonread_tree() never touches invalid memory nor overflows the
 * stack however deep the input nests; a tree it returns is within the
 * depth bound, holds only valid UTF-8 without NUL when repaired, and
 * writes back (jsonread_gen) as JSON that reads again; jsonread_tree_in()
 * (the tree in an arena) accepts exactly what jsonread_tree() accepts and
 * writes back the same JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"
#include "utf8.h"

#define DEPTH 32

static int depth_of(yajl_val v)
{
        int d = 0;

        if (YAJL_IS_ARRAY(v))
                for (size_t i = 0; i < v->u.array.len; i++) {
                        int c = depth_of(v->u.array.values[i]);

                        d = c > d ? c : d;
                }
        if (YAJL_IS_OBJECT(v))
                for (size_t i = 0; i < v->u.object.len; i++) {
                        int c = depth_of(v->u.object.values[i]);

                        d = c > d ? c : d;
                }
        return d + (YAJL_IS_ARRAY(v) || YAJL_IS_OBJECT(v));
}

static void check_strings(yajl_val v)
{
        const char *s = NULL;

        if (YAJL_IS_STRING(v))
                s = v->u.string;
        if (s && utf8_valid_prefix((const unsigned char *)s, strlen(s)) !=
                         strlen(s))
                abort(); /* repaired strings are valid UTF-8 */
        if (YAJL_IS_ARRAY(v))
                for (size_t i = 0; i < v->u.array.len; i++)
                        check_strings(v->u.array.values[i]);
        if (YAJL_IS_OBJECT(v))
                for (size_t i = 0; i < v->u.object.len; i++) {
                        const char *k = v->u.object.keys[i];

                        if (utf8_valid_prefix((const unsigned char *)k,
                                              strlen(k)) != strlen(k))
                                abort();
                        check_strings(v->u.object.values[i]);
                }
}

/* v written back as JSON (malloc'd), or NULL. */
static char *gen_of(yajl_val v, size_t *lenp)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        char *out = NULL;

        if (g && !jsonread_gen(g, v) &&
            yajl_gen_get_buf(g, &buf, lenp) == yajl_gen_status_ok) {
                out = malloc(*lenp + 1);
                if (out) {
                        memcpy(out, buf, *lenp);
                        out[*lenp] = '\0';
                }
        }
        if (g)
                yajl_gen_free(g);
        return out;
}

/* The arena's tree against the heap one: the same verdict and JSON. */
static void check_arena(const char *text, size_t size,
                        const jsonread_caps_t *caps, yajl_val v)
{
        char mem[1024], why[256], *a = NULL, *b = NULL;
        size_t la = 0, lb = 0;
        jsonread_arena_t arena;
        yajl_val w;

        jsonread_arena_init(&arena, mem, sizeof(mem));
        w = jsonread_tree_in(&arena, text, size, caps, why, sizeof(why));
        if (!v != !w)
                abort();
        if (v) {
                a = gen_of(v, &la);
                b = gen_of(w, &lb);
                if (!a != !b || (a && (la != lb || memcmp(a, b, la))))
                        abort();
        }
        free(a);
        free(b);
        jsonread_arena_release(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1), why[256];

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        for (int flags = 0; flags <= JSONREAD_REPAIR; flags++) {
                jsonread_caps_t caps = { 1 << 20, DEPTH, flags };
                yajl_val v =
                        jsonread_tree(text, size, &caps, why, sizeof(why));
                yajl_gen g;
                const unsigned char *buf;
                size_t len;

                check_arena(text, size, &caps, v);
                if (!v)
                        continue;
                if (depth_of(v) > DEPTH)
                        abort();
                if (flags & JSONREAD_REPAIR)
                        check_strings(v);
                g = yajl_gen_alloc(NULL);
                if (g && !jsonread_gen(g, v) &&
                    yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
                        char *again = malloc(len + 1);
                        yajl_val w;

                        if (again) {
                                memcpy(again, buf, len);
                                again[len] = '\0';
                                w = jsonread_tree(again, len, &caps, why,
                                                  sizeof(why));
                                /* Non-repaired strings may hold bytes
                                 * yajl decoded from lone surrogates. */
                                if (!w && (flags & JSONREAD_REPAIR))
                                        abort();
                                yajl_tree_free(w);
                                free(again);
                        }
                }
                if (g)
                        yajl_gen_free(g);
                yajl_tree_free(v);
        }
        free(text);
        return 0;
}
