/*
 * fuzz_extract.c — libFuzzer target: the cleaner's extractor on arbitrary
 * bytes with an arbitrary Content-Type.
 *
 * Input layout: the first line (up to '\n', at most 200 bytes) is the
 * Content-Type header; a first line of exactly "-" means the header is
 * absent. The rest is the body. With no '\n' the whole input is the body of
 * a page without a Content-Type.
 *
 * Checks: extract_record() returns 0 or -1 without touching invalid memory
 * (ASan/UBSan), and on success the record is NUL-terminated, as long as
 * *out_len says, and valid UTF-8 (the design: records are always UTF-8);
 * and that it is the record extract_record_with() makes with a fields
 * callback (whose tree keeps the text of every script and style), but for
 * the callback's field (a non-HTML page has none).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>

#include <libxml/parser.h>

#include <yajl/yajl_gen.h>

#include "extract.h"
#include "xmlarena.h"
#include "utf8.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        setlocale(LC_CTYPE, "C.UTF-8");
        xmlarena_setup(); /* and xmlInitParser() */
        return 0;
}

static int null_fields(void *ctx, struct _xmlDoc *doc, void *gen)
{
        (void)ctx;
        (void)doc;
        return (int)yajl_gen_null(gen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char ctype[256];
        const char *ct = NULL;
        const uint8_t *body = data;
        size_t body_len = size;
        const uint8_t *nl = memchr(data, '\n', size < 200 ? size : 200);

        if (nl) {
                size_t n = (size_t)(nl - data);
                memcpy(ctype, data, n);
                ctype[n] = '\0';
                /* A header value is a C string: stop at an embedded NUL. */
                if (!(n == 1 && ctype[0] == '-'))
                        ct = ctype;
                body = nl + 1;
                body_len = size - n - 1;
        }

        /* A private copy so ASan sees reads past the body's end. */
        unsigned char *copy = malloc(body_len ? body_len : 1);
        if (!copy)
                return 0;
        memcpy(copy, body, body_len);

        page_t page = {
                .url = "http://fuzz.example/dir/page.html?q=1",
                .final_url = "https://fuzz.example/final/",
                .status = 200,
                .content_type = ct,
                .fetched_at = "2024-01-01T00:00:00.000Z",
                .source_topic = "crawl.urls",
                .id = "fuzz-id",
                .meta = "{\"k\":[1,2]}",
                .depth = 1,
                .body = copy,
                .body_len = body_len,
        };
        char *out = NULL;
        size_t out_len = 0;
        char errstr[256];

        if (extract_record(&page, &out, &out_len, errstr, sizeof(errstr)) ==
            0) {
                if (!out || strlen(out) != out_len ||
                    utf8_valid_prefix((const unsigned char *)out, out_len) !=
                            out_len)
                        abort();
        }
        /* With a fields callback the tree keeps every script's and
         * style's text (pagescan.h keep_raw); without one the parse does
         * without those the record does not read: the records must be
         * the same but for the callback's ,"fields":null. */
        {
                static const char tail[] = ",\"fields\":null}";
                size_t t = sizeof(tail) - 1, full_len = 0;
                char *full = NULL;
                int rc_full =
                        extract_record_with(&page, null_fields, NULL, &full,
                                            &full_len, errstr, sizeof(errstr));

                if ((rc_full == 0) != (out != NULL))
                        abort();
                if (out != NULL &&
                    !(full_len == out_len + t - 1 &&
                      memcmp(full, out, out_len - 1) == 0 &&
                      memcmp(full + out_len - 1, tail, t) == 0) &&
                    !(full_len == out_len && memcmp(full, out, out_len) == 0))
                        abort();
                free(full);
        }
        free(out);
        free(copy);
        return 0;
}
