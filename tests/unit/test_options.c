/*
 * test_options.c — the option table: defaults < environment < flags,
 * validation with one-line errors, lists, -X passthrough, --print-config.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "options.h"

typedef struct conf {
        char *name;
        long count;
        long long size;
        bool flag;
        strlist_t nets;
        char *brokers;
} conf_t;

#define F(x) offsetof(conf_t, x)
static const opt_def_t defs[] = {
        { "name", OPT_STR, F(name), "dflt", 0, 0, NULL, "A name.", false },
        { "count", OPT_INT, F(count), "10", 1, 100, NULL, "A count.", false },
        { "max-size", OPT_SIZE, F(size), "8M", 1024, 1e9, NULL, "A size.",
          false },
        { "flag", OPT_BOOL, F(flag), "false", 0, 0, NULL, "A flag.", false },
        { "net", OPT_LIST, F(nets), NULL, 0, 0, NULL, "A list.", false },
        { "brokers", OPT_STR, F(brokers), "localhost:9092", 0, 0,
          "KAFKA_BROKERS", "Brokers.", true },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static char errstr[512];

static int parse(opts_t *o, conf_t *c, int argc, char **argv)
{
        memset(c, 0, sizeof(*c));
        errstr[0] = '\0';
        return opts_parse(o, "tool", "A test tool.", defs, NDEFS, c, argc,
                          argv, errstr, sizeof(errstr));
}

static int setup(void **state)
{
        unsetenv("TOOL_NAME");
        unsetenv("TOOL_COUNT");
        unsetenv("TOOL_NET");
        unsetenv("TOOL_BROKERS");
        unsetenv("KAFKA_BROKERS");
        return 0;
}

static void test_defaults(void **state)
{
        char *argv[] = { "tool", NULL };
        opts_t o;
        conf_t c;

        assert_int_equal(parse(&o, &c, 1, argv), OPTS_RUN);
        assert_string_equal(c.name, "dflt");
        assert_int_equal(c.count, 10);
        assert_int_equal(c.size, 8 * 1024 * 1024);
        assert_false(c.flag);
        assert_int_equal(c.nets.n, 0);
        assert_int_equal(o.src[0], OPT_SRC_DEFAULT);
        opts_free(&o);
}

static void test_precedence(void **state)
{
        char *argv[] = { "tool", "--count", "30", NULL };
        opts_t o;
        conf_t c;

        setenv("TOOL_NAME", "fromenv", 1);
        setenv("TOOL_COUNT", "20", 1);
        assert_int_equal(parse(&o, &c, 3, argv), OPTS_RUN);
        assert_string_equal(c.name, "fromenv"); /* env beats default */
        assert_int_equal(o.src[0], OPT_SRC_ENV);
        assert_int_equal(c.count, 30); /* flag beats env */
        assert_int_equal(o.src[1], OPT_SRC_FLAG);
        opts_free(&o);
}

static void test_alt_env(void **state)
{
        char *argv[] = { "tool", NULL };
        opts_t o;
        conf_t c;

        setenv("KAFKA_BROKERS", "k:1", 1);
        assert_int_equal(parse(&o, &c, 1, argv), OPTS_RUN);
        assert_string_equal(c.brokers, "k:1");
        opts_free(&o);
        /* The binary's own variable beats the shared one. */
        setenv("TOOL_BROKERS", "t:2", 1);
        assert_int_equal(parse(&o, &c, 1, argv), OPTS_RUN);
        assert_string_equal(c.brokers, "t:2");
        opts_free(&o);
}

static void expect_error(int argc, char **argv, const char *needle)
{
        opts_t o;
        conf_t c;

        assert_int_equal(parse(&o, &c, argc, argv), OPTS_ERROR);
        assert_non_null(strstr(errstr, needle));
        assert_null(strchr(errstr, '\n')); /* one line */
        opts_free(&o);
}

static void test_bad_values(void **state)
{
        char *a1[] = { "tool", "--count", "abc", NULL };
        char *a2[] = { "tool", "--count", "101", NULL };
        char *a3[] = { "tool", "--max-size", "12Q", NULL };
        char *a4[] = { "tool", "--flag=maybe", NULL };
        char *a5[] = { "tool", "--nope", NULL };
        char *a6[] = { "tool", "-X", "novalue", NULL };
        char *a7[] = { "tool", "--count", NULL };
        char *a8[] = { "tool", "stray", NULL };

        expect_error(3, a1, "--count: 'abc' is not an integer");
        expect_error(3, a2, "--count: 101 is out of range [1, 100]");
        expect_error(3, a3, "--max-size: '12Q' is not a size");
        expect_error(2, a4, "--flag: 'maybe' is not a boolean");
        expect_error(2, a5, "unknown option '--nope'");
        expect_error(3, a6, "-X: expected key=value");
        expect_error(2, a7, "--count: a value is required");
        expect_error(2, a8, "unexpected argument 'stray'");
        setenv("TOOL_COUNT", "0", 1);
        {
                char *a9[] = { "tool", NULL };

                expect_error(1, a9,
                             "--count (from TOOL_COUNT): 0 is out "
                             "of range");
        }
}

