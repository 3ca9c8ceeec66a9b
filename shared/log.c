/*
 * log.c — JSON log lines on stderr (see log.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define LOG_LINE_MAX 4096

static const char *log_component = "kcrawl";
static log_level_t log_min = LOG_INFO;
static const char *level_names[] = { "debug", "info", "warn", "error" };

void log_init(const char *component, log_level_t level)
{
        log_component = component;
        log_min = level;
}

int log_level_parse(const char *s, log_level_t *level)
{
        for (int i = 0; i < 4; i++) {
                if (!strcmp(s, level_names[i])) {
                        *level = (log_level_t)i;
                        return 0;
                }
        }
        return -1;
}

/* Appends printf output; the line is cut (not overrun) when full. */
#define APPEND(...) do {                                                  \
        if (n < sizeof(line)) {                                           \
                int w_ = snprintf(line + n, sizeof(line) - n, __VA_ARGS__); \
                n = w_ < 0 ? sizeof(line) : n + (size_t)w_;               \
        }                                                                 \
} while (0)

/* Appends s as a JSON string body, escaping what JSON requires. Bytes
 * >= 0x80 pass through: messages and fields are UTF-8 by contract, and a
 * log line is for people; records are where strict validity is enforced. */
static size_t append_escaped(char *line, size_t n, size_t cap, const char *s)
{
        for (; s && *s && n + 8 < cap; s++) {
                unsigned char c = (unsigned char)*s;

                if (c == '"' || c == '\\') {
                        line[n++] = '\\';
                        line[n++] = (char)c;
                } else if (c < 0x20) {
                        n += (size_t)snprintf(line + n, cap - n, "\\u%04x", c);
                } else {
                        line[n++] = (char)c;
                }
        }
        return n;
}

void log_emit(log_level_t level, const char *msg, const log_field_t *fields)
{
        char line[LOG_LINE_MAX];
        char ts[CLOCK_RFC3339_SIZE];
        size_t n = 0;

        if (level < log_min)
                return;

        APPEND("{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"%s\","
               "\"msg\":\"", clock_rfc3339(ts, sizeof(ts)),
               level_names[level], log_component);
        n = append_escaped(line, n, sizeof(line), msg);
        APPEND("\"");
        for (const log_field_t *f = fields; f && f->key; f++) {
                APPEND(",\"%s\":", f->key);
                switch (f->type) {
                case 's':
                        if (!f->s) {
                                APPEND("null");
                                break;
                        }
                        APPEND("\"");
                        n = append_escaped(line, n, sizeof(line), f->s);
                        APPEND("\"");
                        break;
                case 'i':
                        APPEND("%lld", (long long)f->i);
                        break;
                default:
                        APPEND("%.6g", f->f);
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
