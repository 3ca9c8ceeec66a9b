/*
 * statesync.c — the crawl state's Kafka side (see statesync.h).
 *
 * The state topic is keyed by URL and partitioned like the URL topic, by
 * murmur2 of the URL's host key, so with the URL topic's partition count
 * the state of a host's URLs is in the partition with the number of the
 * URL partition its owner consumes. Loading uses a consumer of its own
 * (never subscribed, nothing committed: it reads from the beginning each
 * time), assigned only while a load runs.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

#include "clock.h"
#include "contentstate.h"
#include "crawlstate.h"
#include "deadletter.h"
#include "fetcher_int.h"
#include "fkafka.h"
#include "kafka.h"
#include "log.h"
#include "statesync.h"

#define WATERMARK_TIMEOUT_MS 5000
/* Pending pages looked for after a load: at most this many (the rest
 * are fetched again), on the pages topic from 1 s before the earliest
 * pending state to PENDING_SLACK_MS after the latest (a page delivered
 * later than that after its produce is not found: fetched again). */
#define PENDING_MAX 10000
#define PENDING_SLACK_MS 10000
/* Content states merged per turn of the loop while tailing. */
#define TAIL_BATCH 1000
/* Tombstones one load writes at most (the rest: at a later load). */
#define EXPIRED_MAX 100000
/* The load reads state messages in batches (one wake-up and one clock
 * read a batch, not a message), its consumer prefetching at most
 * LOADER_QUEUE_KB: half librdkafka's default, as much again as the
 * fetcher's table grows by for 1,000,000 URLs less. Smaller starves the
 * load (librdkafka backs off once its queue is full: 16 MB loaded a
 * million URLs in 15 s, 32 MB in 9.5, on a busy 2-core machine;
 * docs/benchmarks.md, figure 9). */
#define LOAD_BATCH 1024
#define LOADER_QUEUE_KB "32768"

/* A load in progress: the pending pages met. */
typedef struct load {
        char **pending; /* URLs whose state read was a pending page */
        size_t npending;
        size_t live;      /* still pending once the load was read */
        size_t confirmed; /* of them, pages found */
        /* States older than --state-max-age: forgotten, and deleted
         * from the topic with a tombstone once the load shows no newer
         * state of the same URL. */
        char **expired;
        int32_t *expired_part;
        size_t nexpired;
        int64_t now_ms, max_age_ms;
} load_t;

static int64_t epoch_ms(void)
{
        return clock_ns(CLOCK_REALTIME) / 1000000;
}

/* The partition count of `topic` from the brokers, or -1 when it does
 * not exist or cannot be read (no log line: the caller's error is the
 * one line). */
static int32_t state_partitions(fetcher_t *f, const char *topic)
{
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(f->producer, topic, NULL);
        int32_t n = -1;

        if (!rkt)
                return -1;
        if (!rd_kafka_metadata(f->producer, 0, rkt, &md, META_TIMEOUT_MS) &&
            md && md->topic_cnt == 1 && !md->topics[0].err &&
            md->topics[0].partition_cnt > 0)
                n = md->topics[0].partition_cnt;
        if (md)
                rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        return n;
}

int statesync_init(fetcher_t *f, const strlist_t *kafka_props, char *errstr,
                   size_t errstr_size)
{
        const fetcher_config_t *c = f->conf;
        char group[512];
        strlist_t props = { 0 };

        if (!c->state_topic || !*c->state_topic)
                return 0;
        f->state_parts = state_partitions(f, c->state_topic);
        if (f->state_parts <= 0) {
                snprintf(errstr, errstr_size,
                         "--state-topic: topic '%s' does not exist or has no "
                         "partitions (create it compacted, with the URL "
                         "topic's partition count; --state-topic '' runs "
                         "without crawl state)",
                         c->state_topic);
                return -1;
        }
        f->state = crawlstate_new((size_t)c->state_max);
        if (!f->state) {
                snprintf(errstr, errstr_size, "--state-max: out of memory");
                return -1;
        }
        snprintf(group, sizeof(group), "%s.state-loader", c->group);
        /* The loader's prefetch capped (librdkafka's default queues up to
         * 64 MB, on top of the table being filled); -X can change it. */
        if (strlist_add(&props, "queued.max.messages.kbytes=" LOADER_QUEUE_KB))
                goto out;
        for (size_t i = 0; kafka_props && i < kafka_props->n; i++)
                if (strlist_add(&props, kafka_props->v[i]))
                        goto out;
        f->state_reader = kafka_consumer_new(c->brokers, group, &props, NULL,
                                             NULL, errstr, errstr_size);
        strlist_free(&props);
        if (!f->state_reader)
                return -1;
        /* The tail's messages wake the loop as the URLs' do. */
        {
                rd_kafka_queue_t *q =
                        rd_kafka_queue_get_consumer(f->state_reader);

                if (q) {
                        rd_kafka_queue_io_event_enable(q, f->cq_pipe[1], "s",
                                                       1);
                        rd_kafka_queue_destroy(q);
                }
        }
        return 0;
out:
        strlist_free(&props);
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
}

