/*
 * test_netguard.c — the address policy as a table: every non-public form
 * refused by default, allowed by --allow-private or a matching --allow-net.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "netguard.h"

static bool allowed(const netguard_t *ng, const char *addr)
{
        struct sockaddr_storage ss;

        memset(&ss, 0, sizeof(ss));
        if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) ==
            1) {
                ss.ss_family = AF_INET;
        } else {
                assert_int_equal(
                        inet_pton(AF_INET6, addr,
                                  &((struct sockaddr_in6 *)&ss)->sin6_addr),
                        1);
                ss.ss_family = AF_INET6;
        }
        return netguard_allowed(ng, (struct sockaddr *)&ss);
}

static const char *blocked[] = {
        "127.0.0.1",
        "127.255.0.9",
        "0.0.0.0",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "100.64.0.1",
        "100.127.255.254",
        "169.254.169.254",
        "224.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "198.18.0.1",
        "::",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "fd00::1",
        "fc00::1",
        "fe80::1",
        "ff02::1",
        "64:ff9b::a00:1",
        "64:ff9b::7f00:1",
        "2002:a00:1::",
        "2002:7f00:1::1",
        "2001:db8::1",
        "fec0::1",
};

static const char *public[] = {
        "93.184.216.34",  "8.8.8.8",          "1.1.1.1",
        "172.32.0.1",     "100.128.0.1",      "2606:4700::1111",
        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
};

static void test_default_policy(void **state)
{
        char errstr[128];
        netguard_t *ng = netguard_new(false, NULL, errstr, sizeof(errstr));

        assert_non_null(ng);
        for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
                if (allowed(ng, blocked[i]))
                        fail_msg("%s should be refused", blocked[i]);
        }
        for (size_t i = 0; i < sizeof(public) / sizeof(public[0]); i++) {
                if (!allowed(ng, public[i]))
                        fail_msg("%s should be allowed", public[i]);
        }
        netguard_destroy(ng);
}

static void test_allow_private(void **state)
{
        char errstr[128];
        netguard_t *ng = netguard_new(true, NULL, errstr, sizeof(errstr));

        for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
                assert_true(allowed(ng, blocked[i]));
        netguard_destroy(ng);
}

static void test_allow_net(void **state)
{
        char *nets[] = { "127.0.0.2/32", "fd00::/8" };
        strlist_t list = { nets, 2 };
        char errstr[128];
        netguard_t *ng = netguard_new(false, &list, errstr, sizeof(errstr));

        assert_non_null(ng);
        assert_true(allowed(ng, "127.0.0.2"));
        assert_false(allowed(ng, "127.0.0.1"));
        assert_true(allowed(ng, "fd12::1"));
        assert_false(allowed(ng, "fc00::1"));
        assert_false(allowed(ng, "10.0.0.1"));
        netguard_destroy(ng);
}

static void test_bad_cidr(void **state)
{
        char *nets[] = { "10.0.0.0/33" };
        strlist_t list = { nets, 1 };
        char errstr[128];

        assert_null(netguard_new(false, &list, errstr, sizeof(errstr)));
        assert_non_null(strstr(errstr, "--allow-net: '10.0.0.0/33'"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_policy),
                cmocka_unit_test(test_allow_private),
                cmocka_unit_test(test_allow_net),
                cmocka_unit_test(test_bad_cidr),
        };

        return cmocka_run_group_tests_name("netguard", tests, NULL, NULL);
}
