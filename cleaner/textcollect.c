/*
 * textcollect.c — the whitespace-collapsing text collector (see
 * textcollect.h). Most of a page's bytes go through collector_add(), so it
 * reads eight bytes at a time where it can.
 */
#include "textcollect.h"

#include <stdint.h>
#include <string.h>

static int is_ws(int c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
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
 * whitespace byte (or of a U+00A0) at or after i, or len. Eight bytes at a
 * time where the byte order allows: the lowest flagged byte of each mask
 * is exact (a borrow only runs upwards), and candidates that are not
 * whitespace (other control characters, a 0xC2 that starts another
 * character) are stepped over. */
static size_t word_end(const unsigned char *s, size_t i, size_t len)
{
        for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                const uint64_t ones = UINT64_C(0x0101010101010101);
                const uint64_t highs = UINT64_C(0x8080808080808080);

                while (i + 8 <= len) {
                        uint64_t v, c2, m;

                        memcpy(&v, s + i, 8);
                        c2 = v ^ (ones * 0xC2);
                        m = ((v - ones * 0x21) & ~v & highs) |
                            ((c2 - ones) & ~c2 & highs);
                        if (m != 0) {
                                i += (size_t)__builtin_ctzll(m) >> 3;
                                break;
                        }
                        i += 8;
                }
#endif
                while (i < len && s[i] > ' ' && s[i] != 0xC2)
                        i++;
                if (i >= len)
                        return len;
                if (s[i] == 0xC2 ? (i + 1 < len && s[i + 1] == 0xA0)
                                 : is_ws(s[i]))
                        return i;
                i++;
        }
}

/* The end of the run of words joined by single spaces that goes on at
 * s[j] (s[j - 1] is part of a word), counting the words it begins into
 * *words. Eight bytes at a time where they hold no control character, no
 * 0xC2 (U+00A0's first byte), no two spaces in a row and no space at the
 * end: then each space in them begins a word. */
static size_t run_end(const unsigned char *s, size_t j, size_t len,
                      long long *words)
{
        for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                const uint64_t ones = UINT64_C(0x0101010101010101);
                const uint64_t highs = UINT64_C(0x8080808080808080);
                const uint64_t lows = UINT64_C(0x7F7F7F7F7F7F7F7F);

                while (j + 8 <= len) {
                        uint64_t v, c2, sp, z;

                        memcpy(&v, s + j, 8);
                        c2 = v ^ (ones * 0xC2);
                        if ((((v - ones * 0x20) & ~v) | ((c2 - ones) & ~c2)) &
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
                    !(s[j + 1] == 0xC2 && j + 2 < len && s[j + 2] == 0xA0)) {
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
                unsigned char ch = s[i];
                size_t j, n, room;

                if (ch <= ' ' ? is_ws(ch)
                              : (ch == 0xC2 && i + 1 < len &&
                                 s[i + 1] == 0xA0)) {
                        i += ch == 0xC2 ? 2 : 1; /* U+00A0 is two bytes */
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