void statesync_destroy(fetcher_t *f)
{
        if (f->state_reader) {
                kafka_consumer_close_destroy(f->state_reader, 5000);
                f->state_reader = NULL;
        }
        crawlstate_destroy(f->state);
        f->state = NULL;
}

/* An invalid state message: dead-lettered with its origin. */
static void dead_letter(fetcher_t *f, const rd_kafka_message_t *m,
                        const char *why)
{
        deadletter_t dl = {
                .stage = "fetcher",
                .code = "invalid_state",
                .message = why,
                .topic = f->conf->state_topic,
                .partition = m->partition,
                .offset = m->offset,
                .input = m->payload,
                .input_len = m->payload ? m->len : 0,
        };
        char *json = NULL;
        size_t len = 0;
        rd_kafka_resp_err_t err;

        mcounter_add(f->m.state_invalid, 1);
        LOGF(LOG_WARN, "invalid state message dead-lettered (its URL is new)",
             LOG_I("partition", m->partition), LOG_I("offset", m->offset),
             LOG_S("why", why));
        if (deadletter_json(&dl, &json, &len))
                return;
        err = fkafka_produce(f, f->conf->errors_topic, RD_KAFKA_PARTITION_UA,
                             m->key,
                             m->key ? deadletter_key_len(m->key_len) : 0, json,
                             len, NULL, NULL);
        if (err)
                LOGF(LOG_WARN, "cannot dead-letter a state message",
                     LOG_S("err", rd_kafka_err2str(err)));
        free(json);
}

/* A content state (the cleaner's, key content:URL) read back: merged
 * into its URL's state (crawlstate_merge_content(): a URL the table does
 * not hold gets one); a tombstone: nothing; not valid: dead-lettered. */
static void merge_content(fetcher_t *f, const rd_kafka_message_t *m)
{
        contentstate_t cs;
        char url[CRAWLSTATE_URL_MAX + 1], why[256];
        const char *u = NULL;
        size_t ul = 0;
        int rc;

        if (!m->payload)
                return;
        if (contentstate_decode(m->key, m->key_len, m->payload, m->len, &cs,
                                why, sizeof(why))) {
                dead_letter(f, m, why);
                return;
        }
        contentstate_is_key(m->key, m->key_len, &u, &ul);
        memcpy(url, u, ul); /* decode checked ul <= CRAWLSTATE_URL_MAX */
        url[ul] = '\0';
        rc = crawlstate_merge_content(f->state, url, &cs);
        if (rc < 0) {
                LOG(LOG_WARN, "out of memory merging a content state");
                mcounter_add(f->m.state_write_failures, 1);
        } else if (rc > 0) {
                mcounter_add(f->m.state_content_merged, 1);
        }
}

