/*
 * fetcher_int.h — what the fetcher's modules share: the job, the per-host
 * robots.txt state, the loop's timers and the fetcher itself, and the
 * functions one module calls in another. Not an interface: fetcher.h is.
 *
 *   fetcher.c      the loop, jobs, scheduling, delivery reports,
 *                  rebalances, life cycle
 *   intake.c       consumed URL messages: decode, partition check,
 *                  followed-link drop, park or queue; the memory bound
 *   transfer.c     libcurl easy setup, body cap, address guard, trusted
 *                  --resolve/--connect-to targets, proxy target check,
 *                  error codes and which errors are transient
 *   outcome.c      a job's outcome: page, dead letter, retry
 *   park.c         the delay tiers: parking, wake-time pauses, due
 *                  times (tiers.c: the tier list and choice)
 *   robotsfetch.c  robots.txt fetched through the loop, per host
 *   fmetrics.c     the fetcher's Prometheus series
 *
 * Single-threaded: everything here runs on the loop's thread (librdkafka
 * callbacks are served from rd_kafka_poll/consumer_poll on it).
 */
#ifndef KCRAWL_FETCHER_INT_H
#define KCRAWL_FETCHER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>

#include "config.h"
#include "fetcher.h"
#include "hosts.h"
#include "metrics.h"
#include "netguard.h"
#include "url.h"
#include "offsets.h"
#include "proxies.h"
#include "robots.h"
#include "seen.h"
#include "trust.h"
#include "tiers.h"
#include "urlmsg.h"

#define POLL_MAX_MS      1000   /* the loop's longest wait               */
#define PRODUCE_WAIT_MS  30000  /* back-pressure before giving up        */
#define META_TTL_MS      300000 /* partition counts are re-read after    */
#define META_TIMEOUT_MS  5000
#define TOPIC_LIMIT_WAIT_MS 10000 /* reading a topic's max.message.bytes */
#define ROBOTS_UNREACHABLE_TTL_MS 3600000 /* robots_unreachable verdict  */
#define ROBOTS_FAIL_OPEN_TTL_MS   600000  /* DNS failure / blocked: the
                                            * URLs fail on their own      */
#define ROBOTS_EVICT_SCAN 64     /* rule sets looked at for an idle host  */
#define ROBOTS_ROOM_WAIT_MS 100  /* a host waiting for robots memory      */
#define HDR_DUE_AT       "kcrawl_due_at"  /* delay topic: epoch ms        */
#define PARK_SLACK_MS    20     /* due this soon counts as due           */
#define PARK_SKEW_MS     5000   /* a delay message's timestamp ahead of
                                 * the clock by more is taken as awake  */
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
        JS_RETRY,     /* waiting in the timer heap (a retry, or
                       * a parked URL back a little early)  */
        JS_TRANSFER,  /* in curl (or its proxy target check) */
        JS_OUTCOME,   /* produced, awaiting delivery        */
} job_state_t;

/* Timers of the loop's heap: what fires, and for whom. */
typedef enum { T_RETRY, T_ROBOTS, T_RESUME, T_DUE } tkind_t;

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
        /* Through a proxy (transfer.c): the target is checked first. */
        bool        checking;       /* easy is the target check          */
        char       *check_url;      /* what to fetch once it passes      */
        char        check_target[300]; /* "host:port" checked last       */
        char        pin[80];        /* "::ADDR:PORT": the checked address */
        struct curl_slist *pin_list; /* the request's CONNECT_TO: pin   */
        int         redirects;      /* followed by transfer.c itself     */
        int64_t     started_ms;
        int         attempts;
        int64_t     due_at;         /* a parked URL's due time, epoch ms */
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
        robots_t       *rules;      /* in the LRU list while set          */
        size_t          bytes;      /* robots_bytes(rules), counted in f  */
        struct hstate  *lru_prev, *lru_next;
        int64_t         expires_ms;
        int             failures;
        char            scheme[8];
        tnode_t         timer;      /* robots retry */
        host_t         *host;
} hstate_t;

/* A delay tier: its topic and the time its messages wait. */
typedef struct dtier {
        char    *topic;
        int64_t  delay_ms;
} dtier_t;

/* A partition paused until its next delayed URL wakes. */
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
/* robots.txt bounds hit: a check over its budget, a file over
 * --robots-host-memory, rules forgotten over --robots-memory. */
enum { RL_BUDGET, RL_HOST_MEMORY, RL_EVICTED, RL_WAITS, RL_N };
#define STATUS_CLASSES 6 /* 1xx..5xx, "none" (no HTTP answer) */

