/*
 * intake.h — consumed URL messages: decode, partition check and re-routing,
 * followed-link drop, park or queue; the memory bound (intake.c).
 */
#ifndef KCRAWL_INTAKE_H
#define KCRAWL_INTAKE_H

#include "fetcher_int.h"

/* Takes every message the consumer has now; pauses the assigned
 * partitions at --max-queued and resumes them below 3/4 of it. */
void intake_consume(fetcher_t *f);
/* What becomes of a consumed URL message: the decisions of intake.c,
 * from their inputs alone. */
typedef enum {
        INTAKE_QUEUE,     /* on its host's queue                   */
        INTAKE_PARK,      /* to a delay tier, for *park_ms          */
        INTAKE_REROUTE,   /* re-produced to its host's partition   */
        INTAKE_DROP,      /* a followed link fetched already       */
        INTAKE_DELIVERED, /* its outcome delivered already (state) */
} intake_next_t;

typedef struct {
        int32_t partition; /* where the message was read             */
        int32_t want;      /* its host key's partition; -1: unknown  */
        bool key_is_host;  /* keyed by its host key                  */
        bool followed;     /* a followed link (header followed_from) */
        bool seen;         /* its URL was fetched already (seen set,
                            * or a page in its crawl state)          */
        bool delivered;    /* its crawl state records an outcome for
                            * this very message (crawlstate_delivered) */
} intake_msg_t;

/* Re-route (keyed or partitioned otherwise than the design says, when
 * the partition count is known), delivered (committed without a request:
 * a redelivery of a message whose outcome stands), drop (a followed link
 * fetched already), else INTAKE_QUEUE: on to its host (intake_place()). */
intake_next_t intake_route(const intake_msg_t *in);

typedef struct {
        bool parking;           /* delay tiers configured             */
        size_t queued;          /* URLs in the host's queue            */
        size_t max_host_queued; /* --max-host-queued                   */
        double rate;            /* the host's rate, per second         */
        int64_t host_wait_ms;   /* until the host may be served        */
        int64_t park_after_ms;  /* --park-after                        */
} intake_host_t;

/* Park (the host's queue full: for as long as it takes to drain, or its
 * wait if longer; or the host not served for over --park-after: for that
 * wait), else queue. */
intake_next_t intake_place(const intake_host_t *in, int64_t *park_ms);
/* Queues a decoded job on its host, or parks it when the host cannot
 * take it soon (a deep queue, a long wait). */
void intake_admit(fetcher_t *f, job_t *job);

#endif /* KCRAWL_INTAKE_H */
