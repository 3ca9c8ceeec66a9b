/*
 * url.c — the WHATWG basic URL parser, for the special schemes http and
 * https only. The state names and steps follow https://url.spec.whatwg.org/
 * so that the code can be checked against the Standard line by line; states
 * that only other schemes reach (file, opaque paths, state overrides) are
 * left out, and any other scheme is refused with URL_ERR_SCHEME.
 *
 * The parser works on UTF-8 bytes rather than code points: every delimiter
 * is ASCII, and every non-ASCII code point is in each percent-encode set,
 * so encoding byte by byte gives the same result as the Standard's
 * code-point-wise UTF-8 percent-encode.
 */
#include "dynbuf.h"
#include "url.h"
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

/* Percent-encoding can triple the input, and a base adds its own length. */
#define URL_BUF_MAX (16 * URL_MAX_LEN)

#define URL_EOF (-1)

struct url_sb {
        char *p;
        size_t len;
        size_t cap;
};

enum url_set {
        URL_SET_C0,
        URL_SET_FRAGMENT,
        URL_SET_QUERY,
        URL_SET_SPECIAL_QUERY,
        URL_SET_PATH,
        URL_SET_USERINFO,
};

enum url_state {
        URL_ST_SCHEME_START,
        URL_ST_SCHEME,
        URL_ST_NO_SCHEME,
        URL_ST_SPECIAL_RELATIVE_OR_AUTHORITY,
        URL_ST_RELATIVE,
        URL_ST_RELATIVE_SLASH,
        URL_ST_SPECIAL_AUTHORITY_SLASHES,
        URL_ST_SPECIAL_AUTHORITY_IGNORE_SLASHES,
        URL_ST_AUTHORITY,
        URL_ST_HOST,
        URL_ST_PORT,
        URL_ST_PATH_START,
        URL_ST_PATH,
        URL_ST_QUERY,
        URL_ST_FRAGMENT,
};

/* A URL record while it is being built. */
struct url_rec {
        int https;
        struct url_sb user;
        struct url_sb pass;
        struct url_sb host; /* serialised host */
        int port;           /* -1: null */
        struct url_sb path; /* "/seg/seg", "" for the empty list */
        struct url_sb query;
        int has_query;
        struct url_sb frag;
        int has_frag;
};

static void url_seterr(char *errstr, size_t errstr_size, const char *why)
{
        if (errstr && errstr_size > 0)
                snprintf(errstr, errstr_size, "%s", why);
}

/* ---- bounded growable strings ---------------------------------------- */

/* A dynbuf.h error as the URL parser's. */
static int url_sb_err(int rc)
{
        if (rc == DYNBUF_ERR_TOO_BIG)
                return URL_ERR_TOO_LONG;
        return rc < 0 ? URL_ERR_NOMEM : 0;
}

/* At most URL_BUF_MAX bytes with the NUL. */
static int url_sb_reserve(struct url_sb *sb, size_t n)
{
        return url_sb_err(
                dynbuf_room(&sb->p, &sb->cap, sb->len, n, URL_BUF_MAX - 1));
}

static int url_sb_put(struct url_sb *sb, const char *s, size_t n)
{
        return url_sb_err(dynbuf_append(&sb->p, &sb->cap, &sb->len,
                                        URL_BUF_MAX - 1, s, n));
}

/* One byte: in place when there is room (as dynbuf_append() would put
 * it), else through url_sb_put(); the URL parser puts most bytes one at a
 * time, and the call was a third of its time. */
static int url_sb_putc(struct url_sb *sb, char c)
{
        if (sb->len < URL_BUF_MAX - 1 && sb->len + 2 <= sb->cap) {
                sb->p[sb->len++] = c;
                sb->p[sb->len] = '\0';
                return 0;
        }
        return url_sb_put(sb, &c, 1);
}

static int url_sb_puts(struct url_sb *sb, const char *s)
{
        return url_sb_put(sb, s, strlen(s));
}

static int url_sb_putu(struct url_sb *sb, unsigned long v, unsigned base)
{
        static const char digits[] = "0123456789abcdef";
        char tmp[32];
        size_t i = sizeof(tmp);

        do {
                tmp[--i] = digits[v % base];
                v /= base;
        } while (v && i > 0);
        return url_sb_put(sb, tmp + i, sizeof(tmp) - i);
}

static void url_sb_reset(struct url_sb *sb)
{
        sb->len = 0;
        if (sb->p)
                sb->p[0] = '\0';
}

static void url_sb_free(struct url_sb *sb)
{
        free(sb->p);
        sb->p = NULL;
        sb->len = 0;
        sb->cap = 0;
}

/* Hands the string over to the caller; never NULL on success. */
static int url_sb_take(struct url_sb *sb, char **out)
{
        int rc;

        rc = url_sb_reserve(sb, 0);
        if (rc < 0)
                return rc;
        sb->p[sb->len] = '\0';
        *out = sb->p;
        sb->p = NULL;
        sb->len = 0;
        sb->cap = 0;
        return 0;
}

/* ---- character classes ------------------------------------------------ */

