/*
 * charset.c — a page's bytes to valid UTF-8 (see charset.h).
 */
#include "charset.h"
#include "dynbuf.h"
#include "utf8.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Labels browsers decode differently from what iconv would do with the
 * label itself (WHATWG Encoding Standard, "Encodings" table). NULL as the
 * name means "not decoded": the label is treated as unknown (UTF-8). */
static const struct {
        const char *label;
        const char *name;
} charset_labels[] = {
        { "utf-8", "UTF-8" },
        { "utf8", "UTF-8" },
        { "unicode-1-1-utf-8", "UTF-8" },
        { "unicode11utf8", "UTF-8" },
        { "unicode20utf8", "UTF-8" },
        { "x-unicode20utf8", "UTF-8" },
        /* Browsers read every Latin-1 and ASCII label as windows-1252:
         * pages so declared use its 0x80-0x9F punctuation. */
        { "windows-1252", "WINDOWS-1252" },
        { "x-cp1252", "WINDOWS-1252" },
        { "cp1252", "WINDOWS-1252" },
        { "iso-8859-1", "WINDOWS-1252" },
        { "iso8859-1", "WINDOWS-1252" },
        { "iso88591", "WINDOWS-1252" },
        { "iso_8859-1", "WINDOWS-1252" },
        { "iso_8859-1:1987", "WINDOWS-1252" },
        { "iso-ir-100", "WINDOWS-1252" },
        { "csisolatin1", "WINDOWS-1252" },
        { "latin1", "WINDOWS-1252" },
        { "l1", "WINDOWS-1252" },
        { "cp819", "WINDOWS-1252" },
        { "ibm819", "WINDOWS-1252" },
        { "us-ascii", "WINDOWS-1252" },
        { "ascii", "WINDOWS-1252" },
        { "ansi_x3.4-1968", "WINDOWS-1252" },
        { "iso-8859-9", "WINDOWS-1254" },
        { "iso8859-9", "WINDOWS-1254" },
        { "iso88599", "WINDOWS-1254" },
        { "iso_8859-9", "WINDOWS-1254" },
        { "iso_8859-9:1989", "WINDOWS-1254" },
        { "iso-ir-148", "WINDOWS-1254" },
        { "csisolatin5", "WINDOWS-1254" },
        { "latin5", "WINDOWS-1254" },
        { "l5", "WINDOWS-1254" },
        { "cp1254", "WINDOWS-1254" },
        { "x-cp1254", "WINDOWS-1254" },
        { "windows-1254", "WINDOWS-1254" },
        { "tis-620", "WINDOWS-874" },
        { "iso-8859-11", "WINDOWS-874" },
        { "iso8859-11", "WINDOWS-874" },
        { "iso885911", "WINDOWS-874" },
        { "dos-874", "WINDOWS-874" },
        { "windows-874", "WINDOWS-874" },
        { "gb2312", "GBK" },
        { "gb_2312", "GBK" },
        { "gb_2312-80", "GBK" },
        { "csgb2312", "GBK" },
        { "csiso58gb231280", "GBK" },
        { "iso-ir-58", "GBK" },
        { "chinese", "GBK" },
        { "gbk", "GBK" },
        { "x-gbk", "GBK" },
        { "gb18030", "GB18030" },
        { "big5", "BIG5-HKSCS" },
        { "big5-hkscs", "BIG5-HKSCS" },
        { "cn-big5", "BIG5-HKSCS" },
        { "csbig5", "BIG5-HKSCS" },
        { "x-x-big5", "BIG5-HKSCS" },
        { "shift_jis", "WINDOWS-31J" },
        { "shift-jis", "WINDOWS-31J" },
        { "sjis", "WINDOWS-31J" },
        { "x-sjis", "WINDOWS-31J" },
        { "ms_kanji", "WINDOWS-31J" },
        { "ms932", "WINDOWS-31J" },
        { "csshiftjis", "WINDOWS-31J" },
        { "windows-31j", "WINDOWS-31J" },
        { "euc-kr", "CP949" },
        { "cseuckr", "CP949" },
        { "korean", "CP949" },
        { "ks_c_5601-1987", "CP949" },
        { "ks_c_5601-1989", "CP949" },
        { "ksc5601", "CP949" },
        { "ksc_5601", "CP949" },
        { "csksc56011987", "CP949" },
        { "iso-ir-149", "CP949" },
        { "windows-949", "CP949" },
        { "utf-16", "UTF-16LE" },
        { "utf-16le", "UTF-16LE" },
        { "unicode", "UTF-16LE" },
        { "unicodefeff", "UTF-16LE" },
        { "ucs-2", "UTF-16LE" },
        { "iso-10646-ucs-2", "UTF-16LE" },
        { "csunicode", "UTF-16LE" },
        { "utf-16be", "UTF-16BE" },
        { "unicodefffe", "UTF-16BE" },
        /* The Standard's "replacement" encodings and UTF-7 are XSS
         * vectors browsers refuse to decode; x-user-defined is not a real
         * charset. All are treated as unknown, i.e. read as UTF-8. */
        { "iso-2022-kr", NULL },
        { "csiso2022kr", NULL },
        { "iso-2022-cn", NULL },
        { "iso-2022-cn-ext", NULL },
        { "hz-gb-2312", NULL },
        { "replacement", NULL },
        { "utf-7", NULL },
        { "x-user-defined", NULL },
};

