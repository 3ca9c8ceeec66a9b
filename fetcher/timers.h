/*
 * timers.h — the loop's timer heap: a min-heap of intrusive timers, used
 * by hosts.c (hosts waiting for a token or a back-off) and by the loop
 * (retries, robots.txt retries, partition resumes, parked URLs due;
 * timers_arm()).
 *
 * Hand-written: a binary heap is a few dozen lines and no packaged C
 * library offers an intrusive one. Single-threaded.
 */
#ifndef KCRAWL_TIMERS_H
#define KCRAWL_TIMERS_H

#include <stddef.h>
#include <stdint.h>

/* A timer in a heap; embed it, keep `pos` untouched. */
typedef struct htimer {
        int64_t due; /* monotonic ms */
        size_t pos;  /* 0 = not in a heap, else index + 1 */
} htimer_t;

/* A min-heap of timers (bounded by the items the caller holds). */
typedef struct theap {
        htimer_t **v;
        size_t n, cap;
} theap_t;

int timers_push(theap_t *h, htimer_t *t);    /* 0 or -1 on OOM */
void timers_remove(theap_t *h, htimer_t *t); /* no-op when absent */
htimer_t *timers_peek(const theap_t *h);     /* NULL when empty */
void timers_free(theap_t *h);

struct fetcher;
struct tnode;
/* Schedules the loop's timer t at monotonic `due` (again when it was
 * set). 0, or -1 when out of memory, with f->fatal set (fetcher_int.h). */
int timers_arm(struct fetcher *f, struct tnode *t, int64_t due);

#endif /* KCRAWL_TIMERS_H */
