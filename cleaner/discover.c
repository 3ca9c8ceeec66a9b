/*
 * discover.c — sitemap and feed pages to URL messages and a record (see
 * discover.h).
 */
#include "discover.h"

#include "hash.h"
#include "jsonread.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* A page's meta as the pages topic carries it is at most a URL message's
 * (1 MiB) and nests as deep. */
#define DISCOVER_META_MAX_BYTES (1024 * 1024)
#define DISCOVER_META_MAX_DEPTH 64

struct discover {
        long max_depth;
        budget_t *budget; /* shared; not owned */
        size_t max_meta;
        char *default_topic;
};

discover_t *discover_new(long max_depth, budget_t *budget, size_t max_meta,
                         const char *default_topic)
{
        discover_t *d = calloc(1, sizeof(*d));

        if (!d)
                return NULL;
        d->max_depth = max_depth;
        d->budget = budget;
        d->max_meta = max_meta;
        d->default_topic = strdup(default_topic ? default_topic : "");
        if (!d->default_topic) {
                free(d);
                return NULL;
        }
        return d;
}

void discover_destroy(discover_t *d)
{
        if (!d)
                return;
        free(d->default_topic);
        free(d);
}

int discover_budget_take(discover_t *d, const char *host_key)
{
        return budget_take(d->budget, host_key);
}

/* What one page's reading shares with the entry callback. */
typedef struct page_ctx {
        discover_t *d;
        const discover_page_t *pg;
        const char *topic;
        const char *meta; /* compact JSON to copy, NULL = none */
        size_t meta_len;
        long depth; /* of the URLs listed */
        links_emit_fn emit;
        void *ctx;
        discover_stats_t *ds;
        uint64_t *seen; /* open addressing; 0 = empty */
        size_t seen_cap;
        int oom;
} page_ctx_t;

/* Whether this page published url already; records it if not. */
static int page_seen(page_ctx_t *pc, const char *url, size_t len)
{
        uint64_t h = HASH_FNV64_OFFSET;
        size_t i;

        for (size_t k = 0; k < len; k++) {
                h ^= (unsigned char)url[k];
                h *= HASH_FNV64_PRIME;
        }
        if (h == 0)
                h = 1;
        if (pc->seen == NULL) {
                /* Twice the most a sitemap publishes: never full. */
                pc->seen_cap = 2 * SITEMAP_MAX_URLS;
                pc->seen = calloc(pc->seen_cap, sizeof(*pc->seen));
                if (pc->seen == NULL)
                        return 0; /* no memory: no de-duplication */
        }
        i = (size_t)(h % pc->seen_cap);
        while (pc->seen[i] != 0) {
                if (pc->seen[i] == h)
                        return 1;
                i = (i + 1) % pc->seen_cap;
        }
        pc->seen[i] = h;
        return 0;
}

#define GEN_STR(g, s) \
        yajl_gen_string((g), (const unsigned char *)(s), strlen(s))

/* The URL message of one entry into m->value (malloc'd). 0 or -1. */
static int entry_json(const page_ctx_t *pc, const sitemap_entry_t *e,
                      link_msg_t *m)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t len;
        int rc = -1;

        if (!g)
                return -1;
        yajl_gen_map_open(g);
        GEN_STR(g, "url");
        yajl_gen_string(g, (const unsigned char *)e->url, e->url_len);
        GEN_STR(g, "depth");
        yajl_gen_integer(g, pc->depth);
        if (pc->pg->id) {
                /* The whole page id (never cut: a cut could split a
                 * character), as links.c derives a link's. */
                size_t idlen = strlen(pc->pg->id) + 1 + 16 + 1;
                char *id = malloc(idlen);

                if (!id)
                        goto out;
                snprintf(id, idlen, "%s.%016llx", pc->pg->id,
                         (unsigned long long)hash_fnv1a64(e->url));
                GEN_STR(g, "id");
                GEN_STR(g, id);
                free(id);
        }
        if (e->lastmod) {
                GEN_STR(g, "lastmod");
                GEN_STR(g, e->lastmod);
        }
        if (e->is_sitemap) {
                GEN_STR(g, "kind");
                GEN_STR(g, "sitemap");
                if (pc->pg->sitemap_host) {
                        GEN_STR(g, "sitemap_host");
                        GEN_STR(g, pc->pg->sitemap_host);
                }
        }
        yajl_gen_map_close(g);
        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok || len < 2)
                goto out;
        /* The meta, made once per page, goes in before the closing brace
         * (as links.c does). */
        m->value_len = pc->meta ? len - 1 + 8 + pc->meta_len + 1 : len;
        m->value = malloc(m->value_len + 1);
        if (!m->value)
                goto out;
        if (pc->meta) {
                memcpy(m->value, buf, len - 1);
                memcpy(m->value + len - 1, ",\"meta\":", 8);
                memcpy(m->value + len - 1 + 8, pc->meta, pc->meta_len);
                m->value[m->value_len - 1] = '}';
        } else {
                memcpy(m->value, buf, len);
        }
        m->value[m->value_len] = '\0';
        rc = 0;
