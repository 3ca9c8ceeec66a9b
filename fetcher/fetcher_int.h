/*
 * fetcher_int.h — the structs the fetcher's modules share (the job, the
 * per-host robots.txt state, the loop's timers, the fetcher itself) and
 * their constants; no functions. Not an interface: fetcher.h is. Each
 * module declares its functions in its own header, and calls only the
 * modules below it (docs/fetcher.md, "Modules"):
 *
 *   fetcher.c      the loop: scheduling, delivery reports, rebalances,
 *                  start and stop
 *   intake.c       consumed URL messages: decode, partition check,
 *                  followed-link drop, park or queue; the memory bound
 *   robotsfetch.c  robots.txt fetched through the loop, per host
 *   outcome.c      a URL job's end: page, dead letter, retry
 *   park.c         the delay tiers: parking, wake-time pauses, due
 *                  times (tiers.c: the tier list and choice)
 *   recrawl.c      scheduled recrawl: the next fetch planned with each
 *                  outcome, its copy on the delay topic, copies and stops
 *                  met at intake (schedule.c: the decisions; stoplist.c:
 *                  --recrawl-stop)
 *   transfer.c     libcurl easy setup, body cap, address guard, trusted
 *                  --resolve/--connect-to targets, proxy target check,
 *                  error codes and which errors are transient
 *   job.c          a job's life cycle: made, linked, queued, produced,
 *                  finished (its commit point stored), freed
 *   fkafka.c       the Kafka side of the loop: produce with headers, the
 *                  partition of a host key, pause/resume/seek of one
 *                  partition, the offset store
 *   timers.c       the loop's timer heap
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
#include "crawlstate.h"
#include "fetcher.h"
#include "hosts.h"
#include "metrics.h"
#include "netguard.h"
#include "url.h"
#include "offsets.h"
#include "proxies.h"
#include "robots.h"
#include "budget.h"
#include "seen.h"
#include "trust.h"
#include "tiers.h"
#include "urlmsg.h"

#define POLL_MAX_MS 1000      /* the loop's longest wait               */
#define PRODUCE_WAIT_MS 30000 /* back-pressure before giving up        */
#define META_TTL_MS 300000    /* partition counts are re-read after    */
#define META_TIMEOUT_MS 5000
#define TOPIC_LIMIT_WAIT_MS 10000 /* reading a topic's max.message.bytes */
#define ROBOTS_UNREACHABLE_TTL_MS 3600000 /* robots_unreachable verdict  */
#define ROBOTS_FAIL_OPEN_TTL_MS \
        600000                     /* DNS failure / blocked: the
                                            * URLs fail on their own      */
#define ROBOTS_EVICT_SCAN 64       /* rule sets looked at for an idle host  */
#define ROBOTS_ROOM_WAIT_MS 100    /* a host waiting for robots memory      */
#define HDR_DUE_AT "kcrawl_due_at" /* delay topic: epoch ms        */
#define PARK_SLACK_MS 20           /* due this soon counts as due           */
#define PARK_SKEW_MS \
        5000 /* a delay message's timestamp ahead of
                                 * the clock by more is taken as awake  */
#define HDR_ATTEMPTS "kcrawl_attempts"
#define HDR_SOURCE "kcrawl_source_topic"
#define HDR_FOLLOWED "followed_from" /* the cleaner's followed links */
#define HDR_INPUT "kcrawl_input" /* a page's URL message: topic/part/offset */
/* A recrawl copy on the delay topic: the due time (epoch ms) it was
 * scheduled for, its token (recrawl.h). */
#define HDR_RECRAWL "kcrawl_recrawl"

#define container_of(p, type, member) \
        ((type *)(void *)((char *)(p)-offsetof(type, member)))

typedef enum {
        OUT_NONE,    /* not produced yet                        */
        OUT_PENDING, /* the page's pending state is on its way; the
                      * page is produced on its delivery      */
        OUT_PAGE,    /* the page is on its way                  */
        OUT_ERROR,   /* the error object is on its way          */
        OUT_REROUTE, /* a copy on the right partition is on its way */
        OUT_PARKED,  /* a copy on the delay topic is on its way */
        OUT_RECRAWL, /* the outcome is delivered; its recrawl copy on
                      * the delay topic is on its way        */
        OUT_STATE,   /* a state (a recorded stop) is on its way */
} outcome_t;

typedef enum { JOB_URL, JOB_ROBOTS, JOB_TDMREP } job_kind_t;