/* One state message read back: put, forgotten (tombstone) or invalid. */
static void load_one(fetcher_t *f, load_t *ld, const rd_kafka_message_t *m)
{
        crawlstate_rec_t rec;
        char url[CRAWLSTATE_URL_MAX + 1], why[256];

        if (contentstate_is_key(m->key, m->key_len, &(const char *){ NULL },
                                &(size_t){ 0 })) {
                merge_content(f, m);
                return;
        }
        if (!m->payload) {
                if (m->key && m->key_len <= CRAWLSTATE_URL_MAX) {
                        memcpy(url, m->key, m->key_len);
                        url[m->key_len] = '\0';
                        crawlstate_del(f->state, url);
                }
                return;
        }
        if (crawlstate_decode(m->key, m->key_len, m->payload, m->len, &rec,
                              why, sizeof(why))) {
                dead_letter(f, m, why);
                return;
        }
        memcpy(url, m->key, m->key_len);
        url[m->key_len] = '\0';
        if (crawlstate_expired(&rec, ld->now_ms, ld->max_age_ms)) {
                crawlstate_del(f->state, url); /* an older state, if any */
                if (ld->expired && ld->nexpired < EXPIRED_MAX) {
                        char *u = strdup(url);

                        if (u) {
                                ld->expired_part[ld->nexpired] = m->partition;
                                ld->expired[ld->nexpired++] = u;
                        }
                }
                return;
        }
        if (crawlstate_put_fetch(f->state, url, &rec)) {
                LOG(LOG_ERROR, "out of memory loading the crawl state");
                f->fatal = true;
                return;
        }
        mcounter_add(f->m.state_loaded, 1);
        if (rec.outcome == CRAWLSTATE_PENDING && ld->npending < PENDING_MAX) {
                char *u = strdup(url);

                if (u)
                        ld->pending[ld->npending++] = u;
        }
}

/* Deletes the expired states of a load from the state topic: a
 * tombstone for each URL that no later state of the load brought back.
 * Not when the load was cut short (a newer state may be unread) or the
 * table evicted URLs meanwhile (one brought back may be gone again). */
static void write_tombstones(fetcher_t *f, load_t *ld, bool complete,
                             uint64_t evicted_before)
{
        uint64_t written = 0;

        if (!ld->nexpired)
                return;
        if (!complete || crawlstate_evicted(f->state) != evicted_before) {
                LOGF(LOG_INFO,
                     "expired crawl states not deleted this time (load cut "
                     "short or over --state-max): at the next load",
                     LOG_I("expired", ld->nexpired));
                return;
        }
        for (size_t i = 0; i < ld->nexpired; i++) {
                const char *u = ld->expired[i];
                rd_kafka_resp_err_t err;
                crawlstate_rec_t cur;
                char ckey[CRAWLSTATE_URL_MAX + CONTENTSTATE_KEY_PREFIX_LEN +
                          1];

                /* A newer fetch state came later: kept. A content state
                 * merged after the expired one makes an entry of its own
                 * (no fetch): it is forgotten with the URL. */
                if (crawlstate_get(f->state, u, &cur) && cur.fetched_at_ms > 0)
                        continue;
                err = fkafka_produce(f, f->conf->state_topic,
                                     ld->expired_part[i], u, strlen(u), NULL,
                                     0, NULL, NULL);
                /* The cleaner's content state of the URL (its own key)
                 * goes with it. */
                if (!err &&
                    strlen(u) + CONTENTSTATE_KEY_PREFIX_LEN < sizeof(ckey)) {
                        memcpy(ckey, CONTENTSTATE_KEY_PREFIX,
                               CONTENTSTATE_KEY_PREFIX_LEN);
                        memcpy(ckey + CONTENTSTATE_KEY_PREFIX_LEN, u,
                               strlen(u) + 1);
                        err = fkafka_produce(
                                f, f->conf->state_topic, ld->expired_part[i],
                                ckey, strlen(ckey), NULL, 0, NULL, NULL);
                }
                if (err) {
                        LOGF(LOG_WARN, "cannot write a crawl state tombstone",
                             LOG_S("err", rd_kafka_err2str(err)));
                        mcounter_add(f->m.state_write_failures, 1);
                        continue;
                }
                written++;
        }
        mcounter_add(f->m.state_tombstones, written);
        LOGF(LOG_INFO, "expired crawl states deleted (tombstones)",
             LOG_I("tombstones", written),
             LOG_I("max_age_s", f->conf->state_max_age));
}

/* The input message a state answers, as the page header kcrawl_input
 * writes it. */
