/*
 * proxies.c — the proxy pool (see proxies.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxies.h"

typedef struct proxy {
        char   *url;
        char   *name;         /* url without user:password@ */
        int     fails;        /* consecutive failures       */
        int     rests;        /* times rested, for back-off */
        int64_t rest_until;
} proxy_t;

struct proxies {
        proxy_t *v;
        size_t   n;
};

/* "scheme://user:pw@host:port/" -> "scheme://host:port/". */
static char *redact(const char *url)
{
        const char *auth = strstr(url, "://");
        const char *at, *end;
        char *out;
        size_t n;

        if (!auth)
                return strdup(url);
        auth += 3;
        end = auth + strcspn(auth, "/?#");
        at = memchr(auth, '@', (size_t)(end - auth));
        if (!at)
                return strdup(url);
        while (memchr(at + 1, '@', (size_t)(end - at - 1)))
                at = memchr(at + 1, '@', (size_t)(end - at - 1));
        n = (size_t)(auth - url) + strlen(at + 1);
        out = malloc(n + 1);
        if (!out)
                return NULL;
        memcpy(out, url, (size_t)(auth - url));
        memcpy(out + (auth - url), at + 1, strlen(at + 1) + 1);
        return out;
}

static int add(proxies_t *px, const char *url, char *errstr,
               size_t errstr_size)
{
        proxy_t *v;
        const char *sep = strstr(url, "://");

        if (!sep || sep == url || !sep[3]) {
                char *name = redact(url);

                snprintf(errstr, errstr_size, "--proxy: '%s' is not a proxy "
                         "URL (scheme://host:port)", name ? name : "?");
                free(name);
                return -1;
        }
        v = realloc(px->v, (px->n + 1) * sizeof(*v));
        if (!v)
                goto nomem;
        px->v = v;
        memset(&v[px->n], 0, sizeof(*v));
        v[px->n].url = strdup(url);
        v[px->n].name = redact(url);
        if (!v[px->n].url || !v[px->n].name) {
                free(v[px->n].url);
                free(v[px->n].name);
                goto nomem;
        }
        px->n++;
        return 0;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
}

proxies_t *proxies_new(const strlist_t *list, const char *file,
                       char *errstr, size_t errstr_size)
{
        proxies_t *px = calloc(1, sizeof(*px));
        FILE *fp = NULL;
        char line[4096];

        if (!px) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        for (size_t i = 0; list && i < list->n; i++)
                if (add(px, list->v[i], errstr, errstr_size))
                        goto fail;
        if (file && *file) {
                fp = fopen(file, "r");
                if (!fp) {
                        snprintf(errstr, errstr_size, "--proxy-file: %s: %s",
                                 file, strerror(errno));
                        goto fail;
                }
                while (fgets(line, sizeof(line), fp)) {
                        char *s = line, *e;

                        s += strspn(s, " \t");
                        e = s + strcspn(s, "#\r\n");
                        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                                e--;
                        *e = '\0';
                        if (*s && add(px, s, errstr, errstr_size))
                                goto fail;
                }
                fclose(fp);
        }
        return px;
fail:
        if (fp)
                fclose(fp);
        proxies_destroy(px);
        return NULL;
}

void proxies_destroy(proxies_t *px)
{
        if (!px)
                return;
        for (size_t i = 0; i < px->n; i++) {
                free(px->v[i].url);
                free(px->v[i].name);
        }
        free(px->v);
        free(px);
}

size_t proxies_count(const proxies_t *px)
{
        return px->n;
}

static uint32_t hash_str(const char *s)
{
        uint32_t x = 2166136261u; /* FNV-1a */

        while (*s) {
                x ^= (unsigned char)*s++;
                x *= 16777619u;
        }
        return x;
}

int proxies_pick(proxies_t *px, const char *host_key, int current,
                 int64_t now)
{
        size_t start, best = 0;

        if (!px->n)
                return -1;
        if (current >= 0 && (size_t)current < px->n &&
            px->v[current].rest_until <= now)
                return current;
        start = hash_str(host_key) % px->n;
        for (size_t k = 0; k < px->n; k++) {
                size_t i = (start + k) % px->n;

                if (px->v[i].rest_until <= now)
                        return (int)i;
                if (px->v[i].rest_until < px->v[best].rest_until)
                        best = i;
        }
        return (int)best;
}

const char *proxies_url(const proxies_t *px, int i)
{
        return i >= 0 && (size_t)i < px->n ? px->v[i].url : NULL;
}

const char *proxies_name(const proxies_t *px, int i)
{
        return i >= 0 && (size_t)i < px->n ? px->v[i].name : NULL;
}

void proxies_result(proxies_t *px, int i, bool ok, int64_t now)
{
        proxy_t *p;
        int64_t rest;

        if (i < 0 || (size_t)i >= px->n)
                return;
        p = &px->v[i];
        if (ok) {
                p->fails = 0;
                p->rests = 0;
                return;
        }
        if (++p->fails < PROXIES_FAIL_LIMIT)
                return;
        rest = (int64_t)PROXIES_REST_MS << (p->rests < 10 ? p->rests : 10);
        if (rest > PROXIES_REST_MAX_MS)
                rest = PROXIES_REST_MAX_MS;
        p->rest_until = now + rest;
        p->rests++;
        p->fails = 0;
}

size_t proxies_resting(const proxies_t *px, int64_t now)
{
        size_t n = 0;

        for (size_t i = 0; i < px->n; i++)
                n += px->v[i].rest_until > now;
        return n;
}
