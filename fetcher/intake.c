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
#include "recrawl.h"
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
                                rd_kafka_topic_partition_list_del_by_idx(parts,
                                                                         i);
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

intake_next_t intake_route(const intake_msg_t *in)
{
        /* No metadata: fetch rather than stall. */
        if (in->want >= 0 && (in->partition != in->want || !in->key_is_host))
                return INTAKE_REROUTE;
        /* Redelivered after a crash or a rebalance: its page or dead
         * letter is out already and is its outcome. */
        if (in->delivered)
                return INTAKE_DELIVERED;
        /* A followed link (never a user's URL) fetched already: dropped,
         * committed like any finished message. */
        if (in->followed && in->seen)
                return INTAKE_DROP;
        return INTAKE_QUEUE;
}

intake_next_t intake_place(const intake_host_t *in, int64_t *park_ms)
{
        *park_ms = 0;
        if (!in->parking)
                return INTAKE_QUEUE;
        if (in->queued >= in->max_host_queued) {
                /* As long as the queue ahead takes to drain, at least. */
                double rate = in->rate > 0 ? in->rate : 1;
                int64_t drain = (int64_t)((double)in->queued / rate * 1000.0);

                *park_ms = drain > in->host_wait_ms ? drain : in->host_wait_ms;
                return INTAKE_PARK;
        }
        if (in->host_wait_ms > in->park_after_ms) {
                *park_ms = in->host_wait_ms;
                return INTAKE_PARK;
        }
        return INTAKE_QUEUE;
}

/* Re-produces the message on partition `want`, keyed by its host key,
 * headers kept (the job is on its way). */
static void reroute(fetcher_t *f, job_t *job, const rd_kafka_message_t *msg,
                    int32_t want)
{
        const char *hk = job->um.host_key;
        size_t hk_len = strlen(hk);
        rd_kafka_headers_t *hdrs = NULL, *copy = NULL;
        rd_kafka_resp_err_t err;

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
                return;
        }
        job_produced(f, job, OUT_REROUTE);
        f->n_rerouted++;
        mcounter_add(f->m.rerouted, 1);
        LOGF(LOG_DEBUG, "re-routed", LOG_S("url", job->um.url),
             LOG_I("from", job->partition), LOG_I("to", want));
}

/* One consumed message: queued on its host, re-routed, parked, or
 * dead-lettered. */
static void handle_message(fetcher_t *f, rd_kafka_message_t *msg)
{
        const char *topic, *code, *hk;
        char why[512];
        intake_msg_t in;
        crawlstate_rec_t *st = NULL;
        bool has_state;
        size_t hk_len;
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
        hk = job->um.host_key;
        hk_len = strlen(hk);
        job->followed_from = kafka_header_dup(msg, HDR_FOLLOWED);
        /* The URL's crawl state, read into the job's record (which its
         * outcome will update). */
        has_state = false;
        if (f->state) {
                st = malloc(sizeof(*st));
                has_state = st && crawlstate_get(f->state, job->um.url, st);
        }
        in = (intake_msg_t){
                .partition = job->partition,
                .want = fkafka_partition_of(f, job->topic, hk),
                .key_is_host = job->key_len == hk_len &&
                               !memcmp(job->key, hk, hk_len),
                .followed = job->followed_from != NULL,
                /* The seen set holds every URL taken in (below), so a
                 * parked copy coming back (tier >= 0) would find itself
                 * there: for it only the crawl state counts. */
                .seen = job->followed_from &&
                        ((tier < 0 && seen_has(f->seen, job->um.url)) ||
                         (has_state && st->outcome == CRAWLSTATE_PAGE)),
                .delivered = has_state &&
                             crawlstate_delivered(st, job->topic,
                                                  job->partition, job->offset),
        };
        switch (intake_route(&in)) {
        case INTAKE_REROUTE:
                free(st);
                reroute(f, job, msg, in.want);
                return;
        case INTAKE_DELIVERED:
                f->n_duplicates++;
                mcounter_add(f->m.state_duplicates, 1);
                LOGF(LOG_DEBUG,
                     "redelivered URL message: outcome delivered "
                     "already, committed without a request",
                     LOG_S("url", job->um.url), LOG_S("topic", job->topic),
                     LOG_I("partition", job->partition),
                     LOG_I("offset", job->offset));
                /* Its recrawl copy may not have been produced before the
                 * crash: the one the state expects goes again. */
                if (!recrawl_resume(f, job, st))
                        job_finish(f, job);
                free(st);
                return;
        case INTAKE_DROP:
                free(st);
                f->n_dropped++;
                mcounter_add(f->m.links_dropped, 1);
                LOGF(LOG_DEBUG, "followed link dropped: fetched already",
                     LOG_S("url", job->um.url),
                     LOG_S("followed_from", job->followed_from));
                job_finish(f, job);
                return;
        default:
                break;
        }
        /* A recrawl stop, a stopped or superseded copy, a discovered URL
         * of a stopped host or crawl. */
        if (recrawl_intake(f, job, has_state ? st : NULL)) {
                free(st);
                return;
        }
        free(st);
        /* Woken early (a longer tier): parked again for the rest, or
         * held until due when the rest is short. */
        if (tier >= 0 && park_hold(f, job)) {
                if (job->outcome != OUT_PARKED)
                        recrawl_taken(f, job); /* held until due */
                return;
        }
        /* Taken in: from now on a followed link to the same URL is
         * dropped, while this one is queued, in flight, parked or
         * retried — not only once it is fetched. Two sitemaps read at the
         * same moment list the same URL twice within milliseconds; only
         * this owner of the host sees both copies, so it is the one place
         * that can keep the second from being fetched. A URL taken in but
         * given up without an outcome (its partition revoked while it
         * waited) is forgotten again (drop_revoked). */
        /* A discovered URL new to this owner takes one from its host's
         * budget: past it, committed without a request, counted. */
        if (tier < 0 && job->followed_from && !job->recrawl_token &&
            !budget_take(f->budget, hk)) {
                mcounter_add(f->m.discovered_over_budget, 1);
                LOGF(LOG_DEBUG,
                     "discovered URL dropped: its host's "
                     "--discovery-budget is spent",
                     LOG_S("url", job->um.url), LOG_S("host", hk));
                job_finish(f, job);
                return;
        }
        if (tier < 0)
                seen_add(f->seen, job->um.url);
        recrawl_taken(f, job);
        intake_admit(f, job);
}

void intake_admit(fetcher_t *f, job_t *job)
{
        int64_t now = clock_mono_ms();
        host_t *h = hosts_get(f->hosts, job->um.host_key, now);
        intake_host_t place;
        int64_t park_ms = 0;

        job->timer.kind = T_RETRY;
        if (!h) {
                LOG(LOG_ERROR, "out of memory queueing a URL");
                f->fatal = true;
                return;
        }
        /* A deep queue, or a host that will not be served for long:
         * park rather than hold memory and the commit point. */
        place = (intake_host_t){
                .parking = f->ntiers > 0,
                .queued = host_queued(h),
                .max_host_queued = (size_t)f->conf->max_host_queued,
                .rate = host_rate(f->hosts, h),
                .host_wait_ms = host_ready_at(f->hosts, h, now) - now,
                .park_after_ms = (int64_t)f->conf->park_after * 1000,
        };
        if (intake_place(&place, &park_ms) == INTAKE_PARK) {
                park_job(f, job, park_ms);
                return;
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