static int url_is_alpha(int c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int url_is_digit(int c)
{
        return c >= '0' && c <= '9';
}

static int url_is_hex(int c)
{
        return url_is_digit(c) || (c >= 'a' && c <= 'f') ||
               (c >= 'A' && c <= 'F');
}

static int url_hex_val(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return c - 'A' + 10;
}

static int url_lower(int c)
{
        return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* The percent-encode sets' printable ASCII members as bits of c - 0x20
 * in 0x20..0x7e (a strchr() per byte was a tenth of the parser). */
#define URL_BIT(ch) ((uint64_t)1 << (((ch)-0x20) & 63))
#define URL_LO(ch) ((ch) < 0x60 ? URL_BIT(ch) : 0)
#define URL_HI(ch) ((ch) >= 0x60 ? URL_BIT(ch) : 0)
#define URL_SET_BITS(F) (F(' ') | F('"') | F('<') | F('>'))
#define URL_FRAG_BITS(F) (URL_SET_BITS(F) | F('`'))
#define URL_QUERY_BITS(F) (URL_SET_BITS(F) | F('#'))
#define URL_SQUERY_BITS(F) (URL_QUERY_BITS(F) | F('\''))
#define URL_PATH_BITS(F) \
        (URL_QUERY_BITS(F) | F('?') | F('^') | F('`') | F('{') | F('}'))
#define URL_USERINFO_BITS(F)                                             \
        (URL_PATH_BITS(F) | F('/') | F(':') | F(';') | F('=') | F('@') | \
         F('[') | F('\\') | F(']') | F('|'))

static int url_in_set(unsigned char c, enum url_set set)
{
        static const uint64_t bits[][2] = {
                [URL_SET_C0] = { 0, 0 },
                [URL_SET_FRAGMENT] = { URL_FRAG_BITS(URL_LO),
                                       URL_FRAG_BITS(URL_HI) },
                [URL_SET_QUERY] = { URL_QUERY_BITS(URL_LO),
                                    URL_QUERY_BITS(URL_HI) },
                [URL_SET_SPECIAL_QUERY] = { URL_SQUERY_BITS(URL_LO),
                                            URL_SQUERY_BITS(URL_HI) },
                [URL_SET_PATH] = { URL_PATH_BITS(URL_LO),
                                   URL_PATH_BITS(URL_HI) },
                [URL_SET_USERINFO] = { URL_USERINFO_BITS(URL_LO),
                                       URL_USERINFO_BITS(URL_HI) },
        };

        if (c < 0x20 || c > 0x7e)
                return 1;
        if ((unsigned)set >= sizeof(bits) / sizeof(bits[0]))
                return 1;
        return (bits[set][c >= 0x60] & URL_BIT(c)) != 0;
}

static int url_sb_encode(struct url_sb *sb, const char *s, size_t n,
                         enum url_set set)
{
        static const char hex[] = "0123456789ABCDEF";
        char esc[3];
        size_t i;
        int rc = 0;

        for (i = 0; i < n && rc == 0; i++) {
                unsigned char c = (unsigned char)s[i];

                if (!url_in_set(c, set)) {
                        rc = url_sb_putc(sb, (char)c);
                        continue;
                }
                esc[0] = '%';
                esc[1] = hex[c >> 4];
                esc[2] = hex[c & 0xf];
                rc = url_sb_put(sb, esc, 3);
        }
        return rc;
}

/* ---- UTF-8 ------------------------------------------------------------ */

/*
 * The Encoding Standard's UTF-8 decoder (utf8_decode_step()), used to
 * replace each maximal ill-formed subsequence with one U+FFFD, as a
 * browser decoding the document would have done before the URL parser
 * saw it. Tabs and newlines are dropped on the way (the URL parser's
 * first step).
 */
static int url_clean_utf8(const char *in, size_t n, struct url_sb *out)
{
        static const char repl[] = "\xef\xbf\xbd";
        size_t i = 0;
        int rc = 0;

        while (i < n && rc == 0) {
                unsigned char b = (unsigned char)in[i];
                size_t len;
                int valid;

                if (b < 0x80) {
                        /* A run of ASCII at once (a byte at a time was
                         * most of this function's time on a page's
                         * links); tabs and newlines are dropped. */
                        size_t j = i;

                        while (j < n && (unsigned char)in[j] < 0x80 &&
                               in[j] != '\t' && in[j] != '\n' && in[j] != '\r')
                                j++;
                        if (j > i)
                                rc = url_sb_put(out, in + i, j - i);
                        i = j > i ? j : i + 1;
                        continue;
                }
                len = utf8_decode_step((const unsigned char *)in + i, n - i,
                                       &valid);
                rc = valid ? url_sb_put(out, in + i, len)
                           : url_sb_put(out, repl, 3);
                i += len;
        }
        return rc;
}

/* ---- hosts ------------------------------------------------------------ */

static int url_forbidden_domain_cp(unsigned char c)
{
        if (c <= 0x20 || c == 0x7f)
                return 1;
        return strchr("#%/:<>?@[\\]^|", c) != NULL;
}

/*
 * The IPv4 number parser. Values are clamped just above 2^32, which every
 * caller treats as too large, so a long digit string cannot overflow.
 */
static int url_ipv4_number(const char *s, size_t n, uint64_t *out)
{
        const uint64_t clamp = (uint64_t)1 << 33;
        unsigned radix = 10;
        uint64_t v = 0;
        size_t i;

        if (n == 0)
                return -1;
        if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                s += 2;
                n -= 2;
                radix = 16;
        } else if (n >= 2 && s[0] == '0') {
                s++;
                n--;
                radix = 8;
        }
        for (i = 0; i < n; i++) {
                int c = (unsigned char)s[i];
                unsigned d;

                if (radix == 16 && url_is_hex(c))
                        d = (unsigned)url_hex_val(c);
                else if (radix == 10 && url_is_digit(c))
                        d = (unsigned)(c - '0');
                else if (radix == 8 && c >= '0' && c <= '7')
                        d = (unsigned)(c - '0');
                else
                        return -1;
                if (v < clamp)
                        v = v * radix + d;
        }
        *out = v > clamp ? clamp : v;
        return 0;
}

static int url_ends_in_number(const char *s, size_t n)
{
        size_t start;
        uint64_t v;
        size_t i;
        int digits = 1;

        if (n > 0 && s[n - 1] == '.') {
                if (n == 1)
                        return 0;
                n--;
        }
        start = n;
        while (start > 0 && s[start - 1] != '.')
                start--;
        if (start == n) {
                /* the last label is empty: "a.." or "" */
                return 0;
        }
        for (i = start; i < n; i++)
                if (!url_is_digit((unsigned char)s[i]))
                        digits = 0;
        if (digits)
                return 1;
        return url_ipv4_number(s + start, n - start, &v) == 0;
}

static int url_ipv4_parse(const char *s, size_t n, uint32_t *addr)
{
        uint64_t nums[4];
        size_t count = 0, i, start = 0;
        uint64_t v;

        if (n > 0 && s[n - 1] == '.')
                n--;
        for (i = 0; i <= n; i++) {
                if (i < n && s[i] != '.')
                        continue;
                if (count == 4)
                        return -1;
                if (url_ipv4_number(s + start, i - start, &nums[count]) < 0)
                        return -1;
                count++;
                start = i + 1;
        }
        for (i = 0; i + 1 < count; i++)
                if (nums[i] > 255)
                        return -1;
        if (nums[count - 1] >= ((uint64_t)1 << (8 * (5 - count))))
                return -1;
        v = nums[count - 1];
        for (i = 0; i + 1 < count; i++)
                v += nums[i] << (8 * (3 - i));
        *addr = (uint32_t)v;
        return 0;
}

static int url_ipv6_parse(const char *s, size_t n, uint16_t addr[8])
{
        size_t p = 0;
        int piece = 0, compress = -1;

#define C() (p < n ? (unsigned char)s[p] : URL_EOF)
        memset(addr, 0, 8 * sizeof(addr[0]));
        if (C() == ':') {
                if (p + 1 >= n || s[p + 1] != ':')
                        return -1;
                p += 2;
                piece++;
                compress = piece;
        }
        while (C() != URL_EOF) {
                unsigned value = 0;
                int length = 0;

                if (piece == 8)
                        return -1;
                if (C() == ':') {
                        if (compress != -1)
                                return -1;
                        p++;
                        piece++;
                        compress = piece;
                        continue;
                }
                while (length < 4 && url_is_hex(C())) {
                        value = value * 16 + (unsigned)url_hex_val(C());
                        p++;
                        length++;
                }
                if (C() == '.') {
                        int seen = 0;

                        if (length == 0)
                                return -1;
                        p -= (size_t)length;
                        if (piece > 6)
                                return -1;
                        while (C() != URL_EOF) {
                                int v4 = -1;

                                if (seen > 0) {
                                        if (C() == '.' && seen < 4)
                                                p++;
                                        else
                                                return -1;
                                }
                                if (!url_is_digit(C()))
                                        return -1;
                                while (url_is_digit(C())) {
                                        int d = C() - '0';

                                        if (v4 == -1)
                                                v4 = d;
                                        else if (v4 == 0)
                                                return -1;
                                        else
                                                v4 = v4 * 10 + d;
                                        if (v4 > 255)
                                                return -1;
                                        p++;
                                }
                                addr[piece] =
                                        (uint16_t)(addr[piece] * 0x100 + v4);
                                seen++;
                                if (seen == 2 || seen == 4)
                                        piece++;
                        }
                        if (seen != 4)
                                return -1;
                        break;
                } else if (C() == ':') {
                        p++;
                        if (C() == URL_EOF)
                                return -1;
                } else if (C() != URL_EOF) {
                        return -1;
                }
                addr[piece] = (uint16_t)value;
                piece++;
        }
#undef C
        if (compress != -1) {
                int swaps = piece - compress;

                piece = 7;
                while (piece != 0 && swaps > 0) {
                        uint16_t t = addr[piece];

                        addr[piece] = addr[compress + swaps - 1];
                        addr[compress + swaps - 1] = t;
                        piece--;
                        swaps--;
                }
        } else if (piece != 8) {
                return -1;
        }
        return 0;
}

static int url_ipv6_serialise(const uint16_t addr[8], struct url_sb *out)
{
        int compress = -1, best = 1, i, rc;
        int ignore0 = 0;

        for (i = 0; i < 8; i++) {
                int j = i;

                while (j < 8 && addr[j] == 0)
                        j++;
                if (j - i > best) {
                        best = j - i;
                        compress = i;
                }
                if (j > i)
                        i = j - 1;
        }
        rc = url_sb_putc(out, '[');
        for (i = 0; i < 8 && rc == 0; i++) {
                if (ignore0 && addr[i] == 0)
                        continue;
                ignore0 = 0;
                if (compress == i) {
                        rc = url_sb_puts(out, i == 0 ? "::" : ":");
                        ignore0 = 1;
                        continue;
                }
                rc = url_sb_putu(out, addr[i], 16);
                if (rc == 0 && i != 7)
                        rc = url_sb_putc(out, ':');
        }
        if (rc == 0)
                rc = url_sb_putc(out, ']');
        return rc;
}

static int url_label_is_xn(const char *s, size_t n)
{
        return n >= 4 && url_lower((unsigned char)s[0]) == 'x' &&
               url_lower((unsigned char)s[1]) == 'n' && s[2] == '-' &&
               s[3] == '-';
}

/* Length of the UTS #46 label separator at s, or 0. */
static size_t url_label_sep(const char *s, size_t n)
{
        if (n >= 1 && s[0] == '.')
                return 1;
        if (n >= 3 && (memcmp(s, "\xe3\x80\x82", 3) == 0 || /* U+3002 */
                       memcmp(s, "\xef\xbc\x8e", 3) == 0 || /* U+FF0E */
                       memcmp(s, "\xef\xbd\xa1", 3) == 0))  /* U+FF61 */
                return 3;
        return 0;
}

/*
 * UTS #46 ToASCII as the Standard's "domain to ASCII" calls it. Labels are
 * handed to libidn2 one at a time: the Standard sets VerifyDnsLength to
 * false, and libidn2 would otherwise refuse domains over 255 bytes, and
 * ASCII labels (which UTS #46 only lower-cases) need not go through it at
 * all. Splitting before mapping is safe because the only code points
 * UTS #46 maps to U+002E are the three full stops url_label_sep() knows
 * (others, like U+2488, are disallowed by libidn2 anyway).
 *
 * libidn2 checks non-ASCII and "xn--" labels by IDNA2008 after the UTS #46
 * mapping, which is stricter than the Standard's UTS #46 ToASCII: symbols
 * and emoji (U+2603, U+1F4A9) are refused, as are labels with a leading
 * or trailing hyphen or "--" in positions 3-4 (CheckHyphens is false in
 * the Standard) and labels over 63 bytes. Browsers accept those hosts;
 * here they fail with URL_ERR_INVALID.
 */
static int url_domain_to_ascii(const char *d, size_t n, struct url_sb *out,
                               const char **why)
{
        char *label = NULL;
        char *alabel = NULL;
        size_t i, start = 0;
        int ascii = 1, xn = 0;
        int rc = 0;

        for (i = 0; i <= n; i++) {
                size_t sep = i < n ? url_label_sep(d + i, n - i) : 1;

                if (i < n && (unsigned char)d[i] >= 0x80)
                        ascii = 0;
                if (!sep)
                        continue;
                if (url_label_is_xn(d + start, i - start))
                        xn = 1;
                i += sep - 1;
                start = i + 1;
        }
        if (ascii && !xn) {
                for (i = 0; i < n && rc == 0; i++)
                        rc = url_sb_putc(out,
                                         (char)url_lower((unsigned char)d[i]));
                goto out;
        }

        start = 0;
        for (i = 0; i <= n; i++) {
                size_t sep = i < n ? url_label_sep(d + i, n - i) : 1;
                size_t len = i - start, k;
                int lascii = 1, irc;

                if (!sep)
                        continue;
                for (k = start; k < i; k++)
                        if ((unsigned char)d[k] >= 0x80)
                                lascii = 0;
                if (start > 0) {
                        rc = url_sb_putc(out, '.');
                        if (rc < 0)
                                goto out;
                }
                if (lascii && !url_label_is_xn(d + start, len)) {
                        for (k = start; k < i && rc == 0; k++)
                                rc = url_sb_putc(
                                        out,
                                        (char)url_lower((unsigned char)d[k]));
                        if (rc < 0)
                                goto out;
                } else {
                        label = malloc(len + 1);
                        if (!label) {
                                rc = URL_ERR_NOMEM;
                                goto out;
                        }
                        memcpy(label, d + start, len);
                        label[len] = '\0';
                        irc = idn2_lookup_u8((const uint8_t *)label,
                                             (uint8_t **)&alabel,
                                             IDN2_NONTRANSITIONAL);
                        free(label);
                        label = NULL;
                        if (irc == IDN2_MALLOC) {
                                rc = URL_ERR_NOMEM;
                                goto out;
                        }
                        if (irc != IDN2_OK) {
                                *why = "host is not a valid internationalised domain name";
                                rc = URL_ERR_INVALID;
                                goto out;
                        }
                        rc = url_sb_puts(out, alabel);
                        idn2_free(alabel);
                        alabel = NULL;
                        if (rc < 0)
                                goto out;
                }
                i += sep - 1;
                start = i + 1;
        }
out:
        free(label);
        if (alabel)
                idn2_free(alabel);
        if (rc == 0 && out->len == 0) {
                *why = "host is empty after IDNA processing";
                rc = URL_ERR_INVALID;
        }
        return rc;
}

/* The host parser, for a special URL. */
static int url_host_parse(const char *s, size_t n, struct url_sb *out,
                          const char **why)
{
        struct url_sb dec = { 0 };
        struct url_sb ascii = { 0 };
        uint16_t v6[8];
        uint32_t v4;
        size_t i;
        int rc = 0;

        url_sb_reset(out);
        if (n > 0 && s[0] == '[') {
                if (n < 2 || s[n - 1] != ']' ||
                    url_ipv6_parse(s + 1, n - 2, v6) < 0) {
                        *why = "invalid IPv6 address";
                        rc = URL_ERR_INVALID;
                        goto out;
                }
                rc = url_ipv6_serialise(v6, out);
                goto out;
        }

        for (i = 0; i < n && rc == 0; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '%' && i + 2 < n &&
                    url_is_hex((unsigned char)s[i + 1]) &&
                    url_is_hex((unsigned char)s[i + 2])) {
                        c = (unsigned char)(url_hex_val(
                                                    (unsigned char)s[i + 1]) *
                                                    16 +
                                            url_hex_val(
                                                    (unsigned char)s[i + 2]));
                        i += 2;
                }
                rc = url_sb_putc(&dec, (char)c);
        }
        if (rc < 0)
                goto out;
        if (utf8_valid_prefix((const unsigned char *)dec.p, dec.len) !=
            dec.len) {
                *why = "host is not valid UTF-8";
                rc = URL_ERR_INVALID;
                goto out;
        }
        rc = url_domain_to_ascii(dec.p, dec.len, &ascii, why);
        if (rc < 0)
                goto out;
        for (i = 0; i < ascii.len; i++) {
                if (url_forbidden_domain_cp((unsigned char)ascii.p[i])) {
                        *why = "host contains a forbidden code point";
                        rc = URL_ERR_INVALID;
                        goto out;
                }
        }
        if (url_ends_in_number(ascii.p, ascii.len)) {
                if (url_ipv4_parse(ascii.p, ascii.len, &v4) < 0) {
                        *why = "invalid IPv4 address";
                        rc = URL_ERR_INVALID;
                        goto out;
                }
                for (i = 0; i < 4 && rc == 0; i++) {
                        rc = url_sb_putu(out, (v4 >> (24 - 8 * i)) & 0xff, 10);
                        if (rc == 0 && i < 3)
                                rc = url_sb_putc(out, '.');
                }
                goto out;
        }
        rc = url_sb_put(out, ascii.p, ascii.len);
out:
        url_sb_free(&dec);
        url_sb_free(&ascii);
        return rc;
}

