/*
 * worker.c — one cleaner consumer-group member (see worker.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "contentstate.h"
#include "deadletter.h"
#include "discover.h"
#include "extract.h"
#include "kafka.h"
#include "kafkastats.h"
#include "links.h"
#include "log.h"
#include "metrics.h"
#include "offsets.h"
#include "pagefacts.h"
#include "recordfit.h"
#include "rules.h"
#include "signals.h"
#include "url.h"
#include "utf8.h"
#include "worker.h"

#define POLL_MS 100
#define PRODUCE_WAIT_MS 30000
#define TXN_TIMEOUT_MS 60000
/* How long reading a topic's max.message.bytes may take at start-up. */
#define TOPIC_LIMIT_WAIT_MS 10000
#define LINK_TOPICS_MAX 16

/* What a delivery report needs to advance the commit point. A page's
 * record (or error) and its followed links share one pending_t: the page
 * is done when the last of them is delivered (and the handler let go). */
typedef struct pending {
        char *topic;
        int32_t partition;
        int64_t offset;
        int refs;
        bool failed; /* a record or error was not delivered */
} pending_t;

/* A followed link's opaque is its page's pending_t with the low bit set:
 * a link that cannot be delivered is logged and counted, not fatal. */
#define LINK_TAG(p) ((void *)((uintptr_t)(p) | 1))
#define IS_LINK(o) (((uintptr_t)(o)&1) != 0)
#define UNTAG(o) ((pending_t *)((uintptr_t)(o) & ~(uintptr_t)1))

struct worker {
        int index;
        const cleaner_config_t *conf;
        rd_kafka_t *consumer;
        rd_kafka_t *producer;
        offsets_t *offsets;
        pthread_t thread;
        bool started;
        bool fatal;
        uint64_t n_records, n_errors;
        /* User-defined fields: the rule set in use, swapped between
         * messages when the holder's generation moves (SIGHUP). */
        rules_holder_t *rules_holder;
        rules_t *rules;
        unsigned rules_gen;
        /* --follow: NULL when off. Link topics get the murmur2
         * partitioner through topic handles made before first use. */
        links_t *links;
        rd_kafka_topic_t *link_topics[LINK_TOPICS_MAX];
        size_t n_link_topics;
        uint64_t n_links, n_links_failed;
        /* Sitemap and feed pages (discover.h); its budget also bounds the
         * links followed per host. */
        discover_t *discover;
        /* --exactly-once: the open transaction and the input offsets
         * (next to read, per partition) it will commit. */
        bool eos;
        bool txn_open, txn_abort;
        long txn_count;
        int64_t txn_began_ms;
        rd_kafka_topic_partition_list_t *txn_offsets;
        strlist_t consumer_props, producer_props;
        /* The largest message the records topic and the producer take
         * (max.message.bytes, message.max.bytes), framing left aside. */
        size_t record_limit;
        /* Metrics (metrics.h), registered by worker_new(). */
        mcounter_t *m_records, *m_busy, *m_errors[6];
        mhist_t *m_parse;
        mcounter_t *m_links_dropped, *m_links_meta_dropped;
        mcounter_t *m_links_budget, *m_sitemap_urls, *m_sitemaps;
        mcounter_t *m_sitemap_dropped[SITEMAP_DROP_N + 1];
        mcounter_t *m_lastmod_invalid;
        /* Change detection: the state topic's partition count (0: the
         * content states are not written), records by `changed`. */
        int32_t state_parts;
        mcounter_t *m_content[3]; /* changed, unchanged, first */
        mcounter_t *m_product_changes, *m_content_state_failed;
};

/* The cleaner's error codes, the label values of its errors counter. */
static const char *error_codes[] = { "invalid_message", "missing_header",
                                     "too_large",       "parse_failed",
                                     "parse_timeout",   "tdm_reserved" };

/* ---- outcomes -------------------------------------------------------- */

/* Drops a reference to a page's pending_t; the last one marks the page
 * done (at-least-once: its offset is stored at the low-water mark). */
static void pending_release(worker_t *w, pending_t *p)
{
        if (--p->refs > 0)
                return;
        if (!p->failed && !w->eos) /* consumer NULL once closed */
                (void)offsets_done_store(w->offsets, w->consumer, p->topic,
                                         p->partition, p->offset);
        free(p->topic);
        free(p);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                        void *opaque)
{
        worker_t *w = opaque;
        pending_t *p = UNTAG(msg->_private);

        kafkastats_delivery(msg);
        if (!p)
                return;
        if (msg->err && IS_LINK(msg->_private) && w->state_parts > 0 &&
            !strcmp(rd_kafka_topic_name(msg->rkt), w->conf->state_topic)) {
                /* The next fetch of its URL reads changed: null. */
                LOGF(LOG_WARN, "content state not delivered",
                     LOG_I("worker", w->index),
                     LOG_S("err", rd_kafka_err2str(msg->err)));
                mcounter_add(w->m_content_state_failed, 1);
                w->txn_abort = w->eos;
        } else if (msg->err && IS_LINK(msg->_private)) {
                LOGF(LOG_WARN, "followed link not delivered",
                     LOG_I("worker", w->index),
                     LOG_S("topic", rd_kafka_topic_name(msg->rkt)),
                     LOG_S("err", rd_kafka_err2str(msg->err)));
                w->n_links_failed++;
                w->txn_abort = w->eos; /* the transaction cannot commit */
        } else if (msg->err) {
                /* The brokers refused a record the limit read at start let
                 * through (the topic's limit was lowered since): records
                 * are cut to 3/4 of its size from now on, so the batch an
                 * aborted transaction gives back fits when it comes again. */
                if (msg->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE &&
                    msg->len / 4 * 3 < w->record_limit)
                        w->record_limit = msg->len / 4 * 3;
                LOGF(LOG_ERROR, "delivery failed", LOG_I("worker", w->index),
                     LOG_S("topic", rd_kafka_topic_name(msg->rkt)),
                     LOG_S("err", rd_kafka_err2str(msg->err)));
                if (w->eos)
                        w->txn_abort = true; /* abort and rewind */
                else
                        w->fatal = true; /* its offset is never stored */
                p->failed = true;
        }
        pending_release(w, p);
}

/* Produces value to topic; the delivery report finishes `p`. Returns 0,
 * -2 when the message is over the producer's message.max.bytes (nothing
 * produced, the caller decides), or -1 (fatal for the stage). */
