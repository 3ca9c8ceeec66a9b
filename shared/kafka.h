/*
 * kafka.h — Kafka clients set up the pipeline's way.
 *
 * Every client starts from the pipeline's defaults, then takes the
 * operator's -X key=value properties unchanged (librdkafka validates them:
 * SASL, SSL, compression and tuning need no code here).
 *
 * Consumers: a consumer group starting from the earliest offset, the eager
 * `range,roundrobin` assignor (Debian's librdkafka 2.0.2 predates fixes to
 * cooperative-sticky; it stays an -X choice), offsets stored by the
 * application only once work is finished (enable.auto.offset.store=false)
 * and committed in the background.
 *
 * Producers: idempotent, compressed, with delivery reports that carry the
 * message's opaque back to the caller.
 */
#ifndef KCRAWL_KAFKA_H
#define KCRAWL_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "options.h"

/*
 * A new consumer for `group` on `brokers`, with the -X `props`. Returns
 * NULL with a one-line reason in errstr (a bad -X property names itself).
 * The consumer's main queue is redirected to the consumer queue, so one
 * rd_kafka_consumer_poll() serves messages, rebalances, errors and logs.
 * `rebalance_cb` may be NULL (librdkafka's default assign/unassign).
 */
rd_kafka_t *kafka_consumer_new(
        const char *brokers, const char *group, const strlist_t *props,
        void (*rebalance_cb)(rd_kafka_t *, rd_kafka_resp_err_t,
                             rd_kafka_topic_partition_list_t *, void *),
        void *opaque, char *errstr, size_t errstr_size);

/*
 * A new idempotent producer. `dr_cb` receives every delivery report (its
 * rkmessage->_private is the opaque given to kafka_produce()); served by
 * rd_kafka_poll() on this handle. `max_message_bytes` sizes
 * message.max.bytes for the largest message the caller will produce.
 */
rd_kafka_t *kafka_producer_new(
        const char *brokers, const strlist_t *props, size_t max_message_bytes,
        void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
        void *opaque, char *errstr, size_t errstr_size);

/*
 * Subscribes to a comma-separated list of topics (or ^regex patterns).
 * Returns 0, or -1 with a reason in errstr.
 */
int kafka_subscribe(rd_kafka_t *rk, const char *topics, char *errstr,
                    size_t errstr_size);

/*
 * Produces one message (value and key copied). `hdrs` may be NULL; on
 * success librdkafka takes ownership of it, on failure the caller keeps it.
 * QUEUE_FULL is back-pressure: the producer is polled (serving delivery
 * reports) and the message retried until `timeout_ms` has passed; a message
 * is never dropped silently. Returns RD_KAFKA_RESP_ERR_NO_ERROR or the
 * error; `opaque` comes back in the delivery report.
 */
rd_kafka_resp_err_t kafka_produce(rd_kafka_t *rk, const char *topic,
                                  const void *key, size_t key_len,
                                  const void *value, size_t value_len,
                                  rd_kafka_headers_t *hdrs, void *opaque,
                                  int timeout_ms);

/* kafka_produce() to one partition (RD_KAFKA_PARTITION_UA: the
 * producer's partitioner). */
rd_kafka_resp_err_t kafka_produce_to(rd_kafka_t *rk, const char *topic,
                                     int32_t partition, const void *key,
                                     size_t key_len, const void *value,
                                     size_t value_len,
                                     rd_kafka_headers_t *hdrs, void *opaque,
                                     int timeout_ms);

/*
 * Closes a consumer within `timeout_ms`: leaves the group (serving the
 * revoke through the consumer's rebalance callback) and commits what is
 * stored, as rd_kafka_consumer_close() does, but never waits longer, so a
 * broker that is gone cannot hold up a stop. Then destroys the handle.
 * Returns 0 when it closed in time, -1 when it was abandoned (what was not
 * committed is read again by the partitions' next owner).
 */
int kafka_consumer_close_destroy(rd_kafka_t *rk, int timeout_ms);

/*
 * Reads header `name` of a consumed message as a new NUL-terminated string
 * (caller frees), or NULL when absent. The last header of that name wins.
 */
char *kafka_header_dup(const rd_kafka_message_t *msg, const char *name);

/* True when name[0..len) is a legal Kafka topic name: 1 to 249 bytes of
 * ASCII letters, digits, '.', '_' and '-' (the brokers' rule). */
bool kafka_topic_name_valid(const char *name, size_t len);

/* Kafka's default max.message.bytes (1 MiB + 12): the limit assumed for a
 * topic whose configuration cannot be read. */
#define KAFKA_DEFAULT_MAX_MESSAGE_BYTES 1048588

/* Room left in a message limit for the record batch and record framing,
 * the key and the headers aside (Kafka counts the batch, not the value). */
#define KAFKA_FRAMING_BYTES 512

/*
 * The topic's max.message.bytes as the brokers report it (DescribeConfigs
 * through any handle `rk`: its default comes from the brokers'
 * message.max.bytes). Returns the limit, or -1 with a reason in errstr
 * (no answer within timeout_ms, no such topic, not authorised). Blocks.
 */
long long kafka_topic_max_bytes(rd_kafka_t *rk, const char *topic,
                                int timeout_ms, char *errstr,
                                size_t errstr_size);

/*
 * The topic's integer setting `name` (retention.ms, max.message.bytes...)
 * as the brokers report it, into *val (it may be -1: retention.ms for
 * "forever"). Returns 0, or -1 with a reason in errstr. Blocks.
 */
int kafka_topic_config_ll(rd_kafka_t *rk, const char *topic, const char *name,
                          int timeout_ms, long long *val, char *errstr,
                          size_t errstr_size);

/*
 * The smallest max.message.bytes of the comma-free topic names in
 * topics[0, n) (NULL names skipped), falling back for each unreadable one
 * to KAFKA_DEFAULT_MAX_MESSAGE_BYTES with a warning in the log: what a
 * producer writing to all of them may send. Blocks up to timeout_ms per
 * topic.
 */
long long kafka_topics_max_bytes(rd_kafka_t *rk, const char *const *topics,
                                 size_t n, int timeout_ms);

/* The producer's effective message.max.bytes (0 when unreadable). */
size_t kafka_producer_max_bytes(rd_kafka_t *rk);

#endif /* KCRAWL_KAFKA_H */
