/*
 * crawlstate.c — the bounded table of URLs' crawl states and the state
 * topic's message format (see crawlstate.h).
 *
 * Hand-written rather than taken from a library, for the same reason as
 * seen.c: a table keyed by 64-bit hashes with a fixed cap and least
 * recently used eviction is an array of ~100-byte entries, a bucket array
 * of indices and an LRU list threaded through the entries. glib's
 * GHashTable or uthash would add a key copy and a node per URL (the URL
 * itself, often 100+ bytes), doubling the memory for a million URLs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawlstate.h"
#include "dynbuf.h"
#include "jsonread.h"
#include "jsonstr.h"
#include "seen.h"

#define TOPICS_MAX 256 /* distinct input topics named; more: not kept */
#define NIL 0u         /* indices are stored + 1, 0 = none */

typedef struct ent {
        uint64_t hash;
        int64_t fetched_at_ms;
        int64_t in_offset;
        int32_t in_partition;
        uint32_t prev, next; /* LRU list: head is the oldest */
        uint32_t chain;      /* next in the bucket (or free list) */
        uint32_t fetches, changes;
        uint32_t recrawl_s, recrawl_base_s, recrawl_prev_s;
        int64_t next_due_ms, stopped_at_ms;
        int16_t status;
        uint8_t outcome;
        uint8_t has_digest;
        uint16_t topic; /* index + 1 in cs->topics, 0 = none */
        uint8_t has_content;
        int8_t content_changed;
        int8_t recrawl_on;
        unsigned char digest[CRAWLSTATE_DIGEST_LEN];
        unsigned char content[CRAWLSTATE_DIGEST_LEN];
        /* "etag\0last_modified\0error_code\0price\0availability\0", or
         * NULL when all five are empty. */
        char *extra;
} ent_t;

struct crawlstate {
        ent_t *ent;       /* ent[0, used) allocated; free ones chained */
        size_t used, cap; /* entries made, allocated */
        size_t max;
        uint32_t *bucket; /* index + 1 of a chain's first entry */
        size_t nbucket;   /* a power of two */
        uint32_t free_list;
        uint32_t head, tail; /* LRU: head oldest, tail newest */
        size_t count;
        uint64_t evicted;
        char *topics[TOPICS_MAX];
        size_t ntopics;
};

crawlstate_t *crawlstate_new(size_t max)
{
        crawlstate_t *cs;

        if (max < 1 || max > UINT32_MAX - 1)
                return NULL;
        cs = calloc(1, sizeof(*cs));
        if (!cs)
                return NULL;
        cs->max = max;
        cs->nbucket = 1024;
        cs->bucket = calloc(cs->nbucket, sizeof(*cs->bucket));
        if (!cs->bucket) {
                free(cs);
                return NULL;
        }
        return cs;
}

void crawlstate_destroy(crawlstate_t *cs)
{
        if (!cs)
                return;
        for (size_t i = 0; i < cs->used; i++)
                free(cs->ent[i].extra);
        for (size_t i = 0; i < cs->ntopics; i++)
                free(cs->topics[i]);
        free(cs->ent);
        free(cs->bucket);
        free(cs);
}

static uint32_t *bucket_of(const crawlstate_t *cs, uint64_t h)
{
        return &cs->bucket[h & (cs->nbucket - 1)];
}

static uint32_t find(const crawlstate_t *cs, uint64_t h)
{
        uint32_t i = *bucket_of(cs, h);

        while (i != NIL && cs->ent[i - 1].hash != h)
                i = cs->ent[i - 1].chain;
        return i;
}

static void lru_unlink(crawlstate_t *cs, uint32_t i)
{
        ent_t *e = &cs->ent[i - 1];

        if (e->prev)
                cs->ent[e->prev - 1].next = e->next;
        else
                cs->head = e->next;
        if (e->next)
                cs->ent[e->next - 1].prev = e->prev;
        else
                cs->tail = e->prev;
        e->prev = e->next = NIL;
}

