/*
 * fetcher.c — the fetch loop (see fetcher.h).
 *
 * A job is one consumed URL message, from consumption to the delivery
 * report of its outcome (a page, a dead letter, a re-routed copy or a
 * parked copy). Its context rides along: CURLOPT_PRIVATE during a
 * transfer, the produced message's opaque until the delivery report.
 * Between the two it waits in its host's queue (hosts.h), which decides
 * when it may start; a retry waits in the loop's timer heap.
 *
 * robots.txt fetches are jobs too (JOB_ROBOTS), without a message: they
 * run through the same multi handle, the host held until they end.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "clock.h"
#include "deadletter.h"
#include "fetcher.h"
#include "hosts.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "netguard.h"
#include "offsets.h"
#include "proxies.h"
#include "robots.h"
#include "seen.h"
#include "signals.h"
#include "url.h"
#include "urlmsg.h"

#define POLL_MAX_MS      1000   /* the loop's longest wait               */
#define PRODUCE_WAIT_MS  30000  /* back-pressure before giving up        */
#define META_TTL_MS      300000 /* partition counts are re-read after    */
#define META_TIMEOUT_MS  5000
#define ROBOTS_UNREACHABLE_TTL_MS 3600000 /* robots_unreachable verdict  */
#define ROBOTS_FAIL_OPEN_TTL_MS   600000  /* DNS failure / blocked: the
                                            * URLs fail on their own      */
#define HDR_DUE_AT       "kcrawl_due_at"  /* delay topic: epoch ms        */
#define HDR_ATTEMPTS     "kcrawl_attempts"
#define HDR_SOURCE       "kcrawl_source_topic"
#define HDR_FOLLOWED     "followed_from"   /* the cleaner's followed links */

#define container_of(p, type, member) \
        ((type *)(void *)((char *)(p) - offsetof(type, member)))

typedef enum {
        OUT_NONE,    /* not produced yet                        */
        OUT_PAGE,    /* the page is on its way                  */
        OUT_ERROR,   /* the error object is on its way          */
        OUT_REROUTE, /* a copy on the right partition is on its way */
        OUT_PARKED,  /* a copy on the delay topic is on its way */
} outcome_t;

typedef enum { JOB_URL, JOB_ROBOTS } job_kind_t;

typedef enum {
        JS_NEW,       /* being decoded                      */
        JS_QUEUED,    /* in its host's queue                */
        JS_RETRY,     /* waiting in the timer heap          */
        JS_TRANSFER,  /* in curl                            */
        JS_OUTCOME,   /* produced, awaiting delivery        */
} job_state_t;

/* Timers of the loop's heap: what fires, and for whom. */
typedef enum { T_RETRY, T_ROBOTS, T_RESUME } tkind_t;

typedef struct tnode {
        htimer_t t;     /* first: the heap holds &tnode.t */
        tkind_t  kind;
        void    *owner;
} tnode_t;

typedef struct job {
        struct job *prev, *next;    /* the fetcher's list of live jobs   */
        struct job *done_next;      /* delivery reports to serve         */
        hlink_t     qlink;          /* its host's queue                  */
        tnode_t     timer;          /* a retry's due time                */
        struct fetcher *f;
        job_kind_t  kind;
        job_state_t state;
        char       *topic;
        char       *source_topic;   /* the URL topic (delay topic: header) */
        int32_t     partition;
        int64_t     offset;
        void       *key;
        size_t      key_len;
        void       *input;          /* the message's value, for errors */
        size_t      input_len;
        char       *followed_from;  /* a followed link: the page's URL */
        urlmsg_t    um;
        host_t     *host;           /* while queued or in transfer       */
        CURL       *easy;
        struct curl_slist *hdrs;
        char       *body;
        size_t      body_len, body_cap, body_max;
        bool        too_large;      /* the write callback hit the cap    */
        bool        blocked;        /* the guard refused an address      */
        int64_t     started_ms;
        int         attempts;
        int         proxy;          /* index in the pool, -1 = direct    */
        outcome_t   outcome;
        rd_kafka_resp_err_t dr_err; /* the delivery report's error       */
        bool        in_done;
        char        errbuf[CURL_ERROR_SIZE];
} job_t;

/* What the fetcher keeps per host besides hosts.h's scheduling state. */
typedef enum { RS_NONE, RS_FETCHING, RS_WAIT, RS_READY,
               RS_UNREACHABLE } robots_state_t;

typedef struct hstate {
        struct fetcher *f;
        robots_state_t  state;
        robots_t       *rules;
        int64_t         expires_ms;
        int             failures;
        char            scheme[8];
        tnode_t         timer;      /* robots retry */
        host_t         *host;
} hstate_t;

/* A partition paused until its next delayed URL is due. */
typedef struct dpause {
        char    *topic;
        int32_t  partition;
        tnode_t  timer;
        struct dpause *next;
} dpause_t;

/* Partition counts of topics, from metadata. */
typedef struct tmeta {
        char    *topic;
        int32_t  partitions;
        int64_t  fetched_ms;
        struct tmeta *next;
} tmeta_t;

/* The fetcher's Prometheus series (metrics.h), registered at start-up.
 * Labels come from fixed sets: never a URL or a host. */
enum { RQ_PAGE, RQ_ERROR, RQ_RETRY, RQ_N };
enum { RB_ALLOWED, RB_DISALLOWED, RB_UNREACHABLE, RB_N };
#define STATUS_CLASSES 6 /* 1xx..5xx, "none" (no HTTP answer) */

typedef struct fmetrics {
        mcounter_t *requests[RQ_N][STATUS_CLASSES];
        mcounter_t *pages, *errors, *bytes, *retries, *backoffs, *blocked,
                   *rate_waits, *rerouted, *parked, *links_dropped,
                   *robots[RB_N];
        mgauge_t   *inflight, *queued, *hosts, *hosts_active, *paused,
                   *seen;
        mhist_t    *response;
        uint64_t    waits_seen;
} fmetrics_t;

/* --resolve / --connect-to entries: the operator's own targets. */
typedef struct override {
        char *host;  /* "" = any */
        int   port;  /* 0 = any  */
} override_t;

struct fetcher {
        const fetcher_config_t *conf;
        rd_kafka_t       *consumer;
        rd_kafka_t       *producer;
        rd_kafka_queue_t *cq, *pq;
        int               cq_pipe[2], pq_pipe[2];
        CURLM            *multi;
        CURLSH           *share;
        netguard_t       *guard;
        offsets_t        *offsets;
        hosts_t          *hosts;
        proxies_t        *proxies;
        seen_t           *seen;       /* fetched URLs (NULL: off) */
        theap_t           timers;
        struct curl_slist *resolve, *connect_to;
        override_t       *trusted;
        size_t            ntrusted;
        char              agent[64];  /* robots.txt product token */
        double            host_rate;
        job_t            *jobs;       /* every live job          */
        job_t            *done;       /* delivery reports to serve */
        dpause_t         *dpauses;
        tmeta_t          *meta;
        size_t            held;       /* URL jobs in memory      */
        size_t            transfers;  /* jobs in curl            */
        size_t            outstanding;/* outcomes awaiting delivery */
        bool              paused;
        bool              fatal;
        bool              draining;
        bool              closing;
        fmetrics_t        m;
        int               paused_parts;
        /* Totals, logged at the end and by --log-level debug. */
        uint64_t          n_consumed, n_pages, n_errors, n_rerouted,
                          n_parked, n_retries, n_robots, n_dropped;
};

