/*
 * stoplist.c — the --recrawl-stop list (see stoplist.h): two sorted
 * arrays of strings, searched by bsearch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stoplist.h"

typedef struct strs {
        char **v;
        size_t n, cap;
} strs_t;

struct stoplist {
        strs_t hosts, crawls;
};

static int strs_add(strs_t *s, const char *p, size_t n)
{
        char *c;

        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 16;
                char **v = realloc(s->v, cap * sizeof(*v));

                if (!v)
                        return -1;
                s->v = v;
                s->cap = cap;
        }
        c = strndup(p, n);
        if (!c)
                return -1;
        s->v[s->n++] = c;
        return 0;
}

static int cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool strs_has(const strs_t *s, const char *key)
{
        return s->n && bsearch(&key, s->v, s->n, sizeof(*s->v), cmp);
}

static void strs_free(strs_t *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
}

void stoplist_destroy(stoplist_t *sl)
{
        if (!sl)
                return;
        strs_free(&sl->hosts);
        strs_free(&sl->crawls);
        free(sl);
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

stoplist_t *stoplist_parse(const char *text, size_t len, char *errstr,
                           size_t errstr_size)
{
        stoplist_t *sl;
        size_t lineno = 0;
        bool ok = false;
        const char *p = text, *end = text + len;

        if (len > STOPLIST_MAX_BYTES) {
                snprintf(errstr, errstr_size, "over %d bytes",
                         STOPLIST_MAX_BYTES);
                return NULL;
        }
        sl = calloc(1, sizeof(*sl));
        if (!sl) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *a, *b, *w, *we;
                strs_t *dst;

                if (!eol)
                        eol = end;
                lineno++;
                a = p;
                b = eol;
                p = eol < end ? eol + 1 : end;
                if ((size_t)(b - a) > STOPLIST_LINE_MAX) {
                        snprintf(errstr, errstr_size,
                                 "line %zu: over %d bytes", lineno,
                                 STOPLIST_LINE_MAX);
                        goto out;
                }
                if (memchr(a, '#', (size_t)(b - a)))
                        b = memchr(a, '#', (size_t)(b - a));
                while (a < b && is_space(*a))
                        a++;
                while (b > a && is_space(b[-1]))
                        b--;
                if (a == b)
                        continue;
                w = a;
                while (w < b && !is_space(*w))
                        w++;
                we = w;
                while (w < b && is_space(*w))
                        w++;
                if ((size_t)(we - a) == 4 && !memcmp(a, "host", 4))
                        dst = &sl->hosts;
                else if ((size_t)(we - a) == 5 && !memcmp(a, "crawl", 5))
                        dst = &sl->crawls;
                else {
                        snprintf(errstr, errstr_size,
                                 "line %zu: not \"host NAME\" or \"crawl "
                                 "ID\"",
                                 lineno);
                        goto out;
                }
                if (w == b) {
                        snprintf(errstr, errstr_size, "line %zu: no %s",
                                 lineno,
                                 dst == &sl->hosts ? "host" : "crawl id");
                        goto out;
                }
                for (const char *c = w; c < b; c++)
                        if (is_space(*c) || (unsigned char)*c < 0x20 ||
                            *c == 0x7f) {
                                snprintf(errstr, errstr_size,
                                         "line %zu: one name a line", lineno);
                                goto out;
                        }
                if (memchr(w, '\0', (size_t)(b - w))) {
                        snprintf(errstr, errstr_size, "line %zu: NUL byte",
                                 lineno);
                        goto out;
                }
                if (strs_add(dst, w, (size_t)(b - w))) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto out;
                }
        }
        if (sl->hosts.n)
                qsort(sl->hosts.v, sl->hosts.n, sizeof(char *), cmp);
        if (sl->crawls.n)
                qsort(sl->crawls.v, sl->crawls.n, sizeof(char *), cmp);
        ok = true;
out:
        if (!ok) {
                stoplist_destroy(sl);
                sl = NULL;
        }
        return sl;
}

size_t stoplist_count(const stoplist_t *sl)
{
        return sl ? sl->hosts.n + sl->crawls.n : 0;
}

bool stoplist_has(const stoplist_t *sl, const char *host, const char *id)
{
        char buf[STOPLIST_LINE_MAX + 1];
        size_t n;

        if (!sl)
                return false;
        if (host && strs_has(&sl->hosts, host))
                return true;
        if (!id || !sl->crawls.n)
                return false;
        /* The id itself, and each prefix of it that ends before a '.'. */
        n = strlen(id);
        if (n > STOPLIST_LINE_MAX)
                n = STOPLIST_LINE_MAX; /* longer ids: their prefixes */
        memcpy(buf, id, n);
        buf[n] = '\0';
        if (strlen(id) <= STOPLIST_LINE_MAX && strs_has(&sl->crawls, buf))
                return true;
        for (size_t i = n; i > 0; i--) {
                if (buf[i - 1] != '.')
                        continue;
                buf[i - 1] = '\0';
                if (strs_has(&sl->crawls, buf))
                        return true;
        }
        return false;
}