/* ---- the state machine ------------------------------------------------ */

static int url_default_port(int https)
{
        return https ? 443 : 80;
}

static int url_is_single_dot(const char *s, size_t n)
{
        return (n == 1 && s[0] == '.') ||
               (n == 3 && strncasecmp(s, "%2e", 3) == 0);
}

static int url_is_double_dot(const char *s, size_t n)
{
        return (n == 2 && memcmp(s, "..", 2) == 0) ||
               (n == 4 && (strncasecmp(s, ".%2e", 4) == 0 ||
                           strncasecmp(s, "%2e.", 4) == 0)) ||
               (n == 6 && strncasecmp(s, "%2e%2e", 6) == 0);
}

static void url_shorten_path(struct url_sb *path)
{
        while (path->len > 0 && path->p[path->len - 1] != '/')
                path->len--;
        if (path->len > 0)
                path->len--;
        if (path->p)
                path->p[path->len] = '\0';
}

static int url_base_https(const url_t *base, int *https)
{
        if (!base->scheme || !base->host || !base->path || !base->username ||
            !base->password)
                return URL_ERR_INVALID;
        if (strcmp(base->scheme, "http") == 0)
                *https = 0;
        else if (strcmp(base->scheme, "https") == 0)
                *https = 1;
        else
                return URL_ERR_SCHEME;
        return 0;
}