static int produce(worker_t *w, const char *topic, const char *key,
                   size_t key_len, const char *value, size_t len, pending_t *p)
{
        rd_kafka_resp_err_t err;

        p->refs++; /* the delivery report lets go */
        err = kafka_produce(w->producer, topic, key, key_len, value, len, NULL,
                            p, PRODUCE_WAIT_MS);
        if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                p->refs--;
                return -2;
        }
        if (err) {
                p->refs--;
                p->failed = true;
                kafkastats_produce_failed(err);
                LOGF(LOG_ERROR, "cannot produce", LOG_I("worker", w->index),
                     LOG_S("topic", topic),
                     LOG_S("err", rd_kafka_err2str(err)));
                w->fatal = true;
                return -1;
        }
        return 0;
}

static void dead_letter(worker_t *w, const rd_kafka_message_t *msg,
                        const char *url, const char *code, const char *message,
                        pending_t *p)
{
        deadletter_t dl = {
                .stage = "cleaner",
                .code = code,
                .message = message,
                .url = url,
                .topic = p->topic,
                .partition = p->partition,
                .offset = p->offset,
                .input = msg->payload,
                .input_len = msg->len,
        };
        char *json = NULL;
        size_t len = 0;
        int rc;

        if (deadletter_json(&dl, &json, &len)) {
                w->fatal = true;
                return;
        }
        if (url)
                rc = produce(w, w->conf->errors_topic, url,
                             deadletter_key_len(strlen(url)), json, len, p);
        else
                rc = produce(w, w->conf->errors_topic, msg->key,
                             deadletter_key_len(msg->key_len), json, len, p);
        if (rc == -2) {
                /* Dead letters are small (inputs, URLs and keys cut at
                 * 64 KiB): a limit below that is a misconfigured errors
                 * topic. */
                LOGF(LOG_ERROR, "dead letter over message.max.bytes",
                     LOG_I("worker", w->index), LOG_I("bytes", len));
                p->failed = true;
                w->fatal = true;
        }
        free(json);
        w->n_errors++;
        for (size_t i = 0; i < sizeof(error_codes) / sizeof(*error_codes); i++)
                if (!strcmp(code, error_codes[i]))
                        mcounter_add(w->m_errors[i], 1);
}

/* Reads a decimal header; -1 when absent or not a number in range. */
static long header_long(const rd_kafka_message_t *msg, const char *name,
                        long max, bool *present)
{
        char *s = kafka_header_dup(msg, name), *end;
        long v;

        *present = s != NULL;
        if (!s)
                return -1;
        errno = 0;
        v = strtol(s, &end, 10);
        if (end == s || *end || errno || v < 0 || v > max)
                v = -1;
        free(s);
        return v;
}

/* The size of the last `name` header's value (0 when absent). */
static size_t header_size(const rd_kafka_message_t *msg, const char *name)
{
        rd_kafka_headers_t *hdrs = NULL;
        const void *val = NULL;
        size_t size = 0;

        if (rd_kafka_message_headers(msg, &hdrs) || !hdrs ||
            rd_kafka_header_get_last(hdrs, name, &val, &size))
                return 0;
        return size;
}

/* A text header's value in *out (NULL when absent), with invalid UTF-8 and
 * NUL bytes repaired to U+FFFD so that nothing is cut or refused. Returns
 * 0, or -1 when out of memory. */
static int header_text(const rd_kafka_message_t *msg, const char *name,
                       char **out)
{
        rd_kafka_headers_t *hdrs = NULL;
        const void *val = NULL;
        size_t size = 0, len;

        *out = NULL;
        if (rd_kafka_message_headers(msg, &hdrs) || !hdrs ||
            rd_kafka_header_get_last(hdrs, name, &val, &size))
                return 0;
        return utf8_repair(val ? val : "", val ? size : 0, UTF8_REPAIR_NUL,
                           out, &len);
}

/* ---- rules and links ------------------------------------------------- */

/* Between messages: takes the holder's new rule set when it changed. */
static void worker_rules_refresh(worker_t *w)
{
        unsigned gen;

        if (!w->rules_holder)
                return;
        gen = rules_holder_generation(w->rules_holder);
        if (gen == w->rules_gen)
                return;
        rules_unref(w->rules);
        w->rules = rules_holder_get(w->rules_holder, &w->rules_gen);
        if (w->rules || w->rules_gen > 1)
                LOGF(LOG_INFO, "rules in use", LOG_I("worker", w->index),
                     LOG_I("rules", rules_count(w->rules)),
                     LOG_I("generation", w->rules_gen));
}

/* The producer's handle for a link topic, made on first use with the
 * murmur2 partitioner (the URL topics' contract: Kafka's Java default, so
 * a host's URLs land on one partition whoever produced them). NULL when
 * LINK_TOPICS_MAX topics are already in use. */
static rd_kafka_topic_t *link_topic(worker_t *w, const char *name)
{
        rd_kafka_topic_conf_t *tconf;
        rd_kafka_topic_t *rkt;
        char why[256];

        for (size_t i = 0; i < w->n_link_topics; i++)
                if (strcmp(rd_kafka_topic_name(w->link_topics[i]), name) == 0)
                        return w->link_topics[i];
        if (w->n_link_topics == LINK_TOPICS_MAX)
                return NULL;
        tconf = rd_kafka_topic_conf_new();
        if (rd_kafka_topic_conf_set(tconf, "partitioner", "murmur2_random",
                                    why, sizeof(why)) != RD_KAFKA_CONF_OK) {
                rd_kafka_topic_conf_destroy(tconf);
                return NULL;
        }
        rkt = rd_kafka_topic_new(w->producer, name, tconf); /* takes tconf */
        if (rkt)
                w->link_topics[w->n_link_topics++] = rkt;
        return rkt;
}

/* One followed link's message being produced (links_each()'s emit). */
typedef struct follow_ctx {
        worker_t *w;
        const char *url;
        pending_t *p;
        bool budgeted; /* discover.c took the budget already */
} follow_ctx_t;

