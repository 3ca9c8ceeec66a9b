/*
 * fetcher.c — the fetch loop (see fetcher.h).
 *
 * A job is one consumed URL message, from consumption to the delivery
 * report of its outcome. Its context rides along: CURLOPT_PRIVATE during
 * the transfer, the produced message's opaque until the delivery report.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>

#include "clock.h"
#include "deadletter.h"
#include "fetcher.h"
#include "kafka.h"
#include "log.h"
#include "netguard.h"
#include "offsets.h"
#include "signals.h"
#include "url.h"
#include "urlmsg.h"

#define POLL_MAX_MS      1000  /* the loop's longest wait              */
#define PRODUCE_WAIT_MS  30000 /* back-pressure before giving up       */

typedef enum {
        OUT_NONE,  /* not produced yet                  */
        OUT_PAGE,  /* the page is on its way            */
        OUT_ERROR, /* the error object is on its way    */
} outcome_t;

typedef struct job {
        struct job *prev, *next;    /* the fetcher's list of live jobs */
        struct fetcher *f;
        char       *topic;
        int32_t     partition;
        int64_t     offset;
        void       *key;
        size_t      key_len;
        void       *input;          /* the message's value, for errors */
        size_t      input_len;
        urlmsg_t    um;
        CURL       *easy;
        char       *body;
        size_t      body_len, body_cap;
        bool        too_large;      /* the write callback hit --max-body */
        bool        blocked;        /* the guard refused an address      */
        int64_t     started_ms;
        int         attempts;
        outcome_t   outcome;
        bool        redo_as_error;  /* page refused by Kafka: dead-letter */
        char        errbuf[CURL_ERROR_SIZE];
} job_t;

struct fetcher {
        const fetcher_config_t *conf;
        rd_kafka_t       *consumer;
        rd_kafka_t       *producer;
        rd_kafka_queue_t *cq, *pq;
        int               cq_pipe[2], pq_pipe[2];
        CURLM            *multi;
        netguard_t       *guard;
        offsets_t        *offsets;
        job_t            *jobs;       /* every live job          */
        size_t            held;       /* live jobs               */
        size_t            transfers;  /* jobs in curl            */
        bool              paused;
        bool              fatal;
        bool              draining;
        bool              closing;
        /* Totals, logged at the end (metrics come with operations). */
        uint64_t          n_consumed, n_pages, n_errors;
};

/* ---- jobs ------------------------------------------------------------ */

static void job_free(job_t *job)
{
        if (job->easy)
                curl_easy_cleanup(job->easy);
        urlmsg_clear(&job->um);
        free(job->topic);
        free(job->key);
        free(job->input);
        free(job->body);
        free(job);
}

static void job_unlink(fetcher_t *f, job_t *job)
{
        if (job->prev)
                job->prev->next = job->next;
        else
                f->jobs = job->next;
        if (job->next)
                job->next->prev = job->prev;
        f->held--;
}

static job_t *job_new(fetcher_t *f, const rd_kafka_message_t *msg)
{
        job_t *job = calloc(1, sizeof(*job));

        if (!job)
                return NULL;
        job->f = f;
        job->topic = strdup(rd_kafka_topic_name(msg->rkt));
        job->partition = msg->partition;
        job->offset = msg->offset;
        job->um.depth = -1;
        if (msg->key_len) {
                job->key = malloc(msg->key_len);
                if (job->key)
                        memcpy(job->key, msg->key, msg->key_len);
                job->key_len = msg->key_len;
        }
        if (msg->len) {
                job->input = malloc(msg->len);
                if (job->input)
                        memcpy(job->input, msg->payload, msg->len);
                job->input_len = msg->len;
        }
        if (!job->topic || (msg->key_len && !job->key) ||
            (msg->len && !job->input)) {
                job_free(job);
                return NULL;
        }
        job->next = f->jobs;
        if (f->jobs)
                f->jobs->prev = job;
        f->jobs = job;
        f->held++;
        return job;
}

/* The job's outcome is acknowledged: advance the partition's commit
 * point and forget the job. */
