/*
 * deadletter.h — the error object both stages put on the errors topic.
 *
 * Fields as the design fixes them: stage, code (stable snake_case),
 * message, url, topic/partition/offset of the input, at (RFC 3339),
 * attempts, proxy, and the input itself — `input` when it is valid UTF-8,
 * else `input_base64` — cut at DEADLETTER_INPUT_MAX bytes with
 * `input_truncated: true`.
 */
#ifndef KCRAWL_DEADLETTER_H
#define KCRAWL_DEADLETTER_H

#include <stddef.h>
#include <stdint.h>

#define DEADLETTER_INPUT_MAX (64 * 1024)

typedef struct deadletter {
        const char *stage;      /* "fetcher" or "cleaner"                 */
        const char *code;       /* e.g. "connect_failed"                   */
        const char *message;    /* for people                             */
        const char *url;        /* NULL when unknown                      */
        const char *topic;      /* the input's topic                      */
        int32_t     partition;
        int64_t     offset;
        int         attempts;   /* <= 0: omitted                          */
        const char *proxy;      /* NULL: omitted; never with credentials  */
        const void *input;      /* the input message's value              */
        size_t      input_len;
} deadletter_t;

/*
 * Serialises `dl` as one JSON object into *out (malloc'd, NUL-terminated;
 * caller frees), its length in *out_len. Returns 0, or -1 when out of
 * memory.
 */
int deadletter_json(const deadletter_t *dl, char **out, size_t *out_len);

#endif /* KCRAWL_DEADLETTER_H */
