/*
 * offsets.c — per-partition low-water marks (see offsets.h).
 *
 * Each partition keeps a ring of the offsets in flight in the order they
 * began, with a done flag; finishing the head advances the low-water mark
 * past every finished offset behind it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "offsets.h"

typedef struct slot {
        int64_t offset;
        bool done;
} slot_t;

typedef struct part {
        char *topic;
        int32_t partition;
        slot_t *ring;
        size_t cap, head, len;
} part_t;

struct offsets {
        part_t *parts;
        size_t nparts, cap;
        size_t pending;
};

offsets_t *offsets_new(void)
{
        return calloc(1, sizeof(offsets_t));
}

static void part_free(part_t *p)
{
        free(p->topic);
        free(p->ring);
}

void offsets_destroy(offsets_t *ot)
{
        if (!ot)
                return;
        for (size_t i = 0; i < ot->nparts; i++)
                part_free(&ot->parts[i]);
        free(ot->parts);
        free(ot);
}

static part_t *part_find(offsets_t *ot, const char *topic, int32_t partition)
{
        for (size_t i = 0; i < ot->nparts; i++)
                if (ot->parts[i].partition == partition &&
                    !strcmp(ot->parts[i].topic, topic))
                        return &ot->parts[i];
        return NULL;
}

static part_t *part_add(offsets_t *ot, const char *topic, int32_t partition)
{
        part_t *p;

        if (ot->nparts == ot->cap) {
                size_t cap = ot->cap ? ot->cap * 2 : 8;
                part_t *parts = realloc(ot->parts, cap * sizeof(*parts));

                if (!parts)
                        return NULL;
                ot->parts = parts;
                ot->cap = cap;
        }
        p = &ot->parts[ot->nparts];
        memset(p, 0, sizeof(*p));
        p->topic = strdup(topic);
        if (!p->topic)
                return NULL;
        p->partition = partition;
        ot->nparts++;
        return p;
}

static int ring_grow(part_t *p)
{
        size_t cap = p->cap ? p->cap * 2 : 64;
        slot_t *ring = malloc(cap * sizeof(*ring));

        if (!ring)
                return -1;
        for (size_t i = 0; i < p->len; i++)
                ring[i] = p->ring[(p->head + i) % p->cap];
        free(p->ring);
        p->ring = ring;
        p->cap = cap;
        p->head = 0;
        return 0;
}

int offsets_begin(offsets_t *ot, const char *topic, int32_t partition,
                  int64_t offset)
{
        part_t *p = part_find(ot, topic, partition);

        if (!p)
                p = part_add(ot, topic, partition);
        if (!p)
                return -1;
        if (p->len == p->cap && ring_grow(p))
                return -1;
        p->ring[(p->head + p->len) % p->cap] = (slot_t){ offset, false };
        p->len++;
        ot->pending++;
        return 0;
}

int64_t offsets_done(offsets_t *ot, const char *topic, int32_t partition,
                     int64_t offset)
{
        part_t *p = part_find(ot, topic, partition);
        int64_t last = -1;
        size_t lo, hi;

        if (!p || !p->len)
                return -1;
        /* Offsets in the ring increase: binary search. */
        lo = 0;
        hi = p->len;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int64_t o = p->ring[(p->head + mid) % p->cap].offset;

                if (o < offset)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == p->len ||
            p->ring[(p->head + lo) % p->cap].offset != offset ||
            p->ring[(p->head + lo) % p->cap].done)
                return -1;
        p->ring[(p->head + lo) % p->cap].done = true;
        ot->pending--;

        while (p->len && p->ring[p->head].done) {
                last = p->ring[p->head].offset;
                p->head = (p->head + 1) % p->cap;
                p->len--;
        }
        if (last < 0)
                return -1;
        return p->len ? p->ring[p->head].offset : last + 1;
}

void offsets_forget(offsets_t *ot, const char *topic, int32_t partition)
{
        part_t *p = part_find(ot, topic, partition);

        if (!p)
                return;
        for (size_t i = 0; i < p->len; i++)
                if (!p->ring[(p->head + i) % p->cap].done)
                        ot->pending--;
        part_free(p);
        *p = ot->parts[--ot->nparts];
}

size_t offsets_pending(const offsets_t *ot)
{
        return ot->pending;
}

int offsets_done_store(offsets_t *ot, rd_kafka_t *consumer, const char *topic,
                       int32_t partition, int64_t offset)
{
        rd_kafka_topic_partition_list_t *list;
        rd_kafka_resp_err_t err;
        int64_t next = offsets_done(ot, topic, partition, offset);

        if (next < 0 || consumer == NULL)
                return 0;
        list = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(list, topic, partition)->offset =
                next;
        err = rd_kafka_offsets_store(consumer, list);
        rd_kafka_topic_partition_list_destroy(list);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR ||
            err == RD_KAFKA_RESP_ERR__STATE ||
            err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
                return 0;
        LOGF(LOG_WARN, "offset store failed", LOG_S("topic", topic),
             LOG_I("partition", partition),
             LOG_S("err", rd_kafka_err2str(err)));
        return -1;
}
