/*
 * reload.c — waiting for a stop, reloading rules on SIGHUP (see reload.h).
 */
#include "reload.h"

#include "log.h"
#include "selfpipe.h"
#include "signals.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>

static selfpipe_t hup_pipe = SELFPIPE_INIT;

static void on_hup(int sig)
{
        (void)sig;
        selfpipe_wake(&hup_pipe);
}

int reload_install(void)
{
        struct sigaction sa;

        if (selfpipe_fd(&hup_pipe) >= 0)
                return 0;
        if (selfpipe_open(&hup_pipe))
                return -1;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_hup;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        return sigaction(SIGHUP, &sa, NULL);
}

static void reload(rules_holder_t *holder, const char *path)
{
        char errstr[1024];
        rules_t *r;

        if (!path || !holder) {
                LOG(LOG_INFO, "SIGHUP: no --rules file to reload");
                return;
        }
        r = rules_load(path, errstr, sizeof(errstr));
        if (!r) {
                LOGF(LOG_ERROR, "rules not reloaded; the old ones stay",
                     LOG_S("err", errstr));
                return;
        }
        LOGF(LOG_INFO, "rules reloaded", LOG_S("file", path),
             LOG_I("rules", rules_count(r)));
        rules_holder_set(holder, r);
}

void reload_run(rules_holder_t *holder, const char *path)
{
        while (!signals_stop) {
                struct pollfd fds[2] = {
                        { .fd = signals_fd(), .events = POLLIN },
                        { .fd = selfpipe_fd(&hup_pipe), .events = POLLIN },
                };
                bool hup = false;

                if (poll(fds, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        LOGF(LOG_ERROR, "poll", LOG_S("err", strerror(errno)));
                        return;
                }
                if (fds[1].revents)
                        hup = selfpipe_drain(&hup_pipe);
                if (hup && !signals_stop)
                        reload(holder, path);
        }
}
