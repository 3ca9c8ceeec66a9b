/*
 * clock.c — monotonic milliseconds and RFC 3339 timestamps.
 */
#include <stdio.h>
#include <time.h>

#include "clock.h"

int64_t clock_ns(clockid_t clk)
{
        struct timespec ts;

        if (clock_gettime(clk, &ts) != 0)
                return 0;
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t clock_mono_ms(void)
{
        return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

double clock_mono_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *clock_rfc3339(char *buf, size_t size)
{
        struct timespec ts;
        struct tm tm;

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
        return buf;
}