/* What a host's tdmrep.json says of a job's URL (job.tdm_file). */
enum { TDM_FILE_SILENT = 0, TDM_FILE_FREE = 1, TDM_FILE_RESERVED = 2 };

typedef enum {
        JS_NEW,      /* being decoded                      */
        JS_QUEUED,   /* in its host's queue                */
        JS_RETRY,    /* waiting in the timer heap (a retry, or
                       * a parked URL back a little early)  */
        JS_TRANSFER, /* in curl (or its proxy target check) */
        JS_OUTCOME,  /* produced, awaiting delivery        */
} job_state_t;

/* Timers of the loop's heap: what fires, and for whom. */
typedef enum { T_RETRY, T_ROBOTS, T_RESUME, T_DUE } tkind_t;

typedef struct tnode {
        htimer_t t; /* first: the heap holds &tnode.t */
        tkind_t kind;
        void *owner;
} tnode_t;

typedef struct job {
        struct job *prev, *next; /* the fetcher's list of live jobs   */
        struct job *done_next;   /* delivery reports to serve         */
        hlink_t qlink;           /* its host's queue                  */
        tnode_t timer;           /* a retry's due time                */
        struct fetcher *f;
        job_kind_t kind;
        job_state_t state;
        char *topic;
        char *source_topic; /* the URL topic (delay topic: header) */
        int32_t partition;
        int64_t offset;
        void *key;
        size_t key_len;
        void *input; /* the message's value, for errors */
        size_t input_len;
        char *followed_from; /* a followed link: the page's URL */
        urlmsg_t um;
        host_t *host; /* while queued or in transfer       */
        CURL *easy;
        struct curl_slist *hdrs;
        char *body;
        size_t body_len, body_cap, body_max;
        struct bodyzip *zip; /* a sitemap's body compressed (bodyzip.h) */
        bool too_large;      /* the write callback hit the cap    */
        bool blocked;        /* the guard refused an address      */
        /* Through a proxy (transfer.c): the target is checked first. */
        bool checking;               /* easy is the target check          */
        char *check_url;             /* what to fetch once it passes      */
        char check_target[300];      /* "host:port" checked last       */
        char pin[80];                /* "::ADDR:PORT": the checked address */
        struct curl_slist *pin_list; /* the request's CONNECT_TO: pin   */
        int redirects;               /* followed by transfer.c itself     */
        int64_t started_ms;
        int attempts;
        int64_t due_at;                /* a parked URL's due time, epoch ms */
        int proxy;                     /* index in the pool, -1 = direct    */
        rd_kafka_headers_t *page_hdrs; /* OUT_PENDING: the page's headers,
                                        * until it is produced  */
        crawlstate_rec_t *crawl; /* the URL's new crawl state, written once
                                  * its outcome is delivered (NULL: none) */
        bool conditional;        /* the request carries validators   */
        int changed;             /* the page changed since the state:
                                  * 1, 0 (or a 304), -1 unknown       */
        /* Scheduled recrawl (recrawl.h): a copy's token (header
         * kcrawl_recrawl; 0 once taken, or not a copy), whether the job
         * came as a copy, and the next copy's due time (0: none). */
        int64_t recrawl_token;
        bool recrawl_copy;
        int64_t recrawl_due_ms;
        int tdm_file;          /* --tdm: the host's tdmrep.json on this
                                  * URL: TDM_FILE_* */
        char *tdm_file_policy; /* its tdm-policy (NULL: none)       */
        outcome_t outcome;
        rd_kafka_resp_err_t dr_err; /* the delivery report's error       */
        bool in_done;
        char errbuf[CURL_ERROR_SIZE];
} job_t;

/* What the fetcher keeps per host besides hosts.h's scheduling state. */
typedef enum {
        RS_NONE,
        RS_FETCHING,
        RS_WAIT,
        RS_READY,
        RS_UNREACHABLE
} robots_state_t;

typedef struct hstate {
        struct fetcher *f;
        robots_state_t state;
        robots_t *rules; /* in the LRU list while set          */
        size_t bytes;    /* robots_bytes(rules), counted in f  */
        struct hstate *lru_prev, *lru_next;
        int64_t expires_ms;
        int failures;
        char scheme[8];
        /* --tdm: /.well-known/tdmrep.json, read once robots.txt is; kept
         * and forgotten with the robots.txt rules (its bytes in
         * `bytes`). */
        robots_state_t tdm_state; /* RS_NONE, RS_FETCHING, RS_READY    */
        struct tdmrep *tdm;
        size_t tdm_bytes;
        int64_t tdm_expires_ms;
        tnode_t timer; /* robots retry */
        host_t *host;
} hstate_t;

