/*
 * worker.h — one cleaner worker: a consumer-group member with its own
 * consumer and producer, on its own thread, sharing nothing mutable with
 * the other workers but the discovery budget (budget.h, thread-safe).
 *
 * Each page becomes one record on the records topic, or one error object
 * on the errors topic. A page's offset is stored for commit only after its
 * outcome's delivery report, at the partition's low-water mark
 * (at-least-once; the producer is idempotent). With --exactly-once the
 * outcomes of a batch of pages and the batch's input offsets are committed
 * in one Kafka transaction instead (consume-transform-produce, KIP-447).
 */
#ifndef KCRAWL_WORKER_H
#define KCRAWL_WORKER_H

#include <stdint.h>

#include "budget.h"
#include "config.h"
#include "rules.h"

typedef struct worker worker_t;

/*
 * Builds worker number `index` (its clients are named after it). `conf`,
 * `kafka_props` and `budget` (the process's discovery budget, shared by
 * all its workers: the one mutable thing they share, thread-safe) must
 * outlive it. Returns NULL with a reason in errstr.
 */
worker_t *worker_new(int index, const cleaner_config_t *conf,
                     const strlist_t *kafka_props, budget_t *budget,
                     char *errstr, size_t errstr_size);

/* Starts the worker's thread. Returns 0 or -1. */
int worker_start(worker_t *w);

/*
 * Waits for the thread, which runs until signals_stop is raised, then
 * delivers what it finished, commits and closes. Returns 0, or -1 when the
 * worker stopped on a fatal error.
 */
int worker_join(worker_t *w);

/*
 * Gives the worker the process's rule set holder (rules.h; must outlive
 * the worker). Call before worker_start(). The worker takes the holder's
 * current set before its first page and a new one between pages after
 * each reload.
 */
void worker_set_rules(worker_t *w, rules_holder_t *holder);

/* Followed links published, once joined. */
uint64_t worker_links(const worker_t *w);

/* Pages turned into records and into errors, once joined. */
uint64_t worker_records(const worker_t *w);
uint64_t worker_errors(const worker_t *w);

void worker_destroy(worker_t *w);

#endif /* KCRAWL_WORKER_H */
