/*
 * budget.c — the per-host discovery budget shared by a cleaner's workers
 * (see budget.h).
 *
 * A set-associative table: a host's hash picks a set of BUDGET_WAYS slots;
 * within it the host is found, or takes an empty slot, or replaces the
 * slot used least recently (a per-table tick, under the set's lock). Why
 * not the open-addressing table that started over when full: starting
 * over forgot every host's count at once, so a sitemap of a big host read
 * just after lost its budget; eviction forgets one idle host at a time.
 */
#include "budget.h"

#include "hash.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct slot {
        uint64_t h; /* 0 = empty */
        uint64_t used;
        long n;
} slot_t;

struct budget {
        long per_host;
        size_t sets; /* a power of two */
        slot_t *slots;
        uint64_t tick[BUDGET_LOCKS]; /* per lock: no shared counter */
        uint64_t evictions[BUDGET_LOCKS];
        pthread_mutex_t locks[BUDGET_LOCKS];
};

budget_t *budget_new(long per_host, size_t hosts)
{
        budget_t *b = calloc(1, sizeof(*b));
        size_t sets = 1;

        if (!b)
                return NULL;
        b->per_host = per_host;
        if (hosts < BUDGET_WAYS)
                hosts = BUDGET_WAYS;
        while (sets * BUDGET_WAYS < hosts)
                sets *= 2;
        b->sets = sets;
        if (per_host > 0) {
                b->slots = calloc(sets * BUDGET_WAYS, sizeof(*b->slots));
                if (!b->slots) {
                        free(b);
                        return NULL;
                }
        }
        for (int i = 0; i < BUDGET_LOCKS; i++)
                pthread_mutex_init(&b->locks[i], NULL);
        return b;
}

void budget_destroy(budget_t *b)
{
        if (!b)
                return;
        for (int i = 0; i < BUDGET_LOCKS; i++)
                pthread_mutex_destroy(&b->locks[i]);
        free(b->slots);
        free(b);
}

int budget_take(budget_t *b, const char *host_key)
{
        uint64_t h;
        size_t set, lk;
        slot_t *s, *pick = NULL;
        int ok;

        if (!b || b->per_host <= 0)
                return 1;
        h = hash_fnv1a64(host_key);
        /* The set from the high bits, mixed: FNV's low bits vary little
         * between host names that differ only at their end. */
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 32;
        if (h == 0)
                h = 1;
        set = (size_t)(h & (b->sets - 1));
        lk = set % BUDGET_LOCKS;
        s = b->slots + set * BUDGET_WAYS;
        pthread_mutex_lock(&b->locks[lk]);
        for (int i = 0; i < BUDGET_WAYS; i++) {
                if (s[i].h == h) {
                        pick = &s[i];
                        break;
                }
                if (pick == NULL ||
                    (pick->h != 0 && (s[i].h == 0 || s[i].used < pick->used)))
                        pick = &s[i];
        }
        if (pick->h != h) {
                if (pick->h != 0)
                        b->evictions[lk]++;
                pick->h = h;
                pick->n = 0;
        }
        pick->used = ++b->tick[lk];
        ok = pick->n < b->per_host;
        if (ok)
                pick->n++;
        pthread_mutex_unlock(&b->locks[lk]);
        return ok;
}

uint64_t budget_evictions(budget_t *b)
{
        uint64_t n = 0;

        if (!b)
                return 0;
        for (int i = 0; i < BUDGET_LOCKS; i++) {
                pthread_mutex_lock(&b->locks[i]);
                n += b->evictions[i];
                pthread_mutex_unlock(&b->locks[i]);
        }
        return n;
}
