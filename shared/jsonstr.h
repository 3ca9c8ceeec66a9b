/*
 * jsonstr.h — the one JSON string escaper: record strings (the cleaner)
 * and log lines (log.c).
 *
 * Written here rather than left to yajl_gen_string(): yajl escapes one byte
 * at a time through its print callback, which took an eighth of the
 * extraction's time on text-heavy pages; this one checks eight bytes at a
 * time and validates UTF-8 strictly in the same pass (yajl's own check
 * lets overlongs and surrogates through). The output is byte for byte what
 * yajl_gen_string() writes for valid UTF-8 (test_jsonstr.c compares them):
 * '"' and '\' escaped, \b \f \n \r \t, other control characters as \u00XX
 * (upper-case hex), '/' and non-ASCII characters as they are. yajl still
 * writes the structure around it (see cleaner/jsonvalue.h). Log lines ask
 * for every control character as \u00xx in lower-case hex
 * (JSON_QUOTE_CTRL_HEX), the form they have always had.
 */
#ifndef KCRAWL_JSONSTR_H
#define KCRAWL_JSONSTR_H

#include <stddef.h>

/*
 * Appends s[0, n) as a JSON string literal, quotes included, to the
 * malloc'd buffer *data (*len bytes used of *cap; realloc'd as needed, kept
 * NUL-terminated, never longer than max bytes). Returns 0 when appended, 1
 * when s is not strictly valid UTF-8 (nothing appended: *len is unchanged),
 * -1 when out of memory or over max (*len unchanged). When *cap > max,
 * *data is never reallocated, so a caller may pass a fixed buffer of *cap
 * bytes.
 */
int json_quote(char **data, size_t *len, size_t *cap, size_t max,
               const unsigned char *s, size_t n);

/* json_quote() flag: every control character as \u00xx, lower-case hex
 * (no \n, \t ... short forms). */
#define JSON_QUOTE_CTRL_HEX 0x1

/* json_quote() with flags (JSON_QUOTE_CTRL_HEX). */
int json_quote_flags(char **data, size_t *len, size_t *cap, size_t max,
                     const unsigned char *s, size_t n, int flags);

#endif /* KCRAWL_JSONSTR_H */
