/*
 * test_fetcher_robots.c — RFC 9309 matching, as a table of cases: a
 * robots.txt, the crawler's product token, a path, the expected answer.
 * Most cases come from the RFC's examples and Google's robotstxt tests.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "robots.h"

typedef struct rcase {
        const char *name;
        const char *txt;
        const char *agent;
        const char *path;
        bool allowed;
} rcase_t;

static const rcase_t cases[] = {
        { "empty file allows", "", "kcrawl", "/a", true },
        { "disallow all", "User-agent: *\nDisallow: /\n", "kcrawl", "/a",
          false },
        { "robots.txt always allowed", "User-agent: *\nDisallow: /\n",
          "kcrawl", "/robots.txt", true },
        { "empty disallow allows", "User-agent: *\nDisallow:\n", "kcrawl",
          "/a", true },
        { "prefix match", "User-agent: *\nDisallow: /private\n", "kcrawl",
          "/private/x", false },
        { "prefix no match", "User-agent: *\nDisallow: /private\n", "kcrawl",
          "/public", true },
        { "prefix is by bytes", "User-agent: *\nDisallow: /priv\n", "kcrawl",
          "/private", false },
        { "longest wins (allow)", "User-agent: *\nDisallow: /a\nAllow: /a/b\n",
          "kcrawl", "/a/b/c", true },
        { "longest wins (disallow)",
          "User-agent: *\nAllow: /a\nDisallow: /a/b\n", "kcrawl", "/a/b/c",
          false },
        { "allow wins a tie", "User-agent: *\nDisallow: /a\nAllow: /a\n",
          "kcrawl", "/a", true },
        { "allow wins a tie (order)",
          "User-agent: *\nAllow: /a\nDisallow: /a\n", "kcrawl", "/a", true },
        { "star in the middle", "User-agent: *\nDisallow: /*.php\n", "kcrawl",
          "/dir/index.php?x=1", false },
        { "star no match", "User-agent: *\nDisallow: /*.php\n", "kcrawl",
          "/dir/index.html", true },
        { "dollar anchors", "User-agent: *\nDisallow: /*.php$\n", "kcrawl",
          "/index.php", false },
        { "dollar anchors (more after)", "User-agent: *\nDisallow: /*.php$\n",
          "kcrawl", "/index.php?x", true },
        { "exact root only", "User-agent: *\nDisallow: /$\n", "kcrawl", "/",
          false },
        { "exact root only (other)", "User-agent: *\nDisallow: /$\n", "kcrawl",
          "/a", true },
        { "specific group wins over star",
          "User-agent: *\nDisallow: /\n\nUser-agent: kcrawl\nAllow: /\n",
          "kcrawl", "/a", true },
        { "group match is case-insensitive",
          "User-agent: *\nAllow: /\n\nUser-agent: KCrawl\nDisallow: /x\n",
          "kcrawl", "/x", false },
        { "agent line with version", "User-agent: kcrawl/2.1\nDisallow: /x\n",
          "kcrawl", "/x", false },
        { "other agent's group ignored", "User-agent: otherbot\nDisallow: /\n",
          "kcrawl", "/a", true },
        { "specific group without rules allows all",
          "User-agent: kcrawl\nAllow: /x\nUser-agent: *\nDisallow: /\n",
          "kcrawl", "/a", true },
        { "blank lines do not split agent lines (RFC 9309 grammar)",
          "User-agent: kcrawl\n\nUser-agent: *\nDisallow: /\n", "kcrawl", "/a",
          false },
        { "consecutive agent lines share a group",
          "User-agent: a\nUser-agent: kcrawl\nDisallow: /q\n", "kcrawl", "/q",
          false },
        { "groups of one agent are combined",
          "User-agent: kcrawl\nDisallow: /a\n\nUser-agent: other\n"
          "Disallow: /\n\nUser-agent: kcrawl\nDisallow: /b\n",
          "kcrawl", "/b", false },
        { "groups combined (other rule)",
          "User-agent: kcrawl\nDisallow: /a\n\nUser-agent: other\n"
          "Disallow: /c\n\nUser-agent: kcrawl\nDisallow: /b\n",
          "kcrawl", "/c", true },
        { "comments and blanks",
          "# hello\nUser-agent: * # all\n\nDisallow: /x # no\n", "kcrawl",
          "/x/1", false },
        { "keys are case-insensitive", "USER-AGENT: *\nDISALLOW: /x\n",
          "kcrawl", "/x", false },
        { "CRLF lines", "User-agent: *\r\nDisallow: /x\r\n", "kcrawl", "/x",
          false },
        { "CR lines", "User-agent: *\rDisallow: /x\r", "kcrawl", "/x", false },
        { "encoded unreserved in path", "User-agent: *\nDisallow: /~joe\n",
          "kcrawl", "/%7Ejoe/x", false },
        { "encoded unreserved in pattern",
          "User-agent: *\nDisallow: /%7ejoe\n", "kcrawl", "/~joe/x", false },
        { "non-ASCII pattern vs encoded path",
          "User-agent: *\nDisallow: /\xc3\xa4\n", "kcrawl", "/%C3%A4", false },
        { "escape case normalised", "User-agent: *\nDisallow: /a%2fb\n",
          "kcrawl", "/a%2Fb", false },
        { "reserved escape stays distinct",
          "User-agent: *\nDisallow: /a%2Fb\n", "kcrawl", "/a/b", true },
        { "query matched", "User-agent: *\nDisallow: /*?sort=\n", "kcrawl",
          "/list?sort=asc", false },
        { "rules before any group ignored", "Disallow: /\n", "kcrawl", "/a",
          true },
        { "sitemap does not end a group",
          "User-agent: *\nSitemap: http://x/s.xml\nDisallow: /x\n", "kcrawl",
          "/x", false },
        { "star matches empty", "User-agent: *\nDisallow: /a*b\n", "kcrawl",
          "/ab", false },
        { "double star", "User-agent: *\nDisallow: /**x$\n", "kcrawl",
          "/aaxbx", false },
};

static void test_table(void **state)
{
        int failed = 0;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const rcase_t *c = &cases[i];
                robots_t *r = robots_parse(c->txt, strlen(c->txt), c->agent);
                bool got;

                assert_non_null(r);
                got = robots_allowed(r, c->path);
                if (got != c->allowed) {
                        print_error("case '%s': %s %s, want %s\n", c->name,
                                    c->path, got ? "allowed" : "disallowed",
                                    c->allowed ? "allowed" : "disallowed");
                        failed++;
                }
                robots_destroy(r);
        }
        assert_int_equal(failed, 0);
}

static void test_crawl_delay(void **state)
{
        const char *txt = "User-agent: *\nCrawl-delay: 2.5\nDisallow: /x\n"
                          "\nUser-agent: other\nCrawl-delay: 60\n";
        robots_t *r = robots_parse(txt, strlen(txt), "kcrawl");

        assert_non_null(r);
        assert_true(robots_crawl_delay(r) > 2.4 &&
                    robots_crawl_delay(r) < 2.6);
        robots_destroy(r);
        txt = "User-agent: *\nCrawl-delay: soon\n";
        r = robots_parse(txt, strlen(txt), "kcrawl");
        assert_true(robots_crawl_delay(r) == 0);
        robots_destroy(r);
}

static void test_agent_token(void **state)
{
        char buf[64];

        assert_string_equal(robots_agent_token("kcrawl/0.1 (+https://x)", buf,
                                               sizeof(buf)),
                            "kcrawl");
        assert_string_equal(robots_agent_token("My-Bot_2", buf, sizeof(buf)),
                            "My-Bot_");
        assert_string_equal(robots_agent_token("abcdef", buf, 4), "abc");
}

/* At least 500 KiB are parsed: a rule past 500 KiB of comments holds. */
static void test_large_file(void **state)
{
        size_t pad = 500 * 1024, len;
        const char *tail = "\nUser-agent: *\nDisallow: /deep\n";
        char *txt = malloc(pad + 64);
        robots_t *r;

        assert_non_null(txt);
        for (size_t i = 0; i < pad; i += 64) {
                memset(txt + i, 'c', 64);
                txt[i] = '#';
                txt[i + 63] = '\n';
        }
        len = pad;
        memcpy(txt + len, tail, strlen(tail));
        len += strlen(tail);
        r = robots_parse(txt, len, "kcrawl");
        assert_non_null(r);
        assert_false(robots_allowed(r, "/deep/1"));
        assert_true(robots_allowed(r, "/other"));
        robots_destroy(r);
        free(txt);
}

