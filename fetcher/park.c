/*
 * park.c — the delay topic (see fetcher_int.h). A URL that must wait
 * long is re-produced there, keyed and partitioned by its host, with the
 * time it is due, and committed; when it comes back before it is due,
 * its partition is rewound to it and paused until then.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"
#include "fetcher_int.h"
#include "kafka.h"
#include "log.h"

/* Reads a decimal header, or `def`. */
static long long header_ll(const rd_kafka_message_t *msg, const char *name,
                           long long def)
{
        char *s = kafka_header_dup(msg, name), *end;
        long long v;

        if (!s)
                return def;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || *end)
                v = def;
        free(s);
        return v;
}

/* Re-produces `job` to the delay topic, due in wait_ms; its delivery
 * report commits the original. */
void park_job(fetcher_t *f, job_t *job, int64_t wait_ms)
{
        const char *topic = f->conf->delay_topic;
        rd_kafka_headers_t *h = rd_kafka_headers_new(4);
        char due_s[24], attempts_s[16];
        struct timeval tv;
        int32_t part = host_partition(f, topic, job->um.host_key);
        rd_kafka_resp_err_t err;

        gettimeofday(&tv, NULL);
        snprintf(due_s, sizeof(due_s), "%lld",
                 (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000 + wait_ms);
        snprintf(attempts_s, sizeof(attempts_s), "%d", job->attempts);
        header_add(h, HDR_DUE_AT, due_s);
        header_add(h, HDR_ATTEMPTS, attempts_s);
        header_add(h, HDR_SOURCE, job->source_topic ? job->source_topic :
                   job->topic);
        header_add(h, HDR_FOLLOWED, job->followed_from);
        err = produce_to(f, topic, part >= 0 ? part : RD_KAFKA_PARTITION_UA,
                         job->um.host_key, strlen(job->um.host_key),
                         job->input, job->input_len, h, job);
        if (err) {
                rd_kafka_headers_destroy(h);
                LOGF(LOG_ERROR, "cannot produce to the delay topic",
                     LOG_S("topic", topic), LOG_S("err", rd_kafka_err2str(err)));
                f->fatal = true;
                return;
        }
        job_produced(f, job, OUT_PARKED);
        f->n_parked++;
        mcounter_add(f->m.parked, 1);
        LOGF(LOG_DEBUG, "parked", LOG_S("url", job->um.url),
             LOG_I("wait_ms", wait_ms));
}

dpause_t *park_find(fetcher_t *f, const char *topic, int32_t part)
{
        for (dpause_t *d = f->dpauses; d; d = d->next)
                if (d->partition == part && !strcmp(d->topic, topic))
                        return d;
        return NULL;
}

void park_partition(fetcher_t *f, const char *topic, int32_t part,
                     bool pause)
{
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(1);

        rd_kafka_topic_partition_list_add(l, topic, part);
        if (pause)
                rd_kafka_pause_partitions(f->consumer, l);
        else
                rd_kafka_resume_partitions(f->consumer, l);
        rd_kafka_topic_partition_list_destroy(l);
}

void park_remove(fetcher_t *f, dpause_t *d)
{
        dpause_t **pp = &f->dpauses;

        while (*pp && *pp != d)
                pp = &(*pp)->next;
        if (*pp)
                *pp = d->next;
        theap_remove(&f->timers, &d->timer.t);
        free(d->topic);
        free(d);
}

/* A parked URL that is not due yet: rewind its partition to it and pause
 * the partition until then (its messages are in due order, roughly). */
static void park_wait(fetcher_t *f, const rd_kafka_message_t *msg,
                int64_t wait_ms)
{
        const char *topic = rd_kafka_topic_name(msg->rkt);
        dpause_t *d = park_find(f, topic, msg->partition);
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_error_t *error;

        if (!d) {
                d = calloc(1, sizeof(*d));
                if (!d || !(d->topic = strdup(topic))) {
                        free(d);
                        f->fatal = true;
                        return;
                }
                d->partition = msg->partition;
                d->timer.kind = T_RESUME;
                d->timer.owner = d;
                d->next = f->dpauses;
                f->dpauses = d;
        }
        park_partition(f, topic, msg->partition, true);
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, msg->partition)->offset =
                msg->offset;
        error = rd_kafka_seek_partitions(f->consumer, l, 0);
        if (error) {
                LOGF(LOG_WARN, "seek failed", LOG_S("topic", topic),
                     LOG_S("err", rd_kafka_error_string(error)));
                rd_kafka_error_destroy(error);
        }
        rd_kafka_topic_partition_list_destroy(l);
        timer_set(f, &d->timer, clock_mono_ms() + wait_ms);
}

bool park_not_due(fetcher_t *f, const rd_kafka_message_t *msg)
{
        long long due = header_ll(msg, HDR_DUE_AT, 0), wall;
        struct timeval tv;

        gettimeofday(&tv, NULL);
        wall = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
        if (due <= wall + 20)
                return false;
        park_wait(f, msg, due - wall);
        return true;
}

void park_restore(job_t *job, const rd_kafka_message_t *msg)
{
        job->source_topic = kafka_header_dup(msg, HDR_SOURCE);
        job->attempts = (int)header_ll(msg, HDR_ATTEMPTS, 0);
        if (job->attempts < 0 || job->attempts > 1000)
                job->attempts = 0;
}
