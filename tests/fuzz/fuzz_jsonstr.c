/*
 * fuzz_jsonstr.c — libFuzzer target: json_quote() (shared/jsonstr.h)
 * against yajl_gen_string() on the same bytes.
 *
 * Checks: no invalid memory access; json_quote() accepts exactly the
 * inputs utf8_valid_prefix() calls valid (and leaves the buffer as it was
 * when it refuses one); on those its literal is byte for byte yajl's, and
 * yajl's parser reads it back as the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "jsonstr.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = NULL, *text;
        size_t len = 0, cap = 0, blen;
        const unsigned char *b;
        yajl_gen g;
        yajl_val v;
        int rc, valid = utf8_valid_prefix(data, size) == size;

        /* Something in front, which must stay. */
        if (json_quote(&buf, &len, &cap, SIZE_MAX / 2,
                       (const unsigned char *)"p", 1) != 0)
                abort();
        rc = json_quote(&buf, &len, &cap, SIZE_MAX / 2, data, size);
        if (rc == -1 || rc != (valid ? 0 : 1))
                abort();
        if (memcmp(buf, "\"p\"", 3) != 0 || buf[len] != '\0')
                abort();
        if (!valid) {
                if (len != 3)
                        abort();
                free(buf);
                return 0;
        }
        g = yajl_gen_alloc(NULL);
        if (g == NULL || yajl_gen_array_open(g) != yajl_gen_status_ok ||
            yajl_gen_string(g, data, size) != yajl_gen_status_ok ||
            yajl_gen_array_close(g) != yajl_gen_status_ok ||
            yajl_gen_get_buf(g, &b, &blen) != yajl_gen_status_ok)
                abort();
        /* yajl's "[...]" without the brackets. */
        if (blen - 2 != len - 3 || memcmp(b + 1, buf + 3, len - 3) != 0)
                abort();
        yajl_gen_free(g);
        /* Read back: the string yajl parses is the input (NUL-free ones:
         * yajl_tree hands strings back NUL-terminated). */
        if (memchr(data, 0, size) == NULL) {
                text = malloc(len - 3 + 1);
                if (text == NULL)
                        abort();
                memcpy(text, buf + 3, len - 3 + 1);
                v = yajl_tree_parse(text, NULL, 0);
                if (v == NULL || !YAJL_IS_STRING(v) ||
                    strlen(YAJL_GET_STRING(v)) != size ||
                    memcmp(YAJL_GET_STRING(v), data, size) != 0)
                        abort();
                yajl_tree_free(v);
                free(text);
        }
        free(buf);
        return 0;
}
