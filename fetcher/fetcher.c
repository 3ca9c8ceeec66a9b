/*
 * fetcher.c — the fetch loop (see fetcher.h): scheduling, delivery
 * reports, rebalances, start and stop. The other fetcher/ modules are
 * listed in fetcher_int.h; job.c holds a job's life cycle.
 *
 * A job is one consumed URL message, from consumption to the delivery
 * report of its outcome (a page, a dead letter, a re-routed copy or a
 * parked copy). Its context rides along: CURLOPT_PRIVATE during a
 * transfer, the produced message's opaque until the delivery report.
 * Between the two it waits in its host's queue (hosts.h), which decides
 * when it may start; a retry waits in the loop's timer heap.
 *
 * robots.txt fetches are jobs too (JOB_ROBOTS), without a message: they
 * run through the same multi handle, the host held until they end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fetcher_int.h"
#include "fkafka.h"
#include "fmetrics.h"
#include "intake.h"
#include "job.h"
#include "outcome.h"
#include "park.h"
#include "robotsfetch.h"
#include "recrawl.h"
#include "statesync.h"
#include "timers.h"
#include "transfer.h"
#include "kafka.h"
#include "log.h"
#include "signals.h"

static void transfer_done(fetcher_t *f, CURLMsg *m)
{
        CURLcode rc = m->data.result;
        job_t *job = NULL;

        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&job);
        curl_multi_remove_handle(f->multi, m->easy_handle);
        f->transfers--;
        /* A proxied job's target check that passed, or a redirect it
         * follows: the next request runs. */
        if (transfer_check_done(f, job, &rc))
                return;
        if (job->kind != JOB_URL) {
                if (job->kind == JOB_TDMREP)
                        robotsfetch_tdm_done(f, job, rc);
                else
                        robotsfetch_done(f, job, rc);
                job_unlink(f, job);
                job_free(job);
                return;
        }
        outcome_url_done(f, job, rc);
        if (job->easy) {
                curl_easy_cleanup(job->easy);
                job->easy = NULL;
        }
}

/* Starts transfers from hosts that may be served now, round robin, until
 * --max-inflight. */
static void schedule(fetcher_t *f)
{
        int64_t now = clock_mono_ms();

        while (f->transfers < (size_t)f->conf->max_inflight && !f->fatal &&
               !f->draining) {
                host_t *h = hosts_next(f->hosts, now);
                job_t *job;
                const char *why;
                int gate;

                if (!h)
                        return;
                if (f->conf->robots) {
                        gate = robotsfetch_gate(f, h, now);
                        if (gate < 0) {
                                f->fatal = true;
                                return;
                        }
                        if (!gate)
                                continue;
                }
                job = container_of(host_pop(h), job_t, qlink);
                if (f->conf->robots && !robotsfetch_allowed(f, h, job, &why)) {
                        job->host = NULL;
                        hosts_update(f->hosts, h, now);
                        outcome_fail(f, job, "robots_disallowed", why);
                        continue;
                }
                if (f->conf->robots && f->conf->tdm) {
                        robotsfetch_tdm_mark(host_user(h), job);
                        if (f->conf->respect_tdm &&
                            job->tdm_file == TDM_FILE_RESERVED) {
                                job->host = NULL;
                                hosts_update(f->hosts, h, now);
                                outcome_fail(f, job, "tdm_reserved",
                                             "the host's tdmrep.json "
                                             "reserves text and data mining "
                                             "on this path and --respect-tdm "
                                             "is on");
                                continue;
                        }
                }
                job->proxy = proxies_pick(f->proxies, host_key(h),
                                          host_proxy(h), now);
                host_set_proxy(h, job->proxy);
                if (statesync_conditional(f, job))
                        LOG(LOG_WARN, "out of memory: a request goes "
                                      "without its validators");
                if (transfer_start(f, job, job->um.url)) {
                        job->host = NULL;
                        hosts_update(f->hosts, h, now);
                        outcome_fail(f, job, "invalid_url",
                                     "transfer setup failed");
                        continue;
                }
                host_start(f->hosts, h, now);
        }
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                        void *opaque)
{
        fetcher_t *f = opaque;
        job_t *job = msg->_private;

        if (!job || f->closing || job->in_done)
                return;
        /* Served from the loop (process_done): a produce that waits on a
         * full queue polls, and must not see jobs vanish under it. */
        job->dr_err = msg->err;
        job->in_done = true;
        job->done_next = f->done;
        f->done = job;
}

