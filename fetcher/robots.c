/*
 * robots.c — RFC 9309 robots.txt parsing and matching (see robots.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "robots.h"

typedef struct rule {
        char  *pat;    /* normalised pattern ('*' and a final '$' special) */
        size_t len;    /* its length: the match's specificity           */
        bool   allow;
} rule_t;

typedef struct ruleset {
        rule_t *v;
        size_t  n, cap;
        double  delay;
        bool    seen;  /* a group applied (even one without rules) */
} ruleset_t;

struct robots {
        ruleset_t rules;
};

static const char hexd[] = "0123456789ABCDEF";

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static bool unreserved(int c)
{
        return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/*
 * Normalises percent-encoding (RFC 9309 2.2.2): an encoded unreserved
 * character is decoded, other escapes get upper-case hex digits, and
 * octets outside printable ASCII are encoded. Both the patterns and the
 * paths go through it, so "/%7Efoo" matches "/~foo" and "/ä" matches
 * "/%C3%A4". Returns a new string or NULL.
 */
static char *normalise(const char *s, size_t n)
{
        char *out = malloc(n * 3 + 1);
        size_t o = 0;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
                    hexval(s[i + 2]) >= 0) {
                        int v = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);

                        if (unreserved(v)) {
                                out[o++] = (char)v;
                        } else {
                                out[o++] = '%';
                                out[o++] = hexd[v >> 4];
                                out[o++] = hexd[v & 15];
                        }
                        i += 2;
                } else if (c <= 0x20 || c >= 0x7f) {
                        out[o++] = '%';
                        out[o++] = hexd[c >> 4];
                        out[o++] = hexd[c & 15];
                } else {
                        out[o++] = (char)c;
                }
        }
        out[o] = '\0';
        return out;
}

/* Does pattern p (with '*' and a final '$') match a prefix of path s? */
static bool pattern_match(const char *p, const char *s)
{
        const char *star_p = NULL, *star_s = NULL;

        for (;;) {
                if (*p == '$' && p[1] == '\0') {
                        if (*s == '\0')
                                return true;
                } else if (*p == '\0') {
                        return true; /* a prefix match */
                } else if (*p == '*') {
                        star_p = ++p;
                        star_s = s;
                        continue;
                } else if (*s && *p == *s) {
                        p++;
                        s++;
                        continue;
                }
                /* Mismatch: let the last '*' swallow one more character. */
                if (!star_p || !*star_s)
                        return false;
                p = star_p;
                s = ++star_s;
        }
}

static int ruleset_add(ruleset_t *rs, const char *val, size_t n, bool allow)
{
        rule_t *r;

        if (rs->n == rs->cap) {
                size_t cap = rs->cap ? rs->cap * 2 : 16;
                rule_t *v = realloc(rs->v, cap * sizeof(*v));

                if (!v)
                        return -1;
                rs->v = v;
                rs->cap = cap;
        }
        r = &rs->v[rs->n];
        r->pat = normalise(val, n);
        if (!r->pat)
                return -1;
        r->len = strlen(r->pat);
        r->allow = allow;
        rs->n++;
        return 0;
}

static void ruleset_free(ruleset_t *rs)
{
        for (size_t i = 0; i < rs->n; i++)
                free(rs->v[i].pat);
        free(rs->v);
        memset(rs, 0, sizeof(*rs));
}

char *robots_agent_token(const char *user_agent, char *buf, size_t size)
{
        size_t n = 0;

        if (!size)
                return buf;
        while (user_agent[n] && n + 1 < size &&
               (isalpha((unsigned char)user_agent[n]) ||
                user_agent[n] == '_' || user_agent[n] == '-'))
                n++;
        memcpy(buf, user_agent, n);
        buf[n] = '\0';
        return buf;
}

static const char *trim(const char *s, const char *e, const char **end)
{
        while (s < e && (*s == ' ' || *s == '\t'))
                s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
        *end = e;
        return s;
}

static bool key_is(const char *k, size_t n, const char *name)
{
        return n == strlen(name) && !strncasecmp(k, name, n);
}

