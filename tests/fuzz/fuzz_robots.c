/*
 * fuzz_robots.c — libFuzzer target: the robots.txt parser and matcher
 * (fetcher/robots.h).
 *
 * Input layout: the robots.txt text, then optionally a NUL byte and paths
 * to match (one per line). Without paths a fixed set is matched.
 *
 * Checks: no invalid memory access, no leak; robots_parse() returns a rule
 * set; "/robots.txt" is always allowed (RFC 9309 section 2.5); the
 * Crawl-delay is finite and not negative; every check stays within
 * ROBOTS_CHECK_BUDGET and disallows when it hits a bound; a rule set over
 * a small memory cap keeps nothing and allows nothing.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "robots.h"

static const char *const fixed_paths[] = {
        "/",         "/a",       "/a/b?c=d",
        "/%7Euser/", "/~user/",  "/index.html$",
        "/x*y",      "/%2F%2f/", "/\xc3\xa9t\xc3\xa9",
        "/a;b",
};

/* Every check stays within its step budget; a check over it, or on an
 * oversized rule set, disallows. */
static void match(const robots_t *r, const char *path)
{
        robots_check_t c;
        bool ok = robots_check(r, path, &c);

        if (c.steps > ROBOTS_CHECK_BUDGET)
                abort();
        if ((c.over_budget || c.oversized) && ok)
                abort();
        if (ok != robots_allowed(r, path))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *nul = memchr(data, '\0', size);
        size_t text_len = nul ? (size_t)(nul - data) : size;
        char *text = malloc(text_len ? text_len : 1);
        robots_t *r;

        if (!text)
                return 0;
        memcpy(text, data, text_len); /* not NUL-terminated on purpose */
        /* A small per-host cap too: an oversized set allows nothing but
         * /robots.txt. */
        r = robots_parse_ex(text, text_len, "kcrawl", 256);
        if (!r)
                abort();
        if (robots_oversized(r) && robots_allowed(r, "/"))
                abort();
        if (robots_bytes(r) > 1024)
                abort();
        robots_destroy(r);
        r = robots_parse(text, text_len, "kcrawl");
        free(text);
        if (!r)
                abort();
        if (!robots_allowed(r, "/robots.txt"))
                abort();
        double d = robots_crawl_delay(r);
        if (!(d >= 0) || isinf(d))
                abort();
        (void)robots_rule_count(r);
        if (nul) {
                const char *p = (const char *)nul + 1;
                const char *end = (const char *)data + size;
                while (p < end) {
                        const char *nl = memchr(p, '\n', (size_t)(end - p));
                        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                        char *path = strndup(p, n);
                        if (path) {
                                match(r, path);
                                free(path);
                        }
                        p += n + 1;
                }
        } else {
                for (size_t i = 0;
                     i < sizeof(fixed_paths) / sizeof(*fixed_paths); i++)
                        match(r, fixed_paths[i]);
        }
        robots_destroy(r);

        /* The agent-token helper on the same bytes as a User-Agent. */
        char ua[512], tok[64];
        size_t n = size < sizeof(ua) - 1 ? size : sizeof(ua) - 1;
        memcpy(ua, data, n);
        ua[n] = '\0';
        robots_agent_token(ua, tok, sizeof(tok));
        if (strlen(tok) >= sizeof(tok))
                abort();
        return 0;
}
