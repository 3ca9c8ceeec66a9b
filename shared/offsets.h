/*
 * offsets.h — at-least-once offset tracking with out-of-order completion.
 *
 * Work taken from a partition finishes in any order (transfers, delivery
 * reports), but Kafka commits one offset per partition meaning "everything
 * below is done". The tracker records each offset when its work begins and
 * marks it when the work is finished; the committable offset is the lowest
 * offset not yet finished (or one past the last when all are). Memory is
 * bounded by the work in flight, which the caller bounds.
 *
 * Not thread-safe: each consumer (the fetcher's loop, each cleaner worker)
 * owns one tracker.
 */
#ifndef KCRAWL_OFFSETS_H
#define KCRAWL_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

typedef struct offsets offsets_t;

offsets_t *offsets_new(void);
void offsets_destroy(offsets_t *ot);

/*
 * Records that work on (topic, partition, offset) began. Offsets of one
 * partition must begin in increasing order (as a consumer reads them).
 * Returns 0, or -1 on allocation failure.
 */
int offsets_begin(offsets_t *ot, const char *topic, int32_t partition,
                  int64_t offset);

/*
 * Marks (topic, partition, offset) finished. Returns the new committable
 * offset when the partition's low-water mark moved, else -1 (also when the
 * offset is unknown, e.g. its partition was revoked meanwhile).
 */
int64_t offsets_done(offsets_t *ot, const char *topic, int32_t partition,
                     int64_t offset);

/*
 * Marks (topic, partition, offset) finished like offsets_done(), and when
 * the low-water mark moved stores it on consumer for the next commit
 * (consumer NULL, e.g. once closed: only marks). A partition revoked
 * meanwhile cannot be stored and is no error: its new owner fetches from
 * the last commit (at-least-once). Any other store error is logged.
 * Returns 0, or -1 when the store failed.
 */
int offsets_done_store(offsets_t *ot, rd_kafka_t *consumer, const char *topic,
                       int32_t partition, int64_t offset);

/* Forgets a partition (revoked): later offsets_done() for it return -1. */
void offsets_forget(offsets_t *ot, const char *topic, int32_t partition);

/* Offsets begun and not yet finished, over all partitions. */
size_t offsets_pending(const offsets_t *ot);

#endif /* KCRAWL_OFFSETS_H */
