/*
 * utf8.h — UTF-8 validation, decoding and repair shared by both stages.
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

/*
 * The lead-byte table (the Unicode Standard's table 3-7): for a lead byte
 * c >= 0x80, the length (2 to 4) of the character it starts and the range
 * [*lo, *hi] of its second byte, which rules out overlongs, surrogates and
 * code points over U+10FFFF; 0 when c starts no character. The project's
 * one table: validation (utf8_char_len()), utf8_repair() and the URL
 * parser's decoding (utf8_decode_step()) all read it.
 */
static inline size_t utf8_lead(unsigned char c, unsigned char *lo,
                               unsigned char *hi)
{
        *lo = 0x80;
        *hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
                return 2;
        if (c >= 0xE0 && c <= 0xEF) {
                if (c == 0xE0)
                        *lo = 0xA0;
                else if (c == 0xED)
                        *hi = 0x9F;
                return 3;
        }
        if (c >= 0xF0 && c <= 0xF4) {
                if (c == 0xF0)
                        *lo = 0x90;
                else if (c == 0xF4)
                        *hi = 0x8F;
                return 4;
        }
        return 0;
}

/* The length (2 to 4) of the valid UTF-8 character that s[0, avail)
 * starts with, for a lead byte s[0] >= 0x80; 0 when it is not one.
 * Inline: every validating loop of both stages calls it per non-ASCII
 * character. */
static inline size_t utf8_char_len(const unsigned char *s, size_t avail)
{
        unsigned char lo, hi;
        size_t n = utf8_lead(s[0], &lo, &hi);

        if (n == 0 || avail < n || s[1] < lo || s[1] > hi)
                return 0;
        for (size_t k = 2; k < n; k++)
                if ((s[k] & 0xC0) != 0x80)
                        return 0;
        return n;
}

/*
 * One step of the Encoding Standard's (WHATWG) UTF-8 decoder at a lead
 * byte s[0] >= 0x80 of s[0, avail): returns how many bytes it reads, n.
 * *valid is 1 when s[0, n) is one well-formed character (n 2 to 4); 0
 * when s[0, n) is a maximal ill-formed subsequence (n 1 to 3), which a
 * decoder replaces by one U+FFFD before going on at s[n].
 */
static inline size_t utf8_decode_step(const unsigned char *s, size_t avail,
                                      int *valid)
{
        unsigned char lo, hi;
        size_t n = utf8_char_len(s, avail), k;

        *valid = n != 0;
        if (n)
                return n;
        /* The lead byte and the continuation bytes that fit; the byte that
         * does not fit starts afresh. */
        n = utf8_lead(s[0], &lo, &hi);
        k = 1;
        if (n && avail > 1 && s[1] >= lo && s[1] <= hi) {
                k = 2;
                while (k < n && k < avail && (s[k] & 0xC0) == 0x80)
                        k++;
        }
        return k;
}

#endif /* KCRAWL_UTF8_H */
