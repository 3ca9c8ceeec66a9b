/*
 * park.c — the delay tiers (see park.h, tiers.h). A URL that must
 * wait long is re-produced to the tier that fits its wait, keyed and
 * partitioned by its host, with the time it is due, and committed. A
 * tier's message wakes when it has waited the tier's delay (until then
 * its partition is rewound to it and paused: every later message of the
 * partition wakes later); woken, it is parked again for the rest of its
 * wait, held in memory for a short rest, or taken when due.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"
#include "fetcher_int.h"
#include "fkafka.h"
#include "job.h"
#include "park.h"
#include "timers.h"
#include "kafka.h"
#include "log.h"

static int64_t wall_ms(void)
{
        struct timeval tv;

        gettimeofday(&tv, NULL);
        return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int park_tiers_init(fetcher_t *f, char *errstr, size_t errstr_size)
{
        const fetcher_config_t *conf = f->conf;
        long secs[TIERS_MAX];
        char suffix[24], name[512], why[300];
        int n;

        if (!*conf->delay_topic)
                return 0;
        n = tiers_parse(conf->delay_tiers, secs, TIERS_MAX, why, sizeof(why));
        if (n < 0) {
                snprintf(errstr, errstr_size, "--delay-tiers: %s", why);
                return -1;
        }
        if (conf->max_park < conf->park_after) {
                snprintf(errstr, errstr_size,
                         "--max-park (%ld s) must not "
                         "be shorter than --park-after (%ld s)",
                         conf->max_park, conf->park_after);
                return -1;
        }
        f->tiers[0].topic = strdup(conf->delay_topic);
        f->tiers[0].delay_ms = (int64_t)conf->park_after * 1000;
        f->ntiers = 1;
        if (!f->tiers[0].topic)
                goto out;
        for (int i = 0; i < n; i++) {
                tiers_suffix(secs[i], suffix, sizeof(suffix));
                if ((size_t)snprintf(name, sizeof(name), "%s.%s",
                                     conf->delay_topic,
                                     suffix) >= sizeof(name)) {
                        snprintf(errstr, errstr_size,
                                 "--delay-topic: too "
                                 "long");
                        return -1;
                }
                f->tiers[f->ntiers].topic = strdup(name);
                f->tiers[f->ntiers].delay_ms = (int64_t)secs[i] * 1000;
                if (!f->tiers[f->ntiers].topic)
                        goto out;
                f->ntiers++;
        }
        return 0;
out:
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
}

void park_tiers_free(fetcher_t *f)
{
        for (size_t i = 0; i < f->ntiers; i++)
                free(f->tiers[i].topic);
        f->ntiers = 0;
}

int park_tier_of(const fetcher_t *f, const char *topic)
{
        for (size_t i = 0; i < f->ntiers; i++)
                if (!strcmp(f->tiers[i].topic, topic))
                        return (int)i;
        return -1;
}

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

/* Re-produces `job` to the tier that fits the wait until due_at (epoch
 * ms) as `out` (OUT_PARKED, or OUT_RECRAWL: a recrawl copy); its
 * delivery report commits the original. A recrawl copy (a token set)
 * carries its token and no followed_from: it is not a discovered link. */
