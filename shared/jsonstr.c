/*
 * jsonstr.c — JSON string literals (see jsonstr.h for why by hand).
 */
#include "dynbuf.h"
#include "jsonstr.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Non-zero when one of the eight bytes of v needs a closer look: a control
 * character, '"', '\' or a byte of a multi-byte character. Exact for
 * "any": a borrow only ever starts at a byte that is itself flagged. */
static inline uint64_t needs_look(uint64_t v)
{
        return ((v - ONES * 0x20) | ((v ^ (ONES * '"')) - ONES) |
                ((v ^ (ONES * '\\')) - ONES) | v) &
               HIGHS;
}

/* Room for want more bytes and the NUL (dynbuf.h's growth rule). */
static int reserve(char **data, size_t *cap, size_t used, size_t want,
                   size_t max)
{
        return dynbuf_room(data, cap, used, want, max) < 0 ? -1 : 0;
}

int json_quote(char **data, size_t *len, size_t *cap, size_t max,
               const unsigned char *s, size_t n)
{
        return json_quote_flags(data, len, cap, max, s, n, 0);
}

int json_quote_flags(char **data, size_t *len, size_t *cap, size_t max,
                     const unsigned char *s, size_t n, int flags)
{
        const char *hex = (flags & JSON_QUOTE_CTRL_HEX) ? "0123456789abcdef"
                                                        : "0123456789ABCDEF";
        size_t start = *len, i = 0, o;
        char *d;

        /* The common case, nothing to escape, needs n + 2 bytes; each
         * escape reserves its extra bytes when it comes. */
        if (reserve(data, cap, start, n + 2, max) < 0)
                return -1;
        d = *data;
        o = start;
        d[o++] = '"';
        while (i < n) {
                size_t run = i;
                unsigned char c;
                const char *esc;
                char u[6];
                size_t elen;

                /* Bytes that go out as they are, eight at a time. */
                while (run + 8 <= n) {
                        uint64_t v;

                        memcpy(&v, s + run, 8);
                        if (needs_look(v))
                                break;
                        run += 8;
                }
                while (run < n && s[run] >= 0x20 && s[run] < 0x80 &&
                       s[run] != '"' && s[run] != '\\')
                        run++;
                memcpy(d + o, s + i, run - i);
                o += run - i;
                i = run;
                if (i >= n)
                        break;
                c = s[i];
                if (c >= 0x80) {
                        size_t k = utf8_char_len(s + i, n - i);

                        if (k == 0) {
                                *len = start;
                                (*data)[start] = '\0';
                                return 1;
                        }
                        memcpy(d + o, s + i, k);
                        o += k;
                        i += k;
                        continue;
                }
                switch ((flags & JSON_QUOTE_CTRL_HEX) && c < 0x20 ? 0 : c) {
                case '"':
                        esc = "\\\"";
                        break;
                case '\\':
                        esc = "\\\\";
                        break;
                case '\b':
                        esc = "\\b";
                        break;
                case '\f':
                        esc = "\\f";
                        break;
                case '\n':
                        esc = "\\n";
                        break;
                case '\r':
                        esc = "\\r";
                        break;
                case '\t':
                        esc = "\\t";
                        break;
                default:
                        memcpy(u, "\\u00", 4);
                        u[4] = hex[c >> 4];
                        u[5] = hex[c & 15];
                        esc = NULL;
                        break;
                }
                elen = esc ? 2 : 6;
                /* One input byte was counted already. */
                if (reserve(data, cap, o, elen - 1 + (n - i) + 1, max) < 0) {
                        *len = start;
                        (*data)[start] = '\0';
                        return -1;
                }
                d = *data;
                memcpy(d + o, esc ? esc : u, elen);
                o += elen;
                i++;
        }
        d[o++] = '"';
        d[o] = '\0';
        *len = o;
        return 0;
}