static int is_ascii_ws(int c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int ascii_lower(int c)
{
        return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int ascii_ncaseeq(const unsigned char *s, const char *lit, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (ascii_lower(s[i]) != (unsigned char)lit[i])
                        return 0;
        return 1;
}

/* Copies a label, trimmed and lower-cased, into buf; 0 when it does not fit
 * or holds characters no charset name has (the label goes to iconv_open(),
 * so nothing path-like passes). */
static int label_copy(const unsigned char *s, size_t len, char *buf,
                      size_t size)
{
        size_t i;

        while (len > 0 && is_ascii_ws(s[0])) {
                s++;
                len--;
        }
        while (len > 0 && is_ascii_ws(s[len - 1]))
                len--;
        if (len == 0 || len >= size || len > CHARSET_LABEL_MAX)
                return 0;
        for (i = 0; i < len; i++) {
                int c = ascii_lower(s[i]);

                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == ':'))
                        return 0;
                buf[i] = (char)c;
        }
        buf[len] = '\0';
        return 1;
}

int charset_from_content_type(const char *content_type, char *buf, size_t size)
{
        const unsigned char *p = (const unsigned char *)content_type;

        if (p == NULL)
                return 0;
        /* Parameters follow the media type, each after a ';'. */
        for (;;) {
                const unsigned char *val;
                size_t n = 0;

                p = (const unsigned char *)strchr((const char *)p, ';');
                if (p == NULL)
                        break;
                p++;
                while (is_ascii_ws(*p))
                        p++;
                if (!ascii_ncaseeq(p, "charset", 7))
                        continue;
                p += 7;
                while (is_ascii_ws(*p))
                        p++;
                if (*p != '=')
                        continue;
                p++;
                while (is_ascii_ws(*p))
                        p++;
                if (*p == '"' || *p == '\'') {
                        unsigned char q = *p++;

                        val = p;
                        while (val[n] && val[n] != q)
                                n++;
                } else {
                        val = p;
                        while (val[n] && val[n] != ';' && !is_ascii_ws(val[n]))
                                n++;
                }
                return label_copy(val, n, buf, size);
        }
        return 0;
}

/* The HTML Standard's "extracting a character encoding from a meta
 * element" from a content attribute's value. */
static int charset_from_meta_content(const unsigned char *s, size_t len,
                                     char *buf, size_t size)
{
        size_t i = 0;

        for (;;) {
                size_t n;
                const unsigned char *val;

                while (i + 7 <= len && !ascii_ncaseeq(s + i, "charset", 7))
                        i++;
                if (i + 7 > len)
                        return 0;
                i += 7;
                while (i < len && is_ascii_ws(s[i]))
                        i++;
                if (i >= len)
                        return 0;
                if (s[i] != '=')
                        continue;
                i++;
                while (i < len && is_ascii_ws(s[i]))
                        i++;
                if (i >= len)
                        return 0;
                if (s[i] == '"' || s[i] == '\'') {
                        unsigned char q = s[i++];

                        val = s + i;
                        for (n = 0; i + n < len && val[n] != q; n++)
                                ;
                        if (i + n >= len)
                                return 0;
                } else {
                        val = s + i;
                        for (n = 0; i + n < len && val[n] != ';' &&
                                    !is_ascii_ws(val[n]);
                             n++)
                                ;
                }
                return label_copy(val, n, buf, size);
        }
}

