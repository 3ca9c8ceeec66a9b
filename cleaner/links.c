/*
 * links.c — link following (see links.h).
 */
#include "hash.h"
#include "jsonread.h"
#include "links.h"
#include "pagefacts.h"

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
 * yajl's generator (128 levels) lets record.c nest JSON-LD, and larger
 * than any record a --max-body page makes. */
#define LINKS_RECORD_MAX_DEPTH 256
#define LINKS_RECORD_MAX_BYTES ((size_t)256 * 1024 * 1024)

#define HOST_KEY_MAX 512

struct links {
        links_scope_t scope;
        long max_depth;
        size_t max_links; /* per page; 0 = no limit           */
        size_t max_meta;  /* meta bytes a link carries (JSON)  */
        char *default_topic;
        psl_ctx_t *psl_owned; /* from psl_latest(); NULL = builtin  */
        const psl_ctx_t *psl;
};

const char *const links_scope_names[] = {
        [LINKS_SAME_HOST] = "same-host",
        [LINKS_SAME_DOMAIN] = "same-domain",
        [LINKS_ANY] = "any",
        NULL,
};

int links_scope_parse(const char *s, links_scope_t *scope)
{
        for (int i = 0; s && links_scope_names[i]; i++) {
                if (strcmp(s, links_scope_names[i]) == 0) {
                        *scope = (links_scope_t)i;
                        return 0;
                }
        }
        return -1;
}

links_t *links_new(links_scope_t scope, long max_depth,
                   const char *default_topic)
{
        links_t *lk = calloc(1, sizeof(*lk));

        if (!lk)
                return NULL;
        lk->scope = scope;
        lk->max_depth = max_depth;
        lk->max_meta = SIZE_MAX;
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

void links_set_limits(links_t *lk, size_t max_links, size_t max_meta)
{
        lk->max_links = max_links;
        lk->max_meta = max_meta;
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

/* Frees what one message holds. */
static void link_msg_clear(link_msg_t *m)
{
        free(m->url);
        free(m->topic);
        free(m->key);
        free(m->value);
        memset(m, 0, sizeof(*m));
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

        if (!host_no_dot(a, ha, sizeof(ha)) || !host_no_dot(b, hb, sizeof(hb)))
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

/* Whether the space- or comma-separated list s[0, len) has `token`
 * (ASCII case insensitive). */
static bool has_token(const char *s, size_t len, const char *token)
{
        static const char seps[] = " ,\t\n\r\f";
        size_t tlen = strlen(token), i = 0;

        while (i < len) {
                size_t n = 0;

                while (i < len && memchr(seps, s[i], sizeof(seps) - 1))
                        i++;
                while (i + n < len &&
                       !memchr(seps, s[i + n], sizeof(seps) - 1))
                        n++;
                if (n == tlen && strncasecmp(s + i, token, n) == 0)
                        return true;
                i += n;
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
                for (size_t i = 0;
                     i < v->u.object.len && st == yajl_gen_status_ok; i++) {
                        st = yajl_gen_string(
                                gen, (unsigned char *)v->u.object.keys[i],
                                strlen(v->u.object.keys[i]));
                        if (st == yajl_gen_status_ok)
                                st = gen_value(gen, v->u.object.values[i]);
                }
                return st == yajl_gen_status_ok ? yajl_gen_map_close(gen) : st;
        case yajl_t_array:
                st = yajl_gen_array_open(gen);
                for (size_t i = 0;
                     i < v->u.array.len && st == yajl_gen_status_ok; i++)
                        st = gen_value(gen, v->u.array.values[i]);
                return st == yajl_gen_status_ok ? yajl_gen_array_close(gen)
                                                : st;
        case yajl_t_true:
                return yajl_gen_bool(gen, 1);
        case yajl_t_false:
                return yajl_gen_bool(gen, 0);
        default:
                return yajl_gen_null(gen);
        }
}

/* The page's meta as JSON text, written once per page (*out malloc'd,
 * NULL when it has none). Returns 0 or -1 (OOM). */
static int meta_json(yajl_val meta, char **out, size_t *out_len)
{
        yajl_gen gen;
        const unsigned char *buf;
        size_t len;
        int rc = -1;

        *out = NULL;
        *out_len = 0;
        if (!meta)
                return 0;
        gen = yajl_gen_alloc(NULL);
        if (!gen)
                return -1;
        if (gen_value(gen, meta) == yajl_gen_status_ok &&
            yajl_gen_get_buf(gen, &buf, &len) == yajl_gen_status_ok) {
                *out = malloc(len + 1);
                if (*out) {
                        memcpy(*out, buf, len);
                        (*out)[len] = '\0';
                        *out_len = len;
                        rc = 0;
                }
        }
        yajl_gen_free(gen);
        return rc;
}

/* The URL message for `link` into m->value, with `meta` (JSON text of
 * meta_len bytes, or NULL) as its meta. Returns 0 or -1 (OOM). */
static int message_json(link_msg_t *m, const char *link, long depth,
                        const char *parent_id, const char *meta,
                        size_t meta_len)
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
                         (unsigned long long)hash_fnv1a64(link));
                st = yajl_gen_string(gen, (unsigned char *)"id", 2);
                if (st == yajl_gen_status_ok)
                        st = yajl_gen_string(gen, (unsigned char *)id,
                                             strlen(id));
                free(id);
        }
        if (st == yajl_gen_status_ok)
                st = yajl_gen_map_close(gen);
        if (st != yajl_gen_status_ok ||
            yajl_gen_get_buf(gen, &buf, &len) != yajl_gen_status_ok || len < 2)
                goto out;
        /* The meta, written once per page, goes in before the closing
         * brace: {"url": ..., "meta": META}. */
        m->value_len = meta ? len - 1 + 8 + meta_len + 1 : len;
        m->value = malloc(m->value_len + 1);
        if (!m->value)
                goto out;
        if (meta) {
                memcpy(m->value, buf, len - 1);
                memcpy(m->value + len - 1, ",\"meta\":", 8);
                memcpy(m->value + len - 1 + 8, meta, meta_len);
                m->value[m->value_len - 1] = '}';
        } else {
                memcpy(m->value, buf, len);
        }
        m->value[m->value_len] = '\0';
        rc = 0;
out:
        yajl_gen_free(gen);
        return rc;
}

