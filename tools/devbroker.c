/*
 * devbroker — the embedded development broker.
 *
 * librdkafka's mock cluster (rdkafka_mock.h) in a small process: it creates
 * the pipeline's topics, prints its bootstrap address as the first line on
 * stdout and serves until SIGTERM/SIGINT. For `make demo` and quick local
 * runs only: the mock is experimental, keeps only the newest ~5 MB (or
 * 100,000 message sets) per partition, and keeps nothing on disk. The
 * integration tests use a real Apache Kafka broker.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "log.h"
#include "options.h"
#include "signals.h"
#include "startup.h"

typedef struct devbroker_config {
        long brokers;
        long partitions;
        strlist_t topics;
        int log_level; /* log_level_t (an OPT_ENUM) */
} devbroker_config_t;

#define F(field) offsetof(devbroker_config_t, field)

static const opt_def_t devbroker_options[] = {
        { "brokers", OPT_INT, F(brokers), "1", 1, 9, NULL,
          "Mock brokers in the cluster.", false },
        { "partitions", OPT_INT, F(partitions), "4", 1, 256, NULL,
          "Partitions of each topic.", false },
        { "topic", OPT_LIST, F(topics), NULL, 0, 0, NULL,
          "A topic to create (repeatable; default: the pipeline's "
          "crawl.urls, crawl.urls.delayed and its tiers (.2m, .10m, .1h, "
          ".6h, .1d), crawl.pages, crawl.records, crawl.errors).",
          false },
        { "log-level", OPT_ENUM, F(log_level), "info", 0, 0, log_level_names,
          "debug, info, warn or error.", false },
};

/* The delay tiers are the fetcher's default --delay-tiers. */
static const char *default_topics[] = {
        "crawl.urls",
        "crawl.urls.delayed",
        "crawl.urls.delayed.2m",
        "crawl.urls.delayed.10m",
        "crawl.urls.delayed.1h",
        "crawl.urls.delayed.6h",
        "crawl.urls.delayed.1d",
        "crawl.pages",
        "crawl.records",
        "crawl.errors",
};

static const startup_spec_t devbroker_startup = {
        .prog = "devbroker",
        .summary = "Run an in-memory development Kafka cluster "
                   "(librdkafka's mock) with the pipeline's topics.",
        .defs = devbroker_options,
        .ndefs = sizeof(devbroker_options) / sizeof(devbroker_options[0]),
};

int main(int argc, char **argv)
{
        devbroker_config_t conf = { 0 };
        rd_kafka_mock_cluster_t *mcluster = NULL;
        rd_kafka_conf_t *kconf;
        rd_kafka_t *rk = NULL;
        char errstr[512];
        opts_t opts;
        int rc;

        if (startup_begin(&opts, &devbroker_startup, &conf, argc, argv, &rc))
                return rc;

        /* The mock cluster lives inside a client handle. */
        kconf = rd_kafka_conf_new();
        rd_kafka_conf_set(kconf, "log_level", "3", NULL, 0);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "devbroker: %s\n", errstr);
                rc = 1;
                goto out;
        }
        mcluster = rd_kafka_mock_cluster_new(rk, (int)conf.brokers);
        if (!mcluster) {
                fprintf(stderr, "devbroker: cannot start the mock cluster\n");
                rc = 1;
                goto out;
        }
        if (conf.topics.n == 0)
                for (size_t i = 0;
                     i < sizeof(default_topics) / sizeof(default_topics[0]);
                     i++)
                        strlist_add(&conf.topics, default_topics[i]);
        for (size_t i = 0; i < conf.topics.n; i++) {
                rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
                        mcluster, conf.topics.v[i], (int)conf.partitions, 1);

                if (err) {
                        fprintf(stderr, "devbroker: topic %s: %s\n",
                                conf.topics.v[i], rd_kafka_err2str(err));
                        rc = 1;
                        goto out;
                }
        }
        printf("%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
        fflush(stdout);
        LOGF(LOG_INFO, "development broker ready",
             LOG_S("bootstrap", rd_kafka_mock_cluster_bootstraps(mcluster)),
             LOG_I("topics", conf.topics.n),
             LOG_I("partitions", conf.partitions));

        while (!signals_stop) {
                struct pollfd pfd = { signals_fd(), POLLIN, 0 };

                poll(&pfd, 1, 1000);
        }
        LOG(LOG_INFO, "development broker stopped");
        rc = 0;
out:
        if (mcluster)
                rd_kafka_mock_cluster_destroy(mcluster);
        if (rk)
                rd_kafka_destroy(rk);
        opts_free(&opts);
        return rc;
}