static void lru_push(crawlstate_t *cs, uint32_t i)
{
        ent_t *e = &cs->ent[i - 1];

        e->prev = cs->tail;
        e->next = NIL;
        if (cs->tail)
                cs->ent[cs->tail - 1].next = i;
        else
                cs->head = i;
        cs->tail = i;
}

/* Removes entry i from its bucket and the LRU list; frees it. */
static void remove_ent(crawlstate_t *cs, uint32_t i)
{
        ent_t *e = &cs->ent[i - 1];
        uint32_t *p = bucket_of(cs, e->hash);

        while (*p != i)
                p = &cs->ent[*p - 1].chain;
        *p = e->chain;
        lru_unlink(cs, i);
        free(e->extra);
        memset(e, 0, sizeof(*e));
        e->chain = cs->free_list;
        cs->free_list = i;
        cs->count--;
}

/* Doubles the buckets when the chains would average over one entry. */
static int grow_buckets(crawlstate_t *cs)
{
        size_t n = cs->nbucket * 2;
        uint32_t *b;

        if (cs->count < cs->nbucket)
                return 0;
        b = calloc(n, sizeof(*b));
        if (!b)
                return -1;
        free(cs->bucket);
        cs->bucket = b;
        cs->nbucket = n;
        for (size_t k = 0; k < cs->used; k++) {
                ent_t *e = &cs->ent[k];
                uint32_t *p;

                if (!e->hash)
                        continue; /* free */
                p = bucket_of(cs, e->hash);
                e->chain = *p;
                *p = (uint32_t)(k + 1);
        }
        return 0;
}

/* A free entry (evicting the oldest at the cap); NIL when out of memory. */
static uint32_t take_ent(crawlstate_t *cs)
{
        uint32_t i;

        if (cs->count >= cs->max && cs->head) {
                remove_ent(cs, cs->head);
                cs->evicted++;
        }
        if (cs->free_list) {
                i = cs->free_list;
                cs->free_list = cs->ent[i - 1].chain;
                return i;
        }
        if (cs->used == cs->cap) {
                size_t n = cs->cap ? cs->cap * 2 : 1024;
                ent_t *v;

                if (n > cs->max)
                        n = cs->max;
                if (n <= cs->cap)
                        return NIL; /* cannot happen: count < max here */
                v = realloc(cs->ent, n * sizeof(*v));
                if (!v)
                        return NIL;
                cs->ent = v;
                cs->cap = n;
        }
        memset(&cs->ent[cs->used], 0, sizeof(ent_t));
        return (uint32_t)++cs->used;
}

/* The index + 1 of topic in the interned names, 0 when there is no room. */
static uint16_t topic_id(crawlstate_t *cs, const char *topic)
{
        if (!*topic)
                return 0;
        for (size_t i = 0; i < cs->ntopics; i++)
                if (!strcmp(cs->topics[i], topic))
                        return (uint16_t)(i + 1);
        if (cs->ntopics == TOPICS_MAX)
                return 0;
        cs->topics[cs->ntopics] = strdup(topic);
        if (!cs->topics[cs->ntopics])
                return 0;
        return (uint16_t)++cs->ntopics;
}