static void process_done(fetcher_t *f)
{
        while (f->done) {
                job_t *job = f->done;

                f->done = job->done_next;
                job->in_done = false;
                f->outstanding--;
                if (job->outcome == OUT_PENDING) {
                        /* The page's pending state is on the broker (or
                         * could not be written: the page goes anyway,
                         * as without crawl state). */
                        if (job->dr_err) {
                                LOGF(LOG_WARN, "cannot write a crawl state",
                                     LOG_S("url", job->um.url),
                                     LOG_S("err",
                                           rd_kafka_err2str(job->dr_err)));
                                mcounter_add(f->m.state_write_failures, 1);
                        }
                        outcome_send_page(f, job);
                        continue;
                }
                if (!job->dr_err) {
                        /* Delivered: the URL's state may say so now (a
                         * state written earlier could name an outcome
                         * that a crash lost). */
                        if (job->outcome == OUT_PAGE ||
                            job->outcome == OUT_ERROR) {
                                recrawl_settle(f, job);
                                statesync_write(f, job);
                                /* Committed once its recrawl copy (if
                                 * one is planned) is delivered too. */
                                if (recrawl_schedule(f, job) || f->fatal)
                                        continue; /* fatal: uncommitted */
                        }
                        job_finish(f, job);
                        continue;
                }
                if (job->outcome == OUT_PAGE &&
                    job->dr_err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                        char why[160];

                        snprintf(why, sizeof(why),
                                 "page refused by the "
                                 "broker as too large (the pages topic's "
                                 "max.message.bytes is %lld)",
                                 f->pages_limit);
                        outcome_fail(f, job, "too_large", why);
                        continue;
                }
                LOGF(LOG_ERROR, "delivery failed", LOG_S("url", job->um.url),
                     LOG_S("err", rd_kafka_err2str(job->dr_err)));
                f->fatal = true;
                job->state = JS_OUTCOME;
        }
}

/* Drops the work of revoked partitions that has not started. */
static void drop_revoked(fetcher_t *f, const char *topic, int32_t part)
{
        int64_t now = clock_mono_ms();
        dpause_t *d = park_find(f, topic, part);

        if (d)
                park_remove(f, d);
        for (job_t *job = f->jobs, *next; job; job = next) {
                next = job->next;
                if (job->kind != JOB_URL || job->partition != part ||
                    strcmp(job->topic, topic))
                        continue;
                if (job->state == JS_QUEUED) {
                        hosts_unlink(f->hosts, job->host, &job->qlink, now);
                } else if (job->state == JS_RETRY) {
                        timers_remove(&f->timers, &job->timer.t);
                } else {
                        continue; /* finishes; its offset is ignored */
                }
                /* Not fetched here after all: the next owner takes it,
                 * and so may this fetcher again. */
                seen_remove(f->seen, job->um.url);
                job_unlink(f, job);
                job_free(job);
        }
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        fetcher_t *f = opaque;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                LOGF(LOG_INFO, "partitions assigned",
                     LOG_I("count", parts->cnt));
                /* Before any URL of them is consumed. */
                statesync_load(f, parts);
                rd_kafka_assign(rk, parts);
                f->paused = false;
                return;
        }
        LOGF(LOG_INFO, "partitions revoked", LOG_I("count", parts->cnt));
        /* Commit what is finished; work in flight on these partitions
         * completes, but its offsets belong to the next owner, which
         * fetches those URLs again (at-least-once). Queued work is
         * dropped. While stopping the commit is asynchronous: the
         * bounded close waits for it, a missing broker does not. */
        rd_kafka_commit(rk, NULL, signals_stop ? 1 : 0);
        for (int i = 0; i < parts->cnt; i++) {
                offsets_forget(f->offsets, parts->elems[i].topic,
                               parts->elems[i].partition);
                drop_revoked(f, parts->elems[i].topic,
                             parts->elems[i].partition);
        }
        rd_kafka_assign(rk, NULL);
        f->paused = false;
}

