/*
 * fuzz_jsonread.c — libFuzzer target: the bounded JSON reader
 * (shared/jsonread.h) on arbitrary text, with and without repair.
 *
 * Checks: jsonread_tree() never touches invalid memory nor overflows the
 * stack however deep the input nests; a tree it returns is within the
 * depth bound, holds only valid UTF-8 without NUL when repaired, and
 * writes back (jsonread_gen) as JSON that reads again.
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
