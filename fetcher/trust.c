/*
 * trust.c — the operator's own connection targets (see trust.h).
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trust.h"

#define TRUST_MAX_ADDRS 32 /* addresses per --resolve entry */

typedef struct taddr {
        int family; /* AF_INET or AF_INET6 */
        unsigned char a[16];
} taddr_t;

typedef struct tentry {
        char host[256]; /* "" = any; IPv6 in brackets, as libcurl's */
        int port;       /* 0 = any                                  */
        int to_port;    /* 0 = the URL's port                       */
        bool any_addr;  /* wherever libcurl resolves the name to    */
        size_t naddr;
        taddr_t addr[TRUST_MAX_ADDRS];
} tentry_t;

struct trust {
        tentry_t *v;
        size_t n;
};

trust_t *trust_new(void)
{
        return calloc(1, sizeof(trust_t));
}

void trust_destroy(trust_t *t)
{
        if (!t)
                return;
        free(t->v);
        free(t);
}

size_t trust_count(const trust_t *t)
{
        return t ? t->n : 0;
}

/* Parses a port ("" = any -> 0); -1 when bad. */
static int parse_port(const char *s, size_t n)
{
        char buf[8], *end;
        long v;

        if (!n)
                return 0;
        if (n >= sizeof(buf))
                return -1;
        memcpy(buf, s, n);
        buf[n] = '\0';
        v = strtol(buf, &end, 10);
        return *end || v < 1 || v > 65535 ? -1 : (int)v;
}

static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff };

/* A literal address, "1.2.3.4" or "[v6]" (brackets optional when
 * `bare_v6`), of n bytes; false when it is not one. */
static bool parse_addr(const char *s, size_t n, bool bare_v6, taddr_t *out)
{
        char buf[64];

        if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
                s++;
                n -= 2;
                bare_v6 = true;
        }
        if (!n || n >= sizeof(buf))
                return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        memset(out, 0, sizeof(*out));
        if (inet_pton(AF_INET, buf, out->a) == 1) {
                out->family = AF_INET;
                return true;
        }
        if (bare_v6 && inet_pton(AF_INET6, buf, out->a) == 1) {
                out->family = AF_INET6;
                /* IPv4-mapped: the IPv4 address, as sock_addr() reads a
                 * socket's. */
                if (!memcmp(out->a, v4_mapped, sizeof(v4_mapped))) {
                        memmove(out->a, out->a + 12, 4);
                        memset(out->a + 4, 0, 12);
                        out->family = AF_INET;
                }
                return true;
        }
        return false;
}

/* The address of a socket, IPv4-mapped IPv6 as IPv4. */
static bool sock_addr(const struct sockaddr *sa, taddr_t *out, int *port)
{
        memset(out, 0, sizeof(*out));
        if (sa->sa_family == AF_INET) {
                const struct sockaddr_in *s4 = (const void *)sa;

                out->family = AF_INET;
                memcpy(out->a, &s4->sin_addr, 4);
                *port = ntohs(s4->sin_port);
                return true;
        }
        if (sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *s6 = (const void *)sa;
                const unsigned char *b = s6->sin6_addr.s6_addr;

                *port = ntohs(s6->sin6_port);
                if (!memcmp(b, v4_mapped, sizeof(v4_mapped))) {
                        out->family = AF_INET;
                        memcpy(out->a, b + 12, 4);
                } else {
                        out->family = AF_INET6;
                        memcpy(out->a, b, 16);
                }
                return true;
        }
        return false;
}

/* The end of a host that may be "[v6]": the ':' after it, or NULL. */
static const char *host_end(const char *s)
{
        const char *c;

        if (*s != '[')
                return strchr(s, ':');
        c = strchr(s, ']');
        return c && c[1] == ':' ? c + 1 : NULL;
}

static int bad_entry(const char *s, bool resolve, const char *why,
                     char *errstr, size_t errstr_size)
{
        snprintf(errstr, errstr_size, "--%s: '%s' is not %s%s%s",
                 resolve ? "resolve" : "connect-to", s,
                 resolve ? "HOST:PORT:ADDR[,ADDR]"
                         : "HOST:PORT:CONNECT-HOST:CONNECT-PORT",
                 why ? ": " : "", why ? why : "");
        return -1;
}

/* --resolve's ADDR[,ADDR] list: numeric addresses, as libcurl takes
 * them. */