static void job_fail(fetcher_t *f, job_t *job, const char *code,
                     const char *message);
static void job_park(fetcher_t *f, job_t *job, int64_t wait_ms);

/* ---- metrics --------------------------------------------------------- */

static void metrics_register(fmetrics_t *m)
{
        static const char *outcomes[RQ_N] = { "page", "error", "retry" };
        static const char *classes[STATUS_CLASSES] = { "1xx", "2xx", "3xx",
                                                       "4xx", "5xx", "none" };
        static const char *robots[RB_N] = { "allowed", "disallowed",
                                            "unreachable" };
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
        m->pages = metrics_counter("kcrawl_fetcher_pages_total", NULL,
                                   "Pages produced to the pages topic.");
        m->errors = metrics_counter("kcrawl_fetcher_errors_total", NULL,
                                    "URLs dead-lettered to the errors "
                                    "topic.");
        m->bytes = metrics_counter("kcrawl_fetcher_response_bytes_total",
                                   NULL, "Response body bytes fetched, "
                                   "decoded.");
        m->retries = metrics_counter("kcrawl_fetcher_retries_total", NULL,
                                     "Transfers retried after a transient "
                                     "failure.");
        m->backoffs = metrics_counter("kcrawl_fetcher_backoffs_total", NULL,
                                      "429/503 answers that slowed a host "
                                      "down.");
        m->blocked = metrics_counter("kcrawl_fetcher_blocked_addresses_total",
                                     NULL, "Connections refused by the "
                                     "address guard.");
        m->rate_waits = metrics_counter("kcrawl_fetcher_rate_limit_waits_total",
                                        NULL, "Times a host with queued URLs "
                                        "waited for a token or back-off.");
        m->rerouted = metrics_counter("kcrawl_fetcher_rerouted_total", NULL,
                                      "URL messages re-produced to the "
                                      "partition of their host key.");
        m->parked = metrics_counter("kcrawl_fetcher_parked_total", NULL,
                                    "URLs parked on the delay topic.");
        m->links_dropped = metrics_counter(
                "kcrawl_fetcher_links_dropped_total", NULL,
                "Followed links dropped: their URL was fetched already.");
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
        m->response = metrics_histogram("kcrawl_fetcher_response_seconds",
                                        NULL, "Time of one HTTP request, "
                                        "redirects included.",
                                        metrics_latency_bounds,
                                        metrics_latency_nbounds);
}

static int status_class(long status)
{
        return status >= 100 && status < 600 ? (int)(status / 100) - 1 :
               STATUS_CLASSES - 1;
}

/* ---- jobs ------------------------------------------------------------ */

static void job_free(job_t *job)
{
        if (job->easy)
                curl_easy_cleanup(job->easy);
        curl_slist_free_all(job->hdrs);
        urlmsg_clear(&job->um);
        free(job->topic);
        free(job->source_topic);
        free(job->key);
        free(job->input);
        free(job->followed_from);
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
        if (job->kind == JOB_URL)
                f->held--;
}

static void job_link(fetcher_t *f, job_t *job)
{
        job->next = f->jobs;
        if (f->jobs)
                f->jobs->prev = job;
        f->jobs = job;
        if (job->kind == JOB_URL)
                f->held++;
}

static job_t *job_new(fetcher_t *f, const rd_kafka_message_t *msg)
{
        job_t *job = calloc(1, sizeof(*job));

        if (!job)
                return NULL;
        job->f = f;
        job->kind = JOB_URL;
        job->proxy = -1;
        job->timer.kind = T_RETRY;
        job->timer.owner = job;
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
        job_link(f, job);
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

/* Produces value/key/headers to topic[partition] (RD_KAFKA_PARTITION_UA:
 * the producer's partitioner); QUEUE_FULL is back-pressure. librdkafka
 * owns `hdrs` on success. */
static rd_kafka_resp_err_t produce_to(fetcher_t *f, const char *topic,
                                      int32_t partition, const void *key,
                                      size_t key_len, const void *value,
                                      size_t value_len,
                                      rd_kafka_headers_t *hdrs, void *opaque)
{
        int waited = 0;

        for (;;) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                        f->producer, RD_KAFKA_V_TOPIC(topic),
                        RD_KAFKA_V_PARTITION(partition),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_KEY(key, key_len),
                        RD_KAFKA_V_VALUE((void *)value, value_len),
                        RD_KAFKA_V_HEADERS(hdrs),
                        RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);

                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL ||
                    waited >= PRODUCE_WAIT_MS)
                        return err;
                /* Delivery reports only queue jobs (f->done): safe. */
                rd_kafka_poll(f->producer, 50);
                waited += 50;
        }
}

