/*
 * test_startup.c — the start-up path of the mains: a bad option is one
 * line on stderr and exit code 2, --help and --version exit 0, a good
 * command line runs with the log at the table's --log-level.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "startup.h"

typedef struct conf {
        long count;
        int log_level;
} conf_t;

#define F(x) offsetof(conf_t, x)
static const opt_def_t defs[] = {
        { "count", OPT_INT, F(count), "1", 1, 9, NULL, "A count.", false },
        { "log-level", OPT_ENUM, F(log_level), "info", 0, 0, log_level_names,
          "debug, info, warn or error.", false },
};
static const startup_spec_t spec = {
        .prog = "tprog",
        .summary = "A test binary.",
        .defs = defs,
        .ndefs = sizeof(defs) / sizeof(defs[0]),
};

/* startup_begin() on argv with stdout and stderr sent to a file; returns
 * its result, the exit code in *code and what it printed in out. */
static int begin(char **argv, conf_t *conf, opts_t *o, int *code, char *out,
                 size_t out_size)
{
        FILE *tmp = tmpfile();
        int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
        int argc = 0, rc;
        size_t n;

        while (argv[argc])
                argc++;
        assert_non_null(tmp);
        assert_true(saved_out >= 0 && saved_err >= 0);
        fflush(stdout);
        assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
        assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
        memset(conf, 0, sizeof(*conf));
        *code = -99;
        rc = startup_begin(o, &spec, conf, argc, argv, code);
        fflush(stdout);
        assert_true(dup2(saved_out, STDOUT_FILENO) >= 0);
        assert_true(dup2(saved_err, STDERR_FILENO) >= 0);
        close(saved_out);
        close(saved_err);
        rewind(tmp);
        n = fread(out, 1, out_size - 1, tmp);
        fclose(tmp);
        out[n] = '\0';
        return rc;
}

/* A bad value, an unknown option: one line naming it, exit code 2. */
static void test_bad_options_exit_2(void **state)
{
        static const struct {
                const char *arg, *want;
        } cases[] = {
                { "--count=99", "tprog: --count" },
                { "--nope", "tprog: unknown option '--nope'" },
                { "--log-level=loud", "tprog: --log-level" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *argv[] = { "tprog", (char *)cases[i].arg, NULL };
                char out[1024];
                conf_t conf;
                opts_t o;
                int code;

                assert_int_equal(
                        begin(argv, &conf, &o, &code, out, sizeof(out)), -1);
                assert_int_equal(code, 2);
                if (strncmp(out, cases[i].want, strlen(cases[i].want)))
                        fail_msg("%s: printed '%s'", cases[i].arg, out);
                /* One line. */
                assert_non_null(strchr(out, '\n'));
                assert_null(strchr(strchr(out, '\n') + 1, '\n'));
        }
}

static void test_help_and_version_exit_0(void **state)
{
        char *help[] = { "tprog", "--help", NULL };
        char *version[] = { "tprog", "--version", NULL };
        char out[4096];
        conf_t conf;
        opts_t o;
        int code;

        assert_int_equal(begin(help, &conf, &o, &code, out, sizeof(out)), -1);
        assert_int_equal(code, 0);
        assert_non_null(strstr(out, "A test binary."));
        assert_int_equal(begin(version, &conf, &o, &code, out, sizeof(out)),
                         -1);
        assert_int_equal(code, 0);
        assert_non_null(strstr(out, "tprog "));
}

/* Does a warning reach stderr now? */
static int warning_printed(void)
{
        FILE *tmp = tmpfile();
        int saved = dup(STDERR_FILENO);
        long n;

        assert_non_null(tmp);
        assert_true(saved >= 0);
        assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
        LOG(LOG_WARN, "a warning");
        assert_true(dup2(saved, STDERR_FILENO) >= 0);
        close(saved);
        n = ftell(tmp);
        fclose(tmp);
        return n > 0;
}

/* A good command line runs; the log is at the table's --log-level: a
 * warning is dropped at error and printed at the default, info. */
static void test_runs_at_log_level(void **state)
{
        char *quiet[] = { "tprog", "--count=3", "--log-level=error", NULL };
        char *dflt[] = { "tprog", NULL };
        char out[1024];
        conf_t conf;
        opts_t o;
        int code;

        assert_int_equal(begin(quiet, &conf, &o, &code, out, sizeof(out)), 0);
        assert_int_equal(code, 0);
        assert_int_equal(conf.count, 3);
        assert_string_equal(out, "");
        assert_false(warning_printed());
        opts_free(&o);

        assert_int_equal(begin(dflt, &conf, &o, &code, out, sizeof(out)), 0);
        assert_int_equal(code, 0);
        assert_int_equal(conf.count, 1);
        assert_true(warning_printed());
        opts_free(&o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_options_exit_2),
                cmocka_unit_test(test_help_and_version_exit_0),
                cmocka_unit_test(test_runs_at_log_level),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