static void job_finish(fetcher_t *f, job_t *job)
{
        int64_t next = offsets_done(f->offsets, job->topic, job->partition,
                                    job->offset);

        if (next >= 0) {
                rd_kafka_topic_partition_list_t *list =
                        rd_kafka_topic_partition_list_new(1);
                rd_kafka_resp_err_t err;

                rd_kafka_topic_partition_list_add(list, job->topic,
                                                  job->partition)->offset =
                        next;
                err = rd_kafka_offsets_store(f->consumer, list);
                /* A revoked partition cannot be stored: its new owner
                 * fetches from the last commit (at-least-once). */
                if (err && err != RD_KAFKA_RESP_ERR__STATE &&
                    err != RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
                        LOGF(LOG_WARN, "offset store failed",
                             LOG_S("topic", job->topic),
                             LOG_I("partition", job->partition),
                             LOG_S("err", rd_kafka_err2str(err)));
                rd_kafka_topic_partition_list_destroy(list);
        }
        job_unlink(f, job);
        job_free(job);
}

/* Produces the error object of `job`; its delivery report finishes it. */
static void job_fail(fetcher_t *f, job_t *job, const char *code,
                     const char *message)
{
        deadletter_t dl = {
                .stage = "fetcher",
                .code = code,
                .message = message,
                .url = job->um.url,
                .topic = job->topic,
                .partition = job->partition,
                .offset = job->offset,
                .attempts = job->attempts,
                .input = job->input,
                .input_len = job->input_len,
        };
        const void *key = job->um.url ? job->um.url : job->key;
        size_t key_len = job->um.url ? strlen(job->um.url) : job->key_len;
        rd_kafka_resp_err_t err;
        char *json = NULL;
        size_t len = 0;

        if (deadletter_json(&dl, &json, &len)) {
                LOG(LOG_ERROR, "out of memory building an error object");
                f->fatal = true;
                return;
        }
        job->outcome = OUT_ERROR;
        err = kafka_produce(f->producer, f->conf->errors_topic, key, key_len,
                            json, len, NULL, job, PRODUCE_WAIT_MS);
        free(json);
        if (err) {
                /* Not even the dead letter can be written: stop rather
                 * than lose the URL; it stays uncommitted. */
                LOGF(LOG_ERROR, "cannot produce to the errors topic",
                     LOG_S("topic", f->conf->errors_topic),
                     LOG_S("err", rd_kafka_err2str(err)));
                f->fatal = true;
                job->outcome = OUT_NONE;
                return;
        }
        f->n_errors++;
        LOGF(LOG_DEBUG, "dead-lettered", LOG_S("code", code),
             LOG_S("url", job->um.url), LOG_S("why", message));
}

/* ---- transfers ------------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        job_t *job = userdata;
        size_t n = size * nmemb;
        size_t max = (size_t)job->f->conf->max_body;

        if (n > max - job->body_len || job->body_len > max) {
                job->too_large = true;
                return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
        }
        if (job->body_len + n > job->body_cap) {
                size_t cap = job->body_cap ? job->body_cap : 16384;
                char *body;

                while (cap < job->body_len + n)
                        cap *= 2;
                if (cap > max)
                        cap = max;
                body = realloc(job->body, cap);
                if (!body)
                        return 0;
                job->body = body;
                job->body_cap = cap;
        }
        memcpy(job->body + job->body_len, ptr, n);
        job->body_len += n;
        return n;
}

/* Every connection, redirects included, is checked on its resolved
 * address before it is made. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose,
                                    struct curl_sockaddr *addr)
{
        job_t *job = clientp;

        if (!netguard_allowed(job->f->guard, &addr->addr)) {
                job->blocked = true;
                return CURL_SOCKET_BAD;
        }
        return socket(addr->family, addr->socktype | SOCK_CLOEXEC,
                      addr->protocol);
}

static int job_start(fetcher_t *f, job_t *job)
{
        const fetcher_config_t *c = f->conf;
        CURL *e = curl_easy_init();

        if (!e)
                return -1;
        job->easy = e;
        curl_easy_setopt(e, CURLOPT_URL, job->um.url);
        curl_easy_setopt(e, CURLOPT_PRIVATE, job);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, job->errbuf);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, c->max_redirects);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, c->timeout);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, c->low_speed_limit);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, c->low_speed_time);
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                         (curl_off_t)c->max_body);
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* all built in */
        curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, job);
        job->started_ms = clock_mono_ms();
        job->attempts++;
        if (curl_multi_add_handle(f->multi, e) != CURLM_OK)
                return -1;
        f->transfers++;
        return 0;
}

