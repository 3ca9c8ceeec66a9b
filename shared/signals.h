/*
 * signals.h — a clean stop on SIGTERM/SIGINT.
 *
 * signals_install() sets handlers that raise `signals_stop` and write one
 * byte to a self-pipe, so an event loop waiting on file descriptors wakes at
 * once (signals_fd()). A second signal while stopping exits at once.
 * SIGPIPE is ignored. Call once from the main thread before other threads.
 */
#ifndef KCRAWL_SIGNALS_H
#define KCRAWL_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t signals_stop;

/* Returns 0, or -1 when the self-pipe cannot be made. */
int signals_install(void);

/* The read end of the self-pipe: readable once a stop was asked for. */
int signals_fd(void);

#endif /* KCRAWL_SIGNALS_H */
