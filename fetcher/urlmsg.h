/*
 * urlmsg.h — decoding a message of the URL topic.
 *
 * A value is either a bare URL (one line, surrounding whitespace ignored)
 * or a JSON object {"url": string, "depth"?: integer >= 0, "id"?: string,
 * "meta"?: any JSON, "kind"?: "page" | "sitemap" | "feed", "lastmod"?:
 * string, "sitemap_host"?: host key, "recrawl"?: seconds >= 0 | false}
 * (schemas/url.schema.json). The URL is parsed by the
 * WHATWG rules and must be http or https. In strings, a lone UTF-16
 * surrogate escape and "\u0000" decode as U+FFFD (repaired, not refused,
 * and never a cut value).
 */
#ifndef KCRAWL_URLMSG_H
#define KCRAWL_URLMSG_H

#include <stddef.h>

/* Values larger than this are refused as invalid_message. */
#define URLMSG_MAX_BYTES (1024 * 1024)

/* JSON nesting allowed, the object itself counting as 1 (a deeper value is
 * refused as invalid_message before any tree is built). */
#define URLMSG_MAX_DEPTH 64

typedef struct urlmsg {
        char *url;          /* normalised href                      */
        char *host_key;     /* the design's host key                */
        char *id;           /* NULL when absent                     */
        char *meta;         /* compact JSON text, NULL when absent  */
        long depth;         /* -1 when absent                       */
        char *kind;         /* "sitemap" or "feed"; NULL for a page */
        char *lastmod;      /* as a sitemap gave it; NULL when none */
        char *sitemap_host; /* a sitemap's scope host (robots.txt
                             * listed it); NULL when none        */
        long recrawl;       /* seconds (> 0) between fetches; 0: no
                             * recrawl; URLMSG_RECRAWL_ABSENT or
                             * URLMSG_RECRAWL_STOP (false)        */
} urlmsg_t;

#define URLMSG_RECRAWL_ABSENT (-1)
#define URLMSG_RECRAWL_STOP (-2)
/* The longest recrawl interval a message may ask (366 days). */
#define URLMSG_RECRAWL_MAX 31622400L

/* The longest lastmod and sitemap_host accepted (longer is
 * invalid_message). */
#define URLMSG_LASTMOD_MAX 64
#define URLMSG_HOST_MAX 300

/*
 * Decodes value[0..len). Returns 0 and fills *um (free with
 * urlmsg_clear()), or -1 with *code set to a stable error code
 * ("invalid_message", "invalid_url", "unsupported_scheme") and a reason in
 * errstr. On failure um->url may hold the URL text when one was found.
 */
int urlmsg_decode(const void *value, size_t len, urlmsg_t *um,
                  const char **code, char *errstr, size_t errstr_size);

void urlmsg_clear(urlmsg_t *um);

#endif /* KCRAWL_URLMSG_H */
