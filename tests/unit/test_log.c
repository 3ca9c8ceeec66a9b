/*
 * test_log.c — log lines: quotes, backslashes and control characters are
 * escaped as they always were (controls as \u00xx), UTF-8 passes as it
 * is, invalid UTF-8 is repaired to U+FFFD so the line stays valid JSON,
 * and a message longer than a line is cut on a character boundary into a
 * line that still parses.
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

#include <yajl/yajl_tree.h>

#include "log.h"

/* Runs one log_emit() with stderr sent to a file; returns the line
 * (malloc'd, without the ts field's value). */
static char *capture(const char *msg, const log_field_t *fields)
{
        FILE *tmp = tmpfile();
        int saved = dup(STDERR_FILENO);
        char *line = calloc(1, 8192);
        size_t n;

        assert_non_null(tmp);
        assert_non_null(line);
        assert_true(saved >= 0);
        assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
        log_emit(LOG_WARN, msg, fields);
        assert_true(dup2(saved, STDERR_FILENO) >= 0);
        close(saved);
        rewind(tmp);
        n = fread(line, 1, 8191, tmp);
        fclose(tmp);
        line[n] = '\0';
        return line;
}

/* The line after its timestamp: from ",\"level\"" on. */
static const char *after_ts(const char *line)
{
        const char *p = strstr(line, ",\"level\"");

        assert_non_null(p);
        return p;
}

static void assert_parses(const char *line)
{
        char err[256];
        yajl_val v = yajl_tree_parse(line, err, sizeof(err));

        if (v == NULL)
                fail_msg("not JSON (%s): %s", err, line);
        yajl_tree_free(v);
}

static void test_escapes_unchanged(void **state)
{
        char *line;

        (void)state;
        log_init("t", LOG_DEBUG);
        line = capture("a \"q\" \\ b\n\t\x01\x1f/\x7f \xc3\xa9 \xe2\x82\xac",
                       (const log_field_t[]){ LOG_S("k", "v\r"),
                                              LOG_S("z", NULL), LOG_I("i", -3),
                                              LOG_END });
        assert_string_equal(
                after_ts(line),
                ",\"level\":\"warn\",\"component\":\"t\",\"msg\":"
                "\"a \\\"q\\\" \\\\ b\\u000a\\u0009\\u0001\\u001f/\x7f "
                "\xc3\xa9 \xe2\x82\xac\",\"k\":\"v\\u000d\",\"z\":null,"
                "\"i\":-3}\n");
        assert_parses(line);
        free(line);
}

static void test_invalid_utf8_repaired(void **state)
{
        char *line;

        (void)state;
        log_init("t", LOG_DEBUG);
        line = capture(
                "bad \xff\xc3 end",
                (const log_field_t[]){ LOG_S("k", "\xed\xa0\x80"), LOG_END });
        assert_string_equal(after_ts(line),
                            ",\"level\":\"warn\",\"component\":\"t\",\"msg\":"
                            "\"bad \xef\xbf\xbd\xef\xbf\xbd end\",\"k\":"
                            "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}\n");
        assert_parses(line);
        free(line);
}

static void test_long_message_cut_parses(void **state)
{
        size_t n = 3000 * 2 + 1, len;
        char *msg = malloc(n), *line;

        (void)state;
        assert_non_null(msg);
        for (size_t i = 0; i + 1 < n; i += 2)
                memcpy(msg + i, "\xc3\xa9", 2); /* é, two bytes */
        msg[n - 1] = '\0';
        log_init("t", LOG_DEBUG);
        line = capture(msg,
                       (const log_field_t[]){ LOG_S("k", "\n\n"), LOG_END });
        len = strlen(line);
        assert_true(len <= 4096);
        assert_true(len > 4000); /* cut near the end, not emptied */
        assert_int_equal(line[len - 1], '\n');
        assert_parses(line);
        free(line);
        free(msg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escapes_unchanged),
                cmocka_unit_test(test_invalid_utf8_repaired),
                cmocka_unit_test(test_long_message_cut_parses),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