static int follow_one(void *ctx, const link_msg_t *m)
{
        follow_ctx_t *fc = ctx;
        worker_t *w = fc->w;
        rd_kafka_headers_t *hdrs;
        rd_kafka_resp_err_t err;

        if (w->fatal)
                return -1;
        if (!fc->budgeted && !discover_budget_take(w->discover, m->key)) {
                mcounter_add(w->m_links_budget, 1);
                return 0;
        }
        if (!link_topic(w, m->topic)) {
                LOGF(LOG_WARN, "too many link topics",
                     LOG_S("topic", m->topic));
                w->n_links_failed++;
                return 0;
        }
        hdrs = rd_kafka_headers_new(1);
        /* Tells the fetcher a link was followed, not published by a user
         * (it may drop links it fetched recently). */
        rd_kafka_header_add(hdrs, "followed_from", -1, fc->url, -1);
        fc->p->refs++;
        err = kafka_produce(w->producer, m->topic, m->key, strlen(m->key),
                            m->value, m->value_len, hdrs, LINK_TAG(fc->p),
                            PRODUCE_WAIT_MS);
        if (err) {
                fc->p->refs--;
                rd_kafka_headers_destroy(hdrs);
                kafkastats_produce_failed(err);
                LOGF(LOG_WARN, "cannot produce a followed link",
                     LOG_S("topic", m->topic),
                     LOG_S("err", rd_kafka_err2str(err)));
                w->n_links_failed++;
                if (w->eos)
                        w->txn_abort = true;
                return 0;
        }
        w->n_links++;
        return 0;
}

/* Publishes the links worth following (links.h) as URL messages sharing
 * the page's pending_t, each produced as it is built; what the per-page
 * bounds left out is counted. The links are the record's: taken from the
 * page's facts, or, when the record was cut to fit the records topic,
 * read back from what the record kept (`record` not NULL). */
static void follow_links(worker_t *w, const page_facts_t *facts,
                         const char *record, const char *url, pending_t *p)
{
        follow_ctx_t fc = { w, url, p, false };
        links_stats_t stats;
        char why[256];
        int r;

        if (record != NULL)
                r = links_each(w->links, record, follow_one, &fc, &stats, why,
                               sizeof(why));
        else
                r = links_each_facts(w->links, facts, follow_one, &fc, &stats,
                                     why, sizeof(why));
        if (r) {
                LOGF(LOG_WARN, "links not followed", LOG_I("worker", w->index),
                     LOG_S("url", url), LOG_S("err", why));
                return;
        }
        if (stats.dropped) {
                mcounter_add(w->m_links_dropped, stats.dropped);
                LOGF(LOG_INFO, "links over --max-links-per-page dropped",
                     LOG_I("worker", w->index), LOG_S("url", url),
                     LOG_I("dropped", (long long)stats.dropped));
        }
        if (stats.meta_dropped)
                mcounter_add(w->m_links_meta_dropped, 1);
}

/* ---- one page -------------------------------------------------------- */

/* Cuts *record in place to what the records topic takes (recordfit.h).
 * Returns 0 when it fits (cut or not), -1 with a reason when it cannot be
 * made to fit: the page then ends as a too_large dead letter. */
static int record_fit(worker_t *w, const char *url, char **record,
                      size_t *record_len, char *why, size_t why_size)
{
        size_t key_len = strlen(url), room, cut_len;
        char *cut, err[256];
        int r;

        room = w->record_limit > key_len ? w->record_limit - key_len : 0;
        if (*record_len <= room)
                return 0;
        r = recordfit_cut(*record, *record_len, room, &cut, &cut_len, err,
                          sizeof(err));
        if (r) {
                snprintf(why, why_size,
                         "record of %zu bytes is over the "
                         "%zu bytes the records topic takes: %s",
                         *record_len, room, err);
                return -1;
        }
        LOGF(LOG_INFO, "record cut to fit the records topic",
             LOG_I("worker", w->index), LOG_S("url", url),
             LOG_I("bytes", *record_len), LOG_I("cut_to", cut_len));
        free(*record);
        *record = cut;
        *record_len = cut_len;
        return 0;
}

/* A sitemap or feed page (header kind): its URLs published as they are
 * read, then its record (discover.h). */
static void handle_sitemap(worker_t *w, const rd_kafka_message_t *msg,
                           discover_page_t *pg, pending_t *p)
{
        follow_ctx_t fc = { w, pg->url, p, true };
        discover_stats_t ds;
        char *record = NULL, why[512];
        size_t record_len = 0;
        int rc;
        double t0 = clock_mono_s();

        rc = discover_page(w->discover, pg, follow_one, &fc, &record,
                           &record_len, &ds, why, sizeof(why));
        mhist_observe(w->m_parse, clock_mono_s() - t0);
        mcounter_add(w->m_sitemaps, 1);
        mcounter_add(w->m_sitemap_urls, ds.published);
        for (int i = 0; i < SITEMAP_DROP_N; i++)
                mcounter_add(w->m_sitemap_dropped[i], ds.st.dropped[i]);
        mcounter_add(w->m_sitemap_dropped[SITEMAP_DROP_N], ds.over_depth);
        mcounter_add(w->m_links_budget, ds.over_budget);
        mcounter_add(w->m_lastmod_invalid, ds.st.lastmod_invalid);
        LOGF(LOG_INFO, "sitemap read", LOG_I("worker", w->index),
             LOG_S("url", pg->url),
             LOG_S("format", sitemap_format_names[ds.st.format]),
             LOG_I("found", (long long)ds.st.found),
             LOG_I("published", (long long)ds.published));
        if (rc == DISCOVER_TOO_LARGE) {
                dead_letter(w, msg, pg->url, "too_large", why, p);
                goto out;
        }
        if (rc == DISCOVER_PARSE_FAILED) {
                dead_letter(w, msg, pg->url, "parse_failed", why, p);
                goto out;
        }
        if (rc) {
                LOGF(LOG_ERROR, "sitemap not read", LOG_S("url", pg->url),
                     LOG_S("err", why));
                p->failed = true; /* its offset is never stored */
                w->fatal = true;
                goto out;
        }
        if (record_fit(w, pg->url, &record, &record_len, why, sizeof(why))) {
                dead_letter(w, msg, pg->url, "too_large", why, p);
                goto out;
        }
        rc = produce(w, w->conf->records_topic, pg->url, strlen(pg->url),
                     record, record_len, p);
        if (rc == -2) {
                dead_letter(w, msg, pg->url, "too_large",
                            "record over the producer's message.max.bytes", p);
                goto out;
        }
        if (!rc) {
                w->n_records++;
                mcounter_add(w->m_records, 1);
        }
out:
        free(record);
}

/* The page's content state (contentstate.h) on the state topic, keyed
 * content:URL, in the partition of the URL's host key (murmur2, as the
 * fetcher partitions its own states), so that the host's owner merges it.
 * Delivered like a followed link: a failure is counted, never fatal (the
 * next fetch of the URL reads changed: null). */