/* Fires the timers that are due: retries, robots.txt retries, resumes,
 * parked URLs held until due. */
static void run_timers(fetcher_t *f)
{
        int64_t now = clock_mono_ms();
        htimer_t *t;

        for (;;) {
                tnode_t *tn;

                t = timers_peek(&f->timers);
                if (!t || t->due > now)
                        break;
                tn = (tnode_t *)t;
                timers_remove(&f->timers, t);
                if (tn->kind == T_RETRY) {
                        job_requeue(f, tn->owner, true);
                } else if (tn->kind == T_DUE) {
                        intake_admit(f, tn->owner);
                } else if (tn->kind == T_ROBOTS) {
                        hstate_t *hs = tn->owner;

                        hs->state = RS_NONE;
                        host_set_hold(hs->host, false);
                        hosts_update(f->hosts, hs->host, now);
                } else {
                        dpause_t *d = tn->owner;

                        if (!f->paused)
                                fkafka_pause_partition(f, d->topic,
                                                       d->partition, false);
                        park_remove(f, d);
                }
        }
}

/* Empties a wake-up pipe. */
static void drain_pipe(int fd)
{
        char buf[64];

        while (read(fd, buf, sizeof(buf)) > 0)
                ;
}

/* How long the loop may wait: until the next token, timer or, at most,
 * POLL_MAX_MS (curl shortens it for its own timeouts). */
static int wait_ms(fetcher_t *f, int max)
{
        int64_t now = clock_mono_ms(), w = max;
        htimer_t *t = timers_peek(&f->timers);

        if (f->transfers < (size_t)f->conf->max_inflight && !f->draining) {
                int64_t hw = hosts_wait_ms(f->hosts, now);

                if (hw >= 0 && hw < w)
                        w = hw;
        }
        if (t && t->due - now < w)
                w = t->due > now ? t->due - now : 0;
        return (int)w;
}

/* Runs curl, collects finished transfers, serves delivery reports, then
 * waits on every source at once for at most `max_ms`. */
static void loop_once(fetcher_t *f, int max_ms)
{
        struct curl_waitfd extra[3] = {
                { f->cq_pipe[0], CURL_WAIT_POLLIN, 0 },
                { f->pq_pipe[0], CURL_WAIT_POLLIN, 0 },
                { signals_fd(), CURL_WAIT_POLLIN, 0 },
        };
        CURLMsg *m;
        int running, left;

        curl_multi_perform(f->multi, &running);
        for (m = curl_multi_info_read(f->multi, &left); m;
             m = curl_multi_info_read(f->multi, &left))
                if (m->msg == CURLMSG_DONE)
                        transfer_done(f, m);
        rd_kafka_poll(f->producer, 0);
        statesync_tail(f);
        process_done(f);
        run_timers(f);
        schedule(f);
        hosts_evict(f->hosts, clock_mono_ms());
        fmetrics_update(f);
        if (f->done)
                return; /* more to serve before waiting */
        curl_multi_poll(f->multi, extra, f->draining ? 2 : 3,
                        wait_ms(f, max_ms), NULL);
        drain_pipe(f->cq_pipe[0]);
        drain_pipe(f->pq_pipe[0]);
}

static int wake_pipe(int p[2])
{
        return pipe2(p, O_NONBLOCK | O_CLOEXEC);
}

