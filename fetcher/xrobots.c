/*
 * xrobots.c — X-Robots-Tag values as a JSON array (see xrobots.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_gen.h>

#include "utf8.h"
#include "xrobots.h"

char *xrobots_header(CURL *easy, const char *name)
{
        struct curl_header *hdr = NULL;
        size_t vlen;

        if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &hdr) !=
                    CURLHE_OK ||
            !hdr || !hdr->value)
                return NULL;
        /* index 0 of amount: the last is what counts */
        if (hdr->amount > 1 &&
            curl_easy_header(easy, name, hdr->amount - 1, CURLH_HEADER, -1,
                             &hdr) != CURLHE_OK)
                return NULL;
        vlen = strlen(hdr->value);
        if (vlen > XROBOTS_MAX_VALUE)
                vlen = XROBOTS_MAX_VALUE;
        vlen = utf8_valid_prefix((const unsigned char *)hdr->value, vlen);
        return strndup(hdr->value, vlen);
}

int xrobots_tdm_reserved(const char *value)
{
        const char *s = value;
        size_t n;

        if (!s)
                return 0;
        while (*s == ' ' || *s == '\t')
                s++;
        n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        return n == 1 && *s == '1';
}

char *xrobots_json(CURL *easy)
{
        struct curl_header *hdr = NULL, *prev = NULL;
        yajl_gen g = NULL;
        const unsigned char *buf;
        size_t len;
        char *out = NULL;
        int n = 0;

        while (n < XROBOTS_MAX_VALUES) {
                hdr = curl_easy_nextheader(easy, CURLH_HEADER, -1, prev);
                if (!hdr)
                        break;
                prev = hdr;
                if (strcasecmp(hdr->name, "x-robots-tag") || !hdr->value)
                        continue;
                if (!g) {
                        g = yajl_gen_alloc(NULL);
                        if (!g)
                                return NULL;
                        yajl_gen_array_open(g);
                }
                size_t vlen = strlen(hdr->value);
                if (vlen > XROBOTS_MAX_VALUE)
                        vlen = XROBOTS_MAX_VALUE;
                /* Header bytes are not promised UTF-8: the valid prefix. */
                vlen = utf8_valid_prefix((const unsigned char *)hdr->value,
                                         vlen);
                yajl_gen_string(g, (const unsigned char *)hdr->value, vlen);
                n++;
        }
        if (!g)
                return NULL;
        yajl_gen_array_close(g);
        if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
                out = strndup((const char *)buf, len);
        yajl_gen_free(g);
        return out;
}
