/*
 * selfpipe.c — the self-pipe trick (see selfpipe.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "selfpipe.h"

int selfpipe_open(selfpipe_t *sp)
{
        if (sp->fd[0] >= 0)
                return 0;
        if (pipe2(sp->fd, O_NONBLOCK | O_CLOEXEC)) {
                sp->fd[0] = sp->fd[1] = -1;
                return -1;
        }
        return 0;
}

void selfpipe_wake(selfpipe_t *sp)
{
        int saved = errno;

        if (sp->fd[1] >= 0) {
                ssize_t n = write(sp->fd[1], "w", 1);

                (void)n; /* full pipe: a wake-up is pending anyway */
        }
        errno = saved;
}

int selfpipe_drain(selfpipe_t *sp)
{
        char buf[64];
        int any = 0;

        if (sp->fd[0] < 0)
                return 0;
        while (read(sp->fd[0], buf, sizeof(buf)) > 0)
                any = 1;
        return any;
}

int selfpipe_fd(const selfpipe_t *sp)
{
        return sp->fd[0];
}
