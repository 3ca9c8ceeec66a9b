/*
 * intake.c — consumed URL messages (see intake.h): a parked one that
 * has not waited its tier's delay waits; the rest are decoded, checked
 * for their host's partition (re-routed when wrong), dropped when a
 * followed link was fetched already, parked again (or held) when a
 * parked one is not due yet, parked when their host cannot take them
 * soon, else queued on their host. The memory bound pauses the
 * partitions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fetcher_int.h"
#include "fkafka.h"
#include "intake.h"
#include "job.h"
#include "outcome.h"
#include "park.h"
#include "kafka.h"
#include "log.h"

static void set_paused(fetcher_t *f, bool pause)
{
        rd_kafka_topic_partition_list_t *parts = NULL;

        if (f->paused == pause)
                return;
        if (rd_kafka_assignment(f->consumer, &parts) || !parts)
                return;
        if (!pause) {
                /* Partitions waiting for a parked URL stay paused. */
                for (int i = parts->cnt - 1; i >= 0; i--)
                        if (park_find(f, parts->elems[i].topic,
                                        parts->elems[i].partition))
                                rd_kafka_topic_partition_list_del_by_idx(
                                        parts, i);
        }
        if (pause)
                rd_kafka_pause_partitions(f->consumer, parts);
        else
                rd_kafka_resume_partitions(f->consumer, parts);
        LOGF(LOG_DEBUG, pause ? "paused" : "resumed",
             LOG_I("partitions", parts->cnt), LOG_I("held", f->held));
        f->paused_parts = pause ? parts->cnt : 0;
        rd_kafka_topic_partition_list_destroy(parts);
        f->paused = pause;
}

/* Is the message keyed and partitioned as the design says? If not,
 * re-produce it correctly (returns true: the job is on its way). */
static bool reroute(fetcher_t *f, job_t *job, const rd_kafka_message_t *msg)
{
        const char *hk = job->um.host_key;
        size_t hk_len = strlen(hk);
        int32_t want = fkafka_partition_of(f, job->topic, hk);
        rd_kafka_headers_t *hdrs = NULL, *copy = NULL;
        rd_kafka_resp_err_t err;

        if (want < 0)
                return false; /* no metadata: fetch rather than stall */
        if (job->partition == want && job->key_len == hk_len &&
            !memcmp(job->key, hk, hk_len))
                return false;
        if (!rd_kafka_message_headers(msg, &hdrs) && hdrs)
                copy = rd_kafka_headers_copy(hdrs);
        err = fkafka_produce(f, job->topic, want, hk, hk_len, job->input,
                             job->input_len, copy, job);
        if (err) {
                if (copy)
                        rd_kafka_headers_destroy(copy);
                LOGF(LOG_ERROR, "cannot re-route a URL message",
                     LOG_S("topic", job->topic),
                     LOG_S("err", rd_kafka_err2str(err)));
                f->fatal = true;
                return true;
        }
        job_produced(f, job, OUT_REROUTE);
        f->n_rerouted++;
        mcounter_add(f->m.rerouted, 1);
        LOGF(LOG_DEBUG, "re-routed", LOG_S("url", job->um.url),
             LOG_I("from", job->partition), LOG_I("to", want));
        return true;
}

/* One consumed message: queued on its host, re-routed, parked, or
 * dead-lettered. */
static void handle_message(fetcher_t *f, rd_kafka_message_t *msg)
{
        const char *topic, *code;
        char why[512];
        job_t *job;
        int tier;

        if (msg->err) {
                if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        LOGF(LOG_WARN, "consumer error",
                             LOG_S("err", rd_kafka_message_errstr(msg)));
                return;
        }
        topic = rd_kafka_topic_name(msg->rkt);
        tier = park_tier_of(f, topic);
        if (park_find(f, topic, msg->partition))
                return; /* fetched before the pause: read again later */
        if (tier >= 0 && park_not_awake(f, msg, tier))
                return;
        f->n_consumed++;
        job = job_new(f, msg);
        if (!job || offsets_begin(f->offsets, job->topic, job->partition,
                                  job->offset)) {
                LOG(LOG_ERROR, "out of memory taking a URL message");
                if (job) {
                        job_unlink(f, job);
                        job_free(job);
                }
                f->fatal = true;
                return;
        }
        if (tier >= 0)
                park_restore(f, job, msg);
        if (urlmsg_decode(msg->payload, msg->len, &job->um, &code, why,
                          sizeof(why))) {
                outcome_fail(f, job, code, why);
                return;
        }
        if (reroute(f, job, msg))
                return;
        /* A followed link (never a user's URL) fetched already: dropped,
         * committed like any finished message. */
        job->followed_from = kafka_header_dup(msg, HDR_FOLLOWED);
        if (job->followed_from && seen_has(f->seen, job->um.url)) {
                f->n_dropped++;
                mcounter_add(f->m.links_dropped, 1);
                LOGF(LOG_DEBUG, "followed link dropped: fetched already",
                     LOG_S("url", job->um.url),
                     LOG_S("followed_from", job->followed_from));
                job_finish(f, job);
                return;
        }
        /* Woken early (a longer tier): parked again for the rest, or
         * held until due when the rest is short. */
        if (tier >= 0 && park_hold(f, job))
                return;
        intake_admit(f, job);
}

void intake_admit(fetcher_t *f, job_t *job)
{
        int64_t now = clock_mono_ms();
        host_t *h = hosts_get(f->hosts, job->um.host_key, now);

        job->timer.kind = T_RETRY;
        if (!h) {
                LOG(LOG_ERROR, "out of memory queueing a URL");
                f->fatal = true;
                return;
        }
        /* A deep queue, or a host that will not be served for long:
         * park rather than hold memory and the commit point. */
        if (f->ntiers) {
                int64_t wait = host_ready_at(f->hosts, h, now) - now;

                if ((size_t)h->queued >= (size_t)f->conf->max_host_queued) {
                        double rate = host_rate(f->hosts, h);
                        int64_t drain = (int64_t)((double)h->queued /
                                                  (rate > 0 ? rate : 1) *
                                                  1000.0);

                        park_job(f, job, drain > wait ? drain : wait);
                        return;
                }
                if (wait > f->conf->park_after * 1000) {
                        park_job(f, job, wait);
                        return;
                }
        }
        job->host = h;
        job->state = JS_QUEUED;
        hosts_push(f->hosts, h, &job->qlink, false, now);
}

void intake_consume(fetcher_t *f)
{
        size_t max = (size_t)f->conf->max_queued;

        for (;;) {
                rd_kafka_message_t *msg;

                if (f->held >= max)
                        set_paused(f, true);
                else if (f->held <= max - max / 4)
                        set_paused(f, false);
                /* Polled even when paused: rebalances and errors. */
                msg = rd_kafka_consumer_poll(f->consumer, 0);
                if (!msg)
                        return;
                handle_message(f, msg);
                rd_kafka_message_destroy(msg);
                if (f->fatal)
                        return;
        }
}
