/*
 * log.c — JSON log lines on stderr (see log.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "jsonstr.h"
#include "log.h"
#include "utf8.h"

#define LOG_LINE_MAX 4096

static const char *log_component = "kcrawl";
static log_level_t log_min = LOG_INFO;
const char *const log_level_names[] = { "debug", "info", "warn", "error",
                                        NULL };

void log_init(const char *component, log_level_t level)
{
        log_component = component;
        log_min = level;
}

/* Appends printf output; the line is cut (not overrun) when full. */
#define APPEND(...)                                                   \
        do {                                                          \
                if (n < sizeof(line)) {                               \
                        int w_ = snprintf(line + n, sizeof(line) - n, \
                                          __VA_ARGS__);               \
                        n = w_ < 0 ? sizeof(line) : n + (size_t)w_;   \
                }                                                     \
        } while (0)

/* Room kept after a string for what ends the line ("}\n"). */
#define LOG_TAIL 8

/*
 * Appends s as a JSON string literal, quotes included, by json_quote()
 * (controls as \u00xx, the log's form) into the fixed line (never
 * reallocated: its cap is above the max passed). Invalid UTF-8, which
 * messages and fields should not hold but a peer's text may, is repaired
 * (U+FFFD) so the line stays valid JSON. A string too long for the line is
 * cut on a character boundary. NULL is written as "".
 */
static size_t append_quoted(char *line, size_t n, size_t cap, const char *s)
{
        const unsigned char *u = (const unsigned char *)(s ? s : "");
        size_t len = strlen((const char *)u), lo = 0, hi, k;
        size_t max = cap - LOG_TAIL, used = n;
        char *repaired = NULL, *data = line;
        size_t rlen;
        int rc;

        if (n >= max)
                return n;
        if (utf8_valid_prefix(u, len) != len) {
                if (utf8_repair(u, len, 0, &repaired, &rlen) < 0) {
                        len = utf8_valid_prefix(u, len); /* OOM: cut */
                } else {
                        u = (const unsigned char *)repaired;
                        len = rlen;
                }
        }
        rc = json_quote_flags(&data, &used, &cap, max, u, len,
                              JSON_QUOTE_CTRL_HEX);
        if (rc < 0) {
                /* Too long: the longest prefix that fits, by halving. */
                hi = len;
                while (lo + 1 < hi) {
                        k = lo + (hi - lo) / 2;
                        used = n;
                        if (json_quote_flags(&data, &used, &cap, max, u,
                                             utf8_valid_prefix(u, k),
                                             JSON_QUOTE_CTRL_HEX) == 0)
                                lo = k;
                        else
                                hi = k;
                }
                used = n;
                rc = json_quote_flags(&data, &used, &cap, max, u,
                                      utf8_valid_prefix(u, lo),
                                      JSON_QUOTE_CTRL_HEX);
        }
        free(repaired);
        return rc == 0 ? used : n;
}

void log_emit(log_level_t level, const char *msg, const log_field_t *fields)
{
        char line[LOG_LINE_MAX];
        char ts[CLOCK_RFC3339_SIZE];
        size_t n = 0;

        if (level < log_min)
                return;

        APPEND("{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"%s\","
               "\"msg\":",
               clock_rfc3339(ts, sizeof(ts)), log_level_names[level],
               log_component);
        n = append_quoted(line, n, sizeof(line), msg);
        for (const log_field_t *f = fields; f && f->key; f++) {
                size_t n0 = n, nv;

                APPEND(",\"%s\":", f->key);
                nv = n;
                switch (f->type) {
                case 's':
                        if (!f->s) {
                                APPEND("null");
                                break;
                        }
                        n = append_quoted(line, n, sizeof(line), f->s);
                        break;
                case 'i':
                        APPEND("%lld", (long long)f->i);
                        break;
                default:
                        APPEND("%.6g", f->f);
                        break;
                }
                if (n == nv || n > sizeof(line) - LOG_TAIL) {
                        n = n0; /* a field that does not fit is left out */
                        break;
                }
        }
        if (n > sizeof(line) - 3)
                n = sizeof(line) - 3; /* cut: keep the line parseable-ish */
        line[n++] = '}';
        line[n++] = '\n';
        if (write(STDERR_FILENO, line, n) < 0) {
                /* Nowhere left to report it. */
        }
}
