/*
 * lastmod.h — a sitemap's or feed's date of last change, in one form.
 *
 * Sitemaps write `lastmod` in W3C Datetime (YYYY, YYYY-MM, YYYY-MM-DD,
 * YYYY-MM-DDThh:mm[:ss[.s]]TZD), Atom `updated` in RFC 3339, RSS `pubDate`
 * in RFC 822 ("Wed, 01 May 2024 10:00:00 GMT", two-digit years and the
 * American zone names included) and RSS 1.0's `dc:date` in W3C Datetime
 * again. A consumer comparing dates across sites wants one form:
 *   - a date alone becomes YYYY-MM-DD (a missing month or day is 01:
 *     "2024" -> "2024-01-01"), with no zone, as the site gave none;
 *   - a date with a time becomes RFC 3339 in UTC, to the second:
 *     "2024-05-01T12:00:00+02:00" -> "2024-05-01T10:00:00Z" (a fraction of
 *     a second is dropped; a time without a zone, which W3C Datetime does
 *     not allow but sites write, is read as UTC; a leap second 60 is 59).
 * Anything else — another format, an impossible date (2024-02-30, month
 * 13, hour 24), a year outside 1000..9999, trailing text — is not a date:
 * the caller drops it (and counts it). Strict on purpose: a date that is
 * guessed at is worse than none for change detection.
 */
#ifndef KCRAWL_LASTMOD_H
#define KCRAWL_LASTMOD_H

#include <stddef.h>

/* Longest output: "YYYY-MM-DDThh:mm:ssZ" and its NUL. */
#define LASTMOD_NORM_SIZE 21

/* Normalises s[0, n) (white space around it is ignored) into out (at least
 * LASTMOD_NORM_SIZE bytes). Returns 0, or -1 when it is not a date (out is
 * then ""). Thread-safe, no allocation. */
int lastmod_normalise(const char *s, size_t n, char *out, size_t size);

#endif /* KCRAWL_LASTMOD_H */
