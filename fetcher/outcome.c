/*
 * outcome.c — how a job ends (see outcome.h): a page on the pages
 * topic, an error object on the errors topic, or, after a transient
 * failure, a retry (in the timer heap, or parked when the wait is long).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bodyzip.h"
#include "xrobots.h"
#include "clock.h"
#include "deadletter.h"
#include "fetcher_int.h"
#include "fkafka.h"
#include "fmetrics.h"
#include "job.h"
#include "outcome.h"
#include "park.h"
#include "recrawl.h"
#include "statesync.h"
#include "timers.h"
#include "transfer.h"
#include "kafka.h"
#include "log.h"
#include "url.h"

/* Produces the error object of `job`; its delivery report finishes it. */
void outcome_fail(fetcher_t *f, job_t *job, const char *code,
                  const char *message)
{
        deadletter_t dl = {
                .stage = "fetcher",
                .code = code,
                .message = message,
                .url = job->um.url,
                .topic = job->source_topic ? job->source_topic : job->topic,
                .partition = job->partition,
                .offset = job->offset,
                .attempts = job->attempts,
                .proxy = proxies_name(f->proxies, job->proxy),
                .input = job->input,
                .input_len = job->input_len,
        };
        const void *key = job->um.url ? job->um.url : job->key;
        size_t key_len = deadletter_key_len(job->um.url ? strlen(job->um.url)
                                                        : job->key_len);
        rd_kafka_resp_err_t err;
        char *json = NULL;
        size_t len = 0;

        bool nm;

        statesync_capture(f, job, false, code, &nm);
        recrawl_plan(f, job);
        if (deadletter_json(&dl, &json, &len)) {
                LOG(LOG_ERROR, "out of memory building an error object");
                f->fatal = true;
                return;
        }
        err = fkafka_produce(f, f->conf->errors_topic, RD_KAFKA_PARTITION_UA,
                             key, key_len, json, len, NULL, job);
        free(json);
        if (err) {
                /* Not even the dead letter can be written: stop rather
                 * than lose the URL; it stays uncommitted. */
                LOGF(LOG_ERROR, "cannot produce to the errors topic",
                     LOG_S("topic", f->conf->errors_topic),
                     LOG_S("err", rd_kafka_err2str(err)));
                f->fatal = true;
                return;
        }
        job_produced(f, job, OUT_ERROR);
        f->n_errors++;
        mcounter_add(f->m.errors, 1);
        LOGF(LOG_DEBUG, "dead-lettered", LOG_S("code", code),
             LOG_S("url", job->um.url), LOG_S("why", message));
}

rd_kafka_headers_t *outcome_page_headers(const job_t *job, url_t **final)
{
        rd_kafka_headers_t *h = rd_kafka_headers_new(16);
        char status_s[16], elapsed_s[24], attempts_s[16], depth_s[24];
        char fetched_at[CLOCK_RFC3339_SIZE];
        char *eff = NULL, *ctype = NULL, *final_url = NULL, *xrobots;
        long status = 0;
        url_t *u = NULL;

        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(job->easy, CURLINFO_EFFECTIVE_URL, &eff);
        curl_easy_getinfo(job->easy, CURLINFO_CONTENT_TYPE, &ctype);
        /* curl's form of the final URL, normalised the browsers' way. */
        if (eff && !url_parse(eff, NULL, &u, NULL, 0))
                final_url = u->href;
        snprintf(status_s, sizeof(status_s), "%ld", status);
        snprintf(elapsed_s, sizeof(elapsed_s), "%lld",
                 (long long)(clock_mono_ms() - job->started_ms));
        snprintf(attempts_s, sizeof(attempts_s), "%d", job->attempts);

        fkafka_header_add(h, "url", job->um.url);
        fkafka_header_add(h, "final_url",
                          final_url ? final_url
                          : eff     ? eff
                                    : job->um.url);
        fkafka_header_add(h, "status", status_s);
        fkafka_header_add(h, "content_type", ctype);
        fkafka_header_add(h, "fetched_at",
                          clock_rfc3339(fetched_at, sizeof(fetched_at)));
        fkafka_header_add(h, "elapsed_ms", elapsed_s);
        fkafka_header_add(h, "attempts", attempts_s);
        fkafka_header_add(h, "source_topic",
                          job->source_topic ? job->source_topic : job->topic);
        if (job->um.depth >= 0) {
                snprintf(depth_s, sizeof(depth_s), "%ld", job->um.depth);
                fkafka_header_add(h, "depth", depth_s);
        }
        fkafka_header_add(h, "id", job->um.id);
        fkafka_header_add(h, "meta", job->um.meta);
        /* Discovery: the cleaner reads a sitemap or feed page as one. */
        fkafka_header_add(h, "kind", job->um.kind);
        fkafka_header_add(h, "lastmod", job->um.lastmod);
        fkafka_header_add(h, "sitemap_host", job->um.sitemap_host);
        if (bodyzip_compressed(job))
                fkafka_header_add(h, "body_encoding", "gzip");
        xrobots = xrobots_json(job->easy);
        fkafka_header_add(h, "x_robots_tag", xrobots);
        free(xrobots);
        /* TDMRep (W3C CG): the reservation and the policy as sent; when
         * the response sends no tdm-reservation, what the host's
         * tdmrep.json says of the path (--tdm; the headers win). */
        xrobots = xrobots_header(job->easy, "tdm-reservation");
        if (xrobots || job->tdm_file == TDM_FILE_SILENT) {
                fkafka_header_add(h, "tdm_reservation", xrobots);
                free(xrobots);
                xrobots = xrobots_header(job->easy, "tdm-policy");
                fkafka_header_add(h, "tdm_policy", xrobots);
                free(xrobots);
        } else {
                fkafka_header_add(h, "tdm_reservation",
                                  job->tdm_file == TDM_FILE_RESERVED ? "1"
                                                                     : "0");
                fkafka_header_add(h, "tdm_policy", job->tdm_file_policy);
        }
        /* 304 to a conditional request: the page is unchanged since the
         * state's validators; the body is empty. */
        if (status == 304)
                fkafka_header_add(h, "not_modified", "true");
        /* The URL message this page answers: what a fetcher taking over
         * after a crash looks for before requesting it again. */
        {
                char input[CRAWLSTATE_TOPIC_MAX + 48];

                snprintf(input, sizeof(input), "%s/%d/%lld", job->topic,
                         (int)job->partition, (long long)job->offset);
                fkafka_header_add(h, HDR_INPUT, input);
        }
        *final = u;
        return h;
}

