/*
 * fuzz_url.c — libFuzzer target: the WHATWG URL parser (shared/url.h) with
 * a base, as the cleaner resolves links.
 *
 * Input layout: up to the first NUL byte, the base (parsed without a base;
 * when it is not a valid http(s) URL a fixed base is used); after it, the
 * input resolved against the base (may itself hold NUL bytes:
 * url_parse_n()). Without a NUL the whole input is resolved against the
 * fixed base.
 *
 * Checks: no invalid memory access; on success the href is http(s), every
 * component is set as url.h documents, url_host_key() fits a generous
 * buffer, and re-parsing the href gives the same href (the Standard's
 * serialisation is idempotent for special URLs).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>

#include "url.h"

static url_t *fixed_base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char errstr[128];

        (void)argc;
        (void)argv;
        setlocale(LC_CTYPE, "C.UTF-8");
        if (url_parse("https://user:pw@fuzz.example:8443/a/b/c?q=1#f", NULL,
                      &fixed_base, errstr, sizeof(errstr)) != URL_OK)
                abort();
        return 0;
}

static void check(const url_t *u)
{
        char key[70 * 1024];
        url_t *again = NULL;
        char errstr[256];

        if (!u->href || !u->scheme || !u->host || !u->path || !u->username ||
            !u->password)
                abort();
        if (strcmp(u->scheme, "http") && strcmp(u->scheme, "https"))
                abort();
        if (u->path[0] != '/')
                abort();
        if (u->port < -1 || u->port > 65535)
                abort();
        if (url_host_key(u, key, sizeof(key)) < 0)
                abort();
        if (url_parse(u->href, NULL, &again, errstr, sizeof(errstr)) != URL_OK)
                abort(); /* a serialised URL must parse */
        if (strcmp(again->href, u->href))
                abort(); /* and serialise to itself */
        url_destroy(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *nul = memchr(data, '\0', size);
        url_t *base = NULL, *u = NULL;
        const uint8_t *in = data;
        size_t in_len = size;
        char errstr[256];

        if (nul) {
                /* data up to the NUL is a C string already. */
                char *b = strndup((const char *)data, (size_t)(nul - data));
                if (!b)
                        return 0;
                if (url_parse(b, NULL, &base, errstr, sizeof(errstr)) ==
                    URL_OK)
                        check(base);
                free(b);
                in = nul + 1;
                in_len = size - (size_t)(nul - data) - 1;
        }
        uint8_t *copy = malloc(in_len ? in_len : 1);
        if (!copy)
                goto out;
        memcpy(copy, in, in_len);
        if (url_parse_n((const char *)copy, in_len, base ? base : fixed_base,
                        &u, errstr, sizeof(errstr)) == URL_OK) {
                check(u);
                url_destroy(u);
        }
        free(copy);
out:
        url_destroy(base);
        return 0;
}
