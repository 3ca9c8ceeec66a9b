/*
 * test_url.c — the shared URL module against the WHATWG URL conformance
 * suite (tests/data/urltestdata.json, read from the repository root) and
 * the cases a crawler meets.
 *
 * Which suite cases are held:
 *   - base null or http(s), result an http(s) URL: href and every getter;
 *   - base null or http(s), "failure": true, and an input whose scheme is
 *     http(s) or that has none (so it would be parsed as special or fail
 *     for want of a base): url_parse() must fail with URL_ERR_INVALID;
 *   - base null or http(s), input or result with another scheme:
 *     url_parse() must return URL_ERR_SCHEME (counted apart).
 * A held case that fails must be listed in url_exceptions[]; a listed case
 * that passes, or that the suite no longer has, fails the test too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "url.h"

#define URL_SUITE "tests/data/urltestdata.json"
#define URL_SUITE_MAX (16 * 1024 * 1024)

/*
 * yajl's tree keeps strings NUL-terminated without their length, so the
 * suite's "\u0000" escapes are rewritten to this stand-in (U+2400 SYMBOL
 * FOR NULL, which the suite does not otherwise use; checked) before
 * parsing, and turned back into NUL bytes for url_parse_n().
 */
#define NUL_STANDIN "\xe2\x90\x80"
#define NUL_STANDIN_ESC "\\u2400"

struct url_exception {
        const char *input;
        const char *base; /* NULL: the case's base is null */
        const char *reason;
};

/*
 * Cases this module does not pass, each with why. IDNA is libidn2's
 * (IDNA2008 with UTS #46 mapping), which is stricter than the Standard's
 * UTS #46 ToASCII: it applies IDNA2008's DISALLOWED code points (symbols,
 * emoji) and its hyphen rules to non-ASCII labels.
 */
static const struct url_exception url_exceptions[] = {
        { "https://%e2%98%83", NULL,
          "U+2603 is UTS #46 valid but IDNA2008 DISALLOWED in libidn2 2.3.3" },
};

#define N_EXCEPTIONS (sizeof(url_exceptions) / sizeof(url_exceptions[0]))

/* ---- helpers ------------------------------------------------------------ */

struct bytes {
        char *p;
        size_t len;
};

static char *read_file(const char *path, size_t *lenp)
{
        FILE *f;
        char *buf = NULL;
        size_t len = 0, n;

        f = fopen(path, "rb");
        if (!f)
                return NULL;
        buf = malloc(URL_SUITE_MAX + 1);
        if (!buf)
                goto out;
        for (;;) {
                n = fread(buf + len, 1, URL_SUITE_MAX - len, f);
                if (n == 0)
                        break;
                len += n;
        }
        if (ferror(f) || len == URL_SUITE_MAX) {
                free(buf);
                buf = NULL;
                goto out;
        }
        buf[len] = '\0';
        *lenp = len;
out:
        fclose(f);
        return buf;
}

/* Rewrites each JSON "\u0000" escape (not "\\u0000") into NUL_STANDIN_ESC. */
static void rewrite_nul_escapes(char *buf, size_t len)
{
        size_t i, bs = 0;

        for (i = 0; i < len; i++) {
                if (buf[i] != '\\') {
                        bs = 0;
                        continue;
                }
                bs++;
                if (bs % 2 == 1 && i + 5 < len &&
                    strncasecmp(buf + i + 1, "u0000", 5) == 0) {
                        memcpy(buf + i, NUL_STANDIN_ESC, 6);
                        i += 5;
                        bs = 0;
                }
        }
}

static struct bytes to_bytes(const char *s)
{
        struct bytes b = { NULL, 0 };
        size_t n = strlen(s), i = 0;

        b.p = malloc(n + 1);
        assert_non_null(b.p);
        while (i < n) {
                if (n - i >= 3 && memcmp(s + i, NUL_STANDIN, 3) == 0) {
                        b.p[b.len++] = '\0';
                        i += 3;
                } else {
                        b.p[b.len++] = s[i++];
                }
        }
        b.p[b.len] = '\0';
        return b;
}