/* A delay tier: its topic and the time its messages wait. */
typedef struct dtier {
        char *topic;
        int64_t delay_ms;
} dtier_t;

/* A partition paused until its next delayed URL wakes. */
typedef struct dpause {
        char *topic;
        int32_t partition;
        tnode_t timer;
        struct dpause *next;
} dpause_t;

/* Partition counts of topics, from metadata. */
typedef struct tmeta {
        char *topic;
        int32_t partitions;
        int64_t fetched_ms;
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
                *rate_waits, *rerouted, *parked, *links_dropped, *robots[RB_N],
                *robots_limits[RL_N], *sitemaps_listed, *sitemaps_guessed,
                *state_loaded, *state_evicted, *state_invalid,
                *state_write_failures, *conditional_hits, *state_duplicates,
                *discovered_over_budget, *state_content_merged,
                *recrawls_scheduled, *recrawls_stopped, *recrawls_superseded,
                *discovered_stopped, *state_tombstones;
        mgauge_t *inflight, *queued, *hosts, *hosts_active, *paused, *seen,
                *robots_bytes, *state_urls, *state_load_seconds;
        mhist_t *response;
        uint64_t waits_seen;
        uint64_t evicted_seen;
} fmetrics_t;

struct fetcher {
        const fetcher_config_t *conf;
        rd_kafka_t *consumer;
        rd_kafka_t *producer;
        /* The pages topic's max.message.bytes, read at start (for the
         * too_large message and the start-up warning). */
        long long pages_limit;
        rd_kafka_queue_t *cq, *pq;
        int cq_pipe[2], pq_pipe[2];
        CURLM *multi;
        CURLSH *share;
        netguard_t *guard;
        offsets_t *offsets;
        hosts_t *hosts;
        proxies_t *proxies;
        seen_t *seen; /* fetched URLs (NULL: off) */
        /* Discovered URLs taken in per host (NULL: no limit). */
        budget_t *budget;
        /* Crawl state (statesync.h; NULL: --state-topic ''): the table,
         * the loader's consumer, the state topic's partition count. */
        crawlstate_t *state;
        rd_kafka_t *state_reader;
        int32_t state_parts;
        /* The loader's consumer tails the loaded state partitions between
         * loads (statesync_tail()), for the cleaner's content states. */
        bool state_tailing;
        /* --recrawl-stop (recrawl.c): the list, the file's last mtime and
         * when it was last looked at. */
        struct stoplist *stops;
        int64_t stops_mtime_ns, stops_checked_ms;
        bool recrawl_warned; /* "no delay topic" logged once */
        /* The recrawl bounds in use: --recrawl-min/-max, the longest cut
         * to --max-park when --recrawl is off (recrawl_init). */
        long recrawl_min_s, recrawl_max_s;
        theap_t timers;
        struct curl_slist *resolve, *connect_to;
        trust_t *trust; /* --resolve/--connect-to targets */
        char agent[64]; /* robots.txt product token */
        double host_rate;
        job_t *jobs; /* every live job          */
        job_t *done; /* delivery reports to serve */
        dpause_t *dpauses;
        dtier_t tiers[TIERS_MAX + 1]; /* [0]: --delay-topic */
        size_t ntiers;                /* 0: parking is off       */
        tmeta_t *meta;
        /* Hosts' robots.txt rules, least recently used first, and their
         * bytes (bounded by --robots-memory). */
        hstate_t *robots_lru, *robots_mru;
        size_t robots_bytes;
        size_t robots_fetching; /* robots.txt transfers running */
        size_t held;            /* URL jobs in memory      */
        size_t transfers;       /* jobs in curl            */
        size_t outstanding;     /* outcomes awaiting delivery */
        bool paused;
        /* Sticky failure: set (never cleared) by any module that meets
         * an error the fetcher cannot go on after — out of memory, or an
         * outcome that cannot be produced (the URL stays uncommitted) —
         * and logged there. The function that sets it returns normally
         * (most are void: delivery reports and timers call them, with no
         * caller to return to); the loop checks it after every step and
         * fetcher_run() returns -1. timers_arm() also returns -1. */
        bool fatal;
        bool draining;
        bool closing;
        fmetrics_t m;
        int paused_parts;
        /* Totals, logged at the end and by --log-level debug. */
        uint64_t n_consumed, n_pages, n_errors, n_rerouted, n_parked,
                n_retries, n_robots, n_dropped, n_duplicates;
};

#endif /* KCRAWL_FETCHER_INT_H */