out:
        yajl_gen_free(g);
        return rc;
}

static int on_entry(void *ctx, const sitemap_entry_t *e)
{
        page_ctx_t *pc = ctx;
        link_msg_t m = { 0 };
        int rc;

        if (pc->depth > pc->d->max_depth) {
                pc->ds->over_depth++;
                return 0;
        }
        if (page_seen(pc, e->url, e->url_len)) {
                pc->ds->duplicate++;
                return 0;
        }
        if (!discover_budget_take(pc->d, e->host_key)) {
                pc->ds->over_budget++;
                return 0;
        }
        if (entry_json(pc, e, &m)) {
                pc->oom = 1;
                return 1;
        }
        m.url = (char *)e->url;
        m.topic = (char *)pc->topic;
        m.key = (char *)e->host_key;
        rc = pc->emit(pc->ctx, &m);
        free(m.value);
        if (rc) {
                pc->ds->emit_failed = 1;
                return 1;
        }
        pc->ds->published++;
        return 0;
}

static void gen_opt_str(yajl_gen g, const char *name, const char *v)
{
        if (!v)
                return;
        GEN_STR(g, name);
        GEN_STR(g, v);
}

/* The record of the page (discover.h). */
static int record_json(const discover_page_t *pg, yajl_val meta_tree,
                       const discover_stats_t *ds, char **record,
                       size_t *record_len)
{
        const sitemap_stats_t *st = &ds->st;
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t len;
        int rc = -1;

        if (!g)
                return -1;
        yajl_gen_map_open(g);
        gen_opt_str(g, "url", pg->url);
        gen_opt_str(g, "final_url", pg->final_url ? pg->final_url : pg->url);
        GEN_STR(g, "status");
        yajl_gen_integer(g, pg->status);
        gen_opt_str(g, "fetched_at", pg->fetched_at);
        gen_opt_str(g, "content_type", pg->content_type);
        gen_opt_str(g, "source_topic", pg->source_topic);
        gen_opt_str(g, "id", pg->id);
        if (pg->meta) {
                GEN_STR(g, "meta");
                if (meta_tree) {
                        if (jsonread_gen(g, meta_tree))
                                goto out;
                } else {
                        GEN_STR(g, pg->meta); /* not JSON: as a string */
                }
        }
        if (pg->depth >= 0) {
                GEN_STR(g, "depth");
                yajl_gen_integer(g, pg->depth);
        }
        gen_opt_str(g, "lastmod", pg->lastmod);
        gen_opt_str(g, "kind", pg->kind);
        GEN_STR(g, "sitemap");
        yajl_gen_map_open(g);
        GEN_STR(g, "format");
        GEN_STR(g, sitemap_format_names[st->format]);
        GEN_STR(g, "gzip");
        yajl_gen_bool(g, st->gzip);
        GEN_STR(g, "bytes");
        yajl_gen_integer(g, (long long)st->bytes);
        GEN_STR(g, "found");
        yajl_gen_integer(g, (long long)st->found);
        GEN_STR(g, "published");
        yajl_gen_integer(g, (long long)ds->published);
        GEN_STR(g, "dropped");
        yajl_gen_map_open(g);
        for (int i = 0; i < SITEMAP_DROP_N; i++) {
                GEN_STR(g, sitemap_drop_names[i]);
                yajl_gen_integer(g, (long long)st->dropped[i]);
        }
        GEN_STR(g, "duplicate");
        yajl_gen_integer(g, (long long)ds->duplicate);
        GEN_STR(g, "over_depth");
        yajl_gen_integer(g, (long long)ds->over_depth);
        GEN_STR(g, "budget");
        yajl_gen_integer(g, (long long)ds->over_budget);
        yajl_gen_map_close(g);
        GEN_STR(g, "lastmod_invalid");
        yajl_gen_integer(g, (long long)st->lastmod_invalid);
        GEN_STR(g, "truncated");
        yajl_gen_bool(g, st->truncated);
        GEN_STR(g, "malformed");
        yajl_gen_bool(g, st->malformed);
        if (st->error[0]) {
                /* libxml2's messages quote the input: repaired by yajl's
                 * validation below if not UTF-8. */
                GEN_STR(g, "error");
                if (GEN_STR(g, st->error) != yajl_gen_status_ok)
                        GEN_STR(g, "(not UTF-8)");
        }
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
                goto out;
        *record = malloc(len + 1);
        if (!*record)
                goto out;
        memcpy(*record, buf, len);
        (*record)[len] = '\0';
        *record_len = len;
        rc = 0;
out:
        yajl_gen_free(g);
        return rc;
}