typedef struct fmetrics {
        mcounter_t *requests[RQ_N][STATUS_CLASSES];
        mcounter_t *pages, *errors, *bytes, *retries, *backoffs, *blocked,
                   *rate_waits, *rerouted, *parked, *links_dropped,
                   *robots[RB_N], *robots_limits[RL_N];
        mgauge_t   *inflight, *queued, *hosts, *hosts_active, *paused,
                   *seen, *robots_bytes;
        mhist_t    *response;
        uint64_t    waits_seen;
} fmetrics_t;

struct fetcher {
        const fetcher_config_t *conf;
        rd_kafka_t       *consumer;
        rd_kafka_t       *producer;
        /* The pages topic's max.message.bytes, read at start (for the
         * too_large message and the start-up warning). */
        long long         pages_limit;
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
        trust_t          *trust;      /* --resolve/--connect-to targets */
        char              agent[64];  /* robots.txt product token */
        double            host_rate;
        job_t            *jobs;       /* every live job          */
        job_t            *done;       /* delivery reports to serve */
        dpause_t         *dpauses;
        dtier_t           tiers[TIERS_MAX + 1]; /* [0]: --delay-topic */
        size_t            ntiers;     /* 0: parking is off       */
        tmeta_t          *meta;
        /* Hosts' robots.txt rules, least recently used first, and their
         * bytes (bounded by --robots-memory). */
        hstate_t         *robots_lru, *robots_mru;
        size_t            robots_bytes;
        size_t            robots_fetching; /* robots.txt transfers running */
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

/* ---- fetcher.c ------------------------------------------------------- */

/* A job for consumed message `msg` (copies its topic, key and value),
 * linked in f->jobs; NULL when out of memory. */
job_t *job_new(fetcher_t *f, const rd_kafka_message_t *msg);
void job_link(fetcher_t *f, job_t *job);
void job_unlink(fetcher_t *f, job_t *job);
void job_free(job_t *job);
/* The job's outcome is acknowledged: stores the partition's commit point
 * and frees the job. */
void job_finish(fetcher_t *f, job_t *job);
/* Schedules timer t at monotonic `due`; fatal when out of memory. */
void timer_set(fetcher_t *f, tnode_t *t, int64_t due);

/* ---- intake.c -------------------------------------------------------- */

/* Takes every message the consumer has now; pauses the assigned
 * partitions at --max-queued and resumes them below 3/4 of it. */
void consume_available(fetcher_t *f);
/* The partition of host key `key` on `topic` (murmur2, as Kafka's Java
 * client), or -1 when the partition count is unknown. */
int32_t host_partition(fetcher_t *f, const char *topic, const char *key);
/* Queues a decoded job on its host, or parks it when the host cannot
 * take it soon (a deep queue, a long wait). */
void intake_admit(fetcher_t *f, job_t *job);

/* ---- transfer.c ------------------------------------------------------ */

/* libcurl's write callback (userdata: the job): appends to job->body up
 * to job->body_max decoded bytes; past it sets too_large and aborts the
 * transfer (CURLE_WRITE_ERROR). */
size_t transfer_write_body(char *ptr, size_t size, size_t nmemb,
                           void *userdata);
/* Sets up and starts the transfer of `url` for `job` (through its proxy,
 * if any, after the target check). 0, or -1 when it cannot start. */
int transfer_start(fetcher_t *f, job_t *job, const char *url);
/* A transfer of `job` ended with *rc. When it was a proxy target check
 * that passed, or a proxied redirect to follow, starts the next request
 * and returns true. Otherwise returns false: the job's outcome is *rc
 * (set to CURLE_COULDNT_CONNECT with job->blocked for a refused target,
 * CURLE_TOO_MANY_REDIRECTS, ...), read with the job's easy handle. */
bool transfer_check_done(fetcher_t *f, job_t *job, CURLcode *rc);
/* The design's stable error code of a failed transfer. */
const char *transfer_error_code(const job_t *job, CURLcode rc);
/* Transient network failures worth a retry. */
bool transfer_transient(const job_t *job, CURLcode rc);
/* Adds --resolve (resolve) or --connect-to entries to *list and to the
 * trusted targets. -1 with a reason in errstr when one does not parse. */
int transfer_add_overrides(fetcher_t *f, const strlist_t *l, bool resolve,
                           struct curl_slist **list, char *errstr,
                           size_t errstr_size);

/* ---- outcome.c ------------------------------------------------------- */

/* Produces to topic[partition] (RD_KAFKA_PARTITION_UA: the producer's
 * partitioner); QUEUE_FULL is back-pressure, retried for a while.
 * librdkafka owns `hdrs` on success. */
rd_kafka_resp_err_t produce_to(fetcher_t *f, const char *topic,
                               int32_t partition, const void *key,
                               size_t key_len, const void *value,
                               size_t value_len, rd_kafka_headers_t *hdrs,
                               void *opaque);
/* The job's outcome is on its way: wait for its delivery report. */
void job_produced(fetcher_t *f, job_t *job, outcome_t outcome);
/* Produces the job's error object; its delivery report finishes it. */
void job_fail(fetcher_t *f, job_t *job, const char *code,
              const char *message);
/* Adds a text header, invalid UTF-8 repaired to U+FFFD (nothing when
 * val is NULL). */
void header_add(rd_kafka_headers_t *h, const char *name, const char *val);
/* The page's headers (the design's page contract) from the job and its
 * finished transfer; *final: the final URL parsed (NULL when it does not
 * parse), for the caller to url_destroy(). */
rd_kafka_headers_t *page_headers(const job_t *job, url_t **final);
/* The transfer's Retry-After in seconds, as sent (libcurl's parse of
 * either form; 0 when none). Uncapped: every wait goes through
 * hosts_retry_after_ms(), which holds the cap. */
curl_off_t retry_after_s(CURL *easy);
/* Exponential back-off with jitter: base * 2^(n-1), capped, times a
 * random factor in [0.5, 1]. */
int64_t backoff_ms(long base, long max, int n);
/* Puts a job back in its host's queue (a retry that is due). */
void job_requeue(fetcher_t *f, job_t *job, bool front);
/* A URL's transfer ended with rc: page, retry, park or dead letter. */
void url_done(fetcher_t *f, job_t *job, CURLcode rc);

/* ---- park.c ---------------------------------------------------------- */

/* Builds f->tiers from --delay-topic, --park-after and --delay-tiers
 * (none when --delay-topic is empty). -1 with the reason in errstr. */
int park_tiers_init(fetcher_t *f, char *errstr, size_t errstr_size);
/* Frees f->tiers. */
void park_tiers_free(fetcher_t *f);
/* Warns about each delay tier topic that is missing or whose partition
 * count differs from the URL topic's (one metadata request). */
void park_check_topics(fetcher_t *f);
/* The tier whose topic is `topic`, or -1. */
int park_tier_of(const fetcher_t *f, const char *topic);
/* Re-produces `job` to the delay tier that fits wait_ms (capped by
 * --max-park), due then; its delivery report commits the original. */
void park_job(fetcher_t *f, job_t *job, int64_t wait_ms);
/* A message of tier `tier` that has not waited its tier's delay yet:
 * rewinds and pauses its partition until it has (at most the delay, and
 * at most --max-park), and returns true (the message is read again
 * then). */
bool park_not_awake(fetcher_t *f, const rd_kafka_message_t *msg, int tier);
/* A job from a delay tier: its original source topic, attempts and due
 * time (capped by --max-park). */
void park_restore(fetcher_t *f, job_t *job, const rd_kafka_message_t *msg);
/* A woken parked job not due yet: parked again for the rest of its wait
 * when that is over --park-after, else held in the timer heap until due
 * (then intake_admit). Returns false when it is due now. */
bool park_hold(fetcher_t *f, job_t *job);
/* The due-time pause of a partition, or NULL. */
dpause_t *park_find(fetcher_t *f, const char *topic, int32_t part);
/* Forgets a due-time pause (the partition is not resumed). */
void park_remove(fetcher_t *f, dpause_t *d);
/* Pauses or resumes one partition. */
void park_partition(fetcher_t *f, const char *topic, int32_t part,
                    bool pause);

/* ---- robotsfetch.c --------------------------------------------------- */

/* Frees a host's robots.txt state (hosts.h's user-data destructor). */
void robotsfetch_hstate_free(void *p);
/* May host h's next URL be started? Starts or awaits its robots.txt and
 * ends a host's URLs as robots_unreachable when that is the verdict.
 * Returns 1 when it may, 0 when not now, -1 on a fatal error. */
int robotsfetch_gate(fetcher_t *f, host_t *h, int64_t now);
/* Does h's robots.txt allow the job's URL? Counted in the metrics; when
 * not, *why says why (a static string). */
bool robotsfetch_allowed(fetcher_t *f, host_t *h, const job_t *job,
                         const char **why);
/* A robots.txt transfer ended with rc: rules, allow-all, retry or
 * robots_unreachable for the host's queued URLs. */
void robotsfetch_done(fetcher_t *f, job_t *job, CURLcode rc);

/* ---- fmetrics.c ------------------------------------------------------ */

void fmetrics_register(fmetrics_t *m);
/* Index of an HTTP status's class (1xx..5xx; else "none"). */
int fmetrics_status_class(long status);
/* Publishes the levels and counts the loop keeps, once a turn. */
void fmetrics_update(fetcher_t *f);

#endif /* KCRAWL_FETCHER_INT_H */