static void test_sizes_bools_lists(void **state)
{
        char *argv[] = { "tool",           "--max-size", "64k",
                         "--flag",         "--net",      "10.0.0.0/8",
                         "--net=fd00::/8", "-X",         "acks=all",
                         "-Xlinger.ms=5",  NULL };
        opts_t o;
        conf_t c;

        setenv("TOOL_NET", "1.2.3.0/24", 1); /* replaced by the flags */
        assert_int_equal(parse(&o, &c, 10, argv), OPTS_RUN);
        assert_int_equal(c.size, 65536);
        assert_true(c.flag);
        assert_int_equal(c.nets.n, 2);
        assert_string_equal(c.nets.v[0], "10.0.0.0/8");
        assert_string_equal(c.nets.v[1], "fd00::/8");
        assert_int_equal(o.kafka.n, 2);
        assert_string_equal(o.kafka.v[0], "acks=all");
        assert_string_equal(o.kafka.v[1], "linger.ms=5");
        opts_free(&o);
}

static void test_env_list_splits(void **state)
{
        char *argv[] = { "tool", NULL };
        opts_t o;
        conf_t c;

        setenv("TOOL_NET", "1.2.3.0/24,::1/128", 1);
        assert_int_equal(parse(&o, &c, 1, argv), OPTS_RUN);
        assert_int_equal(c.nets.n, 2);
        assert_string_equal(c.nets.v[1], "::1/128");
        opts_free(&o);
}

static void test_print_config(void **state)
{
        /* Writable, as a process's arguments are: the secret is wiped. */
        char xarg[] = "sasl.password=hush";
        char *argv[] = { "tool", "--name", "n1", "-X", xarg, NULL };
        char buf[4096] = { 0 };
        FILE *fp = fmemopen(buf, sizeof(buf) - 1, "w");
        opts_t o;
        conf_t c;

        setenv("KAFKA_BROKERS", "secret-host:1", 1);
        assert_int_equal(parse(&o, &c, 5, argv), OPTS_RUN);
        opts_print_config(&o, fp);
        fclose(fp);
        assert_non_null(strstr(buf, "name=n1 (flag)\n"));
        assert_non_null(strstr(buf, "count=10 (default)\n"));
        assert_non_null(strstr(buf, "brokers=*** (env)\n"));
        assert_non_null(strstr(buf, "X sasl.password=*** (flag)\n"));
        assert_null(strstr(buf, "hush"));
        assert_string_equal(xarg, "sasl.password=");
        assert_null(memmem(xarg, sizeof(xarg), "hush", 4));
        opts_free(&o);
}

/* Enum and decimal options: a table of their own. */
typedef struct econf {
        int level;
        double rate;
} econf_t;

static const char *const colours[] = { "red", "green", "blue", NULL };

static const opt_def_t edefs[] = {
        { "colour", OPT_ENUM, offsetof(econf_t, level), "green", 0, 0, colours,
          "A colour.", false },
        { "rate", OPT_DOUBLE, offsetof(econf_t, rate), "1", 0.001, 100000,
          NULL, "A rate.", false },
};

static int eparse(opts_t *o, econf_t *c, int argc, char **argv)
{
        memset(c, 0, sizeof(*c));
        errstr[0] = '\0';
        return opts_parse(o, "tool", "A test tool.", edefs, 2, c, argc, argv,
                          errstr, sizeof(errstr));
}

static void expect_eerror(int argc, char **argv, const char *needle)
{
        opts_t o;
        econf_t c;

        assert_int_equal(eparse(&o, &c, argc, argv), OPTS_ERROR);
        if (strstr(errstr, needle) == NULL)
                fail_msg("error '%s' lacks '%s'", errstr, needle);
        assert_null(strchr(errstr, '\n'));
        opts_free(&o);
}

/* A tool with OPTS_MAX options (the most opts_parse() takes): every one
 * parses, the last given as a flag; one more is refused. The long-option
 * table holds them, the built-in ones and its terminator (it was one
 * short: a tool reaching OPTS_MAX options overwrote its caller's stack). */