static int url_copy_base_authority(struct url_rec *u, const url_t *base)
{
        int rc;

        url_sb_reset(&u->user);
        url_sb_reset(&u->pass);
        url_sb_reset(&u->host);
        rc = url_sb_puts(&u->user, base->username);
        if (rc == 0)
                rc = url_sb_puts(&u->pass, base->password);
        if (rc == 0)
                rc = url_sb_puts(&u->host, base->host);
        u->port = base->port == url_default_port(u->https) ? -1 : base->port;
        return rc;
}

/* Runs the state machine over in[0, n) into *u, which starts empty;
 * *segp is an empty buffer for path segments. */
static int url_run(const char *in, size_t n, const url_t *base,
                   struct url_rec *u, struct url_sb *segp, const char **why)
{
        enum url_state state = URL_ST_SCHEME_START;
        struct url_sb seg = *segp;
        long i = 0, len = (long)n;
        long astart = 0, hstart = 0;
        int base_https = 0;
        int at_seen = 0, pw_seen = 0, in_brackets = 0;
        long port_val = 0;
        int port_digits = 0;
        int rc = 0;

        if (base) {
                rc = url_base_https(base, &base_https);
                if (rc < 0) {
                        *why = rc == URL_ERR_SCHEME
                                       ? "base is not an http(s) URL"
                                       : "base is incomplete";
                        goto out;
                }
        }

