/*
 * links.c — link following (see links.h).
 */
#include "jsonread.h"
#include "links.h"

#include "url.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* The bounds links_from_record() reads a record within: deeper than
 * yajl's generator (128 levels) lets extract.c nest JSON-LD, and larger
 * than any record a --max-body page makes. */
#define LINKS_RECORD_MAX_DEPTH 256
#define LINKS_RECORD_MAX_BYTES ((size_t)256 * 1024 * 1024)

#define HOST_KEY_MAX 512

struct links {
        links_scope_t   scope;
        long            max_depth;
        char           *default_topic;
        psl_ctx_t      *psl_owned; /* from psl_latest(); NULL = builtin  */
        const psl_ctx_t *psl;
};

int links_scope_parse(const char *s, links_scope_t *scope)
{
        if (!s)
                return -1;
        if (strcmp(s, "same-host") == 0)
                *scope = LINKS_SAME_HOST;
        else if (strcmp(s, "same-domain") == 0)
                *scope = LINKS_SAME_DOMAIN;
        else if (strcmp(s, "any") == 0)
                *scope = LINKS_ANY;
        else
                return -1;
        return 0;
}

links_t *links_new(links_scope_t scope, long max_depth,
                   const char *default_topic)
{
        links_t *lk = calloc(1, sizeof(*lk));

        if (!lk)
                return NULL;
        lk->scope = scope;
        lk->max_depth = max_depth;
        lk->default_topic = strdup(default_topic ? default_topic : "");
        if (!lk->default_topic) {
                free(lk);
                return NULL;
        }
        /* The system's list (kept current by the publicsuffix package),
         * else the one built into libpsl. */
        lk->psl_owned = psl_latest(NULL);
        lk->psl = lk->psl_owned ? lk->psl_owned : psl_builtin();
        return lk;
}

void links_destroy(links_t *lk)
{
        if (!lk)
                return;
        if (lk->psl_owned)
                psl_free(lk->psl_owned);
        free(lk->default_topic);
        free(lk);
}

void links_free(link_msg_t *msgs, size_t n)
{
        for (size_t i = 0; msgs && i < n; i++) {
                free(msgs[i].url);
                free(msgs[i].topic);
                free(msgs[i].key);
                free(msgs[i].value);
        }
        free(msgs);
}

/* ------------------------------------------------------------------ */
/* Scope                                                               */

static const char *host_no_dot(const char *h, char *buf, size_t size)
{
        size_t len = strlen(h);

        if (len > 0 && h[len - 1] == '.')
                len--;
        if (len >= size)
                return NULL;
        memcpy(buf, h, len);
        buf[len] = '\0';
        return buf;
}

int links_same_domain(const links_t *lk, const char *a, const char *b)
{
        char ha[HOST_KEY_MAX], hb[HOST_KEY_MAX];
        const char *ra, *rb;

        if (!host_no_dot(a, ha, sizeof(ha)) ||
            !host_no_dot(b, hb, sizeof(hb)))
                return 0;
        if (strcasecmp(ha, hb) == 0)
                return 1;
        if (ha[0] == '[' || hb[0] == '[')
                return 0; /* IPv6 literals have no registrable domain */
        ra = psl_registrable_domain(lk->psl, ha);
        rb = psl_registrable_domain(lk->psl, hb);
        return ra && rb && strcasecmp(ra, rb) == 0;
}

static bool in_scope(const links_t *lk, const url_t *page, const url_t *link)
{
        char ka[HOST_KEY_MAX], kb[HOST_KEY_MAX];

        switch (lk->scope) {
        case LINKS_ANY:
                return true;
        case LINKS_SAME_DOMAIN:
                return links_same_domain(lk, page->host, link->host);
        default:
                if (url_host_key(page, ka, sizeof(ka)) < 0 ||
                    url_host_key(link, kb, sizeof(kb)) < 0)
                        return false;
                return strcmp(ka, kb) == 0;
        }
}

/* ------------------------------------------------------------------ */
/* Reading the record                                                  */

static yajl_val member(yajl_val obj, const char *key)
{
        if (!YAJL_IS_OBJECT(obj))
                return NULL;
        for (size_t i = 0; i < obj->u.object.len; i++)
                if (strcmp(obj->u.object.keys[i], key) == 0)
                        return obj->u.object.values[i];
        return NULL;
}

