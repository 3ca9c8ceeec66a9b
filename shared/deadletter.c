/*
 * deadletter.c — error objects for the errors topic (see deadletter.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <yajl/yajl_gen.h>

#include "clock.h"
#include "deadletter.h"
#include "utf8.h"

#define GEN_STR(g, s) \
        yajl_gen_string((g), (const unsigned char *)(s), strlen(s))

int deadletter_json(const deadletter_t *dl, char **out, size_t *out_len)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        char at[CLOCK_RFC3339_SIZE];
        size_t len, in_len = dl->input_len;
        bool cut = false;
        int rc = -1;

        if (!g)
                return -1;
        if (in_len > DEADLETTER_INPUT_MAX) {
                in_len = DEADLETTER_INPUT_MAX;
                cut = true;
        }

        yajl_gen_map_open(g);
        GEN_STR(g, "stage");
        GEN_STR(g, dl->stage);
        GEN_STR(g, "code");
        GEN_STR(g, dl->code);
        GEN_STR(g, "message");
        /* A message may quote input bytes: keep it valid UTF-8. */
        yajl_gen_string(g, (const unsigned char *)dl->message,
                        utf8_valid_prefix(
                                (const unsigned char *)dl->message,
                                strnlen(dl->message, DEADLETTER_MESSAGE_MAX)));
        if (dl->url) {
                size_t url_len = strnlen(dl->url, DEADLETTER_URL_MAX + 1);
                bool url_cut = url_len > DEADLETTER_URL_MAX;

                if (url_cut)
                        url_len = DEADLETTER_URL_MAX;
                GEN_STR(g, "url");
                yajl_gen_string(
                        g, (const unsigned char *)dl->url,
                        utf8_valid_prefix((const unsigned char *)dl->url,
                                          url_len));
                if (url_cut) {
                        GEN_STR(g, "url_truncated");
                        yajl_gen_bool(g, 1);
                }
        }
        if (dl->topic) {
                GEN_STR(g, "topic");
                GEN_STR(g, dl->topic);
                GEN_STR(g, "partition");
                yajl_gen_integer(g, dl->partition);
                GEN_STR(g, "offset");
                yajl_gen_integer(g, dl->offset);
        }
        GEN_STR(g, "at");
        GEN_STR(g, clock_rfc3339(at, sizeof(at)));
        if (dl->attempts > 0) {
                GEN_STR(g, "attempts");
                yajl_gen_integer(g, dl->attempts);
        }
        if (dl->proxy) {
                GEN_STR(g, "proxy");
                GEN_STR(g, dl->proxy);
        }
        /* An input with a place (topic) is always shown, an empty one as
         * "" (a null or empty Kafka value). */
        if (dl->input || dl->topic) {
                const unsigned char *in =
                        dl->input ? dl->input : (const unsigned char *)"";
                size_t valid = utf8_valid_prefix(in, in_len);

                /* A cut may split the last character: that is still text. */
                if (valid == in_len ||
                    (cut && in_len - valid < 4 &&
                     utf8_valid_prefix(in, dl->input_len) > valid)) {
                        GEN_STR(g, "input");
                        yajl_gen_string(g, in, valid);
                } else {
                        int b64_len = 4 * (((int)in_len + 2) / 3);
                        unsigned char *b64 = malloc((size_t)b64_len + 1);

                        if (!b64)
                                goto out;
                        b64_len = EVP_EncodeBlock(b64, in, (int)in_len);
                        GEN_STR(g, "input_base64");
                        yajl_gen_string(g, b64, (size_t)b64_len);
                        free(b64);
                }
                if (cut) {
                        GEN_STR(g, "input_truncated");
                        yajl_gen_bool(g, 1);
                }
        }
        yajl_gen_map_close(g);

        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
                goto out;
        *out = malloc(len + 1);
        if (!*out)
                goto out;
        memcpy(*out, buf, len);
        (*out)[len] = '\0';
        *out_len = len;
        rc = 0;
out:
        yajl_gen_free(g);
        return rc;
}

size_t deadletter_key_len(size_t len)
{
        return len > DEADLETTER_KEY_MAX ? DEADLETTER_KEY_MAX : len;
}
