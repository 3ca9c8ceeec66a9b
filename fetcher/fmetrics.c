/*
 * fmetrics.c — the fetcher's Prometheus series (metrics.h), registered at
 * start-up and updated by the loop. Labels come from fixed sets: never a
 * URL or a host.
 */
#include <stdio.h>

#include "fetcher_int.h"
#include "fmetrics.h"

void fmetrics_register(fmetrics_t *m)
{
        static const char *outcomes[RQ_N] = { "page", "error", "retry" };
        static const char *classes[STATUS_CLASSES] = { "1xx", "2xx", "3xx",
                                                       "4xx", "5xx", "none" };
        static const char *robots[RB_N] = { "allowed", "disallowed",
                                            "unreachable" };
        static const char *limits[RL_N] = { "check_budget", "host_memory",
                                            "evicted", "memory_wait" };
        char labels[64];

        for (int o = 0; o < RQ_N; o++)
                for (int c = 0; c < STATUS_CLASSES; c++) {
                        snprintf(labels, sizeof(labels),
                                 "outcome=\"%s\",status_class=\"%s\"",
                                 outcomes[o], classes[c]);
                        m->requests[o][c] = metrics_counter(
                                "kcrawl_fetcher_requests_total", labels,
                                "HTTP requests ended, by outcome (page, "
                                "error, retry) and status class.");
                }
        for (int r = 0; r < RB_N; r++) {
                snprintf(labels, sizeof(labels), "decision=\"%s\"", robots[r]);
                m->robots[r] = metrics_counter(
                        "kcrawl_fetcher_robots_decisions_total", labels,
                        "URLs checked against robots.txt, by decision.");
        }
        for (int l = 0; l < RL_N; l++) {
                snprintf(labels, sizeof(labels), "limit=\"%s\"", limits[l]);
                m->robots_limits[l] = metrics_counter(
                        "kcrawl_fetcher_robots_limits_total", labels,
                        "robots.txt bounds hit: checks over their step "
                        "budget and files over --robots-host-memory (both "
                        "disallow), rule sets forgotten over "
                        "--robots-memory, and 100-ms waits of a host for "
                        "room under it.");
        }
        m->robots_bytes = metrics_gauge("kcrawl_fetcher_robots_bytes", NULL,
                                        "Memory held by robots.txt rules "
                                        "(bounded by --robots-memory).");
        m->pages = metrics_counter("kcrawl_fetcher_pages_total", NULL,
                                   "Pages produced to the pages topic.");
        m->errors = metrics_counter("kcrawl_fetcher_errors_total", NULL,
                                    "URLs dead-lettered to the errors "
                                    "topic.");
        m->bytes = metrics_counter("kcrawl_fetcher_response_bytes_total", NULL,
                                   "Response body bytes fetched, "
                                   "decoded.");
        m->retries = metrics_counter("kcrawl_fetcher_retries_total", NULL,
                                     "Transfers retried after a transient "
                                     "failure.");
        m->backoffs = metrics_counter("kcrawl_fetcher_backoffs_total", NULL,
                                      "429/503 answers that slowed a host "
                                      "down.");
        m->blocked =
                metrics_counter("kcrawl_fetcher_blocked_addresses_total", NULL,
                                "Connections refused by the "
                                "address guard.");
        m->rate_waits =
                metrics_counter("kcrawl_fetcher_rate_limit_waits_total", NULL,
                                "Times a host with queued URLs "
                                "waited for a token or back-off.");
        m->rerouted = metrics_counter("kcrawl_fetcher_rerouted_total", NULL,
                                      "URL messages re-produced to the "
                                      "partition of their host key.");
        m->parked = metrics_counter("kcrawl_fetcher_parked_total", NULL,
                                    "URLs parked on the delay topic.");
        m->sitemaps_listed = metrics_counter(
                "kcrawl_fetcher_sitemaps_listed_total", NULL,
                "Sitemap: lines of robots.txt published as sitemap URL "
                "messages (--sitemaps).");
        m->sitemaps_guessed = metrics_counter(
                "kcrawl_fetcher_sitemaps_guessed_total", NULL,
                "/sitemap.xml published as a sitemap URL message for a host "
                "whose robots.txt lists none (--sitemap-fallback).");
        m->links_dropped = metrics_counter(
                "kcrawl_fetcher_links_dropped_total", NULL,
                "Followed links dropped: their URL was fetched already.");
        m->state_urls = metrics_gauge("kcrawl_fetcher_state_urls", NULL,
                                      "URLs whose crawl state is held in "
                                      "memory (bounded by --state-max).");
        m->state_loaded = metrics_counter(
                "kcrawl_fetcher_state_loaded_total", NULL,
                "Crawl states read back from the state topic on "
                "assignment.");
        m->state_load_seconds = metrics_gauge(
                "kcrawl_fetcher_state_load_seconds", NULL,
                "Seconds the latest assignment spent loading its "
                "partitions' crawl state.");
        m->state_evicted = metrics_counter(
                "kcrawl_fetcher_state_evicted_total", NULL,
                "Crawl states forgotten over --state-max, least recently "
                "used first.");
        m->state_invalid = metrics_counter(
                "kcrawl_fetcher_state_invalid_total", NULL,
                "State messages that were not valid, dead-lettered "
                "(invalid_state).");
        m->state_write_failures = metrics_counter(
                "kcrawl_fetcher_state_write_failures_total", NULL,
                "Crawl states that could not be written.");
        m->conditional_hits = metrics_counter(
                "kcrawl_fetcher_conditional_hits_total", NULL,
                "Conditional requests answered 304 Not Modified.");
        m->discovered_over_budget = metrics_counter(
                "kcrawl_fetcher_discovered_over_budget_total", NULL,
                "Discovered URLs (followed links, sitemap entries) dropped "
                "because their host's --discovery-budget was spent.");
        m->state_duplicates = metrics_counter(
                "kcrawl_fetcher_state_duplicates_total", NULL,
                "URL messages committed without a request: their state "
                "shows their outcome delivered (a redelivery after a "
                "crash or a rebalance).");
        m->state_content_merged = metrics_counter(
                "kcrawl_fetcher_state_content_merged_total", NULL,
                "The cleaner's content states (main-text digest, product "
                "price and availability) merged into the crawl state, on "
                "assignment or while tailing the state partitions.");
        m->recrawls_scheduled = metrics_counter(
                "kcrawl_fetcher_recrawls_scheduled_total", NULL,
                "Recrawl copies produced to the delay topic (the URL's next "
                "fetch, --recrawl or \"recrawl\").");
        m->recrawls_stopped = metrics_counter(
                "kcrawl_fetcher_recrawls_stopped_total", NULL,
                "Recrawls stopped: \"recrawl\": false messages recorded, "
                "and recrawl copies dropped because their URL, host or "
                "crawl is stopped.");
        m->recrawls_superseded = metrics_counter(
                "kcrawl_fetcher_recrawls_superseded_total", NULL,
                "Recrawl copies dropped: the URL's state expects another "
                "(a newer schedule, or a duplicate after a crash).");
        m->discovered_stopped = metrics_counter(
                "kcrawl_fetcher_discovered_stopped_total", NULL,
                "Discovered URLs (followed links) dropped: their host or "
                "crawl is on --recrawl-stop.");
        m->state_tombstones = metrics_counter(
                "kcrawl_fetcher_state_tombstones_total", NULL,
                "Crawl states older than --state-max-age deleted from the "
                "state topic (tombstones written).");
        m->seen = metrics_gauge("kcrawl_fetcher_seen_urls", NULL,
                                "Fetched URLs remembered for dropping "
                                "followed links.");
        m->inflight = metrics_gauge("kcrawl_fetcher_inflight", NULL,
                                    "Transfers in flight.");
        m->queued = metrics_gauge("kcrawl_fetcher_queued_urls", NULL,
                                  "URLs held in memory.");
        m->hosts = metrics_gauge("kcrawl_fetcher_hosts", NULL,
                                 "Hosts with state in memory.");
        m->hosts_active = metrics_gauge("kcrawl_fetcher_hosts_active", NULL,
                                        "Hosts with queued or running "
                                        "requests.");
        m->paused = metrics_gauge("kcrawl_fetcher_partitions_paused", NULL,
                                  "Partitions paused (memory bound or "
                                  "waiting for a parked URL).");
        m->response = metrics_histogram(
                "kcrawl_fetcher_response_seconds", NULL,
                "Time of one HTTP request, "
                "redirects included.",
                metrics_latency_bounds, metrics_latency_nbounds);
}