        for (;;) {
                int c = i < len ? (unsigned char)in[i] : URL_EOF;
                int next = i + 1 < len ? (unsigned char)in[i + 1] : URL_EOF;

                /* the relative states are only reached with a base */
                if (!base && (state == URL_ST_RELATIVE ||
                              state == URL_ST_RELATIVE_SLASH)) {
                        rc = URL_ERR_INVALID;
                        goto out;
                }
                switch (state) {
                case URL_ST_SCHEME_START:
                        if (url_is_alpha(c)) {
                                state = URL_ST_SCHEME;
                        } else {
                                state = URL_ST_NO_SCHEME;
                                i--;
                        }
                        break;

                case URL_ST_SCHEME:
                        if (url_is_alpha(c) || url_is_digit(c) || c == '+' ||
                            c == '-' || c == '.')
                                break;
                        if (c != ':') {
                                state = URL_ST_NO_SCHEME;
                                i = -1;
                                break;
                        }
                        if (i == 4 && strncasecmp(in, "http", 4) == 0) {
                                u->https = 0;
                        } else if (i == 5 &&
                                   strncasecmp(in, "https", 5) == 0) {
                                u->https = 1;
                        } else {
                                *why = "scheme is not http or https";
                                rc = URL_ERR_SCHEME;
                                goto out;
                        }
                        if (base && base_https == u->https)
                                state = URL_ST_SPECIAL_RELATIVE_OR_AUTHORITY;
                        else
                                state = URL_ST_SPECIAL_AUTHORITY_SLASHES;
                        break;

                case URL_ST_NO_SCHEME:
                        if (!base) {
                                *why = "relative URL without a base";
                                rc = URL_ERR_INVALID;
                                goto out;
                        }
                        state = URL_ST_RELATIVE;
                        i--;
                        break;

                case URL_ST_SPECIAL_RELATIVE_OR_AUTHORITY:
                        if (c == '/' && next == '/') {
                                state = URL_ST_SPECIAL_AUTHORITY_IGNORE_SLASHES;
                                i++;
                        } else {
                                state = URL_ST_RELATIVE;
                                i--;
                        }
                        break;

                case URL_ST_RELATIVE:
                        u->https = base_https;
                        if (c == '/' || c == '\\') {
                                state = URL_ST_RELATIVE_SLASH;
                                break;
                        }
                        rc = url_copy_base_authority(u, base);
                        if (rc == 0)
                                rc = url_sb_puts(&u->path, base->path);
                        if (rc == 0 && base->query) {
                                u->has_query = 1;
                                rc = url_sb_puts(&u->query, base->query);
                        }
                        if (rc < 0)
                                goto out;
                        if (c == '?') {
                                url_sb_reset(&u->query);
                                u->has_query = 1;
                                state = URL_ST_QUERY;
                        } else if (c == '#') {
                                u->has_frag = 1;
                                state = URL_ST_FRAGMENT;
                        } else if (c != URL_EOF) {
                                url_sb_reset(&u->query);
                                u->has_query = 0;
                                url_shorten_path(&u->path);
                                state = URL_ST_PATH;
                                i--;
                        }
                        break;

                case URL_ST_RELATIVE_SLASH:
                        if (c == '/' || c == '\\') {
                                state = URL_ST_SPECIAL_AUTHORITY_IGNORE_SLASHES;
                        } else {
                                rc = url_copy_base_authority(u, base);
                                if (rc < 0)
                                        goto out;
                                state = URL_ST_PATH;
                                i--;
                        }
                        break;

                case URL_ST_SPECIAL_AUTHORITY_SLASHES:
                        state = URL_ST_SPECIAL_AUTHORITY_IGNORE_SLASHES;
                        if (c == '/' && next == '/')
                                i++;
                        else
                                i--;
                        break;

                case URL_ST_SPECIAL_AUTHORITY_IGNORE_SLASHES:
                        if (c != '/' && c != '\\') {
                                state = URL_ST_AUTHORITY;
                                astart = i;
                                i--;
                        }
                        break;

                case URL_ST_AUTHORITY:
                        if (c == '@') {
                                long k;

                                if (at_seen)
                                        rc = url_sb_puts(pw_seen ? &u->pass
                                                                 : &u->user,
                                                         "%40");
                                at_seen = 1;
                                for (k = astart; k < i && rc == 0; k++) {
                                        if (in[k] == ':' && !pw_seen) {
                                                pw_seen = 1;
                                                continue;
                                        }
                                        rc = url_sb_encode(
                                                pw_seen ? &u->pass : &u->user,
                                                in + k, 1, URL_SET_USERINFO);
                                }
                                if (rc < 0)
                                        goto out;
                                astart = i + 1;
                        } else if (c == URL_EOF || c == '/' || c == '?' ||
                                   c == '#' || c == '\\') {
                                if (at_seen && astart == i) {
                                        *why = "credentials without a host";
                                        rc = URL_ERR_INVALID;
                                        goto out;
                                }
                                i = astart - 1;
                                hstart = astart;
                                state = URL_ST_HOST;
                        }
                        break;

                case URL_ST_HOST:
                        if (c == ':' && !in_brackets) {
                                if (i == hstart) {
                                        *why = "empty host";
                                        rc = URL_ERR_INVALID;
                                        goto out;
                                }
                                rc = url_host_parse(in + hstart,
                                                    (size_t)(i - hstart),
                                                    &u->host, why);
                                if (rc < 0)
                                        goto out;
                                port_val = 0;
                                port_digits = 0;
                                state = URL_ST_PORT;
                        } else if (c == URL_EOF || c == '/' || c == '?' ||
                                   c == '#' || c == '\\') {
                                if (i == hstart) {
                                        *why = "empty host";
                                        rc = URL_ERR_INVALID;
                                        goto out;
                                }
                                rc = url_host_parse(in + hstart,
                                                    (size_t)(i - hstart),
                                                    &u->host, why);
                                if (rc < 0)
                                        goto out;
                                state = URL_ST_PATH_START;
                                i--;
                        } else if (c == '[') {
                                in_brackets = 1;
                        } else if (c == ']') {
                                in_brackets = 0;
                        }
                        break;

                case URL_ST_PORT:
                        if (url_is_digit(c)) {
                                if (port_val <= 65535)
                                        port_val = port_val * 10 + (c - '0');
                                port_digits = 1;
                        } else if (c == URL_EOF || c == '/' || c == '?' ||
                                   c == '#' || c == '\\') {
                                if (port_digits) {
                                        if (port_val > 65535) {
                                                *why = "port out of range";
                                                rc = URL_ERR_INVALID;
                                                goto out;
                                        }
                                        u->port = port_val == url_default_port(
                                                                      u->https)
                                                          ? -1
                                                          : (int)port_val;
                                }
                                state = URL_ST_PATH_START;
                                i--;
                        } else {
                                *why = "invalid port";
                                rc = URL_ERR_INVALID;
                                goto out;
                        }
                        break;

                case URL_ST_PATH_START:
                        state = URL_ST_PATH;
                        if (c != '/' && c != '\\')
                                i--;
                        break;

                case URL_ST_PATH:
                        if (c == URL_EOF || c == '/' || c == '\\' ||
                            c == '?' || c == '#') {
                                int slash = c == '/' || c == '\\';

                                if (url_is_double_dot(seg.p, seg.len)) {
                                        url_shorten_path(&u->path);
                                        if (!slash)
                                                rc = url_sb_putc(&u->path,
                                                                 '/');
                                } else if (url_is_single_dot(seg.p, seg.len)) {
                                        if (!slash)
                                                rc = url_sb_putc(&u->path,
                                                                 '/');
                                } else {
                                        rc = url_sb_putc(&u->path, '/');
                                        if (rc == 0)
                                                rc = url_sb_put(&u->path,
                                                                seg.p,
                                                                seg.len);
                                }
                                if (rc < 0)
                                        goto out;
                                url_sb_reset(&seg);
                                if (c == '?') {
                                        url_sb_reset(&u->query);
                                        u->has_query = 1;
                                        state = URL_ST_QUERY;
                                } else if (c == '#') {
                                        u->has_frag = 1;
                                        state = URL_ST_FRAGMENT;
                                }
                        } else {
                                rc = url_sb_encode(&seg, in + i, 1,
                                                   URL_SET_PATH);
                                if (rc < 0)
                                        goto out;
                        }
                        break;

                case URL_ST_QUERY:
                        if (c == '#') {
                                u->has_frag = 1;
                                state = URL_ST_FRAGMENT;
                        } else if (c != URL_EOF) {
                                rc = url_sb_encode(&u->query, in + i, 1,
                                                   URL_SET_SPECIAL_QUERY);
                                if (rc < 0)
                                        goto out;
                        }
                        break;

                case URL_ST_FRAGMENT:
                        if (c != URL_EOF) {
                                rc = url_sb_encode(&u->frag, in + i, 1,
                                                   URL_SET_FRAGMENT);
                                if (rc < 0)
                                        goto out;
                        }
                        break;
                }
                if (i >= len)
                        break;
                i++;
        }
out:
        *segp = seg; /* the caller frees or reuses it */
        if (rc == URL_ERR_TOO_LONG)
                *why = "URL too long";
        else if (rc == URL_ERR_NOMEM)
                *why = "out of memory";
        return rc;
}