static void input_of(const crawlstate_rec_t *rec, char *buf, size_t size)
{
        snprintf(buf, size, "%s/%d/%lld", rec->in_topic,
                 (int)rec->in_partition, (long long)rec->in_offset);
}

/* A page read back while looking for pending ones: when its URL's state
 * is still that pending page (same input message), the page is its
 * outcome. Returns true when it confirmed one. */
static bool confirm_page(fetcher_t *f, const rd_kafka_message_t *m)
{
        char url[CRAWLSTATE_URL_MAX + 1], want[CRAWLSTATE_TOPIC_MAX + 48];
        const void *val = NULL;
        size_t len = 0;
        rd_kafka_headers_t *hdrs = NULL;
        crawlstate_rec_t rec;

        if (!m->key || !m->key_len || m->key_len > CRAWLSTATE_URL_MAX ||
            rd_kafka_message_headers(m, &hdrs) || !hdrs ||
            rd_kafka_header_get_last(hdrs, HDR_INPUT, &val, &len) || !val)
                return false;
        memcpy(url, m->key, m->key_len);
        url[m->key_len] = '\0';
        if (!crawlstate_get(f->state, url, &rec) ||
            rec.outcome != CRAWLSTATE_PENDING)
                return false;
        input_of(&rec, want, sizeof(want));
        if (strlen(want) != len || memcmp(want, val, len))
                return false;
        rec.outcome = CRAWLSTATE_PAGE;
        return crawlstate_put_fetch(f->state, url, &rec) == 0;
}

/* Looks for the pending pages of a load on the pages topic (see
 * statesync_load()): each pages partition that should hold one is read
 * from 1 s before the earliest pending state's time until a message more
 * than PENDING_SLACK_MS younger than the latest, its end, all of them
 * found, or the deadline. */
static void find_pending(fetcher_t *f, load_t *ld, int64_t deadline)
{
        const char *topic = f->conf->pages_topic;
        int32_t np = fkafka_partition_count(f, topic);
        int64_t *lo = NULL, *hi = NULL, *end = NULL;
        size_t *left = NULL;
        rd_kafka_topic_partition_list_t *l = NULL;
        int active = 0;

        if (np <= 0 || !ld->npending)
                return;
        lo = calloc((size_t)np, sizeof(*lo));
        hi = calloc((size_t)np, sizeof(*hi));
        end = calloc((size_t)np, sizeof(*end));
        left = calloc((size_t)np, sizeof(*left));
        l = rd_kafka_topic_partition_list_new(np);
        if (!lo || !hi || !end || !left || !l)
                goto out;
        for (size_t i = 0; i < ld->npending; i++) {
                const char *u = ld->pending[i];
                crawlstate_rec_t rec;
                int32_t p;

                if (!crawlstate_get(f->state, u, &rec) ||
                    rec.outcome != CRAWLSTATE_PENDING)
                        continue; /* a later state replaced it */
                ld->live++;
                /* The producer's default partitioner, as the page went. */
                p = rd_kafka_msg_partitioner_consistent_random(
                        NULL, u, strlen(u), np, NULL, NULL);
                if (!left[p] || rec.fetched_at_ms < lo[p])
                        lo[p] = rec.fetched_at_ms;
                if (!left[p] || rec.fetched_at_ms > hi[p])
                        hi[p] = rec.fetched_at_ms;
                left[p]++;
        }
        for (int32_t p = 0; p < np; p++)
                if (left[p])
                        rd_kafka_topic_partition_list_add(l, topic, p)
                                ->offset = lo[p] - 1000;
        if (!l->cnt || rd_kafka_offsets_for_times(f->state_reader, l,
                                                  WATERMARK_TIMEOUT_MS))
                goto out;
        for (int i = l->cnt - 1; i >= 0; i--) {
                rd_kafka_topic_partition_t *tp = &l->elems[i];
                int64_t wlo = 0, whi = 0;

                if (tp->err || tp->offset < 0 ||
                    rd_kafka_query_watermark_offsets(f->state_reader, topic,
                                                     tp->partition, &wlo, &whi,
                                                     WATERMARK_TIMEOUT_MS) ||
                    whi <= tp->offset) {
                        rd_kafka_topic_partition_list_del_by_idx(l, i);
                        continue;
                }
                end[tp->partition] = whi;
                active++;
        }
        if (!active || rd_kafka_assign(f->state_reader, l))
                goto out;
        while (active && !f->fatal && clock_mono_ms() < deadline) {
                rd_kafka_message_t *m =
                        rd_kafka_consumer_poll(f->state_reader, 100);
                rd_kafka_timestamp_type_t tt;
                int32_t p;
                int64_t ts;

                if (!m)
                        continue;
                p = m->partition;
                if (m->err || p < 0 || p >= np || !end[p]) {
                        rd_kafka_message_destroy(m);
                        continue;
                }
                if (confirm_page(f, m)) {
                        ld->confirmed++;
                        left[p]--;
                }
                ts = rd_kafka_message_timestamp(m, &tt);
                if (!left[p] || m->offset + 1 >= end[p] ||
                    ts > hi[p] + PENDING_SLACK_MS) {
                        end[p] = 0;
                        active--;
                }
                rd_kafka_message_destroy(m);
        }
        rd_kafka_assign(f->state_reader, NULL);
out:
        if (l)
                rd_kafka_topic_partition_list_destroy(l);
        free(lo);
        free(hi);
        free(end);
        free(left);
}