/* One attribute of the prescan's "get an attribute" step. Returns 0 at the
 * end of the tag (or of the input). Names are lower-cased into name. */
typedef struct prescan_attr {
        char name[16];
        const unsigned char *value;
        size_t value_len;
} prescan_attr_t;

static int prescan_get_attr(const unsigned char *s, size_t len, size_t *posp,
                            prescan_attr_t *attr)
{
        size_t pos = *posp, n = 0;

        while (pos < len && (is_ascii_ws(s[pos]) || s[pos] == '/'))
                pos++;
        if (pos >= len || s[pos] == '>') {
                *posp = pos;
                return 0;
        }
        attr->name[0] = '\0';
        attr->value = s + pos;
        attr->value_len = 0;
        /* The name: a '=' right at its start belongs to it. */
        do {
                if (n + 1 < sizeof(attr->name))
                        attr->name[n++] = (char)ascii_lower(s[pos]);
                pos++;
        } while (pos < len && s[pos] != '=' && s[pos] != '/' &&
                 s[pos] != '>' && !is_ascii_ws(s[pos]));
        attr->name[n] = '\0';
        while (pos < len && is_ascii_ws(s[pos]))
                pos++;
        if (pos >= len || s[pos] != '=') {
                *posp = pos;
                return 1;
        }
        pos++;
        while (pos < len && is_ascii_ws(s[pos]))
                pos++;
        if (pos < len && (s[pos] == '"' || s[pos] == '\'')) {
                unsigned char q = s[pos++];

                attr->value = s + pos;
                while (pos < len && s[pos] != q)
                        pos++;
                attr->value_len = (size_t)(s + pos - attr->value);
                if (pos < len)
                        pos++;
        } else {
                attr->value = s + pos;
                while (pos < len && s[pos] != '>' && !is_ascii_ws(s[pos]))
                        pos++;
                attr->value_len = pos - (size_t)(attr->value - s);
        }
        *posp = pos;
        return 1;
}