/* For messages: the input with controls and non-ASCII escaped. */
static const char *show(const char *s, size_t n, char *buf, size_t size)
{
        static const char hex[] = "0123456789abcdef";
        size_t i, o = 0;

        for (i = 0; i < n && o + 5 < size; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c >= 0x20 && c < 0x7f) {
                        buf[o++] = (char)c;
                } else {
                        buf[o++] = '\\';
                        buf[o++] = 'x';
                        buf[o++] = hex[c >> 4];
                        buf[o++] = hex[c & 15];
                }
        }
        buf[o] = '\0';
        return buf;
}

/*
 * The scheme the parser would see in `s`, lower-cased into buf, or "" when
 * there is none (the input is relative).
 */
static const char *scheme_of(const char *s, size_t n, char *buf, size_t size)
{
        size_t b = 0, o = 0, i;

        while (b < n && (unsigned char)s[b] <= 0x20)
                b++;
        while (n > b && (unsigned char)s[n - 1] <= 0x20)
                n--;
        for (i = b; i < n; i++) {
                char c = s[i];

                if (c == '\t' || c == '\n' || c == '\r')
                        continue;
                if (c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a');
                if (o == 0 && !(c >= 'a' && c <= 'z'))
                        break;
                if (o > 0 && c == ':') {
                        buf[o] = '\0';
                        return buf;
                }
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '+' || c == '-' || c == '.'))
                        break;
                if (o + 1 >= size)
                        break;
                buf[o++] = c;
        }
        buf[0] = '\0';
        return buf;
}

static int is_http_scheme(const char *scheme)
{
        return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0;
}

static const char *obj_str(yajl_val obj, const char *key)
{
        const char *path[] = { key, NULL };
        yajl_val v = yajl_tree_get(obj, path, yajl_t_string);

        return v ? YAJL_GET_STRING(v) : NULL;
}

static int check_getter(const char *what, const char *got, const char *want,
                        char *msg, size_t msgsize)
{
        if (strcmp(got, want) == 0)
                return 0;
        snprintf(msg, msgsize, "%s: got \"%s\", want \"%s\"", what, got, want);
        return -1;
}

/* Compares url with the expected getters; 0 when all match. */
static int check_result(const url_t *url, yajl_val obj, char *msg,
                        size_t msgsize)
{
        struct bytes want[8];
        static const char *keys[8] = {
                "href",     "protocol", "username", "password",
                "hostname", "port",     "pathname", "search",
        };
        char got[64];
        char *search = NULL, *hash = NULL;
        const char *h;
        struct bytes wh;
        int rc = 0, i;

        for (i = 0; i < 8; i++) {
                const char *s = obj_str(obj, keys[i]);

                assert_non_null(s);
                want[i] = to_bytes(s);
        }
        h = obj_str(obj, "hash");
        assert_non_null(h);
        wh = to_bytes(h);

        rc = check_getter("href", url->href, want[0].p, msg, msgsize);
        snprintf(got, sizeof(got), "%s:", url->scheme);
        if (!rc)
                rc = check_getter("protocol", got, want[1].p, msg, msgsize);
        if (!rc)
                rc = check_getter("username", url->username, want[2].p, msg,
                                  msgsize);
        if (!rc)
                rc = check_getter("password", url->password, want[3].p, msg,
                                  msgsize);
        if (!rc)
                rc = check_getter("hostname", url->host, want[4].p, msg,
                                  msgsize);
        if (url->port >= 0)
                snprintf(got, sizeof(got), "%d", url->port);
        else
                got[0] = '\0';
        if (!rc)
                rc = check_getter("port", got, want[5].p, msg, msgsize);
        if (!rc)
                rc = check_getter("pathname", url->path, want[6].p, msg,
                                  msgsize);

        search = malloc(strlen(url->query ? url->query : "") + 2);
        hash = malloc(strlen(url->fragment ? url->fragment : "") + 2);
        assert_non_null(search);
        assert_non_null(hash);
        search[0] = '\0';
        hash[0] = '\0';
        if (url->query && url->query[0]) {
                search[0] = '?';
                memcpy(search + 1, url->query, strlen(url->query) + 1);
        }
        if (url->fragment && url->fragment[0]) {
                hash[0] = '#';
                memcpy(hash + 1, url->fragment, strlen(url->fragment) + 1);
        }
        if (!rc)
                rc = check_getter("search", search, want[7].p, msg, msgsize);
        if (!rc)
                rc = check_getter("hash", hash, wh.p, msg, msgsize);

        free(search);
        free(hash);
        for (i = 0; i < 8; i++)
                free(want[i].p);
        free(wh.p);
        return rc;
}

