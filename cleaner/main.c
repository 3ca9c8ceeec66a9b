/*
 * cleaner — pages from Kafka in, structured records to Kafka out.
 *
 * The CPU-bound stage: --workers consumer-group members, one thread each,
 * and as many processes on as many machines as the group needs. See
 * worker.h for a worker and extract.h for what a record holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <librdkafka/rdkafka.h>

#include "config.h"
#include "kafkastats.h"
#include "links.h"
#include "log.h"
#include "progress.h"
#include "reload.h"
#include "rules.h"
#include "signals.h"
#include "startup.h"
#include "worker.h"
#include "xmlarena.h"

/* What the progress line and the stats summary show (metrics.h names). */
static const progress_spec_t cleaner_progress = {
        .done = { "kcrawl_cleaner_records_total",
                  "kcrawl_cleaner_errors_total" },
        .errors = { "kcrawl_cleaner_errors_total" },
        .level = "kcrawl_kafka_consumer_lag",
        .level_name = "lag",
};

int main(int argc, char **argv)
{
        const startup_spec_t spec = {
                .prog = "cleaner",
                .summary =
                        "Parse fetched pages from Kafka into structured JSON "
                        "records, one worker per core.",
                .defs = cleaner_options,
                .ndefs = cleaner_options_count,
        };
        cleaner_config_t conf = { 0 };
        worker_t **workers = NULL;
        rules_holder_t *holder = NULL;
        budget_t *budget = NULL;
        rules_t *rules = NULL;
        uint64_t records = 0, errors = 0, links = 0;
        char errstr[512];
        opts_t opts;
        long n = 0;
        int rc;

        if (startup_begin(&opts, &spec, &conf, argc, argv, &rc))
                return rc;
        /* libxml2's allocator (the pages' arenas, xmlarena.h) and
         * xmlInitParser(): once, before any worker thread parses. */
        xmlarena_setup();

        if (conf.rules) {
                rules = rules_load(conf.rules, errstr, sizeof(errstr));
                if (!rules) {
                        fprintf(stderr, "cleaner: --rules: %s\n", errstr);
                        rc = 2;
                        goto out;
                }
        }
        holder = rules_holder_new(rules); /* takes the rules */
        if (!holder || reload_install()) {
                fprintf(stderr, "cleaner: initialisation failed\n");
                rc = 1;
                goto out;
        }

        n = conf.workers ? conf.workers : sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1)
                n = 1;
        workers = calloc((size_t)n, sizeof(*workers));
        if (!workers) {
                fprintf(stderr, "cleaner: out of memory\n");
                rc = 1;
                goto out;
        }
        kafkastats_init();
        /* One discovery budget for all the workers: per host and process. */
        budget = budget_new(conf.discovery_budget,
                            (size_t)conf.discovery_hosts);
        if (!budget) {
                fprintf(stderr, "cleaner: out of memory\n");
                rc = 1;
                goto out;
        }
        for (long i = 0; i < n; i++) {
                workers[i] = worker_new((int)i, &conf, &opts.kafka, budget,
                                        errstr, sizeof(errstr));
                if (!workers[i]) {
                        fprintf(stderr, "cleaner: %s\n", errstr);
                        rc = 2;
                        goto out;
                }
                worker_set_rules(workers[i], holder);
        }
        if (progress_watch_start(conf.metrics_addr, conf.stats_interval,
                                 &cleaner_progress, errstr, sizeof(errstr))) {
                fprintf(stderr, "cleaner: %s\n", errstr);
                rc = 2;
                goto out;
        }
        LOGF(LOG_INFO, "cleaner started", LOG_S("brokers", conf.brokers),
             LOG_S("group", conf.group),
             LOG_S("pages_topic", conf.pages_topic), LOG_I("workers", n));
        for (long i = 0; i < n; i++) {
                if (worker_start(workers[i])) {
                        LOG(LOG_ERROR, "cannot start a worker thread");
                        signals_stop = 1;
                        rc = 1;
                        break;
                }
        }
        reload_run(holder, conf.rules); /* until SIGTERM or a fatal worker */
        for (long i = 0; i < n; i++) {
                if (worker_join(workers[i]))
                        rc = 1;
                records += worker_records(workers[i]);
                errors += worker_errors(workers[i]);
                links += worker_links(workers[i]);
        }
        LOGF(LOG_INFO, "cleaner stopped", LOG_I("records", records),
             LOG_I("errors", errors), LOG_I("links", links));
out:
        progress_watch_stop();
        for (long i = 0; workers && i < n; i++)
                worker_destroy(workers[i]);
        free(workers);
        budget_destroy(budget);
        rules_holder_destroy(holder);
        xmlCleanupParser();
        opts_free(&opts);
        return rc;
}