/* ------------------------------------------------------------------ */
/* Following                                                           */

/* What following reads of a page, from its facts or from its record. */
typedef struct follow_page {
        int status;
        const char *robots; /* meta robots; NULL when none          */
        size_t robots_len;
        long depth;           /* the page's, 0 when absent            */
        const char *page_url; /* final URL, else URL; NULL when none */
        const char *topic;    /* source topic; NULL when none         */
        const char *id;       /* NULL when none                       */
        const char *meta;     /* JSON text; NULL when none            */
        size_t meta_len;
        const pf_link_t *links; /* url and rel read */
        size_t n_links;
} follow_page_t;

static int follow(const links_t *lk, const follow_page_t *pg,
                  links_emit_fn emit, void *ctx, links_stats_t *stats,
                  char *errstr, size_t errstr_size)
{
        const char *topic;
        url_t *page = NULL;
        link_msg_t m = { 0 };
        size_t count = 0;
        long depth = pg->depth;
        bool oom = false;
        int rc = -1;

        memset(stats, 0, sizeof(*stats));
        if (pg->status < 200 || pg->status > 299)
                return 0;
        if (pg->robots && (has_token(pg->robots, pg->robots_len, "nofollow") ||
                           has_token(pg->robots, pg->robots_len, "none")))
                return 0;
        if (depth + 1 > lk->max_depth)
                return 0;
        if (pg->n_links == 0)
                return 0;
        if (!pg->page_url ||
            url_parse(pg->page_url, NULL, &page, NULL, 0) != URL_OK)
                return 0; /* no base to scope against: follow nothing */
        topic = pg->topic;
        if (!topic || !*topic)
                topic = lk->default_topic;
        if (pg->meta && pg->meta_len > lk->max_meta)
                stats->meta_dropped = 1; /* too big to copy into every link */
        for (size_t i = 0; i < pg->n_links; i++) {
                const pf_link_t *l = &pg->links[i];
                char key[HOST_KEY_MAX];
                url_t *link = NULL;

                if (!l->url ||
                    (l->rel && has_token(l->rel, l->rel_len, "nofollow")))
                        continue;
                if (url_parse(l->url, NULL, &link, NULL, 0) != URL_OK)
                        continue;
                if (!in_scope(lk, page, link) ||
                    url_host_key(link, key, sizeof(key)) < 0) {
                        url_destroy(link);
                        continue;
                }
                if (lk->max_links && count == lk->max_links) {
                        url_destroy(link);
                        stats->dropped++;
                        continue;
                }
                m.url = strdup(link->href);
                m.key = strdup(key);
                m.topic = strdup(topic);
                url_destroy(link);
                if (!m.url || !m.key || !m.topic ||
                    message_json(&m, m.url, depth + 1, pg->id,
                                 stats->meta_dropped ? NULL : pg->meta,
                                 pg->meta_len)) {
                        oom = true;
                        goto out;
                }
                count++;
                /* Handed over one by one: a page's messages are never all
                 * in memory at once. */
                rc = emit(ctx, &m);
                link_msg_clear(&m);
                if (rc) {
                        snprintf(errstr, errstr_size,
                                 "stopped following "
                                 "links");
                        goto out;
                }
        }
        stats->published = count;
        rc = 0;
out:
        if (oom) {
                snprintf(errstr, errstr_size, "out of memory following links");
                rc = -1;
        }
        link_msg_clear(&m);
        url_destroy(page);
        return rc;
}