/* Pathological patterns finish (no exponential backtracking). */
static void test_many_stars(void **state)
{
        char txt[4096], path[2048];
        robots_t *r;
        size_t n = 0;

        n += (size_t)snprintf(txt, sizeof(txt), "User-agent: *\nDisallow: /");
        for (int i = 0; i < 500; i++)
                txt[n++] = i % 2 ? 'a' : '*';
        txt[n++] = 'b';
        txt[n++] = '\n';
        path[0] = '/';
        memset(path + 1, 'a', sizeof(path) - 2);
        path[sizeof(path) - 1] = '\0';
        r = robots_parse(txt, n, "kcrawl");
        assert_non_null(r);
        assert_true(robots_allowed(r, path));
        robots_destroy(r);
}

/* Appends s to buf[*n..cap), keeping a NUL; returns false when full. */
static bool append(char *buf, size_t cap, size_t *n, const char *s)
{
        size_t l = strlen(s);

        if (*n + l + 1 > cap)
                return false;
        memcpy(buf + *n, s, l + 1);
        *n += l;
        return true;
}

/*
 * The cost of one check is bounded (counted in matcher steps, not time): a
 * full-size file of long wildcard rules against an 8,190-character path
 * stops at ROBOTS_CHECK_BUDGET and answers "disallowed" (polite), and a
 * path the rules do not reach under the budget keeps its verdict.
 */
