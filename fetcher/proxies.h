/*
 * proxies.h — a pool of proxies, sticky per host, resting failing ones.
 *
 * Each host keeps the proxy it was given (a site sees one stable
 * address) until that proxy fails PROXIES_FAIL_LIMIT times in a row; then
 * the proxy rests (taken out of the pool) for a back-off that doubles on
 * each rest, and its hosts move to the next proxy. Names shown in logs and
 * error objects never carry credentials. Single-threaded (the loop).
 */
#ifndef KCRAWL_PROXIES_H
#define KCRAWL_PROXIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define PROXIES_FAIL_LIMIT 3
#define PROXIES_REST_MS 10000      /* first rest       */
#define PROXIES_REST_MAX_MS 600000 /* longest rest     */

typedef struct proxies proxies_t;

/*
 * A pool from the URLs in `list` plus the lines of `file` (may be NULL;
 * blank lines and '#' comments skipped). Returns NULL with a reason in
 * errstr (unreadable file, a line that is not scheme://host:port).
 * An empty pool is valid: proxies_pick() then returns -1.
 */
proxies_t *proxies_new(const strlist_t *list, const char *file, char *errstr,
                       size_t errstr_size);
void proxies_destroy(proxies_t *px);

size_t proxies_count(const proxies_t *px);

/*
 * The proxy for `host_key`: `current` (the host's sticky choice) when it
 * is not resting, else the first one not resting from a per-host start,
 * else the one whose rest ends first. -1 when the pool is empty.
 */
int proxies_pick(proxies_t *px, const char *host_key, int current,
                 int64_t now);

const char *proxies_url(const proxies_t *px, int i);  /* for libcurl */
const char *proxies_name(const proxies_t *px, int i); /* no credentials */

/* Records a request's result through proxy i. */
void proxies_result(proxies_t *px, int i, bool ok, int64_t now);

/* Proxies resting now (for logs and metrics). */
size_t proxies_resting(const proxies_t *px, int64_t now);

#endif /* KCRAWL_PROXIES_H */
