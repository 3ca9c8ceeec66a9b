/*
 * xmlarena.c — libxml2's allocations of a page's parse in an arena (see
 * xmlarena.h).
 *
 * Written here rather than taken from a library: libxml2 has no arena of
 * its own, and a general allocator (jemalloc, mimalloc: an LD_PRELOAD of
 * Debian's libjemalloc2 cut the extraction's CPU some 10-15%, mimalloc
 * little) still frees the tree node by node. What this needs is small: a
 * bump allocator over chunks from mmap, and a header per block.
 */
#include "xmlarena.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>

#if defined(__SANITIZE_ADDRESS__)
#define XA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XA_ASAN 1
#endif
#endif

#ifdef XA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define XA_VALGRIND 1
#endif
#endif
#ifndef XA_VALGRIND
#define RUNNING_ON_VALGRIND 0
#define VALGRIND_CREATE_MEMPOOL(pool, rz, zeroed) ((void)(pool))
#define VALGRIND_DESTROY_MEMPOOL(pool) ((void)(pool))
#define VALGRIND_MEMPOOL_ALLOC(pool, p, n) ((void)(pool), (void)(p))
#define VALGRIND_MEMPOOL_FREE(pool, p) ((void)(pool), (void)(p))
#define VALGRIND_MEMPOOL_CHANGE(pool, a, b, n) ((void)(pool), (void)(a))
#define VALGRIND_MAKE_MEM_NOACCESS(p, n) ((void)(p))
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p))
#endif

/* Before every block: its size as asked for, and its arena (NULL: a block
 * of the heap, freed with free()). 16 bytes, so that blocks keep
 * malloc's alignment. */
typedef struct hdr {
        size_t size;
        struct xmlarena *owner;
} hdr_t;

#define ALIGN 16
#define ROUND(n) (((n) + (ALIGN - 1)) & ~(size_t)(ALIGN - 1))
#define CHUNK_MIN (256 * 1024)      /* the first chunk of an arena */
#define CHUNK_MAX (4 * 1024 * 1024) /* chunks double up to this */
/* Chunks a thread keeps for its next page: mapping fresh ones costs a
 * page fault every 4 KiB (at 16 MiB, wcxb-dev's product pages took 2.5
 * times the minor faults of malloc's heap, which keeps what it had);
 * a page's parse takes 12-14 times its bytes. */
#define CACHE_MAX (64 * 1024 * 1024)

typedef struct chunk {
        struct chunk *next;
        size_t size; /* the mapping's bytes */
        char *top;   /* the next block */
        char *end;
} chunk_t;

#define CHUNK_HEAD ROUND(sizeof(chunk_t))

struct xmlarena {
        chunk_t *chunks; /* blocks come from the first one */
        size_t cap;
        size_t mapped; /* bytes of the chunks */
        size_t used;
        size_t next_size; /* of the next chunk */
        int over;
};

static int installed;  /* xmlarena_setup() pointed libxml2 here */
static int keep_cache; /* chunks are kept for the next page */
/* memcheck's client requests cost some instructions each even natively:
 * made only under valgrind. */
static int on_valgrind;
static pthread_key_t cache_key;
static __thread xmlarena_t *current;
static __thread chunk_t *cache; /* this thread's spare chunks */
static __thread size_t cache_bytes;

static void cache_destroy(void *v)
{
        chunk_t *c = v;

        while (c != NULL) {
                chunk_t *next = c->next;

                munmap(c, c->size);
                c = next;
        }
}

static void *heap_alloc(size_t n)
{
        hdr_t *h;

        if (n > SIZE_MAX - sizeof(hdr_t))
                return NULL;
        h = malloc(n + sizeof(hdr_t));
        if (h == NULL)
                return NULL;
        h->size = n;
        h->owner = NULL;
        return h + 1;
}

/* A chunk of at least `size` bytes (a multiple of the page size): a spare
 * one of this thread's, else a new mapping. */
