/*
 * fuzz_jsonld.c — libFuzzer target: the tolerant JSON-LD reader
 * (cleaner/jsonld.h) on arbitrary text.
 *
 * Checks: jsonld_write() never touches invalid memory nor overflows the
 * stack however the input nests; what it writes is all or nothing and is
 * JSON that yajl reads again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "jsonld.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = NULL;
        size_t len, written = 0, out_len;
        const unsigned char *out;
        yajl_gen g = yajl_gen_alloc(NULL);
        yajl_handle h;
        int rc;

        if (g == NULL || utf8_repair(data, size, 0, &text, &len) < 0)
                abort();
        yajl_gen_array_open(g);
        rc = jsonld_write(g, (const unsigned char *)text, len, &written);
        if (rc < -1 || rc > 1 || (rc != 0 && written != 0))
                abort();
        yajl_gen_array_close(g);
        if (yajl_gen_get_buf(g, &out, &out_len) != yajl_gen_status_ok)
                abort();
        h = yajl_alloc(NULL, NULL, NULL);
        if (yajl_parse(h, out, out_len) != yajl_status_ok ||
            yajl_complete_parse(h) != yajl_status_ok)
                abort(); /* the output is JSON */
        yajl_free(h);
        yajl_gen_free(g);
        free(text);
        return 0;
}
