/*
 * test_utf8.c — the UTF-8 module: the decoder step's well-formed
 * characters and maximal ill-formed subsequences (the Unicode Standard's
 * table 3-7 and its U+FFFD substitution example, as the Encoding Standard
 * decodes), the valid prefix, and the repair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "utf8.h"

#define FFFD "\xEF\xBF\xBD"

static const struct {
        const char *in;
        size_t len; /* bytes the step reads */
        int valid;
} steps[] = {
        { "\xC3\xA9", 2, 1 },
        { "\xE2\x82\xAC", 3, 1 },
        { "\xF0\x9F\x98\x80", 4, 1 },
        { "\xF4\x8F\xBF\xBF", 4, 1 }, /* U+10FFFF */
        { "\xED\x9F\xBF", 3, 1 },     /* U+D7FF */
        { "\xEE\x80\x80", 3, 1 },     /* U+E000 */
        { "\x80", 1, 0 },             /* a lone continuation byte */
        { "\xC0\xAF", 1, 0 },         /* overlong lead */
        { "\xC1\xBF", 1, 0 },         /* overlong lead */
        { "\xF5\x80\x80\x80", 1, 0 }, /* over U+10FFFF */
        { "\xFF", 1, 0 },
        { "\xE0\x80\x80", 1, 0 },     /* overlong: second byte out of range */
        { "\xED\xA0\x80", 1, 0 },     /* a surrogate */
        { "\xF0\x8F\xBF\xBF", 1, 0 }, /* overlong */
        { "\xF4\x90\x80\x80", 1, 0 }, /* over U+10FFFF */
        { "\xE2\x82", 2, 0 },         /* truncated at the end */
        { "\xE2\x82"
          "A",
          2, 0 },                 /* cut by ASCII */
        { "\xF0\x9F\x98", 3, 0 }, /* truncated */
        { "\xF0\x9F\x98"
          "\xC3",
          3, 0 },
        { "\xC3", 1, 0 },
        { "\xC3"
          "A",
          1, 0 },
};

static void test_decode_step(void **state)
{
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                const unsigned char *s = (const unsigned char *)steps[i].in;
                int valid = -1;
                size_t n = utf8_decode_step(s, strlen(steps[i].in), &valid);

                if (n != steps[i].len || valid != steps[i].valid)
                        fail_msg("step %zu: read %zu valid %d, want %zu %d", i,
                                 n, valid, steps[i].len, steps[i].valid);
                assert_int_equal(utf8_char_len(s, strlen(steps[i].in)),
                                 steps[i].valid ? steps[i].len : 0);
        }
}

static const struct {
        const char *in, *want;
        int flags;
} repairs[] = {
        /* The Unicode Standard's example (U+FFFD substitution of maximal
         * subparts, chapter 3.9). */
        { "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
          "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d", 0 },
        { "caf\xC3\xA9", "caf\xC3\xA9", 0 },
        { "\xED\xA0\x80x", FFFD FFFD FFFD "x", 0 },
        { "\xF0\x9F\x98", FFFD, 0 },
        { "a\xC0\xAF", "a" FFFD FFFD, 0 },
        { "", "", 0 },
};

static void test_repair(void **state)
{
        for (size_t i = 0; i < sizeof(repairs) / sizeof(repairs[0]); i++) {
                const unsigned char *s = (const unsigned char *)repairs[i].in;
                size_t len = strlen(repairs[i].in), out_len;
                char *out = NULL;

                assert_int_equal(
                        utf8_repair(s, len, repairs[i].flags, &out, &out_len),
                        0);
                assert_int_equal(out_len, strlen(repairs[i].want));
                assert_string_equal(out, repairs[i].want);
                assert_int_equal(
                        utf8_valid_prefix((unsigned char *)out, out_len),
                        out_len);
                free(out);
        }
}

/* A NUL becomes U+FFFD with UTF8_REPAIR_NUL and ends the unchanged
 * prefix; without it, it is kept. */
static void test_repair_nul(void **state)
{
        static const unsigned char in[] = "abcdefghij\0k\xC3\xA9";
        size_t len = sizeof(in) - 1, out_len;
        char *out = NULL;

        assert_int_equal(utf8_repair_prefix(in, len, UTF8_REPAIR_NUL), 10);
        assert_int_equal(utf8_repair_prefix(in, len, 0), len);
        assert_int_equal(utf8_repair(in, len, UTF8_REPAIR_NUL, &out, &out_len),
                         0);
        assert_int_equal(out_len, len + 2);
        assert_memory_equal(out, "abcdefghij" FFFD "k\xC3\xA9", out_len);
        free(out);
}

static void test_valid_prefix(void **state)
{
        static const unsigned char in[] = "ab\xC3\xA9\xE2\x82";

        assert_int_equal(utf8_valid_prefix(in, sizeof(in) - 1), 4);
        assert_int_equal(utf8_valid_prefix(in, 3), 2);
        assert_int_equal(utf8_valid_prefix(in, 0), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decode_step),
                cmocka_unit_test(test_repair),
                cmocka_unit_test(test_repair_nul),
                cmocka_unit_test(test_valid_prefix),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
