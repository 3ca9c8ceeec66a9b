/*
 * hosts.h — per-host politeness and fair scheduling.
 *
 * A table of hosts keyed by the design's host key. Each host has a FIFO of
 * queued work (intrusive links, owned by the caller), a token bucket
 * (rate, burst), a bound on concurrent requests, a back-off deadline and a
 * rate factor that 429/503 answers lower and successes restore. Hosts
 * whose head of queue may be served now wait in a round-robin ring, so a
 * host with 100,000 queued URLs gets one turn for each turn of a host with
 * 3; hosts waiting for a token or a back-off sit in a timer heap, and the
 * loop sleeps until the earliest of them (hosts_wait_ms()): no polling.
 * Idle hosts (nothing queued or running) are evicted after an idle time,
 * oldest first, and whenever the table is over its bound.
 *
 * Hand-written: the hash table, token bucket and heap are a few dozen
 * lines each and no packaged C library offers them in this shape.
 * Single-threaded: the fetcher's loop owns the table.
 */
#ifndef KCRAWL_HOSTS_H
#define KCRAWL_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timers.h"

/* A link in a host's queue; embed it in the queued item. */
typedef struct hlink {
        struct hlink *prev, *next;
} hlink_t;

/* A host: its queue, token bucket, concurrency, back-off and the
 * caller's state; opaque, read and set through the functions below. */
typedef struct host host_t;

typedef struct hosts_params {
        double rate;      /* requests per second per host       */
        double burst;     /* bucket size                        */
        int concurrency;  /* requests at once per host          */
        int64_t idle_ms;  /* evict hosts idle this long         */
        size_t max_hosts; /* evict idle hosts beyond this count */
        int64_t backoff_base_ms, backoff_max_ms;
        int64_t retry_after_max_ms; /* cap on a server's Retry-After   */
        double delay_max_s;         /* cap on a robots.txt Crawl-delay */
} hosts_params_t;

typedef struct hosts hosts_t;

/* `free_user` releases a host's user data on eviction (may be NULL). */
hosts_t *hosts_new(const hosts_params_t *p, void (*free_user)(void *));
void hosts_destroy(hosts_t *hs);

/* The host of `key`, created when unknown. NULL on OOM. */
host_t *hosts_get(hosts_t *hs, const char *key, int64_t now);

/* Queues `item` on h (at the front for a retry) and reschedules h. */
void hosts_push(hosts_t *hs, host_t *h, hlink_t *item, bool front,
                int64_t now);

/* Removes `item` from h's queue (a revoked partition). */
void hosts_unlink(hosts_t *hs, host_t *h, hlink_t *item, int64_t now);

/*
 * The next host (round robin) whose head item may start now: a token is
 * available, no back-off, under its concurrency. NULL when none. The host
 * leaves the ring: the caller takes the item (host_pop()) or leaves it,
 * then calls hosts_update() or host_start().
 */
host_t *hosts_next(hosts_t *hs, int64_t now);

/* Pops the head item of h (NULL when empty). */
hlink_t *host_pop(host_t *h);

/* A request to h starts now: takes a token, counts it running, and
 * reschedules h. */
void host_start(hosts_t *hs, host_t *h, int64_t now);

/*
 * The caps on every wait a server can ask for, in one place: all the
 * fetcher's Retry-After, back-off and Crawl-delay values pass through
 * these, whichever path (robots.txt or page, 429 or 503) they came from.
 *
 * hosts_retry_after_ms(): a Retry-After as libcurl reports it (seconds,
 * from a number or an HTTP date; <= 0 = none) in milliseconds, capped at
 * retry_after_max_ms; 0 when there is none (negative, a date in the past,
 * a cap of 0). Never overflows.
 *
 * hosts_cap_wait_ms(): any computed wait clamped to [0, max_ms].
 *
 * hosts_crawl_delay_s(): a Crawl-delay clamped to [0, delay_max_s]
 * (NaN and negative values are 0: no delay).
 */
int64_t hosts_retry_after_ms(const hosts_t *hs, long long retry_after_s);
int64_t hosts_cap_wait_ms(int64_t wait_ms, int64_t max_ms);
double hosts_crawl_delay_s(const hosts_t *hs, double delay_s);

/* A request to h ended; `slow_down` for 429/503 (retry_after_ms > 0: the
 * server's Retry-After, capped again by hosts_retry_after_ms()'s cap, else
 * exponential back-off capped at backoff_max_ms), else a success that
 * restores the rate gradually. `counted` when it was started with
 * host_start(). No back-off set here lasts longer than the larger cap. */
void host_end(hosts_t *hs, host_t *h, bool counted, bool slow_down,
              int64_t retry_after_ms, int64_t now);

/* Re-places h (ring, heap, idle) after its state changed. */
void hosts_update(hosts_t *hs, host_t *h, int64_t now);

/* Milliseconds until the next token or back-off expires among waiting
 * hosts (0 when one is ready now, -1 when none waits). */
int64_t hosts_wait_ms(hosts_t *hs, int64_t now);

/* When h could start its next request (token and back-off), >= now. */
int64_t host_ready_at(const hosts_t *hs, const host_t *h, int64_t now);

/* Evicts idle hosts past the idle time or over the bound. */
void hosts_evict(hosts_t *hs, int64_t now);

size_t hosts_count(const hosts_t *hs);   /* hosts known     */
uint64_t hosts_waits(const hosts_t *hs); /* times a host with work had to
                                          * wait for a token or back-off */
size_t hosts_active(const hosts_t *hs);  /* hosts not idle  */

/* The applying rate of h in requests per second. */
double host_rate(const hosts_t *hs, const host_t *h);

/* Applies a Crawl-delay (seconds; capped by hosts_crawl_delay_s(); 0 =
 * none). */
void host_set_delay(hosts_t *hs, host_t *h, double delay_s, int64_t now);

/* The host's key (owned by the host). */
const char *host_key(const host_t *h);
/* URLs in its queue, requests running. */
size_t host_queued(const host_t *h);
int host_inflight(const host_t *h);
/* Its oldest queued item, or NULL. */
hlink_t *host_head(const host_t *h);
/* The caller's per-host state (robots rules and the like), released by
 * hosts_new()'s free_user on eviction. */
void *host_user(const host_t *h);
void host_set_user(host_t *h, void *user);
/* Its sticky proxy index, -1 = none. */
int host_proxy(const host_t *h);
void host_set_proxy(host_t *h, int proxy);
/* Held while the host must not be served (robots.txt in progress);
 * hosts_update() after releasing it. */
void host_set_hold(host_t *h, bool hold);
/* Its Crawl-delay in seconds (capped); 0 = none. */
double host_delay_s(const host_t *h);

#endif /* KCRAWL_HOSTS_H */
