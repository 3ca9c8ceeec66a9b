/*
 * robotsdirs.h — robots directives for one page, merged from its
 * X-Robots-Tag headers and its <meta name="robots"> and
 * <meta name="{product token}"> tags, keeping only those meant for this
 * crawler (its product token) or for every crawler.
 *
 * Syntax (Google's and Bing's documented forms, which the other crawlers
 * follow): a comma-separated list of directives, case-insensitive; an
 * X-Robots-Tag value may start with "{user agent}:" to address one
 * crawler — told from a directive by its name: a first word that is no
 * known valued directive (unavailable_after, max-snippet,
 * max-image-preview, max-video-preview) before a ':' is a user agent.
 * unavailable_after's date may hold commas (RFC 850: "Friday,
 * 25-Jun-2010 15:00:00 PST"): the pieces after it that start with no
 * known directive are part of its value.
 *
 * Kept: noindex, nofollow, none (= noindex and nofollow), noarchive,
 * nocache, nosnippet, noimageindex, notranslate, indexifembedded, all,
 * max-snippet (integer), max-image-preview (none/standard/large),
 * max-video-preview (integer), unavailable_after (the date as written).
 * Unknown directives are ignored. When a valued directive is given twice,
 * the most restrictive wins (the smaller number; none < standard <
 * large); the first unavailable_after is kept.
 */
#ifndef KCRAWL_ROBOTSDIRS_H
#define KCRAWL_ROBOTSDIRS_H

#include <stddef.h>

#include <yajl/yajl_gen.h>

enum {
        RD_NOINDEX = 1 << 0,
        RD_NOFOLLOW = 1 << 1,
        RD_NOARCHIVE = 1 << 2,
        RD_NOCACHE = 1 << 3,
        RD_NOSNIPPET = 1 << 4,
        RD_NOIMAGEINDEX = 1 << 5,
        RD_NOTRANSLATE = 1 << 6,
        RD_INDEXIFEMBEDDED = 1 << 7,
        RD_ALL = 1 << 8,
        RD_NONE = 1 << 9,
};

#define ROBOTSDIRS_DATE_MAX 64

typedef struct robotsdirs {
        unsigned flags;
        long max_snippet;       /* -2 when absent (-1 = no limit)   */
        long max_video_preview; /* -2 when absent                   */
        int max_image_preview;  /* -1 absent, 0 none, 1 standard, 2 large */
        char unavailable_after[ROBOTSDIRS_DATE_MAX + 1]; /* "" when none */
} robotsdirs_t;

void robotsdirs_init(robotsdirs_t *d);

/* One X-Robots-Tag value (len bytes): kept when it names no user agent
 * or names `product` (case-insensitive). */
void robotsdirs_add_header(robotsdirs_t *d, const char *value, size_t len,
                           const char *product);

/* The page header x_robots_tag (a JSON array of values, the fetcher's
 * xrobots.h): each value as robotsdirs_add_header(). Returns 0, or -1 when
 * it is not such an array (nothing is added). */
int robotsdirs_add_header_json(robotsdirs_t *d, const char *json,
                               const char *product);

/* A <meta name=NAME content=CONTENT>: kept when NAME is "robots" or
 * `product` (case-insensitive). */
void robotsdirs_add_meta(robotsdirs_t *d, const char *name,
                         const char *content, const char *product);

/* A page's directives: the page header x_robots_tag (JSON; NULL when
 * absent; an unreadable one is ignored), <meta name="robots"> and
 * <meta name="{product}"> contents (NULL when absent; len bytes). */
void robotsdirs_for_page(robotsdirs_t *d, const char *x_robots_tag,
                         const char *meta_robots, size_t meta_robots_len,
                         const char *meta_product, size_t meta_product_len,
                         const char *product);

/* Whether links of the page must not be followed (nofollow or none). */
int robotsdirs_nofollow(const robotsdirs_t *d);
/* Whether anything was kept. */
int robotsdirs_any(const robotsdirs_t *d);

/* Writes the directives as one JSON object: {"noindex": true, ...,
 * "max-snippet": 50, "max-image-preview": "large", "unavailable_after":
 * "..."} (only those present; none also sets noindex and nofollow).
 * Returns 0 or -1 (the generator refused). */
int robotsdirs_gen(const robotsdirs_t *d, yajl_gen g);

#endif /* KCRAWL_ROBOTSDIRS_H */
