/*
 * reload.h — the cleaner's main thread while the workers run: it waits for
 * a stop (SIGTERM/SIGINT, or a worker that cannot go on) and reloads the
 * rules file on SIGHUP.
 *
 * A reload builds a whole new rule set and installs it in the holder only
 * when it is valid; workers swap to it between pages, so no page is dropped
 * or sees half a rule set. A bad new file is logged and the old rules are
 * kept.
 */
#ifndef KCRAWL_RELOAD_H
#define KCRAWL_RELOAD_H

#include "rules.h"

/* Installs the SIGHUP handler (a self-pipe). Call once from the main
 * thread before the workers start. Returns 0 or -1. */
int reload_install(void);

/*
 * Runs until signals_stop is raised, reloading `path` into `holder` on each
 * SIGHUP (path NULL: SIGHUP is logged and ignored). Waits in poll(2) on
 * the stop and SIGHUP pipes: no timer, no busy loop.
 */
void reload_run(rules_holder_t *holder, const char *path);

#endif /* KCRAWL_RELOAD_H */