static int find_exception(const char *input, const char *base)
{
        size_t i;

        for (i = 0; i < N_EXCEPTIONS; i++) {
                const struct url_exception *x = &url_exceptions[i];

                if (strcmp(x->input, input) != 0)
                        continue;
                if (!x->base || !base) {
                        if (!x->base && !base)
                                return (int)i;
                        continue;
                }
                if (strcmp(x->base, base) == 0)
                        return (int)i;
        }
        return -1;
}

/* ---- the conformance suite ------------------------------------------------ */

static void test_conformance(void **state)
{
        char errbuf[256], msg[512], shown[512], sch[32];
        int seen[N_EXCEPTIONS + 1];
        size_t len = 0, i;
        int checked = 0, passed = 0, excepted = 0, unexpected = 0;
        int refused = 0, refused_ok = 0;
        char *text;
        yajl_val root;

        memset(seen, 0, sizeof(seen));
        text = read_file(URL_SUITE, &len);
        if (!text)
                fail_msg("cannot read %s (run from the repository root)",
                         URL_SUITE);
        assert_null(memmem(text, len, NUL_STANDIN, 3));
        assert_null(strcasestr(text, NUL_STANDIN_ESC));
        rewrite_nul_escapes(text, len);
        root = yajl_tree_parse(text, errbuf, sizeof(errbuf));
        if (!root)
                fail_msg("%s: %s", URL_SUITE, errbuf);
        assert_true(YAJL_IS_ARRAY(root));

        for (i = 0; i < root->u.array.len; i++) {
                yajl_val obj = root->u.array.values[i];
                const char *path_base[] = { "base", NULL };
                const char *path_fail[] = { "failure", NULL };
                const char *input, *base_s, *href;
                struct bytes in, bb = { NULL, 0 };
                yajl_val bv, fv;
                url_t *base = NULL, *url = NULL;
                int failure, rc, ok, x, special;

                if (!YAJL_IS_OBJECT(obj))
                        continue;
                input = obj_str(obj, "input");
                assert_non_null(input);
                bv = yajl_tree_get(obj, path_base, yajl_t_any);
                base_s = bv && YAJL_IS_STRING(bv) ? YAJL_GET_STRING(bv) : NULL;
                fv = yajl_tree_get(obj, path_fail, yajl_t_any);
                failure = fv && YAJL_IS_TRUE(fv);
                href = obj_str(obj, "href");

                if (base_s) {
                        bb = to_bytes(base_s);
                        if (!is_http_scheme(scheme_of(bb.p, bb.len, sch,
                                                      sizeof(sch)))) {
                                free(bb.p);
                                continue;
                        }
                }
                in = to_bytes(input);
                scheme_of(in.p, in.len, sch, sizeof(sch));
                special = is_http_scheme(sch) || sch[0] == '\0';

                if (base_s) {
                        rc = url_parse_n(bb.p, bb.len, NULL, &base, errbuf,
                                         sizeof(errbuf));
                        if (rc != URL_OK)
                                fail_msg("base %s does not parse: %s", base_s,
                                         errbuf);
                }

                if ((failure && !special) ||
                    (!failure && href &&
                     !is_http_scheme(scheme_of(href, strlen(href), sch,
                                               sizeof(sch))))) {
                        /* a URL, or not, of another scheme: refused */
                        refused++;
                        rc = url_parse_n(in.p, in.len, base, &url, NULL, 0);
                        if (rc == URL_ERR_SCHEME) {
                                refused_ok++;
                        } else {
                                unexpected++;
                                print_message(
                                        "FAIL  %s (base %s): want URL_ERR_SCHEME, got %d\n",
                                        show(in.p, in.len, shown,
                                             sizeof(shown)),
                                        base_s ? base_s : "null", rc);
                        }
                        goto next;
                }

                checked++;
                rc = url_parse_n(in.p, in.len, base, &url, errbuf,
                                 sizeof(errbuf));
                if (failure) {
                        ok = rc == URL_ERR_INVALID;
                        if (!ok)
                                snprintf(msg, sizeof(msg),
                                         "want URL_ERR_INVALID, got %d%s%s",
                                         rc, url ? " " : "",
                                         url ? url->href : "");
                } else if (rc != URL_OK) {
                        ok = 0;
                        snprintf(msg, sizeof(msg),
                                 "want %s, got error %d (%s)", href, rc,
                                 errbuf);
                } else {
                        ok = check_result(url, obj, msg, sizeof(msg)) == 0;
                }

                x = find_exception(input, base_s);
                if (x >= 0)
                        seen[x] = 1;
                if (ok && x < 0) {
                        passed++;
                } else if (ok) {
                        unexpected++;
                        print_message(
                                "PASS  %s (base %s): listed as an exception, but passes\n",
                                show(in.p, in.len, shown, sizeof(shown)),
                                base_s ? base_s : "null");
                } else if (x >= 0) {
                        excepted++;
                } else {
                        unexpected++;
                        print_message("FAIL  %s (base %s): %s\n",
                                      show(in.p, in.len, shown, sizeof(shown)),
                                      base_s ? base_s : "null", msg);
                }
        next:
                url_destroy(url);
                url_destroy(base);
                free(in.p);
                free(bb.p);
        }

        for (i = 0; i < N_EXCEPTIONS; i++) {
                if (!seen[i]) {
                        unexpected++;
                        print_message(
                                "STALE exception %s: no such held case\n",
                                url_exceptions[i].input);
                }
        }
        print_message("urltestdata: %d checked, %d passed, %d excepted "
                      "(listed), %d other-scheme cases refused of %d\n",
                      checked, passed, excepted, refused_ok, refused);
        yajl_tree_free(root);
        free(text);
        assert_int_equal(unexpected, 0);
        assert_int_equal(checked, passed + excepted);
}

