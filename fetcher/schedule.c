/*
 * schedule.c — scheduled recrawl decisions (see schedule.h).
 */
#include "schedule.h"
#include "urlmsg.h"

static long bound(long v, long min_s, long max_s)
{
        if (v < min_s)
                v = min_s;
        if (v > max_s)
                v = max_s;
        return v;
}

long schedule_adapt(long interval_s, int changed, long min_s, long max_s)
{
        double v = (double)interval_s;

        if (changed > 0)
                v *= 1.0 - SCHEDULE_DEC_RATE;
        else if (changed == 0)
                v *= 1.0 + SCHEDULE_INC_RATE;
        /* Rounded, and moved by at least a second when it should move:
         * a short interval must still grow or shrink. */
        if (v > (double)max_s)
                return max_s;
        if (changed == 0 && (long)(v + 0.5) <= interval_s)
                return bound(interval_s + 1, min_s, max_s);
        if (changed > 0 && (long)(v + 0.5) >= interval_s)
                return bound(interval_s - 1, min_s, max_s);
        return bound((long)(v + 0.5), min_s, max_s);
}

void schedule_plan(const schedule_in_t *in, schedule_out_t *out)
{
        long base;

        out->interval_s = 0;
        out->base_s = 0;
        out->stopped = in->stopped;
        out->prev_s = 0;
        out->on = -1;
        if (in->requested == URLMSG_RECRAWL_STOP) {
                out->stopped = true;
                return;
        }
        if (in->requested > 0 && !in->copy)
                out->stopped = false; /* a user asks again */
        if (out->stopped || in->stop_listed)
                return;
        base = in->requested > 0                        ? in->requested
               : in->requested == URLMSG_RECRAWL_ABSENT ? in->dflt
                                                        : 0;
        if (base <= 0)
                return;
        base = bound(base, in->min_s, in->max_s);
        out->base_s = base;
        if (in->cur_s > 0 && in->base_s == base) {
                long cur = in->cur_s;

                /* The last step adapted on the body; the cleaner, later,
                 * said otherwise of the content: redo it on that. */
                if (in->prev_s > 0 && in->on >= 0 &&
                    in->content_changed >= 0 && in->content_changed != in->on)
                        cur = schedule_adapt(in->prev_s, in->content_changed,
                                             in->min_s, in->max_s);
                if (in->failed) {
                        /* Back off; the next step has nothing to redo. */
                        out->interval_s =
                                schedule_adapt(cur, 0, in->min_s, in->max_s);
                } else {
                        out->prev_s = cur;
                        out->on = in->changed;
                        out->interval_s = schedule_adapt(cur, in->changed,
                                                         in->min_s, in->max_s);
                }
        } else {
                out->interval_s = base;
        }
}

schedule_intake_t schedule_intake(const schedule_msg_t *m)
{
        if (m->copy) {
                if (m->stop_listed || (m->has_state && m->stopped) ||
                    (m->requested == URLMSG_RECRAWL_ABSENT && m->dflt <= 0))
                        return SCHEDULE_STOPPED;
                /* No state (forgotten, or none kept): the copy is all
                 * there is, it is fetched. */
                if (m->has_state && m->next_due_ms != m->token)
                        return SCHEDULE_SUPERSEDED;
                return SCHEDULE_FETCH;
        }
        if (m->requested == URLMSG_RECRAWL_STOP)
                return SCHEDULE_STOP;
        if (m->followed && m->stop_listed)
                return SCHEDULE_DISCOVERED_STOPPED;
        return SCHEDULE_FETCH;
}
