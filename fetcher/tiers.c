/*
 * tiers.c — the delay tiers (see tiers.h): the --delay-tiers list, the
 * tier topics' names, and the tier a wait is parked on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"

int tiers_parse(const char *list, long secs[], size_t max, char *errstr,
                size_t errstr_size)
{
        const char *p = list;
        size_t n = 0;

        while (*p == ' ')
                p++;
        if (!*p)
                return 0;
        for (;;) {
                const char *start = p;
                char *end;
                long v, unit = 1;

                errno = 0;
                v = strtol(p, &end, 10);
                if (errno || end == p || *p == '-' || *p == '+') {
                        snprintf(errstr, errstr_size,
                                 "'%s': a delay is a "
                                 "whole number with the unit s, m, h or d "
                                 "(\"2m,10m,1h\")",
                                 list);
                        return -1;
                }
                p = end;
                switch (*p) {
                case 's':
                        unit = 1;
                        p++;
                        break;
                case 'm':
                        unit = 60;
                        p++;
                        break;
                case 'h':
                        unit = 3600;
                        p++;
                        break;
                case 'd':
                        unit = 86400;
                        p++;
                        break;
                default:
                        break;
                }
                while (*p == ' ')
                        p++;
                if (*p && *p != ',') {
                        snprintf(errstr, errstr_size,
                                 "'%s': unknown unit "
                                 "after '%.*s' (s, m, h or d)",
                                 list, (int)(end - start), start);
                        return -1;
                }
                if (v < 1 || v > TIER_MAX_S / unit) {
                        snprintf(errstr, errstr_size,
                                 "'%s': each delay is "
                                 "1 s to %ld d",
                                 list, TIER_MAX_S / 86400);
                        return -1;
                }
                if (n >= max) {
                        snprintf(errstr, errstr_size,
                                 "'%s': at most %zu "
                                 "tiers",
                                 list, max);
                        return -1;
                }
                if (n && v * unit <= secs[n - 1]) {
                        snprintf(errstr, errstr_size,
                                 "'%s': the delays "
                                 "must grow from one tier to the next",
                                 list);
                        return -1;
                }
                secs[n++] = v * unit;
                if (!*p)
                        return (int)n;
                p++; /* the comma */
                while (*p == ' ')
                        p++;
        }
}

void tiers_suffix(long secs, char *buf, size_t size)
{
        if (secs % 86400 == 0)
                snprintf(buf, size, "%ldd", secs / 86400);
        else if (secs % 3600 == 0)
                snprintf(buf, size, "%ldh", secs / 3600);
        else if (secs % 60 == 0)
                snprintf(buf, size, "%ldm", secs / 60);
        else
                snprintf(buf, size, "%lds", secs);
}

int tiers_pick(const int64_t delay_ms[], size_t n, int64_t wait_ms,
               int64_t cap_ms)
{
        int best = -1, shortest = -1;

        for (size_t i = 0; i < n; i++) {
                if (shortest < 0 || delay_ms[i] < delay_ms[shortest])
                        shortest = (int)i;
                if (delay_ms[i] > cap_ms || delay_ms[i] > wait_ms)
                        continue;
                if (best < 0 || delay_ms[i] > delay_ms[best])
                        best = (int)i;
        }
        return best >= 0 ? best : shortest;
}
