/*
 * outcome.c — how a job ends (see fetcher_int.h): a page on the pages
 * topic, an error object on the errors topic, or, after a transient
 * failure, a retry (in the timer heap, or parked when the wait is long).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "deadletter.h"
#include "fetcher_int.h"
#include "kafka.h"
#include "log.h"
#include "url.h"
#include "utf8.h"

/* Produces value/key/headers to topic[partition] (RD_KAFKA_PARTITION_UA:
 * the producer's partitioner); QUEUE_FULL is back-pressure (delivery
 * reports only queue jobs on f->done, so polling here is safe).
 * librdkafka owns `hdrs` on success. */
rd_kafka_resp_err_t produce_to(fetcher_t *f, const char *topic,
                               int32_t partition, const void *key,
                               size_t key_len, const void *value,
                               size_t value_len,
                               rd_kafka_headers_t *hdrs, void *opaque)
{
        return kafka_produce_to(f->producer, topic, partition, key, key_len,
                                value, value_len, hdrs, opaque,
                                PRODUCE_WAIT_MS);
}

void job_produced(fetcher_t *f, job_t *job, outcome_t outcome)
{
        job->outcome = outcome;
        job->state = JS_OUTCOME;
        f->outstanding++;
}

/* Produces the error object of `job`; its delivery report finishes it. */
void job_fail(fetcher_t *f, job_t *job, const char *code,
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
        size_t key_len = deadletter_key_len(job->um.url ?
                                            strlen(job->um.url) :
                                            job->key_len);
        rd_kafka_resp_err_t err;
        char *json = NULL;
        size_t len = 0;

        if (deadletter_json(&dl, &json, &len)) {
                LOG(LOG_ERROR, "out of memory building an error object");
                f->fatal = true;
                return;
        }
        err = produce_to(f, f->conf->errors_topic, RD_KAFKA_PARTITION_UA,
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

void header_add(rd_kafka_headers_t *h, const char *name,
                const char *val)
{
        size_t len;
        char *fixed = NULL;

        if (!val)
                return;
        /* Header values are UTF-8 text by contract; a server's bytes (a
         * Content-Type with Latin-1 in it) are repaired, not passed on. */
        len = strlen(val);
        if (utf8_valid_prefix((const unsigned char *)val, len) != len &&
            !utf8_repair((const unsigned char *)val, len, 0, &fixed, &len))
                val = fixed;
        rd_kafka_header_add(h, name, -1, val, (ssize_t)len);
        free(fixed);
}

rd_kafka_headers_t *page_headers(const job_t *job, url_t **final)
{
        rd_kafka_headers_t *h = rd_kafka_headers_new(12);
        char status_s[16], elapsed_s[24], attempts_s[16], depth_s[24];
        char fetched_at[CLOCK_RFC3339_SIZE];
        char *eff = NULL, *ctype = NULL, *final_url = NULL;
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

        header_add(h, "url", job->um.url);
        header_add(h, "final_url", final_url ? final_url :
                   eff ? eff : job->um.url);
        header_add(h, "status", status_s);
        header_add(h, "content_type", ctype);
        header_add(h, "fetched_at", clock_rfc3339(fetched_at,
                                                  sizeof(fetched_at)));
        header_add(h, "elapsed_ms", elapsed_s);
        header_add(h, "attempts", attempts_s);
        header_add(h, "source_topic", job->source_topic ? job->source_topic :
                   job->topic);
        if (job->um.depth >= 0) {
                snprintf(depth_s, sizeof(depth_s), "%ld", job->um.depth);
                header_add(h, "depth", depth_s);
        }
        header_add(h, "id", job->um.id);
        header_add(h, "meta", job->um.meta);
        *final = u;
        return h;
}

/* Produces the page of a finished transfer; its delivery report
 * finishes the job. */
static void job_produce_page(fetcher_t *f, job_t *job)
{
        url_t *u = NULL;
        rd_kafka_headers_t *h = page_headers(job, &u);
        rd_kafka_resp_err_t err;

        /* Fetched: a followed link to either URL is dropped from now on. */
        seen_add(f->seen, job->um.url);
        if (u && strcmp(u->href, job->um.url))
                seen_add(f->seen, u->href);
        url_destroy(u);

        err = produce_to(f, f->conf->pages_topic, RD_KAFKA_PARTITION_UA,
                         job->um.url, strlen(job->um.url), job->body,
                         job->body_len, h, job);
        if (err) {
                rd_kafka_headers_destroy(h);
                if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                        job_fail(f, job, "too_large",
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

curl_off_t retry_after_s(CURL *easy)
{
        curl_off_t ra = 0;

        curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &ra);
        return ra;
}

/* Exponential back-off with jitter: base * 2^(n-1), capped, times a
 * random factor in [0.5, 1]. */
int64_t backoff_ms(long base, long max, int n)
{
        double ms = (double)base * pow(2.0, n > 1 ? n - 1 : 0);

        if (ms > (double)max)
                ms = (double)max;
        return (int64_t)(ms * (0.5 + 0.5 * drand48()));
}

/* Puts a job back in its host's queue (a retry that is due). */
void job_requeue(fetcher_t *f, job_t *job, bool front)
{
        int64_t now = clock_mono_ms();
        host_t *h = hosts_get(f->hosts, job->um.host_key, now);

        if (!h) {
                LOG(LOG_ERROR, "out of memory queueing a URL");
                f->fatal = true;
                return;
        }
        job->host = h;
        job->state = JS_QUEUED;
        hosts_push(f->hosts, h, &job->qlink, front, now);
}

void url_done(fetcher_t *f, job_t *job, CURLcode rc)
{
        host_t *h = job->host;
        int64_t now = clock_mono_ms();
        long status = 0;
        int64_t ra_ms = 0;
        bool transient, slow;
        int cls;
        char why[CURL_ERROR_SIZE + 64];

        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        transient = rc == CURLE_OK ? status >= 500 || status == 429 :
                    transfer_transient(job, rc);
        slow = rc == CURLE_OK && (status == 429 || status == 503);
        if (slow)
                ra_ms = hosts_retry_after_ms(f->hosts,
                                             (long long)retry_after_s(job->easy));
        if (job->proxy >= 0)
                proxies_result(f->proxies, job->proxy,
                               strcmp(transfer_error_code(job, rc),
                                      "proxy_failed") != 0, now);
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
        cls = rc == CURLE_OK ? fmetrics_status_class(status) : STATUS_CLASSES - 1;

        if (transient && job->attempts <= f->conf->retries &&
            !f->draining) {
                int64_t wait = backoff_ms(f->conf->retry_backoff_ms,
                                          f->conf->retry_backoff_max_ms,
                                          job->attempts);
                int64_t ready = host_ready_at(f->hosts, h, now) - now;

                if (ready > wait)
                        wait = ready;
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
                     LOG_I("attempts", job->attempts),
                     LOG_I("wait_ms", wait));
                if (wait > f->conf->park_after * 1000 && f->ntiers) {
                        park_job(f, job, wait);
                        return;
                }
                job->state = JS_RETRY;
                timer_set(f, &job->timer, now + wait);
                return;
        }
        if (rc == CURLE_OK) {
                mcounter_add(f->m.requests[RQ_PAGE][cls], 1);
                job_produce_page(f, job);
                return;
        }
        mcounter_add(f->m.requests[RQ_ERROR][cls], 1);
        snprintf(why, sizeof(why), "%s%s%s", curl_easy_strerror(rc),
                 job->errbuf[0] ? ": " : "", job->errbuf);
        if (job->too_large)
                snprintf(why, sizeof(why),
                         "body larger than --max-body (%lld bytes)",
                         f->conf->max_body);
        job_fail(f, job, transfer_error_code(job, rc), why);
}
