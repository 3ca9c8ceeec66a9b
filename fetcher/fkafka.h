/*
 * fkafka.h — the Kafka side of the loop: producing with headers, the
 * partition of a host key (topic metadata, cached), pausing, resuming and
 * rewinding one partition, storing a commit point (fkafka.c).
 */
#ifndef KCRAWL_FKAFKA_H
#define KCRAWL_FKAFKA_H

#include "fetcher_int.h"

/* Produces to topic[partition] (RD_KAFKA_PARTITION_UA: the producer's
 * partitioner); QUEUE_FULL is back-pressure, retried for a while.
 * librdkafka owns `hdrs` on success. */
rd_kafka_resp_err_t fkafka_produce(fetcher_t *f, const char *topic,
                                   int32_t partition, const void *key,
                                   size_t key_len, const void *value,
                                   size_t value_len, rd_kafka_headers_t *hdrs,
                                   void *opaque);
/* Adds a text header, invalid UTF-8 repaired to U+FFFD (nothing when
 * val is NULL). */
void fkafka_header_add(rd_kafka_headers_t *h, const char *name,
                       const char *val);
/* The partition of host key `key` on `topic` (murmur2, as Kafka's Java
 * client), or -1 when the partition count is unknown. */
int32_t fkafka_partition_of(fetcher_t *f, const char *topic, const char *key);
/* The partition count of `topic` (metadata, cached), or -1 when unknown
 * (no such topic, no answer). */
int32_t fkafka_partition_count(fetcher_t *f, const char *topic);
/* Pauses or resumes one partition. */
void fkafka_pause_partition(fetcher_t *f, const char *topic, int32_t part,
                            bool pause);
/* Rewinds partition `part` of `topic` to `offset` (its next fetch reads
 * it again); a failure is logged. */
void fkafka_seek(fetcher_t *f, const char *topic, int32_t part,
                 int64_t offset);

#endif /* KCRAWL_FKAFKA_H */
