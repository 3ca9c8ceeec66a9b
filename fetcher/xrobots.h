/*
 * xrobots.h — the X-Robots-Tag response headers of a transfer, for the
 * page header `x_robots_tag`.
 *
 * A response may send X-Robots-Tag several times, and one value may hold
 * commas that are not separators (`unavailable_after: 25 Jun 2010
 * 15:00:00 PST`, or an RFC 850 date), so the values are not joined into
 * one string: the page header is a JSON array of the values as sent, in
 * order (one header per name, as the page schema requires). The cleaner
 * reads the directives (cleaner/robotsdirs.h). At most XROBOTS_MAX_VALUES
 * values of at most XROBOTS_MAX_VALUE bytes are kept (the rest are left
 * out; a longer value is cut at a character boundary).
 */
#ifndef KCRAWL_FETCHER_XROBOTS_H
#define KCRAWL_FETCHER_XROBOTS_H

#include <curl/curl.h>

#define XROBOTS_MAX_VALUES 32
#define XROBOTS_MAX_VALUE 4096

/* The JSON array of the last response's X-Robots-Tag values (malloc'd,
 * the caller frees), or NULL when it had none (or memory ran out). */
char *xrobots_json(CURL *easy);

#endif /* KCRAWL_FETCHER_XROBOTS_H */
