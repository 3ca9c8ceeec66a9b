/*
 * hosts.c — host table, token buckets and fair scheduling (see hosts.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "hosts.h"

enum { W_NONE, W_RING, W_HEAP, W_IDLE };

struct host {
        char *key; /* host key, owned                  */
        /* Queue of the caller's items, oldest first. */
        hlink_t *head, *tail;
        size_t queued;
        int inflight; /* requests running                 */
        /* Token bucket. */
        double tokens;
        int64_t refilled_ms;
        double delay_s; /* Crawl-delay (capped); 0 = none   */
        /* 429/503: no request before backoff_until_ms; rate scaled by
         * factor (1 = full rate), restored gradually by successes. */
        int64_t backoff_until_ms;
        int backoff_level;
        double factor;
        /* Set by the caller while the host must not be served (robots.txt
         * in progress); hosts_update() after clearing it. */
        bool hold;
        /* The caller's per-host state (robots rules and the like). */
        void *user;
        int proxy; /* sticky proxy index, -1 = none    */
        /* Scheduling. */
        int where;
        struct host *rnext, *rprev; /* ring or idle list */
        struct host *hnext;         /* hash chain        */
        htimer_t timer;
        int64_t idle_since_ms;
};

struct hosts {
        hosts_params_t p;
        void (*free_user)(void *);
        host_t **buckets;
        size_t nbuckets, count, active;
        host_t *ring_head, *ring_tail; /* ready to serve      */
        host_t *idle_head, *idle_tail; /* idle, oldest first  */
        theap_t heap;                  /* waiting for a token */
        uint64_t waits;
};

/* ---- lists ------------------------------------------------------------- */

static void list_append(host_t **head, host_t **tail, host_t *h)
{
        h->rnext = NULL;
        h->rprev = *tail;
        if (*tail)
                (*tail)->rnext = h;
        else
                *head = h;
        *tail = h;
}

static void list_remove(host_t **head, host_t **tail, host_t *h)
{
        if (h->rprev)
                h->rprev->rnext = h->rnext;
        else
                *head = h->rnext;
        if (h->rnext)
                h->rnext->rprev = h->rprev;
        else
                *tail = h->rprev;
        h->rnext = h->rprev = NULL;
}

static void detach(hosts_t *hs, host_t *h)
{
        switch (h->where) {
        case W_RING:
                list_remove(&hs->ring_head, &hs->ring_tail, h);
                break;
        case W_HEAP:
                timers_remove(&hs->heap, &h->timer);
                break;
        case W_IDLE:
                list_remove(&hs->idle_head, &hs->idle_tail, h);
                hs->active++;
                break;
        default:
                break;
        }
        h->where = W_NONE;
}

/* ---- table ------------------------------------------------------------- */

static int grow(hosts_t *hs)
{
        size_t n = hs->nbuckets ? hs->nbuckets * 2 : 1024;
        host_t **b = calloc(n, sizeof(*b));

        if (!b)
                return -1;
        for (size_t i = 0; i < hs->nbuckets; i++) {
                host_t *h = hs->buckets[i], *next;

                for (; h; h = next) {
                        size_t j = hash_fnv1a64(h->key) & (n - 1);

                        next = h->hnext;
                        h->hnext = b[j];
                        b[j] = h;
                }
        }
        free(hs->buckets);
        hs->buckets = b;
        hs->nbuckets = n;
        return 0;
}

hosts_t *hosts_new(const hosts_params_t *p, void (*free_user)(void *))
{
        hosts_t *hs = calloc(1, sizeof(*hs));

        if (!hs)
                return NULL;
        hs->p = *p;
        hs->free_user = free_user;
        if (grow(hs)) {
                free(hs);
                return NULL;
        }
        return hs;
}

static void host_free(hosts_t *hs, host_t *h)
{
        if (hs->free_user && h->user)
                hs->free_user(h->user);
        free(h->key);
        free(h);
}

void hosts_destroy(hosts_t *hs)
{
        if (!hs)
                return;
        for (size_t i = 0; i < hs->nbuckets; i++) {
                host_t *h = hs->buckets[i], *next;

                for (; h; h = next) {
                        next = h->hnext;
                        host_free(hs, h);
                }
        }
        free(hs->buckets);
        timers_free(&hs->heap);
        free(hs);
}

