/*
 * park.h — the delay tiers: parking, wake-time pauses, due times (tiers.h:
 * the tier list and choice) (park.c).
 */
#ifndef KCRAWL_PARK_H
#define KCRAWL_PARK_H

#include "fetcher_int.h"

/* Builds f->tiers from --delay-topic, --park-after and --delay-tiers
 * (none when --delay-topic is empty). -1 with the reason in errstr. */
int park_tiers_init(fetcher_t *f, char *errstr, size_t errstr_size);
/* Frees f->tiers. */
void park_tiers_free(fetcher_t *f);
/* Warns about each delay tier topic that is missing or whose partition
 * count differs from the URL topic's (one metadata request). */
void park_check_topics(fetcher_t *f);
/* The tier whose topic is `topic`, or -1. */
int park_tier_of(const fetcher_t *f, const char *topic);
/* Re-produces `job` to the delay tier that fits wait_ms (capped by
 * --max-park), due then; its delivery report commits the original. */
void park_job(fetcher_t *f, job_t *job, int64_t wait_ms);
/* Produces `job` (its outcome delivered) as its recrawl copy, due at
 * due_at (epoch ms) with token job->recrawl_token, to the tier that fits
 * (OUT_RECRAWL: its delivery report commits the original). */
void park_recrawl(fetcher_t *f, job_t *job, int64_t due_at);
/* A message of tier `tier` that has not waited its tier's delay yet:
 * rewinds and pauses its partition until it has (at most the delay, and
 * at most --max-park), and returns true (the message is read again
 * then). */
bool park_not_awake(fetcher_t *f, const rd_kafka_message_t *msg, int tier);
/* A job from a delay tier: its original source topic, attempts and due
 * time (capped by --max-park). */
void park_restore(fetcher_t *f, job_t *job, const rd_kafka_message_t *msg);
/* A woken parked job not due yet: parked again for the rest of its wait
 * when that is over --park-after, else held in the timer heap until due
 * (then intake_admit). Returns false when it is due now. */
bool park_hold(fetcher_t *f, job_t *job);
/* The due-time pause of a partition, or NULL. */
dpause_t *park_find(fetcher_t *f, const char *topic, int32_t part);
/* Forgets a due-time pause (the partition is not resumed). */
void park_remove(fetcher_t *f, dpause_t *d);

#endif /* KCRAWL_PARK_H */
