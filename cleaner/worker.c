/*
 * worker.c — one cleaner consumer-group member (see worker.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "deadletter.h"
#include "extract.h"
#include "kafka.h"
#include "log.h"
#include "offsets.h"
#include "signals.h"
#include "worker.h"

#define POLL_MS         100
#define PRODUCE_WAIT_MS 30000

/* What a delivery report needs to advance the commit point. */
typedef struct pending {
        char    *topic;
        int32_t  partition;
        int64_t  offset;
} pending_t;

struct worker {
        int                     index;
        const cleaner_config_t *conf;
        rd_kafka_t             *consumer;
        rd_kafka_t             *producer;
        offsets_t              *offsets;
        pthread_t               thread;
        bool                    started;
        bool                    fatal;
        uint64_t                n_records, n_errors;
};

/* ---- outcomes -------------------------------------------------------- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                        void *opaque)
{
        worker_t *w = opaque;
        pending_t *p = msg->_private;
        int64_t next;

        if (!p)
                return;
        if (msg->err) {
                LOGF(LOG_ERROR, "delivery failed",
                     LOG_I("worker", w->index),
                     LOG_S("topic", rd_kafka_topic_name(msg->rkt)),
                     LOG_S("err", rd_kafka_err2str(msg->err)));
                w->fatal = true; /* its offset is never stored */
                goto out;
        }
        next = offsets_done(w->offsets, p->topic, p->partition, p->offset);
        if (next >= 0) {
                rd_kafka_topic_partition_list_t *list =
                        rd_kafka_topic_partition_list_new(1);

                rd_kafka_topic_partition_list_add(list, p->topic,
                                                  p->partition)->offset = next;
                rd_kafka_offsets_store(w->consumer, list);
                rd_kafka_topic_partition_list_destroy(list);
        }
out:
        free(p->topic);
        free(p);
}

/* Produces value to topic; the delivery report finishes `p`. */
static int produce(worker_t *w, const char *topic, const char *key,
                   size_t key_len, const char *value, size_t len,
                   pending_t *p)
{
        rd_kafka_resp_err_t err = kafka_produce(w->producer, topic, key,
                                                key_len, value, len, NULL, p,
                                                PRODUCE_WAIT_MS);

        if (err) {
                LOGF(LOG_ERROR, "cannot produce", LOG_I("worker", w->index),
                     LOG_S("topic", topic),
                     LOG_S("err", rd_kafka_err2str(err)));
                w->fatal = true;
                return -1;
        }
        return 0;
}

static void dead_letter(worker_t *w, const rd_kafka_message_t *msg,
                        const char *url, const char *code,
                        const char *message, pending_t *p)
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

        if (deadletter_json(&dl, &json, &len)) {
                w->fatal = true;
                return;
        }
        if (url)
                produce(w, w->conf->errors_topic, url, strlen(url), json,
                        len, p);
        else
                produce(w, w->conf->errors_topic, msg->key, msg->key_len,
                        json, len, p);
        free(json);
        w->n_errors++;
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

/* ---- one page -------------------------------------------------------- */

static void handle_page(worker_t *w, const rd_kafka_message_t *msg)
{
        pending_t *p = calloc(1, sizeof(*p));
        page_t page = { 0 };
        char *url = NULL, *final_url = NULL, *ctype = NULL, *fetched_at =
                NULL, *source_topic = NULL, *id = NULL, *meta = NULL;
        char *record = NULL, why[512];
        size_t record_len = 0;
        bool has_status, has_depth;

        if (p)
                p->topic = strdup(rd_kafka_topic_name(msg->rkt));
        if (!p || !p->topic ||
            offsets_begin(w->offsets, p->topic, msg->partition,
                          msg->offset)) {
                LOG(LOG_ERROR, "out of memory taking a page");
                if (p)
                        free(p->topic);
                free(p);
                w->fatal = true;
                return;
        }
        p->partition = msg->partition;
        p->offset = msg->offset;

        url = kafka_header_dup(msg, "url");
        fetched_at = kafka_header_dup(msg, "fetched_at");
        page.status = (int)header_long(msg, "status", 999, &has_status);
        if (!url || !fetched_at || !has_status) {
                snprintf(why, sizeof(why), "page without the %s header",
                         !url ? "url" : !fetched_at ? "fetched_at" :
                         "status");
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
        ctype = kafka_header_dup(msg, "content_type");
        source_topic = kafka_header_dup(msg, "source_topic");
        id = kafka_header_dup(msg, "id");
        meta = kafka_header_dup(msg, "meta");
        page.depth = header_long(msg, "depth", 1000000, &has_depth);
        page.url = url;
        page.final_url = final_url;
        page.content_type = ctype;
        page.fetched_at = fetched_at;
        page.source_topic = source_topic;
        page.id = id;
        page.meta = meta;
        page.body = msg->payload;
        page.body_len = msg->len;

        if (extract_record(&page, &record, &record_len, why, sizeof(why))) {
                dead_letter(w, msg, url, "parse_failed", why, p);
                goto out;
        }
        if (!produce(w, w->conf->records_topic, url, strlen(url), record,
                     record_len, p))
                w->n_records++;
out:
        free(record);
        free(url);
        free(final_url);
        free(ctype);
        free(fetched_at);
        free(source_topic);
        free(id);
        free(meta);
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
        /* Deliver what is finished so its offsets can be committed. */
        rd_kafka_flush(w->producer, 5000);
        rd_kafka_commit(rk, NULL, 0);
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
                if (!msg)
                        continue;
                if (msg->err) {
                        if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                LOGF(LOG_WARN, "consumer error",
                                     LOG_I("worker", w->index),
                                     LOG_S("err",
                                           rd_kafka_message_errstr(msg)));
                } else {
                        handle_page(w, msg);
                }
                rd_kafka_message_destroy(msg);
        }
        /* Deliver what was produced, store its offsets, commit. */
        rd_kafka_flush(w->producer, (int)w->conf->drain_timeout * 1000);
        if (!w->fatal) {
                err = rd_kafka_commit(w->consumer, NULL, 0);
                if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                        LOGF(LOG_WARN, "final commit failed",
                             LOG_I("worker", w->index),
                             LOG_S("err", rd_kafka_err2str(err)));
        }
        rd_kafka_consumer_close(w->consumer);
        return NULL;
}

worker_t *worker_new(int index, const cleaner_config_t *conf,
                     const strlist_t *kafka_props, char *errstr,
                     size_t errstr_size)
{
        worker_t *w = calloc(1, sizeof(*w));

        if (!w) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        w->index = index;
        w->conf = conf;
        w->offsets = offsets_new();
        if (!w->offsets) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        w->producer = kafka_producer_new(conf->brokers, kafka_props,
                                         (size_t)conf->max_body + 65536,
                                         on_delivery, w, errstr, errstr_size);
        if (!w->producer)
                goto fail;
        w->consumer = kafka_consumer_new(conf->brokers, conf->group,
                                         kafka_props, on_rebalance, w,
                                         errstr, errstr_size);
        if (!w->consumer)
                goto fail;
        if (kafka_subscribe(w->consumer, conf->pages_topic, errstr,
                            errstr_size))
                goto fail;
        return w;
fail:
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
        if (w->producer)
                rd_kafka_destroy(w->producer);
        if (w->consumer)
                rd_kafka_destroy(w->consumer);
        offsets_destroy(w->offsets);
        free(w);
}
