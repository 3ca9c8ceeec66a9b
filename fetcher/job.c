/*
 * job.c — a job's life cycle (see job.h): made from a consumed message,
 * linked in the fetcher's list (the memory bound counts URL jobs), queued
 * on its host, produced, finished when its outcome's delivery report
 * comes back (the commit point advances), freed.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fetcher_int.h"
#include "fkafka.h"
#include "job.h"
#include "bodyzip.h"
#include "log.h"

void job_free(job_t *job)
{
        if (job->easy)
                curl_easy_cleanup(job->easy);
        curl_slist_free_all(job->hdrs);
        curl_slist_free_all(job->pin_list);
        urlmsg_clear(&job->um);
        free(job->topic);
        free(job->source_topic);
        free(job->key);
        free(job->input);
        free(job->followed_from);
        free(job->check_url);
        free(job->body);
        bodyzip_free(job);
        if (job->page_hdrs)
                rd_kafka_headers_destroy(job->page_hdrs);
        free(job->crawl);
        free(job->tdm_file_policy);
        free(job);
}

void job_unlink(fetcher_t *f, job_t *job)
{
        if (job->prev)
                job->prev->next = job->next;
        else
                f->jobs = job->next;
        if (job->next)
                job->next->prev = job->prev;
        if (job->kind == JOB_URL)
                f->held--;
}

void job_link(fetcher_t *f, job_t *job)
{
        job->next = f->jobs;
        if (f->jobs)
                f->jobs->prev = job;
        f->jobs = job;
        if (job->kind == JOB_URL)
                f->held++;
}

job_t *job_new(fetcher_t *f, const rd_kafka_message_t *msg)
{
        job_t *job = calloc(1, sizeof(*job));

        if (!job)
                return NULL;
        job->f = f;
        job->kind = JOB_URL;
        job->proxy = -1;
        job->timer.kind = T_RETRY;
        job->timer.owner = job;
        job->topic = strdup(rd_kafka_topic_name(msg->rkt));
        job->partition = msg->partition;
        job->offset = msg->offset;
        job->um.depth = -1;
        job->um.recrawl = URLMSG_RECRAWL_ABSENT;
        if (msg->key_len) {
                job->key = malloc(msg->key_len);
                if (job->key)
                        memcpy(job->key, msg->key, msg->key_len);
                job->key_len = msg->key_len;
        }
        if (msg->len) {
                job->input = malloc(msg->len);
                if (job->input)
                        memcpy(job->input, msg->payload, msg->len);
                job->input_len = msg->len;
        }
        if (!job->topic || (msg->key_len && !job->key) ||
            (msg->len && !job->input)) {
                job_free(job);
                return NULL;
        }
        job_link(f, job);
        return job;
}

/* The job's outcome is acknowledged: advance the partition's commit
 * point and forget the job. */
void job_finish(fetcher_t *f, job_t *job)
{
        /* A failed store is logged there; the next finished offset of
         * the partition stores the mark again. */
        (void)offsets_done_store(f->offsets, f->consumer, job->topic,
                                 job->partition, job->offset);
        job_unlink(f, job);
        job_free(job);
}

void job_produced(fetcher_t *f, job_t *job, outcome_t outcome)
{
        job->outcome = outcome;
        job->state = JS_OUTCOME;
        f->outstanding++;
}

/* Puts a job back in its host's queue (a retry that is due). */
void job_requeue(fetcher_t *f, job_t *job, bool front)
{
        int64_t now = clock_mono_ms();
        host_t *h = hosts_get(f->hosts, job->um.host_key, now);

        if (!h) {
                LOG(LOG_ERROR, "out of memory queueing a URL");
                f->fatal = true;
                return;
        }
        job->host = h;
        job->state = JS_QUEUED;
        hosts_push(f->hosts, h, &job->qlink, front, now);
}