/* Tails the state partitions of `tl` (the ones just loaded, each from
 * the end the load read to: tl's offsets), so that the content states
 * the cleaner writes from now on reach the table while the fetcher runs
 * (statesync_tail()). */
static void tail_from(fetcher_t *f, const rd_kafka_topic_partition_list_t *tl)
{
        rd_kafka_resp_err_t err = rd_kafka_assign(f->state_reader, tl);

        f->state_tailing = !err && tl->cnt > 0;
        if (err)
                LOGF(LOG_WARN,
                     "cannot tail the crawl state (content states merged "
                     "at the next assignment only)",
                     LOG_S("err", rd_kafka_err2str(err)));
}

void statesync_tail(fetcher_t *f)
{
        if (!f->state || !f->state_tailing)
                return;
        for (int i = 0; i < TAIL_BATCH; i++) {
                rd_kafka_message_t *m =
                        rd_kafka_consumer_poll(f->state_reader, 0);
                const char *u;
                size_t ul;

                if (!m)
                        break;
                /* The fetcher's own states are in the table already. */
                if (!m->err &&
                    contentstate_is_key(m->key, m->key_len, &u, &ul))
                        merge_content(f, m);
                rd_kafka_message_destroy(m);
        }
}

void statesync_load(fetcher_t *f, const rd_kafka_topic_partition_list_t *parts)
{
        const char *topic = f->conf->state_topic;
        int32_t n = f->state_parts;
        int64_t *end = NULL, t0 = clock_mono_ms(), deadline;
        bool all = false;
        rd_kafka_topic_partition_list_t *l = NULL, *tl = NULL;
        rd_kafka_queue_t *q = NULL;
        rd_kafka_message_t *batch[LOAD_BATCH];
        uint64_t loaded = 0;
        int pending = 0;
        load_t ld = { 0 };
        uint64_t evicted_before = crawlstate_evicted(f->state);

        if (!f->state || !parts->cnt)
                return;
        ld.pending = calloc(PENDING_MAX, sizeof(*ld.pending));
        ld.now_ms = epoch_ms();
        ld.max_age_ms = (int64_t)f->conf->state_max_age * 1000;
        if (ld.max_age_ms > 0) {
                ld.expired = calloc(EXPIRED_MAX, sizeof(*ld.expired));
                ld.expired_part =
                        calloc(EXPIRED_MAX, sizeof(*ld.expired_part));
        }
        if (!ld.pending ||
            (ld.max_age_ms > 0 && (!ld.expired || !ld.expired_part))) {
                free(ld.expired);
                free(ld.expired_part);
                free(ld.pending);
                LOG(LOG_ERROR, "out of memory loading the crawl state");
                f->fatal = true;
                return;
        }
        end = calloc((size_t)n, sizeof(*end));
        l = rd_kafka_topic_partition_list_new(n);
        tl = rd_kafka_topic_partition_list_new(n);
        if (!end || !l || !tl) {
                LOG(LOG_ERROR, "out of memory loading the crawl state");
                f->fatal = true;
                goto out;
        }
        for (int i = 0; i < parts->cnt; i++)
                if (fkafka_partition_count(f, parts->elems[i].topic) != n)
                        all = true; /* not co-partitioned: read it all */
        for (int32_t p = 0; p < n; p++)
                end[p] = -1;
        for (int i = 0; i < parts->cnt && !all; i++)
                if (parts->elems[i].partition < n)
                        end[parts->elems[i].partition] = 0;
        for (int32_t p = 0; p < n; p++) {
                int64_t lo = 0, hi = 0;
                rd_kafka_resp_err_t err;

                if (!all && end[p] < 0)
                        continue;
                end[p] = -1;
                err = rd_kafka_query_watermark_offsets(f->state_reader, topic,
                                                       p, &lo, &hi,
                                                       WATERMARK_TIMEOUT_MS);
                if (err) {
                        LOGF(LOG_WARN,
                             "crawl state of a partition not loaded (its "
                             "URLs are fetched as new)",
                             LOG_S("topic", topic), LOG_I("partition", p),
                             LOG_S("err", rd_kafka_err2str(err)));
                        continue;
                }
                /* Tailed from where the load stops. */
                rd_kafka_topic_partition_list_add(tl, topic, p)->offset = hi;
                if (hi <= lo)
                        continue;
                end[p] = hi;
                rd_kafka_topic_partition_list_add(l, topic, p)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
                pending++;
        }
        f->state_tailing = false;
        if (!pending) {
                tail_from(f, tl); /* nothing to load: tailed from the end */
                goto out;
        }
        if (rd_kafka_assign(f->state_reader, l)) {
                LOG(LOG_WARN, "crawl state not loaded: assign failed");
                goto out;
        }
        deadline = t0 + f->conf->state_load_timeout * 1000;
        q = rd_kafka_queue_get_consumer(f->state_reader);
        while (q && pending && !f->fatal && clock_mono_ms() < deadline) {
                ssize_t got = rd_kafka_consume_batch_queue(q, 100, batch,
                                                           LOAD_BATCH);

                for (ssize_t i = 0; i < got; i++) {
                        rd_kafka_message_t *m = batch[i];

                        if (m->err) {
                                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                        LOGF(LOG_WARN,
                                             "crawl state read error",
                                             LOG_S("err",
                                                   rd_kafka_message_errstr(
                                                           m)));
                        } else if (!f->fatal && m->partition < n &&
                                   end[m->partition] >= 0) {
                                load_one(f, &ld, m);
                                loaded++;
                                if (m->offset + 1 >= end[m->partition]) {
                                        end[m->partition] = -1;
                                        pending--;
                                }
                        }
                        rd_kafka_message_destroy(m);
                }
        }
        if (q)
                rd_kafka_queue_destroy(q);
        rd_kafka_assign(f->state_reader, NULL);
        if (pending)
                LOGF(LOG_WARN,
                     "crawl state load stopped at --state-load-timeout "
                     "(the rest of its URLs are fetched as new)",
                     LOG_I("partitions_left", pending));
        write_tombstones(f, &ld, pending == 0, evicted_before);
        find_pending(f, &ld, deadline);
        tail_from(f, tl);
out:
        mgauge_set(f->m.state_load_seconds,
                   (double)(clock_mono_ms() - t0) / 1000.0);
        LOGF(LOG_INFO, "crawl state loaded", LOG_I("messages", loaded),
             LOG_I("urls", crawlstate_count(f->state)),
             LOG_I("pending_pages", ld.live),
             LOG_I("pending_found", ld.confirmed),
             LOG_I("ms", clock_mono_ms() - t0));
        for (size_t i = 0; i < ld.npending; i++)
                free(ld.pending[i]);
        free(ld.pending);
        for (size_t i = 0; i < ld.nexpired; i++)
                free(ld.expired[i]);
        free(ld.expired);
        free(ld.expired_part);
        if (l)
                rd_kafka_topic_partition_list_destroy(l);
        if (tl)
                rd_kafka_topic_partition_list_destroy(tl);
        free(end);
        /* The messages read are freed, but malloc keeps their pages in
         * librdkafka's threads' arenas: given back, the resident memory
         * after a load is the table's (docs/benchmarks.md, figure 9). */
        malloc_trim(0);
}

