/*
 * signals.c — stop flag and self-pipe for SIGTERM/SIGINT.
 */
#include <string.h>
#include <unistd.h>

#include "selfpipe.h"
#include "signals.h"

volatile sig_atomic_t signals_stop = 0;
static selfpipe_t stop_pipe = SELFPIPE_INIT;

static void on_signal(int sig)
{
        if (signals_stop)
                _exit(128 + sig); /* second signal: the operator insists */
        signals_stop = 1;
        selfpipe_wake(&stop_pipe);
}

int signals_install(void)
{
        struct sigaction sa;

        if (selfpipe_open(&stop_pipe))
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
        return selfpipe_fd(&stop_pipe);
}