static void write_content_state(worker_t *w, const char *url,
                                const change_t *c, pending_t *p)
{
        contentstate_t cs = { 0 };
        char host[512], key[CONTENTSTATE_URL_MAX + 16], why[256];
        char *json = NULL;
        size_t len = 0;
        url_t *u = NULL;
        int32_t part;
        int klen;
        rd_kafka_resp_err_t err;

        if (w->state_parts <= 0 || !c->write_state)
                return;
        klen = contentstate_key(url, key, sizeof(key));
        if (klen < 0 || url_parse(url, NULL, &u, why, sizeof(why)) ||
            url_host_key(u, host, sizeof(host)) < 0) {
                url_destroy(u);
                mcounter_add(w->m_content_state_failed, 1);
                return; /* no host key: no owner to tell */
        }
        url_destroy(u);
        cs.at_ms = clock_ns(CLOCK_REALTIME) / 1000000;
        cs.has_digest = c->has_digest;
        memcpy(cs.digest, c->digest, sizeof(cs.digest));
        memcpy(cs.price, c->price, sizeof(cs.price));
        memcpy(cs.availability, c->availability, sizeof(cs.availability));
        cs.changed = c->changed;
        if (contentstate_encode(url, &cs, &json, &len)) {
                mcounter_add(w->m_content_state_failed, 1);
                return;
        }
        part = rd_kafka_msg_partitioner_murmur2(NULL, host, strlen(host),
                                                w->state_parts, NULL, NULL);
        p->refs++; /* the delivery report lets go */
        err = kafka_produce_to(w->producer, w->conf->state_topic, part, key,
                               (size_t)klen, json, len, NULL, LINK_TAG(p),
                               PRODUCE_WAIT_MS);
        if (err) {
                p->refs--;
                mcounter_add(w->m_content_state_failed, 1);
                LOGF(LOG_WARN, "cannot produce a content state",
                     LOG_I("worker", w->index),
                     LOG_S("topic", w->conf->state_topic),
                     LOG_S("err", rd_kafka_err2str(err)));
        }
        free(json);
}

/* Counts the record's change detection. */
static void count_change(worker_t *w, const change_t *c)
{
        mcounter_add(w->m_content[c->changed > 0    ? 0
                                  : c->changed == 0 ? 1
                                                    : 2],
                     1);
        if (c->price_changed || c->availability_changed)
                mcounter_add(w->m_product_changes, 1);
}

static void handle_page(worker_t *w, const rd_kafka_message_t *msg)
{
        pending_t *p = calloc(1, sizeof(*p));
        page_t page = { 0 };
        char *url = NULL, *final_url = NULL, *ctype = NULL, *fetched_at = NULL,
             *source_topic = NULL, *id = NULL, *meta = NULL;
        char *kind = NULL, *lastmod = NULL, *sitemap_host = NULL;
        char *x_robots_tag = NULL, *tdm_reservation = NULL, *tdm_policy = NULL;
        char *prev_sha = NULL, *prev_price = NULL, *prev_avail = NULL,
             *not_modified = NULL;
        char *record = NULL, why[512];
        size_t record_len = 0, whole_len = 0;
        page_facts_t *facts = NULL;
        bool has_status, has_depth;
        int rc;

        rules_page_t rp = { NULL, NULL };
        extract_fields_fn fields_cb = NULL;

        worker_rules_refresh(w);
        if (p)
                p->topic = strdup(rd_kafka_topic_name(msg->rkt));
        if (!p || !p->topic ||
            (!w->eos && offsets_begin(w->offsets, p->topic, msg->partition,
                                      msg->offset))) {
                LOG(LOG_ERROR, "out of memory taking a page");
                if (p)
                        free(p->topic);
                free(p);
                w->fatal = true;
                return;
        }
        p->partition = msg->partition;
        p->offset = msg->offset;
        p->refs = 1; /* this handler's, released at the end */

        url = kafka_header_dup(msg, "url");
        fetched_at = kafka_header_dup(msg, "fetched_at");
        page.status = (int)header_long(msg, "status", 999, &has_status);
        if (!url || !fetched_at || !has_status) {
                snprintf(why, sizeof(why), "page without the %s header",
                         !url          ? "url"
                         : !fetched_at ? "fetched_at"
                                       : "status");
                dead_letter(w, msg, url, "missing_header", why, p);
                goto out;
        }
        if (page.status < 0) {
                dead_letter(w, msg, url, "invalid_message",
                            "the status header is not an HTTP status", p);
                goto out;
        }
        if ((long long)msg->len > w->conf->max_body) {
                snprintf(why, sizeof(why),
                         "page of %zu bytes is over --max-body (%lld)",
                         msg->len, w->conf->max_body);
                dead_letter(w, msg, url, "too_large", why, p);
                goto out;
        }
        final_url = kafka_header_dup(msg, "final_url");
        source_topic = kafka_header_dup(msg, "source_topic");
        page.depth = header_long(msg, "depth", 1000000, &has_depth);
        {
                /* Header values are UTF-8 text by contract. The ones that
                 * name the page must be true (a repaired URL no longer
                 * names it): not UTF-8 is a bad message. The others are
                 * kept with bad bytes and NULs repaired to U+FFFD. */
                const char *names[] = { "url", "fetched_at", "final_url",
                                        "source_topic" };
                const char *vals[] = { url, fetched_at, final_url,
                                       source_topic };

                for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
                        size_t n = vals[i] ? strlen(vals[i]) : 0;

                        /* A NUL would cut the value where C reads it. */
                        if (vals[i] && n != header_size(msg, names[i])) {
                                snprintf(why, sizeof(why),
                                         "the %s header holds a NUL byte",
                                         names[i]);
                                /* A cut url names another page. */
                                dead_letter(w, msg, i ? url : NULL,
                                            "invalid_message", why, p);
                                goto out;
                        }
                        if (utf8_valid_prefix((const unsigned char *)vals[i],
                                              n) == n)
                                continue;
                        snprintf(why, sizeof(why),
                                 "the %s header is not UTF-8", names[i]);
                        dead_letter(w, msg, url, "invalid_message", why, p);
                        goto out;
                }
        }
        if (header_text(msg, "content_type", &ctype) ||
            header_text(msg, "id", &id) || header_text(msg, "meta", &meta) ||
            header_text(msg, "kind", &kind) ||
            header_text(msg, "lastmod", &lastmod) ||
            header_text(msg, "sitemap_host", &sitemap_host) ||
            header_text(msg, "x_robots_tag", &x_robots_tag) ||
            header_text(msg, "tdm_reservation", &tdm_reservation) ||
            header_text(msg, "tdm_policy", &tdm_policy) ||
            header_text(msg, "prev_content_sha256", &prev_sha) ||
            header_text(msg, "prev_price", &prev_price) ||
            header_text(msg, "prev_availability", &prev_avail) ||
            header_text(msg, "not_modified", &not_modified)) {
                LOG(LOG_ERROR, "out of memory reading headers");
                p->failed = true; /* its offset is never stored */
                w->fatal = true;
                goto out;
        }
        if (kind && (!strcmp(kind, "sitemap") || !strcmp(kind, "feed"))) {
                discover_page_t pg = {
                        .url = url,
                        .final_url = final_url,
                        .fetched_at = fetched_at,
                        .content_type = ctype,
                        .source_topic = source_topic,
                        .id = id,
                        .meta = meta,
                        .kind = kind,
                        .lastmod = lastmod,
                        .sitemap_host = sitemap_host,
                        .status = page.status,
                        .depth = page.depth,
                        .body = msg->payload,
                        .body_len = msg->len,
                };

                handle_sitemap(w, msg, &pg, p);
                goto out;
        }
        page.url = url;
        page.final_url = final_url;
        page.content_type = ctype;
        page.fetched_at = fetched_at;
        page.source_topic = source_topic;
        page.id = id;
        page.meta = meta;
        page.body = msg->payload;
        page.body_len = msg->len;
        page.budget_ms = w->conf->page_timeout;
        page.lastmod = lastmod;
        page.x_robots_tag = x_robots_tag;
        page.tdm_reservation = tdm_reservation;
        page.tdm_policy = tdm_policy;
        page.prev_content_sha256 = prev_sha;
        page.prev_price = prev_price;
        page.prev_availability = prev_avail;
        /* A 304 answering the fetcher's conditional request. */
        page.not_modified = page.status == 304 && not_modified &&
                            !strcmp(not_modified, "true");
        page.robots_token = w->conf->robots_token;
        page.texts = cleaner_record_text(w->conf->record_text);
        page.structured_off = cleaner_structured_off(w->conf);

        /* The DOM goes to the rules only for pages a rule applies to. */
        rp.rules = w->rules;
        rp.url = final_url ? final_url : url;
        if (w->rules && rules_match_url(w->rules, rp.url))
                fields_cb = rules_emit_fields;

        double t0 = clock_mono_s();
        /* The facts outlive the record, for link following. */
        int failed =
                extract_record_facts(&page, fields_cb, &rp, &facts, &record,
                                     &record_len, why, sizeof(why));

        mhist_observe(w->m_parse, clock_mono_s() - t0);
        if (failed == EXTRACT_TIMEOUT) {
                LOGF(LOG_WARN, "page over its parse budget",
                     LOG_I("worker", w->index), LOG_S("url", url),
                     LOG_S("err", why));
                dead_letter(w, msg, url, "parse_timeout", why, p);
                goto out;
        }
        if (failed) {
                dead_letter(w, msg, url, "parse_failed", why, p);
                goto out;
        }
        if (w->conf->respect_tdm && facts->tdm_reserved == 1) {
                dead_letter(w, msg, url, "tdm_reserved",
                            "the page reserves text and data mining (TDMRep "
                            "header or <meta name=tdm-reservation>) and "
                            "--respect-tdm is on",
                            p);
                goto out;
        }
        whole_len = record_len;
        if (record_fit(w, url, &record, &record_len, why, sizeof(why))) {
                dead_letter(w, msg, url, "too_large", why, p);
                goto out;
        }
        rc = produce(w, w->conf->records_topic, url, strlen(url), record,
                     record_len, p);
        if (rc == -2) {
                snprintf(why, sizeof(why),
                         "record of %zu bytes is over the "
                         "producer's message.max.bytes",
                         record_len);
                dead_letter(w, msg, url, "too_large", why, p);
                goto out;
        }
        if (!rc) {
                w->n_records++;
                mcounter_add(w->m_records, 1);
                count_change(w, &facts->change);
                write_content_state(w, url, &facts->change, p);
                if (w->links)
                        follow_links(w, facts,
                                     record_len != whole_len ? record : NULL,
                                     url, p);
        }
