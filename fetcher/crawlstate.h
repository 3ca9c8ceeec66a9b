/*
 * crawlstate.h — each URL's crawl state, in memory, bounded: when it was
 * last fetched, its status, validators (ETag, Last-Modified), the digest of
 * its decoded body, fetch and change counts, and where its last outcome
 * came from (the input message's topic, partition and offset). Also the
 * state topic's message format (encode, decode) and the decisions made
 * from a state alone (crawlstate_delivered(), crawlstate_changed()).
 *
 * The table holds at most `max` URLs; a new URL beyond that evicts the
 * least recently used one (a URL forgotten this way is fetched again
 * unconditionally when it next comes: safe, only less polite). URLs are
 * keyed by a 64-bit hash (seen.h's): a collision (about n^2 / 2^65) makes
 * two URLs share a state; the input's topic, partition and offset and the
 * URL's own request still decide, so at worst a conditional request is
 * sent with another URL's validators (answered 200) or a redelivered
 * message is committed as its twin's.
 *
 * Self-contained (no Kafka, no curl). Single-threaded: the fetcher's loop
 * owns the table.
 */
#ifndef KCRAWL_CRAWLSTATE_H
#define KCRAWL_CRAWLSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contentstate.h"

#define CRAWLSTATE_VERSION 1
#define CRAWLSTATE_ETAG_MAX 256 /* longer validators are not kept */
#define CRAWLSTATE_LM_MAX 64
#define CRAWLSTATE_TOPIC_MAX 249 /* Kafka's longest topic name */
#define CRAWLSTATE_DIGEST_LEN CONTENTSTATE_DIGEST_LEN /* SHA-256 */
#define CRAWLSTATE_URL_MAX 8192 /* a key longer is not a state */

typedef enum {
        CRAWLSTATE_NONE = 0, /* no outcome recorded */
        CRAWLSTATE_PAGE = 1,
        CRAWLSTATE_ERROR = 2,
        /* A page produced, its delivery not yet known: written with the
         * page, so that after a crash the next owner looks for the page
         * (header kcrawl_input) before requesting the URL again. */
        CRAWLSTATE_PENDING = 3,
} crawlstate_outcome_t;

/* One URL's state. Strings are NUL-terminated, empty when absent. */
typedef struct crawlstate_rec {
        int64_t fetched_at_ms; /* epoch ms of the last outcome */
        int status;            /* HTTP status of the last page, 0: none */
        char etag[CRAWLSTATE_ETAG_MAX + 1];
        char last_modified[CRAWLSTATE_LM_MAX + 1];
        bool has_digest;
        unsigned char digest[CRAWLSTATE_DIGEST_LEN]; /* of the body */
        uint32_t fetches; /* outcomes recorded        */
        uint32_t changes; /* pages whose digest changed */
        crawlstate_outcome_t outcome;
        char error_code[48]; /* the dead letter's code      */
        /* The input message the outcome answered. */
        char in_topic[CRAWLSTATE_TOPIC_MAX + 1];
        int32_t in_partition;
        int64_t in_offset;
        /* The cleaner's part (contentstate.h), merged from its content
         * state (crawlstate_merge_content()): the digest of the last
         * cleaned page's main text and its product's price and
         * availability. Not in the fetcher's own state message; kept
         * across the fetcher's writes (crawlstate_put_fetch()). */
        bool has_content;
        unsigned char content_digest[CRAWLSTATE_DIGEST_LEN];
        char price[CONTENTSTATE_PRICE_MAX + 1];
        char availability[CONTENTSTATE_AVAIL_MAX + 1];
        /* Whether the last cleaned fetch's content changed (the record's
         * `changed`): 1, 0, -1 unknown. With has_content only. */
        int content_changed;
        /* Scheduled recrawl (recrawl.h, schedule.h): the interval in use
         * and the one it started from (seconds, 0: none), when the next
         * fetch is due (epoch ms, 0: none scheduled; also the token its
         * delay-topic copy carries, so a copy that is not the one
         * expected is dropped), and when a stop was asked (0: never). */
        uint32_t recrawl_s, recrawl_base_s;
        int64_t next_due_ms;
        int64_t stopped_at_ms;
        /* The last adaptation (schedule.h): the interval it started
         * from (0: it did not adapt) and the body's verdict it adapted
         * on (1, 0, -1), so the next one can redo it on the cleaner's
         * verdict (content_changed). */
        uint32_t recrawl_prev_s;
        int recrawl_on;
} crawlstate_rec_t;

