/*
 * seen.h — a bounded set of URLs the fetcher has fetched recently.
 *
 * The design drops a followed link (a URL message the cleaner produced,
 * marked with the header `followed_from`) whose URL the host's owner has
 * already taken in (queued, in flight, parked, fetched). This set answers
 * "taken in already?" for about the last `max` URLs: 64-bit hashes of the URLs in two generations of
 * open-addressing tables, each of max/2 entries; when the current
 * generation is full, the older one is dropped and the current one becomes
 * the older. So between max/2 and max of the latest URLs are remembered,
 * and memory is fixed at creation (12 to 24 bytes per URL of `max`,
 * tables at most 3/4 full).
 *
 * A hash collision (odds about n^2 / 2^65: 1 in 30 million at a million
 * URLs) makes an unseen followed link look seen, and it is dropped;
 * user-published URLs are never checked, so they are never lost this way.
 * Single-threaded: the fetcher's loop owns the set.
 */
#ifndef KCRAWL_SEEN_H
#define KCRAWL_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct seen seen_t;

/*
 * A set remembering at least max/2 and at most `max` URLs (max >= 2).
 * Returns NULL when out of memory. max == 0 is not a set: the caller
 * keeps no set at all (every seen_* function accepts NULL as "empty").
 */
seen_t *seen_new(size_t max);
void seen_destroy(seen_t *s);

/* Remembers `url` (a NUL-terminated href). */
void seen_add(seen_t *s, const char *url);

/* Forgets `url` (a URL taken in but given up without an outcome). */
void seen_remove(seen_t *s, const char *url);

/* true when `url` was added and is still remembered (or collides). */
bool seen_has(const seen_t *s, const char *url);

/* Entries in both generations (a URL refreshed into the newer one while
 * still in the older counts twice). */
size_t seen_count(const seen_t *s);

/* The 64-bit hash the set keys URLs by (never 0); for tests. */
uint64_t seen_hash(const char *url);

#endif /* KCRAWL_SEEN_H */