out:
        pending_release(w, p);
        pagefacts_free(facts);
        free(record);
        free(url);
        free(final_url);
        free(ctype);
        free(fetched_at);
        free(source_topic);
        free(id);
        free(meta);
        free(kind);
        free(lastmod);
        free(sitemap_host);
        free(x_robots_tag);
        free(tdm_reservation);
        free(tdm_policy);
        free(prev_sha);
        free(prev_price);
        free(prev_avail);
        free(not_modified);
}

/* ---- exactly-once ---------------------------------------------------- */

/* Seeks every assigned partition back to its committed offset (the start
 * of the aborted transaction's input), so the batch is processed again. */
static void txn_rewind(worker_t *w)
{
        rd_kafka_topic_partition_list_t *parts = NULL;
        rd_kafka_error_t *error;
        rd_kafka_resp_err_t err;

        err = rd_kafka_assignment(w->consumer, &parts);
        if (err || !parts || parts->cnt == 0)
                goto out;
        err = rd_kafka_committed(w->consumer, parts, TXN_TIMEOUT_MS);
        if (err) {
                LOGF(LOG_ERROR, "cannot read committed offsets to rewind",
                     LOG_I("worker", w->index),
                     LOG_S("err", rd_kafka_err2str(err)));
                w->fatal = true;
                goto out;
        }
        for (int i = 0; i < parts->cnt; i++)
                if (parts->elems[i].offset < 0) /* none yet: the start */
                        parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        error = rd_kafka_seek_partitions(w->consumer, parts, TXN_TIMEOUT_MS);
        if (error) {
                LOGF(LOG_ERROR, "cannot rewind", LOG_I("worker", w->index),
                     LOG_S("err", rd_kafka_error_string(error)));
                rd_kafka_error_destroy(error);
                w->fatal = true;
        }
out:
        if (parts)
                rd_kafka_topic_partition_list_destroy(parts);
}

/* Aborts the open transaction and, when `rewind`, re-reads its input. */
static void txn_abort(worker_t *w, bool rewind)
{
        rd_kafka_error_t *error =
                rd_kafka_abort_transaction(w->producer, TXN_TIMEOUT_MS);

        if (error) {
                LOGF(LOG_ERROR,
                     rd_kafka_error_is_fatal(error)
                             ? "fatal transaction error (fenced?): stopping"
                             : "cannot abort the transaction",
                     LOG_I("worker", w->index),
                     LOG_S("err", rd_kafka_error_string(error)));
                rd_kafka_error_destroy(error);
                w->fatal = true;
                return;
        }
        LOGF(LOG_WARN, "transaction aborted", LOG_I("worker", w->index),
             LOG_I("pages", w->txn_count));
        w->txn_open = false;
        w->txn_abort = false;
        w->txn_count = 0;
        rd_kafka_topic_partition_list_destroy(w->txn_offsets);
        w->txn_offsets = rd_kafka_topic_partition_list_new(8);
        if (rewind)
                txn_rewind(w);
}

