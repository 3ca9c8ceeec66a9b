/*
 * utf8.c — UTF-8 validation (see utf8.h).
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
                unsigned char c = s[i], lo = 0x80, hi = 0xBF;
                size_t need, j, k;

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
                if (c >= 0xC2 && c <= 0xDF) {
                        need = 1;
                } else if (c >= 0xE0 && c <= 0xEF) {
                        need = 2;
                        if (c == 0xE0)
                                lo = 0xA0;
                        else if (c == 0xED)
                                hi = 0x9F;
                } else if (c >= 0xF0 && c <= 0xF4) {
                        need = 3;
                        if (c == 0xF0)
                                lo = 0x90;
                        else if (c == 0xF4)
                                hi = 0x8F;
                } else {
                        memcpy(d + o, "\xEF\xBF\xBD", 3);
                        o += 3;
                        i++;
                        continue;
                }
                /* The maximal subpart: the lead byte and the continuation
                 * bytes that fit, replaced by one U+FFFD; the byte that
                 * did not fit starts afresh. */
                j = i + 1;
                for (k = 0; k < need; k++, j++) {
                        if (j >= len)
                                break;
                        if (k == 0 ? (s[j] < lo || s[j] > hi)
                                   : (s[j] & 0xC0) != 0x80)
                                break;
                }
                if (k == need) {
                        memcpy(d + o, s + i, j - i);
                        o += j - i;
                } else {
                        memcpy(d + o, "\xEF\xBF\xBD", 3);
                        o += 3;
                }
                i = j;
        }
        d[o] = '\0';
        *out = (char *)d;
        *out_len = o;
        return 0;
}