static void test_check_budget(void **state)
{
        size_t cap = ROBOTS_MAX_BYTES, n = 0;
        char *txt = malloc(cap), *path = malloc(8192), rule[1100];
        robots_check_t c;
        robots_t *r;
        bool ok;

        assert_non_null(txt);
        assert_non_null(path);
        append(txt, cap, &n, "User-agent: *\n");
        /* "Disallow: /" STAR, 999 a's, "b": never matches a path of a's,
         * and a backtracking matcher compares ~1,000 characters at each
         * of its 8,190 positions. */
        memcpy(rule, "Disallow: /*", 12);
        memset(rule + 12, 'a', 999);
        memcpy(rule + 1011, "b\n", 3);
        while (append(txt, cap, &n, rule))
                ;
        path[0] = '/';
        memset(path + 1, 'a', 8189);
        path[8190] = '\0';
        r = robots_parse(txt, n, "kcrawl");
        assert_non_null(r);
        assert_true(robots_rule_count(r) > 400);
        memset(&c, 0, sizeof(c));
        ok = robots_check(r, path, &c);
        print_message("steps %zu (budget %d)\n", c.steps, ROBOTS_CHECK_BUDGET);
        assert_true(c.steps <= ROBOTS_CHECK_BUDGET);
        assert_false(ok);
        assert_true(c.over_budget);
        /* A short path costs little and is answered. */
        memset(&c, 0, sizeof(c));
        ok = robots_check(r, "/short", &c);
        assert_true(ok);
        assert_false(c.over_budget);
        assert_true(c.steps <= ROBOTS_CHECK_BUDGET);
        robots_destroy(r);
        free(txt);
        free(path);
}

/* Literal rules are prefix compares: a full-size file of them is checked
 * under the budget, with the longest match winning. */
static void test_literal_rules_cost(void **state)
{
        size_t cap = ROBOTS_MAX_BYTES, n = 0;
        char *txt = malloc(cap), *path = malloc(8192);
        robots_check_t c;
        robots_t *r;
        int i = 0;

        assert_non_null(txt);
        assert_non_null(path);
        append(txt, cap, &n, "User-agent: *\nAllow: /aaaa\n");
        for (;; i++) {
                char line[64];

                snprintf(line, sizeof(line), "Disallow: /a%d/x\n", i);
                if (!append(txt, cap, &n, line))
                        break;
        }
        path[0] = '/';
        memset(path + 1, 'a', 8189);
        path[8190] = '\0';
        r = robots_parse(txt, n, "kcrawl");
        assert_non_null(r);
        memset(&c, 0, sizeof(c));
        assert_true(robots_check(r, path, &c));
        assert_false(c.over_budget);
        assert_true(c.steps <= ROBOTS_CHECK_BUDGET);
        memset(&c, 0, sizeof(c));
        assert_false(robots_check(r, "/a17/x/y", &c));
        assert_false(c.over_budget);
        robots_destroy(r);
        free(txt);
        free(path);
}