int crawlstate_put(crawlstate_t *cs, const char *url,
                   const crawlstate_rec_t *rec)
{
        uint64_t h = seen_hash(url);
        uint32_t i = find(cs, h);
        const char *parts[] = { rec->etag, rec->last_modified, rec->error_code,
                                rec->price, rec->availability };
        size_t lens[5], total = 0;
        char *extra = NULL;
        ent_t *e;
        int rc = -1;

        for (size_t k = 0; k < 5; k++) {
                lens[k] = strlen(parts[k]);
                total += lens[k];
        }
        if (total) {
                char *w;

                extra = malloc(total + 5);
                if (!extra)
                        return -1;
                w = extra;
                for (size_t k = 0; k < 5; k++) {
                        memcpy(w, parts[k], lens[k] + 1);
                        w += lens[k] + 1;
                }
        }
        if (i == NIL) {
                if (grow_buckets(cs))
                        goto out;
                i = take_ent(cs);
                if (i == NIL)
                        goto out;
                e = &cs->ent[i - 1];
                e->hash = h;
                e->chain = *bucket_of(cs, h);
                *bucket_of(cs, h) = i;
                cs->count++;
        } else {
                lru_unlink(cs, i);
                e = &cs->ent[i - 1];
                free(e->extra);
        }
        lru_push(cs, i);
        e->extra = extra;
        e->fetched_at_ms = rec->fetched_at_ms;
        e->in_offset = rec->in_offset;
        e->in_partition = rec->in_partition;
        e->fetches = rec->fetches;
        e->changes = rec->changes;
        e->status = (int16_t)rec->status;
        e->outcome = (uint8_t)rec->outcome;
        e->has_digest = rec->has_digest;
        memcpy(e->digest, rec->digest, sizeof(e->digest));
        e->has_content = rec->has_content;
        e->content_changed = (int8_t)rec->content_changed;
        memcpy(e->content, rec->content_digest, sizeof(e->content));
        e->topic = topic_id(cs, rec->in_topic);
        e->recrawl_s = rec->recrawl_s;
        e->recrawl_base_s = rec->recrawl_base_s;
        e->recrawl_prev_s = rec->recrawl_prev_s;
        e->recrawl_on = (int8_t)rec->recrawl_on;
        e->next_due_ms = rec->next_due_ms;
        e->stopped_at_ms = rec->stopped_at_ms;
        extra = NULL; /* the entry's now */
        rc = 0;
out:
        free(extra);
        return rc;
}

bool crawlstate_get(crawlstate_t *cs, const char *url, crawlstate_rec_t *rec)
{
        uint32_t i;
        const ent_t *e;

        if (!cs)
                return false;
        i = find(cs, seen_hash(url));
        if (i == NIL)
                return false;
        lru_unlink(cs, i);
        lru_push(cs, i);
        e = &cs->ent[i - 1];
        memset(rec, 0, sizeof(*rec));
        rec->fetched_at_ms = e->fetched_at_ms;
        rec->in_offset = e->in_offset;
        rec->in_partition = e->in_partition;
        rec->fetches = e->fetches;
        rec->changes = e->changes;
        rec->status = e->status;
        rec->outcome = (crawlstate_outcome_t)e->outcome;
        rec->has_digest = e->has_digest;
        memcpy(rec->digest, e->digest, sizeof(rec->digest));
        rec->has_content = e->has_content;
        rec->content_changed = e->content_changed;
        memcpy(rec->content_digest, e->content, sizeof(rec->content_digest));
        rec->recrawl_s = e->recrawl_s;
        rec->recrawl_base_s = e->recrawl_base_s;
        rec->recrawl_prev_s = e->recrawl_prev_s;
        rec->recrawl_on = e->recrawl_on;
        rec->next_due_ms = e->next_due_ms;
        rec->stopped_at_ms = e->stopped_at_ms;
        if (e->topic)
                snprintf(rec->in_topic, sizeof(rec->in_topic), "%s",
                         cs->topics[e->topic - 1]);
        if (e->extra) {
                const char *lm = e->extra + strlen(e->extra) + 1;

                snprintf(rec->etag, sizeof(rec->etag), "%s", e->extra);
                snprintf(rec->last_modified, sizeof(rec->last_modified), "%s",
                         lm);
                const char *ec = lm + strlen(lm) + 1;
                const char *pr = ec + strlen(ec) + 1;

                snprintf(rec->error_code, sizeof(rec->error_code), "%s", ec);
                snprintf(rec->price, sizeof(rec->price), "%s", pr);
                snprintf(rec->availability, sizeof(rec->availability), "%s",
                         pr + strlen(pr) + 1);
        }
        return true;
}