typedef struct crawlstate crawlstate_t;

/* A table of at most `max` URLs (max >= 1); NULL when out of memory.
 * Memory grows with the URLs held: about 100 bytes each plus their
 * validators (156 bytes a URL with typical ones before the content and
 * recrawl fields, about 190 with them: make bench-state). */
crawlstate_t *crawlstate_new(size_t max);
void crawlstate_destroy(crawlstate_t *cs);

/* Sets url's state (a copy of *rec); the least recently used URL is
 * evicted when the table is full. Returns 0, or -1 when out of memory
 * (the table unchanged). */
int crawlstate_put(crawlstate_t *cs, const char *url,
                   const crawlstate_rec_t *rec);
/* crawlstate_put() of what the fetcher owns: rec's content fields
 * (has_content...) are replaced by the table's for url, so that a
 * content state merged since rec was read is not lost. */
int crawlstate_put_fetch(crawlstate_t *cs, const char *url,
                         const crawlstate_rec_t *rec);
/* Merges a content state (the cleaner's, contentstate.h) into url's
 * state; a URL the table does not hold gets a state of outcome none (in
 * a compacted partition the URL's last fetcher state may come after its
 * content state). Returns 1 merged, 0 when cs is NULL, -1 when out of
 * memory. */
int crawlstate_merge_content(crawlstate_t *cs, const char *url,
                             const contentstate_t *content);
/* Copies url's state into *rec and marks it recently used; false when
 * the table has none (rec untouched). cs may be NULL (no state). */
bool crawlstate_get(crawlstate_t *cs, const char *url, crawlstate_rec_t *rec);
/* true when the table holds a state for url (cs may be NULL). */
bool crawlstate_has(const crawlstate_t *cs, const char *url);
/* Forgets url's state (a tombstone). */
void crawlstate_del(crawlstate_t *cs, const char *url);
size_t crawlstate_count(const crawlstate_t *cs);
/* URLs evicted since creation. */
uint64_t crawlstate_evicted(const crawlstate_t *cs);

/* The input message at topic/partition/offset already has the outcome
 * that `rec` records (delivered before a crash or a rebalance): it is
 * committed without a new request. A re-published URL (another offset)
 * is fetched again; a pending page is not an outcome (yet). */
bool crawlstate_delivered(const crawlstate_rec_t *rec, const char *topic,
                          int32_t partition, int64_t offset);

/* Whether a page with this body digest changed since `prev` (NULL: the
 * URL has no state): 1 changed, 0 unchanged, -1 unknown (first fetch,
 * or no digest to compare). A 304 is unchanged (not_modified). */
int crawlstate_changed(const crawlstate_rec_t *prev, bool not_modified,
                       const unsigned char *digest);

/* Whether a state is forgotten: nothing happened to it (fetched, a
 * recrawl due, a stop asked) for max_age_ms before now_ms (epoch ms).
 * max_age_ms <= 0: never. */
bool crawlstate_expired(const crawlstate_rec_t *rec, int64_t now_ms,
                        int64_t max_age_ms);

/* A validator (ETag, Last-Modified) fit to be sent back in a request
 * header: printable, no control characters (CR, LF would split it). */
bool crawlstate_validator_ok(const char *v);

/* The state topic's message value for url and rec: one JSON object
 * (README, "The state topic"). Returns 0 with a malloc'd *json (caller
 * frees), or -1 when out of memory. */
int crawlstate_encode(const char *url, const crawlstate_rec_t *rec,
                      char **json, size_t *len);
/* Parses a state message: key (the URL) and value. Returns 0 with *rec
 * filled, or -1 with a one-line reason when it is not a valid state of
 * this version (not JSON, a field of the wrong type, another "v", a
 * "url" that is not the key). */
int crawlstate_decode(const void *key, size_t key_len, const void *value,
                      size_t value_len, crawlstate_rec_t *rec, char *errstr,
                      size_t errstr_size);

#endif /* KCRAWL_CRAWLSTATE_H */
