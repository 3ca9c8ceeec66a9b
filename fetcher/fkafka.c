/*
 * fkafka.c — the Kafka side of the loop (see fkafka.h): producing with
 * headers, the partition of a host key (topic metadata, cached), pausing,
 * resuming and rewinding one partition, storing a commit point.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fetcher_int.h"
#include "fkafka.h"
#include "kafka.h"
#include "log.h"
#include "utf8.h"

/* Produces value/key/headers to topic[partition] (RD_KAFKA_PARTITION_UA:
 * the producer's partitioner); QUEUE_FULL is back-pressure (delivery
 * reports only queue jobs on f->done, so polling here is safe).
 * librdkafka owns `hdrs` on success. */
rd_kafka_resp_err_t fkafka_produce(fetcher_t *f, const char *topic,
                                   int32_t partition, const void *key,
                                   size_t key_len, const void *value,
                                   size_t value_len, rd_kafka_headers_t *hdrs,
                                   void *opaque)
{
        return kafka_produce_to(f->producer, topic, partition, key, key_len,
                                value, value_len, hdrs, opaque,
                                PRODUCE_WAIT_MS);
}

void fkafka_header_add(rd_kafka_headers_t *h, const char *name,
                       const char *val)
{
        size_t len;
        char *fixed = NULL;

        if (!val)
                return;
        /* Header values are UTF-8 text by contract; a server's bytes (a
         * Content-Type with Latin-1 in it) are repaired, not passed on. */
        len = strlen(val);
        if (utf8_valid_prefix((const unsigned char *)val, len) != len &&
            !utf8_repair((const unsigned char *)val, len, 0, &fixed, &len))
                val = fixed;
        rd_kafka_header_add(h, name, -1, val, (ssize_t)len);
        free(fixed);
}

/* The partition count of `topic` (cached), or -1 when unknown. */
static int32_t topic_partitions(fetcher_t *f, const char *topic)
{
        int64_t now = clock_mono_ms();
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt;
        rd_kafka_resp_err_t err;
        tmeta_t *m;

        for (m = f->meta; m; m = m->next)
                if (!strcmp(m->topic, topic))
                        break;
        if (m && now - m->fetched_ms < META_TTL_MS)
                return m->partitions;
        rkt = rd_kafka_topic_new(f->producer, topic, NULL);
        if (!rkt)
                return m ? m->partitions : -1;
        err = rd_kafka_metadata(f->producer, 0, rkt, &md, META_TIMEOUT_MS);
        rd_kafka_topic_destroy(rkt);
        if (err || !md || md->topic_cnt != 1 || md->topics[0].err ||
            md->topics[0].partition_cnt <= 0) {
                if (md)
                        rd_kafka_metadata_destroy(md);
                LOGF(LOG_WARN, "no partition count for topic",
                     LOG_S("topic", topic),
                     LOG_S("err", rd_kafka_err2str(err)));
                return m ? m->partitions : -1;
        }
        if (!m) {
                m = calloc(1, sizeof(*m));
                if (m)
                        m->topic = strdup(topic);
                if (!m || !m->topic) {
                        free(m);
                        rd_kafka_metadata_destroy(md);
                        return -1;
                }
                m->next = f->meta;
                f->meta = m;
        }
        m->partitions = md->topics[0].partition_cnt;
        m->fetched_ms = now;
        rd_kafka_metadata_destroy(md);
        return m->partitions;
}

/* The partition of host key `key` on `topic` by Kafka's murmur2
 * partitioner (librdkafka's own implementation), or -1 when unknown. */
int32_t fkafka_partition_of(fetcher_t *f, const char *topic, const char *key)
{
        int32_t cnt = topic_partitions(f, topic);

        if (cnt <= 0)
                return -1;
        return rd_kafka_msg_partitioner_murmur2(NULL, key, strlen(key), cnt,
                                                NULL, NULL);
}

void fkafka_pause_partition(fetcher_t *f, const char *topic, int32_t part,
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

void fkafka_seek(fetcher_t *f, const char *topic, int32_t part, int64_t offset)
{
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(1);
        rd_kafka_error_t *error;

        rd_kafka_topic_partition_list_add(l, topic, part)->offset = offset;
        error = rd_kafka_seek_partitions(f->consumer, l, 0);
        if (error) {
                LOGF(LOG_WARN, "seek failed", LOG_S("topic", topic),
                     LOG_S("err", rd_kafka_error_string(error)));
                rd_kafka_error_destroy(error);
        }
        rd_kafka_topic_partition_list_destroy(l);
}