static void park_produce(fetcher_t *f, job_t *job, int64_t due_at,
                         outcome_t out)
{
        int64_t cap = (int64_t)f->conf->max_park * 1000, delays[TIERS_MAX + 1];
        const char *topic;
        rd_kafka_headers_t *h;
        char due_s[24], attempts_s[16], token_s[24];
        int32_t part;
        rd_kafka_resp_err_t err;
        int tier;

        for (size_t i = 0; i < f->ntiers; i++)
                delays[i] = f->tiers[i].delay_ms;
        tier = tiers_pick(delays, f->ntiers, due_at - wall_ms(), cap);
        if (tier < 0) {
                LOG(LOG_ERROR, "parking without a delay topic");
                f->fatal = true;
                return;
        }
        topic = f->tiers[tier].topic;
        part = fkafka_partition_of(f, topic, job->um.host_key);
        h = rd_kafka_headers_new(4);
        snprintf(due_s, sizeof(due_s), "%lld", (long long)due_at);
        snprintf(attempts_s, sizeof(attempts_s), "%d", job->attempts);
        fkafka_header_add(h, HDR_DUE_AT, due_s);
        fkafka_header_add(h, HDR_ATTEMPTS, attempts_s);
        fkafka_header_add(h, HDR_SOURCE,
                          job->source_topic ? job->source_topic : job->topic);
        if (job->recrawl_token) {
                snprintf(token_s, sizeof(token_s), "%lld",
                         (long long)job->recrawl_token);
                fkafka_header_add(h, HDR_RECRAWL, token_s);
        } else {
                fkafka_header_add(h, HDR_FOLLOWED, job->followed_from);
        }
        err = fkafka_produce(f, topic,
                             part >= 0 ? part : RD_KAFKA_PARTITION_UA,
                             job->um.host_key, strlen(job->um.host_key),
                             job->input, job->input_len, h, job);
        if (err) {
                rd_kafka_headers_destroy(h);
                LOGF(LOG_ERROR, "cannot produce to the delay topic",
                     LOG_S("topic", topic),
                     LOG_S("err", rd_kafka_err2str(err)));
                f->fatal = true;
                return;
        }
        job_produced(f, job, out);
        if (out == OUT_RECRAWL) {
                mcounter_add(f->m.recrawls_scheduled, 1);
                LOGF(LOG_DEBUG, "recrawl scheduled", LOG_S("url", job->um.url),
                     LOG_S("topic", topic), LOG_I("due_at", due_at));
                return;
        }
        f->n_parked++;
        mcounter_add(f->m.parked, 1);
        LOGF(LOG_DEBUG, "parked", LOG_S("url", job->um.url),
             LOG_S("topic", topic), LOG_I("due_at", due_at));
}

void park_job(fetcher_t *f, job_t *job, int64_t wait_ms)
{
        int64_t cap = (int64_t)f->conf->max_park * 1000;

        park_produce(f, job, wall_ms() + (wait_ms < cap ? wait_ms : cap),
                     OUT_PARKED);
}

void park_recrawl(fetcher_t *f, job_t *job, int64_t due_at)
{
        park_produce(f, job, due_at, OUT_RECRAWL);
}

dpause_t *park_find(fetcher_t *f, const char *topic, int32_t part)
{
        for (dpause_t *d = f->dpauses; d; d = d->next)
                if (d->partition == part && !strcmp(d->topic, topic))
                        return d;
        return NULL;
}

void park_remove(fetcher_t *f, dpause_t *d)
{
        dpause_t **pp = &f->dpauses;

        while (*pp && *pp != d)
                pp = &(*pp)->next;
        if (*pp)
                *pp = d->next;
        timers_remove(&f->timers, &d->timer.t);
        free(d->topic);
        free(d);
}

/* A tier's message that has not waited its delay yet: rewind its
 * partition to it and pause the partition until it has (the partition's
 * later messages were produced later, so they wake later). */