/* Copies the content fields of src into dst. */
static void copy_content(crawlstate_rec_t *dst, const crawlstate_rec_t *src)
{
        dst->has_content = src->has_content;
        dst->content_changed = src->content_changed;
        memcpy(dst->content_digest, src->content_digest,
               sizeof(dst->content_digest));
        memcpy(dst->price, src->price, sizeof(dst->price));
        memcpy(dst->availability, src->availability,
               sizeof(dst->availability));
}

int crawlstate_put_fetch(crawlstate_t *cs, const char *url,
                         const crawlstate_rec_t *rec)
{
        crawlstate_rec_t *cur = malloc(2 * sizeof(*cur)), *mine;
        int rc;

        if (!cur)
                return -1;
        mine = cur + 1;
        *mine = *rec;
        if (crawlstate_get(cs, url, cur))
                copy_content(mine, cur);
        else
                copy_content(mine, &(crawlstate_rec_t){ 0 });
        rc = crawlstate_put(cs, url, mine);
        free(cur);
        return rc;
}

int crawlstate_merge_content(crawlstate_t *cs, const char *url,
                             const contentstate_t *content)
{
        crawlstate_rec_t *rec;
        int rc;

        if (!cs)
                return 0;
        rec = calloc(1, sizeof(*rec));
        if (!rec)
                return -1;
        /* None yet: an entry of outcome none (its fetcher state may come
         * later in the partition once compaction kept only the last). */
        crawlstate_get(cs, url, rec);
        rec->has_content = content->has_digest;
        rec->content_changed = content->changed;
        memcpy(rec->content_digest, content->digest,
               sizeof(rec->content_digest));
        snprintf(rec->price, sizeof(rec->price), "%s", content->price);
        snprintf(rec->availability, sizeof(rec->availability), "%s",
                 content->availability);
        rc = crawlstate_put(cs, url, rec) ? -1 : 1;
        free(rec);
        return rc;
}

bool crawlstate_has(const crawlstate_t *cs, const char *url)
{
        return cs && find(cs, seen_hash(url)) != NIL;
}

void crawlstate_del(crawlstate_t *cs, const char *url)
{
        uint32_t i;

        if (!cs)
                return;
        i = find(cs, seen_hash(url));
        if (i != NIL)
                remove_ent(cs, i);
}

size_t crawlstate_count(const crawlstate_t *cs)
{
        return cs ? cs->count : 0;
}

uint64_t crawlstate_evicted(const crawlstate_t *cs)
{
        return cs ? cs->evicted : 0;
}

bool crawlstate_delivered(const crawlstate_rec_t *rec, const char *topic,
                          int32_t partition, int64_t offset)
{
        return (rec->outcome == CRAWLSTATE_PAGE ||
                rec->outcome == CRAWLSTATE_ERROR) &&
               *rec->in_topic && !strcmp(rec->in_topic, topic) &&
               rec->in_partition == partition && rec->in_offset == offset;
}

int crawlstate_changed(const crawlstate_rec_t *prev, bool not_modified,
                       const unsigned char *digest)
{
        if (!prev || prev->outcome == CRAWLSTATE_NONE)
                return -1;
        if (not_modified)
                return 0;
        if (!digest || !prev->has_digest)
                return -1;
        return memcmp(prev->digest, digest, CRAWLSTATE_DIGEST_LEN) ? 1 : 0;
}

bool crawlstate_expired(const crawlstate_rec_t *rec, int64_t now_ms,
                        int64_t max_age_ms)
{
        int64_t last = rec->fetched_at_ms;

        if (max_age_ms <= 0)
                return false;
        if (rec->next_due_ms > last)
                last = rec->next_due_ms;
        if (rec->stopped_at_ms > last)
                last = rec->stopped_at_ms;
        return now_ms - last > max_age_ms;
}

bool crawlstate_validator_ok(const char *v)
{
        for (; *v; v++)
                if ((unsigned char)*v < 0x20 || *v == 0x7f)
                        return false;
        return true;
}

/* ------------------------------------------------------------ codec -- */