static int url_serialise(const struct url_rec *u, struct url_sb *out)
{
        int rc;

        rc = url_sb_puts(out, u->https ? "https://" : "http://");
        if (rc == 0 && (u->user.len || u->pass.len)) {
                rc = url_sb_put(out, u->user.p, u->user.len);
                if (rc == 0 && u->pass.len) {
                        rc = url_sb_putc(out, ':');
                        if (rc == 0)
                                rc = url_sb_put(out, u->pass.p, u->pass.len);
                }
                if (rc == 0)
                        rc = url_sb_putc(out, '@');
        }
        if (rc == 0)
                rc = url_sb_put(out, u->host.p, u->host.len);
        if (rc == 0 && u->port >= 0) {
                rc = url_sb_putc(out, ':');
                if (rc == 0)
                        rc = url_sb_putu(out, (unsigned long)u->port, 10);
        }
        if (rc == 0)
                rc = url_sb_put(out, u->path.p, u->path.len);
        if (rc == 0 && u->has_query) {
                rc = url_sb_putc(out, '?');
                if (rc == 0)
                        rc = url_sb_put(out, u->query.p, u->query.len);
        }
        if (rc == 0 && u->has_frag) {
                rc = url_sb_putc(out, '#');
                if (rc == 0)
                        rc = url_sb_put(out, u->frag.p, u->frag.len);
        }
        return rc;
}

