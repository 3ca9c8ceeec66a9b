/*
 * charset.h — a page's bytes to valid UTF-8: charset detection (byte order
 * mark, Content-Type header, <meta> prescan), conversion with glibc's iconv,
 * and UTF-8 repair.
 *
 * Labels are mapped the way browsers map them (WHATWG Encoding Standard):
 * "iso-8859-1", "us-ascii" and "latin1" decode as windows-1252, "gb2312" as
 * GBK, "shift_jis" as windows-31j, "euc-kr" as windows-949, and so on. A
 * label neither the table nor iconv knows decodes as UTF-8.
 *
 * Thread-safety: every function may be called from several threads at once;
 * none keeps state between calls.
 */
#ifndef KCRAWL_CHARSET_H
#define KCRAWL_CHARSET_H

#include <stddef.h>

#include "utf8.h"

/* How many leading bytes of a page the <meta> prescan looks at. */
#define CHARSET_PRESCAN_MAX 4096

/* Longest charset label considered; longer ones are unknown. */
#define CHARSET_LABEL_MAX 40

/*
 * Writes the charset parameter of a Content-Type header value (unquoted,
 * as written) into buf. Returns 1 when found and it fits, else 0.
 */
int charset_from_content_type(const char *content_type, char *buf,
                              size_t size);

/*
 * The HTML Standard's prescan for <meta charset> or <meta http-equiv=
 * "Content-Type" content="...charset=...">, over the first
 * CHARSET_PRESCAN_MAX bytes of body. Writes the label into buf and returns 1
 * when found, else 0. A UTF-16 label found this way means UTF-8, as the
 * Standard says (the bytes were readable as ASCII, so they are not UTF-16).
 */
int charset_prescan(const unsigned char *body, size_t len, char *buf,
                    size_t size);

/*
 * Decodes a page body to valid UTF-8. The charset is the byte order mark's,
 * else content_type's charset parameter (may be NULL), else the prescan's,
 * else UTF-8. Non-UTF-8 bytes go through iconv; bytes iconv cannot convert
 * and every invalid UTF-8 sequence become U+FFFD, and U+0000 too.
 *
 * On success returns 0 and sets *utf8 / *utf8_len to the decoded text:
 * either a pointer into body (when it was valid UTF-8 already; *owned is
 * then NULL) or a malloc'd buffer also stored in *owned, which the caller
 * frees. The text is NUL-terminated only when owned. Returns -1 with
 * errstr on allocation failure.
 */
int charset_decode(const char *content_type, const unsigned char *body,
                   size_t len, const char **utf8, size_t *utf8_len,
                   char **owned, char *errstr, size_t errstr_size);

/* utf8_valid_prefix() and utf8_repair() are shared/utf8.h's. */

#endif /* KCRAWL_CHARSET_H */