/* Maps a failed transfer to the design's stable error code. */
static const char *transfer_error_code(const job_t *job, CURLcode rc)
{
        if (job->too_large || rc == CURLE_FILESIZE_EXCEEDED)
                return "too_large";
        if (job->blocked && rc == CURLE_COULDNT_CONNECT)
                return "blocked_address";
        switch (rc) {
        case CURLE_URL_MALFORMAT:
                return "invalid_url";
        case CURLE_UNSUPPORTED_PROTOCOL:
                return "unsupported_scheme";
        case CURLE_COULDNT_RESOLVE_HOST:
                return "dns_failure";
        case CURLE_COULDNT_RESOLVE_PROXY:
                return "proxy_failed";
        case CURLE_COULDNT_CONNECT:
                return "connect_failed";
        case CURLE_OPERATION_TIMEDOUT:
                return "timeout";
        case CURLE_TOO_MANY_REDIRECTS:
                return "too_many_redirects";
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
                return "tls_error";
        default:
                /* Reset connections, empty replies, bad encodings. */
                return "network_error";
        }
}

static void add_header(rd_kafka_headers_t *h, const char *name,
                       const char *val)
{
        if (val)
                rd_kafka_header_add(h, name, -1, val, -1);
}

/* Produces the page of a finished transfer; its delivery report
 * finishes the job. */
static void job_produce_page(fetcher_t *f, job_t *job)
{
        rd_kafka_headers_t *h = rd_kafka_headers_new(12);
        char status_s[16], elapsed_s[24], attempts_s[16], depth_s[24];
        char fetched_at[CLOCK_RFC3339_SIZE];
        char *eff = NULL, *ctype = NULL, *final_url = NULL;
        long status = 0;
        url_t *u = NULL;
        rd_kafka_resp_err_t err;

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

        add_header(h, "url", job->um.url);
        add_header(h, "final_url", final_url ? final_url :
                   eff ? eff : job->um.url);
        add_header(h, "status", status_s);
        add_header(h, "content_type", ctype);
        add_header(h, "fetched_at", clock_rfc3339(fetched_at,
                                                  sizeof(fetched_at)));
        add_header(h, "elapsed_ms", elapsed_s);
        add_header(h, "attempts", attempts_s);
        add_header(h, "source_topic", job->topic);
        if (job->um.depth >= 0) {
                snprintf(depth_s, sizeof(depth_s), "%ld", job->um.depth);
                add_header(h, "depth", depth_s);
        }
        add_header(h, "id", job->um.id);
        add_header(h, "meta", job->um.meta);
        url_destroy(u);

        job->outcome = OUT_PAGE;
        err = kafka_produce(f->producer, f->conf->pages_topic, job->um.url,
                            strlen(job->um.url), job->body, job->body_len, h,
                            job, PRODUCE_WAIT_MS);
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
                job->outcome = OUT_NONE;
                f->fatal = true;
                return;
        }
        f->n_pages++;
        /* librdkafka copied the body. */
        free(job->body);
        job->body = NULL;
        job->body_len = job->body_cap = 0;
}

static void transfer_done(fetcher_t *f, CURLMsg *m)
{
        job_t *job = NULL;
        char why[CURL_ERROR_SIZE + 64];

        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&job);
        curl_multi_remove_handle(f->multi, m->easy_handle);
        f->transfers--;
        if (m->data.result == CURLE_OK) {
                job_produce_page(f, job);
        } else {
                snprintf(why, sizeof(why), "%s%s%s",
                         curl_easy_strerror(m->data.result),
                         job->errbuf[0] ? ": " : "", job->errbuf);
                if (job->too_large)
                        snprintf(why, sizeof(why),
                                 "body larger than --max-body (%lld bytes)",
                                 f->conf->max_body);
                job_fail(f, job, transfer_error_code(job, m->data.result),
                         why);
        }
        curl_easy_cleanup(job->easy);
        job->easy = NULL;
}

/* ---- Kafka ----------------------------------------------------------- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                        void *opaque)
{
        fetcher_t *f = opaque;
        job_t *job = msg->_private;

        if (!job || f->closing)
                return;
        if (msg->err) {
                if (job->outcome == OUT_PAGE &&
                    msg->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                        /* Dead-letter it from the loop, not from inside
                         * the producer's poll. */
                        job->redo_as_error = true;
                        return;
                }
                LOGF(LOG_ERROR, "delivery failed",
                     LOG_S("topic", rd_kafka_topic_name(msg->rkt)),
                     LOG_S("url", job->um.url),
                     LOG_S("err", rd_kafka_err2str(msg->err)));
                f->fatal = true;
                return;
        }
        job_finish(f, job);
}

