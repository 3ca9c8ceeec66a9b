/*
 * recrawl.h — scheduled recrawl, the fetcher's side (recrawl.c; the
 * decisions are schedule.h's, the stop list stoplist.h's).
 *
 * After each outcome of a URL that asks for it ("recrawl" in its message,
 * or --recrawl), its next fetch is planned with the outcome's crawl state
 * (so the pending and the final state both carry it) and, once the
 * outcome is delivered, a copy of the URL message goes to the delay topic
 * due then, with header kcrawl_recrawl holding that due time: the copy's
 * token, which the state records as next_due_ms. Only then is the
 * original committed, so a crash never loses the schedule.
 *
 * A copy is a message of its own (a delay topic, partition and offset):
 * its outcome's state names it, so a redelivered copy is committed without
 * a second request like any message, while a new copy is fetched. A copy
 * whose token is not the one the state expects (a user re-published the
 * URL and a newer schedule began; the copy was produced twice around a
 * crash) is dropped; so is the copy of a URL, host or crawl that is
 * stopped. A copy taken for fetching clears the state's expectation in
 * memory, so a duplicate behind it is dropped too.
 */
#ifndef KCRAWL_FETCHER_RECRAWL_H
#define KCRAWL_FETCHER_RECRAWL_H

#include "fetcher_int.h"

/* Checks the recrawl options (--recrawl-max within --max-park; --recrawl
 * needs a delay topic), reads --recrawl-stop, and warns about delay
 * topics whose retention.ms is under --recrawl-max when --recrawl is on.
 * Returns 0, or -1 with a one-line reason. Called by fetcher_new() once
 * the tiers and the producer exist. */
int recrawl_init(fetcher_t *f, char *errstr, size_t errstr_size);
void recrawl_destroy(fetcher_t *f);

/* Re-reads --recrawl-stop when its modification time changed (looked at
 * most once a second). A file that cannot be read or parsed keeps the
 * list in use, with a warning. */
void recrawl_refresh(fetcher_t *f);

/* Plans the job's next fetch after its outcome was captured (statesync
 * capture): job->recrawl_due_ms, and the interval in job->crawl. */
void recrawl_plan(fetcher_t *f, job_t *job);

/* The job's outcome is delivered, its state about to be written: a stop
 * recorded since the outcome was captured ("recrawl": false while the
 * request ran) is kept, and no copy is planned any more. */
void recrawl_settle(fetcher_t *f, job_t *job);

/* The job's outcome is delivered: produces its recrawl copy when one is
 * planned and returns true (its delivery report finishes the job). */
bool recrawl_schedule(fetcher_t *f, job_t *job);

/* A consumed URL message, decoded, with its state `st` (NULL: none):
 * returns true when it is dealt with here — a "recrawl": false recorded
 * (no request), a copy or a discovered URL dropped as stopped or
 * superseded — else false (it goes on as any URL message). */
bool recrawl_intake(fetcher_t *f, job_t *job, const crawlstate_rec_t *st);

/* A redelivered message whose outcome was delivered (crawlstate
 * delivered): its recrawl copy may have been lost with the crash, so the
 * one the state expects is produced again (a duplicate is dropped when
 * the first is taken). Returns true when produced (its delivery report
 * finishes the job). */
bool recrawl_resume(fetcher_t *f, job_t *job, const crawlstate_rec_t *st);

/* A copy stays in this process to be fetched (admitted, or held until
 * due): the state expects no copy any more (in memory), so a duplicate
 * is dropped; the job is no copy any more (a retry parks it plainly). */
void recrawl_taken(fetcher_t *f, job_t *job);

#endif /* KCRAWL_FETCHER_RECRAWL_H */