#define JSON_MAX (CRAWLSTATE_URL_MAX * 6 + 4096)
#define TREE_MEM 16384

static int add(dynbuf_t *b, const char *s)
{
        return dynbuf_add(b, s, strlen(s));
}

/* ,"name":"value" (value JSON-escaped); an empty value is left out, and
 * so is one that is not UTF-8 (a server's validator: not kept). */
static int add_str(dynbuf_t *b, const char *name, const char *val)
{
        size_t mark = b->len;

        if (!*val)
                return 0;
        if (add(b, ",\"") || add(b, name) || add(b, "\":"))
                return -1;
        switch (json_quote(&b->data, &b->len, &b->cap, b->max,
                           (const unsigned char *)val, strlen(val))) {
        case 0:
                return 0;
        case 1:
                b->len = mark;
                b->data[mark] = '\0';
                return 0;
        default:
                return -1;
        }
}

static int add_int(dynbuf_t *b, const char *name, long long v)
{
        char num[64];

        snprintf(num, sizeof(num), ",\"%s\":%lld", name, v);
        return add(b, num);
}

int crawlstate_encode(const char *url, const crawlstate_rec_t *rec,
                      char **json, size_t *len)
{
        dynbuf_t b;
        char hex[CRAWLSTATE_DIGEST_LEN * 2 + 1];
        static const char *kinds[] = { "none", "page", "error", "pending" };
        int rc = -1;

        dynbuf_init(&b, JSON_MAX);
        if (add(&b, "{\"v\":1") || add_str(&b, "url", url) ||
            add_int(&b, "fetched_at_ms", rec->fetched_at_ms) ||
            add_int(&b, "status", rec->status) ||
            add_str(&b, "etag", rec->etag) ||
            add_str(&b, "last_modified", rec->last_modified))
                goto out;
        if (rec->has_digest) {
                for (size_t i = 0; i < CRAWLSTATE_DIGEST_LEN; i++)
                        snprintf(hex + 2 * i, 3, "%02x", rec->digest[i]);
                if (add_str(&b, "body_sha256", hex))
                        goto out;
        }
        if (add_int(&b, "fetches", rec->fetches) ||
            add_int(&b, "changes", rec->changes) ||
            add_str(&b, "outcome", kinds[rec->outcome]) ||
            add_str(&b, "error_code", rec->error_code))
                goto out;
        if (*rec->in_topic) {
                if (add(&b, ",\"input\":{\"topic\":") ||
                    json_quote(&b.data, &b.len, &b.cap, b.max,
                               (const unsigned char *)rec->in_topic,
                               strlen(rec->in_topic)) ||
                    add_int(&b, "partition", rec->in_partition) ||
                    add_int(&b, "offset", rec->in_offset) || add(&b, "}"))
                        goto out;
        }
        if (rec->recrawl_s || rec->recrawl_base_s || rec->next_due_ms ||
            rec->stopped_at_ms) {
                char num[224];

                snprintf(num, sizeof(num),
                         ",\"recrawl\":{\"interval_s\":%u,\"base_s\":%u,"
                         "\"next_due_ms\":%lld,\"stopped_at_ms\":%lld,"
                         "\"prev_s\":%u,\"adapted_on\":%d}",
                         rec->recrawl_s, rec->recrawl_base_s,
                         (long long)rec->next_due_ms,
                         (long long)rec->stopped_at_ms, rec->recrawl_prev_s,
                         rec->recrawl_on);
                if (add(&b, num))
                        goto out;
        }
        if (add(&b, "}"))
                goto out;
        *json = b.data;
        *len = b.len;
        b.data = NULL;
        rc = 0;
out:
        dynbuf_free(&b);
        return rc;
}

/* An integer field within [lo, hi]; absent is 0 unless required. */
static int get_int(yajl_val root, const char *const *path, long long lo,
                   long long hi, bool required, long long *out)
{
        yajl_val v = yajl_tree_get(root, (const char **)path, yajl_t_any);

        *out = 0;
        if (!v)
                return required ? -1 : 0;
        if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < lo ||
            YAJL_GET_INTEGER(v) > hi)
                return -1;
        *out = YAJL_GET_INTEGER(v);
        return 0;
}

