/*
 * tiers.h — the delay tiers: which delay topic a parked URL goes to.
 *
 * Each tier is a delay topic whose messages all wait the same time, its
 * delay, from when they were produced; so within a tier partition the
 * order of the messages is the order they wake in, and the partition
 * only ever waits for its oldest message, which wakes first. A URL is
 * parked on the tier with the longest delay not over its wait: it wakes
 * at or before it is due, and is parked again for the rest (on a shorter
 * tier) until what is left is short enough to wait in memory.
 */
#ifndef KCRAWL_FETCHER_TIERS_H
#define KCRAWL_FETCHER_TIERS_H

#include <stddef.h>
#include <stdint.h>

#define TIERS_MAX 16              /* tiers of --delay-tiers        */
#define TIER_MAX_S (366L * 86400) /* longest delay of a tier        */

/* Parses a comma-separated list of delays ("2m,10m,1h": an integer with
 * the unit s, m, h or d; a bare integer is seconds) into secs[0..max),
 * strictly increasing, each from 1 s to TIER_MAX_S. An empty list has no
 * tiers. Returns the count, or -1 with the reason in errstr. */
int tiers_parse(const char *list, long secs[], size_t max, char *errstr,
                size_t errstr_size);

/* The topic-name suffix of a delay: the delay in its largest exact unit
 * ("90s", "2m", "1h", "1d"). */
void tiers_suffix(long secs, char *buf, size_t size);

/* The tier to park a wait of wait_ms on: of the tiers whose delay is not
 * over cap_ms, the one with the longest delay not over wait_ms; when
 * none is that short, the shortest tier. The delays need not be sorted.
 * Returns an index into delay_ms, or -1 when n is 0. */
int tiers_pick(const int64_t delay_ms[], size_t n, int64_t wait_ms,
               int64_t cap_ms);

#endif /* KCRAWL_FETCHER_TIERS_H */