int charset_prescan(const unsigned char *body, size_t len, char *buf,
                    size_t size)
{
        size_t pos = 0;

        if (len > CHARSET_PRESCAN_MAX)
                len = CHARSET_PRESCAN_MAX;
        while (pos < len) {
                const unsigned char *s = body + pos;
                size_t left = len - pos;

                if (s[0] != '<') {
                        pos++;
                        continue;
                }
                if (left >= 4 && memcmp(s, "<!--", 4) == 0) {
                        const unsigned char *end;

                        end = memmem(s + 2, left - 2, "-->", 3);
                        if (end == NULL)
                                return 0;
                        pos = (size_t)(end - body) + 3;
                        continue;
                }
                if (left >= 6 && ascii_ncaseeq(s + 1, "meta", 4) &&
                    (is_ascii_ws(s[5]) || s[5] == '/')) {
                        prescan_attr_t attr;
                        int got_pragma = 0, need_pragma = -1, seen = 0;
                        char label[CHARSET_LABEL_MAX + 1];

                        pos += 5;
                        while (prescan_get_attr(body, len, &pos, &attr)) {
                                /* The first of each name counts. */
                                if (strcmp(attr.name, "http-equiv") == 0 &&
                                    !(seen & 1)) {
                                        seen |= 1;
                                        if (attr.value_len == 12 &&
                                            ascii_ncaseeq(attr.value,
                                                          "content-type", 12))
                                                got_pragma = 1;
                                } else if (strcmp(attr.name, "content") == 0 &&
                                           !(seen & 2)) {
                                        seen |= 2;
                                        if (need_pragma == -1 &&
                                            charset_from_meta_content(
                                                    attr.value, attr.value_len,
                                                    label, sizeof(label)))
                                                need_pragma = 1;
                                } else if (strcmp(attr.name, "charset") == 0 &&
                                           !(seen & 4)) {
                                        seen |= 4;
                                        if (label_copy(attr.value,
                                                       attr.value_len, label,
                                                       sizeof(label)))
                                                need_pragma = 0;
                                }
                        }
                        if (need_pragma == -1 ||
                            (need_pragma == 1 && !got_pragma))
                                continue;
                        if (strncmp(label, "utf-16", 6) == 0)
                                snprintf(buf, size, "utf-8");
                        else if ((size_t)snprintf(buf, size, "%s", label) >=
                                 size)
                                return 0;
                        return 1;
                }
                if (left >= 2 &&
                    (((s[1] | 0x20) >= 'a' && (s[1] | 0x20) <= 'z') ||
                     (left >= 3 && s[1] == '/' && (s[2] | 0x20) >= 'a' &&
                      (s[2] | 0x20) <= 'z'))) {
                        prescan_attr_t attr;

                        /* Another tag: skip its name and attributes (an
                         * attribute value may hold a '>'). */
                        pos++;
                        if (body[pos] == '/')
                                pos++;
                        while (pos < len && !is_ascii_ws(body[pos]) &&
                               body[pos] != '>')
                                pos++;
                        while (prescan_get_attr(body, len, &pos, &attr))
                                ;
                        pos++;
                        continue;
                }
                if (left >= 2 && (s[1] == '!' || s[1] == '/' || s[1] == '?')) {
                        const unsigned char *end = memchr(s, '>', left);

                        if (end == NULL)
                                return 0;
                        pos = (size_t)(end - body) + 1;
                        continue;
                }
                pos++;
        }
        return 0;
}

/* The iconv name for a label, "UTF-8" for UTF-8, NULL when unknown (the
 * caller then decodes as UTF-8). */
static const char *charset_resolve(const char *label)
{
        size_t i;

        for (i = 0; i < sizeof(charset_labels) / sizeof(charset_labels[0]);
             i++)
                if (strcmp(label, charset_labels[i].label) == 0)
                        return charset_labels[i].name;
        /* Any other label iconv knows (iso-8859-2, koi8-r, euc-jp,
         * windows-1251, ...) is given to it as written; label_copy() only
         * let [a-z0-9._:-] through. */
        return label;
}

/* utf8_repair() is shared/utf8.c's, which both stages link. */

/* Doubles an iconv output buffer (dynbuf.h's growth rule: room for the
 * bytes it holds again); keeps *op / *outleft pointing at the same place. */
static int iconv_grow(char **buf, size_t *cap, char **op, size_t *outleft)
{
        size_t used = (size_t)(*op - *buf);

        if (dynbuf_room(buf, cap, used, *cap - used, SIZE_MAX / 2) < 0)
                return -1;
        *op = *buf + used;
        *outleft = *cap - used;
        return 0;
}

/* Converts with iconv; bytes it cannot convert become U+FFFD. Returns 1
 * when the charset is unknown to iconv (nothing converted), 0 on success,
 * -1 on allocation failure. */
