/*
 * test_fetcher_proxies.c — proxy URLs read as libcurl reads them: names
 * without credentials, whatever the spelling; URLs libcurl would not read
 * refused without showing them.
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

#include "proxies.h"

static proxies_t *pool_of(const char *url, char *errstr, size_t size)
{
        char *v[] = { (char *)url };
        strlist_t list = { v, 1 };

        errstr[0] = '\0';
        return proxies_new(&list, NULL, errstr, size);
}

static void test_names_carry_no_credentials(void **state)
{
        static const struct {
                const char *url, *name;
        } cases[] = {
                { "http://user:s3cret@127.0.0.1:3128",
                  "http://127.0.0.1:3128" },
                { "http://us%40er:s3cr%23et%3F%40x@proxy.test:3128/",
                  "http://proxy.test:3128" },
                { "socks5h://u:s3cret@[::1]:1080", "socks5h://[::1]:1080" },
                { "HTTP://user:s3cret@Proxy.test:8080",
                  "http://Proxy.test:8080" },
                { "https://s3cret@proxy.test", "https://proxy.test" },
                { "http://proxy.test:3128/s3cret?s3cret#s3cret",
                  "http://proxy.test:3128" },
        };
        char errstr[512];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                proxies_t *px = pool_of(cases[i].url, errstr, sizeof(errstr));

                if (!px)
                        fail_msg("%s refused: %s", cases[i].url, errstr);
                assert_string_equal(proxies_name(px, 0), cases[i].name);
                assert_string_equal(proxies_url(px, 0), cases[i].url);
                proxies_destroy(px);
        }
}

static void test_unreadable_urls_refused_unseen(void **state)
{
        static const char *const bad[] = {
                "http://user:s3cr#et@127.0.0.1:3128",
                "http://user:s3cr?et@127.0.0.1:3128",
                "http://user:s3cr/et@127.0.0.1:3128",
                "http://user:s3cr@et@127.0.0.1:3128",
                "user:s3cret@127.0.0.1:3128",
                "ftp://user:s3cret@127.0.0.1:3128",
                "s3cret",
        };
        char errstr[512];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                proxies_t *px = pool_of(bad[i], errstr, sizeof(errstr));

                if (px) {
                        fail_msg("%s accepted as %s", bad[i],
                                 proxies_name(px, 0));
                }
                assert_non_null(strstr(errstr, "--proxy: entry 1"));
                if (strstr(errstr, "s3cr"))
                        fail_msg("the error shows the secret: %s", errstr);
        }
}

static void test_proxy_file_lines(void **state)
{
        char path[] = "/tmp/test_proxiesXXXXXX", errstr[512];
        int fd = mkstemp(path);
        FILE *fp;
        proxies_t *px;

        assert_true(fd >= 0);
        fp = fdopen(fd, "w");
        assert_non_null(fp);
        fputs("# pool\n  http://a:s3cret@127.0.0.1:1  # one\n"
              "http://b:s3cr#et@127.0.0.1:2\n",
              fp);
        fclose(fp);
        px = proxies_new(NULL, path, errstr, sizeof(errstr));
        unlink(path);
        assert_null(px);
        assert_non_null(strstr(errstr, "line 3"));
        if (strstr(errstr, "s3cr"))
                fail_msg("the error shows the secret: %s", errstr);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names_carry_no_credentials),
                cmocka_unit_test(test_unreadable_urls_refused_unseen),
                cmocka_unit_test(test_proxy_file_lines),
        };

        return cmocka_run_group_tests_name("fetcher_proxies", tests, NULL,
                                           NULL);
}
