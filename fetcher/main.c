/*
 * fetcher — URLs from Kafka in, pages to Kafka out.
 *
 * The I/O-bound stage: one thread, one event loop, many transfers in
 * flight. See fetcher.h for the loop and docs/architecture.md for the
 * pipeline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <curl/curl.h>

#include "config.h"
#include "fetcher.h"
#include "kafkastats.h"
#include "log.h"
#include "progress.h"
#include "startup.h"

/* What the progress line and the stats summary show (metrics.h names). */
static const progress_spec_t fetcher_progress = {
        .done = { "kcrawl_fetcher_pages_total" },
        .errors = { "kcrawl_fetcher_errors_total" },
        .level = "kcrawl_fetcher_inflight",
        .level_name = "inflight",
};

int main(int argc, char **argv)
{
        const startup_spec_t spec = {
                .prog = "fetcher",
                .summary = "Fetch the URLs of Kafka topics politely and "
                           "concurrently; produce the pages to Kafka.",
                .defs = fetcher_options,
                .ndefs = fetcher_options_count,
        };
        fetcher_config_t conf = { 0 };
        fetcher_t *f = NULL;
        char errstr[512];
        opts_t opts;
        int rc;

        if (startup_begin(&opts, &spec, &conf, argc, argv, &rc))
                return rc;

        /* Libcurl's OpenSSL back end opens the file SSLKEYLOGFILE names at
         * curl_global_init() and writes every TLS session's secrets to it:
         * page contents and an HTTPS proxy's credentials would leave the
         * process. No option of ours asks for that; the environment does
         * not either. */
        if (getenv("SSLKEYLOGFILE")) {
                unsetenv("SSLKEYLOGFILE");
                LOG(LOG_WARN, "SSLKEYLOGFILE is set in the environment: "
                              "ignored, TLS secrets are never written out");
        }

        if (curl_global_init(CURL_GLOBAL_ALL)) {
                fprintf(stderr, "fetcher: initialisation failed\n");
                opts_free(&opts);
                return 1;
        }

        kafkastats_init();
        f = fetcher_new(&conf, &opts.kafka, errstr, sizeof(errstr));
        if (!f) {
                fprintf(stderr, "fetcher: %s\n", errstr);
                rc = 2;
                goto out;
        }
        if (progress_watch_start(conf.metrics_addr, conf.stats_interval,
                                 &fetcher_progress, errstr, sizeof(errstr))) {
                fprintf(stderr, "fetcher: %s\n", errstr);
                rc = 2;
                goto out;
        }
        rc = fetcher_run(f) ? 1 : 0;
out:
        progress_watch_stop();
        fetcher_destroy(f);
        curl_global_cleanup();
        opts_free(&opts);
        return rc;
}