host_t *hosts_get(hosts_t *hs, const char *key, int64_t now)
{
        size_t i = hash_fnv1a64(key) & (hs->nbuckets - 1);
        host_t *h;

        for (h = hs->buckets[i]; h; h = h->hnext)
                if (!strcmp(h->key, key))
                        return h;
        if (hs->count >= hs->nbuckets && !grow(hs))
                i = hash_fnv1a64(key) & (hs->nbuckets - 1);
        h = calloc(1, sizeof(*h));
        if (!h)
                return NULL;
        h->key = strdup(key);
        if (!h->key) {
                free(h);
                return NULL;
        }
        h->tokens = hs->p.burst;
        h->refilled_ms = now;
        h->factor = 1.0;
        h->proxy = -1;
        h->hnext = hs->buckets[i];
        hs->buckets[i] = h;
        hs->count++;
        /* New hosts start idle; the first push makes them active. */
        h->where = W_IDLE;
        h->idle_since_ms = now;
        list_append(&hs->idle_head, &hs->idle_tail, h);
        return h;
}

static void table_remove(hosts_t *hs, host_t *h)
{
        size_t i = hash_fnv1a64(h->key) & (hs->nbuckets - 1);
        host_t **pp = &hs->buckets[i];

        while (*pp && *pp != h)
                pp = &(*pp)->hnext;
        if (*pp)
                *pp = h->hnext;
        hs->count--;
}

/* ---- token bucket ------------------------------------------------------ */

double host_rate(const hosts_t *hs, const host_t *h)
{
        double rate = hs->p.rate * h->factor;

        if (h->delay_s > 0 && 1.0 / h->delay_s < rate)
                rate = 1.0 / h->delay_s;
        return rate;
}

static double host_burst(const hosts_t *hs, const host_t *h)
{
        /* A Crawl-delay asks for spacing: no bursts. */
        return h->delay_s > 0 || h->factor < 1.0 ? 1.0 : hs->p.burst;
}

static void refill(const hosts_t *hs, host_t *h, int64_t now)
{
        double burst = host_burst(hs, h);

        if (now > h->refilled_ms) {
                h->tokens += (double)(now - h->refilled_ms) / 1000.0 *
                             host_rate(hs, h);
                h->refilled_ms = now;
        }
        if (h->tokens > burst)
                h->tokens = burst;
}

int64_t host_ready_at(const hosts_t *hs, const host_t *h, int64_t now)
{
        host_t tmp = *h;
        int64_t t = now;

        refill(hs, &tmp, now);
        if (tmp.tokens < 1.0)
                t = now + (int64_t)ceil((1.0 - tmp.tokens) * 1000.0 /
                                        host_rate(hs, h));
        if (h->backoff_until_ms > t)
                t = h->backoff_until_ms;
        return t;
}

/* ---- caps -------------------------------------------------------------- */

int64_t hosts_cap_wait_ms(int64_t wait_ms, int64_t max_ms)
{
        if (max_ms < 0)
                max_ms = 0;
        if (wait_ms < 0)
                return 0;
        return wait_ms > max_ms ? max_ms : wait_ms;
}

int64_t hosts_retry_after_ms(const hosts_t *hs, long long retry_after_s)
{
        int64_t max = hs->p.retry_after_max_ms;

        if (retry_after_s <= 0 || max <= 0)
                return 0;
        /* Compared in seconds first: seconds * 1000 could overflow. */
        if (retry_after_s >= max / 1000 + 1)
                return max;
        return hosts_cap_wait_ms((int64_t)retry_after_s * 1000, max);
}

double hosts_crawl_delay_s(const hosts_t *hs, double delay_s)
{
        if (!(delay_s > 0)) /* NaN too */
                return 0;
        return delay_s > hs->p.delay_max_s ? hs->p.delay_max_s : delay_s;
}

void host_set_delay(hosts_t *hs, host_t *h, double delay_s, int64_t now)
{
        refill(hs, h, now);
        h->delay_s = hosts_crawl_delay_s(hs, delay_s);
        refill(hs, h, now);
}

/* ---- scheduling -------------------------------------------------------- */

void hosts_update(hosts_t *hs, host_t *h, int64_t now)
{
        int64_t t;

        detach(hs, h);
        if (!h->queued && !h->inflight) {
                h->where = W_IDLE;
                h->idle_since_ms = now;
                hs->active--;
                list_append(&hs->idle_head, &hs->idle_tail, h);
                return;
        }
        if (!h->queued || h->hold || h->inflight >= hs->p.concurrency)
                return; /* a push, an end or the caller reschedules */
        t = host_ready_at(hs, h, now);
        if (t <= now) {
                h->where = W_RING;
                list_append(&hs->ring_head, &hs->ring_tail, h);
                return;
        }
        h->timer.due = t;
        if (timers_push(&hs->heap, &h->timer)) {
                /* Out of memory: serve it at once rather than lose it. */
                h->where = W_RING;
                list_append(&hs->ring_head, &hs->ring_tail, h);
                return;
        }
        h->where = W_HEAP;
        hs->waits++;
}

