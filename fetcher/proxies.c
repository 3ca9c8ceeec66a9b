/*
 * proxies.c — the proxy pool (see proxies.h).
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hash.h"
#include "proxies.h"

typedef struct proxy {
        char *url;
        char *name; /* url without user:password@ */
        int fails;  /* consecutive failures       */
        int rests;  /* times rested, for back-off */
        int64_t rest_until;
} proxy_t;

struct proxies {
        proxy_t *v;
        size_t n;
};

/* The schemes libcurl takes for a proxy (its parse_proxy()). */
static const char *const proxy_schemes[] = {
        "http", "https", "socks4", "socks4a", "socks5", "socks5h", "socks",
};

static bool proxy_scheme(const char *scheme)
{
        for (size_t i = 0;
             i < sizeof(proxy_schemes) / sizeof(proxy_schemes[0]); i++)
                if (!strcasecmp(scheme, proxy_schemes[i]))
                        return true;
        return false;
}

/*
 * Adds a proxy URL. It is read with libcurl's own URL parser and the
 * flags libcurl reads CURLOPT_PROXY with, so what this accepts libcurl
 * uses as read here, and the name (scheme://host[:port], what logs and
 * error objects show) comes from the same parse that tells libcurl where
 * the credentials end: a name cannot carry what libcurl takes for a
 * password. A URL libcurl would not read, or whose scheme is not a
 * proxy's, is refused here (libcurl's own error for it quotes the whole
 * URL, password included); `where` names it, the URL itself is never
 * shown.
 */
static int add(proxies_t *px, const char *url, const char *where, char *errstr,
               size_t errstr_size)
{
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL, *port = NULL, *name = NULL;
        char *copy = NULL;
        proxy_t *v;
        CURLUcode uc;
        size_t n;
        bool oom = false;
        int rc = -1;

        if (!u) {
                oom = true;
                goto out;
        }
        if (!strstr(url, "://")) {
                snprintf(errstr, errstr_size,
                         "%s is not a proxy URL: it "
                         "needs a scheme (http://, https://, socks5h://...)",
                         where);
                goto out;
        }
        uc = curl_url_set(u, CURLUPART_URL, url,
                          CURLU_NON_SUPPORT_SCHEME | CURLU_GUESS_SCHEME);
        if (uc == CURLUE_OK)
                uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
        if (uc == CURLUE_OK)
                uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
        if (uc != CURLUE_OK) {
                snprintf(errstr, errstr_size,
                         "%s is not a proxy URL as "
                         "libcurl reads it (%s); a '#', '?', '/' or '@' in "
                         "a user name or password must be percent-encoded "
                         "(%%23, %%3F, %%2F, %%40)",
                         where, curl_url_strerror(uc));
                goto out;
        }
        if (!proxy_scheme(scheme)) {
                snprintf(errstr, errstr_size,
                         "%s: '%.20s' is not a proxy "
                         "scheme (http, https, socks4, socks4a, socks5, "
                         "socks5h)",
                         where, scheme);
                goto out;
        }
        if (!strcasecmp(scheme, "https") &&
            !(curl_version_info(CURLVERSION_NOW)->features &
              CURL_VERSION_HTTPS_PROXY)) {
                snprintf(errstr, errstr_size,
                         "%s: this libcurl has no "
                         "HTTPS-proxy support",
                         where);
                goto out;
        }
        uc = curl_url_get(u, CURLUPART_PORT, &port, 0);
        if (uc != CURLUE_OK && uc != CURLUE_NO_PORT) {
                oom = true;
                goto out;
        }
        n = strlen(scheme) + strlen(host) + (port ? strlen(port) : 0) + 5;
        name = malloc(n);
        copy = strdup(url);
        v = realloc(px->v, (px->n + 1) * sizeof(*v));
        if (!name || !copy || !v) {
                oom = true;
                goto out;
        }
        px->v = v;
        snprintf(name, n, "%s://%s%s%s", scheme, host, port ? ":" : "",
                 port ? port : "");
        memset(&v[px->n], 0, sizeof(*v));
        v[px->n].url = copy;
        v[px->n].name = name;
        copy = name = NULL;
        px->n++;
        rc = 0;
out:
        if (oom) {
                snprintf(errstr, errstr_size, "out of memory");
                rc = -1;
        }
        free(name);
        free(copy);
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        return rc;
}

proxies_t *proxies_new(const strlist_t *list, const char *file, char *errstr,
                       size_t errstr_size)
{
        proxies_t *px = calloc(1, sizeof(*px));
        FILE *fp = NULL;
        char line[4096], where[300];
        size_t lineno = 0;

        if (!px) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        for (size_t i = 0; list && i < list->n; i++) {
                snprintf(where, sizeof(where), "--proxy: entry %zu", i + 1);
                if (add(px, list->v[i], where, errstr, errstr_size))
                        goto out;
        }
        if (file && *file) {
                fp = fopen(file, "r");
                if (!fp) {
                        snprintf(errstr, errstr_size, "--proxy-file: %s: %s",
                                 file, strerror(errno));
                        goto out;
                }
                while (fgets(line, sizeof(line), fp)) {
                        char *s = line, *e;

                        lineno++;
                        if (!strchr(line, '\n') && !feof(fp)) {
                                snprintf(errstr, errstr_size,
                                         "--proxy-file: "
                                         "%.200s: line %zu is longer than "
                                         "%zu bytes",
                                         file, lineno, sizeof(line) - 2);
                                goto out;
                        }
                        snprintf(where, sizeof(where),
                                 "--proxy-file: "
                                 "%.200s: line %zu",
                                 file, lineno);

                        s += strspn(s, " \t");
                        e = s + strcspn(s, "#\r\n");
                        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                                e--;
                        *e = '\0';
                        if (*s && add(px, s, where, errstr, errstr_size))
                                goto out;
                }
                fclose(fp);
        }
        return px;
out:
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

int proxies_pick(proxies_t *px, const char *host_key, int current, int64_t now)
{
        size_t start, best = 0;

        if (!px->n)
                return -1;
        if (current >= 0 && (size_t)current < px->n &&
            px->v[current].rest_until <= now)
                return current;
        start = hash_fnv1a32(host_key) % px->n;
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
