/*
 * seen.c — a bounded set of fetched URLs (see seen.h).
 *
 * Hand-written rather than taken from a library: what is needed is a
 * fixed-memory set of 64-bit keys with whole-generation expiry — two
 * arrays of integers with linear probing, about a hundred lines. No
 * packaged C library offers that shape (glib's GHashTable or uthash store
 * a pointer and a node per key, three to five times the memory, and
 * expire nothing), and a Bloom filter could not forget old URLs without
 * being rebuilt.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "seen.h"

typedef struct gen {
        uint64_t *slot; /* 0 = empty */
        size_t mask;    /* slots - 1 (a power of two) */
        size_t n;
} gen_t;

struct seen {
        gen_t gen[2]; /* gen[cur] takes new URLs; the other is older */
        int cur;
        size_t per_gen; /* entries a generation holds before rotating */
};

uint64_t seen_hash(const char *url)
{
        /* FNV-1a, then splitmix64's finaliser so that the low bits used
         * as the table index are well mixed. The start value is not FNV's
         * offset basis (it lacks that number's last decimal digit); it is
         * kept so that the hash stays what it has always been. */
        uint64_t h = hash_fnv1a64_from(UINT64_C(1469598103934665603), url);

        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebULL;
        h ^= h >> 31;
        return h ? h : 1;
}

static int gen_init(gen_t *g, size_t entries)
{
        size_t slots = 16;

        /* Load at most 3/4: slots >= entries * 4/3. */
        while (slots / 4 * 3 < entries)
                slots *= 2;
        g->slot = calloc(slots, sizeof(*g->slot));
        if (!g->slot)
                return -1;
        g->mask = slots - 1;
        g->n = 0;
        return 0;
}

static bool gen_has(const gen_t *g, uint64_t h)
{
        for (size_t i = h & g->mask;; i = (i + 1) & g->mask) {
                if (g->slot[i] == h)
                        return true;
                if (!g->slot[i])
                        return false;
        }
}

static void gen_put(gen_t *g, uint64_t h)
{
        size_t i = h & g->mask;

        while (g->slot[i] && g->slot[i] != h)
                i = (i + 1) & g->mask;
        if (!g->slot[i]) {
                g->slot[i] = h;
                g->n++;
        }
}

/* Linear probing's deletion: the entries after the hole that could sit
 * in it move back, so no probe chain is broken (no tombstones). */
static void gen_del(gen_t *g, uint64_t h)
{
        size_t i = h & g->mask, j, k;

        while (g->slot[i] != h) {
                if (!g->slot[i])
                        return;
                i = (i + 1) & g->mask;
        }
        for (j = i;;) {
                j = (j + 1) & g->mask;
                if (!g->slot[j])
                        break;
                k = g->slot[j] & g->mask; /* its home slot */
                /* Stays when its home is cyclically in (i, j]. */
                if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
                        continue;
                g->slot[i] = g->slot[j];
                i = j;
        }
        g->slot[i] = 0;
        g->n--;
}

seen_t *seen_new(size_t max)
{
        seen_t *s;

        if (max < 2)
                return NULL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->per_gen = max / 2;
        if (gen_init(&s->gen[0], s->per_gen) ||
            gen_init(&s->gen[1], s->per_gen)) {
                seen_destroy(s);
                return NULL;
        }
        return s;
}

void seen_destroy(seen_t *s)
{
        if (!s)
                return;
        free(s->gen[0].slot);
        free(s->gen[1].slot);
        free(s);
}

void seen_add(seen_t *s, const char *url)
{
        uint64_t h;
        gen_t *g;

        if (!s)
                return;
        h = seen_hash(url);
        g = &s->gen[s->cur];
        if (gen_has(g, h))
                return;
        if (g->n >= s->per_gen) {
                /* Full: forget the older generation, start a new one. */
                s->cur ^= 1;
                g = &s->gen[s->cur];
                memset(g->slot, 0, (g->mask + 1) * sizeof(*g->slot));
                g->n = 0;
        }
        gen_put(g, h);
}

void seen_remove(seen_t *s, const char *url)
{
        uint64_t h;

        if (!s)
                return;
        h = seen_hash(url);
        gen_del(&s->gen[0], h);
        gen_del(&s->gen[1], h);
}

bool seen_has(const seen_t *s, const char *url)
{
        uint64_t h;

        if (!s)
                return false;
        h = seen_hash(url);
        return gen_has(&s->gen[0], h) || gen_has(&s->gen[1], h);
}

size_t seen_count(const seen_t *s)
{
        return s ? s->gen[0].n + s->gen[1].n : 0;
}