int discover_page(discover_t *d, const discover_page_t *pg, links_emit_fn emit,
                  void *ctx, char **record, size_t *record_len,
                  discover_stats_t *ds, char *errstr, size_t errstr_size)
{
        static const jsonread_caps_t caps = { DISCOVER_META_MAX_BYTES,
                                              DISCOVER_META_MAX_DEPTH,
                                              JSONREAD_REPAIR };
        page_ctx_t pc = { 0 };
        sitemap_opts_t opts = { 0 };
        yajl_val meta_tree = NULL;
        yajl_gen mg = NULL;
        const unsigned char *mbuf;
        size_t mlen;
        char why[256];
        int rc = -1;

        memset(ds, 0, sizeof(*ds));
        *record = NULL;
        *record_len = 0;
        if (pg->meta) {
                meta_tree = jsonread_tree(pg->meta, strlen(pg->meta), &caps,
                                          why, sizeof(why));
                mg = meta_tree ? yajl_gen_alloc(NULL) : NULL;
                if (mg && !jsonread_gen(mg, meta_tree) &&
                    yajl_gen_get_buf(mg, &mbuf, &mlen) == yajl_gen_status_ok &&
                    mlen <= d->max_meta) {
                        pc.meta = (const char *)mbuf;
                        pc.meta_len = mlen;
                }
        }
        pc.d = d;
        pc.pg = pg;
        pc.topic = pg->source_topic ? pg->source_topic : d->default_topic;
        pc.depth = (pg->depth < 0 ? 0 : pg->depth) + 1;
        pc.emit = emit;
        pc.ctx = ctx;
        pc.ds = ds;
        opts.scope_host = pg->sitemap_host;
        opts.any_path = pg->sitemap_host != NULL;
        if (pg->status >= 200 && pg->status <= 299) {
                const char *at = pg->final_url ? pg->final_url : pg->url;

                if (sitemap_parse(at, &opts, pg->body, pg->body_len, on_entry,
                                  &pc, &ds->st, why, sizeof(why))) {
                        snprintf(errstr, errstr_size, "sitemap: %s", why);
                        goto out;
                }
                if (pc.oom) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto out;
                }
                if (ds->st.truncated) {
                        snprintf(errstr, errstr_size,
                                 "sitemap over %zu bytes uncompressed (the "
                                 "protocol's limit); %zu URLs published "
                                 "before the cut",
                                 SITEMAP_MAX_BYTES, ds->published);
                        rc = DISCOVER_TOO_LARGE;
                        goto out;
                }
                if (ds->st.malformed && ds->published == 0) {
                        snprintf(errstr, errstr_size,
                                 "%s sitemap read no URL: %s",
                                 sitemap_format_names[ds->st.format],
                                 ds->st.error[0] ? ds->st.error : "malformed");
                        rc = DISCOVER_PARSE_FAILED;
                        goto out;
                }
        }
        if (record_json(pg, meta_tree, ds, record, record_len)) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        rc = 0;
out:
        free(pc.seen);
        if (mg)
                yajl_gen_free(mg);
        yajl_tree_free(meta_tree);
        return rc;
}