/* The value of response header `name` of the last request, or "". */
static const char *response_header(CURL *easy, const char *name)
{
        struct curl_header *h = NULL;

        if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) !=
                    CURLHE_OK ||
            !h || !h->value)
                return "";
        return h->value;
}

/* A validator to keep: copied when it fits and is a header value
 * libcurl can send back as it came (no control characters), else "". */
static void copy_validator(char *dst, size_t cap, const char *src)
{
        size_t n = strlen(src);

        dst[0] = '\0';
        if (n < cap && crawlstate_validator_ok(src))
                memcpy(dst, src, n + 1);
}

void statesync_capture(fetcher_t *f, job_t *job, bool page, const char *code,
                       bool *not_modified)
{
        crawlstate_rec_t *st;
        bool had;
        long status = 0;

        *not_modified = false;
        job->changed = -1;
        /* No host key (a message that did not decode): no partition to
         * keep its state in. */
        if (!f->state || job->kind != JOB_URL || !job->um.url ||
            !job->um.host_key)
                return;
        if (!job->crawl) {
                job->crawl = malloc(sizeof(*job->crawl));
                if (!job->crawl)
                        return;
        }
        st = job->crawl;
        had = crawlstate_get(f->state, job->um.url, st);
        if (!had)
                memset(st, 0, sizeof(*st));
        st->fetched_at_ms = epoch_ms();
        st->fetches++;
        snprintf(st->in_topic, sizeof(st->in_topic), "%s", job->topic);
        st->in_partition = job->partition;
        st->in_offset = job->offset;
        st->error_code[0] = '\0';
        if (!page) {
                st->outcome = CRAWLSTATE_ERROR;
                snprintf(st->error_code, sizeof(st->error_code), "%s", code);
                return;
        }
        st->outcome = CRAWLSTATE_PAGE;
        if (job->easy)
                curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        st->status = (int)status;
        *not_modified = status == 304;
        if (had && *not_modified)
                job->changed = 0;
        if (job->easy) {
                char prev_etag[sizeof(st->etag)],
                        prev_lm[sizeof(st->last_modified)];

                memcpy(prev_etag, st->etag, sizeof(prev_etag));
                memcpy(prev_lm, st->last_modified, sizeof(prev_lm));
                /* A 304 may repeat the validators or leave them out. */
                copy_validator(st->etag, sizeof(st->etag),
                               response_header(job->easy, "ETag"));
                if (!*st->etag && *not_modified)
                        memcpy(st->etag, prev_etag, sizeof(prev_etag));
                copy_validator(st->last_modified, sizeof(st->last_modified),
                               response_header(job->easy, "Last-Modified"));
                if (!*st->last_modified && *not_modified)
                        memcpy(st->last_modified, prev_lm, sizeof(prev_lm));
        }
        if (!*not_modified) {
                unsigned char d[EVP_MAX_MD_SIZE];
                unsigned int dl = 0;

                if (EVP_Digest(job->body ? job->body : "", job->body_len, d,
                               &dl, EVP_sha256(), NULL) &&
                    dl == CRAWLSTATE_DIGEST_LEN) {
                        job->changed =
                                crawlstate_changed(had ? st : NULL, false, d);
                        if (job->changed == 1)
                                st->changes++;
                        memcpy(st->digest, d, CRAWLSTATE_DIGEST_LEN);
                        st->has_digest = true;
                }
        }
}

