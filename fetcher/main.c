/*
 * fetcher — URLs from Kafka in, pages to Kafka out.
 *
 * The I/O-bound stage: one thread, one event loop, many transfers in
 * flight. See fetcher.h for the loop and docs/architecture.md for the
 * pipeline.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <curl/curl.h>

#include "config.h"
#include "fetcher.h"
#include "kafkastats.h"
#include "log.h"
#include "options.h"
#include "progress.h"
#include "signals.h"

/* What the progress line and the stats summary show (metrics.h names). */
static const progress_spec_t fetcher_progress = {
        .done = { "kcrawl_fetcher_pages_total" },
        .errors = { "kcrawl_fetcher_errors_total" },
        .level = "kcrawl_fetcher_inflight",
        .level_name = "inflight",
};

int main(int argc, char **argv)
{
        fetcher_config_t conf = { 0 };
        fetcher_t *f = NULL;
        char errstr[512];
        opts_t opts;
        int rc;

        /* UTF-8 character handling for IDNA; numbers stay "C" for JSON. */
        setlocale(LC_CTYPE, "C.UTF-8");

        rc = opts_parse(&opts, "fetcher",
                        "Fetch the URLs of Kafka topics politely and "
                        "concurrently; produce the pages to Kafka.",
                        fetcher_options, fetcher_options_count, &conf, argc,
                        argv, errstr, sizeof(errstr));
        if (rc != OPTS_RUN) {
                if (rc == OPTS_ERROR)
                        fprintf(stderr, "fetcher: %s\n", errstr);
                opts_free(&opts);
                return rc == OPTS_ERROR ? 2 : 0;
        }
        log_init("fetcher", (log_level_t)conf.log_level);

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

        if (signals_install() || curl_global_init(CURL_GLOBAL_ALL)) {
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