static int iconv_to_utf8(const char *name, const unsigned char *in, size_t len,
                         char **out, size_t *out_len)
{
        iconv_t cd;
        char *buf = NULL, *ip = (char *)in, *op;
        size_t cap, inleft = len, outleft, unit;
        int rc = -1;

        *out = NULL;
        *out_len = 0;
        cd = iconv_open("UTF-8", name);
        if (cd == (iconv_t)-1)
                return 1;
        unit = strncmp(name, "UTF-16", 6) == 0 ? 2 : 1;
        if (len > SIZE_MAX / 4 - 64)
                goto out;
        cap = len + len / 2 + 64;
        buf = malloc(cap);
        if (buf == NULL)
                goto out;
        op = buf;
        outleft = cap - 1; /* room for the NUL */
        for (;;) {
                int flushing = inleft == 0, err;
                size_t r;

                if (flushing) /* a stateful decoder's shift state */
                        r = iconv(cd, NULL, NULL, &op, &outleft);
                else
                        r = iconv(cd, &ip, &inleft, &op, &outleft);
                if (r != (size_t)-1) {
                        if (flushing)
                                break;
                        continue;
                }
                err = errno;
                if (err != E2BIG && err != EILSEQ && err != EINVAL) {
                        rc = 1; /* unexpected: read the page as UTF-8 */
                        goto out;
                }
                if (err == E2BIG || outleft < 3) {
                        if (iconv_grow(&buf, &cap, &op, &outleft) < 0)
                                goto out;
                        outleft--; /* room for the NUL */
                        if (err == E2BIG)
                                continue;
                }
                /* An invalid sequence (EILSEQ) or one cut off by the end
                 * of the input (EINVAL): U+FFFD for it. */
                memcpy(op, "\xEF\xBF\xBD", 3);
                op += 3;
                outleft -= 3;
                if (err == EINVAL) {
                        inleft = 0;
                } else {
                        size_t skip = inleft < unit ? inleft : unit;

                        ip += skip;
                        inleft -= skip;
                }
        }
        *op = '\0';
        *out = buf;
        *out_len = (size_t)(op - buf);
        buf = NULL;
        rc = 0;
out:
        free(buf);
        iconv_close(cd);
        return rc;
}

/* Whether every byte reads the same in the charset as in ASCII, so no
 * conversion is needed: no byte >= 0x80, no ESC (ISO-2022 shifts), and not
 * UTF-16. */
static int ascii_only(const char *name, const unsigned char *s, size_t len)
{
        size_t i;

        if (strncmp(name, "UTF-16", 6) == 0)
                return 0;
        for (i = 0; i < len; i++)
                if (s[i] >= 0x80 || s[i] == 0x1B)
                        return 0;
        return 1;
}

int charset_decode(const char *content_type, const unsigned char *body,
                   size_t len, const char **utf8, size_t *utf8_len,
                   char **owned, char *errstr, size_t errstr_size)
{
        char label[CHARSET_LABEL_MAX + 1];
        const char *name = NULL;
        char *conv = NULL;
        size_t conv_len = 0;
        int rc = -1;

        *utf8 = NULL;
        *utf8_len = 0;
        *owned = NULL;

        /* A byte order mark decides over everything else. */
        if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
                name = "UTF-8";
                body += 3;
                len -= 3;
        } else if (len >= 2 && memcmp(body, "\xFF\xFE", 2) == 0) {
                name = "UTF-16LE";
                body += 2;
                len -= 2;
        } else if (len >= 2 && memcmp(body, "\xFE\xFF", 2) == 0) {
                name = "UTF-16BE";
                body += 2;
                len -= 2;
        } else if (charset_from_content_type(content_type, label,
                                             sizeof(label)) ||
                   charset_prescan(body, len, label, sizeof(label))) {
                name = charset_resolve(label);
        }

        if (name != NULL && strcmp(name, "UTF-8") != 0 &&
            !ascii_only(name, body, len)) {
                int r = iconv_to_utf8(name, body, len, &conv, &conv_len);

                if (r < 0) {
                        snprintf(errstr, errstr_size,
                                 "out of memory decoding %s", name);
                        goto out;
                }
                /* r == 1: a charset iconv does not know is read as
                 * UTF-8, as browsers read an unknown label. */
                if (r == 0) {
                        body = (const unsigned char *)conv;
                        len = conv_len;
                }
        }

        if (utf8_repair_prefix(body, len, UTF8_REPAIR_NUL) == len) {
                *utf8 = (const char *)body;
                *utf8_len = len;
                *owned = conv;
                conv = NULL;
        } else {
                char *fixed;
                size_t fixed_len;

                if (utf8_repair(body, len, UTF8_REPAIR_NUL, &fixed,
                                &fixed_len) < 0) {
                        snprintf(errstr, errstr_size,
                                 "out of memory repairing UTF-8");
                        goto out;
                }
                *utf8 = fixed;
                *utf8_len = fixed_len;
                *owned = fixed;
        }
        rc = 0;
out:
        free(conv);
        return rc;
}