static void test_options_max(void **state)
{
        static char names[OPTS_MAX + 1][16];
        static opt_def_t many[OPTS_MAX + 1];
        static long vals[OPTS_MAX + 1];
        char flag[24];
        char *argv[] = { "tool", flag, "7", NULL };
        opts_t o;
        int rc;

        (void)state;
        for (size_t i = 0; i <= OPTS_MAX; i++) {
                snprintf(names[i], sizeof(names[i]), "opt-%zu", i);
                many[i] = (opt_def_t){
                        names[i], OPT_INT, i * sizeof(long), "1",  0,
                        100,      NULL,    "An option.",     false
                };
                unsetenv("TOOL_OPT_0"); /* none set by the environment */
        }
        snprintf(flag, sizeof(flag), "--opt-%d", OPTS_MAX - 1);
        memset(vals, 0, sizeof(vals));
        rc = opts_parse(&o, "tool", "A test tool.", many, OPTS_MAX, vals, 3,
                        argv, errstr, sizeof(errstr));
        assert_int_equal(rc, OPTS_RUN);
        assert_int_equal(vals[0], 1);
        assert_int_equal(vals[OPTS_MAX - 1], 7);
        opts_free(&o);
        rc = opts_parse(&o, "tool", "A test tool.", many, OPTS_MAX + 1, vals,
                        1, argv, errstr, sizeof(errstr));
        assert_int_equal(rc, OPTS_ERROR);
        assert_non_null(strstr(errstr, "too many options"));
}

static void test_enum_and_double(void **state)
{
        char *a0[] = { "tool", NULL };
        char *a1[] = { "tool", "--colour", "blue", "--rate", "0.25", NULL };
        char *b1[] = { "tool", "--colour", "Blue", NULL };
        char *b2[] = { "tool", "--rate", "0.0001", NULL };
        char *b3[] = { "tool", "--rate", "1x", NULL };
        char *b4[] = { "tool", "--rate", "nan", NULL };
        char *b5[] = { "tool", "--rate", "inf", NULL };
        char out[256] = "";
        opts_t o;
        econf_t c;
        FILE *fp;

        unsetenv("TOOL_RATE");
        unsetenv("TOOL_COLOUR");
        assert_int_equal(eparse(&o, &c, 1, a0), OPTS_RUN);
        assert_int_equal(c.level, 1);
        assert_true(c.rate == 1.0);
        opts_free(&o);
        assert_int_equal(eparse(&o, &c, 5, a1), OPTS_RUN);
        assert_int_equal(c.level, 2);
        assert_true(c.rate == 0.25);
        fp = fmemopen(out, sizeof(out) - 1, "w");
        assert_non_null(fp);
        opts_print_config(&o, fp);
        fclose(fp);
        assert_non_null(strstr(out, "colour=blue (flag)\n"));
        assert_non_null(strstr(out, "rate=0.25 (flag)\n"));
        opts_free(&o);
        expect_eerror(3, b1,
                      "--colour: 'Blue' is not one of red, green, "
                      "blue");
        expect_eerror(3, b2, "--rate: 0.0001 is out of range [0.001, 100000]");
        expect_eerror(3, b3, "--rate: '1x' is not a decimal number");
        expect_eerror(3, b4, "--rate: 'nan' is not a decimal number");
        expect_eerror(3, b5, "--rate: 'inf' is not a decimal number");
        setenv("TOOL_COLOUR", "red", 1);
        assert_int_equal(eparse(&o, &c, 1, a0), OPTS_RUN);
        assert_int_equal(c.level, 0);
        opts_free(&o);
        setenv("TOOL_COLOUR", "pink", 1);
        expect_eerror(1, a0,
                      "--colour (from TOOL_COLOUR): 'pink' is not "
                      "one of");
        unsetenv("TOOL_COLOUR");
        {
                char help[4096] = "";

                fp = fmemopen(help, sizeof(help) - 1, "w");
                assert_non_null(fp);
                assert_int_equal(eparse(&o, &c, 1, a0), OPTS_RUN);
                opts_print_help(&o, fp);
                fclose(fp);
                assert_non_null(strstr(help, "--colour NAME"));
                assert_non_null(strstr(help, "default green; red|green|blue"));
                assert_non_null(strstr(help, "; 0.001..100000]"));
                opts_free(&o);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_options_max),
                cmocka_unit_test(test_enum_and_double),
                cmocka_unit_test_setup(test_defaults, setup),
                cmocka_unit_test_setup(test_precedence, setup),
                cmocka_unit_test_setup(test_alt_env, setup),
                cmocka_unit_test_setup(test_bad_values, setup),
                cmocka_unit_test_setup(test_sizes_bools_lists, setup),
                cmocka_unit_test_setup(test_env_list_splits, setup),
                cmocka_unit_test_setup(test_print_config, setup),
        };

        return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