/* ---- focused cases -------------------------------------------------------- */

static void expect_href(const char *input, const char *base, const char *want)
{
        char err[128] = "";
        char *href = NULL;
        int rc;

        rc = url_resolve(input, base, &href, err, sizeof(err));
        if (rc != URL_OK)
                fail_msg("%s against %s: error %d (%s), want %s", input,
                         base ? base : "null", rc, err, want);
        if (strcmp(href, want) != 0)
                fail_msg("%s against %s: got %s, want %s", input,
                         base ? base : "null", href, want);
        free(href);
}

static void expect_err(const char *input, const char *base, int want)
{
        char err[128] = "";
        char *href = NULL;
        int rc;

        rc = url_resolve(input, base, &href, err, sizeof(err));
        if (rc != want)
                fail_msg("%s against %s: got %d (%s), want %d", input,
                         base ? base : "null", rc, href ? href : err, want);
        assert_null(href);
        assert_true(err[0] != '\0');
}

static void expect_key(const char *input, const char *want)
{
        char buf[256];
        url_t *url = NULL;
        int n;

        assert_int_equal(url_parse(input, NULL, &url, NULL, 0), URL_OK);
        n = url_host_key(url, buf, sizeof(buf));
        if (n < 0 || strcmp(buf, want) != 0)
                fail_msg("host key of %s: got %s (%d), want %s", input,
                         n < 0 ? "-" : buf, n, want);
        assert_int_equal((size_t)n, strlen(want));
        url_destroy(url);
}

