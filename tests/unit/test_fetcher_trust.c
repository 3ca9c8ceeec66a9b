/*
 * test_fetcher_trust.c — the operator's targets as a table: a connection
 * is trusted only when an entry names the host and port libcurl reads from
 * the URL and the socket goes where that entry sends it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "trust.h"

/* A socket address from "1.2.3.4:80" or "[v6]:80". */
static const struct sockaddr *sockaddr_of(const char *s,
                                          struct sockaddr_storage *ss)
{
        char buf[64];
        const char *colon = strrchr(s, ':');
        int port;

        assert_non_null(colon);
        port = (int)strtol(colon + 1, NULL, 10);
        memset(ss, 0, sizeof(*ss));
        if (*s == '[') {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

                snprintf(buf, sizeof(buf), "%.*s", (int)(colon - s - 2),
                         s + 1);
                assert_int_equal(inet_pton(AF_INET6, buf, &s6->sin6_addr), 1);
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons((uint16_t)port);
        } else {
                struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

                snprintf(buf, sizeof(buf), "%.*s", (int)(colon - s), s);
                assert_int_equal(inet_pton(AF_INET, buf, &s4->sin_addr), 1);
                s4->sin_family = AF_INET;
                s4->sin_port = htons((uint16_t)port);
        }
        return (const struct sockaddr *)ss;
}

static trust_t *operator_targets(void)
{
        static const char *const resolve[] = {
                "resolved.test:8443:127.0.0.1,[::1]",
                "+plus.test:80:10.0.0.7",
        };
        static const char *const connect[] = {
                "trusted.test:80:127.0.0.1:18000",
                ":9999:127.0.0.1:18002",
                "named.test:80:backend.internal:8080",
                "same.test:80::8081",
                ":7777::7778",
                "[::1]:80:[::1]:18003",
        };
        trust_t *t = trust_new();
        char errstr[256];

        assert_non_null(t);
        for (size_t i = 0; i < sizeof(resolve) / sizeof(resolve[0]); i++)
                assert_int_equal(
                        trust_add(t, resolve[i], true, errstr, sizeof(errstr)),
                        0);
        for (size_t i = 0; i < sizeof(connect) / sizeof(connect[0]); i++)
                assert_int_equal(trust_add(t, connect[i], false, errstr,
                                           sizeof(errstr)),
                                 0);
        assert_int_equal(trust_count(t), 8);
        return t;
}

static const struct {
        const char *url, *sock;
        bool trusted;
} cases[] = {
        /* The entries themselves. */
        { "http://trusted.test/x", "127.0.0.1:18000", true },
        { "http://TRUSTED.test:80/x", "127.0.0.1:18000", true },
        { "http://%74rusted.test/x", "127.0.0.1:18000", true },
        { "http://any.test:9999/x", "127.0.0.1:18002", true },
        { "http://resolved.test:8443/x", "127.0.0.1:8443", true },
        { "http://resolved.test:8443/x", "[::1]:8443", true },
        { "http://resolved.test:8443/x", "[::ffff:127.0.0.1]:8443", true },
        { "http://plus.test/x", "10.0.0.7:80", true },
        { "http://named.test/x", "10.9.9.9:8080", true },
        { "http://same.test/x", "10.9.9.9:8081", true },
        { "http://[::1]/x", "[::1]:18003", true },
        /* Browser and libcurl disagree: libcurl's host counts. */
        { "http://trusted.test\\@127.0.0.1:18001/s", "127.0.0.1:18001",
          false },
        { "http://trusted.test\\@127.0.0.1:18000/s", "127.0.0.1:18000",
          false },
        { "http://x.test:9999\\@127.0.0.1:18001/s", "127.0.0.1:18001", false },
        { "http://resolved.test:8443\\@127.0.0.1:8443/s", "127.0.0.1:8443",
          false },
        { "http://named.test\\@10.9.9.9:8080/s", "10.9.9.9:8080", false },
        { "http://trusted.test:80@127.0.0.1:18000/s", "127.0.0.1:18000",
          false },
        { "http://trusted.test%5C@127.0.0.1/s", "127.0.0.1:80", false },
        /* The entry's host, but the socket goes elsewhere. */
        { "http://trusted.test/x", "127.0.0.1:18001", false },
        { "http://trusted.test/x", "127.0.0.2:18000", false },
        { "http://any.test:9999/x", "127.0.0.1:9999", false },
        { "http://resolved.test:8443/x", "127.0.0.2:8443", false },
        { "http://resolved.test:8443/x", "127.0.0.1:80", false },
        { "http://named.test/x", "10.9.9.9:80", false },
        /* Other hosts and ports. */
        { "http://127.0.0.1:18000/x", "127.0.0.1:18000", false },
        { "http://resolved.test/x", "127.0.0.1:80", false },
        { "http://trusted.test:8080/x", "127.0.0.1:18000", false },
        { "http://plus.test:81/x", "10.0.0.7:81", false },
        /* A wildcard host with no connect host names no target. */
        { "http://any.test:7777/x", "10.9.9.9:7778", false },
        { "http://[::1]:81/x", "[::1]:18003", false },
        { "not a url", "127.0.0.1:18000", false },
};