/*
 * Memory per host is bounded: 65,534 short rules kept compactly under the
 * default cap (no per-rule allocation), and over a small cap nothing is
 * kept and every path but /robots.txt is disallowed.
 */
static void test_memory_bound(void **state)
{
        size_t cap = 65534 * 16 + 64, n = 0;
        char *txt = malloc(cap);
        robots_check_t c;
        robots_t *r;

        assert_non_null(txt);
        append(txt, cap, &n, "User-agent: *\n");
        for (int i = 0; i < 65534; i++) {
                char line[32];

                snprintf(line, sizeof(line), "Disallow: /%x\n", i);
                append(txt, cap, &n, line);
        }
        r = robots_parse(txt, n, "kcrawl");
        assert_non_null(r);
        assert_false(robots_oversized(r));
        /* The first 512 KiB: index (16 bytes a rule) plus patterns. */
        assert_true(robots_bytes(r) <= robots_rule_count(r) * 24 + 1024);
        assert_false(robots_allowed(r, "/ff"));
        robots_destroy(r);

        r = robots_parse_ex(txt, n, "kcrawl", 64 * 1024);
        assert_non_null(r);
        assert_true(robots_oversized(r));
        assert_true(robots_bytes(r) < 1024);
        memset(&c, 0, sizeof(c));
        assert_false(robots_check(r, "/zzz-not-listed", &c));
        assert_true(c.oversized);
        assert_true(robots_allowed(r, "/robots.txt"));
        robots_destroy(r);
        free(txt);
}

/* A pattern over ROBOTS_MAX_PATTERN: a disallow is cut (matches more,
 * keeps its rank), an allow is dropped. */
static void test_long_pattern(void **state)
{
        size_t cap = 3 * ROBOTS_MAX_PATTERN, n = 0;
        char *txt = malloc(cap), *path = malloc(ROBOTS_MAX_PATTERN + 16);
        robots_t *r;

        assert_non_null(txt);
        assert_non_null(path);
        n += (size_t)snprintf(txt, cap, "User-agent: *\nDisallow: /");
        memset(txt + n, 'd', ROBOTS_MAX_PATTERN + 10);
        n += ROBOTS_MAX_PATTERN + 10;
        n += (size_t)snprintf(txt + n, cap - n, "X\nAllow: /");
        memset(txt + n, 'a', ROBOTS_MAX_PATTERN + 10);
        n += ROBOTS_MAX_PATTERN + 10;
        txt[n++] = '\n';
        r = robots_parse(txt, n, "kcrawl");
        assert_non_null(r);
        assert_int_equal(robots_rule_count(r), 1);
        path[0] = '/';
        memset(path + 1, 'd', ROBOTS_MAX_PATTERN);
        path[ROBOTS_MAX_PATTERN + 1] = '\0';
        assert_false(robots_allowed(r, path));
        memset(path + 1, 'a', ROBOTS_MAX_PATTERN + 10);
        path[ROBOTS_MAX_PATTERN + 11] = '\0';
        assert_true(robots_allowed(r, path));
        robots_destroy(r);
        free(txt);
        free(path);
}

/* RFC 9309 matching by definition (exponential; for short strings): does
 * pattern p match a prefix of s ('*' any run, a final '$' the end)? */
static bool ref_match(const char *p, const char *s)
{
        if (!*p)
                return true;
        if (p[0] == '$' && !p[1])
                return !*s;
        if (*p == '*')
                return ref_match(p + 1, s) || (*s && ref_match(p, s + 1));
        return *s && *p == *s && ref_match(p + 1, s + 1);
}

static void random_str(char *buf, size_t max, const char *alphabet,
                       unsigned *seed)
{
        size_t n = 1 + (size_t)rand_r(seed) % max, k = strlen(alphabet);

        buf[0] = '/';
        for (size_t i = 1; i < n; i++)
                buf[i] = alphabet[(size_t)rand_r(seed) % k];
        buf[n] = '\0';
}