int links_each_facts(const links_t *lk, const page_facts_t *f,
                     links_emit_fn emit, void *ctx, links_stats_t *stats,
                     char *errstr, size_t errstr_size)
{
        const page_t *p = f->page;
        follow_page_t pg = {
                .status = p->status,
                .robots = f->meta_robots,
                .robots_len = f->meta_robots_len,
                .depth = p->depth > 0 ? p->depth : 0,
                .page_url = p->final_url ? p->final_url : p->url,
                .topic = p->source_topic,
                .id = p->id,
                .meta = f->has_meta ? f->meta_json.data : NULL,
                .meta_len = f->has_meta ? f->meta_json.len : 0,
                .links = f->links,
                .n_links = f->n_links,
        };

        return follow(lk, &pg, emit, ctx, stats, errstr, errstr_size);
}

int links_each(const links_t *lk, const char *record, links_emit_fn emit,
               void *ctx, links_stats_t *stats, char *errstr,
               size_t errstr_size)
{
        /* A record nests as deep as yajl's generator lets record.c write
         * it (JSON-LD re-emitted inside the record's own levels). */
        static const jsonread_caps_t caps = { LINKS_RECORD_MAX_BYTES,
                                              LINKS_RECORD_MAX_DEPTH, 0 };
        follow_page_t pg;
        yajl_val root, links, status, depth_v;
        pf_link_t *list = NULL;
        char *meta = NULL;
        char why[256];
        bool oom = false;
        int rc = -1;

        memset(stats, 0, sizeof(*stats));
        memset(&pg, 0, sizeof(pg));
        why[0] = '\0';
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
        pg.status = (int)YAJL_GET_INTEGER(status);
        pg.robots = member_str(root, "meta_robots");
        pg.robots_len = pg.robots ? strlen(pg.robots) : 0;
        depth_v = member(root, "depth");
        if (YAJL_IS_INTEGER(depth_v) && YAJL_GET_INTEGER(depth_v) > 0)
                pg.depth = (long)YAJL_GET_INTEGER(depth_v);
        links = member(root, "links");
        if (YAJL_IS_ARRAY(links) && links->u.array.len > 0) {
                list = calloc(links->u.array.len, sizeof(*list));
                if (!list) {
                        oom = true;
                        goto out;
                }
                for (size_t i = 0; i < links->u.array.len; i++) {
                        yajl_val l = links->u.array.values[i];

                        list[i].url = member_str(l, "url");
                        list[i].rel = member_str(l, "rel");
                        list[i].rel_len =
                                list[i].rel ? strlen(list[i].rel) : 0;
                }
                pg.links = list;
                pg.n_links = links->u.array.len;
        }
        pg.page_url = member_str(root, "final_url");
        if (!pg.page_url)
                pg.page_url = member_str(root, "url");
        pg.topic = member_str(root, "source_topic");
        pg.id = member_str(root, "id");
        if (meta_json(member(root, "meta"), &meta, &pg.meta_len)) {
                oom = true;
                goto out;
        }
        pg.meta = meta;
        rc = follow(lk, &pg, emit, ctx, stats, errstr, errstr_size);
out:
        if (oom) {
                snprintf(errstr, errstr_size, "out of memory following links");
                rc = -1;
        }
        free(list);
        free(meta);
        yajl_tree_free(root);
        return rc;
}

/* links_from_record()'s collector: a copy of each message in its array. */
typedef struct collect {
        link_msg_t *msgs;
        size_t n, cap;
} collect_t;

static int collect_one(void *ctx, const link_msg_t *m)
{
        collect_t *c = ctx;
        link_msg_t *d;

        if (c->n == c->cap) {
                size_t ncap = c->cap ? c->cap * 2 : 16;
                link_msg_t *nm = realloc(c->msgs, ncap * sizeof(*nm));

                if (!nm)
                        return -1;
                c->msgs = nm;
                c->cap = ncap;
        }
        d = &c->msgs[c->n];
        memset(d, 0, sizeof(*d));
        d->url = strdup(m->url);
        d->topic = strdup(m->topic);
        d->key = strdup(m->key);
        d->value = malloc(m->value_len + 1);
        c->n++;
        if (!d->url || !d->topic || !d->key || !d->value)
                return -1;
        memcpy(d->value, m->value, m->value_len + 1);
        d->value_len = m->value_len;
        return 0;
}

int links_from_record(const links_t *lk, const char *record, link_msg_t **out,
                      size_t *n, char *errstr, size_t errstr_size)
{
        collect_t c = { NULL, 0, 0 };
        links_stats_t stats;

        *out = NULL;
        *n = 0;
        if (links_each(lk, record, collect_one, &c, &stats, errstr,
                       errstr_size)) {
                links_free(c.msgs, c.n);
                return -1;
        }
        *out = c.msgs;
        *n = c.n;
        return 0;
}
