/*
 * urlmsg.c — URL messages: bare lines or JSON objects (see urlmsg.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "jsonread.h"
#include "utf8.h"
#include "url.h"
#include "urlmsg.h"

void urlmsg_clear(urlmsg_t *um)
{
        free(um->url);
        free(um->host_key);
        free(um->id);
        free(um->meta);
        free(um->kind);
        free(um->lastmod);
        free(um->sitemap_host);
        memset(um, 0, sizeof(*um));
        um->depth = -1;
        um->recrawl = URLMSG_RECRAWL_ABSENT;
}

/* A parsed JSON value as compact text (malloc'd), NULL on failure. */
static char *json_text(yajl_val v)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t len;
        char *s = NULL;

        if (!g)
                return NULL;
        /* The tree is at most URLMSG_MAX_DEPTH deep: jsonread_tree()
         * checked. */
        if (!jsonread_gen(g, v) &&
            yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
                s = strndup((const char *)buf, len);
        yajl_gen_free(g);
        return s;
}

/* A string member of at most max bytes into *out (NULL when absent);
 * -1 with a reason when it is not one. */
static int member_str(yajl_val root, const char *name, size_t max, char **out,
                      char *errstr, size_t errstr_size)
{
        const char *path[] = { name, NULL };
        yajl_val v = yajl_tree_get(root, path, yajl_t_any);

        if (!v)
                return 0;
        if (!YAJL_IS_STRING(v) || strlen(v->u.string) > max) {
                snprintf(errstr, errstr_size,
                         "\"%s\" is not a string of at most %zu bytes", name,
                         max);
                return -1;
        }
        *out = strdup(v->u.string);
        if (!*out) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        return 0;
}

/* The discovery members: kind (a page when absent), lastmod and
 * sitemap_host (a host key: no '/', '@', space or control byte). */
static int decode_discovery(yajl_val root, urlmsg_t *um, char *errstr,
                            size_t errstr_size)
{
        char *kind = NULL;

        if (member_str(root, "kind", 16, &kind, errstr, errstr_size) ||
            member_str(root, "lastmod", URLMSG_LASTMOD_MAX, &um->lastmod,
                       errstr, errstr_size) ||
            member_str(root, "sitemap_host", URLMSG_HOST_MAX,
                       &um->sitemap_host, errstr, errstr_size)) {
                free(kind);
                return -1;
        }
        if (kind && strcmp(kind, "page") && strcmp(kind, "sitemap") &&
            strcmp(kind, "feed")) {
                snprintf(errstr, errstr_size,
                         "\"kind\" is not \"page\", \"sitemap\" or "
                         "\"feed\"");
                free(kind);
                return -1;
        }
        if (kind && strcmp(kind, "page") == 0) {
                free(kind);
                kind = NULL;
        }
        um->kind = kind;
        if (um->sitemap_host) {
                const unsigned char *c =
                        (const unsigned char *)um->sitemap_host;

                if (!*c) {
                        snprintf(errstr, errstr_size,
                                 "\"sitemap_host\" is empty");
                        return -1;
                }
                for (; *c; c++) {
                        if (*c <= ' ' || *c == '/' || *c == '@' ||
                            *c == 0x7f) {
                                snprintf(errstr, errstr_size,
                                         "\"sitemap_host\" is not a host");
                                return -1;
                        }
                }
        }
        return 0;
}

/* "recrawl": seconds between fetches (an integer from 0, no recrawl,
 * to URLMSG_RECRAWL_MAX) or false (stop the URL's recrawls). */
static int decode_recrawl(yajl_val root, urlmsg_t *um, char *errstr,
                          size_t errstr_size)
{
        static const char *path[] = { "recrawl", NULL };
        yajl_val v = yajl_tree_get(root, path, yajl_t_any);

        if (!v)
                return 0;
        if (YAJL_IS_FALSE(v)) {
                um->recrawl = URLMSG_RECRAWL_STOP;
                return 0;
        }
        if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 ||
            YAJL_GET_INTEGER(v) > URLMSG_RECRAWL_MAX) {
                snprintf(errstr, errstr_size,
                         "\"recrawl\" is not false or an integer from 0 "
                         "to %ld (seconds)",
                         URLMSG_RECRAWL_MAX);
                return -1;
        }
        um->recrawl = (long)YAJL_GET_INTEGER(v);
        return 0;
}