/*
 * The ranked, segment-by-segment matcher agrees with the definition on
 * 20,000 random pairs of rules and paths: longest match wins, allow wins
 * a tie, '*' any run, a final '$' anchors, another '$' is literal.
 */
static void test_matcher_against_definition(void **state)
{
        unsigned seed = 9309;

        for (int i = 0; i < 20000; i++) {
                char allow[16], deny[16], path[16], txt[96];
                bool a, d, want;
                size_t la, ld;
                robots_t *r;

                random_str(allow, 9, "ab*$", &seed);
                random_str(deny, 9, "ab*$", &seed);
                random_str(path, 11, "ab$", &seed);
                snprintf(txt, sizeof(txt),
                         "User-agent: *\nAllow: %s\n"
                         "Disallow: %s\n",
                         allow, deny);
                a = ref_match(allow, path);
                d = ref_match(deny, path);
                la = strlen(allow);
                ld = strlen(deny);
                want = !d || (a && la >= ld);
                r = robots_parse(txt, strlen(txt), "kcrawl");
                assert_non_null(r);
                if (robots_allowed(r, path) != want)
                        fail_msg("allow %s disallow %s path %s: want %d",
                                 allow, deny, path, want);
                robots_destroy(r);
        }
}

/* Sitemap: lines, in any group or none, trimmed, comments cut, capped
 * at ROBOTS_MAX_SITEMAPS. */
typedef struct smlist {
        char got[8][128];
        size_t n;
} smlist_t;

static int collect_sitemap(void *ctx, const char *url, size_t len)
{
        smlist_t *l = ctx;

        if (l->n < 8)
                snprintf(l->got[l->n], sizeof(l->got[0]), "%.*s", (int)len,
                         url);
        l->n++;
        return 0;
}

static void test_sitemaps(void **state)
{
        static const char txt[] =
                "Sitemap: https://example.com/sitemap_index.xml\n"
                "User-agent: *\n"
                "Disallow: /private\n"
                "  sitemap :\thttps://example.com/s2.xml.gz  # comment\r\n"
                "User-agent: other\n"
                "SITEMAP: /relative.xml\n"
                "Sitemap:\n"
                "Sitemaps: https://example.com/not-a-sitemap-line\n"
                "Sitemap: https://cdn.example.net/feed.xml";
        smlist_t l = { 0 };
        char *big;
        size_t n = 0, cap = (ROBOTS_MAX_SITEMAPS + 10) * 40;

        assert_int_equal(
                robots_sitemaps(txt, sizeof(txt) - 1, collect_sitemap, &l), 4);
        assert_int_equal(l.n, 4);
        assert_string_equal(l.got[0], "https://example.com/sitemap_index.xml");
        assert_string_equal(l.got[1], "https://example.com/s2.xml.gz");
        assert_string_equal(l.got[2], "/relative.xml");
        assert_string_equal(l.got[3], "https://cdn.example.net/feed.xml");

        big = malloc(cap);
        assert_non_null(big);
        for (int i = 0; i < ROBOTS_MAX_SITEMAPS + 10; i++)
                n += (size_t)snprintf(big + n, cap - n,
                                      "Sitemap: https://e.com/%d.xml\n", i);
        memset(&l, 0, sizeof(l));
        assert_int_equal(robots_sitemaps(big, n, collect_sitemap, &l),
                         ROBOTS_MAX_SITEMAPS);
        assert_int_equal(l.n, ROBOTS_MAX_SITEMAPS);
        free(big);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_crawl_delay),
                cmocka_unit_test(test_agent_token),
                cmocka_unit_test(test_large_file),
                cmocka_unit_test(test_many_stars),
                cmocka_unit_test(test_check_budget),
                cmocka_unit_test(test_literal_rules_cost),
                cmocka_unit_test(test_memory_bound),
                cmocka_unit_test(test_long_pattern),
                cmocka_unit_test(test_matcher_against_definition),
                cmocka_unit_test(test_sitemaps),
        };

        return cmocka_run_group_tests_name("fetcher_robots", tests, NULL,
                                           NULL);
}
