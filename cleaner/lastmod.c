/*
 * lastmod.c — sitemap and feed dates to one form (see lastmod.h).
 *
 * Two strict readers, W3C Datetime (RFC 3339 is a profile of it) and
 * RFC 822 / RFC 2822 (RSS), ending in the same fields; a time with its
 * zone is moved to UTC through days since 1970 (Howard Hinnant's
 * days_from_civil, exact over the whole proleptic Gregorian calendar).
 * Not articlemeta_date(): that one reads what a page's text says a date
 * is, leniently, and keeps the zone; a sitemap's date is a protocol value.
 */
#include "lastmod.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct when {
        int y, mo, d;
        int has_time;
        int hh, mm, ss;
        int zone_min; /* offset east of UTC, minutes */
} when_t;

static int is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static int is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
               c == '\v';
}

/* Exactly n digits at *p (advanced past them). */
static int take_digits(const char **p, const char *end, int n, int *v)
{
        int x = 0;

        if (end - *p < n)
                return -1;
        for (int i = 0; i < n; i++) {
                if (!is_digit((*p)[i]))
                        return -1;
                x = x * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *v = x;
        return 0;
}

static int days_in_month(int y, int mo)
{
        static const int dm[12] = { 31, 28, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31 };

        if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return 29;
        return dm[mo - 1];
}

static int when_valid(const when_t *w)
{
        if (w->y < 1000 || w->y > 9999 || w->mo < 1 || w->mo > 12 ||
            w->d < 1 || w->d > days_in_month(w->y, w->mo))
                return 0;
        if (w->has_time && (w->hh > 23 || w->mm > 59 || w->ss > 60 ||
                            w->zone_min < -1440 || w->zone_min > 1440))
                return 0;
        return 1;
}

/* A zone after a time: Z, +hh:mm, +hhmm or +hh (- likewise). 0 or -1. */
static int take_offset(const char **p, const char *end, int *zone_min)
{
        int sign, zh, zm = 0;

        if (*p < end && (**p == 'Z' || **p == 'z')) {
                (*p)++;
                *zone_min = 0;
                return 0;
        }
        if (*p >= end || (**p != '+' && **p != '-'))
                return -1;
        sign = **p == '-' ? -1 : 1;
        (*p)++;
        if (take_digits(p, end, 2, &zh))
                return -1;
        if (*p < end && **p == ':') {
                (*p)++;
                if (take_digits(p, end, 2, &zm))
                        return -1;
        } else if (*p < end && is_digit(**p)) {
                if (take_digits(p, end, 2, &zm))
                        return -1;
        }
        if (zh > 23 || zm > 59)
                return -1;
        *zone_min = sign * (zh * 60 + zm);
        return 0;
}

/* hh:mm[:ss[.fraction]] */
static int take_clock(const char **p, const char *end, when_t *w)
{
        if (take_digits(p, end, 2, &w->hh) || *p >= end || **p != ':')
                return -1;
        (*p)++;
        if (take_digits(p, end, 2, &w->mm))
                return -1;
        w->ss = 0;
        if (*p < end && **p == ':') {
                (*p)++;
                if (take_digits(p, end, 2, &w->ss))
                        return -1;
                if (*p < end && (**p == '.' || **p == ',')) {
                        (*p)++;
                        if (*p >= end || !is_digit(**p))
                                return -1;
                        while (*p < end && is_digit(**p))
                                (*p)++;
                }
        }
        w->has_time = 1;
        return 0;
}

/* W3C Datetime: YYYY[-MM[-DD[Thh:mm[:ss[.s]][TZD]]]]; 'T' may be a space
 * or a 't', the zone absent (UTC). */
static int read_w3c(const char *p, const char *end, when_t *w)
{
        memset(w, 0, sizeof(*w));
        w->mo = w->d = 1;
        if (take_digits(&p, end, 4, &w->y))
                return -1;
        if (p < end && *p == '-') {
                p++;
                if (take_digits(&p, end, 2, &w->mo))
                        return -1;
                if (p < end && *p == '-') {
                        p++;
                        if (take_digits(&p, end, 2, &w->d))
                                return -1;
                        if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
                                p++;
                                if (take_clock(&p, end, w))
                                        return -1;
                                if (p < end &&
                                    take_offset(&p, end, &w->zone_min))
                                        return -1;
                        }
                }
        }
        return p == end ? 0 : -1;
}

static int month_name(const char *s, size_t n)
{
        static const char *const m[12] = { "jan", "feb", "mar", "apr",
                                           "may", "jun", "jul", "aug",
                                           "sep", "oct", "nov", "dec" };

        if (n != 3)
                return 0;
        for (int i = 0; i < 12; i++)
                if (strncasecmp(s, m[i], 3) == 0)
                        return i + 1;
        return 0;
}

