/*
 * utf8.c — UTF-8 validation and repair (see utf8.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

size_t utf8_valid_prefix(const unsigned char *s, size_t len)
{
        size_t i = 0;

        while (i < len) {
                size_t n;

                if (s[i] < 0x80) {
                        i++;
                        continue;
                }
                n = utf8_char_len(s + i, len - i);
                if (n == 0)
                        return i; /* invalid or truncated */
                i += n;
        }
        return i;
}

size_t utf8_repair_prefix(const unsigned char *s, size_t len, int flags)
{
        size_t i = 0;

        while (i < len) {
                unsigned char c = s[i];
                size_t n;

                if (c < 0x80) {
                        /* ASCII runs eight bytes at a time. */
                        while (i + 8 <= len) {
                                uint64_t v;

                                memcpy(&v, s + i, 8);
                                if (v & UINT64_C(0x8080808080808080))
                                        break;
                                if ((flags & UTF8_REPAIR_NUL) &&
                                    ((v - UINT64_C(0x0101010101010101)) & ~v &
                                     UINT64_C(0x8080808080808080)))
                                        break;
                                i += 8;
                        }
                        if (i >= len)
                                break;
                        c = s[i];
                        if (c < 0x80) {
                                if (c == 0 && (flags & UTF8_REPAIR_NUL))
                                        return i;
                                i++;
                                continue;
                        }
                }
                n = utf8_char_len(s + i, len - i);
                if (n == 0)
                        return i;
                i += n;
        }
        return len;
}

int utf8_repair(const unsigned char *s, size_t len, int flags, char **out,
                size_t *out_len)
{
        size_t prefix, cap, i, o;
        unsigned char *d;

        *out = NULL;
        *out_len = 0;
        prefix = utf8_repair_prefix(s, len, flags);
        /* An invalid byte becomes at most three. */
        if (len - prefix > (SIZE_MAX - len - 1) / 2)
                return -1;
        cap = len + 2 * (len - prefix) + 1;
        d = malloc(cap);
        if (d == NULL)
                return -1;
        memcpy(d, s, prefix);
        o = prefix;
        i = prefix;
        while (i < len) {
                unsigned char c = s[i];
                size_t n;
                int valid;

                if (c < 0x80) {
                        if (c == 0 && (flags & UTF8_REPAIR_NUL)) {
                                memcpy(d + o, "\xEF\xBF\xBD", 3);
                                o += 3;
                        } else {
                                d[o++] = c;
                        }
                        i++;
                        continue;
                }
                n = utf8_decode_step(s + i, len - i, &valid);
                if (valid) {
                        memcpy(d + o, s + i, n);
                        o += n;
                } else {
                        memcpy(d + o, "\xEF\xBF\xBD", 3);
                        o += 3;
                }
                i += n;
        }
        d[o] = '\0';
        *out = (char *)d;
        *out_len = o;
        return 0;
}