static void test_host_keys(void **state)
{
        char buf[8];
        url_t *url = NULL;

        expect_key("http://WWW.Example.COM./a", "www.example.com");
        expect_key("http://example.org:8080/", "example.org:8080");
        expect_key("https://[::1]:443/", "[::1]");
        expect_key("http://bücher.de/", "xn--bcher-kva.de");
        expect_key("https://example.org:80/", "example.org:80");
        expect_key("http://example.org:443/", "example.org:443");
        expect_key("http://example.org:80/", "example.org");
        expect_key("https://user:pw@Example.org:0443/x", "example.org");
        expect_key("http://[2001:DB8:0:0:1:0:0:1]:8080/",
                   "[2001:db8::1:0:0:1]:8080");
        expect_key("http://0x7f.1/", "127.0.0.1");
        expect_key("http://3232235521/", "192.168.0.1");
        expect_key("http://EXAMPLE.com.:81", "example.com:81");
        expect_key("http://faß.de/", "xn--fa-hia.de");
        expect_key("http://Ｇｏ.com", "go.com");
        expect_key("http://a.b..", "a.b.");

        /* too small a buffer */
        assert_int_equal(
                url_parse("http://example.org:8080/", NULL, &url, NULL, 0),
                URL_OK);
        assert_int_equal(url_host_key(url, buf, sizeof(buf)), -1);
        assert_int_equal(url_host_key(url, buf, 0), -1);
        url_destroy(url);
        assert_int_equal(url_host_key(NULL, buf, sizeof(buf)), -1);
}