/* Commits the open transaction: its records, errors and links and the
 * input offsets, atomically. Abortable errors abort and rewind; retriable
 * ones retry; a fatal one (fenced by a newer producer with the same
 * transactional.id) stops the worker. Returns 0 or -1. */
static int txn_commit(worker_t *w, bool rewind)
{
        rd_kafka_consumer_group_metadata_t *cgmd;
        rd_kafka_error_t *error = NULL;

        if (!w->txn_open || w->fatal)
                return w->fatal ? -1 : 0;
        if (w->txn_abort) {
                txn_abort(w, rewind);
                return -1;
        }
        for (int attempt = 0; attempt < 5; attempt++) {
                if (w->txn_offsets->cnt > 0) {
                        cgmd = rd_kafka_consumer_group_metadata(w->consumer);
                        error = rd_kafka_send_offsets_to_transaction(
                                w->producer, w->txn_offsets, cgmd,
                                TXN_TIMEOUT_MS);
                        rd_kafka_consumer_group_metadata_destroy(cgmd);
                }
                if (!error)
                        error = rd_kafka_commit_transaction(w->producer,
                                                            TXN_TIMEOUT_MS);
                if (!error) {
                        w->txn_open = false;
                        w->txn_count = 0;
                        rd_kafka_topic_partition_list_destroy(w->txn_offsets);
                        w->txn_offsets = rd_kafka_topic_partition_list_new(8);
                        return 0;
                }
                LOGF(LOG_WARN, "transaction commit failed",
                     LOG_I("worker", w->index),
                     LOG_S("err", rd_kafka_error_string(error)),
                     LOG_I("retriable", rd_kafka_error_is_retriable(error)));
                if (rd_kafka_error_is_fatal(error)) {
                        LOGF(LOG_ERROR, "fatal transaction error (fenced?)",
                             LOG_I("worker", w->index),
                             LOG_S("err", rd_kafka_error_string(error)));
                        rd_kafka_error_destroy(error);
                        w->fatal = true;
                        return -1;
                }
                if (rd_kafka_error_txn_requires_abort(error)) {
                        rd_kafka_error_destroy(error);
                        txn_abort(w, rewind);
                        return -1;
                }
                rd_kafka_error_destroy(error); /* retriable: again */
                error = NULL;
        }
        txn_abort(w, rewind);
        return -1;
}

/* Opens a transaction for the next page when none is open. */
static int txn_begin(worker_t *w)
{
        rd_kafka_error_t *error;

        if (w->txn_open)
                return 0;
        error = rd_kafka_begin_transaction(w->producer);
        if (error) {
                LOGF(LOG_ERROR, "cannot begin a transaction",
                     LOG_I("worker", w->index),
                     LOG_S("err", rd_kafka_error_string(error)));
                rd_kafka_error_destroy(error);
                w->fatal = true;
                return -1;
        }
        w->txn_open = true;
        w->txn_began_ms = clock_mono_ms();
        return 0;
}

/* Notes that the transaction consumed msg: its partition's next offset. */
static void txn_consumed(worker_t *w, const rd_kafka_message_t *msg)
{
        const char *topic = rd_kafka_topic_name(msg->rkt);
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(
                w->txn_offsets, topic, msg->partition);

        if (!tp)
                tp = rd_kafka_topic_partition_list_add(w->txn_offsets, topic,
                                                       msg->partition);
        tp->offset = msg->offset + 1;
        w->txn_count++;
}

/* ---- the thread ------------------------------------------------------ */

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        worker_t *w = opaque;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                LOGF(LOG_INFO, "partitions assigned",
                     LOG_I("worker", w->index), LOG_I("count", parts->cnt));
                rd_kafka_assign(rk, parts);
                return;
        }
        LOGF(LOG_INFO, "partitions revoked", LOG_I("worker", w->index),
             LOG_I("count", parts->cnt));
        if (w->eos) {
                /* Commit what was done while the partitions are ours; what
                 * aborts is read again by their next owner. */
                txn_commit(w, false);
                rd_kafka_assign(rk, NULL);
                return;
        }
        /* Deliver what is finished so its offsets can be committed
         * (asynchronously once stopping: the bounded close waits). */
        rd_kafka_flush(w->producer, 5000);
        rd_kafka_commit(rk, NULL, signals_stop ? 1 : 0);
        for (int i = 0; i < parts->cnt; i++)
                offsets_forget(w->offsets, parts->elems[i].topic,
                               parts->elems[i].partition);
        rd_kafka_assign(rk, NULL);
}

static void *worker_main(void *arg)
{
        worker_t *w = arg;
        rd_kafka_resp_err_t err;

        while (!signals_stop && !w->fatal) {
                rd_kafka_message_t *msg =
                        rd_kafka_consumer_poll(w->consumer, POLL_MS);

                rd_kafka_poll(w->producer, 0);
                if (w->eos && w->txn_open &&
                    clock_mono_ms() - w->txn_began_ms >= w->conf->txn_ms &&
                    txn_commit(w, true) && msg) {
                        /* aborted and rewound: msg comes again */
                        rd_kafka_message_destroy(msg);
                        continue;
                }
                if (!msg)
                        continue;
                if (msg->err) {
                        if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                LOGF(LOG_WARN, "consumer error",
                                     LOG_I("worker", w->index),
                                     LOG_S("err",
                                           rd_kafka_message_errstr(msg)));
                } else if (!w->eos || txn_begin(w) == 0) {
                        double t0 = clock_mono_s();

                        handle_page(w, msg);
                        if (w->eos)
                                txn_consumed(w, msg);
                        mcounter_add(w->m_busy,
                                     (uint64_t)((clock_mono_s() - t0) * 1e6));
                }
                rd_kafka_message_destroy(msg);
                if (w->eos && w->txn_open &&
                    (w->txn_count >= w->conf->txn_messages || w->txn_abort))
                        txn_commit(w, true);
        }
        if (w->eos) {
                char why[512];

                if (!w->fatal)
                        txn_commit(w, false);
                /* Fenced: a newer producer took our transactional.id. */
                if (rd_kafka_fatal_error(w->producer, why, sizeof(why)))
                        LOGF(LOG_ERROR, "fatal producer error: stopping",
                             LOG_I("worker", w->index), LOG_S("err", why));
                goto out;
        }
        /* Deliver what was produced, store its offsets, commit. */
        rd_kafka_flush(w->producer, (int)w->conf->drain_timeout * 1000);
        if (!w->fatal) {
                /* Asynchronous: the bounded close below waits for it, a
                 * broker that is gone does not hold the stop. */
                err = rd_kafka_commit(w->consumer, NULL, 1);
                if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                        LOGF(LOG_WARN, "final commit failed",
                             LOG_I("worker", w->index),
                             LOG_S("err", rd_kafka_err2str(err)));
        }
out:
        kafka_consumer_close_destroy(w->consumer,
                                     (int)(w->conf->drain_timeout + 5) * 1000);
        w->consumer = NULL;
        /* A worker that cannot go on stops the process (exit non-zero),
         * rather than leave its partitions unserved. */
        if (w->fatal && !signals_stop)
                kill(getpid(), SIGTERM);
        return NULL;
}