static chunk_t *chunk_get(size_t size)
{
        chunk_t **pc, *c = NULL;

        for (pc = &cache; *pc != NULL; pc = &(*pc)->next)
                if ((*pc)->size >= size) {
                        c = *pc;
                        *pc = c->next;
                        cache_bytes -= c->size;
                        (void)pthread_setspecific(cache_key, cache);
                        break;
                }
        if (c == NULL) {
                c = mmap(NULL, size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (c == MAP_FAILED)
                        return NULL;
                c->size = size;
        }
        c->next = NULL;
        c->top = (char *)c + CHUNK_HEAD;
        c->end = (char *)c + c->size;
        POISON(c->top, (size_t)(c->end - c->top));
        VALGRIND_MAKE_MEM_NOACCESS(c->top, (size_t)(c->end - c->top));
        return c;
}

static void chunk_put(chunk_t *c)
{
        UNPOISON(c, c->size);
        if (keep_cache && cache_bytes + c->size <= CACHE_MAX) {
                c->next = cache;
                cache = c;
                cache_bytes += c->size;
                (void)pthread_setspecific(cache_key, cache);
                return;
        }
        munmap(c, c->size);
}

/* Room for `need` bytes (a header and a block) in a new chunk; NULL when
 * that would pass the cap (a->over set) or no memory. */
static char *arena_grow(xmlarena_t *a, size_t need)
{
        size_t page = 4096, size;
        chunk_t *c;
        char *p;

        if (need > SIZE_MAX / 2)
                return NULL;
        size = (need + CHUNK_HEAD + page - 1) & ~(page - 1);
        /* A big block gets a chunk of its own, after the current one
         * (whose room is still for the small ones). */
        if (size < a->next_size && need <= a->next_size / 4)
                size = a->next_size;
        if (a->mapped + size > a->cap || a->mapped + size < a->mapped) {
                a->over = 1;
                return NULL;
        }
        c = chunk_get(size);
        if (c == NULL)
                return NULL;
        a->mapped += c->size;
        if (size == a->next_size) {
                c->next = a->chunks;
                a->chunks = c;
                if (a->next_size < CHUNK_MAX)
                        a->next_size *= 2;
        } else if (a->chunks != NULL) {
                c->next = a->chunks->next;
                a->chunks->next = c;
        } else {
                a->chunks = c;
        }
        p = c->top;
        c->top += need;
        return p;
}

static void *xa_malloc(size_t n)
{
        xmlarena_t *a = current;
        size_t need;
        chunk_t *c;
        hdr_t *h;
        char *p;

        if (a == NULL || a->over || n > SIZE_MAX / 4)
                return heap_alloc(n);
        need = sizeof(hdr_t) + ROUND(n);
        c = a->chunks;
        if (c != NULL && (size_t)(c->end - c->top) >= need) {
                p = c->top;
                c->top += need;
        } else {
                p = arena_grow(a, need);
                if (p == NULL)
                        return heap_alloc(n);
        }
        a->used += need;
        h = (hdr_t *)p;
        UNPOISON(h, sizeof(*h));
        if (on_valgrind)
                VALGRIND_MAKE_MEM_UNDEFINED(h, sizeof(*h));
        h->size = n;
        h->owner = a;
        POISON(h, sizeof(*h));
        UNPOISON(h + 1, n);
        if (on_valgrind)
                VALGRIND_MEMPOOL_ALLOC(a, h + 1, n);
        return h + 1;
}

/* The header of a block (unpoisoned while it is read). */
static hdr_t read_hdr(void *p)
{
        hdr_t *h = (hdr_t *)p - 1, v;

        UNPOISON(h, sizeof(*h));
        v = *h;
        if (v.owner != NULL)
                POISON(h, sizeof(*h));
        return v;
}

static void xa_free(void *p)
{
        hdr_t h;

        if (p == NULL)
                return;
        h = read_hdr(p);
        if (h.owner == NULL) {
                free((hdr_t *)p - 1);
                return;
        }
        /* A block of an arena: its room goes with the arena. */
        POISON(p, ROUND(h.size));
        if (on_valgrind)
                VALGRIND_MEMPOOL_FREE(h.owner, p);
}

static void *xa_realloc(void *p, size_t n)
{
        xmlarena_t *a = current;
        hdr_t h;
        void *q;

        if (p == NULL)
                return xa_malloc(n);
        h = read_hdr(p);
        if (h.owner == NULL) {
                hdr_t *r;

                if (n > SIZE_MAX - sizeof(hdr_t))
                        return NULL;
                r = realloc((hdr_t *)p - 1, n + sizeof(hdr_t));
                if (r == NULL)
                        return NULL;
                r->size = n;
                return r + 1;
        }
        /* The last block of the current chunk grows (or shrinks) where it
         * is: libxml2 grows its buffers and text nodes by realloc. */
        if (h.owner == a && !a->over && n <= SIZE_MAX / 4) {
                chunk_t *c = a->chunks;
                char *end = (char *)p + ROUND(h.size);

                if (c != NULL && end == c->top &&
                    ROUND(n) <= (size_t)(c->end - (char *)p)) {
                        hdr_t *hp = (hdr_t *)p - 1;

                        c->top = (char *)p + ROUND(n);
                        a->used = a->used - ROUND(h.size) + ROUND(n);
                        UNPOISON(hp, sizeof(*hp));
                        hp->size = n;
                        POISON(hp, sizeof(*hp));
                        POISON(p, ROUND(h.size));
                        UNPOISON(p, n);
                        if (on_valgrind) {
                                /* memcheck's pool only records the size. */
                                VALGRIND_MEMPOOL_CHANGE(a, p, p, n);
                                if (n > h.size)
                                        VALGRIND_MAKE_MEM_UNDEFINED(
                                                (char *)p + h.size,
                                                n - h.size);
                                else
                                        VALGRIND_MAKE_MEM_NOACCESS(
                                                (char *)p + n, h.size - n);
                        }
                        return p;
                }
        }
        q = xa_malloc(n);
        if (q == NULL)
                return NULL;
        memcpy(q, p, h.size < n ? h.size : n);
        xa_free(p);
        return q;
}

static char *xa_strdup(const char *s)
{
        size_t n = strlen(s) + 1;
        char *p = xa_malloc(n);

        if (p != NULL)
                memcpy(p, s, n);
        return p;
}

int xmlarena_setup(void)
{
        static int done;
        const char *env = getenv("KCRAWL_XML_ARENA");

        if (done)
                return 0;
        done = 1;
        if (env == NULL || strcmp(env, "0") != 0) {
                if (pthread_key_create(&cache_key, cache_destroy) != 0 ||
                    xmlMemSetup(xa_free, xa_malloc, xa_realloc, xa_strdup) !=
                            0) {
                        xmlInitParser();
                        return -1;
                }
                installed = 1;
#ifndef XA_ASAN
                /* Chunks kept would hide a use after free of the last
                 * page's tree from the checkers. */
                keep_cache = !RUNNING_ON_VALGRIND;
#endif
#ifdef XA_VALGRIND
                on_valgrind = RUNNING_ON_VALGRIND != 0;
#endif
        }
        /* Its own allocations (the encodings, the dictionary's mutex)
         * outlive every arena: from the heap, as no arena is current. */
        xmlInitParser();
        return 0;
}

xmlarena_t *xmlarena_new(size_t cap)
{
        xmlarena_t *a;

        if (!installed)
                return NULL;
        a = calloc(1, sizeof(*a));
        if (a == NULL)
                return NULL;
        a->cap = cap;
        a->next_size = CHUNK_MIN;
        VALGRIND_CREATE_MEMPOOL(a, 0, 0);
        return a;
}

void xmlarena_enter(xmlarena_t *a)
{
        current = a;
}

void xmlarena_leave(xmlarena_t *a)
{
        if (a == NULL)
                return;
        /* The thread's last error holds copies of its strings, freed at
         * the next error: not in an arena that will be gone by then. */
        xmlResetLastError();
        current = NULL;
}

int xmlarena_over(const xmlarena_t *a)
{
        return a != NULL && a->over;
}

size_t xmlarena_used(const xmlarena_t *a)
{
        return a != NULL ? a->used : 0;
}

void xmlarena_free(xmlarena_t *a)
{
        if (a == NULL)
                return;
        if (current == a)
                current = NULL;
        VALGRIND_DESTROY_MEMPOOL(a);
        while (a->chunks != NULL) {
                chunk_t *next = a->chunks->next;

                chunk_put(a->chunks);
                a->chunks = next;
        }
        free(a);
}