/* The optional "recrawl" object: -1 when present but not valid. */
static int decode_recrawl(yajl_val root, crawlstate_rec_t *rec)
{
        static const char *const p_obj[] = { "recrawl", NULL };
        static const char *const p_iv[] = { "recrawl", "interval_s", NULL };
        static const char *const p_base[] = { "recrawl", "base_s", NULL };
        static const char *const p_due[] = { "recrawl", "next_due_ms", NULL };
        static const char *const p_stop[] = { "recrawl", "stopped_at_ms",
                                              NULL };
        static const char *const p_prev[] = { "recrawl", "prev_s", NULL };
        static const char *const p_on[] = { "recrawl", "adapted_on", NULL };
        yajl_val v = yajl_tree_get(root, (const char **)p_obj, yajl_t_any);
        long long n;

        if (!v)
                return 0;
        if (!YAJL_IS_OBJECT(v))
                return -1;
        if (get_int(root, p_iv, 0, UINT32_MAX, false, &n))
                return -1;
        rec->recrawl_s = (uint32_t)n;
        if (get_int(root, p_base, 0, UINT32_MAX, false, &n))
                return -1;
        rec->recrawl_base_s = (uint32_t)n;
        if (get_int(root, p_due, 0, INT64_MAX, false, &n))
                return -1;
        rec->next_due_ms = n;
        if (get_int(root, p_stop, 0, INT64_MAX, false, &n))
                return -1;
        rec->stopped_at_ms = n;
        /* Absent (written before they were): nothing to redo. */
        if (get_int(root, p_prev, 0, UINT32_MAX, false, &n))
                return -1;
        rec->recrawl_prev_s = (uint32_t)n;
        rec->recrawl_on = -1;
        if (yajl_tree_get(root, (const char **)p_on, yajl_t_any)) {
                if (get_int(root, p_on, -1, 1, true, &n))
                        return -1;
                rec->recrawl_on = (int)n;
        }
        return 0;
}