robots_t *robots_parse(const char *text, size_t len, const char *agent)
{
        robots_t *r = calloc(1, sizeof(*r));
        ruleset_t mine = { 0 }, star = { 0 };
        bool in_agents = false, cur_mine = false, cur_star = false;
        const char *p = text, *end;

        if (!r)
                return NULL;
        if (len > ROBOTS_MAX_BYTES)
                len = ROBOTS_MAX_BYTES;
        end = text + len;
        while (p < end) {
                const char *eol = p, *hash, *colon, *k, *ke, *v, *ve;

                while (eol < end && *eol != '\n' && *eol != '\r')
                        eol++;
                hash = memchr(p, '#', (size_t)(eol - p));
                colon = memchr(p, ':', (size_t)((hash ? hash : eol) - p));
                if (colon) {
                        k = trim(p, colon, &ke);
                        v = trim(colon + 1, hash ? hash : eol, &ve);
                        if (key_is(k, (size_t)(ke - k), "user-agent")) {
                                char tok[128];
                                size_t n = (size_t)(ve - v);

                                if (!in_agents)
                                        cur_mine = cur_star = false;
                                in_agents = true;
                                if (n == 1 && *v == '*') {
                                        cur_star = true;
                                        star.seen = true;
                                } else {
                                        if (n >= sizeof(tok))
                                                n = sizeof(tok) - 1;
                                        memcpy(tok, v, n);
                                        tok[n] = '\0';
                                        robots_agent_token(tok, tok,
                                                           sizeof(tok));
                                        if (*tok && !strcasecmp(tok, agent)) {
                                                cur_mine = true;
                                                mine.seen = true;
                                        }
                                }
                        } else if (key_is(k, (size_t)(ke - k), "allow") ||
                                   key_is(k, (size_t)(ke - k), "disallow")) {
                                bool allow = (ke - k) == 5;

                                in_agents = false;
                                /* An empty value is no rule. */
                                if (ve > v && cur_mine &&
                                    ruleset_add(&mine, v, (size_t)(ve - v),
                                                allow))
                                        goto nomem;
                                if (ve > v && cur_star &&
                                    ruleset_add(&star, v, (size_t)(ve - v),
                                                allow))
                                        goto nomem;
                        } else if (key_is(k, (size_t)(ke - k),
                                          "crawl-delay")) {
                                char num[32];
                                size_t n = (size_t)(ve - v);
                                char *nend;
                                double d;

                                in_agents = false;
                                if (n >= sizeof(num))
                                        n = sizeof(num) - 1;
                                memcpy(num, v, n);
                                num[n] = '\0';
                                d = strtod(num, &nend);
                                /* Any positive number counts (a huge
                                 * one is capped where it applies, not
                                 * ignored); inf and nan do not. */
                                if (nend != num && !*nend && d > 0 &&
                                    isfinite(d)) {
                                        if (d > ROBOTS_MAX_CRAWL_DELAY)
                                                d = ROBOTS_MAX_CRAWL_DELAY;
                                        if (cur_mine && d > mine.delay)
                                                mine.delay = d;
                                        if (cur_star && d > star.delay)
                                                star.delay = d;
                                }
                        } else if (ke > k && !key_is(k, (size_t)(ke - k),
                                                     "sitemap")) {
                                /* Other records end a user-agent run. */
                                in_agents = false;
                        }
                }
                p = eol < end ? eol + 1 : end;
        }
        if (mine.seen) {
                r->rules = mine;
                ruleset_free(&star);
        } else {
                r->rules = star;
                ruleset_free(&mine);
        }
        return r;
nomem:
        ruleset_free(&mine);
        ruleset_free(&star);
        free(r);
        return NULL;
}

robots_t *robots_allow_all(void)
{
        return calloc(1, sizeof(robots_t));
}

void robots_destroy(robots_t *r)
{
        if (!r)
                return;
        ruleset_free(&r->rules);
        free(r);
}

bool robots_allowed(const robots_t *r, const char *path)
{
        const rule_t *best = NULL;
        char *np;

        if (!strcmp(path, "/robots.txt") || !r->rules.n)
                return true;
        np = normalise(path, strlen(path));
        if (!np)
                return true; /* out of memory: the caller fails later */
        for (size_t i = 0; i < r->rules.n; i++) {
                const rule_t *rule = &r->rules.v[i];

                if (best && (rule->len < best->len ||
                             (rule->len == best->len && best->allow)))
                        continue;
                if (pattern_match(rule->pat, np))
                        best = rule;
        }
        free(np);
        return !best || best->allow;
}

double robots_crawl_delay(const robots_t *r)
{
        return r->rules.delay;
}

size_t robots_rule_count(const robots_t *r)
{
        return r->rules.n;
}
