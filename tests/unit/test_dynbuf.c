/*
 * test_dynbuf.c — the capped growable buffer: holds exactly its maximum and
 * not a byte more (nothing changes on refusal), stays NUL-terminated, never
 * allocates past max + 1, and leaves a fixed buffer larger than its
 * maximum where it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dynbuf.h"

static void test_cap_exact(void **state)
{
        dynbuf_t b;
        char chunk[100];

        (void)state;
        memset(chunk, 'x', sizeof(chunk));
        dynbuf_init(&b, 1000);
        for (int i = 0; i < 10; i++)
                assert_int_equal(dynbuf_add(&b, chunk, sizeof(chunk)), 0);
        assert_int_equal(b.len, 1000);
        assert_true(b.cap <= 1001);
        assert_int_equal(b.data[1000], '\0');
        assert_int_equal(dynbuf_add(&b, "y", 1), DYNBUF_ERR_TOO_BIG);
        assert_int_equal(b.len, 1000);
        assert_int_equal(b.data[1000], '\0');
        assert_int_equal(dynbuf_add(&b, "", 0), 0);
        dynbuf_free(&b);
        assert_null(b.data);
        assert_int_equal(b.len, 0);
        assert_int_equal(b.max, 1000);
}

static void test_growth(void **state)
{
        dynbuf_t b;

        (void)state;
        dynbuf_init(&b, SIZE_MAX / 2);
        assert_int_equal(dynbuf_add(&b, "ab", 2), 0);
        assert_string_equal(b.data, "ab");
        assert_int_equal(b.cap, 256);
        assert_int_equal(dynbuf_reserve(&b, 300), 0);
        assert_int_equal(b.cap, 512);
        assert_int_equal(dynbuf_reserve(&b, SIZE_MAX / 2), DYNBUF_ERR_TOO_BIG);
        assert_int_equal(b.cap, 512);
        dynbuf_free(&b);
}

static void test_fixed_buffer(void **state)
{
        char fixed[16];
        char *data = fixed;
        size_t cap = sizeof(fixed);

        (void)state;
        assert_int_equal(dynbuf_room(&data, &cap, 0, 15, 15), 0);
        assert_int_equal(dynbuf_room(&data, &cap, 10, 6, 15),
                         DYNBUF_ERR_TOO_BIG);
        assert_ptr_equal(data, fixed);
        assert_int_equal(cap, sizeof(fixed));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cap_exact),
                cmocka_unit_test(test_growth),
                cmocka_unit_test(test_fixed_buffer),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
