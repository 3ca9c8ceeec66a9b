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
/* Queues a decoded job on its host, or parks it when the host cannot
 * take it soon (a deep queue, a long wait). */
void intake_admit(fetcher_t *f, job_t *job);

#endif /* KCRAWL_INTAKE_H */
