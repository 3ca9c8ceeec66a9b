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
 */
#ifndef KCRAWL_ROBOTS_H
#define KCRAWL_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>

#define ROBOTS_MAX_BYTES (512 * 1024)
#define ROBOTS_MAX_CRAWL_DELAY 86400.0 /* seconds; the fetcher caps lower */

typedef struct robots robots_t;

/*
 * Parses robots.txt text[0..len) for the crawler whose product token is
 * `agent` (e.g. "kcrawl"). Returns a new rule set the caller owns
 * (robots_destroy()), or NULL when out of memory.
 */
robots_t *robots_parse(const char *text, size_t len, const char *agent);

/* A rule set allowing everything (robots.txt absent: 4xx). NULL on OOM. */
robots_t *robots_allow_all(void);

void robots_destroy(robots_t *r);

/*
 * true when `path` (the URL's path and query, starting with '/') may be
 * fetched.
 */
bool robots_allowed(const robots_t *r, const char *path);

/* The Crawl-delay of the applicable groups in seconds, 0 when none. */
double robots_crawl_delay(const robots_t *r);

/* Number of allow/disallow rules kept (for logs and tests). */
size_t robots_rule_count(const robots_t *r);

/*
 * Writes the product token of a User-Agent string ("kcrawl/1.0 (+url)" ->
 * "kcrawl") into buf; returns buf.
 */
char *robots_agent_token(const char *user_agent, char *buf, size_t size);

#endif /* KCRAWL_ROBOTS_H */
