/*
 * textcollect.c — the whitespace-collapsing text collector (see
 * textcollect.h). Most of a page's bytes go through collector_add(), so it
 * reads eight bytes at a time where it can.
 */
#include "textcollect.h"

#include <stdint.h>
#include <string.h>

/* By byte: 1 for ASCII whitespace, 2 for the first byte of a Unicode
 * space (text_uspace()), 0 otherwise; one lookup per byte where the scan
 * goes a byte at a time. */
enum { B_WS = 1, B_LEAD = 2 };
static const unsigned char byte_class[256] = {
        ['\t'] = B_WS,   ['\n'] = B_WS,   ['\f'] = B_WS,
        ['\r'] = B_WS,   [' '] = B_WS,    [0xC2] = B_LEAD,
        [0xE1] = B_LEAD, [0xE2] = B_LEAD, [0xE3] = B_LEAD,
};

size_t text_uspace(const unsigned char *s, size_t n)
{
        if (n < 2 || byte_class[s[0]] != B_LEAD)
                return 0;
        if (s[0] == 0xC2)
                return s[1] == 0xA0 ? 2 : 0;
        if (n < 3)
                return 0;
        if (s[0] == 0xE1)
                return s[1] == 0x9A && s[2] == 0x80 ? 3 : 0;
        if (s[0] == 0xE3)
                return s[1] == 0x80 && s[2] == 0x80 ? 3 : 0;
        if (s[1] == 0x81)
                return s[2] == 0x9F ? 3 : 0;
        if (s[1] != 0x80)
                return 0;
        switch (s[2]) {
        case 0x80:
        case 0x81:
        case 0x82:
        case 0x83:
        case 0x84:
        case 0x85:
        case 0x86:
        case 0x87:
        case 0x88:
        case 0x89:
        case 0x8A:
        case 0xA8:
        case 0xA9:
        case 0xAF:
                return 3;
        default:
                return 0;
        }
}

/* The length of the space (ASCII or Unicode) at s[0, n), 0 when none. */
static size_t space_at(const unsigned char *s, size_t n)
{
        switch (byte_class[s[0]]) {
        case B_WS:
                return 1;
        case B_LEAD:
                return text_uspace(s, n);
        default:
                return 0;
        }
}

void collector_start(collector_t *c, dynbuf_t *dst, size_t limit, int depth)
{
        c->dst = dst;
        c->start = dst->len;
        c->limit = limit;
        c->depth = depth;
        c->space = 0;
        c->in_word = 0;
        c->full = 0;
}

/* A block boundary: the next word is a new one, after a space. */
void collector_break(collector_t *c)
{
        c->space = 1;
        c->in_word = 0;
}

/* The end of the word that goes on at s[i]: the index of the first
 * whitespace byte (or of a Unicode space) at or after i, or len. Eight
 * bytes at a time where the byte order allows: the lowest flagged byte of
 * each mask is exact (a borrow only runs upwards), and candidates that are
 * not whitespace (other control characters, a 0xC2 or 0xE0-0xE3 that
 * starts another character) are stepped over. */
static size_t word_end(const unsigned char *s, size_t i, size_t len)
{
        for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                const uint64_t ones = UINT64_C(0x0101010101010101);
                const uint64_t highs = UINT64_C(0x8080808080808080);

                while (i + 8 <= len) {
                        uint64_t v, c2, e0, m;

                        memcpy(&v, s + i, 8);
                        c2 = v ^ (ones * 0xC2);
                        e0 = v ^ (ones * 0xE0); /* below 4: 0xE0-0xE3 */
                        m = ((v - ones * 0x21) & ~v & highs) |
                            ((c2 - ones) & ~c2 & highs) |
                            ((e0 - ones * 4) & ~e0 & highs);
                        if (m != 0) {
                                i += (size_t)__builtin_ctzll(m) >> 3;
                                break;
                        }
                        i += 8;
                }
#endif
                while (i < len && s[i] > ' ' && byte_class[s[i]] == 0)
                        i++;
                if (i >= len)
                        return len;
                if (space_at(s + i, len - i) != 0)
                        return i;
                i++;
        }
}