static void worker_metrics(worker_t *w)
{
        char labels[64];

        w->m_records = metrics_counter("kcrawl_cleaner_records_total", NULL,
                                       "Records produced (pages parsed).");
        for (size_t i = 0; i < sizeof(error_codes) / sizeof(*error_codes);
             i++) {
                snprintf(labels, sizeof(labels), "code=\"%s\"",
                         error_codes[i]);
                w->m_errors[i] =
                        metrics_counter("kcrawl_cleaner_errors_total", labels,
                                        "Pages dead-lettered, by error code.");
        }
        {
                static const char *const kinds[] = { "changed", "unchanged",
                                                     "first" };

                for (size_t i = 0; i < 3; i++) {
                        snprintf(labels, sizeof(labels), "content=\"%s\"",
                                 kinds[i]);
                        w->m_content[i] = metrics_counter(
                                "kcrawl_cleaner_content_total", labels,
                                "Records by change detection: content "
                                "changed since the URL's last fetch, "
                                "unchanged (a 304 included), or first "
                                "(no previous content state).");
                }
        }
        w->m_product_changes = metrics_counter(
                "kcrawl_cleaner_product_changes_total", NULL,
                "Records reporting a product's price or availability "
                "change (product_change).");
        w->m_content_state_failed = metrics_counter(
                "kcrawl_cleaner_content_state_failures_total", NULL,
                "Content states (the cleaner's part of the crawl state) "
                "that could not be written.");
        snprintf(labels, sizeof(labels), "worker=\"%d\"", w->index);
        w->m_busy = metrics_counter_scaled(
                "kcrawl_cleaner_worker_busy_seconds_total", labels,
                "Seconds a worker spent handling pages (not waiting); its "
                "rate is the worker's utilisation.",
                1e-6);
        w->m_links_dropped = metrics_counter(
                "kcrawl_cleaner_links_dropped_total", "reason=\"fan_out\"",
                "Followed links not published, by reason: fan_out (over "
                "--max-links-per-page), budget (over --discovery-budget).");
        w->m_links_meta_dropped = metrics_counter(
                "kcrawl_cleaner_links_meta_dropped_total", NULL,
                "Pages whose followed links went without the page's meta "
                "(over --max-link-meta).");
        w->m_links_budget = metrics_counter(
                "kcrawl_cleaner_links_dropped_total", "reason=\"budget\"",
                "Followed links not published, by reason: fan_out (over "
                "--max-links-per-page), budget (over --discovery-budget).");
        w->m_sitemaps = metrics_counter(
                "kcrawl_cleaner_sitemaps_total", NULL,
                "Sitemap and feed pages read (page header kind).");
        w->m_sitemap_urls =
                metrics_counter("kcrawl_cleaner_sitemap_urls_total", NULL,
                                "URLs published from sitemaps and feeds.");
        for (int i = 0; i <= SITEMAP_DROP_N; i++) {
                snprintf(labels, sizeof(labels), "reason=\"%s\"",
                         i < SITEMAP_DROP_N ? sitemap_drop_names[i]
                                            : "over_depth");
                w->m_sitemap_dropped[i] = metrics_counter(
                        "kcrawl_cleaner_sitemap_urls_dropped_total", labels,
                        "URLs a sitemap or feed listed that were not "
                        "published, by reason (the per-host budget is "
                        "kcrawl_cleaner_links_dropped_total{reason=\"budget\"}).");
        }
        w->m_lastmod_invalid = metrics_counter(
                "kcrawl_cleaner_sitemap_lastmod_invalid_total", NULL,
                "Sitemap lastmod, RSS pubDate and Atom updated values that "
                "were not a date: left out of the URL message.");
        w->m_parse = metrics_histogram(
                "kcrawl_cleaner_parse_seconds", NULL,
                "Seconds to parse a page and build its record.",
                metrics_cpu_bounds, metrics_cpu_nbounds);
}

/* The worker's client properties: the cleaner's defaults, the operator's
 * -X, then what --exactly-once needs (last, so that it wins). Pages are
 * large (tens of KB, up to --max-body): with librdkafka's 1 MB per
 * partition per fetch a worker waited for pages about a sixth of the
 * time; 8 MB per partition keeps it busy, and queued.max.messages.kbytes
 * (librdkafka's 64 MB by default) still bounds what is prefetched. */
static int worker_props(worker_t *w, const strlist_t *kafka_props,
                        char *errstr, size_t errstr_size)
{
        const cleaner_config_t *conf = w->conf;
        char txid[512], host[256];
        char codec[64];
        int rc = 0;

        snprintf(codec, sizeof(codec), "compression.type=%s",
                 cleaner_compression_names[conf->compression]);
        rc |= strlist_add(&w->producer_props, codec);
        rc |= strlist_add(&w->consumer_props,
                          "max.partition.fetch.bytes=8388608");
        for (size_t i = 0; kafka_props && i < kafka_props->n; i++) {
                rc |= strlist_add(&w->consumer_props, kafka_props->v[i]);
                rc |= strlist_add(&w->producer_props, kafka_props->v[i]);
        }
        if (w->eos) {
                if (conf->transactional_id && *conf->transactional_id) {
                        snprintf(txid, sizeof(txid), "transactional.id=%s-%d",
                                 conf->transactional_id, w->index);
                } else {
                        if (gethostname(host, sizeof(host)))
                                snprintf(host, sizeof(host), "localhost");
                        host[sizeof(host) - 1] = '\0';
                        snprintf(txid, sizeof(txid),
                                 "transactional.id=%s-%s-%d", conf->group,
                                 host, w->index);
                }
                rc |= strlist_add(&w->producer_props, txid);
                rc |= strlist_add(&w->consumer_props,
                                  "enable.auto.commit=false");
                rc |= strlist_add(&w->consumer_props,
                                  "isolation.level=read_committed");
        }
        if (rc)
                snprintf(errstr, errstr_size, "out of memory");
        return rc ? -1 : 0;
}

