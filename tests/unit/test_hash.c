/*
 * test_hash.c — the one string hash: FNV-1a's published test vectors (64-
 * and 32-bit), and the fetcher's seen-set hash pinned to its values, since
 * these hashes decide where things are placed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hash.h"
#include "seen.h"

static void test_fnv1a64_vectors(void **state)
{
        (void)state;
        assert_true(hash_fnv1a64("") == UINT64_C(0xcbf29ce484222325));
        assert_true(hash_fnv1a64("a") == UINT64_C(0xaf63dc4c8601ec8c));
        assert_true(hash_fnv1a64("foobar") == UINT64_C(0x85944171f73967e8));
}

static void test_fnv1a64_from_continues(void **state)
{
        (void)state;
        assert_true(hash_fnv1a64_from(hash_fnv1a64("foo"), "bar") ==
                    hash_fnv1a64("foobar"));
}

static void test_fnv1a32_vectors(void **state)
{
        (void)state;
        assert_true(hash_fnv1a32("") == UINT32_C(0x811c9dc5));
        assert_true(hash_fnv1a32("a") == UINT32_C(0xe40c292c));
        assert_true(hash_fnv1a32("foobar") == UINT32_C(0xbf9cf968));
}

static void test_seen_hash_unchanged(void **state)
{
        (void)state;
        assert_true(seen_hash("") == UINT64_C(0x552d3fb62b3c344f));
        assert_true(seen_hash("a") == UINT64_C(0xb4d2960f93be2488));
        assert_true(seen_hash("https://example.com/") ==
                    UINT64_C(0xcbc0447a2599cba6));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fnv1a64_vectors),
                cmocka_unit_test(test_fnv1a64_from_continues),
                cmocka_unit_test(test_fnv1a32_vectors),
                cmocka_unit_test(test_seen_hash_unchanged),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