static void job_produced(fetcher_t *f, job_t *job, outcome_t outcome)
{
        job->outcome = outcome;
        job->state = JS_OUTCOME;
        f->outstanding++;
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
                .topic = job->source_topic ? job->source_topic : job->topic,
                .partition = job->partition,
                .offset = job->offset,
                .attempts = job->attempts,
                .proxy = proxies_name(f->proxies, job->proxy),
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

/* ---- partitions ------------------------------------------------------ */

/* The partition count of `topic` (cached), or -1 when unknown. */
static int32_t topic_partitions(fetcher_t *f, const char *topic)
{
        int64_t now = clock_mono_ms();
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt;
        rd_kafka_resp_err_t err;
        tmeta_t *m;

        for (m = f->meta; m; m = m->next)
                if (!strcmp(m->topic, topic))
                        break;
        if (m && now - m->fetched_ms < META_TTL_MS)
                return m->partitions;
        rkt = rd_kafka_topic_new(f->producer, topic, NULL);
        if (!rkt)
                return m ? m->partitions : -1;
        err = rd_kafka_metadata(f->producer, 0, rkt, &md, META_TIMEOUT_MS);
        rd_kafka_topic_destroy(rkt);
        if (err || !md || md->topic_cnt != 1 || md->topics[0].err ||
            md->topics[0].partition_cnt <= 0) {
                if (md)
                        rd_kafka_metadata_destroy(md);
                LOGF(LOG_WARN, "no partition count for topic",
                     LOG_S("topic", topic), LOG_S("err", rd_kafka_err2str(err)));
                return m ? m->partitions : -1;
        }
        if (!m) {
                m = calloc(1, sizeof(*m));
                if (!m || !(m->topic = strdup(topic))) {
                        free(m);
                        rd_kafka_metadata_destroy(md);
                        return -1;
                }
                m->next = f->meta;
                f->meta = m;
        }
        m->partitions = md->topics[0].partition_cnt;
        m->fetched_ms = now;
        rd_kafka_metadata_destroy(md);
        return m->partitions;
}

/* The partition of host key `key` on `topic` by Kafka's murmur2
 * partitioner (librdkafka's own implementation), or -1 when unknown. */
static int32_t host_partition(fetcher_t *f, const char *topic,
                              const char *key)
{
        int32_t cnt = topic_partitions(f, topic);

        if (cnt <= 0)
                return -1;
        return rd_kafka_msg_partitioner_murmur2(NULL, key, strlen(key), cnt,
                                                NULL, NULL);
}

/* ---- timers ---------------------------------------------------------- */

static void timer_set(fetcher_t *f, tnode_t *t, int64_t due)
{
        t->t.due = due;
        if (theap_push(&f->timers, &t->t)) {
                LOG(LOG_ERROR, "out of memory scheduling a timer");
                f->fatal = true;
        }
}

/* Exponential back-off with jitter: base * 2^(n-1), capped, times a
 * random factor in [0.5, 1]. */
static int64_t backoff_ms(long base, long max, int n)
{
        double ms = (double)base * pow(2.0, n > 1 ? n - 1 : 0);

        if (ms > (double)max)
                ms = (double)max;
        return (int64_t)(ms * (0.5 + 0.5 * drand48()));
}

/* ---- transfers ------------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        job_t *job = userdata;
        size_t n = size * nmemb;
        size_t max = job->body_max;

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

/* Did the operator name this transfer's target (--resolve,
 * --connect-to)? Then its address is trusted: their own choice. */
static bool target_trusted(fetcher_t *f, job_t *job)
{
        char *eff = NULL;
        url_t *u = NULL;
        bool ok = false;
        int port;

        if (!f->ntrusted)
                return false;
        curl_easy_getinfo(job->easy, CURLINFO_EFFECTIVE_URL, &eff);
        if (!eff || url_parse(eff, NULL, &u, NULL, 0))
                return false;
        port = u->port > 0 ? u->port : !strcmp(u->scheme, "https") ? 443 : 80;
        for (size_t i = 0; i < f->ntrusted && !ok; i++) {
                const override_t *o = &f->trusted[i];

                ok = (!*o->host || !strcasecmp(o->host, u->host)) &&
                     (!o->port || o->port == port);
        }
        url_destroy(u);
        return ok;
}

/* Every connection, redirects included, is checked on its resolved
 * address before it is made. A proxy is the operator's: trusted. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose,
                                    struct curl_sockaddr *addr)
{
        job_t *job = clientp;
        fetcher_t *f = job->f;

        if (job->proxy < 0 && !netguard_allowed(f->guard, &addr->addr) &&
            !target_trusted(f, job)) {
                job->blocked = true;
                return CURL_SOCKET_BAD;
        }
        return socket(addr->family, addr->socktype | SOCK_CLOEXEC,
                      addr->protocol);
}

/* Sets up and starts the transfer of job->um.url (or the robots.txt URL
 * in `url`). */
static int job_start(fetcher_t *f, job_t *job, const char *url)
{
        const fetcher_config_t *c = f->conf;
        CURL *e = curl_easy_init();

        if (!e)
                return -1;
        job->easy = e;
        job->too_large = job->blocked = false;
        job->errbuf[0] = '\0';
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_PRIVATE, job);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, job->errbuf);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        /* RFC 9309: follow at least five redirects for robots.txt. */
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, job->kind == JOB_ROBOTS ?
                         5L : c->max_redirects);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, c->timeout);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, c->low_speed_limit);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, c->low_speed_time);
        if (job->kind == JOB_URL)
                curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                                 (curl_off_t)c->max_body);
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* all built in */
        curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
        if (c->ca_file && *c->ca_file)
                curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, job);
        curl_easy_setopt(e, CURLOPT_SHARE, f->share);
        if (f->resolve)
                curl_easy_setopt(e, CURLOPT_RESOLVE, f->resolve);
        if (f->connect_to)
                curl_easy_setopt(e, CURLOPT_CONNECT_TO, f->connect_to);
        if (job->proxy >= 0) {
                curl_easy_setopt(e, CURLOPT_PROXY,
                                 proxies_url(f->proxies, job->proxy));
                /* https targets through an http proxy use CONNECT; so do
                 * http ones, so the proxy sees no more than it must. */
                curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L);
        }
        job->body_max = job->kind == JOB_ROBOTS ? ROBOTS_MAX_BYTES :
                        (size_t)c->max_body;
        job->started_ms = clock_mono_ms();
        if (job->kind == JOB_URL)
                job->attempts++;
        if (curl_multi_add_handle(f->multi, e) != CURLM_OK)
                return -1;
        job->state = JS_TRANSFER;
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
        if (job->proxy >= 0 && (rc == CURLE_COULDNT_RESOLVE_PROXY ||
                                rc == CURLE_COULDNT_CONNECT ||
                                rc == CURLE_PROXY))
                return "proxy_failed";
        switch (rc) {
        case CURLE_URL_MALFORMAT:
                return "invalid_url";
        case CURLE_UNSUPPORTED_PROTOCOL:
                return "unsupported_scheme";
        case CURLE_COULDNT_RESOLVE_HOST:
                return "dns_failure";
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_PROXY:
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

/* Transient network failures worth a retry (the design: connect errors
 * and timeouts; resets and empty replies are the same kind). */
static bool transient_error(const job_t *job, CURLcode rc)
{
        if (job->blocked || job->too_large)
                return false;
        switch (rc) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_PROXY:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return true;
        default:
                return false;
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
        add_header(h, "source_topic", job->source_topic ? job->source_topic :
                   job->topic);
        if (job->um.depth >= 0) {
                snprintf(depth_s, sizeof(depth_s), "%ld", job->um.depth);
                add_header(h, "depth", depth_s);
        }
        add_header(h, "id", job->um.id);
        add_header(h, "meta", job->um.meta);
        /* Fetched: a followed link to either URL is dropped from now on. */
        seen_add(f->seen, job->um.url);
        if (final_url && strcmp(final_url, job->um.url))
                seen_add(f->seen, final_url);
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

/* ---- robots.txt ------------------------------------------------------ */

static void hstate_free(void *p)
{
        hstate_t *hs = p;

        theap_remove(&hs->f->timers, &hs->timer.t);
        robots_destroy(hs->rules);
        free(hs);
}

static hstate_t *hstate_of(fetcher_t *f, host_t *h)
{
        hstate_t *hs = h->user;

        if (!hs) {
                hs = calloc(1, sizeof(*hs));
                if (!hs)
                        return NULL;
                hs->f = f;
                hs->host = h;
                hs->timer.kind = T_ROBOTS;
                hs->timer.owner = hs;
                h->user = hs;
        }
        return hs;
}

/* The path and query of an href ("http://h/p?q#f" -> "/p?q"), in buf. */
static const char *href_path(const char *href, char *buf, size_t size)
{
        const char *p = strstr(href, "://");
        size_t n;

        p = p ? strchr(p + 3, '/') : NULL;
        if (!p)
                return "/";
        n = strcspn(p, "#");
        if (n >= size)
                n = size - 1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        return buf;
}

/* Starts the robots.txt fetch of host h (the scheme of its first URL). */
static int robots_start(fetcher_t *f, host_t *h, hstate_t *hs)
{
        job_t *job = calloc(1, sizeof(*job));
        char url[1200];

        if (!job)
                return -1;
        job->f = f;
        job->kind = JOB_ROBOTS;
        job->host = h;
        job->proxy = proxies_pick(f->proxies, h->key, h->proxy,
                                  clock_mono_ms());
        h->proxy = job->proxy;
        snprintf(url, sizeof(url), "%s://%s/robots.txt", hs->scheme, h->key);
        job_link(f, job);
        if (job_start(f, job, url)) {
                job_unlink(f, job);
                job_free(job);
                return -1;
        }
        hs->state = RS_FETCHING;
        h->hold = true;
        host_start(f->hosts, h, clock_mono_ms());
        return 0;
}

/* Ends every URL queued on h as `code` (robots_unreachable). */
static void host_fail_all(fetcher_t *f, host_t *h, const char *code,
                          const char *why)
{
        hlink_t *l;

        while ((l = host_pop(h))) {
                job_t *job = container_of(l, job_t, qlink);

                job->host = NULL;
                mcounter_add(f->m.robots[RB_UNREACHABLE], 1);
                job_fail(f, job, code, why);
        }
}

static void robots_done(fetcher_t *f, job_t *job, CURLcode rc)
{
        host_t *h = job->host;
        hstate_t *hs = h->user;
        int64_t now = clock_mono_ms();
        long status = 0;
        bool slow = false;
        curl_off_t ra = 0;

        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        f->n_robots++;
        /* The body is kept up to the cap: a bigger file is cut, not
         * refused (RFC 9309: parse at least 500 KiB). */
        if (rc == CURLE_WRITE_ERROR && job->too_large)
                rc = CURLE_OK;
        if (rc == CURLE_OK && status >= 200 && status < 300) {
                robots_destroy(hs->rules);
                hs->rules = robots_parse(job->body ? job->body : "",
                                         job->body_len, f->agent);
                hs->state = hs->rules ? RS_READY : RS_NONE;
                hs->expires_ms = now + f->conf->robots_cache * 1000;
                hs->failures = 0;
                if (hs->rules) {
                        double d = robots_crawl_delay(hs->rules);

                        if (d > (double)f->conf->max_crawl_delay)
                                d = (double)f->conf->max_crawl_delay;
                        host_set_delay(f->hosts, h, d, now);
                }
        } else if (rc == CURLE_OK && status >= 400 && status < 500 &&
                   status != 429) {
                /* Unavailable: everything allowed. */
                robots_destroy(hs->rules);
                hs->rules = robots_allow_all();
                hs->state = hs->rules ? RS_READY : RS_NONE;
                hs->expires_ms = now + f->conf->robots_cache * 1000;
                hs->failures = 0;
        } else if (rc == CURLE_COULDNT_RESOLVE_HOST || job->blocked ||
                   rc == CURLE_TOO_MANY_REDIRECTS ||
                   rc == CURLE_UNSUPPORTED_PROTOCOL) {
                /* Nothing on the host can be reached (or robots.txt is
                 * unavailable by RFC 9309's redirect limit): the URLs are
                 * tried and end with their own error. */
                robots_destroy(hs->rules);
                hs->rules = robots_allow_all();
                hs->state = hs->rules ? RS_READY : RS_NONE;
                hs->expires_ms = now + ROBOTS_FAIL_OPEN_TTL_MS;
        } else {
                /* 5xx, 429 or unreachable: everything disallowed while
                 * robots.txt is retried with back-off. */
                slow = rc == CURLE_OK && (status == 429 || status == 503);
                if (slow)
                        curl_easy_getinfo(job->easy, CURLINFO_RETRY_AFTER,
                                          &ra);
                hs->failures++;
                if (hs->failures > f->conf->robots_retries) {
                        char why[CURL_ERROR_SIZE + 96];

                        if (rc == CURLE_OK)
                                snprintf(why, sizeof(why), "robots.txt "
                                         "answered %ld, %d times", status,
                                         hs->failures);
                        else
                                snprintf(why, sizeof(why), "robots.txt "
                                         "unreachable, %d times: %s",
                                         hs->failures, job->errbuf[0] ?
                                         job->errbuf :
                                         curl_easy_strerror(rc));
                        hs->state = RS_UNREACHABLE;
                        hs->expires_ms = now + ROBOTS_UNREACHABLE_TTL_MS;
                        hs->failures = 0;
                        LOGF(LOG_WARN, "robots.txt unreachable",
                             LOG_S("host", h->key), LOG_S("why", why));
                        host_fail_all(f, h, "robots_unreachable", why);
                } else {
                        int64_t wait = backoff_ms(f->conf->robots_retry_ms,
                                                  3600000, hs->failures);

                        if (ra > 0 && ra * 1000 > wait)
                                wait = (ra > f->conf->max_retry_after ?
                                        f->conf->max_retry_after : ra) * 1000;
                        hs->state = RS_WAIT;
                        timer_set(f, &hs->timer, now + wait);
                        LOGF(LOG_DEBUG, "robots.txt retry",
                             LOG_S("host", h->key), LOG_I("status", status),
                             LOG_I("wait_ms", wait));
                }
        }
        if (job->proxy >= 0)
                proxies_result(f->proxies, job->proxy,
                               !(rc == CURLE_COULDNT_CONNECT ||
                                 rc == CURLE_PROXY ||
                                 rc == CURLE_COULDNT_RESOLVE_PROXY), now);
        if (slow)
                mcounter_add(f->m.backoffs, 1);
        if (job->blocked)
                mcounter_add(f->m.blocked, 1);
        h->hold = hs->state == RS_WAIT;
        job->host = NULL;
        host_end(f->hosts, h, true, slow, ra > 0 ? ra * 1000 : 0, now);
}

/* ---- finished transfers ---------------------------------------------- */

/* Puts a job back in its host's queue (a retry that is due). */
static void job_requeue(fetcher_t *f, job_t *job, bool front)
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

static void url_done(fetcher_t *f, job_t *job, CURLcode rc)
{
        host_t *h = job->host;
        int64_t now = clock_mono_ms();
        long status = 0;
        curl_off_t ra = 0;
        bool transient, slow;
        int cls;
        char why[CURL_ERROR_SIZE + 64];

        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        transient = rc == CURLE_OK ? status >= 500 || status == 429 :
                    transient_error(job, rc);
        slow = rc == CURLE_OK && (status == 429 || status == 503);
        if (slow) {
                curl_easy_getinfo(job->easy, CURLINFO_RETRY_AFTER, &ra);
                if (ra > f->conf->max_retry_after)
                        ra = f->conf->max_retry_after;
        }
        if (job->proxy >= 0)
                proxies_result(f->proxies, job->proxy,
                               strcmp(transfer_error_code(job, rc),
                                      "proxy_failed") != 0, now);
        job->host = NULL;
        host_end(f->hosts, h, true, slow, ra > 0 ? ra * 1000 : 0, now);
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
        cls = rc == CURLE_OK ? status_class(status) : STATUS_CLASSES - 1;

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
                if (wait > f->conf->park_after * 1000 &&
                    *f->conf->delay_topic) {
                        job_park(f, job, wait);
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

static void transfer_done(fetcher_t *f, CURLMsg *m)
{
        job_t *job = NULL;

        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&job);
        curl_multi_remove_handle(f->multi, m->easy_handle);
        f->transfers--;
        if (job->kind == JOB_ROBOTS) {
                robots_done(f, job, m->data.result);
                job_unlink(f, job);
                job_free(job);
                return;
        }
        url_done(f, job, m->data.result);
        if (job->easy) {
                curl_easy_cleanup(job->easy);
                job->easy = NULL;
        }
}

/* ---- scheduling ------------------------------------------------------ */

/* Starts transfers from hosts that may be served now, round robin, until
 * --max-inflight. */
static void schedule(fetcher_t *f)
{
        int64_t now = clock_mono_ms();
        char pbuf[URL_MAX_LEN < 8192 ? URL_MAX_LEN : 8192];

        while (f->transfers < (size_t)f->conf->max_inflight && !f->fatal &&
               !f->draining) {
                host_t *h = hosts_next(f->hosts, now);
                hstate_t *hs;
                hlink_t *l;
                job_t *job;

                if (!h)
                        return;
                if (f->conf->robots) {
                        hs = hstate_of(f, h);
                        if (!hs) {
                                f->fatal = true;
                                return;
                        }
                        if ((hs->state == RS_READY ||
                             hs->state == RS_UNREACHABLE) &&
                            now >= hs->expires_ms)
                                hs->state = RS_NONE;
                        if (hs->state == RS_UNREACHABLE) {
                                host_fail_all(f, h, "robots_unreachable",
                                              "robots.txt unreachable "
                                              "(cached verdict)");
                                hosts_update(f->hosts, h, now);
                                continue;
                        }
                        if (hs->state == RS_NONE) {
                                job = container_of(h->head, job_t, qlink);
                                snprintf(hs->scheme, sizeof(hs->scheme), "%s",
                                         !strncmp(job->um.url, "https:", 6) ?
                                         "https" : "http");
                                if (robots_start(f, h, hs)) {
                                        LOG(LOG_ERROR, "cannot start a "
                                            "robots.txt transfer");
                                        f->fatal = true;
                                        return;
                                }
                                continue;
                        }
                }
                l = host_pop(h);
                job = container_of(l, job_t, qlink);
                if (f->conf->robots &&
                    !robots_allowed(((hstate_t *)h->user)->rules,
                                    href_path(job->um.url, pbuf,
                                              sizeof(pbuf)))) {
                        job->host = NULL;
                        hosts_update(f->hosts, h, now);
                        mcounter_add(f->m.robots[RB_DISALLOWED], 1);
                        job_fail(f, job, "robots_disallowed",
                                 "disallowed by the host's robots.txt");
                        continue;
                }
                if (f->conf->robots)
                        mcounter_add(f->m.robots[RB_ALLOWED], 1);
                job->proxy = proxies_pick(f->proxies, h->key, h->proxy, now);
                h->proxy = job->proxy;
                if (job_start(f, job, job->um.url)) {
                        job->host = NULL;
                        hosts_update(f->hosts, h, now);
                        job_fail(f, job, "invalid_url",
                                 "transfer setup failed");
                        continue;
                }
                host_start(f->hosts, h, now);
        }
}

/* ---- parking --------------------------------------------------------- */

/* Re-produces `job` to the delay topic, due in wait_ms; its delivery
 * report commits the original. */
static void job_park(fetcher_t *f, job_t *job, int64_t wait_ms)
{
        const char *topic = f->conf->delay_topic;
        rd_kafka_headers_t *h = rd_kafka_headers_new(4);
        char due_s[24], attempts_s[16];
        struct timeval tv;
        int32_t part = host_partition(f, topic, job->um.host_key);
        rd_kafka_resp_err_t err;

        gettimeofday(&tv, NULL);
        snprintf(due_s, sizeof(due_s), "%lld",
                 (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000 + wait_ms);
        snprintf(attempts_s, sizeof(attempts_s), "%d", job->attempts);
        add_header(h, HDR_DUE_AT, due_s);
        add_header(h, HDR_ATTEMPTS, attempts_s);
        add_header(h, HDR_SOURCE, job->source_topic ? job->source_topic :
                   job->topic);
        add_header(h, HDR_FOLLOWED, job->followed_from);
        err = produce_to(f, topic, part >= 0 ? part : RD_KAFKA_PARTITION_UA,
                         job->um.host_key, strlen(job->um.host_key),
                         job->input, job->input_len, h, job);
        if (err) {
                rd_kafka_headers_destroy(h);
                LOGF(LOG_ERROR, "cannot produce to the delay topic",
                     LOG_S("topic", topic), LOG_S("err", rd_kafka_err2str(err)));
                f->fatal = true;
                return;
        }
        job_produced(f, job, OUT_PARKED);
        f->n_parked++;
        mcounter_add(f->m.parked, 1);
        LOGF(LOG_DEBUG, "parked", LOG_S("url", job->um.url),
             LOG_I("wait_ms", wait_ms));
}

static dpause_t *dpause_find(fetcher_t *f, const char *topic, int32_t part)
{
        for (dpause_t *d = f->dpauses; d; d = d->next)
                if (d->partition == part && !strcmp(d->topic, topic))
                        return d;
        return NULL;
}

static void partition_pause(fetcher_t *f, const char *topic, int32_t part,
                            bool pause)
{
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(1);

        rd_kafka_topic_partition_list_add(l, topic, part);
        if (pause)
                rd_kafka_pause_partitions(f->consumer, l);
        else
                rd_kafka_resume_partitions(f->consumer, l);
        rd_kafka_topic_partition_list_destroy(l);
}

static void dpause_remove(fetcher_t *f, dpause_t *d)
{
        dpause_t **pp = &f->dpauses;

        while (*pp && *pp != d)
                pp = &(*pp)->next;
        if (*pp)
                *pp = d->next;
        theap_remove(&f->timers, &d->timer.t);
        free(d->topic);
        free(d);
}

/* A parked URL that is not due yet: rewind its partition to it and pause
 * the partition until then (its messages are in due order, roughly). */
static void delay_wait(fetcher_t *f, const rd_kafka_message_t *msg,
                       int64_t wait_ms)
{
        const char *topic = rd_kafka_topic_name(msg->rkt);
        dpause_t *d = dpause_find(f, topic, msg->partition);
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_error_t *error;

        if (!d) {
                d = calloc(1, sizeof(*d));
                if (!d || !(d->topic = strdup(topic))) {
                        free(d);
                        f->fatal = true;
                        return;
                }
                d->partition = msg->partition;
                d->timer.kind = T_RESUME;
                d->timer.owner = d;
                d->next = f->dpauses;
                f->dpauses = d;
        }
        partition_pause(f, topic, msg->partition, true);
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, msg->partition)->offset =
                msg->offset;
        error = rd_kafka_seek_partitions(f->consumer, l, 0);
        if (error) {
                LOGF(LOG_WARN, "seek failed", LOG_S("topic", topic),
                     LOG_S("err", rd_kafka_error_string(error)));
                rd_kafka_error_destroy(error);
        }
        rd_kafka_topic_partition_list_destroy(l);
        timer_set(f, &d->timer, clock_mono_ms() + wait_ms);
}

/* ---- Kafka ----------------------------------------------------------- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                        void *opaque)
{
        fetcher_t *f = opaque;
        job_t *job = msg->_private;

        if (!job || f->closing || job->in_done)
                return;
        /* Served from the loop (process_done): a produce that waits on a
         * full queue polls, and must not see jobs vanish under it. */
        job->dr_err = msg->err;
        job->in_done = true;
        job->done_next = f->done;
        f->done = job;
}

static void process_done(fetcher_t *f)
{
        while (f->done) {
                job_t *job = f->done;

                f->done = job->done_next;
                job->in_done = false;
                f->outstanding--;
                if (!job->dr_err) {
                        job_finish(f, job);
                        continue;
                }
                if (job->outcome == OUT_PAGE &&
                    job->dr_err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                        job_fail(f, job, "too_large",
                                 "page refused by the broker as too large");
                        continue;
                }
                LOGF(LOG_ERROR, "delivery failed", LOG_S("url", job->um.url),
                     LOG_S("err", rd_kafka_err2str(job->dr_err)));
                f->fatal = true;
                job->state = JS_OUTCOME;
        }
}

static void set_paused(fetcher_t *f, bool pause)
{
        rd_kafka_topic_partition_list_t *parts = NULL;

        if (f->paused == pause)
                return;
        if (rd_kafka_assignment(f->consumer, &parts) || !parts)
                return;
        if (!pause) {
                /* Partitions waiting for a parked URL stay paused. */
                for (int i = parts->cnt - 1; i >= 0; i--)
                        if (dpause_find(f, parts->elems[i].topic,
                                        parts->elems[i].partition))
                                rd_kafka_topic_partition_list_del_by_idx(
                                        parts, i);
        }
        if (pause)
                rd_kafka_pause_partitions(f->consumer, parts);
        else
                rd_kafka_resume_partitions(f->consumer, parts);
        LOGF(LOG_DEBUG, pause ? "paused" : "resumed",
             LOG_I("partitions", parts->cnt), LOG_I("held", f->held));
        f->paused_parts = pause ? parts->cnt : 0;
        rd_kafka_topic_partition_list_destroy(parts);
        f->paused = pause;
}

/* Drops the work of revoked partitions that has not started. */
static void drop_revoked(fetcher_t *f, const char *topic, int32_t part)
{
        int64_t now = clock_mono_ms();
        dpause_t *d = dpause_find(f, topic, part);

        if (d)
                dpause_remove(f, d);
        for (job_t *job = f->jobs, *next; job; job = next) {
                next = job->next;
                if (job->kind != JOB_URL || job->partition != part ||
                    strcmp(job->topic, topic))
                        continue;
                if (job->state == JS_QUEUED) {
                        hosts_unlink(f->hosts, job->host, &job->qlink, now);
                } else if (job->state == JS_RETRY) {
                        theap_remove(&f->timers, &job->timer.t);
                } else {
                        continue; /* finishes; its offset is ignored */
                }
                job_unlink(f, job);
                job_free(job);
        }
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
        /* Commit what is finished; work in flight on these partitions
         * completes, but its offsets belong to the next owner, which
         * fetches those URLs again (at-least-once). Queued work is
         * dropped. */
        rd_kafka_commit(rk, NULL, 0);
        for (int i = 0; i < parts->cnt; i++) {
                offsets_forget(f->offsets, parts->elems[i].topic,
                               parts->elems[i].partition);
                drop_revoked(f, parts->elems[i].topic,
                             parts->elems[i].partition);
        }
        rd_kafka_assign(rk, NULL);
        f->paused = false;
}

/* Is the message keyed and partitioned as the design says? If not,
 * re-produce it correctly (returns true: the job is on its way). */
static bool reroute(fetcher_t *f, job_t *job, const rd_kafka_message_t *msg)
{
        const char *hk = job->um.host_key;
        size_t hk_len = strlen(hk);
        int32_t want = host_partition(f, job->topic, hk);
        rd_kafka_headers_t *hdrs = NULL, *copy = NULL;
        rd_kafka_resp_err_t err;

        if (want < 0)
                return false; /* no metadata: fetch rather than stall */
        if (job->partition == want && job->key_len == hk_len &&
            !memcmp(job->key, hk, hk_len))
                return false;
        if (!rd_kafka_message_headers(msg, &hdrs) && hdrs)
                copy = rd_kafka_headers_copy(hdrs);
        err = produce_to(f, job->topic, want, hk, hk_len, job->input,
                         job->input_len, copy, job);
        if (err) {
                if (copy)
                        rd_kafka_headers_destroy(copy);
                LOGF(LOG_ERROR, "cannot re-route a URL message",
                     LOG_S("topic", job->topic),
                     LOG_S("err", rd_kafka_err2str(err)));
                f->fatal = true;
                return true;
        }
        job_produced(f, job, OUT_REROUTE);
        f->n_rerouted++;
        mcounter_add(f->m.rerouted, 1);
        LOGF(LOG_DEBUG, "re-routed", LOG_S("url", job->um.url),
             LOG_I("from", job->partition), LOG_I("to", want));
        return true;
}

/* Reads a decimal header, or `def`. */
static long long header_ll(const rd_kafka_message_t *msg, const char *name,
                           long long def)
{
        char *s = kafka_header_dup(msg, name), *end;
        long long v;

        if (!s)
                return def;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || *end)
                v = def;
        free(s);
        return v;
}

/* One consumed message: queued on its host, re-routed, parked, or
 * dead-lettered. */
static void handle_message(fetcher_t *f, rd_kafka_message_t *msg)
{
        const char *topic, *code;
        bool delayed;
        char why[512];
        job_t *job;
        host_t *h;
        int64_t now;

        if (msg->err) {
                if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        LOGF(LOG_WARN, "consumer error",
                             LOG_S("err", rd_kafka_message_errstr(msg)));
                return;
        }
        topic = rd_kafka_topic_name(msg->rkt);
        delayed = *f->conf->delay_topic &&
                  !strcmp(topic, f->conf->delay_topic);
        if (dpause_find(f, topic, msg->partition))
                return; /* fetched before the pause: read again later */
        if (delayed) {
                struct timeval tv;
                long long due = header_ll(msg, HDR_DUE_AT, 0), wall;

                gettimeofday(&tv, NULL);
                wall = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
                if (due > wall + 20) {
                        delay_wait(f, msg, due - wall);
                        return;
                }
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
        if (delayed) {
                job->source_topic = kafka_header_dup(msg, HDR_SOURCE);
                job->attempts = (int)header_ll(msg, HDR_ATTEMPTS, 0);
                if (job->attempts < 0 || job->attempts > 1000)
                        job->attempts = 0;
        }
        if (urlmsg_decode(msg->payload, msg->len, &job->um, &code, why,
                          sizeof(why))) {
                job_fail(f, job, code, why);
                return;
        }
        if (reroute(f, job, msg))
                return;
        /* A followed link (never a user's URL) fetched already: dropped,
         * committed like any finished message. */
        job->followed_from = kafka_header_dup(msg, HDR_FOLLOWED);
        if (job->followed_from && seen_has(f->seen, job->um.url)) {
                f->n_dropped++;
                mcounter_add(f->m.links_dropped, 1);
                LOGF(LOG_DEBUG, "followed link dropped: fetched already",
                     LOG_S("url", job->um.url),
                     LOG_S("followed_from", job->followed_from));
                job_finish(f, job);
                return;
        }
        now = clock_mono_ms();
        h = hosts_get(f->hosts, job->um.host_key, now);
        if (!h) {
                LOG(LOG_ERROR, "out of memory queueing a URL");
                f->fatal = true;
                return;
        }
        /* A deep queue, or a host that will not be served for long:
         * park rather than hold memory and the commit point. */
        if (*f->conf->delay_topic) {
                int64_t wait = host_ready_at(f->hosts, h, now) - now;

                if ((size_t)h->queued >= (size_t)f->conf->max_host_queued) {
                        double rate = host_rate(f->hosts, h);
                        int64_t drain = (int64_t)((double)h->queued /
                                                  (rate > 0 ? rate : 1) *
                                                  1000.0);

                        job_park(f, job, drain > wait ? drain : wait);
                        return;
                }
                if (wait > f->conf->park_after * 1000) {
                        job_park(f, job, wait);
                        return;
                }
        }
        job->host = h;
        job->state = JS_QUEUED;
        hosts_push(f->hosts, h, &job->qlink, false, now);
}

static void consume_available(fetcher_t *f)
{
        size_t max = (size_t)f->conf->max_queued;

        for (;;) {
                rd_kafka_message_t *msg;

                if (f->held >= max)
                        set_paused(f, true);
                else if (f->held <= max - max / 4)
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

/* Fires the timers that are due: retries, robots.txt retries, resumes. */
static void run_timers(fetcher_t *f)
{
        int64_t now = clock_mono_ms();
        htimer_t *t;

        while ((t = theap_peek(&f->timers)) && t->due <= now) {
                tnode_t *tn = (tnode_t *)t;

                theap_remove(&f->timers, t);
                if (tn->kind == T_RETRY) {
                        job_requeue(f, tn->owner, true);
                } else if (tn->kind == T_ROBOTS) {
                        hstate_t *hs = tn->owner;

                        hs->state = RS_NONE;
                        hs->host->hold = false;
                        hosts_update(f->hosts, hs->host, now);
                } else {
                        dpause_t *d = tn->owner;

                        if (!f->paused)
                                partition_pause(f, d->topic, d->partition,
                                                false);
                        dpause_remove(f, d);
                }
        }
}

/* Levels and counts the loop keeps anyway, published once a turn. */
static void metrics_update(fetcher_t *f)
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
        mgauge_set(f->m.paused, (double)(f->paused_parts +
                                         (f->paused ? 0 : dpaused)));
}

/* Empties a wake-up pipe. */
static void drain_pipe(int fd)
{
        char buf[64];

        while (read(fd, buf, sizeof(buf)) > 0)
                ;
}

/* How long the loop may wait: until the next token, timer or, at most,
 * POLL_MAX_MS (curl shortens it for its own timeouts). */
static int wait_ms(fetcher_t *f, int max)
{
        int64_t now = clock_mono_ms(), w = max;
        htimer_t *t = theap_peek(&f->timers);

        if (f->transfers < (size_t)f->conf->max_inflight && !f->draining) {
                int64_t hw = hosts_wait_ms(f->hosts, now);

                if (hw >= 0 && hw < w)
                        w = hw;
        }
        if (t && t->due - now < w)
                w = t->due > now ? t->due - now : 0;
        return (int)w;
}

/* Runs curl, collects finished transfers, serves delivery reports, then
 * waits on every source at once for at most `max_ms`. */
static void loop_once(fetcher_t *f, int max_ms)
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
        process_done(f);
        run_timers(f);
        schedule(f);
        hosts_evict(f->hosts, clock_mono_ms());
        metrics_update(f);
        if (f->done)
                return; /* more to serve before waiting */
        curl_multi_poll(f->multi, extra, f->draining ? 2 : 3,
                        wait_ms(f, max_ms), NULL);
        drain_pipe(f->cq_pipe[0]);
        drain_pipe(f->pq_pipe[0]);
}

/* ---- life cycle ------------------------------------------------------ */

static int wake_pipe(int p[2])
{
        return pipe2(p, O_NONBLOCK | O_CLOEXEC);
}

/* Parses a port ("" = any -> 0); -1 when bad. */
static int parse_port(const char *s, size_t n)
{
        char buf[8], *end;
        long v;

        if (!n)
                return 0;
        if (n >= sizeof(buf))
                return -1;
        memcpy(buf, s, n);
        buf[n] = '\0';
        v = strtol(buf, &end, 10);
        return *end || v < 1 || v > 65535 ? -1 : (int)v;
}

/* Adds --resolve / --connect-to entries to libcurl's list and to the
 * trusted targets. HOST may be "[v6]"; a leading '+' (curl's "add
 * only") is accepted for --resolve. */
static int add_overrides(fetcher_t *f, const strlist_t *l, bool resolve,
                         struct curl_slist **list, char *errstr,
                         size_t errstr_size)
{
        for (size_t i = 0; i < l->n; i++) {
                const char *s = l->v[i], *host, *c1, *c2, *rest;
                struct curl_slist *nl;
                override_t *o;
                size_t hlen;
                int port;

                host = *s == '+' ? s + 1 : s;
                if (*host == '[') {
                        c1 = strchr(host, ']');
                        c1 = c1 ? c1 + 1 : NULL;
                        if (c1 && *c1 != ':')
                                c1 = NULL;
                } else {
                        c1 = strchr(host, ':');
                }
                c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                rest = c2 ? c2 + 1 : NULL;
                port = c2 ? parse_port(c1 + 1, (size_t)(c2 - c1 - 1)) : -1;
                if (!rest || port < 0 || (resolve && (!*rest || !port ||
                                                      c1 == host)) ||
                    (!resolve && !strchr(rest, ':'))) {
                        snprintf(errstr, errstr_size, "--%s: '%s' is not %s",
                                 resolve ? "resolve" : "connect-to", s,
                                 resolve ? "HOST:PORT:ADDR[,ADDR]" :
                                 "HOST:PORT:CONNECT-HOST:CONNECT-PORT");
                        return -1;
                }
                nl = curl_slist_append(*list, s);
                o = realloc(f->trusted, (f->ntrusted + 1) * sizeof(*o));
                if (!nl || !o) {
                        if (o)
                                f->trusted = o;
                        snprintf(errstr, errstr_size, "out of memory");
                        return -1;
                }
                *list = nl;
                f->trusted = o;
                /* IPv6 hosts stay bracketed, as the URL module keeps them. */
                hlen = (size_t)(c1 - host);
                o[f->ntrusted].host = strndup(host, hlen);
                if (!o[f->ntrusted].host) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return -1;
                }
                o[f->ntrusted].port = port;
                f->ntrusted++;
        }
        return 0;
}

fetcher_t *fetcher_new(const fetcher_config_t *conf,
                       const strlist_t *kafka_props, char *errstr,
                       size_t errstr_size)
{
        fetcher_t *f = calloc(1, sizeof(*f));
        hosts_params_t hp;
        char *end, topics[4096];

        if (!f) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        f->conf = conf;
        f->cq_pipe[0] = f->cq_pipe[1] = f->pq_pipe[0] = f->pq_pipe[1] = -1;

        errno = 0;
        f->host_rate = strtod(conf->host_rate, &end);
        if (errno || end == conf->host_rate || *end ||
            !(f->host_rate >= 0.001 && f->host_rate <= 100000)) {
                snprintf(errstr, errstr_size, "--host-rate: '%s' is not a "
                         "number from 0.001 to 100000", conf->host_rate);
                goto fail;
        }
        robots_agent_token(conf->user_agent, f->agent, sizeof(f->agent));
        if (!*f->agent) {
                snprintf(errstr, errstr_size, "--user-agent: '%s' does not "
                         "start with a product token", conf->user_agent);
                goto fail;
        }
        srand48((long)clock_mono_ms() ^ (long)getpid());
        metrics_register(&f->m);

        f->guard = netguard_new(conf->allow_private, &conf->allow_net,
                                errstr, errstr_size);
        if (!f->guard)
                goto fail;
        if (add_overrides(f, &conf->resolve, true, &f->resolve, errstr,
                          errstr_size) ||
            add_overrides(f, &conf->connect_to, false, &f->connect_to,
                          errstr, errstr_size))
                goto fail;
        f->proxies = proxies_new(&conf->proxy, conf->proxy_file, errstr,
                                 errstr_size);
        if (!f->proxies)
                goto fail;
        hp = (hosts_params_t){
                .rate = f->host_rate,
                .burst = (double)conf->host_burst,
                .concurrency = (int)conf->host_concurrency,
                .idle_ms = conf->host_idle_timeout * 1000,
                .max_hosts = (size_t)conf->max_hosts,
                .backoff_base_ms = conf->host_backoff_ms,
                .backoff_max_ms = conf->host_backoff_max_ms,
        };
        f->hosts = hosts_new(&hp, hstate_free);
        f->offsets = offsets_new();
        if (conf->seen_max > 0) {
                f->seen = seen_new(conf->seen_max < 2 ? 2 :
                                   (size_t)conf->seen_max);
                if (!f->seen) {
                        snprintf(errstr, errstr_size, "--seen-max: out of "
                                 "memory for %ld URLs", conf->seen_max);
                        goto fail;
                }
        }
        if (!f->hosts || !f->offsets || wake_pipe(f->cq_pipe) ||
            wake_pipe(f->pq_pipe)) {
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
        if ((size_t)snprintf(topics, sizeof(topics), "%s%s%s",
                             conf->urls_topic, *conf->delay_topic ? "," : "",
                             conf->delay_topic) >= sizeof(topics)) {
                snprintf(errstr, errstr_size, "--urls-topic: too long");
                goto fail;
        }
        if (kafka_subscribe(f->consumer, topics, errstr, errstr_size))
                goto fail;

        /* librdkafka writes a byte when a queue turns non-empty. */
        f->cq = rd_kafka_queue_get_consumer(f->consumer);
        f->pq = rd_kafka_queue_get_main(f->producer);
        rd_kafka_queue_io_event_enable(f->cq, f->cq_pipe[1], "c", 1);
        rd_kafka_queue_io_event_enable(f->pq, f->pq_pipe[1], "p", 1);

        f->multi = curl_multi_init();
        f->share = curl_share_init();
        if (!f->multi || !f->share) {
                snprintf(errstr, errstr_size, "curl_multi_init failed");
                goto fail;
        }
        /* One DNS cache for every transfer; connections are reused by the
         * multi handle's pool. */
        curl_share_setopt(f->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          conf->max_inflight);
        curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                          conf->host_concurrency);
        curl_multi_setopt(f->multi, CURLMOPT_PIPELINING,
                          CURLPIPE_MULTIPLEX);
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
             LOG_S("delay_topic", f->conf->delay_topic),
             LOG_I("max_inflight", f->conf->max_inflight),
             LOG_I("max_queued", f->conf->max_queued),
             LOG_F("host_rate", f->host_rate),
             LOG_I("proxies", proxies_count(f->proxies)));
        while (!signals_stop && !f->fatal) {
                consume_available(f);
                loop_once(f, POLL_MAX_MS);
        }

        /* Drain: no new URLs nor transfers; let the transfers in flight
         * finish and their outcomes be delivered, within limits. Queued
         * URLs stay uncommitted: fetched again after a restart. */
        f->draining = true;
        deadline = clock_mono_ms() + f->conf->drain_timeout * 1000;
        LOGF(LOG_INFO, "draining", LOG_I("held", f->held),
             LOG_I("transfers", f->transfers));
        while ((f->transfers || f->outstanding) && !f->fatal &&
               clock_mono_ms() < deadline) {
                int64_t left = deadline - clock_mono_ms();

                loop_once(f, left < 100 ? (int)left : 100);
        }
        rd_kafka_flush(f->producer, 10000);
        rd_kafka_poll(f->producer, 0);
        process_done(f);
        if (f->held)
                LOGF(LOG_INFO, "left unfinished URLs uncommitted (fetched "
                     "again after a restart)", LOG_I("count", f->held));
        if (!f->fatal) {
                rd_kafka_resp_err_t err = rd_kafka_commit(f->consumer, NULL,
                                                          0);

                if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                        LOGF(LOG_WARN, "final commit failed",
                             LOG_S("err", rd_kafka_err2str(err)));
        }
        LOGF(LOG_INFO, "fetcher stopped", LOG_I("consumed", f->n_consumed),
             LOG_I("pages", f->n_pages), LOG_I("errors", f->n_errors),
             LOG_I("rerouted", f->n_rerouted), LOG_I("parked", f->n_parked),
             LOG_I("retries", f->n_retries), LOG_I("robots", f->n_robots),
             LOG_I("links_dropped", f->n_dropped),
             LOG_I("hosts", hosts_count(f->hosts)));
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
        /* The heap's entries live in jobs and host states freed below. */
        for (size_t i = 0; i < f->timers.n; i++)
                f->timers.v[i]->pos = 0;
        f->timers.n = 0;
        while (f->jobs) {
                job_t *job = f->jobs;

                if (job->easy && job->state == JS_TRANSFER)
                        curl_multi_remove_handle(f->multi, job->easy);
                job_unlink(f, job);
                job_free(job);
        }
        if (f->multi)
                curl_multi_cleanup(f->multi);
        if (f->share)
                curl_share_cleanup(f->share);
        while (f->dpauses)
                dpause_remove(f, f->dpauses);
        while (f->meta) {
                tmeta_t *m = f->meta;

                f->meta = m->next;
                free(m->topic);
                free(m);
        }
        hosts_destroy(f->hosts);
        theap_free(&f->timers);
        curl_slist_free_all(f->resolve);
        curl_slist_free_all(f->connect_to);
        for (size_t i = 0; i < f->ntrusted; i++)
                free(f->trusted[i].host);
        free(f->trusted);
        proxies_destroy(f->proxies);
        for (int i = 0; i < 2; i++) {
                if (f->cq_pipe[i] >= 0)
                        close(f->cq_pipe[i]);
                if (f->pq_pipe[i] >= 0)
                        close(f->pq_pipe[i]);
        }
        offsets_destroy(f->offsets);
        seen_destroy(f->seen);
        netguard_destroy(f->guard);
        free(f);
}
