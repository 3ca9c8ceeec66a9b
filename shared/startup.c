/*
 * startup.c — the start-up path every main shares.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "signals.h"
#include "startup.h"

/* The --log-level the table filled in conf, or info without one. */
static log_level_t startup_log_level(const startup_spec_t *spec,
                                     const void *conf)
{
        for (size_t i = 0; i < spec->ndefs; i++) {
                const opt_def_t *d = &spec->defs[i];
                const int *level;

                if (d->type == OPT_ENUM && !strcmp(d->name, "log-level")) {
                        level = (const void *)((const char *)conf + d->offset);
                        return (log_level_t)*level;
                }
        }
        return LOG_INFO;
}

int startup_begin(opts_t *o, const startup_spec_t *spec, void *conf, int argc,
                  char **argv, int *exit_code)
{
        char errstr[512];
        int rc;

        setlocale(LC_CTYPE, "C.UTF-8");
        rc = opts_parse(o, spec->prog, spec->summary, spec->defs, spec->ndefs,
                        conf, argc, argv, errstr, sizeof(errstr));
        if (rc != OPTS_RUN) {
                if (rc == OPTS_ERROR)
                        fprintf(stderr, "%s: %s\n", spec->prog, errstr);
                *exit_code = rc == OPTS_ERROR ? 2 : 0;
                rc = -1;
                goto out;
        }
        log_init(spec->prog, startup_log_level(spec, conf));
        if (signals_install()) {
                fprintf(stderr, "%s: initialisation failed\n", spec->prog);
                *exit_code = 1;
                rc = -1;
                goto out;
        }
        *exit_code = 0;
        rc = 0;
out:
        if (rc)
                opts_free(o);
        return rc;
}