fetcher_t *fetcher_new(const fetcher_config_t *conf,
                       const strlist_t *kafka_props, char *errstr,
                       size_t errstr_size)
{
        fetcher_t *f = calloc(1, sizeof(*f));
        hosts_params_t hp;
        char topics[8192];
        size_t len;

        if (!f) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        f->conf = conf;
        f->cq_pipe[0] = f->cq_pipe[1] = f->pq_pipe[0] = f->pq_pipe[1] = -1;

        f->host_rate = conf->host_rate; /* range-checked by the table */
        robots_agent_token(conf->user_agent, f->agent, sizeof(f->agent));
        if (!*f->agent) {
                snprintf(errstr, errstr_size,
                         "--user-agent: '%s' does not "
                         "start with a product token",
                         conf->user_agent);
                goto out;
        }
        /* tdmrep.json is read after robots.txt and kept with its rules. */
        if (conf->tdm && !conf->robots) {
                snprintf(errstr, errstr_size, "--tdm needs --robots");
                goto out;
        }
        srand48((long)clock_mono_ms() ^ (long)getpid());
        fmetrics_register(&f->m);

        if (park_tiers_init(f, errstr, errstr_size))
                goto out;
        f->guard = netguard_new(conf->allow_private, &conf->allow_net, errstr,
                                errstr_size);
        if (!f->guard)
                goto out;
        f->trust = trust_new();
        if (!f->trust) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        if (transfer_add_overrides(f, &conf->resolve, true, &f->resolve,
                                   errstr, errstr_size) ||
            transfer_add_overrides(f, &conf->connect_to, false, &f->connect_to,
                                   errstr, errstr_size))
                goto out;
        f->proxies = proxies_new(&conf->proxy, conf->proxy_file, errstr,
                                 errstr_size);
        if (!f->proxies)
                goto out;
        hp = (hosts_params_t){
                .rate = f->host_rate,
                .burst = (double)conf->host_burst,
                .concurrency = (int)conf->host_concurrency,
                .idle_ms = conf->host_idle_timeout * 1000,
                .max_hosts = (size_t)conf->max_hosts,
                .backoff_base_ms = conf->host_backoff_ms,
                .backoff_max_ms = conf->host_backoff_max_ms,
                .retry_after_max_ms = conf->max_retry_after * 1000,
                .delay_max_s = (double)conf->max_crawl_delay,
        };
        f->hosts = hosts_new(&hp, robotsfetch_hstate_free);
        f->offsets = offsets_new();
        if (conf->seen_max > 0) {
                f->seen = seen_new(
                        conf->seen_max < 2 ? 2 : (size_t)conf->seen_max);
                if (!f->seen) {
                        snprintf(errstr, errstr_size,
                                 "--seen-max: out of "
                                 "memory for %ld URLs",
                                 conf->seen_max);
                        goto out;
                }
        }
        if (conf->discovery_budget > 0) {
                f->budget = budget_new(conf->discovery_budget,
                                       (size_t)conf->discovery_hosts);
                if (!f->budget) {
                        snprintf(errstr, errstr_size,
                                 "--discovery-hosts: out of memory for %ld "
                                 "hosts",
                                 conf->discovery_hosts);
                        goto out;
                }
        }
        if (!f->hosts || !f->offsets || wake_pipe(f->cq_pipe) ||
            wake_pipe(f->pq_pipe)) {
                snprintf(errstr, errstr_size, "out of memory or descriptors");
                goto out;
        }
        /* Room for the largest page plus headers and framing. */
        f->producer = kafka_producer_new(conf->brokers, kafka_props,
                                         (size_t)conf->max_body + 65536,
                                         on_delivery, f, errstr, errstr_size);
        if (!f->producer)
                goto out;
        {
                /* The brokers measure pages compressed, so the producer
                 * keeps room for --max-body; a page the pages topic
                 * refuses ends as too_large (process_done). */
                const char *pages[] = { conf->pages_topic };

                f->pages_limit = kafka_topics_max_bytes(f->producer, pages, 1,
                                                        TOPIC_LIMIT_WAIT_MS);
                if (f->pages_limit > 0 &&
                    f->pages_limit < conf->max_body + 65536)
                        LOGF(LOG_WARN,
                             "the pages topic's max.message.bytes "
                             "is below --max-body: larger pages end as "
                             "too_large unless compression shrinks them",
                             LOG_S("topic", conf->pages_topic),
                             LOG_I("max_message_bytes", f->pages_limit),
                             LOG_I("max_body", conf->max_body));
        }
        if (statesync_init(f, kafka_props, errstr, errstr_size) ||
            recrawl_init(f, errstr, errstr_size))
                goto out;
        f->consumer =
                kafka_consumer_new(conf->brokers, conf->group, kafka_props,
                                   on_rebalance, f, errstr, errstr_size);
        if (!f->consumer)
                goto out;
        /* The URL topics and every delay tier. */
        len = (size_t)snprintf(topics, sizeof(topics), "%s", conf->urls_topic);
        for (size_t i = 0; i < f->ntiers && len < sizeof(topics); i++)
                len += (size_t)snprintf(topics + len, sizeof(topics) - len,
                                        ",%s", f->tiers[i].topic);
        if (len >= sizeof(topics)) {
                snprintf(errstr, errstr_size,
                         "--urls-topic and the delay "
                         "topics: too long");
                goto out;
        }
        if (kafka_subscribe(f->consumer, topics, errstr, errstr_size))
                goto out;

        /* librdkafka writes a byte when a queue turns non-empty. */
        f->cq = rd_kafka_queue_get_consumer(f->consumer);
        f->pq = rd_kafka_queue_get_main(f->producer);
        rd_kafka_queue_io_event_enable(f->cq, f->cq_pipe[1], "c", 1);
        rd_kafka_queue_io_event_enable(f->pq, f->pq_pipe[1], "p", 1);

        f->multi = curl_multi_init();
        f->share = curl_share_init();
        if (!f->multi || !f->share) {
                snprintf(errstr, errstr_size, "curl_multi_init failed");
                goto out;
        }
        /* One DNS cache for every transfer; connections are reused by the
         * multi handle's pool. */
        curl_share_setopt(f->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          conf->max_inflight);
        /* No CURLMOPT_MAX_HOST_CONNECTIONS: libcurl counts it per
         * connection target — the proxy, or a --connect-to server — so
         * every host behind one proxy would share one host's allowance.
         * hosts.c already bounds each host key to --host-concurrency. */
        curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
        return f;
out:
        fetcher_destroy(f);
        return NULL;
}

