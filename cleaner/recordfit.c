/*
 * recordfit.c — cutting a record to a size (see recordfit.h).
 */
#include "recordfit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "jsonread.h"

/* A record nests as links.c reads it. */
#define RECORD_DEPTH_MAX 256
/* Attempts before giving up (each learns how far off the last one was). */
#define FIT_ATTEMPTS 4

static const char *const protected_members[] = {
        "url",          "final_url",    "status", "fetched_at",
        "content_type", "source_topic", "id",     "depth",
};

typedef struct member {
        const char *key;
        yajl_val val;
        char *key_json, *val_json; /* serialised, NULL when failed */
        size_t key_len, val_len;
        size_t *elem_len; /* arrays: each element's size  */
        size_t raw_len;   /* strings: bytes unescaped     */
        bool fixed;       /* never cut                    */
        /* The cut: keep everything (-1), nothing (0), or the first `keep`
         * bytes of a string / elements of an array. */
        long long keep;
} member_t;

/* Serialises v alone; NULL on failure (e.g. deeper than yajl's generator
 * allows), *len set. */
static char *serialise(yajl_val v, size_t *len)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        char *s = NULL;

        *len = 0;
        if (!g)
                return NULL;
        if (!jsonread_gen(g, v) &&
            yajl_gen_get_buf(g, &buf, len) == yajl_gen_status_ok) {
                s = malloc(*len + 1);
                if (s) {
                        memcpy(s, buf, *len);
                        s[*len] = '\0';
                }
        }
        yajl_gen_free(g);
        return s;
}

static char *serialise_string(const char *str, size_t n, size_t *len)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        char *s = NULL;

        *len = 0;
        if (!g)
                return NULL;
        if (yajl_gen_string(g, (const unsigned char *)str, n) ==
                    yajl_gen_status_ok &&
            yajl_gen_get_buf(g, &buf, len) == yajl_gen_status_ok) {
                s = malloc(*len + 1);
                if (s) {
                        memcpy(s, buf, *len);
                        s[*len] = '\0';
                }
        }
        yajl_gen_free(g);
        return s;
}

static bool is_protected(const char *key)
{
        for (size_t i = 0;
             i < sizeof(protected_members) / sizeof(*protected_members); i++)
                if (!strcmp(key, protected_members[i]))
                        return true;
        return false;
}

/* The serialised size of member m as cut now (with its key and ':'). */
static size_t member_size(const member_t *m)
{
        size_t n;

        if (m->keep == 0)
                return 0;
        if (m->keep < 0)
                return m->key_len + 1 + m->val_len;
        if (YAJL_IS_ARRAY(m->val)) {
                n = 2;
                for (long long i = 0; i < m->keep; i++)
                        n += m->elem_len[i] + (i ? 1 : 0);
                return m->key_len + 1 + n;
        }
        /* A string's head, escaped at the string's average rate: an
         * estimate; the generated text is measured. */
        return m->key_len + 1 + 2 +
               (size_t)(((double)m->keep * (double)(m->val_len - 2)) /
                        (double)m->raw_len) +
               1;
}

/* Cuts the largest member that can still be cut by about `excess` bytes.
 * Returns false when none is left. */
static bool cut_one(member_t *ms, size_t n, size_t excess)
{
        member_t *m = NULL;
        size_t size;

        for (size_t i = 0; i < n; i++)
                if (!ms[i].fixed && ms[i].keep != 0 &&
                    (!m || member_size(&ms[i]) > member_size(m)))
                        m = &ms[i];
        if (!m)
                return false;
        size = member_size(m);
        if (YAJL_IS_STRING(m->val) && m->val_json) {
                const char *s = m->val->u.string;
                size_t len = m->keep < 0 ? m->raw_len : (size_t)m->keep;
                /* Raw bytes to remove for `excess` bytes of JSON, at the
                 * string's average escaping rate. */
                size_t cut = (size_t)((double)excess * (double)m->raw_len /
                                      (double)(m->val_len - 2)) +
                             1;

                if (m->raw_len > 0 && len > cut + 64) {
                        len -= cut;
                        while (len > 0 &&
                               ((unsigned char)s[len] & 0xC0) == 0x80)
                                len--;
                        m->keep = (long long)len;
                        return true;
                }
        } else if (YAJL_IS_ARRAY(m->val) && m->elem_len && size > excess) {
                long long keep =
                        m->keep < 0 ? (long long)m->val->u.array.len : m->keep;
                size_t removed = 0;

                while (keep > 0 && removed < excess)
                        removed += m->elem_len[--keep] + 1;
                if (keep > 0) {
                        m->keep = keep;
                        return true;
                }
        }
        m->keep = 0;
        return true;
}

/* Appends s[0, n) to buf (capacity cap). */
static void put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
        if (*len + n <= cap)
                memcpy(buf + *len, s, n);
        *len += n;
}

/* The record as cut now, in a new buffer of at most cap bytes; *len is the
 * size it needs (larger than cap when it does not fit). */
