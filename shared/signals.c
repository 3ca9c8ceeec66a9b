/*
 * signals.c — stop flag and self-pipe for SIGTERM/SIGINT.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "signals.h"

volatile sig_atomic_t signals_stop = 0;
static int signals_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
        if (signals_stop)
                _exit(128 + sig); /* second signal: the operator insists */
        signals_stop = 1;
        if (signals_pipe[1] >= 0) {
                ssize_t w = write(signals_pipe[1], "s", 1);

                (void)w;
        }
}

int signals_install(void)
{
        struct sigaction sa;

        if (pipe2(signals_pipe, O_NONBLOCK | O_CLOEXEC))
                return -1;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
        return 0;
}

int signals_fd(void)
{
        return signals_pipe[0];
}