/* Produces the page of a finished transfer (after its pending state, with
 * crawl state); the page's delivery report finishes the job. */
static void outcome_produce_page(fetcher_t *f, job_t *job)
{
        url_t *u = NULL;
        rd_kafka_headers_t *h;
        bool not_modified = false;

        if (bodyzip_finish(job)) {
                outcome_fail(f, job, "too_large",
                             "sitemap body over --max-body compressed");
                return;
        }
        if (f->conf->respect_tdm) {
                char *tdm = xrobots_header(job->easy, "tdm-reservation");
                int reserved = xrobots_tdm_reserved(tdm);

                free(tdm);
                if (reserved) {
                        outcome_fail(f, job, "tdm_reserved",
                                     "the response reserves text and data "
                                     "mining (tdm-reservation: 1) and "
                                     "--respect-tdm is on");
                        return;
                }
        }
        /* The page's crawl state, once nothing above turned it into a
         * dead letter (outcome_fail captures that one). */
        statesync_capture(f, job, true, NULL, &not_modified);
        recrawl_plan(f, job);
        if (not_modified && job->conditional)
                mcounter_add(f->m.conditional_hits, 1);
        h = outcome_page_headers(job, &u);
        statesync_page_headers(f, job, h);

        /* Fetched: a followed link to either URL is dropped from now on. */
        seen_add(f->seen, job->um.url);
        if (u && strcmp(u->href, job->um.url))
                seen_add(f->seen, u->href);
        url_destroy(u);

        /* The pending state goes first, and the page only once it is
         * delivered (outcome_send_page, from its delivery report): a page
         * on the broker always has its pending state there, so a fetcher
         * taking over after a crash finds it rather than requesting the
         * URL again (a pending state whose page never came out only costs
         * a request). Without crawl state the page goes at once. */
        job->page_hdrs = h;
        if (statesync_pending(f, job)) {
                job_produced(f, job, OUT_PENDING);
                return;
        }
        outcome_send_page(f, job);
}

void outcome_send_page(fetcher_t *f, job_t *job)
{
        rd_kafka_headers_t *h = job->page_hdrs;
        rd_kafka_resp_err_t err;

        job->page_hdrs = NULL;
        err = fkafka_produce(f, f->conf->pages_topic, RD_KAFKA_PARTITION_UA,
                             job->um.url, strlen(job->um.url), job->body,
                             job->body_len, h, job);
        if (err) {
                rd_kafka_headers_destroy(h);
                if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                        outcome_fail(f, job, "too_large",
                                     "page larger than the producer's "
                                     "message.max.bytes");
                        return;
                }
                LOGF(LOG_ERROR, "cannot produce to the pages topic",
                     LOG_S("topic", f->conf->pages_topic),
                     LOG_S("err", rd_kafka_err2str(err)));
                f->fatal = true;
                return;
        }
        job_produced(f, job, OUT_PAGE);
        f->n_pages++;
        mcounter_add(f->m.pages, 1);
        /* librdkafka copied the body. */
        free(job->body);
        job->body = NULL;
        job->body_len = job->body_cap = 0;
}

curl_off_t outcome_retry_after_s(CURL *easy)
{
        curl_off_t ra = 0;

        curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &ra);
        return ra;
}

