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

/* A URL longer than this (the longest the fetcher takes, URL_MAX_LEN) is
 * cut, with `url_truncated: true`; a message is cut at
 * DEADLETTER_MESSAGE_MAX; a dead letter's key (the URL or the input's key)
 * at DEADLETTER_KEY_MAX (deadletter_key_len()). So a dead letter stays far
 * below Kafka's default 1 MB max.message.bytes whatever the input's
 * headers and key hold: one that cannot be produced would stop the stage
 * on the same message at every start. */
#define DEADLETTER_URL_MAX (64 * 1024)
#define DEADLETTER_MESSAGE_MAX 4096
#define DEADLETTER_KEY_MAX (64 * 1024)

typedef struct deadletter {
        const char *stage;   /* "fetcher" or "cleaner"                 */
        const char *code;    /* e.g. "connect_failed"                   */
        const char *message; /* for people                             */
        const char *url;     /* NULL when unknown                      */
        const char *topic;   /* the input's topic                      */
        int32_t partition;
        int64_t offset;
        int attempts;      /* <= 0: omitted                          */
        const char *proxy; /* NULL: omitted; never with credentials  */
        const void *input; /* the input message's value              */
        size_t input_len;
} deadletter_t;

/*
 * Serialises `dl` as one JSON object into *out (malloc'd, NUL-terminated;
 * caller frees), its length in *out_len. Returns 0, or -1 when out of
 * memory.
 */
int deadletter_json(const deadletter_t *dl, char **out, size_t *out_len);

/* The length of a dead letter's key of `len` bytes: cut at
 * DEADLETTER_KEY_MAX. */
size_t deadletter_key_len(size_t len);

#endif /* KCRAWL_DEADLETTER_H */
