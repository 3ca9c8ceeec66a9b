/*
 * utf8.h — UTF-8 validation shared by both stages.
 *
 * Written here because yajl only answers valid/invalid for a whole string,
 * and the stages need the valid prefix (to cut inputs on a character
 * boundary, to find where repair must start).
 */
#ifndef KCRAWL_UTF8_H
#define KCRAWL_UTF8_H

#include <stddef.h>

/* The length of the longest prefix of s[0..len) that is valid UTF-8 and
 * ends on a character boundary (len when all of it is valid). Rejects
 * overlongs, surrogates and code points over U+10FFFF. */
size_t utf8_valid_prefix(const unsigned char *s, size_t len);

/* utf8_repair() flag: also replace U+0000 by U+FFFD (libxml2 reads a NUL
 * byte as the end of some constructs). */
#define UTF8_REPAIR_NUL 0x1

/* The length of the prefix of s[0..len) that utf8_repair() would copy
 * unchanged: utf8_valid_prefix(), and with UTF8_REPAIR_NUL a NUL byte
 * also ends it. Reads ASCII runs eight bytes at a time. */
size_t utf8_repair_prefix(const unsigned char *s, size_t len, int flags);

/*
 * Copies s[0..len) into a new malloc'd, NUL-terminated buffer with each
 * maximal invalid subsequence replaced by U+FFFD (the WHATWG decoder's
 * rule). flags: UTF8_REPAIR_NUL. Returns 0 with *out / *out_len set (the
 * caller frees *out), or -1 on allocation failure.
 */
int utf8_repair(const unsigned char *s, size_t len, int flags, char **out,
                size_t *out_len);

/* The length (2 to 4) of the valid UTF-8 character that s[0, avail)
 * starts with, for a lead byte s[0] >= 0x80; 0 when it is not one. The
 * second byte's range rules out overlongs, surrogates and code points
 * over U+10FFFF (the Unicode Standard's table 3-7). Inline: every
 * validating loop of both stages calls it per non-ASCII character. */
static inline size_t utf8_char_len(const unsigned char *s, size_t avail)
{
        unsigned char c = s[0], lo = 0x80, hi = 0xBF;
        size_t n;

        if (c >= 0xC2 && c <= 0xDF) {
                n = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
                n = 3;
                if (c == 0xE0)
                        lo = 0xA0;
                else if (c == 0xED)
                        hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
                n = 4;
                if (c == 0xF0)
                        lo = 0x90;
                else if (c == 0xF4)
                        hi = 0x8F;
        } else {
                return 0;
        }
        if (avail < n || s[1] < lo || s[1] > hi)
                return 0;
        for (size_t k = 2; k < n; k++)
                if ((s[k] & 0xC0) != 0x80)
                        return 0;
        return n;
}

#endif /* KCRAWL_UTF8_H */