/* Decodes the JSON form into *um; the URL text lands in um->url. */
static int decode_json(const char *text, size_t len, urlmsg_t *um,
                       char *errstr, size_t errstr_size)
{
        static const jsonread_caps_t caps = { URLMSG_MAX_BYTES,
                                              URLMSG_MAX_DEPTH,
                                              JSONREAD_REPAIR };
        static const char *url_path[] = { "url", NULL };
        static const char *id_path[] = { "id", NULL };
        static const char *meta_path[] = { "meta", NULL };
        static const char *depth_path[] = { "depth", NULL };
        yajl_val root = jsonread_tree(text, len, &caps, errstr, errstr_size);
        yajl_val v;
        int rc = -1;

        if (!root)
                return -1;
        if (!YAJL_IS_OBJECT(root)) {
                snprintf(errstr, errstr_size, "JSON value is not an object");
                goto out;
        }
        v = yajl_tree_get(root, url_path, yajl_t_any);
        if (!v || !YAJL_IS_STRING(v)) {
                snprintf(errstr, errstr_size,
                         v ? "\"url\" is not a string" : "no \"url\" field");
                goto out;
        }
        um->url = strdup(v->u.string);
        v = yajl_tree_get(root, id_path, yajl_t_any);
        if (v) {
                if (!YAJL_IS_STRING(v)) {
                        snprintf(errstr, errstr_size,
                                 "\"id\" is not a string");
                        goto out;
                }
                um->id = strdup(v->u.string);
                if (!um->id) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto out;
                }
        }
        v = yajl_tree_get(root, depth_path, yajl_t_any);
        if (v) {
                if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 ||
                    YAJL_GET_INTEGER(v) > 1000000) {
                        snprintf(errstr, errstr_size,
                                 "\"depth\" is not an integer >= 0");
                        goto out;
                }
                um->depth = (long)YAJL_GET_INTEGER(v);
        }
        if (decode_discovery(root, um, errstr, errstr_size) ||
            decode_recrawl(root, um, errstr, errstr_size))
                goto out;
        v = yajl_tree_get(root, meta_path, yajl_t_any);
        if (v) {
                um->meta = json_text(v);
                if (!um->meta) {
                        snprintf(errstr, errstr_size,
                                 "\"meta\" cannot be re-serialised");
                        goto out;
                }
        }
        if (!um->url) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        rc = 0;
out:
        yajl_tree_free(root);
        return rc;
}

int urlmsg_decode(const void *value, size_t len, urlmsg_t *um,
                  const char **code, char *errstr, size_t errstr_size)
{
        const char *s = value, *end;
        char *text = NULL, why[256];
        char key[512];
        url_t *u = NULL;
        int rc = -1, err;

        memset(um, 0, sizeof(*um));
        um->depth = -1;
        um->recrawl = URLMSG_RECRAWL_ABSENT;
        *code = "invalid_message";

        if (!value || len == 0) {
                snprintf(errstr, errstr_size, "empty message");
                goto out;
        }
        if (len > URLMSG_MAX_BYTES) {
                snprintf(errstr, errstr_size,
                         "message of %zu bytes is over the %d-byte limit", len,
                         URLMSG_MAX_BYTES);
                goto out;
        }
        if (utf8_valid_prefix(value, len) != len) {
                snprintf(errstr, errstr_size, "message is not valid UTF-8");
                goto out;
        }
        if (memchr(value, '\0', len)) {
                snprintf(errstr, errstr_size, "message contains a NUL byte");
                goto out;
        }
        /* Trim surrounding whitespace (a line from a file or kcat). */
        end = s + len;
        while (s < end &&
               (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
                s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
                           end[-1] == '\r' || end[-1] == '\n'))
                end--;
        text = strndup(s, (size_t)(end - s));
        if (!text) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        if (!*text) {
                snprintf(errstr, errstr_size, "message is only whitespace");
                goto out;
        }

        if (*text == '{') {
                if (decode_json(text, (size_t)(end - s), um, errstr,
                                errstr_size))
                        goto out;
        } else {
                if (strpbrk(text, "\r\n")) {
                        snprintf(errstr, errstr_size,
                                 "a bare URL message holds one line");
                        goto out;
                }
                um->url = text;
                text = NULL;
        }

        err = url_parse(um->url, NULL, &u, why, sizeof(why));
        if (err) {
                *code = err == URL_ERR_SCHEME ? "unsupported_scheme"
                                              : "invalid_url";
                snprintf(errstr, errstr_size, "%s", why);
                goto out;
        }
        if (url_host_key(u, key, sizeof(key)) < 0) {
                *code = "invalid_url";
                snprintf(errstr, errstr_size, "host too long");
                goto out;
        }
        free(um->url);
        um->url = strdup(u->href);
        um->host_key = strdup(key);
        if (!um->url || !um->host_key) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        rc = 0;
out:
        free(text);
        url_destroy(u);
        return rc;
}
