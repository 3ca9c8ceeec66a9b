/*
 * fuzz_urlmsg.c — libFuzzer target: the fetcher's URL-message decoder
 * (fetcher/urlmsg.h) on arbitrary message values.
 *
 * Checks: urlmsg_decode() returns 0 or -1 and never touches invalid
 * memory; on success url and host_key are set, the URL is http(s) and
 * re-decoding the normalised URL gives the same URL and host key (the
 * normalisation is stable, so a re-produced message keeps its partition);
 * on failure *code is one of the documented codes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>

#include "urlmsg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        setlocale(LC_CTYPE, "C.UTF-8");
        return 0;
}

static int known_code(const char *code)
{
        return code && (!strcmp(code, "invalid_message") ||
                        !strcmp(code, "invalid_url") ||
                        !strcmp(code, "unsupported_scheme"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* A private copy, not NUL-terminated: reads past len are caught. */
        uint8_t *copy = malloc(size ? size : 1);
        urlmsg_t um, again;
        const char *code = NULL;
        char errstr[256];

        if (!copy)
                return 0;
        memcpy(copy, data, size);
        memset(&um, 0, sizeof(um));
        if (urlmsg_decode(copy, size, &um, &code, errstr, sizeof(errstr)) ==
            0) {
                if (!um.url || !um.host_key || um.depth < -1)
                        abort();
                if (strncmp(um.url, "http://", 7) &&
                    strncmp(um.url, "https://", 8))
                        abort();
                memset(&again, 0, sizeof(again));
                code = NULL;
                if (urlmsg_decode(um.url, strlen(um.url), &again, &code,
                                  errstr, sizeof(errstr)) != 0)
                        abort(); /* a normalised URL must decode */
                if (strcmp(again.url, um.url) ||
                    strcmp(again.host_key, um.host_key))
                        abort(); /* normalisation must be idempotent */
                urlmsg_clear(&again);
        } else if (!known_code(code)) {
                abort();
        }
        urlmsg_clear(&um);
        free(copy);
        return 0;
}
