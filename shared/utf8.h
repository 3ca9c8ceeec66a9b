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

#endif /* KCRAWL_UTF8_H */
