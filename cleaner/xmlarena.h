/*
 * xmlarena.h — libxml2's allocations of one page's parse in an arena.
 *
 * libxml2 builds a page's tree out of many small allocations (a node, its
 * name, each attribute and text) and frees them one by one with
 * xmlFreeDoc(): on real pages some quarter of the extraction's CPU went to
 * malloc and free. xmlarena_setup() points libxml2's allocator
 * (xmlMemSetup()) at functions that take memory from the calling thread's
 * current arena while there is one (a bump of a pointer; xmlFree() of it
 * does nothing), and from malloc otherwise. A page's parse runs inside
 * xmlarena_enter() / xmlarena_leave(); its document then lives until
 * xmlarena_free(), which drops it with the arena instead of walking it.
 *
 * Every block carries a 16-byte header saying where it came from, so that
 * xmlFree() and xmlRealloc() do the right thing whatever the current arena
 * is (a block of the heap freed inside an arena, a block of an arena freed
 * after xmlarena_leave()). The document must not be changed after the
 * parse (nothing in the cleaner does): nodes added then would come from
 * the heap and not be freed with the arena.
 *
 * Bounded: an arena holds at most its cap; past it the allocations come
 * from the heap (libxml2 2.9 never sees an allocation fail: its handling
 * of that is not to be trusted) and xmlarena_over() says so: the caller
 * stops the parse and fails the page with an error.
 *
 * Checked builds: under AddressSanitizer each block is unpoisoned as it is
 * handed out and poisoned again when freed (headers stay poisoned), under
 * valgrind the arena is a memcheck mempool, and neither keeps chunks for
 * the next page, so that both still see a use after free or an overrun in
 * the tree. KCRAWL_XML_ARENA=0 in the environment turns the arena off
 * (libxml2 then frees its documents itself, as it did before).
 */
#ifndef KCRAWL_XMLARENA_H
#define KCRAWL_XMLARENA_H

#include <stddef.h>

typedef struct xmlarena xmlarena_t;

/* Points libxml2's allocator here and initialises libxml2
 * (xmlInitParser()): once, before any other use of libxml2 and before
 * the threads start. Returns 0, or -1 when libxml2 refused the
 * functions (libxml2 then allocates as before and no arena is made). */
int xmlarena_setup(void);

/* A new arena of at most cap bytes; NULL when arenas are off (no
 * xmlarena_setup(), KCRAWL_XML_ARENA=0) or memory ran out: libxml2 then
 * allocates from the heap, and the caller frees documents with
 * xmlFreeDoc() as usual. */
xmlarena_t *xmlarena_new(size_t cap);

/* libxml2's allocations of this thread come from a until
 * xmlarena_leave(). a NULL is fine (no arena). Not nested. */
void xmlarena_enter(xmlarena_t *a);

/* Back to the heap. Clears the thread's last libxml2 error first (its
 * strings would be in the arena). */
void xmlarena_leave(xmlarena_t *a);

/* 1 when an allocation was over the cap (it came from the heap). */
int xmlarena_over(const xmlarena_t *a);

/* Bytes the arena handed out (blocks and headers). */
size_t xmlarena_used(const xmlarena_t *a);

/* Frees every block of the arena at once. NULL is fine. */
void xmlarena_free(xmlarena_t *a);

#endif /* KCRAWL_XMLARENA_H */
