/*
 * clock.h — the two clocks the pipeline uses: monotonic milliseconds for
 * timers and durations, and wall-clock RFC 3339 UTC timestamps (with
 * milliseconds) for headers, records and logs.
 */
#ifndef KCRAWL_CLOCK_H
#define KCRAWL_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CLOCK_RFC3339_SIZE 32

/* The time of clock clk (CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
 * CLOCK_THREAD_CPUTIME_ID ...) in nanoseconds; 0 when it cannot be read. */
int64_t clock_ns(clockid_t clk);

/* Monotonic time in milliseconds (CLOCK_MONOTONIC). */
int64_t clock_mono_ms(void);

/* Monotonic time in seconds with its fraction (CLOCK_MONOTONIC), for
 * durations observed into metrics. */
double clock_mono_s(void);

/* Writes the current UTC time as "2026-11-25T19:36:16.123Z" into buf
 * (at least CLOCK_RFC3339_SIZE bytes). Returns buf. */
char *clock_rfc3339(char *buf, size_t size);

#endif /* KCRAWL_CLOCK_H */