static void url_rec_free(struct url_rec *u)
{
        url_sb_free(&u->user);
        url_sb_free(&u->pass);
        url_sb_free(&u->host);
        url_sb_free(&u->path);
        url_sb_free(&u->query);
        url_sb_free(&u->frag);
}

/* ---- public API ------------------------------------------------------- */

void url_destroy(url_t *url)
{
        if (!url)
                return;
        free(url->href);
        free(url->scheme);
        free(url->username);
        free(url->password);
        free(url->host);
        free(url->path);
        free(url->query);
        free(url->fragment);
        free(url);
}

int url_parse_n(const char *input, size_t len, const url_t *base, url_t **urlp,
                char *errstr, size_t errstr_size)
{
        struct url_rec u = { .port = -1 };
        struct url_sb clean = { 0 };
        struct url_sb href = { 0 };
        struct url_sb seg = { 0 };
        const char *why = "invalid URL";
        size_t b = 0, e = len;
        url_t *url = NULL;
        int rc;

        if (urlp)
                *urlp = NULL;
        if (!input || !urlp) {
                rc = URL_ERR_INVALID;
                goto out;
        }
        if (len > URL_MAX_LEN) {
                why = "URL too long";
                rc = URL_ERR_TOO_LONG;
                goto out;
        }
        while (b < e && (unsigned char)input[b] <= 0x20)
                b++;
        while (e > b && (unsigned char)input[e - 1] <= 0x20)
                e--;
        rc = url_clean_utf8(input + b, e - b, &clean);
        if (rc < 0)
                goto out;
        rc = url_run(clean.p ? clean.p : "", clean.len, base, &u, &seg, &why);
        if (rc < 0)
                goto out;
        rc = url_serialise(&u, &href);
        if (rc < 0)
                goto out;

        url = calloc(1, sizeof(*url));
        if (!url) {
                rc = URL_ERR_NOMEM;
                goto out;
        }
        url->port = u.port;
        url->scheme = strdup(u.https ? "https" : "http");
        if (!url->scheme) {
                rc = URL_ERR_NOMEM;
                goto out;
        }
        rc = url_sb_take(&href, &url->href);
        if (rc == 0)
                rc = url_sb_take(&u.user, &url->username);
        if (rc == 0)
                rc = url_sb_take(&u.pass, &url->password);
        if (rc == 0)
                rc = url_sb_take(&u.host, &url->host);
        if (rc == 0)
                rc = url_sb_take(&u.path, &url->path);
        if (rc == 0 && u.has_query)
                rc = url_sb_take(&u.query, &url->query);
        if (rc == 0 && u.has_frag)
                rc = url_sb_take(&u.frag, &url->fragment);
        if (rc < 0)
                goto out;
        *urlp = url;
        url = NULL;
out:
        if (rc < 0) {
                if (rc == URL_ERR_NOMEM)
                        why = "out of memory";
                else if (rc == URL_ERR_TOO_LONG)
                        why = "URL too long";
                url_seterr(errstr, errstr_size, why);
        }
        url_destroy(url);
        url_rec_free(&u);
        url_sb_free(&clean);
        url_sb_free(&href);
        url_sb_free(&seg);
        return rc;
}

