/*
 * tdmrep.c — /.well-known/tdmrep.json read and matched (see tdmrep.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"
#include "tdmrep.h"

typedef struct tdmrule {
        char *location;
        char *policy; /* NULL: none */
        int reserved;
} tdmrule_t;

struct tdmrep {
        tdmrule_t *rules;
        size_t n;
        size_t bytes;
};

tdmrep_t *tdmrep_empty(void)
{
        tdmrep_t *t = calloc(1, sizeof(*t));

        if (t)
                t->bytes = sizeof(*t);
        return t;
}

void tdmrep_free(tdmrep_t *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->n; i++) {
                free(t->rules[i].location);
                free(t->rules[i].policy);
        }
        free(t->rules);
        free(t);
}

size_t tdmrep_bytes(const tdmrep_t *t)
{
        return t ? t->bytes : 0;
}

size_t tdmrep_count(const tdmrep_t *t)
{
        return t ? t->n : 0;
}

/* The value of key `name` of object o, or NULL. */
static yajl_val obj_get(yajl_val o, const char *name)
{
        for (size_t i = 0; i < o->u.object.len; i++)
                if (!strcmp(o->u.object.keys[i], name))
                        return o->u.object.values[i];
        return NULL;
}

/* A rule from object o into r; 1 when kept, 0 when left out, -1 when
 * memory ran out. */
static int rule_read(yajl_val o, tdmrule_t *r)
{
        yajl_val loc, res, pol;
        const char *ls, *ps = NULL;
        long long v;

        if (!YAJL_IS_OBJECT(o))
                return 0;
        loc = obj_get(o, "location");
        res = obj_get(o, "tdm-reservation");
        pol = obj_get(o, "tdm-policy");
        ls = YAJL_IS_STRING(loc) ? YAJL_GET_STRING(loc) : NULL;
        if (!ls || !*ls || strlen(ls) > TDMREP_MAX_FIELD)
                return 0;
        if (!YAJL_IS_INTEGER(res))
                return 0;
        v = YAJL_GET_INTEGER(res);
        if (v != 0 && v != 1)
                return 0;
        if (pol && !YAJL_IS_STRING(pol) && !YAJL_IS_NULL(pol))
                return 0;
        if (YAJL_IS_STRING(pol))
                ps = YAJL_GET_STRING(pol);
        if (ps && strlen(ps) > TDMREP_MAX_FIELD)
                return 0;
        r->reserved = (int)v;
        r->location = strdup(ls);
        r->policy = ps && *ps ? strdup(ps) : NULL;
        if (!r->location || (ps && *ps && !r->policy)) {
                free(r->location);
                free(r->policy);
                return -1;
        }
        return 1;
}

tdmrep_t *tdmrep_parse(const char *text, size_t len, char *errstr,
                       size_t errstr_size)
{
        /* The file is an array of flat objects: depth 2. */
        const jsonread_caps_t caps = { TDMREP_MAX_BYTES, 2, JSONREAD_REPAIR };
        yajl_val root = NULL;
        tdmrep_t *t = NULL;
        bool oom = false;
        size_t n;

        root = jsonread_tree(text, len, &caps, errstr, errstr_size);
        if (!root)
                goto out;
        if (!YAJL_IS_ARRAY(root)) {
                snprintf(errstr, errstr_size, "tdmrep.json is not an array");
                goto out;
        }
        t = tdmrep_empty();
        n = root->u.array.len;
        if (n > TDMREP_MAX_RULES)
                n = TDMREP_MAX_RULES;
        if (t && n) {
                t->rules = calloc(n, sizeof(*t->rules));
                oom = !t->rules;
        }
        oom = oom || !t;
        for (size_t i = 0; !oom && i < n; i++) {
                tdmrule_t *r = &t->rules[t->n];
                int kept = rule_read(root->u.array.values[i], r);

                oom = kept < 0;
                if (kept <= 0)
                        continue;
                t->bytes += sizeof(*r) + strlen(r->location) + 1 +
                            (r->policy ? strlen(r->policy) + 1 : 0);
                t->n++;
        }
        if (oom) {
                snprintf(errstr, errstr_size, "out of memory");
                tdmrep_free(t);
                t = NULL;
        }
out:
        if (root)
                yajl_tree_free(root);
        return t;
}

/*
 * `*` any run of bytes, a final `$` the end of the path, else a prefix.
 * The classic one-star backtrack: on a mismatch the last `*` takes one
 * more byte, so the cost is at most pattern x path bytes, both bounded
 * (TDMREP_MAX_FIELD; the fetcher's URL cap).
 */
int tdmrep_match(const char *pattern, const char *path)
{
        size_t plen = strlen(pattern);
        int anchored = plen > 0 && pattern[plen - 1] == '$';
        const char *p = pattern, *s = path;
        const char *star = NULL, *star_s = NULL;
        const char *pend;

        if (anchored)
                plen--;
        pend = pattern + plen;
        for (;;) {
                if (p == pend) {
                        if (!anchored || *s == '\0')
                                return 1;
                } else if (*p == '*') {
                        star = ++p;
                        star_s = s;
                        continue;
                } else if (*s != '\0' && *p == *s) {
                        p++;
                        s++;
                        continue;
                }
                /* A mismatch (or an anchored end not reached). */
                if (!star || *star_s == '\0')
                        return 0;
                p = star;
                s = ++star_s;
        }
}

int tdmrep_lookup(const tdmrep_t *t, const char *path, const char **policy)
{
        *policy = NULL;
        if (!t)
                return -1;
        for (size_t i = 0; i < t->n; i++)
                if (tdmrep_match(t->rules[i].location, path)) {
                        *policy = t->rules[i].policy;
                        return t->rules[i].reserved;
                }
        return -1;
}
