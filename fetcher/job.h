/*
 * job.h — a job's life cycle: made from a consumed message, linked, queued,
 * produced, finished (the commit point advances) and freed (job.c).
 */
#ifndef KCRAWL_JOB_H
#define KCRAWL_JOB_H

#include "fetcher_int.h"

/* A job for consumed message `msg` (copies its topic, key and value),
 * linked in f->jobs; NULL when out of memory. */
job_t *job_new(fetcher_t *f, const rd_kafka_message_t *msg);
void job_link(fetcher_t *f, job_t *job);
void job_unlink(fetcher_t *f, job_t *job);
void job_free(job_t *job);
/* The job's outcome is acknowledged: stores the partition's commit point
 * and frees the job. */
void job_finish(fetcher_t *f, job_t *job);
/* The job's outcome is on its way: wait for its delivery report. */
void job_produced(fetcher_t *f, job_t *job, outcome_t outcome);
/* Puts a job back in its host's queue (a retry that is due). */
void job_requeue(fetcher_t *f, job_t *job, bool front);

#endif /* KCRAWL_JOB_H */
