/*
 * selfpipe.h — the self-pipe trick: a signal handler writes one byte so
 * that a thread waiting in poll() (or curl_multi_poll()) wakes at once.
 *
 * One selfpipe_t per signal kind; the write end is non-blocking, so a full
 * pipe only drops wake-ups that are already pending, never blocks a handler.
 */
#ifndef KCRAWL_SELFPIPE_H
#define KCRAWL_SELFPIPE_H

typedef struct selfpipe {
        int fd[2]; /* [0] read end, [1] write end; -1 when not open */
} selfpipe_t;

#define SELFPIPE_INIT          \
        {                      \
                {              \
                        -1, -1 \
                }              \
        }

/* Opens the pipe (non-blocking, close-on-exec). Returns 0, or -1 with
 * errno set; opening an open pipe does nothing and returns 0. */
int selfpipe_open(selfpipe_t *sp);

/* Writes one wake-up byte. Async-signal-safe, and keeps errno as it was,
 * so a handler calling it does not disturb the code it interrupted. */
void selfpipe_wake(selfpipe_t *sp);

/* Reads every pending byte. Returns 1 when there was at least one, else 0. */
int selfpipe_drain(selfpipe_t *sp);

/* The read end, to wait on for POLLIN (-1 when not open). */
int selfpipe_fd(const selfpipe_t *sp);

#endif /* KCRAWL_SELFPIPE_H */
