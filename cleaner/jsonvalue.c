/*
 * jsonvalue.c — strict-UTF-8 string values and re-emitted JSON text (see
 * jsonvalue.h).
 */
#include "jsonvalue.h"

#include "jsonstr.h"
#include "utf8.h"

#include <stdlib.h>

#include <yajl/yajl_parse.h>

int jsonvalue_quote(dynbuf_t *b, const unsigned char *s, size_t len)
{
        char *fixed;
        size_t fixed_len;
        int rc;

        rc = json_quote(&b->data, &b->len, &b->cap, b->max, s, len);
        if (rc == 1) {
                if (utf8_repair(s, len, 0, &fixed, &fixed_len) < 0)
                        return -1;
                rc = json_quote(&b->data, &b->len, &b->cap, b->max,
                                (const unsigned char *)fixed, fixed_len);
                free(fixed);
        }
        return rc == 0 ? 0 : -1;
}

yajl_gen_status jsonvalue_string(yajl_gen gen, dynbuf_t *scratch,
                                 const unsigned char *s, size_t len, int *oom)
{
        if (s == NULL)
                return yajl_gen_null(gen);
        scratch->len = 0;
        if (jsonvalue_quote(scratch, s, len) < 0) {
                *oom = 1;
                return yajl_gen_invalid_string;
        }
        return yajl_gen_number(gen, scratch->data, scratch->len);
}

yajl_gen_status jsonvalue_key(yajl_gen gen, const unsigned char *s, size_t len,
                              int *oom)
{
        yajl_gen_status st;
        char *fixed;
        size_t fixed_len;

        if (utf8_valid_prefix(s, len) == len)
                return yajl_gen_string(gen, s, len);
        if (utf8_repair(s, len, 0, &fixed, &fixed_len) < 0) {
                *oom = 1;
                return yajl_gen_invalid_string;
        }
        st = yajl_gen_string(gen, (const unsigned char *)fixed, fixed_len);
        free(fixed);
        return st;
}

/* Re-emitting: a yajl parser whose callbacks drive a generator writing
 * into `out`. */
typedef struct reemit {
        yajl_gen gen;
        dynbuf_t *out;
        dynbuf_t *scratch;
        int oom;
} reemit_t;

#define REEMIT_CB(expr) \
        (((reemit_t *)ctx)->oom == 0 && (expr) == yajl_gen_status_ok)

static int re_null(void *ctx)
{
        return REEMIT_CB(yajl_gen_null(((reemit_t *)ctx)->gen));
}

static int re_bool(void *ctx, int v)
{
        return REEMIT_CB(yajl_gen_bool(((reemit_t *)ctx)->gen, v));
}

/* Numbers are kept as the text wrote them. */
static int re_number(void *ctx, const char *s, size_t len)
{
        return REEMIT_CB(yajl_gen_number(((reemit_t *)ctx)->gen, s, len));
}

static int re_string(void *ctx, const unsigned char *s, size_t len)
{
        reemit_t *re = ctx;

        return REEMIT_CB(
                jsonvalue_string(re->gen, re->scratch, s, len, &re->oom));
}

static int re_key(void *ctx, const unsigned char *s, size_t len)
{
        reemit_t *re = ctx;

        return REEMIT_CB(jsonvalue_key(re->gen, s, len, &re->oom));
}

static int re_map_open(void *ctx)
{
        return REEMIT_CB(yajl_gen_map_open(((reemit_t *)ctx)->gen));
}

static int re_map_close(void *ctx)
{
        return REEMIT_CB(yajl_gen_map_close(((reemit_t *)ctx)->gen));
}

static int re_array_open(void *ctx)
{
        return REEMIT_CB(yajl_gen_array_open(((reemit_t *)ctx)->gen));
}

static int re_array_close(void *ctx)
{
        return REEMIT_CB(yajl_gen_array_close(((reemit_t *)ctx)->gen));
}

static const yajl_callbacks reemit_callbacks = {
        re_null,      re_bool,       NULL,           NULL,
        re_number,    re_string,     re_map_open,    re_key,
        re_map_close, re_array_open, re_array_close,
};

static void out_print(void *ctx, const char *s, size_t len)
{
        reemit_t *re = ctx;

        if (dynbuf_add(re->out, s, len) < 0)
                re->oom = 1;
}

int jsonvalue_reemit(const unsigned char *s, size_t len, dynbuf_t *out,
                     dynbuf_t *scratch)
{
        reemit_t re = { NULL, out, scratch, 0 };
        yajl_handle parser = NULL;
        char *fixed = NULL;
        size_t fixed_len;
        int rc = -1;

        /* Strictly valid UTF-8 before yajl sees it (its check is loose). */
        if (utf8_valid_prefix(s, len) != len) {
                if (utf8_repair(s, len, 0, &fixed, &fixed_len) < 0)
                        goto out;
                s = (const unsigned char *)fixed;
                len = fixed_len;
        }
        out->len = 0;
        re.gen = yajl_gen_alloc(NULL);
        if (re.gen == NULL)
                goto out;
        yajl_gen_config(re.gen, yajl_gen_print_callback, out_print, &re);
        parser = yajl_alloc(&reemit_callbacks, NULL, &re);
        if (parser == NULL)
                goto out;
        if (yajl_parse(parser, s, len) != yajl_status_ok ||
            yajl_complete_parse(parser) != yajl_status_ok || out->len == 0) {
                rc = re.oom ? -1 : 1;
                goto out;
        }
        if (re.oom)
                goto out;
        rc = 0;
out:
        if (parser != NULL)
                yajl_free(parser);
        if (re.gen != NULL)
                yajl_gen_free(re.gen);
        free(fixed);
        return rc;
}