static const char *member_str(yajl_val obj, const char *key)
{
        yajl_val v = member(obj, key);

        return YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

/* Whether the space- or comma-separated list s has `token` (ASCII case
 * insensitive). */
static bool has_token(const char *s, const char *token)
{
        size_t tlen = strlen(token);

        while (s && *s) {
                size_t n;

                while (*s == ' ' || *s == ',' || *s == '\t' || *s == '\n' ||
                       *s == '\r' || *s == '\f')
                        s++;
                n = strcspn(s, " ,\t\n\r\f");
                if (n == tlen && strncasecmp(s, token, n) == 0)
                        return true;
                s += n;
        }
        return false;
}

/* ------------------------------------------------------------------ */
/* Writing a URL message                                               */

/* Writes a yajl tree value with gen (numbers as written). */
static yajl_gen_status gen_value(yajl_gen gen, yajl_val v)
{
        yajl_gen_status st = yajl_gen_status_ok;

        if (!v)
                return yajl_gen_null(gen);
        switch (v->type) {
        case yajl_t_string:
                return yajl_gen_string(gen, (unsigned char *)v->u.string,
                                       strlen(v->u.string));
        case yajl_t_number:
                return yajl_gen_number(gen, v->u.number.r,
                                       strlen(v->u.number.r));
        case yajl_t_object:
                st = yajl_gen_map_open(gen);
                for (size_t i = 0; i < v->u.object.len &&
                                st == yajl_gen_status_ok; i++) {
                        st = yajl_gen_string(
                                gen, (unsigned char *)v->u.object.keys[i],
                                strlen(v->u.object.keys[i]));
                        if (st == yajl_gen_status_ok)
                                st = gen_value(gen, v->u.object.values[i]);
                }
                return st == yajl_gen_status_ok ? yajl_gen_map_close(gen) : st;
        case yajl_t_array:
                st = yajl_gen_array_open(gen);
                for (size_t i = 0; i < v->u.array.len &&
                                st == yajl_gen_status_ok; i++)
                        st = gen_value(gen, v->u.array.values[i]);
                return st == yajl_gen_status_ok ? yajl_gen_array_close(gen) :
                                                  st;
        case yajl_t_true:
                return yajl_gen_bool(gen, 1);
        case yajl_t_false:
                return yajl_gen_bool(gen, 0);
        default:
                return yajl_gen_null(gen);
        }
}

static uint64_t fnv1a64(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 0x100000001b3ULL;
        }
        return h;
}

/* The URL message for `link` into m->value. Returns 0 or -1 (OOM). */
static int message_json(link_msg_t *m, const char *link, long depth,
                        const char *parent_id, yajl_val meta)
{
        yajl_gen gen = yajl_gen_alloc(NULL);
        yajl_gen_status st;
        const unsigned char *buf;
        size_t len;
        int rc = -1;

        if (!gen)
                return -1;
        st = yajl_gen_map_open(gen);
        if (st == yajl_gen_status_ok)
                st = yajl_gen_string(gen, (unsigned char *)"url", 3);
        if (st == yajl_gen_status_ok)
                st = yajl_gen_string(gen, (const unsigned char *)link,
                                     strlen(link));
        if (st == yajl_gen_status_ok)
                st = yajl_gen_string(gen, (unsigned char *)"depth", 5);
        if (st == yajl_gen_status_ok)
                st = yajl_gen_integer(gen, depth);
        if (st == yajl_gen_status_ok && parent_id) {
                size_t idlen = strlen(parent_id) + 1 + 16 + 1;
                char *id = malloc(idlen);

                if (!id)
                        goto out;
                snprintf(id, idlen, "%s.%016llx", parent_id,
                         (unsigned long long)fnv1a64(link));
                st = yajl_gen_string(gen, (unsigned char *)"id", 2);
                if (st == yajl_gen_status_ok)
                        st = yajl_gen_string(gen, (unsigned char *)id,
                                             strlen(id));
                free(id);
        }
        if (st == yajl_gen_status_ok && meta) {
                st = yajl_gen_string(gen, (unsigned char *)"meta", 4);
                if (st == yajl_gen_status_ok)
                        st = gen_value(gen, meta);
        }
        if (st == yajl_gen_status_ok)
                st = yajl_gen_map_close(gen);
        if (st != yajl_gen_status_ok ||
            yajl_gen_get_buf(gen, &buf, &len) != yajl_gen_status_ok)
                goto out;
        m->value = strndup((const char *)buf, len);
        if (!m->value)
                goto out;
        m->value_len = len;
        rc = 0;
out:
        yajl_gen_free(gen);
        return rc;
}

