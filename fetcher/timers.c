/*
 * timers.c — the loop's timer heap (see timers.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fetcher_int.h"
#include "log.h"
#include "timers.h"

/* ---- timer heap -------------------------------------------------------- */

static void timers_set(theap_t *h, size_t i, htimer_t *t)
{
        h->v[i] = t;
        t->pos = i + 1;
}

static void timers_up(theap_t *h, size_t i)
{
        htimer_t *t = h->v[i];

        while (i > 0) {
                size_t parent = (i - 1) / 2;

                if (h->v[parent]->due <= t->due)
                        break;
                timers_set(h, i, h->v[parent]);
                i = parent;
        }
        timers_set(h, i, t);
}

static void timers_down(theap_t *h, size_t i)
{
        htimer_t *t = h->v[i];

        for (;;) {
                size_t c = 2 * i + 1;

                if (c >= h->n)
                        break;
                if (c + 1 < h->n && h->v[c + 1]->due < h->v[c]->due)
                        c++;
                if (t->due <= h->v[c]->due)
                        break;
                timers_set(h, i, h->v[c]);
                i = c;
        }
        timers_set(h, i, t);
}

int timers_push(theap_t *h, htimer_t *t)
{
        if (t->pos)
                timers_remove(h, t);
        if (h->n == h->cap) {
                size_t cap = h->cap ? h->cap * 2 : 64;
                htimer_t **v = realloc(h->v, cap * sizeof(*v));

                if (!v)
                        return -1;
                h->v = v;
                h->cap = cap;
        }
        h->v[h->n++] = t;
        timers_up(h, h->n - 1);
        return 0;
}

void timers_remove(theap_t *h, htimer_t *t)
{
        size_t i;

        if (!t->pos)
                return;
        i = t->pos - 1;
        t->pos = 0;
        h->n--;
        if (i == h->n)
                return;
        h->v[i] = h->v[h->n];
        h->v[i]->pos = i + 1;
        timers_up(h, i);
        timers_down(h, h->v[i]->pos - 1);
}

htimer_t *timers_peek(const theap_t *h)
{
        return h->n ? h->v[0] : NULL;
}

void timers_free(theap_t *h)
{
        free(h->v);
        memset(h, 0, sizeof(*h));
}

int timers_arm(fetcher_t *f, tnode_t *t, int64_t due)
{
        t->t.due = due;
        if (timers_push(&f->timers, &t->t)) {
                LOG(LOG_ERROR, "out of memory scheduling a timer");
                f->fatal = true;
                return -1;
        }
        return 0;
}
