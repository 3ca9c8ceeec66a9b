/*
 * kafkastats.h — the Kafka side of the metrics, the same in both stages:
 * delivery latency and produce errors from the producers' delivery
 * reports, and consumer lag from librdkafka's statistics.
 *
 *   kcrawl_kafka_delivery_seconds      histogram, produce() to ack
 *   kcrawl_kafka_produce_errors_total  counter: failed produce() calls and
 *                                      failed deliveries
 *   kcrawl_kafka_consumer_lag          gauge: messages behind the end of
 *                                      the assigned partitions, summed
 *                                      over the process's consumers
 *
 * Consumer lag needs `statistics.interval.ms` and kafkastats_stats_cb()
 * installed on the consumer's configuration (rd_kafka_conf_set_stats_cb).
 */
#ifndef KCRAWL_KAFKASTATS_H
#define KCRAWL_KAFKASTATS_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

/* Registers the series (main thread, before clients start). Idempotent. */
void kafkastats_init(void);

/* Call from every delivery report callback (any thread). */
void kafkastats_delivery(const rd_kafka_message_t *msg);

/* Call when produce() itself fails (after back-pressure retries). */
void kafkastats_produce_failed(rd_kafka_resp_err_t err);

/*
 * A stats_cb for consumers: reads the lag of this client's assigned
 * partitions and updates kcrawl_kafka_consumer_lag. Returns 0 (librdkafka
 * frees `json`). Called on the thread that polls the consumer.
 */
int kafkastats_stats_cb(rd_kafka_t *rk, char *json, size_t json_len,
                        void *opaque);

/*
 * The sum of consumer_lag over the partitions a consumer's statistics show
 * as assigned ("desired") with a known lag; the client's name goes to
 * `name` (bounded). Returns -1 when `json` is not a consumer's statistics.
 */
long long kafkastats_consumer_lag(const char *json, size_t json_len,
                                  char *name, size_t name_size);

#endif /* KCRAWL_KAFKASTATS_H */
