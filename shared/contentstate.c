/*
 * contentstate.c — content digests, change decisions and the content
 * state message (see contentstate.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "contentstate.h"
#include "dynbuf.h"
#include "jsonread.h"
#include "jsonstr.h"

#define JSON_MAX (CONTENTSTATE_URL_MAX * 6 + 1024)

int contentstate_digest(const void *p, size_t n,
                        unsigned char out[CONTENTSTATE_DIGEST_LEN])
{
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int dl = 0;

        if (!EVP_Digest(n ? p : "", n, d, &dl, EVP_sha256(), NULL) ||
            dl != CONTENTSTATE_DIGEST_LEN)
                return -1;
        memcpy(out, d, CONTENTSTATE_DIGEST_LEN);
        return 0;
}

void contentstate_hex(const unsigned char d[CONTENTSTATE_DIGEST_LEN],
                      char *hex)
{
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < CONTENTSTATE_DIGEST_LEN; i++) {
                hex[2 * i] = digits[d[i] >> 4];
                hex[2 * i + 1] = digits[d[i] & 15];
        }
        hex[CONTENTSTATE_HEX_LEN] = '\0';
}

/* Lower-case hex digits' values + 1, 0 for any other byte: a table, as
 * random digits would mispredict a branch on every other one (a load
 * decodes a million digests). */