int fetcher_run(fetcher_t *f)
{
        int64_t deadline;

        LOGF(LOG_INFO, "fetcher started", LOG_S("brokers", f->conf->brokers),
             LOG_S("group", f->conf->group),
             LOG_S("urls_topic", f->conf->urls_topic),
             LOG_S("delay_topic", f->conf->delay_topic),
             LOG_S("delay_tiers", f->ntiers ? f->conf->delay_tiers : ""),
             LOG_I("max_inflight", f->conf->max_inflight),
             LOG_I("max_queued", f->conf->max_queued),
             LOG_F("host_rate", f->host_rate),
             LOG_I("proxies", proxies_count(f->proxies)));
        park_check_topics(f);
        while (!signals_stop && !f->fatal) {
                intake_consume(f);
                loop_once(f, POLL_MAX_MS);
        }

        /* Drain: no new URLs nor transfers; let the transfers in flight
         * finish and their outcomes be delivered, within limits. Queued
         * URLs stay uncommitted: fetched again after a restart. */
        f->draining = true;
        deadline = clock_mono_ms() + f->conf->drain_timeout * 1000;
        LOGF(LOG_INFO, "draining", LOG_I("held", f->held),
             LOG_I("transfers", f->transfers));
        while ((f->transfers || f->outstanding) && !f->fatal &&
               clock_mono_ms() < deadline) {
                int64_t left = deadline - clock_mono_ms();

                loop_once(f, left < 100 ? (int)left : 100);
        }
        /* Twice: a pending state delivered in the first round sends its
         * page, delivered in the second. */
        for (int round = 0; round < 2; round++) {
                rd_kafka_flush(f->producer, 10000);
                rd_kafka_poll(f->producer, 0);
                process_done(f);
        }
        if (f->held)
                LOGF(LOG_INFO,
                     "left unfinished URLs uncommitted (fetched "
                     "again after a restart)",
                     LOG_I("count", f->held));
        if (!f->fatal) {
                /* Asynchronous: the consumer's bounded close waits for it
                 * (fetcher_destroy), so a broker that is gone cannot hold
                 * the stop. */
                rd_kafka_resp_err_t err =
                        rd_kafka_commit(f->consumer, NULL, 1);

                if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                        LOGF(LOG_WARN, "final commit failed",
                             LOG_S("err", rd_kafka_err2str(err)));
        }
        LOGF(LOG_INFO, "fetcher stopped", LOG_I("consumed", f->n_consumed),
             LOG_I("pages", f->n_pages), LOG_I("errors", f->n_errors),
             LOG_I("rerouted", f->n_rerouted), LOG_I("parked", f->n_parked),
             LOG_I("retries", f->n_retries), LOG_I("robots", f->n_robots),
             LOG_I("links_dropped", f->n_dropped),
             LOG_I("duplicates_skipped", f->n_duplicates),
             LOG_I("state_urls", crawlstate_count(f->state)),
             LOG_I("hosts", hosts_count(f->hosts)));
        return f->fatal ? -1 : 0;
}