static char *assemble(const member_t *ms, size_t n, size_t cap, size_t *len)
{
        char *buf = malloc(cap + 1), *piece;
        size_t plen;
        bool first = true, any_cut = false;

        *len = 0;
        if (!buf)
                return NULL;
        put(buf, cap, len, "{", 1);
        for (size_t i = 0; i < n; i++) {
                const member_t *m = &ms[i];

                if (m->keep == 0) {
                        any_cut = true;
                        continue;
                }
                if (!first)
                        put(buf, cap, len, ",", 1);
                first = false;
                put(buf, cap, len, m->key_json, m->key_len);
                put(buf, cap, len, ":", 1);
                if (m->keep < 0) {
                        put(buf, cap, len, m->val_json, m->val_len);
                } else if (YAJL_IS_ARRAY(m->val)) {
                        any_cut = true;
                        put(buf, cap, len, "[", 1);
                        for (long long k = 0; k < m->keep; k++) {
                                size_t el;

                                if (k)
                                        put(buf, cap, len, ",", 1);
                                piece = serialise(m->val->u.array.values[k],
                                                  &el);
                                if (!piece)
                                        goto out;
                                put(buf, cap, len, piece, el);
                                free(piece);
                        }
                        put(buf, cap, len, "]", 1);
                } else {
                        any_cut = true;
                        piece = serialise_string(m->val->u.string,
                                                 (size_t)m->keep, &plen);
                        if (!piece)
                                goto out;
                        put(buf, cap, len, piece, plen);
                        free(piece);
                }
        }
        if (any_cut) {
                bool first_name = true;

                put(buf, cap, len, first ? "" : ",", first ? 0 : 1);
                put(buf, cap, len, "\"truncated\":[", 13);
                for (size_t i = 0; i < n; i++) {
                        if (ms[i].keep < 0)
                                continue;
                        if (!first_name)
                                put(buf, cap, len, ",", 1);
                        first_name = false;
                        put(buf, cap, len, ms[i].key_json, ms[i].key_len);
                }
                put(buf, cap, len, "]", 1);
        }
        put(buf, cap, len, "}", 1);
        if (*len <= cap)
                buf[*len] = '\0';
        return buf;
out:
        free(buf);
        return NULL;
}

int recordfit_cut(const char *record, size_t len, size_t limit, char **out,
                  size_t *out_len, char *errstr, size_t errstr_size)
{
        jsonread_caps_t caps = { len, RECORD_DEPTH_MAX, 0 };
        yajl_val root;
        member_t *ms = NULL;
        size_t n = 0, total, reserve = 0, need;
        char *buf = NULL, why[256];
        bool oom = false;
        int rc = -1;

        *out = NULL;
        *out_len = 0;
        root = jsonread_tree(record, len, &caps, why, sizeof(why));
        if (!root) {
                snprintf(errstr, errstr_size, "record: %s", why);
                return -1;
        }
        if (!YAJL_IS_OBJECT(root)) {
                snprintf(errstr, errstr_size, "record is not an object");
                goto out;
        }
        n = root->u.object.len;
        ms = calloc(n ? n : 1, sizeof(*ms));
        if (!ms) {
                oom = true;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                member_t *m = &ms[i];

                m->key = root->u.object.keys[i];
                m->val = root->u.object.values[i];
                m->keep = -1;
                m->fixed =
                        is_protected(m->key) || !strcmp(m->key, "truncated");
                m->key_json =
                        serialise_string(m->key, strlen(m->key), &m->key_len);
                m->val_json = serialise(m->val, &m->val_len);
                if (YAJL_IS_STRING(m->val))
                        m->raw_len = strlen(m->val->u.string);
                if (!m->key_json) {
                        oom = true;
                        goto out;
                }
                if (!m->val_json) {
                        /* Deeper than yajl's generator: dropped. */
                        if (m->fixed) {
                                oom = true;
                                goto out;
                        }
                        m->keep = 0;
                        continue;
                }
                if (YAJL_IS_ARRAY(m->val) && m->val->u.array.len > 0) {
                        m->elem_len =
                                calloc(m->val->u.array.len, sizeof(size_t));
                        if (!m->elem_len) {
                                oom = true;
                                goto out;
                        }
                        for (size_t k = 0; k < m->val->u.array.len; k++) {
                                char *e = serialise(m->val->u.array.values[k],
                                                    &m->elem_len[k]);

                                if (!e) {
                                        free(m->elem_len);
                                        m->elem_len = NULL;
                                        break;
                                }
                                free(e);
                        }
                }
                /* The `truncated` list may name every member. */
                reserve += m->key_len + 1;
        }
        reserve += 16;
        for (int attempt = 0; attempt < FIT_ATTEMPTS; attempt++) {
                total = 2 + reserve;
                for (size_t i = 0; i < n; i++)
                        total += member_size(&ms[i]) + 1;
                while (total > limit) {
                        if (!cut_one(ms, n, total - limit)) {
                                snprintf(errstr, errstr_size,
                                         "the record's members that name "
                                         "the page alone are over %zu bytes",
                                         limit);
                                rc = 1;
                                goto out;
                        }
                        total = 2 + reserve;
                        for (size_t i = 0; i < n; i++)
                                total += member_size(&ms[i]) + 1;
                }
                free(buf);
                buf = assemble(ms, n, limit, &need);
                if (!buf) {
                        oom = true;
                        goto out;
                }
                if (need <= limit) {
                        *out = buf;
                        *out_len = need;
                        buf = NULL;
                        rc = 0;
                        goto out;
                }
                /* Escaping made the strings' heads larger than estimated. */
                reserve += need - limit;
        }
        snprintf(errstr, errstr_size, "the record cannot be cut to %zu bytes",
                 limit);
        rc = 1;
out:
        if (oom) {
                snprintf(errstr, errstr_size,
                         "out of memory cutting a record");
                rc = -1;
        }
        for (size_t i = 0; ms && i < n; i++) {
                free(ms[i].key_json);
                free(ms[i].val_json);
                free(ms[i].elem_len);
        }
        free(ms);
        free(buf);
        yajl_tree_free(root);
        return rc;
}