static int parse_resolve(tentry_t *e, const char *list)
{
        const char *p = list;

        while (*p) {
                size_t n = strcspn(p, ",");

                if (e->naddr == TRUST_MAX_ADDRS ||
                    !parse_addr(p, n, true, &e->addr[e->naddr]))
                        return -1;
                e->naddr++;
                p += n;
                if (*p == ',')
                        p++;
        }
        return e->naddr ? 0 : -1;
}

/* --connect-to's CONNECT-HOST:CONNECT-PORT. */
static int parse_connect(tentry_t *e, const char *rest)
{
        const char *c = host_end(rest);
        size_t n;

        if (!c)
                return -1;
        n = (size_t)(c - rest);
        e->to_port = parse_port(c + 1, strlen(c + 1));
        if (e->to_port < 0)
                return -1;
        if (!n) {
                /* Libcurl resolves the URL's own host: trusted only when
                 * the entry names it. */
                e->any_addr = *e->host != '\0';
                return 0;
        }
        if (parse_addr(rest, n, false, &e->addr[0])) {
                e->naddr = 1;
                return 0;
        }
        if (*rest == '[')
                return -1;
        e->any_addr = true; /* a name: whatever libcurl resolves it to */
        return 0;
}

int trust_add(trust_t *t, const char *s, bool resolve, char *errstr,
              size_t errstr_size)
{
        const char *host = resolve && *s == '+' ? s + 1 : s;
        const char *c1 = host_end(host), *c2;
        tentry_t e, *v;
        size_t hlen;

        memset(&e, 0, sizeof(e));
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
                return bad_entry(s, resolve, NULL, errstr, errstr_size);
        e.port = parse_port(c1 + 1, (size_t)(c2 - c1 - 1));
        hlen = (size_t)(c1 - host);
        if (e.port < 0 || hlen >= sizeof(e.host) ||
            (resolve && (!e.port || !hlen)))
                return bad_entry(s, resolve, NULL, errstr, errstr_size);
        memcpy(e.host, host, hlen);
        e.host[hlen] = '\0';
        if (resolve) {
                e.to_port = e.port;
                if (parse_resolve(&e, c2 + 1))
                        return bad_entry(s, resolve,
                                         "ADDR must be numeric "
                                         "IP addresses",
                                         errstr, errstr_size);
        } else if (parse_connect(&e, c2 + 1)) {
                return bad_entry(s, resolve, NULL, errstr, errstr_size);
        }
        v = realloc(t->v, (t->n + 1) * sizeof(*v));
        if (!v) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        t->v = v;
        t->v[t->n++] = e;
        return 0;
}

bool trust_url_target(const char *url, char *host, size_t host_size, int *port)
{
        CURLU *u = curl_url();
        char *h = NULL, *p = NULL, *end;
        bool ok = false;
        long v;

        if (!u || !url)
                goto out;
        /* The flags libcurl parses a transfer's URL with; the host as
         * libcurl matches --resolve/--connect-to entries against it: an
         * IDN name in punycode (libcurl converts it before matching). */
        if (curl_url_set(u, CURLUPART_URL, url,
                         CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) !=
                    CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &h, CURLU_PUNYCODE) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) !=
                    CURLUE_OK)
                goto out;
        v = strtol(p, &end, 10);
        if (*end || v < 1 || v > 65535 || strlen(h) >= host_size)
                goto out;
        snprintf(host, host_size, "%s", h);
        *port = (int)v;
        ok = true;
out:
        curl_free(h);
        curl_free(p);
        curl_url_cleanup(u);
        return ok;
}

bool trust_allows(const trust_t *t, const char *host, int port,
                  const struct sockaddr *sa)
{
        taddr_t a;
        int sport;

        if (!t || !t->n || !sock_addr(sa, &a, &sport))
                return false;
        for (size_t i = 0; i < t->n; i++) {
                const tentry_t *e = &t->v[i];
                int want = e->to_port ? e->to_port : port;

                if ((*e->host && strcasecmp(e->host, host)) ||
                    (e->port && e->port != port) || sport != want)
                        continue;
                if (e->any_addr)
                        return true;
                for (size_t k = 0; k < e->naddr; k++)
                        if (e->addr[k].family == a.family &&
                            !memcmp(e->addr[k].a, a.a, sizeof(a.a)))
                                return true;
        }
        return false;
}