/* Exponential back-off with jitter: base * 2^(n-1), capped, times a
 * random factor in [0.5, 1]. */
int64_t outcome_backoff_ms(long base, long max, int n)
{
        double ms = (double)base * pow(2.0, n > 1 ? n - 1 : 0);

        if (ms > (double)max)
                ms = (double)max;
        return (int64_t)(ms * (0.5 + 0.5 * drand48()));
}

bool outcome_transient(bool answered, long status, bool net_transient)
{
        return answered ? status >= 500 || status == 429 : net_transient;
}

bool outcome_slow_down(bool answered, long status)
{
        return answered && (status == 429 || status == 503);
}

outcome_next_t outcome_decide(const outcome_in_t *in, int64_t *wait_ms)
{
        *wait_ms = 0;
        if (outcome_transient(in->answered, in->status, in->net_transient) &&
            in->attempts <= in->retries && !in->draining) {
                int64_t wait = in->backoff_ms;

                /* Not before the host may be served again. */
                if (in->host_wait_ms > wait)
                        wait = in->host_wait_ms;
                *wait_ms = wait;
                return in->parking && wait > in->park_after_ms ? OUTCOME_PARK
                                                               : OUTCOME_RETRY;
        }
        /* An answer is a page, whatever its status (after its retries). */
        return in->answered ? OUTCOME_PAGE : OUTCOME_FAIL;
}

void outcome_url_done(fetcher_t *f, job_t *job, CURLcode rc)
{
        host_t *h = job->host;
        int64_t now = clock_mono_ms();
        long status = 0;
        int64_t ra_ms = 0, wait = 0;
        outcome_in_t in;
        outcome_next_t next;
        bool slow;
        int cls;
        char why[CURL_ERROR_SIZE + 64];

        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        slow = outcome_slow_down(rc == CURLE_OK, status);
        if (slow)
                ra_ms = hosts_retry_after_ms(
                        f->hosts, (long long)outcome_retry_after_s(job->easy));
        if (job->proxy >= 0)
                proxies_result(f->proxies, job->proxy,
                               strcmp(transfer_error_code(job, rc),
                                      "proxy_failed") != 0,
                               now);
        job->host = NULL;
        host_end(f->hosts, h, true, slow, ra_ms, now);
        {
                curl_off_t us = 0;

                curl_easy_getinfo(job->easy, CURLINFO_TOTAL_TIME_T, &us);
                mhist_observe(f->m.response, (double)us / 1e6);
                mcounter_add(f->m.bytes, job->body_len);
                if (slow)
                        mcounter_add(f->m.backoffs, 1);
                if (job->blocked)
                        mcounter_add(f->m.blocked, 1);
        }
        cls = rc == CURLE_OK ? fmetrics_status_class(status)
                             : STATUS_CLASSES - 1;

        in = (outcome_in_t){
                .answered = rc == CURLE_OK,
                .status = status,
                .net_transient = rc != CURLE_OK && transfer_transient(job, rc),
                .attempts = job->attempts,
                .retries = f->conf->retries,
                .draining = f->draining,
                .backoff_ms = outcome_backoff_ms(f->conf->retry_backoff_ms,
                                                 f->conf->retry_backoff_max_ms,
                                                 job->attempts),
                .host_wait_ms = host_ready_at(f->hosts, h, now) - now,
                .park_after_ms = (int64_t)f->conf->park_after * 1000,
                .parking = f->ntiers > 0,
        };
        next = outcome_decide(&in, &wait);
        if (next == OUTCOME_RETRY || next == OUTCOME_PARK) {
                curl_easy_cleanup(job->easy);
                job->easy = NULL;
                free(job->body);
                job->body = NULL;
                job->body_len = job->body_cap = 0;
                f->n_retries++;
                mcounter_add(f->m.retries, 1);
                mcounter_add(f->m.requests[RQ_RETRY][cls], 1);
                LOGF(LOG_DEBUG, "retry", LOG_S("url", job->um.url),
                     LOG_I("status", status), LOG_I("curl", rc),
                     LOG_I("attempts", job->attempts), LOG_I("wait_ms", wait));
                if (next == OUTCOME_PARK) {
                        park_job(f, job, wait);
                        return;
                }
                job->state = JS_RETRY;
                timers_arm(f, &job->timer, now + wait);
                return;
        }
        if (next == OUTCOME_PAGE) {
                mcounter_add(f->m.requests[RQ_PAGE][cls], 1);
                outcome_produce_page(f, job);
                return;
        }
        mcounter_add(f->m.requests[RQ_ERROR][cls], 1);
        snprintf(why, sizeof(why), "%s%s%s", curl_easy_strerror(rc),
                 job->errbuf[0] ? ": " : "", job->errbuf);
        if (job->too_large)
                snprintf(why, sizeof(why),
                         "body larger than --max-body (%lld bytes)",
                         f->conf->max_body);
        outcome_fail(f, job, transfer_error_code(job, rc), why);
}
