/*
 * kafkastats.c — Kafka delivery, error and lag metrics (see kafkastats.h).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "jsonread.h"
#include "kafkastats.h"
#include "metrics.h"

#define CONSUMERS_MAX 1024 /* --workers is at most 1024 */
#define NAME_LEN 128

static mhist_t *m_delivery;
static mcounter_t *m_produce_errors;
static mgauge_t *m_lag;

/* The latest lag of each consumer of the process, by client name. */
static struct {
        char name[NAME_LEN];
        long long lag;
} lags[CONSUMERS_MAX];
static size_t nlags;
static pthread_mutex_t lags_lock = PTHREAD_MUTEX_INITIALIZER;

void kafkastats_init(void)
{
        m_delivery = metrics_histogram(
                "kcrawl_kafka_delivery_seconds", NULL,
                "Seconds from produce() to the broker's acknowledgement.",
                metrics_latency_bounds, metrics_latency_nbounds);
        m_produce_errors = metrics_counter(
                "kcrawl_kafka_produce_errors_total", NULL,
                "Messages that could not be produced or delivered.");
        m_lag = metrics_gauge(
                "kcrawl_kafka_consumer_lag", NULL,
                "Messages behind the end of the assigned partitions, from "
                "librdkafka statistics (consumer_lag).");
}

void kafkastats_delivery(const rd_kafka_message_t *msg)
{
        int64_t us = rd_kafka_message_latency(msg);

        if (msg->err)
                mcounter_add(m_produce_errors, 1);
        else if (us >= 0)
                mhist_observe(m_delivery, (double)us / 1e6);
}

void kafkastats_produce_failed(rd_kafka_resp_err_t err)
{
        if (err)
                mcounter_add(m_produce_errors, 1);
}

long long kafkastats_consumer_lag(const char *json, size_t json_len,
                                  char *name, size_t name_size)
{
        static const char *type_path[] = { "type", NULL };
        static const char *name_path[] = { "name", NULL };
        static const char *topics_path[] = { "topics", NULL };
        static const char *parts_path[] = { "partitions", NULL };
        static const char *lag_path[] = { "consumer_lag", NULL };
        static const char *desired_path[] = { "desired", NULL };
        /* librdkafka's statistics: a few levels, one entry per partition. */
        static const jsonread_caps_t caps = { (size_t)64 * 1024 * 1024, 16,
                                              0 };
        char *text = malloc(json_len + 1), err[256];
        yajl_val root = NULL, v, topics;
        long long sum = -1;

        if (!text)
                return -1;
        memcpy(text, json, json_len);
        text[json_len] = '\0';
        root = jsonread_tree(text, json_len, &caps, err, sizeof(err));
        free(text);
        if (!root)
                return -1;
        v = yajl_tree_get(root, type_path, yajl_t_string);
        if (!v || strcmp(v->u.string, "consumer"))
                goto out;
        v = yajl_tree_get(root, name_path, yajl_t_string);
        snprintf(name, name_size, "%s", v ? v->u.string : "");
        sum = 0;
        topics = yajl_tree_get(root, topics_path, yajl_t_object);
        for (size_t t = 0; topics && t < YAJL_GET_OBJECT(topics)->len; t++) {
                yajl_val parts =
                        yajl_tree_get(YAJL_GET_OBJECT(topics)->values[t],
                                      parts_path, yajl_t_object);

                for (size_t p = 0; parts && p < YAJL_GET_OBJECT(parts)->len;
                     p++) {
                        yajl_val part = YAJL_GET_OBJECT(parts)->values[p];
                        yajl_val lag =
                                yajl_tree_get(part, lag_path, yajl_t_number);
                        yajl_val desired =
                                yajl_tree_get(part, desired_path, yajl_t_any);

                        /* "-1" is the topic's unassigned-partition bucket. */
                        if (!strcmp(YAJL_GET_OBJECT(parts)->keys[p], "-1") ||
                            !lag || !YAJL_IS_INTEGER(lag) || !desired ||
                            !YAJL_IS_TRUE(desired))
                                continue;
                        if (YAJL_GET_INTEGER(lag) > 0)
                                sum += YAJL_GET_INTEGER(lag);
                }
        }
out:
        yajl_tree_free(root);
        return sum;
}

int kafkastats_stats_cb(rd_kafka_t *rk, char *json, size_t json_len,
                        void *opaque)
{
        char name[NAME_LEN];
        long long lag =
                kafkastats_consumer_lag(json, json_len, name, sizeof(name));
        long long total = 0;
        size_t i;

        if (lag < 0)
                return 0;
        pthread_mutex_lock(&lags_lock);
        for (i = 0; i < nlags && strcmp(lags[i].name, name); i++)
                ;
        if (i == nlags && nlags < CONSUMERS_MAX)
                snprintf(lags[nlags++].name, NAME_LEN, "%s", name);
        if (i < nlags)
                lags[i].lag = lag;
        for (i = 0; i < nlags; i++)
                total += lags[i].lag;
        pthread_mutex_unlock(&lags_lock);
        mgauge_set(m_lag, (double)total);
        return 0;
}