/* The partition count of the state topic, 0 when it is off or does not
 * exist (a warning: records then say changed: null after a refetch). */
static int32_t state_partitions(worker_t *w)
{
        const char *topic = w->conf->state_topic;
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt;
        int32_t n = 0;

        if (!topic || !*topic)
                return 0;
        rkt = rd_kafka_topic_new(w->producer, topic, NULL);
        if (rkt &&
            !rd_kafka_metadata(w->producer, 0, rkt, &md,
                               TOPIC_LIMIT_WAIT_MS) &&
            md && md->topic_cnt == 1 && !md->topics[0].err)
                n = md->topics[0].partition_cnt;
        if (md)
                rd_kafka_metadata_destroy(md);
        if (rkt)
                rd_kafka_topic_destroy(rkt);
        if (n <= 0 && w->index == 0)
                LOGF(LOG_WARN,
                     "--state-topic does not exist: no content states are "
                     "written (records of refetched pages say changed: "
                     "null; --state-topic '' silences this)",
                     LOG_S("topic", topic));
        return n > 0 ? n : 0;
}

worker_t *worker_new(int index, const cleaner_config_t *conf,
                     const strlist_t *kafka_props, budget_t *budget,
                     char *errstr, size_t errstr_size)
{
        worker_t *w = calloc(1, sizeof(*w));

        if (!w) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        w->index = index;
        w->conf = conf;
        w->eos = conf->exactly_once;
        worker_metrics(w);
        w->offsets = offsets_new();
        w->txn_offsets = rd_kafka_topic_partition_list_new(8);
        if (!w->offsets || !w->txn_offsets) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        if (worker_props(w, kafka_props, errstr, errstr_size))
                goto out;
        w->discover =
                discover_new(conf->sitemap_max_depth, budget,
                             (size_t)conf->max_link_meta, conf->urls_topic);
        if (!w->discover) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        if (conf->follow) {
                w->links = links_new((links_scope_t)conf->scope,
                                     conf->max_depth, conf->urls_topic);
                if (!w->links) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto out;
                }
                links_set_limits(w->links, (size_t)conf->max_links_per_page,
                                 (size_t)conf->max_link_meta);
        }
        /* The consumer first: its handle reads the topics' limits, which
         * size the producer (a batch over the topic's max.message.bytes
         * would be refused whole). */
        w->consumer = kafka_consumer_new(conf->brokers, conf->group,
                                         &w->consumer_props, on_rebalance, w,
                                         errstr, errstr_size);
        if (!w->consumer)
                goto out;
        {
                const char *out_topics[] = { conf->records_topic,
                                             conf->errors_topic };
                long long topic_max = kafka_topics_max_bytes(
                        w->consumer, out_topics, 2, TOPIC_LIMIT_WAIT_MS);
                size_t max = (size_t)conf->max_body + 65536, producer_max;

                if (topic_max > KAFKA_FRAMING_BYTES && (size_t)topic_max < max)
                        max = (size_t)topic_max;
                w->producer = kafka_producer_new(
                        conf->brokers, &w->producer_props, max, on_delivery, w,
                        errstr, errstr_size);
                if (!w->producer)
                        goto out;
                /* -X message.max.bytes may have set it lower still. */
                producer_max = kafka_producer_max_bytes(w->producer);
                if (producer_max && producer_max < max)
                        max = producer_max;
                w->record_limit = max > KAFKA_FRAMING_BYTES
                                          ? max - KAFKA_FRAMING_BYTES
                                          : 0;
                LOGF(LOG_INFO, "records topic limit",
                     LOG_I("worker", w->index),
                     LOG_I("max_message_bytes", topic_max),
                     LOG_I("record_limit", w->record_limit));
        }
        w->state_parts = state_partitions(w);
        if (w->eos) {
                rd_kafka_error_t *error = rd_kafka_init_transactions(
                        w->producer, TXN_TIMEOUT_MS);

                /* Fences an older producer with our transactional.id and
                 * aborts the transaction it left open (after a crash). */
                if (error) {
                        snprintf(errstr, errstr_size,
                                 "--exactly-once: "
                                 "init_transactions: %s",
                                 rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                        goto out;
                }
        }
        if (kafka_subscribe(w->consumer, conf->pages_topic, errstr,
                            errstr_size))
                goto out;
        return w;
out:
        worker_destroy(w);
        return NULL;
}

int worker_start(worker_t *w)
{
        if (pthread_create(&w->thread, NULL, worker_main, w))
                return -1;
        w->started = true;
        return 0;
}

int worker_join(worker_t *w)
{
        if (w->started) {
                pthread_join(w->thread, NULL);
                w->started = false;
        }
        return w->fatal ? -1 : 0;
}

void worker_set_rules(worker_t *w, rules_holder_t *holder)
{
        w->rules_holder = holder;
        w->rules_gen = 0; /* takes the holder's set before its first page */
}

uint64_t worker_links(const worker_t *w)
{
        return w->n_links;
}

uint64_t worker_records(const worker_t *w)
{
        return w->n_records;
}

uint64_t worker_errors(const worker_t *w)
{
        return w->n_errors;
}

void worker_destroy(worker_t *w)
{
        if (!w)
                return;
        worker_join(w);
        /* The producer goes first: its last delivery reports may store
         * offsets on the consumer. */
        for (size_t i = 0; i < w->n_link_topics; i++)
                rd_kafka_topic_destroy(w->link_topics[i]);
        if (w->producer)
                rd_kafka_destroy(w->producer);
        if (w->consumer)
                rd_kafka_destroy(w->consumer);
        offsets_destroy(w->offsets);
        if (w->txn_offsets)
                rd_kafka_topic_partition_list_destroy(w->txn_offsets);
        strlist_free(&w->consumer_props);
        strlist_free(&w->producer_props);
        links_destroy(w->links);
        discover_destroy(w->discover);
        rules_unref(w->rules);
        free(w);
}
