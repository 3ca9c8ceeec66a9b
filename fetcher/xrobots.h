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

/* The last value of response header `name` of the last response (its
 * valid UTF-8 prefix, at most XROBOTS_MAX_VALUE bytes; malloc'd), or NULL
 * when absent. For the TDMRep headers tdm-reservation and tdm-policy. */
char *xrobots_header(CURL *easy, const char *name);

/* Whether a tdm-reservation value reserves text and data mining: "1"
 * (TDMRep: 1 reserved, 0 not), white space around it ignored. */
int xrobots_tdm_reserved(const char *value);

#endif /* KCRAWL_FETCHER_XROBOTS_H */