/* RFC 822 zone names (section 5; military letters other than Z are
 * ambiguous by RFC 2822 section 4.3 and are not read). */
static int zone_name(const char *s, size_t n, int *zone_min)
{
        static const struct {
                const char *name;
                int min;
        } z[] = { { "GMT", 0 },       { "UT", 0 },        { "UTC", 0 },
                  { "Z", 0 },         { "EST", -5 * 60 }, { "EDT", -4 * 60 },
                  { "CST", -6 * 60 }, { "CDT", -5 * 60 }, { "MST", -7 * 60 },
                  { "MDT", -6 * 60 }, { "PST", -8 * 60 }, { "PDT", -7 * 60 } };

        for (size_t i = 0; i < sizeof(z) / sizeof(*z); i++)
                if (strlen(z[i].name) == n &&
                    strncasecmp(s, z[i].name, n) == 0) {
                        *zone_min = z[i].min;
                        return 0;
                }
        return -1;
}

static void skip_spaces(const char **p, const char *end)
{
        while (*p < end && is_space(**p))
                (*p)++;
}

static size_t word_len(const char *p, const char *end)
{
        size_t n = 0;

        while (p + n < end &&
               ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z')))
                n++;
        return n;
}

/* RFC 822 / 2822: [Day[,]] D[D] Mon YY[YY] hh:mm[:ss] [zone]; a two-digit
 * year is 19YY from 50 on, else 20YY (RFC 2822 section 4.3). */
static int read_822(const char *p, const char *end, when_t *w)
{
        size_t n;
        int nd = 0;

        memset(w, 0, sizeof(*w));
        n = word_len(p, end);
        if (n > 0) { /* the day name, not checked against the date */
                p += n;
                if (p < end && *p == ',')
                        p++;
                skip_spaces(&p, end);
        }
        while (p < end && is_digit(*p) && nd < 2) {
                w->d = w->d * 10 + (*p++ - '0');
                nd++;
        }
        if (nd == 0 || p >= end || !is_space(*p))
                return -1;
        skip_spaces(&p, end);
        n = word_len(p, end);
        w->mo = month_name(p, n);
        if (w->mo == 0)
                return -1;
        p += n;
        if (p >= end || !is_space(*p))
                return -1;
        skip_spaces(&p, end);
        nd = 0;
        while (p + nd < end && is_digit(p[nd]))
                nd++;
        if (nd == 4) {
                (void)take_digits(&p, end, 4, &w->y);
        } else if (nd == 2) {
                (void)take_digits(&p, end, 2, &w->y);
                w->y += w->y >= 50 ? 1900 : 2000;
        } else {
                return -1;
        }
        if (p >= end || !is_space(*p))
                return -1;
        skip_spaces(&p, end);
        if (take_clock(&p, end, w))
                return -1;
        skip_spaces(&p, end);
        if (p == end)
                return 0; /* no zone: UTC */
        if (*p == '+' || *p == '-')
                return take_offset(&p, end, &w->zone_min) == 0 && p == end
                               ? 0
                               : -1;
        n = word_len(p, end);
        if (n == 0 || p + n != end)
                return -1;
        return zone_name(p, n, &w->zone_min);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long long days_from_civil(int y, int m, int d)
{
        long long yy = m <= 2 ? y - 1 : y;
        long long era = (yy >= 0 ? yy : yy - 399) / 400;
        long long yoe = yy - era * 400;
        long long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

        return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
        long long era, doe, yoe, doy, mp;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = (int)(yoe + era * 400 + (*m <= 2));
}

int lastmod_normalise(const char *s, size_t n, char *out, size_t size)
{
        const char *end = s + n;
        when_t w;
        long long t;
        int y, mo, d;

        if (size < LASTMOD_NORM_SIZE)
                return -1;
        out[0] = '\0';
        while (s < end && is_space(*s))
                s++;
        while (end > s && is_space(end[-1]))
                end--;
        if (s == end)
                return -1;
        if (read_w3c(s, end, &w) != 0 && read_822(s, end, &w) != 0)
                return -1;
        if (!when_valid(&w))
                return -1;
        if (!w.has_time) {
                snprintf(out, size, "%04d-%02d-%02d", w.y, w.mo, w.d);
                return 0;
        }
        if (w.ss == 60)
                w.ss = 59;
        t = days_from_civil(w.y, w.mo, w.d) * 86400 + w.hh * 3600 + w.mm * 60 +
            w.ss - (long long)w.zone_min * 60;
        civil_from_days(t >= 0 ? t / 86400 : (t - 86399) / 86400, &y, &mo, &d);
        t -= days_from_civil(y, mo, d) * 86400;
        if (y < 1000 || y > 9999)
                return -1;
        snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d,
                 (int)(t / 3600), (int)(t / 60 % 60), (int)(t % 60));
        return 0;
}