/* The end of the run of words joined by single spaces that goes on at
 * s[j] (s[j - 1] is part of a word), counting the words it begins into
 * *words. Eight bytes at a time where they hold no control character, no
 * 0xC2 or 0xE0-0xE3 (where Unicode spaces begin), no two spaces in a row
 * and no space at the end: then each space in them begins a word. */
static size_t run_end(const unsigned char *s, size_t j, size_t len,
                      long long *words)
{
        for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                const uint64_t ones = UINT64_C(0x0101010101010101);
                const uint64_t highs = UINT64_C(0x8080808080808080);
                const uint64_t lows = UINT64_C(0x7F7F7F7F7F7F7F7F);

                while (j + 8 <= len) {
                        uint64_t v, c2, e0, sp, z;

                        memcpy(&v, s + j, 8);
                        c2 = v ^ (ones * 0xC2);
                        e0 = v ^ (ones * 0xE0);
                        if ((((v - ones * 0x20) & ~v) | ((c2 - ones) & ~c2) |
                             ((e0 - ones * 4) & ~e0)) &
                            highs)
                                break;
                        /* 0x80 in exactly the bytes that are ' '. */
                        sp = v ^ (ones * ' ');
                        z = ~(((sp & lows) + lows) | sp | lows);
                        if ((z & (z >> 8)) != 0 || (z >> 63) != 0)
                                break;
                        *words += (long long)(((z >> 7) * ones) >> 56);
                        j += 8;
                }
#endif
                j = word_end(s, j, len);
                if (j + 1 < len && s[j] == ' ' && s[j + 1] > ' ' &&
                    text_uspace(s + j + 1, len - j - 1) == 0) {
                        (*words)++;
                        j += 2;
                        continue;
                }
                return j;
        }
}

/* Appends s[0, len) with whitespace runs collapsed to one space and none
 * leading; counts the words begun into *words when not NULL. One pass, one
 * reservation: the collapsed text is at most len + 1 bytes. Words joined
 * by single spaces are copied as one run (word_end()); at the cap the
 * character cut in two and a space left at the end are dropped. */
void collector_add(collector_t *c, const unsigned char *s, size_t len,
                   long long *words, int *oom)
{
        dynbuf_t *dst = c->dst;
        size_t used = dst->len - c->start, avail, want, i;
        unsigned char *o = NULL, *o0 = NULL, *oend = NULL;
        int space = c->space, in_word = c->in_word, full = c->full;
        long long n_words = 0;

        avail = full ? 0 : c->limit - used;
        want = len < avail ? len + 1 : avail;
        if (want > 0) {
                if (dynbuf_reserve(dst, want) < 0) {
                        *oom = 1;
                        return;
                }
                o0 = o = (unsigned char *)dst->data + dst->len;
                oend = o + want;
        }
        i = 0;
        while (i < len) {
                size_t j, n, room, sp = space_at(s + i, len - i);

                if (sp != 0) {
                        i += sp;
                        space = 1;
                        in_word = 0;
                        continue;
                }
                /* The run that is copied as it is: this word, and every
                 * next one after a single ' ' (most of a page's text). */
                j = run_end(s, i + 1, len, &n_words);
                if (!in_word) {
                        in_word = 1;
                        n_words++;
                        if (!full && space && (used > 0 || o > o0)) {
                                if (o < oend)
                                        *o++ = ' ';
                                else
                                        full = 1;
                        }
                        space = 0;
                }
                if (full) {
                        i = j;
                        continue;
                }
                n = j - i;
                room = (size_t)(oend - o);
                if (n <= room) {
                        memcpy(o, s + i, n);
                        o += n;
                        i = j;
                        continue;
                }
                if (room > 0) {
                        memcpy(o, s + i, room);
                        o += room;
                }
                full = 1;
                if ((s[i + room] & 0xC0) == 0x80) {
                        while (o > o0 && (o[-1] & 0xC0) == 0x80)
                                o--;
                        if (o > o0 && o[-1] >= 0xC0)
                                o--;
                }
                if (o > o0 && o[-1] == ' ')
                        o--;
                i = j;
        }
        if (o != NULL) {
                dst->len += (size_t)(o - o0);
                dst->data[dst->len] = '\0';
        }
        c->space = space;
        c->in_word = in_word;
        c->full = full;
        if (words != NULL)
                *words += n_words;
}
