/*
 * startup.h — how every binary of the project starts.
 *
 * One path for the mains (fetcher, cleaner, devbroker): the locale, the
 * option table (defaults < environment < flags; --help, --version and
 * --print-config), the log at --log-level, and the stop signals. Each
 * main calls startup_begin() first, then builds its own objects.
 */
#ifndef KCRAWL_STARTUP_H
#define KCRAWL_STARTUP_H

#include <stddef.h>

#include "options.h"

/* A binary: its name (log lines, error prefix, environment prefix), the
 * one-line summary of --help and its option table. */
typedef struct startup_spec {
        const char *prog;
        const char *summary;
        const opt_def_t *defs;
        size_t ndefs;
} startup_spec_t;

/*
 * Starts the binary `spec` describes (main thread, before any other):
 * sets LC_CTYPE to C.UTF-8 (UTF-8 character handling; numbers stay "C"
 * for JSON), fills `conf` from spec->defs with opts_parse() into `o`,
 * starts the log at the table's "log-level" (info when the table has
 * none) and installs the stop signals (signals.h).
 *
 * Returns 0: run; the caller owns `o` (opts_free()). Or -1: stop now and
 * return *exit_code from main — 0 after --help, --version or
 * --print-config; 2 after a bad option or value, named in one line on
 * stderr ("PROG: reason"); 1 when the signals cannot be installed. `o`
 * is freed then.
 */
int startup_begin(opts_t *o, const startup_spec_t *spec, void *conf, int argc,
                  char **argv, int *exit_code);

#endif /* KCRAWL_STARTUP_H */