static const unsigned char hexval[256] = {
        ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
        ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
        ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

int contentstate_unhex(const char *s, unsigned char d[CONTENTSTATE_DIGEST_LEN])
{
        unsigned bad = 0;

        if (strlen(s) != CONTENTSTATE_HEX_LEN)
                return -1;
        for (size_t i = 0; i < CONTENTSTATE_DIGEST_LEN; i++) {
                unsigned hi = hexval[(unsigned char)s[2 * i]],
                         lo = hexval[(unsigned char)s[2 * i + 1]];

                bad |= !hi | !lo;
                d[i] = (unsigned char)(((hi - 1) << 4) | ((lo - 1) & 15));
        }
        return bad ? -1 : 0;
}

int contentstate_changed(const char *prev_hex,
                         const unsigned char cur[CONTENTSTATE_DIGEST_LEN])
{
        unsigned char prev[CONTENTSTATE_DIGEST_LEN];

        if (!prev_hex || !*prev_hex || contentstate_unhex(prev_hex, prev))
                return -1;
        return memcmp(prev, cur, CONTENTSTATE_DIGEST_LEN) ? 1 : 0;
}

bool contentstate_value_changed(bool had_prev, const char *prev,
                                const char *cur)
{
        if (!had_prev)
                return false;
        if (!prev)
                prev = "";
        if (!cur)
                cur = "";
        return strcmp(prev, cur) != 0;
}

int contentstate_key(const char *url, char *buf, size_t size)
{
        int n = snprintf(buf, size, "%s%s", CONTENTSTATE_KEY_PREFIX, url);

        return n < 0 || (size_t)n >= size ? -1 : n;
}

bool contentstate_is_key(const void *key, size_t len, const char **url,
                         size_t *url_len)
{
        if (!key || len <= CONTENTSTATE_KEY_PREFIX_LEN ||
            memcmp(key, CONTENTSTATE_KEY_PREFIX, CONTENTSTATE_KEY_PREFIX_LEN))
                return false;
        *url = (const char *)key + CONTENTSTATE_KEY_PREFIX_LEN;
        *url_len = len - CONTENTSTATE_KEY_PREFIX_LEN;
        return true;
}

static int add(dynbuf_t *b, const char *s)
{
        return dynbuf_add(b, s, strlen(s));
}

/* ,"name":"value"; nothing when val is empty. */
static int add_str(dynbuf_t *b, const char *name, const char *val)
{
        if (!*val)
                return 0;
        if (add(b, ",\"") || add(b, name) || add(b, "\":"))
                return -1;
        return json_quote(&b->data, &b->len, &b->cap, b->max,
                          (const unsigned char *)val, strlen(val))
                       ? -1
                       : 0;
}

int contentstate_encode(const char *url, const contentstate_t *cs, char **json,
                        size_t *len)
{
        dynbuf_t b;
        char num[64], hex[CONTENTSTATE_HEX_LEN + 1];
        int rc = -1;

        dynbuf_init(&b, JSON_MAX);
        snprintf(num, sizeof(num), ",\"at_ms\":%lld", (long long)cs->at_ms);
        if (add(&b, "{\"v\":1,\"kind\":\"content\"") ||
            add_str(&b, "url", url) || add(&b, num))
                goto out;
        if (cs->has_digest) {
                contentstate_hex(cs->digest, hex);
                if (add_str(&b, "content_sha256", hex))
                        goto out;
        }
        if (add_str(&b, "price", cs->price) ||
            add_str(&b, "availability", cs->availability) ||
            add(&b, cs->changed > 0    ? ",\"changed\":true"
                    : cs->changed == 0 ? ",\"changed\":false"
                                       : ",\"changed\":null") ||
            add(&b, "}"))
                goto out;
        *json = b.data;
        *len = b.len;
        b.data = NULL;
        rc = 0;
out:
        dynbuf_free(&b);
        return rc;
}

int contentstate_decode(const void *key, size_t key_len, const void *value,
                        size_t value_len, contentstate_t *cs, char *errstr,
                        size_t errstr_size)
{
        static const jsonread_caps_t caps = { JSON_MAX, 1, 0 };
        static const char *const p_v[] = { "v", NULL };
        static const char *const p_at[] = { "at_ms", NULL };
        static const char *const p_ch[] = { "changed", NULL };
        char *text = NULL, *url = NULL, kind[16],
             hex[CONTENTSTATE_HEX_LEN + 1];
        const char *kurl = NULL, *what = NULL;
        size_t kurl_len = 0;
        yajl_val root = NULL, v;
        int rc = -1;

        memset(cs, 0, sizeof(*cs));
        if (!contentstate_is_key(key, key_len, &kurl, &kurl_len) ||
            kurl_len > CONTENTSTATE_URL_MAX) {
                snprintf(errstr, errstr_size,
                         "content state without a content:URL key");
                return -1;
        }
        if (!value || value_len > JSON_MAX) {
                snprintf(errstr, errstr_size,
                         "content state empty or too long");
                return -1;
        }
        text = malloc(value_len + 1);
        url = malloc(CONTENTSTATE_URL_MAX + 1);
        if (!text || !url) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        memcpy(text, value, value_len);
        text[value_len] = '\0';
        root = jsonread_tree(text, value_len, &caps, errstr, errstr_size);
        if (!root)
                goto out;
        if (!YAJL_IS_OBJECT(root)) {
                what = "not a JSON object";
                goto out;
        }
        v = yajl_tree_get(root, (const char **)p_v, yajl_t_any);
        if (!v || !YAJL_IS_INTEGER(v) ||
            YAJL_GET_INTEGER(v) != CONTENTSTATE_VERSION) {
                what = "no \"v\": 1 (another format or version)";
                goto out;
        }
        if (jsonread_get_str(root, "kind", kind, sizeof(kind)) ||
            strcmp(kind, "content")) {
                what = "no \"kind\": \"content\"";
                goto out;
        }
        if (jsonread_get_str(root, "url", url, CONTENTSTATE_URL_MAX + 1) ||
            strlen(url) != kurl_len || memcmp(url, kurl, kurl_len)) {
                what = "\"url\" is not the key's";
                goto out;
        }
        v = yajl_tree_get(root, (const char **)p_at, yajl_t_any);
        if (v && (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0)) {
                what = "bad \"at_ms\"";
                goto out;
        }
        cs->at_ms = v ? YAJL_GET_INTEGER(v) : 0;
        if (jsonread_get_str(root, "content_sha256", hex, sizeof(hex)) ||
            (*hex && contentstate_unhex(hex, cs->digest))) {
                what = "bad \"content_sha256\"";
                goto out;
        }
        cs->has_digest = *hex != '\0';
        if (jsonread_get_str(root, "price", cs->price, sizeof(cs->price)) ||
            jsonread_get_str(root, "availability", cs->availability,
                             sizeof(cs->availability))) {
                what = "bad \"price\" or \"availability\"";
                goto out;
        }
        v = yajl_tree_get(root, (const char **)p_ch, yajl_t_any);
        if (v && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v) && !YAJL_IS_NULL(v)) {
                what = "bad \"changed\"";
                goto out;
        }
        cs->changed = !v || YAJL_IS_NULL(v) ? -1 : YAJL_IS_TRUE(v) ? 1 : 0;
        rc = 0;
out:
        if (what)
                snprintf(errstr, errstr_size, "content state: %s", what);
        yajl_tree_free(root);
        free(text);
        free(url);
        return rc;
}
