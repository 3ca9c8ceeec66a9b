/*
 * robots.h — robots.txt rules per RFC 9309: parsing and matching.
 *
 * Written here because no packaged C library implements RFC 9309 (Google's
 * robotstxt is C++ and not in Debian). The parser keeps only the rules of
 * the groups that apply to one product token: the groups naming it
 * (case-insensitively), all of them combined, else the '*' groups
 * combined. Matching: the longest matching pattern wins, allow wins a tie,
 * '*' matches any run of characters and a final '$' anchors the end;
 * percent-encoding is normalised on both sides before comparing;
 * "/robots.txt" is always allowed. At least ROBOTS_MAX_BYTES of a file are
 * parsed (the RFC asks for 500 KiB); the rest is ignored.
 *
 * Bounds, each erring on the side of politeness when it is hit:
 * - Memory: the kept rules live in one arena per rule set (patterns back
 *   to back, 16 bytes of index per rule), capped at `max_bytes`
 *   (robots_parse_ex()). A file whose applicable rules need more is
 *   "oversized": nothing of it is kept and every path but /robots.txt is
 *   disallowed.
 * - Pattern length: a normalised pattern over ROBOTS_MAX_PATTERN bytes is
 *   cut there when it disallows (a prefix of it matches more paths; its
 *   full length still ranks it) and dropped when it allows.
 * - Work per check: rules are ranked once at parse time (longest first,
 *   allow before disallow), so the first match is the answer. Literal
 *   rules are a prefix compare; rules with '*' are matched segment by
 *   segment with memmem() (linear: glibc's two-way search), leftmost
 *   first, which is exact for '*'-only patterns. Each rule is charged its
 *   worst case (1 + bytes compared or scanned) before it runs; when the
 *   next charge would pass ROBOTS_CHECK_BUDGET the check stops and answers
 *   "disallowed".
 */
#ifndef KCRAWL_ROBOTS_H
#define KCRAWL_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>

#define ROBOTS_MAX_BYTES (512 * 1024)
#define ROBOTS_MAX_PATTERN 8192     /* bytes of one normalised rule */
#define ROBOTS_CHECK_BUDGET 2000000 /* matcher steps per check      */
#define ROBOTS_DEFAULT_MAX_RULE_BYTES \
        (1024 * 1024)                  /* a full file of
                                                  * the shortest rules */
#define ROBOTS_MAX_CRAWL_DELAY 86400.0 /* seconds; the fetcher caps lower */

typedef struct robots robots_t;

/*
 * Parses robots.txt text[0..len) for the crawler whose product token is
 * `agent` (e.g. "kcrawl"), keeping at most `max_bytes` of rules (see
 * above; robots_parse() uses ROBOTS_DEFAULT_MAX_RULE_BYTES). Returns a new
 * rule set the caller owns (robots_destroy()), or NULL when out of memory.
 */
robots_t *robots_parse_ex(const char *text, size_t len, const char *agent,
                          size_t max_bytes);
robots_t *robots_parse(const char *text, size_t len, const char *agent);

/* A rule set allowing everything (robots.txt absent: 4xx). NULL on OOM. */
robots_t *robots_allow_all(void);

void robots_destroy(robots_t *r);

/* What one check cost and why it answered as it did. */
typedef struct robots_check {
        size_t steps;     /* matcher work charged (<= the budget)   */
        bool over_budget; /* the budget ran out: disallowed         */
        bool oversized;   /* rules over max_bytes: disallowed       */
} robots_check_t;

/*
 * true when `path` (the URL's path and query, starting with '/') may be
 * fetched. robots_check() also fills `c` (may be NULL).
 */
bool robots_check(const robots_t *r, const char *path, robots_check_t *c);
bool robots_allowed(const robots_t *r, const char *path);

/* true when the file's rules were over max_bytes (everything disallowed). */
bool robots_oversized(const robots_t *r);

/* Bytes of memory the rule set holds (for the fetcher's global bound). */
size_t robots_bytes(const robots_t *r);

/* The Crawl-delay of the applicable groups in seconds, 0 when none. */
double robots_crawl_delay(const robots_t *r);

/* Number of allow/disallow rules kept (for logs and tests). */
size_t robots_rule_count(const robots_t *r);

/* At most this many Sitemap: lines of one robots.txt are read. */
#define ROBOTS_MAX_SITEMAPS 1000

/* Takes one Sitemap: value (len bytes, not NUL-terminated, trimmed, no
 * comment); non-zero stops the scan. */
typedef int (*robots_sitemap_fn)(void *ctx, const char *url, size_t len);

/*
 * Hands the value of each "Sitemap:" line of text[0..len) (the first
 * ROBOTS_MAX_BYTES) to fn, in file order, at most ROBOTS_MAX_SITEMAPS of
 * them. Sitemap lines belong to no group (RFC 9309 section 2.2.4), so
 * every one counts whatever the agent. Returns how many were handed on.
 */
size_t robots_sitemaps(const char *text, size_t len, robots_sitemap_fn fn,
                       void *ctx);

/*
 * Writes the product token of a User-Agent string ("kcrawl/1.0 (+url)" ->
 * "kcrawl") into buf; returns buf.
 */
char *robots_agent_token(const char *user_agent, char *buf, size_t size);

#endif /* KCRAWL_ROBOTS_H */