static void park_wait(fetcher_t *f, const rd_kafka_message_t *msg,
                      int64_t wait_ms)
{
        const char *topic = rd_kafka_topic_name(msg->rkt);
        dpause_t *d = park_find(f, topic, msg->partition);

        if (!d) {
                d = calloc(1, sizeof(*d));
                if (d)
                        d->topic = strdup(topic);
                if (!d || !d->topic) {
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
        fkafka_pause_partition(f, topic, msg->partition, true);
        fkafka_seek(f, topic, msg->partition, msg->offset);
        timers_arm(f, &d->timer, clock_mono_ms() + wait_ms);
}

bool park_not_awake(fetcher_t *f, const rd_kafka_message_t *msg, int tier)
{
        int64_t wall = wall_ms(), delay = f->tiers[tier].delay_ms, ts, wake;
        int64_t cap = (int64_t)f->conf->max_park * 1000;
        rd_kafka_timestamp_type_t tstype;

        /* A tier longer than --max-park is not written to; what it holds
         * wakes after --max-park (and is parked again if need be). */
        if (delay > cap)
                delay = cap;

        /* Its produce (or append) time; a message without one, or with
         * one from the future (another clock, a producer that set it),
         * is awake: its due time decides, and a re-park stamps it anew.
         * So the pause is at most the tier's delay, and ends. */
        ts = rd_kafka_message_timestamp(msg, &tstype);
        if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts <= 0 ||
            ts > wall + PARK_SKEW_MS)
                return false;
        wake = ts + delay;
        if (wake <= wall + PARK_SLACK_MS)
                return false;
        park_wait(f, msg, wake - wall);
        return true;
}

void park_restore(fetcher_t *f, job_t *job, const rd_kafka_message_t *msg)
{
        int64_t wall = wall_ms(), cap = (int64_t)f->conf->max_park * 1000;

        job->source_topic = kafka_header_dup(msg, HDR_SOURCE);
        /* Anyone may write to a delay topic: a value that names no topic
         * is not one (the message's own topic is told instead). */
        if (job->source_topic &&
            !kafka_topic_name_valid(job->source_topic,
                                    strlen(job->source_topic))) {
                free(job->source_topic);
                job->source_topic = NULL;
        }
        job->attempts = (int)header_ll(msg, HDR_ATTEMPTS, 0);
        if (job->attempts < 0 || job->attempts > 1000)
                job->attempts = 0;
        /* No due time (or a bad one): due now. Beyond --max-park: cut. */
        job->due_at = header_ll(msg, HDR_DUE_AT, 0);
        if (job->due_at > wall + cap)
                job->due_at = wall + cap;
        /* A recrawl copy: its token (recrawl.h). */
        job->recrawl_token = header_ll(msg, HDR_RECRAWL, 0);
        if (job->recrawl_token < 0)
                job->recrawl_token = 0;
        job->recrawl_copy = job->recrawl_token != 0;
}

bool park_hold(fetcher_t *f, job_t *job)
{
        int64_t rest = job->due_at - wall_ms();

        if (rest <= PARK_SLACK_MS)
                return false;
        if (rest > (int64_t)f->conf->park_after * 1000) {
                park_produce(f, job, job->due_at, OUT_PARKED);
                return true;
        }
        job->state = JS_RETRY;
        job->timer.kind = T_DUE;
        timers_arm(f, &job->timer, clock_mono_ms() + rest);
        LOGF(LOG_DEBUG, "parked URL held until due", LOG_S("url", job->um.url),
             LOG_I("wait_ms", rest));
        return true;
}

/* The partition count of `topic` in `md`, or -1 when it is not there. */
static int md_partitions(const struct rd_kafka_metadata *md, const char *topic)
{
        for (int i = 0; i < md->topic_cnt; i++)
                if (!strcmp(md->topics[i].topic, topic))
                        return md->topics[i].err ? -1
                                                 : md->topics[i].partition_cnt;
        return -1;
}

void park_check_topics(fetcher_t *f)
{
        const struct rd_kafka_metadata *md = NULL;
        const char *urls = f->conf->urls_topic;
        rd_kafka_resp_err_t err;
        int want = -1;

        if (!f->ntiers)
                return;
        /* The consumer's handle: it never asks for a missing topic to be
         * created. */
        err = rd_kafka_metadata(f->consumer, 1, NULL, &md, META_TIMEOUT_MS);
        if (err || !md) {
                LOGF(LOG_WARN, "cannot check the delay topics",
                     LOG_S("err", rd_kafka_err2str(err)));
                return;
        }
        if (!strchr(urls, ',') && *urls != '^')
                want = md_partitions(md, urls);
        for (size_t i = 0; i < f->ntiers; i++) {
                int n = md_partitions(md, f->tiers[i].topic);

                if (n < 0)
                        LOGF(LOG_WARN,
                             "delay topic missing: create it "
                             "before a URL is parked on it",
                             LOG_S("topic", f->tiers[i].topic));
                else if (want > 0 && n != want)
                        LOGF(LOG_WARN,
                             "delay topic not co-partitioned with "
                             "the URL topic",
                             LOG_S("topic", f->tiers[i].topic),
                             LOG_I("partitions", n), LOG_I("want", want));
        }
        rd_kafka_metadata_destroy(md);
}