int crawlstate_decode(const void *key, size_t key_len, const void *value,
                      size_t value_len, crawlstate_rec_t *rec, char *errstr,
                      size_t errstr_size)
{
        static const jsonread_caps_t caps = { JSON_MAX, 2, 0 };
        static const char *const p_v[] = { "v", NULL };
        static const char *const p_at[] = { "fetched_at_ms", NULL };
        static const char *const p_st[] = { "status", NULL };
        static const char *const p_fe[] = { "fetches", NULL };
        static const char *const p_ch[] = { "changes", NULL };
        static const char *const p_part[] = { "input", "partition", NULL };
        static const char *const p_off[] = { "input", "offset", NULL };
        static const char *const p_topic[] = { "input", "topic", NULL };
        char text[JSON_MAX + 1], url[CRAWLSTATE_URL_MAX + 1], kind[16],
                hex[CRAWLSTATE_DIGEST_LEN * 2 + 1];
        /* The tree in an arena: a load decodes a million of these, and
         * a state message's tree (yajl's parser state included) fits in
         * TREE_MEM without a malloc (see jsonread_tree_in()). */
        _Alignas(16) char tree_mem[TREE_MEM];
        jsonread_arena_t arena;
        const char *what = NULL;
        yajl_val root = NULL, v;
        long long n;
        int rc = -1;

        memset(rec, 0, sizeof(*rec));
        if (!key || !key_len || key_len > CRAWLSTATE_URL_MAX) {
                snprintf(errstr, errstr_size,
                         "state message without a URL key");
                return -1;
        }
        if (value_len > JSON_MAX) {
                snprintf(errstr, errstr_size, "state message too long");
                return -1;
        }
        memcpy(text, value, value_len);
        text[value_len] = '\0';
        jsonread_arena_init(&arena, tree_mem, sizeof(tree_mem));
        root = jsonread_tree_in(&arena, text, value_len, &caps, errstr,
                                errstr_size);
        if (!root)
                goto out;
        if (!YAJL_IS_OBJECT(root)) {
                what = "not a JSON object";
                goto out;
        }
        if (get_int(root, p_v, 0, 1000, true, &n) || n != CRAWLSTATE_VERSION) {
                what = "no \"v\": 1 (another format or version)";
                goto out;
        }
        if (jsonread_get_str(root, "url", url, sizeof(url)) ||
            strlen(url) != key_len || memcmp(url, key, key_len)) {
                what = "\"url\" is not the message's key";
                goto out;
        }
        if (get_int(root, p_at, 0, INT64_MAX, true, &n)) {
                what = "bad \"fetched_at_ms\"";
                goto out;
        }
        rec->fetched_at_ms = n;
        if (get_int(root, p_st, 0, 999, false, &n)) {
                what = "bad \"status\"";
                goto out;
        }
        rec->status = (int)n;
        if (get_int(root, p_fe, 0, UINT32_MAX, false, &n)) {
                what = "bad \"fetches\"";
                goto out;
        }
        rec->fetches = (uint32_t)n;
        if (get_int(root, p_ch, 0, UINT32_MAX, false, &n)) {
                what = "bad \"changes\"";
                goto out;
        }
        rec->changes = (uint32_t)n;
        if (jsonread_get_str(root, "etag", rec->etag, sizeof(rec->etag)) ||
            jsonread_get_str(root, "last_modified", rec->last_modified,
                             sizeof(rec->last_modified)) ||
            jsonread_get_str(root, "error_code", rec->error_code,
                             sizeof(rec->error_code))) {
                what = "bad \"etag\", \"last_modified\" or \"error_code\"";
                goto out;
        }
        if (!crawlstate_validator_ok(rec->etag) ||
            !crawlstate_validator_ok(rec->last_modified)) {
                what = "control characters in \"etag\" or \"last_modified\"";
                goto out;
        }
        if (jsonread_get_str(root, "body_sha256", hex, sizeof(hex))) {
                what = "bad \"body_sha256\"";
                goto out;
        }
        if (*hex) {
                if (contentstate_unhex(hex, rec->digest)) {
                        what = "bad \"body_sha256\"";
                        goto out;
                }
                rec->has_digest = true;
        }
        if (jsonread_get_str(root, "outcome", kind, sizeof(kind))) {
                what = "bad \"outcome\"";
                goto out;
        }
        if (!strcmp(kind, "page"))
                rec->outcome = CRAWLSTATE_PAGE;
        else if (!strcmp(kind, "error"))
                rec->outcome = CRAWLSTATE_ERROR;
        else if (!strcmp(kind, "pending"))
                rec->outcome = CRAWLSTATE_PENDING;
        else if (*kind && strcmp(kind, "none")) {
                what = "bad \"outcome\"";
                goto out;
        }
        v = yajl_tree_get(root, (const char **)p_topic, yajl_t_any);
        if (v) {
                if (!YAJL_IS_STRING(v) || !v->u.string ||
                    strlen(v->u.string) > CRAWLSTATE_TOPIC_MAX ||
                    get_int(root, p_part, 0, INT32_MAX, true, &n)) {
                        what = "bad \"input\"";
                        goto out;
                }
                rec->in_partition = (int32_t)n;
                if (get_int(root, p_off, 0, INT64_MAX, true, &n)) {
                        what = "bad \"input\"";
                        goto out;
                }
                rec->in_offset = n;
                snprintf(rec->in_topic, sizeof(rec->in_topic), "%s",
                         v->u.string);
        }
        if (decode_recrawl(root, rec)) {
                what = "bad \"recrawl\"";
                goto out;
        }
        rc = 0;
out:
        if (what)
                snprintf(errstr, errstr_size, "state message: %s", what);
        jsonread_arena_release(&arena);
        return rc;
}
