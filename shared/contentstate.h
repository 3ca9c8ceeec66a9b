/*
 * contentstate.h — change detection's shared part: the digest of a page's
 * content, the decision whether it changed since the last fetch, a
 * product's price or availability change, and the message the cleaner
 * writes on the state topic (the "content state") that the fetcher owning
 * the URL's host merges into its crawl state (fetcher/statesync.c).
 *
 * Who writes what: the fetcher's state message (key: the URL) holds what
 * the fetcher knows (validators, body digest, outcome); the cleaner's
 * content state (key: CONTENTSTATE_KEY_PREFIX + the URL, so compaction
 * keeps one of each per URL) holds what only the cleaner knows: the
 * digest of the main text and the product's price and availability.
 * Both are partitioned by murmur2 of the URL's host key, so both sit in
 * the partition of the host's owner. The owner passes the last content
 * state of a URL back to the cleaner in the next page's headers
 * (prev_content_sha256, prev_price, prev_availability).
 *
 * Self-contained (no Kafka); no state between calls, any thread.
 */
#ifndef KCRAWL_CONTENTSTATE_H
#define KCRAWL_CONTENTSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTENTSTATE_VERSION 1
#define CONTENTSTATE_KEY_PREFIX "content:"
#define CONTENTSTATE_KEY_PREFIX_LEN 8
#define CONTENTSTATE_DIGEST_LEN 32 /* SHA-256 */
#define CONTENTSTATE_HEX_LEN 64
#define CONTENTSTATE_PRICE_MAX 64 /* a longer price is not kept */
#define CONTENTSTATE_AVAIL_MAX 32
#define CONTENTSTATE_URL_MAX 8192

/* A URL's content as the cleaner last saw it. Strings are NUL-terminated,
 * empty when absent. */
typedef struct contentstate {
        int64_t at_ms; /* when the cleaner wrote it, epoch ms */
        bool has_digest;
        unsigned char digest[CONTENTSTATE_DIGEST_LEN];
        char price[CONTENTSTATE_PRICE_MAX + 1];
        char availability[CONTENTSTATE_AVAIL_MAX + 1];
        /* The record's `changed`: 1 true, 0 false, -1 null. What a
         * scheduler adapts a recrawl interval to (the content of the
         * URL's last cleaned fetch changed or not). */
        int changed;
} contentstate_t;

/* SHA-256 of p[0, n) into out. Returns 0, or -1 when the digest cannot
 * be computed (out of memory). */
int contentstate_digest(const void *p, size_t n,
                        unsigned char out[CONTENTSTATE_DIGEST_LEN]);
/* A digest as lower-case hex (hex holds CONTENTSTATE_HEX_LEN + 1). */
void contentstate_hex(const unsigned char d[CONTENTSTATE_DIGEST_LEN],
                      char *hex);
/* Lower-case hex of exactly CONTENTSTATE_HEX_LEN digits into d. Returns
 * 0, or -1 when s is not that. */
int contentstate_unhex(const char *s,
                       unsigned char d[CONTENTSTATE_DIGEST_LEN]);

/* Whether the content changed: `prev_hex` the previous digest (the page
 * header prev_content_sha256; NULL or "" when the URL has none: the first
 * fetch), `cur` the digest now. Returns 1 changed, 0 unchanged, -1
 * unknown (first fetch, or a previous digest that is not one). */
int contentstate_changed(const char *prev_hex,
                         const unsigned char cur[CONTENTSTATE_DIGEST_LEN]);

/* Whether a product value (price or availability) changed: `had_prev`
 * when there is a previous content state at all (else: first fetch, no
 * change to report); prev and cur NULL or "" when absent. A value that
 * appears or disappears is a change (from or to null). */
bool contentstate_value_changed(bool had_prev, const char *prev,
                                const char *cur);

/* The state-topic key of url's content state into buf: the prefix and
 * the URL. Returns its length, or -1 when it does not fit. */
int contentstate_key(const char *url, char *buf, size_t size);
/* Whether key[0, len) is a content state's key; then *url and *url_len
 * point at the URL inside it. */
bool contentstate_is_key(const void *key, size_t len, const char **url,
                         size_t *url_len);

/* The message value of url's content state: one JSON object
 * (schemas/state.schema.json, "content"). Returns 0 with a malloc'd
 * *json (caller frees), or -1 when out of memory or url is not UTF-8. */
int contentstate_encode(const char *url, const contentstate_t *cs, char **json,
                        size_t *len);
/* Parses a content state: its key (prefix + URL) and value. Returns 0
 * with *cs filled, or -1 with a one-line reason (not JSON, another "v",
 * a "url" that is not the key's, a field of the wrong type). */
int contentstate_decode(const void *key, size_t key_len, const void *value,
                        size_t value_len, contentstate_t *cs, char *errstr,
                        size_t errstr_size);

#endif /* KCRAWL_CONTENTSTATE_H */