/* The buffers of one parse, kept for the next. */
struct url_scratch {
        struct url_rec u;
        struct url_sb clean;
        struct url_sb seg;
        struct url_sb href;
};

url_scratch_t *url_scratch_new(void)
{
        url_scratch_t *sc = calloc(1, sizeof(*sc));

        if (sc)
                sc->u.port = -1;
        return sc;
}

void url_scratch_destroy(url_scratch_t *sc)
{
        if (!sc)
                return;
        url_rec_free(&sc->u);
        url_sb_free(&sc->clean);
        url_sb_free(&sc->seg);
        url_sb_free(&sc->href);
        free(sc);
}

int url_href_n(url_scratch_t *sc, const char *input, size_t len,
               const url_t *base, const char **hrefp, size_t *href_lenp)
{
        struct url_rec *u = &sc->u;
        const char *why = "invalid URL";
        size_t b = 0, e = len;
        int rc;

        *hrefp = NULL;
        *href_lenp = 0;
        if (!input)
                return URL_ERR_INVALID;
        if (len > URL_MAX_LEN)
                return URL_ERR_TOO_LONG;
        /* As fresh as url_parse_n()'s: empty buffers, no port, no query,
         * no fragment. */
        url_sb_reset(&u->user);
        url_sb_reset(&u->pass);
        url_sb_reset(&u->host);
        url_sb_reset(&u->path);
        url_sb_reset(&u->query);
        url_sb_reset(&u->frag);
        u->https = 0;
        u->port = -1;
        u->has_query = 0;
        u->has_frag = 0;
        url_sb_reset(&sc->clean);
        url_sb_reset(&sc->seg);
        url_sb_reset(&sc->href);
        while (b < e && (unsigned char)input[b] <= 0x20)
                b++;
        while (e > b && (unsigned char)input[e - 1] <= 0x20)
                e--;
        rc = url_clean_utf8(input + b, e - b, &sc->clean);
        if (rc < 0)
                return rc;
        rc = url_run(sc->clean.p ? sc->clean.p : "", sc->clean.len, base, u,
                     &sc->seg, &why);
        if (rc < 0)
                return rc;
        rc = url_serialise(u, &sc->href);
        if (rc < 0)
                return rc;
        *hrefp = sc->href.p;
        *href_lenp = sc->href.len;
        return URL_OK;
}

int url_parse(const char *input, const url_t *base, url_t **urlp, char *errstr,
              size_t errstr_size)
{
        /* strnlen: an over-long input is refused without reading it all */
        size_t len = input ? strnlen(input, (size_t)URL_MAX_LEN + 1) : 0;

        return url_parse_n(input, len, base, urlp, errstr, errstr_size);
}

int url_resolve(const char *ref, const char *base, char **hrefp, char *errstr,
                size_t errstr_size)
{
        url_t *b = NULL, *u = NULL;
        int rc;

        if (!hrefp) {
                rc = URL_ERR_INVALID;
                goto out;
        }
        *hrefp = NULL;
        if (base) {
                rc = url_parse(base, NULL, &b, errstr, errstr_size);
                if (rc < 0)
                        goto out;
        }
        rc = url_parse(ref, b, &u, errstr, errstr_size);
        if (rc < 0)
                goto out;
        *hrefp = u->href;
        u->href = NULL;
out:
        url_destroy(u);
        url_destroy(b);
        return rc;
}

int url_host_key(const url_t *url, char *buf, size_t size)
{
        size_t hlen, n;
        char port[8];
        size_t plen = 0;
        int https;

        if (!url || !url->host || !url->scheme || !buf || size == 0)
                return -1;
        https = strcmp(url->scheme, "https") == 0;
        hlen = strlen(url->host);
        if (hlen > 1 && url->host[hlen - 1] == '.')
                hlen--;
        if (url->port >= 0 && url->port <= 65535 &&
            url->port != url_default_port(https)) {
                int p = url->port;
                size_t k = sizeof(port);

                do {
                        port[--k] = (char)('0' + p % 10);
                        p /= 10;
                } while (p && k > 1);
                port[--k] = ':';
                plen = sizeof(port) - k;
                memmove(port, port + k, plen);
        }
        n = hlen + plen;
        if (n >= size || n > 0x7fffffff)
                return -1;
        for (size_t i = 0; i < hlen; i++)
                buf[i] = (char)url_lower((unsigned char)url->host[i]);
        memcpy(buf + hlen, port, plen);
        buf[n] = '\0';
        return (int)n;
}
