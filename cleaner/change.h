/*
 * change.h — change detection in the record: the digest of the page's
 * content, whether it changed since the URL's last fetch, and on a
 * product page a change of price or availability from what to what.
 *
 * The previous fetch's side comes from the page headers the fetcher adds
 * from the URL's crawl state (prev_content_sha256, prev_price,
 * prev_availability; absent the first time); the new side is what the
 * cleaner writes back as the URL's content state (contentstate.h).
 *
 *   content_sha256  SHA-256 (hex) of main_text; of the page's body when
 *                   it has no main text (not HTML, or none found); a 304
 *                   keeps the previous one (null when there is none)
 *   changed         true / false / null (no previous digest: the first
 *                   fetch, or the fetcher keeps no state); a 304 is false
 *   product_change  {"price": {"from", "to"}, "availability": {...}},
 *                   each member only when that value changed; absent the
 *                   first time, on a 304 and when nothing changed
 *
 * Thread-safety: no state between calls.
 */
#ifndef KCRAWL_CHANGE_H
#define KCRAWL_CHANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "contentstate.h"

/* The previous fetch's content, as the page headers gave it (NULL when
 * absent). */
typedef struct change_prev {
        const char *content_sha256;
        const char *price;
        const char *availability;
        bool not_modified; /* the page is a 304 */
} change_prev_t;

typedef struct change {
        bool has_digest;
        unsigned char digest[CONTENTSTATE_DIGEST_LEN];
        int changed;                            /* 1, 0, -1 (null) */
        bool had_prev;                          /* a previous content state */
        bool write_state;                       /* a content state to write */
        char price[CONTENTSTATE_PRICE_MAX + 1]; /* now; "" none */
        char availability[CONTENTSTATE_AVAIL_MAX + 1];
        bool price_changed, availability_changed;
        /* The previous values, "" none (for product_change's "from"). */
        char prev_price[CONTENTSTATE_PRICE_MAX + 1];
        char prev_availability[CONTENTSTATE_AVAIL_MAX + 1];
} change_t;

/*
 * Decides the change of a page: `content` its main text (content_len
 * bytes; NULL or empty when it has none: then `body` is digested),
 * `product_json` the record's product object as JSON text (NULL, or
 * "null", when the page is no product page), `prev` the headers. Returns
 * 0, or -1 when the digest cannot be computed (out of memory).
 */
int change_decide(change_t *c, const change_prev_t *prev, const char *content,
                  size_t content_len, const void *body, size_t body_len,
                  const char *product_json, size_t product_len);

/* The product's price and availability from its JSON text into price and
 * avail ("" when absent or null; values longer than the caps are not
 * kept). Exposed for the tests. */
void change_product_values(const char *json, size_t len, char *price,
                           size_t price_size, char *avail, size_t avail_size);

#endif /* KCRAWL_CHANGE_H */