static void test_trust_table(void **state)
{
        trust_t *t = operator_targets();

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sockaddr_storage ss;
                const struct sockaddr *sa = sockaddr_of(cases[i].sock, &ss);
                char host[256];
                int port = 0;
                bool got = trust_url_target(cases[i].url, host, sizeof(host),
                                            &port) &&
                           trust_allows(t, host, port, sa);

                if (got != cases[i].trusted)
                        fail_msg("%s via %s: trusted=%d, want %d",
                                 cases[i].url, cases[i].sock, got,
                                 cases[i].trusted);
        }
        trust_destroy(t);
}

static void test_url_target(void **state)
{
        char host[256];
        int port;

        assert_true(trust_url_target("http://a.test\\@127.0.0.1:18001/", host,
                                     sizeof(host), &port));
        assert_string_equal(host, "127.0.0.1");
        assert_int_equal(port, 18001);
        assert_true(trust_url_target("https://[::ffff:127.0.0.1]/", host,
                                     sizeof(host), &port));
        assert_string_equal(host, "[::ffff:127.0.0.1]");
        assert_int_equal(port, 443);
        assert_false(trust_url_target("http://a:b@c@d/", host, sizeof(host),
                                      &port));
}

/* An IDN host: libcurl matches --resolve/--connect-to entries against its
 * punycode form, so an entry spelled in Unicode never applies and must
 * trust nothing; the punycode entry applies and trusts. */
static void test_idn_host(void **state)
{
        trust_t *t = trust_new();
        struct sockaddr_storage ss;
        char host[256], errstr[256];
        int port;

        /* As the fetcher runs (main.c): a UTF-8 locale, IDN on. */
        setlocale(LC_CTYPE, "C.UTF-8");
        assert_true(trust_url_target("http://\xc3\xa4.test/", host,
                                     sizeof(host), &port));
        assert_string_equal(host, "xn--4ca.test");
        assert_true(trust_url_target("http://%C3%A4.TEST/", host, sizeof(host),
                                     &port));
        assert_string_equal(host, "xn--4ca.test");
        assert_int_equal(trust_add(t, "\xc3\xa4.test:80:a.lan:", false, errstr,
                                   sizeof(errstr)),
                         0);
        assert_true(trust_url_target("http://\xc3\xa4.test/", host,
                                     sizeof(host), &port));
        assert_false(
                trust_allows(t, host, port, sockaddr_of("192.0.2.1:80", &ss)));
        assert_int_equal(trust_add(t, "xn--4ca.test:80:a.lan:", false, errstr,
                                   sizeof(errstr)),
                         0);
        assert_true(
                trust_allows(t, host, port, sockaddr_of("192.0.2.1:80", &ss)));
        trust_destroy(t);
}

/* An IPv4-mapped IPv6 address in an entry is that IPv4 address, as a
 * socket's is: the entry trusts where libcurl sends it. */
static void test_mapped_entry(void **state)
{
        trust_t *t = trust_new();
        struct sockaddr_storage ss;
        char errstr[256];

        assert_int_equal(trust_add(t, "mapped.test:80:[::ffff:127.0.0.1]",
                                   true, errstr, sizeof(errstr)),
                         0);
        assert_int_equal(trust_add(t, "m2.test:80:[::ffff:10.0.0.1]:81", false,
                                   errstr, sizeof(errstr)),
                         0);
        assert_true(trust_allows(t, "mapped.test", 80,
                                 sockaddr_of("[::ffff:127.0.0.1]:80", &ss)));
        assert_true(trust_allows(t, "mapped.test", 80,
                                 sockaddr_of("127.0.0.1:80", &ss)));
        assert_true(trust_allows(t, "m2.test", 80,
                                 sockaddr_of("[::ffff:10.0.0.1]:81", &ss)));
        assert_false(trust_allows(t, "mapped.test", 80,
                                  sockaddr_of("127.0.0.2:80", &ss)));
        trust_destroy(t);
}

static void test_bad_entries(void **state)
{
        static const struct {
                const char *entry;
                bool resolve;
        } bad[] = {
                { "host:80", true },
                { ":80:127.0.0.1", true },
                { "host:0:127.0.0.1", true },
                { "host:80:", true },
                { "host:80:not-an-address", true },
                { "host:99999:1.2.3.4", true },
                { "host:80:1.2.3.4,,", true },
                { "host:80", false },
                { "host:80:127.0.0.1", false },
                { "host:80:[::1:90", false },
                { "host:80:127.0.0.1:x", false },
                { "[::1:80:a:1", false },
        };
        trust_t *t = trust_new();
        char errstr[256];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                errstr[0] = '\0';
                if (trust_add(t, bad[i].entry, bad[i].resolve, errstr,
                              sizeof(errstr)) != -1)
                        fail_msg("accepted '%s'", bad[i].entry);
                assert_non_null(strstr(errstr, bad[i].resolve
                                                       ? "--resolve: '"
                                                       : "--connect-to: '"));
        }
        assert_int_equal(trust_count(t), 0);
        trust_destroy(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_trust_table),
                cmocka_unit_test(test_url_target),
                cmocka_unit_test(test_idn_host),
                cmocka_unit_test(test_mapped_entry),
                cmocka_unit_test(test_bad_entries),
        };

        return cmocka_run_group_tests_name("fetcher_trust", tests, NULL, NULL);
}