void fetcher_destroy(fetcher_t *f)
{
        if (!f)
                return;
        /* Delivery reports served while the clients close must not touch
         * jobs or the consumer any more. */
        f->closing = true;
        if (f->cq)
                rd_kafka_queue_destroy(f->cq);
        if (f->pq)
                rd_kafka_queue_destroy(f->pq);
        if (f->consumer)
                kafka_consumer_close_destroy(
                        f->consumer, (int)(f->conf->drain_timeout + 5) * 1000);
        statesync_destroy(f);
        recrawl_destroy(f);
        if (f->producer)
                rd_kafka_destroy(f->producer);
        /* The heap's entries live in jobs and host states freed below. */
        for (size_t i = 0; i < f->timers.n; i++)
                f->timers.v[i]->pos = 0;
        f->timers.n = 0;
        while (f->jobs) {
                job_t *job = f->jobs;

                if (job->easy && job->state == JS_TRANSFER)
                        curl_multi_remove_handle(f->multi, job->easy);
                job_unlink(f, job);
                job_free(job);
        }
        if (f->multi)
                curl_multi_cleanup(f->multi);
        if (f->share)
                curl_share_cleanup(f->share);
        while (f->dpauses)
                park_remove(f, f->dpauses);
        park_tiers_free(f);
        while (f->meta) {
                tmeta_t *m = f->meta;

                f->meta = m->next;
                free(m->topic);
                free(m);
        }
        hosts_destroy(f->hosts);
        timers_free(&f->timers);
        curl_slist_free_all(f->resolve);
        curl_slist_free_all(f->connect_to);
        trust_destroy(f->trust);
        proxies_destroy(f->proxies);
        for (int i = 0; i < 2; i++) {
                if (f->cq_pipe[i] >= 0)
                        close(f->cq_pipe[i]);
                if (f->pq_pipe[i] >= 0)
                        close(f->pq_pipe[i]);
        }
        offsets_destroy(f->offsets);
        seen_destroy(f->seen);
        budget_destroy(f->budget);
        netguard_destroy(f->guard);
        free(f);
}