static void set_paused(fetcher_t *f, bool pause)
{
        rd_kafka_topic_partition_list_t *parts = NULL;

        if (f->paused == pause)
                return;
        if (rd_kafka_assignment(f->consumer, &parts) || !parts)
                return;
        if (pause)
                rd_kafka_pause_partitions(f->consumer, parts);
        else
                rd_kafka_resume_partitions(f->consumer, parts);
        LOGF(LOG_DEBUG, pause ? "paused" : "resumed",
             LOG_I("partitions", parts->cnt), LOG_I("held", f->held));
        rd_kafka_topic_partition_list_destroy(parts);
        f->paused = pause;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        fetcher_t *f = opaque;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                LOGF(LOG_INFO, "partitions assigned",
                     LOG_I("count", parts->cnt));
                rd_kafka_assign(rk, parts);
                f->paused = false;
                return;
        }
        LOGF(LOG_INFO, "partitions revoked", LOG_I("count", parts->cnt));
        /* Commit what is finished; work still in flight on these
         * partitions completes, but its offsets belong to the next owner,
         * which fetches those URLs again (at-least-once). */
        rd_kafka_commit(rk, NULL, 0);
        for (int i = 0; i < parts->cnt; i++)
                offsets_forget(f->offsets, parts->elems[i].topic,
                               parts->elems[i].partition);
        rd_kafka_assign(rk, NULL);
        f->paused = false;
}

/* One consumed message: becomes a transfer, or a dead letter. */
static void handle_message(fetcher_t *f, rd_kafka_message_t *msg)
{
        const char *code;
        char why[512];
        job_t *job;

        if (msg->err) {
                if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        LOGF(LOG_WARN, "consumer error",
                             LOG_S("err", rd_kafka_message_errstr(msg)));
                return;
        }
        f->n_consumed++;
        job = job_new(f, msg);
        if (!job || offsets_begin(f->offsets, job->topic, job->partition,
                                  job->offset)) {
                LOG(LOG_ERROR, "out of memory taking a URL message");
                if (job) {
                        job_unlink(f, job);
                        job_free(job);
                }
                f->fatal = true;
                return;
        }
        if (urlmsg_decode(msg->payload, msg->len, &job->um, &code, why,
                          sizeof(why))) {
                job_fail(f, job, code, why);
                return;
        }
        if (job_start(f, job)) {
                job_fail(f, job, "invalid_url", "transfer setup failed");
                return;
        }
}

static void consume_available(fetcher_t *f)
{
        size_t max = (size_t)f->conf->max_inflight;

        for (;;) {
                rd_kafka_message_t *msg;

                if (f->held >= max)
                        set_paused(f, true);
                else if (f->held <= max / 2)
                        set_paused(f, false);
                /* Polled even when paused: rebalances and errors. */
                msg = rd_kafka_consumer_poll(f->consumer, 0);
                if (!msg)
                        return;
                handle_message(f, msg);
                rd_kafka_message_destroy(msg);
                if (f->fatal)
                        return;
        }
}

/* Empties a wake-up pipe. */
static void drain_pipe(int fd)
{
        char buf[64];

        while (read(fd, buf, sizeof(buf)) > 0)
                ;
}

/* Runs curl, collects finished transfers, serves delivery reports, then
 * waits on every source at once for at most `wait_ms`. */
static void loop_once(fetcher_t *f, int wait_ms)
{
        struct curl_waitfd extra[3] = {
                { f->cq_pipe[0], CURL_WAIT_POLLIN, 0 },
                { f->pq_pipe[0], CURL_WAIT_POLLIN, 0 },
                { signals_fd(), CURL_WAIT_POLLIN, 0 },
        };
        CURLMsg *m;
        int running, left;

        curl_multi_perform(f->multi, &running);
        while ((m = curl_multi_info_read(f->multi, &left)))
                if (m->msg == CURLMSG_DONE)
                        transfer_done(f, m);
        rd_kafka_poll(f->producer, 0);

        /* Pages Kafka refused as too large become dead letters. */
        for (job_t *job = f->jobs, *next; job; job = next) {
                next = job->next;
                if (job->redo_as_error) {
                        job->redo_as_error = false;
                        job_fail(f, job, "too_large",
                                 "page refused by the broker as too large");
                }
        }
        curl_multi_poll(f->multi, extra, f->draining ? 2 : 3, wait_ms, NULL);
        drain_pipe(f->cq_pipe[0]);
        drain_pipe(f->pq_pipe[0]);
}

/* ---- life cycle ------------------------------------------------------ */

static int wake_pipe(int p[2])
{
        return pipe2(p, O_NONBLOCK | O_CLOEXEC);
}