static void test_relative(void **state)
{
        const char *b = "http://example.com/dir/page.html?x=1#top";

        expect_href("../a", b, "http://example.com/a");
        expect_href("../../../a", b, "http://example.com/a");
        expect_href("./", b, "http://example.com/dir/");
        expect_href("a/./b/../c", b, "http://example.com/dir/a/c");
        expect_href("?q", b, "http://example.com/dir/page.html?q");
        expect_href("#f", b, "http://example.com/dir/page.html?x=1#f");
        expect_href("", b, "http://example.com/dir/page.html?x=1");
        expect_href("//other/x", b, "http://other/x");
        expect_href("//other", "https://example.com/", "https://other/");
        expect_href("/abs?a=b c", b, "http://example.com/abs?a=b%20c");
        expect_href("  http://x/ ", b, "http://x/");
        expect_href("\t\n http://X/\tp\na\rth \n", NULL, "http://x/path");
        expect_href("http://x\\a\\b\\..\\c", NULL, "http://x/a/c");
        expect_href("\\\\other\\x", b, "http://other/x");
        expect_href("\\x", b, "http://example.com/x");
        expect_href("h\tt\ntp://x/", NULL, "http://x/");
        expect_href("HTTP://Example.COM:80/%7Efoo/%2e%2E/bar", NULL,
                    "http://example.com/bar");
        expect_href("http:foo", b, "http://example.com/dir/foo");
        expect_href("https:foo", b, "https://foo/");
        expect_href("http:/foo", b, "http://example.com/foo");
        expect_href("http://a/b/c/.%2e/d", NULL, "http://a/b/d");
        expect_href("http://a/b/%2E/d", NULL, "http://a/b/d");
        expect_href("http://a/b/..", NULL, "http://a/");
        expect_href("http://u ser:p@ss@h/", NULL, "http://u%20ser:p%40ss@h/");
        expect_href("http://h/é?é#é", NULL, "http://h/%C3%A9?%C3%A9#%C3%A9");
        expect_href("http://h/?a'b", NULL, "http://h/?a%27b");
        expect_href("http://h/a^b`c{d}", NULL, "http://h/a%5Eb%60c%7Bd%7D");
        expect_href("http://h/#a b`", NULL, "http://h/#a%20b%60");
        expect_href("http://192.168.0.1.:8080", NULL,
                    "http://192.168.0.1:8080/");
        expect_href("http://0300.0250.0.1/", NULL, "http://192.168.0.1/");
        expect_href("http://[::ffff:192.168.0.1]/", NULL,
                    "http://[::ffff:c0a8:1]/");
        expect_href("http://[1:0:0:2:0:0:0:3]/", NULL, "http://[1:0:0:2::3]/");
        expect_href("http://[1:0:0:2:0:0:3:4]/", NULL,
                    "http://[1::2:0:0:3:4]/");
        expect_href("http://h:65535/", NULL, "http://h:65535/");
        expect_href("https://h:00443/", NULL, "https://h/");
        /* invalid UTF-8 is replaced as a browser's decoder would */
        expect_href("http://h/\xff\xe2\x82", NULL,
                    "http://h/%EF%BF%BD%EF%BF%BD");
        /* a long domain with a non-ASCII label: no DNS length limit */
        expect_href(
                "http://ü.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                ".aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                ".aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                ".aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/",
                NULL,
                "http://xn--tda.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                ".aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                ".aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                ".aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/");

        expect_err("http://", NULL, URL_ERR_INVALID);
        expect_err("http://h:65536/", NULL, URL_ERR_INVALID);
        expect_err("http://h:8a/", NULL, URL_ERR_INVALID);
        expect_err("http://user@/x", NULL, URL_ERR_INVALID);
        expect_err("http://1.2.3.256/", NULL, URL_ERR_INVALID);
        expect_err("http://[1::2::3]/", NULL, URL_ERR_INVALID);
        expect_err("http://a b/", NULL, URL_ERR_INVALID);
        expect_err("relative/path", NULL, URL_ERR_INVALID);
        expect_err("", NULL, URL_ERR_INVALID);
        expect_err("x", "not a url", URL_ERR_INVALID);
}

static void test_schemes(void **state)
{
        const char *b = "https://example.com/";

        expect_err("mailto:x", b, URL_ERR_SCHEME);
        expect_err("javascript:alert(1)", b, URL_ERR_SCHEME);
        expect_err("  JavaScript:alert(1)", b, URL_ERR_SCHEME);
        expect_err("ftp://x/", b, URL_ERR_SCHEME);
        expect_err("file:///etc/passwd", NULL, URL_ERR_SCHEME);
        expect_err("data:text/plain,x", NULL, URL_ERR_SCHEME);
        expect_err("tel:+1", b, URL_ERR_SCHEME);
        expect_err("x", "ftp://example.com/", URL_ERR_SCHEME);
        expect_err("x", "mailto:a@b", URL_ERR_SCHEME);
        /* a relative reference with a colon after a slash is a path */
        expect_href("a/b:c", b, "https://example.com/a/b:c");
        expect_href("HtTpS://x", NULL, "https://x/");
}

static void test_too_long(void **state)
{
        size_t n = URL_MAX_LEN + 1;
        char *s = malloc(n + 1);
        url_t *url = NULL;
        char err[64];

        assert_non_null(s);
        memcpy(s, "http://h/", 9);
        memset(s + 9, 'a', n - 9);
        s[n] = '\0';
        assert_int_equal(url_parse(s, NULL, &url, err, sizeof(err)),
                         URL_ERR_TOO_LONG);
        assert_null(url);
        s[n - 1] = '\0'; /* exactly URL_MAX_LEN: accepted */
        assert_int_equal(url_parse(s, NULL, &url, err, sizeof(err)), URL_OK);
        assert_int_equal(strlen(url->href), URL_MAX_LEN);
        url_destroy(url);
        url = NULL;
        /* the worst expansion still fits the internal caps */
        memset(s + 9, '\x01', URL_MAX_LEN - 10); /* the last stays 'a' */
        assert_int_equal(url_parse(s, NULL, &url, err, sizeof(err)), URL_OK);
        assert_int_equal(strlen(url->path), 1 + 3 * (URL_MAX_LEN - 10) + 1);
        url_destroy(url);
        free(s);
}

static void test_fields(void **state)
{
        url_t *base = NULL, *url = NULL;
        char err[64];

        assert_int_equal(url_parse("https://u:p@[::1]:8443/a/b?q#f", NULL,
                                   &base, err, sizeof(err)),
                         URL_OK);
        assert_string_equal(base->scheme, "https");
        assert_string_equal(base->username, "u");
        assert_string_equal(base->password, "p");
        assert_string_equal(base->host, "[::1]");
        assert_int_equal(base->port, 8443);
        assert_string_equal(base->path, "/a/b");
        assert_string_equal(base->query, "q");
        assert_string_equal(base->fragment, "f");

        assert_int_equal(url_parse("c?", base, &url, err, sizeof(err)),
                         URL_OK);
        assert_string_equal(url->href, "https://u:p@[::1]:8443/a/c?");
        assert_string_equal(url->query, "");
        assert_null(url->fragment);
        url_destroy(url);

        assert_int_equal(url_parse("http://h", NULL, &url, err, sizeof(err)),
                         URL_OK);
        assert_string_equal(url->path, "/");
        assert_null(url->query);
        assert_int_equal(url->port, -1);
        url_destroy(url);

        /* NUL bytes travel through url_parse_n() */
        assert_int_equal(
                url_parse_n("http://h/a\0b", 12, NULL, &url, err, sizeof(err)),
                URL_OK);
        assert_string_equal(url->href, "http://h/a%00b");
        url_destroy(url);
        assert_int_equal(
                url_parse_n("http://a\0b/", 11, NULL, &url, err, sizeof(err)),
                URL_ERR_INVALID);
        assert_null(url);

        url_destroy(base);
        url_destroy(NULL);
}

/* url_href_n() with one scratch reused gives url_parse()'s href and
 * result on every ref, whatever the ref before it left in the buffers. */
static void test_url_scratch(void **state)
{
        static const char *const bases[] = {
                "http://example.com/dir/page.html?q#f",
                "https://u:p@Example.COM:8443/a/b/",
        };
        static const char *const refs[] = {
                "",
                "#x",
                "?y",
                "/",
                "//h.test",
                "//h.test:99/p?q#f",
                "a/b",
                "../../../x",
                "./.%2e/y",
                "http://h.test/a/../b",
                "https:x",
                "http:/x",
                "\\\\h\\p",
                " \t/sp ace\n",
                "mailto:a@b",
                "http://[::1]:80/",
                "http://1.2.3.4.5/",
                "http://%zz/",
                "http://a@b@c/",
                "http://h:99999/",
                "x\xFFy",
                "\xC3\xA9",
                "http://XN--N3H.test/",
                "http://\xE2\x98\x83.test/",
                "/p?a=\"<>\"#\"",
                "javascript:alert(1)",
                "http://",
        };
        url_scratch_t *sc = url_scratch_new();
        size_t b, r, k;

        assert_non_null(sc);
        for (k = 0; k < 2; k++) {
                for (b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
                        url_t *base = NULL;

                        assert_int_equal(
                                url_parse(bases[b], NULL, &base, NULL, 0),
                                URL_OK);
                        for (r = 0; r < sizeof(refs) / sizeof(refs[0]); r++) {
                                url_t *u = NULL;
                                const char *href = NULL;
                                size_t len = 0;
                                int want, got;

                                want = url_parse(refs[r], base, &u, NULL, 0);
                                got = url_href_n(sc, refs[r], strlen(refs[r]),
                                                 base, &href, &len);
                                assert_int_equal(got, want);
                                if (want == URL_OK) {
                                        assert_int_equal(len, strlen(u->href));
                                        assert_string_equal(href, u->href);
                                }
                                url_destroy(u);
                        }
                        url_destroy(base);
                }
        }
        url_scratch_destroy(sc);
}


int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_conformance),
                cmocka_unit_test(test_host_keys),
                cmocka_unit_test(test_relative),
                cmocka_unit_test(test_schemes),
                cmocka_unit_test(test_too_long),
                cmocka_unit_test(test_fields),
                cmocka_unit_test(test_url_scratch),
        };

        return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