/* Produces rec as url's state, partitioned by its host key. */
static int produce_state(fetcher_t *f, job_t *job, const crawlstate_rec_t *st,
                         void *opaque)
{
        char *json = NULL;
        size_t len = 0;
        int32_t part;
        rd_kafka_resp_err_t err;

        if (crawlstate_encode(job->um.url, st, &json, &len)) {
                LOG(LOG_WARN, "out of memory writing a crawl state");
                mcounter_add(f->m.state_write_failures, 1);
                return -1;
        }
        part = fkafka_partition_of(f, f->conf->state_topic, job->um.host_key);
        err = fkafka_produce(f, f->conf->state_topic,
                             part >= 0 ? part : RD_KAFKA_PARTITION_UA,
                             job->um.url, strlen(job->um.url), json, len, NULL,
                             opaque);
        free(json);
        if (err) {
                LOGF(LOG_WARN, "cannot produce a crawl state",
                     LOG_S("topic", f->conf->state_topic),
                     LOG_S("err", rd_kafka_err2str(err)));
                mcounter_add(f->m.state_write_failures, 1);
                return -1;
        }
        return 0;
}

bool statesync_pending(fetcher_t *f, job_t *job)
{
        crawlstate_rec_t pend;

        if (!f->state || !job->crawl || !job->um.url || !job->um.host_key ||
            job->crawl->outcome != CRAWLSTATE_PAGE)
                return false;
        pend = *job->crawl;
        pend.outcome = CRAWLSTATE_PENDING;
        pend.fetched_at_ms = epoch_ms(); /* just before the page's produce */
        /* In the table too: its validators are the response's (a pending
         * page is never taken as delivered). */
        if (crawlstate_put_fetch(f->state, job->um.url, &pend))
                mcounter_add(f->m.state_write_failures, 1);
        return produce_state(f, job, &pend, job) == 0;
}

