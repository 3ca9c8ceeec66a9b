/*
 * recrawl.c — scheduled recrawl, the fetcher's side (see recrawl.h):
 * the plan after an outcome, the copy on the delay topic, what becomes
 * of a copy (or a stop, or a discovered URL) when it is consumed, and
 * the --recrawl-stop list kept fresh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "crawlstate.h"
#include "dynbuf.h"
#include "fetcher_int.h"
#include "job.h"
#include "kafka.h"
#include "log.h"
#include "park.h"
#include "recrawl.h"
#include "schedule.h"
#include "statesync.h"
#include "stoplist.h"

#define STOPS_CHECK_MS 1000 /* --recrawl-stop looked at this often */
#define RETENTION_TIMEOUT_MS 5000

static int64_t epoch_ms(void)
{
        return clock_ns(CLOCK_REALTIME) / 1000000;
}

/* Reads and parses `path` into *out (NULL on failure, with a reason);
 * *mtime_ns gets its modification time. */
static int stops_read(const char *path, stoplist_t **out, int64_t *mtime_ns,
                      char *errstr, size_t errstr_size)
{
        FILE *fp = fopen(path, "r");
        struct stat st;
        dynbuf_t b;
        char chunk[8192], why[256];
        size_t n;
        int rc = -1;

        *out = NULL;
        if (!fp) {
                snprintf(errstr, errstr_size, "%.200s: %s", path,
                         strerror(errno));
                return -1;
        }
        dynbuf_init(&b, STOPLIST_MAX_BYTES);
        if (fstat(fileno(fp), &st)) {
                snprintf(errstr, errstr_size, "%.200s: %s", path,
                         strerror(errno));
                goto out;
        }
        *mtime_ns =
                (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        for (;;) {
                n = fread(chunk, 1, sizeof(chunk), fp);
                if (n == 0)
                        break;
                if (dynbuf_add(&b, chunk, n)) {
                        snprintf(errstr, errstr_size,
                                 "%.200s: over %d bytes (or out of memory)",
                                 path, STOPLIST_MAX_BYTES);
                        goto out;
                }
        }
        if (ferror(fp)) {
                snprintf(errstr, errstr_size, "%.200s: read error", path);
                goto out;
        }
        *out = stoplist_parse(b.data ? b.data : "", b.len, why, sizeof(why));
        if (!*out) {
                snprintf(errstr, errstr_size, "%.200s: %s", path, why);
                goto out;
        }
        rc = 0;
out:
        dynbuf_free(&b);
        fclose(fp);
        return rc;
}

/* Warns about each delay topic whose retention is shorter than the
 * longest recrawl interval: a copy waiting there longer (a fetcher
 * stopped, a tier's wait) would be deleted before it is due. */
static void check_retention(fetcher_t *f)
{
        int64_t want = (int64_t)f->recrawl_max_s * 1000;

        for (size_t i = 0; i < f->ntiers; i++) {
                long long ms = 0;
                char why[256];

                if (kafka_topic_config_ll(f->producer, f->tiers[i].topic,
                                          "retention.ms", RETENTION_TIMEOUT_MS,
                                          &ms, why, sizeof(why))) {
                        LOGF(LOG_WARN,
                             "cannot read a delay topic's retention.ms",
                             LOG_S("topic", f->tiers[i].topic),
                             LOG_S("err", why));
                        continue;
                }
                if (ms >= 0 && ms < want)
                        LOGF(LOG_WARN,
                             "delay topic retention shorter than "
                             "--recrawl-max: a recrawl copy may be deleted "
                             "before it is due",
                             LOG_S("topic", f->tiers[i].topic),
                             LOG_I("retention_ms", ms),
                             LOG_I("recrawl_max_ms", want));
        }
}

int recrawl_init(fetcher_t *f, char *errstr, size_t errstr_size)
{
        const fetcher_config_t *c = f->conf;
        char why[512];

        if (c->recrawl_min > c->recrawl_max) {
                snprintf(errstr, errstr_size,
                         "--recrawl-min (%ld s) is over --recrawl-max (%ld s)",
                         c->recrawl_min, c->recrawl_max);
                return -1;
        }
        f->recrawl_min_s = c->recrawl_min;
        f->recrawl_max_s = c->recrawl_max;
        if (c->recrawl_max > c->max_park) {
                /* Asked for: an error. Only possible (a message's
                 * "recrawl"): the intervals are cut to --max-park. */
                if (c->recrawl > 0) {
                        snprintf(errstr, errstr_size,
                                 "--recrawl-max (%ld s) is over --max-park "
                                 "(%ld s): a recrawl copy's wait would be cut",
                                 c->recrawl_max, c->max_park);
                        return -1;
                }
                f->recrawl_max_s = c->max_park;
                if (f->recrawl_min_s > f->recrawl_max_s)
                        f->recrawl_min_s = f->recrawl_max_s;
        }
        if (c->recrawl > 0 && !f->ntiers) {
                snprintf(errstr, errstr_size,
                         "--recrawl needs a delay topic (--delay-topic)");
                return -1;
        }
        if (c->recrawl_stop && *c->recrawl_stop) {
                if (stops_read(c->recrawl_stop, &f->stops, &f->stops_mtime_ns,
                               why, sizeof(why))) {
                        snprintf(errstr, errstr_size, "--recrawl-stop: %s",
                                 why);
                        return -1;
                }
                f->stops_checked_ms = clock_mono_ms();
                LOGF(LOG_INFO, "recrawl stop list read",
                     LOG_S("file", c->recrawl_stop),
                     LOG_I("entries", stoplist_count(f->stops)));
        }
        if (c->recrawl > 0)
                check_retention(f);
        return 0;
}

void recrawl_destroy(fetcher_t *f)
{
        stoplist_destroy(f->stops);
        f->stops = NULL;
}

void recrawl_refresh(fetcher_t *f)
{
        const char *path = f->conf->recrawl_stop;
        int64_t now = clock_mono_ms(), mtime = 0;
        struct stat st;
        stoplist_t *sl = NULL;
        char why[512];

        if (!path || !*path || now - f->stops_checked_ms < STOPS_CHECK_MS)
                return;
        f->stops_checked_ms = now;
        if (stat(path, &st) == 0 &&
            (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec ==
                    f->stops_mtime_ns)
                return;
        if (stops_read(path, &sl, &mtime, why, sizeof(why))) {
                /* Once per change of the file: the failed time is kept. */
                if (stat(path, &st) == 0)
                        f->stops_mtime_ns =
                                (int64_t)st.st_mtim.tv_sec * 1000000000 +
                                st.st_mtim.tv_nsec;
                LOGF(LOG_WARN,
                     "--recrawl-stop not re-read (the list in use is kept)",
                     LOG_S("err", why));
                return;
        }
        stoplist_destroy(f->stops);
        f->stops = sl;
        f->stops_mtime_ns = mtime;
        LOGF(LOG_INFO, "recrawl stop list re-read", LOG_S("file", path),
             LOG_I("entries", stoplist_count(sl)));
}

static bool stop_listed(const fetcher_t *f, const job_t *job)
{
        return stoplist_has(f->stops, job->um.host_key, job->um.id);
}

void recrawl_plan(fetcher_t *f, job_t *job)
{
        const fetcher_config_t *c = f->conf;
        crawlstate_rec_t *st = job->crawl;
        schedule_in_t in;
        schedule_out_t out;

        job->recrawl_due_ms = 0;
        if (job->kind != JOB_URL || !job->um.url || !job->um.host_key)
                return;
        in = (schedule_in_t){
                .requested = job->um.recrawl,
                .dflt = c->recrawl,
                .min_s = f->recrawl_min_s,
                .max_s = f->recrawl_max_s,
                .copy = job->recrawl_copy,
                .stop_listed = stop_listed(f, job),
                .cur_s = st ? (long)st->recrawl_s : 0,
                .base_s = st ? (long)st->recrawl_base_s : 0,
                .stopped = st && st->stopped_at_ms,
                .changed = job->changed,
                .failed = st && st->outcome == CRAWLSTATE_ERROR,
                .prev_s = st ? (long)st->recrawl_prev_s : 0,
                .on = st ? st->recrawl_on : -1,
                .content_changed =
                        st && st->has_content ? st->content_changed : -1,
        };
        schedule_plan(&in, &out);
        if (out.interval_s > 0 && !f->ntiers) {
                if (!f->recrawl_warned)
                        LOG(LOG_WARN, "a URL asks for a recrawl but there "
                                      "is no delay topic: not scheduled");
                f->recrawl_warned = true;
                out.interval_s = 0;
        }
        if (out.interval_s > 0)
                job->recrawl_due_ms = epoch_ms() + out.interval_s * 1000;
        if (st) {
                st->recrawl_s = (uint32_t)out.interval_s;
                st->recrawl_base_s = (uint32_t)out.base_s;
                st->recrawl_prev_s = (uint32_t)out.prev_s;
                st->recrawl_on = out.on;
                st->next_due_ms = job->recrawl_due_ms;
                if (!out.stopped)
                        st->stopped_at_ms = 0;
                else if (!st->stopped_at_ms)
                        st->stopped_at_ms = epoch_ms();
        }
}

void recrawl_settle(fetcher_t *f, job_t *job)
{
        crawlstate_rec_t cur;
        crawlstate_rec_t *st = job->crawl;

        if (!st || !job->um.url ||
            !crawlstate_get(f->state, job->um.url, &cur))
                return;
        if (cur.stopped_at_ms <= st->fetched_at_ms ||
            cur.stopped_at_ms <= st->stopped_at_ms)
                return;
        st->stopped_at_ms = cur.stopped_at_ms;
        st->next_due_ms = 0;
        st->recrawl_s = 0;
        job->recrawl_due_ms = 0;
}

/* Produces the job's recrawl copy due at due_ms, with that as its
 * token. */
static void produce_copy(fetcher_t *f, job_t *job, int64_t due_ms)
{
        job->recrawl_token = due_ms;
        job->attempts = 0;
        park_recrawl(f, job, due_ms);
}

bool recrawl_schedule(fetcher_t *f, job_t *job)
{
        if (!job->recrawl_due_ms || !f->ntiers || job->kind != JOB_URL)
                return false;
        produce_copy(f, job, job->recrawl_due_ms);
        return job->outcome == OUT_RECRAWL;
}

bool recrawl_resume(fetcher_t *f, job_t *job, const crawlstate_rec_t *st)
{
        if (!st || !st->next_due_ms || st->stopped_at_ms || !f->ntiers ||
            stop_listed(f, job))
                return false;
        produce_copy(f, job, st->next_due_ms);
        return job->outcome == OUT_RECRAWL;
}

/* "recrawl": false: the stop goes into the URL's state; the message is
 * committed once it is written (no request). */
static void record_stop(fetcher_t *f, job_t *job, const crawlstate_rec_t *st)
{
        crawlstate_rec_t rec;

        mcounter_add(f->m.recrawls_stopped, 1);
        if (st)
                rec = *st;
        else
                memset(&rec, 0, sizeof(rec));
        rec.next_due_ms = 0;
        rec.recrawl_s = 0;
        rec.stopped_at_ms = epoch_ms();
        LOGF(LOG_INFO, "recrawl stopped (\"recrawl\": false)",
             LOG_S("url", job->um.url));
        if (statesync_record(f, job, &rec) == 0) {
                job_produced(f, job, OUT_STATE);
                return;
        }
        LOGF(LOG_WARN,
             "\"recrawl\": false not recorded (no crawl state, "
             "--state-topic '', or it cannot be written): its copies are "
             "fetched still; stop its host with --recrawl-stop",
             LOG_S("url", job->um.url));
        job_finish(f, job);
}

bool recrawl_intake(fetcher_t *f, job_t *job, const crawlstate_rec_t *st)
{
        schedule_msg_t m;

        recrawl_refresh(f);
        m = (schedule_msg_t){
                .requested = job->um.recrawl,
                .dflt = f->conf->recrawl,
                .copy = job->recrawl_token != 0,
                .token = job->recrawl_token,
                .followed = job->followed_from != NULL,
                .stop_listed = stop_listed(f, job),
                .has_state = st != NULL,
                .stopped = st && st->stopped_at_ms,
                .next_due_ms = st ? st->next_due_ms : 0,
        };
        switch (schedule_intake(&m)) {
        case SCHEDULE_STOP:
                record_stop(f, job, st);
                return true;
        case SCHEDULE_STOPPED:
                mcounter_add(f->m.recrawls_stopped, 1);
                LOGF(LOG_DEBUG, "recrawl copy dropped: stopped",
                     LOG_S("url", job->um.url));
                job_finish(f, job);
                return true;
        case SCHEDULE_SUPERSEDED:
                mcounter_add(f->m.recrawls_superseded, 1);
                LOGF(LOG_DEBUG,
                     "recrawl copy dropped: the state expects another",
                     LOG_S("url", job->um.url),
                     LOG_I("token", job->recrawl_token),
                     LOG_I("expected", m.next_due_ms));
                job_finish(f, job);
                return true;
        case SCHEDULE_DISCOVERED_STOPPED:
                mcounter_add(f->m.discovered_stopped, 1);
                LOGF(LOG_DEBUG,
                     "discovered URL dropped: host or crawl stopped",
                     LOG_S("url", job->um.url));
                job_finish(f, job);
                return true;
        default:
                return false;
        }
}

void recrawl_taken(fetcher_t *f, job_t *job)
{
        crawlstate_rec_t rec;

        if (!job->recrawl_token)
                return;
        if (crawlstate_get(f->state, job->um.url, &rec) &&
            rec.next_due_ms == job->recrawl_token) {
                rec.next_due_ms = 0;
                if (crawlstate_put(f->state, job->um.url, &rec))
                        mcounter_add(f->m.state_write_failures, 1);
        }
        job->recrawl_token = 0;
}