int fmetrics_status_class(long status)
{
        return status >= 100 && status < 600 ? (int)(status / 100) - 1
                                             : STATUS_CLASSES - 1;
}

/* Levels and counts the loop keeps anyway, published once a turn. */
void fmetrics_update(fetcher_t *f)
{
        uint64_t waits = hosts_waits(f->hosts);
        int dpaused = 0;

        for (dpause_t *d = f->dpauses; d; d = d->next)
                dpaused++;
        mcounter_add(f->m.rate_waits, waits - f->m.waits_seen);
        f->m.waits_seen = waits;
        mgauge_set(f->m.inflight, (double)f->transfers);
        mgauge_set(f->m.queued, (double)f->held);
        mgauge_set(f->m.hosts, (double)hosts_count(f->hosts));
        mgauge_set(f->m.hosts_active, (double)hosts_active(f->hosts));
        mgauge_set(f->m.seen, (double)seen_count(f->seen));
        mgauge_set(f->m.state_urls, (double)crawlstate_count(f->state));
        mcounter_add(f->m.state_evicted,
                     crawlstate_evicted(f->state) - f->m.evicted_seen);
        f->m.evicted_seen = crawlstate_evicted(f->state);
        mgauge_set(f->m.robots_bytes, (double)f->robots_bytes);
        mgauge_set(f->m.paused,
                   (double)(f->paused_parts + (f->paused ? 0 : dpaused)));
}