/* ------------------------------------------------------------------ */

int links_from_record(const links_t *lk, const char *record,
                      link_msg_t **out, size_t *n, char *errstr,
                      size_t errstr_size)
{
        /* A record nests as deep as yajl's generator lets extract.c write
         * it (JSON-LD re-emitted inside the record's own levels). */
        static const jsonread_caps_t caps = { LINKS_RECORD_MAX_BYTES,
                                              LINKS_RECORD_MAX_DEPTH, 0 };
        yajl_val root, links, status, depth_v;
        const char *page_url, *topic, *robots, *id;
        url_t *page = NULL;
        link_msg_t *msgs = NULL;
        size_t count = 0;
        long depth = 0;
        char why[256];
        int rc = -1;

        *out = NULL;
        *n = 0;
        root = jsonread_tree(record, strlen(record), &caps, why, sizeof(why));
        if (!root) {
                snprintf(errstr, errstr_size, "record: %s", why);
                return -1;
        }
        status = member(root, "status");
        if (!YAJL_IS_INTEGER(status) || YAJL_GET_INTEGER(status) < 200 ||
            YAJL_GET_INTEGER(status) > 299) {
                rc = 0;
                goto out;
        }
        robots = member_str(root, "meta_robots");
        if (robots && (has_token(robots, "nofollow") ||
                       has_token(robots, "none"))) {
                rc = 0;
                goto out;
        }
        depth_v = member(root, "depth");
        if (YAJL_IS_INTEGER(depth_v) && YAJL_GET_INTEGER(depth_v) > 0)
                depth = (long)YAJL_GET_INTEGER(depth_v);
        if (depth + 1 > lk->max_depth) {
                rc = 0;
                goto out;
        }
        links = member(root, "links");
        if (!YAJL_IS_ARRAY(links) || links->u.array.len == 0) {
                rc = 0;
                goto out;
        }
        page_url = member_str(root, "final_url");
        if (!page_url)
                page_url = member_str(root, "url");
        if (!page_url || url_parse(page_url, NULL, &page, NULL, 0) != URL_OK) {
                rc = 0; /* no base to scope against: follow nothing */
                goto out;
        }
        topic = member_str(root, "source_topic");
        if (!topic || !*topic)
                topic = lk->default_topic;
        id = member_str(root, "id");
        msgs = calloc(links->u.array.len, sizeof(*msgs));
        if (!msgs)
                goto oom;
        for (size_t i = 0; i < links->u.array.len; i++) {
                yajl_val l = links->u.array.values[i];
                const char *href = member_str(l, "url");
                const char *rel = member_str(l, "rel");
                char key[HOST_KEY_MAX];
                url_t *link = NULL;
                link_msg_t *m;

                if (!href || (rel && has_token(rel, "nofollow")))
                        continue;
                if (url_parse(href, NULL, &link, NULL, 0) != URL_OK)
                        continue;
                if (!in_scope(lk, page, link) ||
                    url_host_key(link, key, sizeof(key)) < 0) {
                        url_destroy(link);
                        continue;
                }
                m = &msgs[count];
                m->url = strdup(link->href);
                m->key = strdup(key);
                m->topic = strdup(topic);
                url_destroy(link);
                count++;
                if (!m->url || !m->key || !m->topic ||
                    message_json(m, m->url, depth + 1, id,
                                 member(root, "meta")))
                        goto oom;
        }
        *out = msgs;
        *n = count;
        msgs = NULL;
        rc = 0;
        goto out;
oom:
        snprintf(errstr, errstr_size, "out of memory following links");
out:
        links_free(msgs, count);
        url_destroy(page);
        yajl_tree_free(root);
        return rc;
}
