/*
 * fuzz_rules.c — libFuzzer target: the rules-file loader (cleaner/rules.h)
 * and, when a file loads, its fields evaluated on a small page through the
 * extractor (extract_record_with + rules_emit_fields).
 *
 * Checks: rules_parse() returns a set or NULL with a one-line error and
 * never touches invalid memory or leaks; a loaded set evaluates without
 * crashing and the record it gives is valid UTF-8.
 */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "extract.h"
#include "rules.h"
#include "utf8.h"

static const char page_html[] =
        "<!DOCTYPE html><html lang=en><head><title>T</title></head><body>"
        "<span itemprop=price content='12.50'>12.50</span>"
        "<ul class=tags><li>a</li><li> b </li><li></li></ul>"
        "<li class=in-stock>x</li><a href='/n'>next</a></body></html>";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        setlocale(LC_CTYPE, "C.UTF-8");
        xmlInitParser();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char errstr[512];
        char *json = malloc(size ? size : 1);
        rules_t *r;

        if (!json)
                return 0;
        memcpy(json, data, size); /* not NUL-terminated on purpose */
        errstr[0] = '\0';
        r = rules_parse(json, size, "fuzz.rules.json", errstr, sizeof(errstr));
        free(json);
        if (!r) {
                if (!errstr[0] || strchr(errstr, '\n'))
                        abort(); /* errors are one line */
                return 0;
        }
        static const char *const urls[] = {
                "http://shop.example/p",
                "https://a.b.example.com:8443/",
                "http://[::1]/",
                "http://127.0.0.1/",
        };
        for (size_t i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
                if (!rules_match_url(r, urls[i]))
                        continue;
                rules_page_t rp = { .rules = r, .url = urls[i] };
                page_t page = {
                        .url = urls[i],
                        .status = 200,
                        .content_type = "text/html; charset=utf-8",
                        .fetched_at = "2024-01-01T00:00:00.000Z",
                        .depth = -1,
                        .body = (const unsigned char *)page_html,
                        .body_len = sizeof(page_html) - 1,
                };
                char *out = NULL;
                size_t out_len = 0;
                if (extract_record_with(&page, rules_emit_fields, &rp, &out,
                                        &out_len, errstr,
                                        sizeof(errstr)) == 0) {
                        if (utf8_valid_prefix((const unsigned char *)out,
                                              out_len) != out_len)
                                abort();
                        free(out);
                }
        }
        rules_unref(r);
        return 0;
}
