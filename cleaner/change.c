/*
 * change.c — content digest and change decision of a page (see change.h).
 */
#include "change.h"

#include <stdio.h>
#include <string.h>

#include "jsonread.h"

#define PRODUCT_JSON_MAX (1024 * 1024)

/* A string member of obj into dst, "" when absent, null, not a string
 * or too long. */
static void member(yajl_val obj, const char *name, char *dst, size_t size)
{
        const char *path[] = { name, NULL };
        yajl_val v = yajl_tree_get(obj, path, yajl_t_string);
        size_t n;

        *dst = '\0';
        if (!v || !v->u.string)
                return;
        n = strlen(v->u.string);
        if (n < size)
                memcpy(dst, v->u.string, n + 1);
}

void change_product_values(const char *json, size_t len, char *price,
                           size_t price_size, char *avail, size_t avail_size)
{
        static const jsonread_caps_t caps = { PRODUCT_JSON_MAX, 64,
                                              JSONREAD_REPAIR };
        char why[128];
        yajl_val root;

        *price = *avail = '\0';
        if (!json || !len)
                return;
        root = jsonread_tree(json, len, &caps, why, sizeof(why));
        if (!root)
                return;
        if (YAJL_IS_OBJECT(root)) {
                member(root, "price", price, price_size);
                member(root, "availability", avail, avail_size);
        }
        yajl_tree_free(root);
}

/* A header value into dst ("" when NULL or too long). */
static void copy_value(char *dst, size_t size, const char *v)
{
        size_t n = v ? strlen(v) : 0;

        *dst = '\0';
        if (v && n < size)
                memcpy(dst, v, n + 1);
}

int change_decide(change_t *c, const change_prev_t *prev, const char *content,
                  size_t content_len, const void *body, size_t body_len,
                  const char *product_json, size_t product_len)
{
        memset(c, 0, sizeof(*c));
        c->changed = -1;
        c->had_prev = prev->content_sha256 && *prev->content_sha256 &&
                      contentstate_unhex(prev->content_sha256, c->digest) == 0;
        copy_value(c->prev_price, sizeof(c->prev_price), prev->price);
        copy_value(c->prev_availability, sizeof(c->prev_availability),
                   prev->availability);
        if (prev->not_modified) {
                /* Not modified: the previous content, unchanged. */
                c->has_digest = c->had_prev;
                c->changed = 0;
                /* Said again (changed: false) when there is a digest to
                 * keep: the content state is the last fetch's. */
                c->write_state = c->had_prev;
                memcpy(c->price, c->prev_price, sizeof(c->price));
                memcpy(c->availability, c->prev_availability,
                       sizeof(c->availability));
                return 0;
        }
        if (content && content_len) {
                if (contentstate_digest(content, content_len, c->digest))
                        return -1;
        } else if (contentstate_digest(body, body_len, c->digest)) {
                return -1;
        }
        c->has_digest = true;
        c->write_state = true;
        c->changed = contentstate_changed(
                c->had_prev ? prev->content_sha256 : NULL, c->digest);
        change_product_values(product_json, product_len, c->price,
                              sizeof(c->price), c->availability,
                              sizeof(c->availability));
        c->price_changed = contentstate_value_changed(c->had_prev,
                                                      c->prev_price, c->price);
        c->availability_changed = contentstate_value_changed(
                c->had_prev, c->prev_availability, c->availability);
        return 0;
}