void hosts_push(hosts_t *hs, host_t *h, hlink_t *item, bool front, int64_t now)
{
        if (front) {
                item->prev = NULL;
                item->next = h->head;
                if (h->head)
                        h->head->prev = item;
                else
                        h->tail = item;
                h->head = item;
        } else {
                item->next = NULL;
                item->prev = h->tail;
                if (h->tail)
                        h->tail->next = item;
                else
                        h->head = item;
                h->tail = item;
        }
        h->queued++;
        if (h->where != W_RING && h->where != W_HEAP)
                hosts_update(hs, h, now);
}

static void unlink_item(host_t *h, hlink_t *item)
{
        if (item->prev)
                item->prev->next = item->next;
        else
                h->head = item->next;
        if (item->next)
                item->next->prev = item->prev;
        else
                h->tail = item->prev;
        item->prev = item->next = NULL;
        h->queued--;
}

void hosts_unlink(hosts_t *hs, host_t *h, hlink_t *item, int64_t now)
{
        unlink_item(h, item);
        hosts_update(hs, h, now);
}

hlink_t *host_pop(host_t *h)
{
        hlink_t *item = h->head;

        if (item)
                unlink_item(h, item);
        return item;
}

host_t *hosts_next(hosts_t *hs, int64_t now)
{
        htimer_t *t;
        host_t *h;

        for (t = timers_peek(&hs->heap); t && t->due <= now;
             t = timers_peek(&hs->heap)) {
                h = (host_t *)((char *)t - offsetof(host_t, timer));
                timers_remove(&hs->heap, t);
                h->where = W_RING;
                list_append(&hs->ring_head, &hs->ring_tail, h);
        }
        h = hs->ring_head;
        if (!h)
                return NULL;
        list_remove(&hs->ring_head, &hs->ring_tail, h);
        h->where = W_NONE;
        return h;
}

void host_start(hosts_t *hs, host_t *h, int64_t now)
{
        refill(hs, h, now);
        h->tokens -= 1.0;
        h->inflight++;
        hosts_update(hs, h, now);
}

void host_end(hosts_t *hs, host_t *h, bool counted, bool slow_down,
              int64_t retry_after_ms, int64_t now)
{
        if (counted && h->inflight > 0)
                h->inflight--;
        refill(hs, h, now);
        if (slow_down) {
                int64_t wait = hosts_cap_wait_ms(retry_after_ms,
                                                 hs->p.retry_after_max_ms);

                if (wait <= 0) {
                        int lvl =
                                h->backoff_level < 30 ? h->backoff_level : 30;

                        wait = hs->p.backoff_base_ms << lvl;
                        if (wait > hs->p.backoff_max_ms || wait <= 0)
                                wait = hs->p.backoff_max_ms;
                }
                if (h->backoff_level < 62)
                        h->backoff_level++;
                if (now + wait > h->backoff_until_ms)
                        h->backoff_until_ms = now + wait;
                h->factor /= 2;
                if (h->factor < 1.0 / 64)
                        h->factor = 1.0 / 64;
                if (h->tokens > 0)
                        h->tokens = 0;
        } else {
                /* Gradual recovery: each success gives back a quarter. */
                h->factor *= 1.25;
                if (h->factor >= 1.0)
                        h->factor = 1.0;
                if (h->backoff_level > 0)
                        h->backoff_level--;
        }
        hosts_update(hs, h, now);
}

int64_t hosts_wait_ms(hosts_t *hs, int64_t now)
{
        htimer_t *t;

        if (hs->ring_head)
                return 0;
        t = timers_peek(&hs->heap);
        if (!t)
                return -1;
        return t->due > now ? t->due - now : 0;
}

void hosts_evict(hosts_t *hs, int64_t now)
{
        while (hs->idle_head) {
                host_t *h = hs->idle_head;

                if (now - h->idle_since_ms < hs->p.idle_ms &&
                    hs->count <= hs->p.max_hosts)
                        break;
                list_remove(&hs->idle_head, &hs->idle_tail, h);
                table_remove(hs, h);
                host_free(hs, h);
        }
}

size_t hosts_count(const hosts_t *hs)
{
        return hs->count;
}

uint64_t hosts_waits(const hosts_t *hs)
{
        return hs->waits;
}

size_t hosts_active(const hosts_t *hs)
{
        return hs->active;
}

const char *host_key(const host_t *h)
{
        return h->key;
}

size_t host_queued(const host_t *h)
{
        return h->queued;
}

int host_inflight(const host_t *h)
{
        return h->inflight;
}

hlink_t *host_head(const host_t *h)
{
        return h->head;
}

void *host_user(const host_t *h)
{
        return h->user;
}

void host_set_user(host_t *h, void *user)
{
        h->user = user;
}

int host_proxy(const host_t *h)
{
        return h->proxy;
}

void host_set_proxy(host_t *h, int proxy)
{
        h->proxy = proxy;
}

void host_set_hold(host_t *h, bool hold)
{
        h->hold = hold;
}

double host_delay_s(const host_t *h)
{
        return h->delay_s;
}
