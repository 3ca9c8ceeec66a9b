/*
 * url.h — URLs as browsers parse them (WHATWG URL Standard), for http and
 * https, shared by the fetcher (normalising published URLs, the host key)
 * and the cleaner (resolving links).
 *
 * libcurl's URL API follows RFC 3986 and differs from browsers on many inputs
 * (backslashes, tabs and newlines, surrounding spaces, host case, default
 * ports, percent-encoded dot segments, non-ASCII hosts, IPv4 number forms),
 * and no well-kept C library implements the WHATWG parser, so the parser
 * here is written by hand, following the Standard's state machine. IDNA
 * (UTS #46, non-transitional) is libidn2's.
 *
 * The conformance suite is tests/data/urltestdata.json (see
 * tests/unit/test_url.c for the cases held and the listed exceptions).
 */
#ifndef KCRAWL_URL_H
#define KCRAWL_URL_H

#include <stddef.h>

typedef enum {
        URL_OK = 0,
        URL_ERR_INVALID = -1, /* not a URL by the Standard          */
        URL_ERR_SCHEME = -2,  /* a URL, but not http or https        */
        URL_ERR_NOMEM = -3,
        URL_ERR_TOO_LONG = -4, /* input over URL_MAX_LEN bytes        */
} url_err_t;

/* Inputs longer than this are refused (URL_ERR_TOO_LONG). */
#define URL_MAX_LEN (64 * 1024)

/* A parsed http(s) URL. Every string is owned by the url_t, NUL-terminated,
 * already serialised as the Standard's API getters would return them but
 * without their ':' / '?' / '#' punctuation. */
typedef struct url {
        char *href;     /* the full serialisation                           */
        char *scheme;   /* "http" or "https"                                */
        char *username; /* "" when none                                     */
        char *password; /* "" when none                                     */
        char *host;     /* lower-case ASCII domain (punycode), dotted IPv4,
                         * or "[v6]" bracketed and compressed                */
        int port;       /* -1 when absent or the scheme's default           */
        char *path;     /* begins with '/'                                  */
        char *query;    /* NULL when absent ("" when '?' alone)             */
        char *fragment; /* NULL when absent ("" when '#' alone)             */
} url_t;

/*
 * Parses `input` (UTF-8) against `base` (may be NULL) by the WHATWG basic
 * URL parser. On success returns URL_OK and sets *urlp to a new url_t the
 * caller owns (url_destroy()). On failure returns a url_err_t and, when
 * errstr is not NULL, a reason for people in errstr.
 */
int url_parse(const char *input, const url_t *base, url_t **urlp, char *errstr,
              size_t errstr_size);

/*
 * As url_parse(), for an input of `len` bytes that may hold NUL bytes (the
 * Standard percent-encodes U+0000 in paths, queries and fragments).
 */
int url_parse_n(const char *input, size_t len, const url_t *base, url_t **urlp,
                char *errstr, size_t errstr_size);

/*
 * Link resolution without a url_t per link: the buffers of one parse are
 * kept in a url_scratch_t for the next. url_href_n() parses input[0, len)
 * against base as url_parse_n() does and, on URL_OK, points *hrefp at the
 * serialisation (NUL-terminated, *href_lenp bytes), which the scratch owns
 * and the next call on it overwrites. A scratch is for one thread at a
 * time; url_scratch_new() returns NULL when out of memory.
 */
typedef struct url_scratch url_scratch_t;

url_scratch_t *url_scratch_new(void);
void url_scratch_destroy(url_scratch_t *sc);
int url_href_n(url_scratch_t *sc, const char *input, size_t len,
               const url_t *base, const char **hrefp, size_t *href_lenp);

/* Frees a url_t; NULL is fine. */
void url_destroy(url_t *url);

/*
 * Resolves `ref` against the absolute URL string `base` (may be NULL) and
 * returns the href in *hrefp (caller frees), or a url_err_t. A convenience
 * over url_parse() for link resolution.
 */
int url_resolve(const char *ref, const char *base, char **hrefp, char *errstr,
                size_t errstr_size);

/*
 * Writes the host key of `url` into buf: the host as serialised above, with
 * any trailing dot removed, followed by ":port" only when the port is not
 * the scheme's default. Returns the length written, or -1 when it does not
 * fit in `size`.
 */
int url_host_key(const url_t *url, char *buf, size_t size);

#endif /* KCRAWL_URL_H */