void statesync_write(fetcher_t *f, job_t *job)
{
        crawlstate_rec_t *st = job->crawl;

        if (!f->state || !st || !job->um.url || !job->um.host_key)
                return;
        if (crawlstate_put_fetch(f->state, job->um.url, st)) {
                LOG(LOG_WARN, "out of memory writing a crawl state");
                mcounter_add(f->m.state_write_failures, 1);
                return;
        }
        produce_state(f, job, st, NULL);
}

int statesync_record(fetcher_t *f, job_t *job, const crawlstate_rec_t *rec)
{
        if (!f->state || !job->um.url || !job->um.host_key)
                return -1;
        if (crawlstate_put(f->state, job->um.url, rec)) {
                LOG(LOG_WARN, "out of memory writing a crawl state");
                mcounter_add(f->m.state_write_failures, 1);
                return -1;
        }
        return produce_state(f, job, rec, job);
}

int statesync_conditional(fetcher_t *f, job_t *job)
{
        crawlstate_rec_t rec;
        char line[CRAWLSTATE_ETAG_MAX + 32];
        struct curl_slist *l = NULL, *n;
        int rc = -1;

        if (!f->state || job->hdrs || job->kind != JOB_URL ||
            !crawlstate_get(f->state, job->um.url, &rec) ||
            (rec.outcome != CRAWLSTATE_PAGE &&
             rec.outcome != CRAWLSTATE_PENDING) ||
            (rec.status != 200 && rec.status != 304))
                return 0;
        if (*rec.etag) {
                snprintf(line, sizeof(line), "If-None-Match: %s", rec.etag);
                n = curl_slist_append(l, line);
                if (!n)
                        goto out;
                l = n;
        }
        if (*rec.last_modified) {
                snprintf(line, sizeof(line), "If-Modified-Since: %s",
                         rec.last_modified);
                n = curl_slist_append(l, line);
                if (!n)
                        goto out;
                l = n;
        }
        job->hdrs = l;
        job->conditional = l != NULL;
        l = NULL; /* the job's now */
        rc = 0;
out:
        curl_slist_free_all(l);
        return rc;
}

void statesync_page_headers(fetcher_t *f, const job_t *job,
                            rd_kafka_headers_t *h)
{
        const crawlstate_rec_t *st = job->crawl;
        char hex[CONTENTSTATE_HEX_LEN + 1];

        if (!f->state || !st || !st->has_content)
                return;
        contentstate_hex(st->content_digest, hex);
        fkafka_header_add(h, "prev_content_sha256", hex);
        if (*st->price)
                fkafka_header_add(h, "prev_price", st->price);
        if (*st->availability)
                fkafka_header_add(h, "prev_availability", st->availability);
}
