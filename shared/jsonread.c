/*
 * jsonread.c — bounded JSON parsing (see jsonread.h).
 */
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

yajl_val jsonread_tree(const char *text, size_t len,
                       const jsonread_caps_t *caps, char *errstr,
                       size_t errstr_size)
{
        depth_count_t dc = { 0, caps->max_depth, 0 };
        yajl_handle h = NULL;
        yajl_status st;
        yajl_val root = NULL;
        char *fixed = NULL, why[256];

        if (len > caps->max_bytes) {
                snprintf(errstr, errstr_size,
                         "JSON text of %zu bytes is over the %zu-byte limit",
                         len, caps->max_bytes);
                goto out;
        }
        if (strlen(text) != len) {
                snprintf(errstr, errstr_size,
                         "not valid JSON: a NUL byte in the text");
                goto out;
        }
        if (caps->flags & JSONREAD_REPAIR) {
                /* yajl's own UTF-8 check lets overlong forms through:
                 * strict repair first, then the escapes. */
                if (utf8_valid_prefix((const unsigned char *)text, len) !=
                    len) {
                        if (utf8_repair((const unsigned char *)text, len, 0,
                                        &fixed, &len)) {
                                snprintf(errstr, errstr_size, "out of memory");
                                goto out;
                        }
                } else {
                        fixed = malloc(len + 1);
                        if (!fixed) {
                                snprintf(errstr, errstr_size, "out of memory");
                                goto out;
                        }
                        memcpy(fixed, text, len + 1);
                }
                repair_escapes(fixed, len);
                text = fixed;
        }
        h = yajl_alloc(&depth_callbacks, NULL, &dc);
        if (!h) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        yajl_config(h, yajl_allow_comments, 1); /* as yajl_tree_parse */
        st = yajl_parse(h, (const unsigned char *)text, len);
        if (st == yajl_status_ok)
                st = yajl_complete_parse(h);
        if (dc.over) {
                snprintf(errstr, errstr_size,
                         "JSON nests deeper than %d levels", caps->max_depth);
                goto out;
        }
        if (st != yajl_status_ok) {
                unsigned char *msg = yajl_get_error(h, 0, NULL, 0);

                snprintf(errstr, errstr_size, "not valid JSON: %s",
                         msg ? (const char *)msg : "parse error");
                errstr[strcspn(errstr, "\n")] = '\0';
                if (msg)
                        yajl_free_error(h, msg);
                goto out;
        }
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
