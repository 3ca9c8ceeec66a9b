/*
 * utf8.c — UTF-8 validation (see utf8.h).
 */
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
