/*
 * schedule.h — when a URL is fetched again (scheduled recrawl), decided
 * from its message, the options and its crawl state alone: no Kafka, no
 * clock (schedule.c). recrawl.h puts the decisions to work.
 *
 * The interval adapts as Nutch's AdaptiveFetchSchedule: after a page
 * that changed it shrinks by SCHEDULE_DEC_RATE, after one that did not
 * (a 304, or the same body digest) it grows by SCHEDULE_INC_RATE, within
 * --recrawl-min and --recrawl-max; when the change is unknown (a first
 * fetch, a page without a digest) it stays. After a dead letter (retries
 * spent: a 404, a timeout, a refusal) it grows as after an unchanged
 * page, so a URL that keeps failing is asked ever less often, up to
 * --recrawl-max, as Nutch backs off gone pages.
 *
 * At the outcome only the body is known, and raw bodies change on every
 * render (timestamps, tokens); whether the content changed is the
 * cleaner's verdict (the record's `changed`), which reaches the state
 * later, with its content state. So each step records what it adapted on
 * (the body's verdict) and the interval it started from; the next step
 * first redoes the last one on the cleaner's verdict when that differs,
 * then takes its own. A page whose bytes change at every fetch while its
 * main text does not is thus recrawled less and less often, as an
 * unchanged page, one step behind.
 */
#ifndef KCRAWL_FETCHER_SCHEDULE_H
#define KCRAWL_FETCHER_SCHEDULE_H

#include <stdbool.h>

#define SCHEDULE_INC_RATE 0.4 /* Nutch's db.fetch.schedule.adaptive.inc_rate */
#define SCHEDULE_DEC_RATE 0.2 /* and dec_rate */

/* The next interval after one of interval_s seconds: changed 1 (the page
 * changed), 0 (unchanged) or -1 (unknown), within [min_s, max_s]. */
long schedule_adapt(long interval_s, int changed, long min_s, long max_s);

/* What the schedule of one outcome is made from. */
typedef struct schedule_in {
        long requested;    /* the message's "recrawl": seconds, 0, or
                           * URLMSG_RECRAWL_ABSENT / _STOP          */
        long dflt;         /* --recrawl (0: off)                     */
        long min_s, max_s; /* --recrawl-min, --recrawl-max         */
        bool copy;         /* the message is a recrawl copy          */
        bool stop_listed;  /* its host or crawl is on --recrawl-stop */
        /* The URL's state before this outcome (all 0 when none). */
        long cur_s, base_s; /* interval in use, the base it began at */
        bool stopped;       /* a stop was recorded                   */
        int changed;        /* this outcome (its body): 1, 0 or -1   */
        bool failed;        /* this outcome is a dead letter         */
        /* The last step: the interval it started from (0: it did not
         * adapt) and the verdict it adapted on (1, 0, -1); and the
         * cleaner's verdict on the URL's last cleaned fetch (1, 0, -1). */
        long prev_s;
        int on;
        int content_changed;
} schedule_in_t;

typedef struct schedule_out {
        long interval_s; /* the next fetch in this many seconds, 0: none */
        long base_s;     /* the base interval (the request, bounded)    */
        bool stopped;    /* a stop stays (or is) recorded               */
        long prev_s;     /* this step's start (0: it did not adapt)     */
        int on;          /* and the verdict it adapted on (-1: none)    */
} schedule_out_t;

/* The schedule after an outcome. The base is the message's request,
 * else --recrawl when it has none; a request of 0 or a stop schedules
 * nothing. With a state begun at the same base the interval adapts (see
 * above: the last step corrected on the cleaner's verdict), else it
 * starts at the base. A recorded stop holds until a
 * user's message (not a copy) asks for an interval again. */
void schedule_plan(const schedule_in_t *in, schedule_out_t *out);

/* What becomes of a consumed URL message, by its recrawl fields. */
typedef enum {
        SCHEDULE_FETCH,              /* as any URL message               */
        SCHEDULE_STOP,               /* "recrawl": false: a stop recorded, no
                              * request                          */
        SCHEDULE_STOPPED,            /* a copy of a stopped URL, host or crawl:
                              * dropped                          */
        SCHEDULE_SUPERSEDED,         /* a copy the state does not expect (a
                              * newer schedule, or a duplicate): dropped */
        SCHEDULE_DISCOVERED_STOPPED, /* a discovered URL of a stopped
                                      * host or crawl: dropped      */
} schedule_intake_t;

typedef struct schedule_msg {
        long requested;   /* the message's "recrawl"                 */
        long dflt;        /* --recrawl (0: off)                      */
        bool copy;        /* a recrawl copy (header kcrawl_recrawl)  */
        long long token;  /* its token (the due time it was made for) */
        bool followed;    /* a discovered URL (header followed_from) */
        bool stop_listed; /* its host or crawl is on --recrawl-stop  */
        bool has_state;
        bool stopped;          /* the state records a stop       */
        long long next_due_ms; /* the state's expected copy, 0: none */
} schedule_msg_t;

schedule_intake_t schedule_intake(const schedule_msg_t *m);

#endif /* KCRAWL_FETCHER_SCHEDULE_H */