fetcher_t *fetcher_new(const fetcher_config_t *conf,
                       const strlist_t *kafka_props, char *errstr,
                       size_t errstr_size)
{
        fetcher_t *f = calloc(1, sizeof(*f));

        if (!f) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        f->conf = conf;
        f->cq_pipe[0] = f->cq_pipe[1] = f->pq_pipe[0] = f->pq_pipe[1] = -1;

        f->guard = netguard_new(conf->allow_private, &conf->allow_net,
                                errstr, errstr_size);
        if (!f->guard)
                goto fail;
        f->offsets = offsets_new();
        if (!f->offsets || wake_pipe(f->cq_pipe) || wake_pipe(f->pq_pipe)) {
                snprintf(errstr, errstr_size, "out of memory or descriptors");
                goto fail;
        }
        /* Room for the largest page plus headers and framing. */
        f->producer = kafka_producer_new(conf->brokers, kafka_props,
                                         (size_t)conf->max_body + 65536,
                                         on_delivery, f, errstr,
                                         errstr_size);
        if (!f->producer)
                goto fail;
        f->consumer = kafka_consumer_new(conf->brokers, conf->group,
                                         kafka_props, on_rebalance, f, errstr,
                                         errstr_size);
        if (!f->consumer)
                goto fail;
        if (kafka_subscribe(f->consumer, conf->urls_topic, errstr,
                            errstr_size))
                goto fail;

        /* librdkafka writes a byte when a queue turns non-empty. */
        f->cq = rd_kafka_queue_get_consumer(f->consumer);
        f->pq = rd_kafka_queue_get_main(f->producer);
        rd_kafka_queue_io_event_enable(f->cq, f->cq_pipe[1], "c", 1);
        rd_kafka_queue_io_event_enable(f->pq, f->pq_pipe[1], "p", 1);

        f->multi = curl_multi_init();
        if (!f->multi) {
                snprintf(errstr, errstr_size, "curl_multi_init failed");
                goto fail;
        }
        curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          conf->max_inflight);
        curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                          conf->host_concurrency);
        return f;
fail:
        fetcher_destroy(f);
        return NULL;
}

int fetcher_run(fetcher_t *f)
{
        int64_t deadline;

        LOGF(LOG_INFO, "fetcher started", LOG_S("brokers", f->conf->brokers),
             LOG_S("group", f->conf->group),
             LOG_S("urls_topic", f->conf->urls_topic),
             LOG_I("max_inflight", f->conf->max_inflight));
        while (!signals_stop && !f->fatal) {
                consume_available(f);
                loop_once(f, POLL_MAX_MS);
        }

        /* Drain: no new URLs; finish what is in flight, within limits. */
        f->draining = true;
        deadline = clock_mono_ms() + f->conf->drain_timeout * 1000;
        LOGF(LOG_INFO, "draining", LOG_I("held", f->held),
             LOG_I("transfers", f->transfers));
        while (f->held && !f->fatal && clock_mono_ms() < deadline) {
                int64_t left = deadline - clock_mono_ms();

                loop_once(f, left < 100 ? (int)left : 100);
        }
        rd_kafka_flush(f->producer, 10000);
        if (f->held)
                LOGF(LOG_WARN, "abandoned unfinished URLs (fetched again "
                     "after a restart)", LOG_I("count", f->held));
        if (!f->fatal) {
                rd_kafka_resp_err_t err = rd_kafka_commit(f->consumer, NULL,
                                                          0);

                if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                        LOGF(LOG_WARN, "final commit failed",
                             LOG_S("err", rd_kafka_err2str(err)));
        }
        LOGF(LOG_INFO, "fetcher stopped", LOG_I("consumed", f->n_consumed),
             LOG_I("pages", f->n_pages), LOG_I("errors", f->n_errors));
        return f->fatal ? -1 : 0;
}

void fetcher_destroy(fetcher_t *f)
{
        if (!f)
                return;
        /* Delivery reports served while the clients close must not touch
         * jobs or the consumer any more. */
        f->closing = true;
        if (f->cq)
                rd_kafka_queue_destroy(f->cq);
        if (f->pq)
                rd_kafka_queue_destroy(f->pq);
        if (f->consumer) {
                rd_kafka_consumer_close(f->consumer);
                rd_kafka_destroy(f->consumer);
        }
        if (f->producer)
                rd_kafka_destroy(f->producer);
        while (f->jobs) {
                job_t *job = f->jobs;

                if (job->easy)
                        curl_multi_remove_handle(f->multi, job->easy);
                job_unlink(f, job);
                job_free(job);
        }
        if (f->multi)
                curl_multi_cleanup(f->multi);
        for (int i = 0; i < 2; i++) {
                if (f->cq_pipe[i] >= 0)
                        close(f->cq_pipe[i]);
                if (f->pq_pipe[i] >= 0)
                        close(f->pq_pipe[i]);
        }
        offsets_destroy(f->offsets);
        netguard_destroy(f->guard);
        free(f);
}
