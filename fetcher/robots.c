/*
 * robots.c — RFC 9309 robots.txt parsing and matching (see robots.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "robots.h"

typedef struct rule {
        uint32_t off;  /* pattern: arena[off, off + len)               */
        uint32_t len;  /* without a final '$'                          */
        uint32_t prio; /* specificity: the normalised length, '$' and
                            * any cut included                             */
        uint8_t allow;
        uint8_t wild;     /* has a '*'                                    */
        uint8_t anchored; /* ended in '$'                                 */
} rule_t;

typedef struct ruleset {
        rule_t *v;
        size_t n, cap;
        char *arena; /* the patterns, back to back                  */
        size_t alen, acap;
        size_t max_bytes; /* cap on arena + index                        */
        double delay;
        bool seen; /* a group applied (even one without rules)    */
        bool over; /* the rules needed more than max_bytes        */
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

/* Writes c to out[o] when it fits under cap; returns o + 1. */
static size_t put(char *out, size_t cap, size_t o, char c)
{
        if (o < cap)
                out[o] = c;
        return o + 1;
}

/*
 * Normalises percent-encoding (RFC 9309 2.2.2): an encoded unreserved
 * character is decoded, other escapes get upper-case hex digits, and
 * octets outside printable ASCII are encoded. Both the patterns and the
 * paths go through it, so "/%7Efoo" matches "/~foo" and "/ä" matches
 * "/%C3%A4". Writes at most `cap` bytes to out (no NUL) and returns the
 * full normalised length, as snprintf() does.
 */
static size_t normalise(const char *s, size_t n, char *out, size_t cap)
{
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
                    hexval(s[i + 2]) >= 0) {
                        int v = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);

                        if (unreserved(v)) {
                                o = put(out, cap, o, (char)v);
                        } else {
                                o = put(out, cap, o, '%');
                                o = put(out, cap, o, hexd[v >> 4]);
                                o = put(out, cap, o, hexd[v & 15]);
                        }
                        i += 2;
                } else if (c <= 0x20 || c >= 0x7f) {
                        o = put(out, cap, o, '%');
                        o = put(out, cap, o, hexd[c >> 4]);
                        o = put(out, cap, o, hexd[c & 15]);
                } else {
                        o = put(out, cap, o, (char)c);
                }
        }
        return o;
}

/*
 * Does the '*'-pattern p[0..pl) (anchored: it ended in '$') match a prefix
 * of s[0..sl) (all of it when anchored)? The first segment is compared at
 * the start, each next one is found leftmost after the previous one with
 * memmem(), the last one, when anchored, at the end. Leftmost placement
 * leaves the most room for what follows, so this is exact for patterns
 * whose only operator is '*', and it scans s once per segment at most:
 * O(sl + pl) (glibc's memmem is the two-way algorithm, linear). Hand-
 * written: no packaged library matches RFC 9309 patterns.
 */
static bool wild_match(const char *p, size_t pl, bool anchored, const char *s,
                       size_t sl)
{
        const char *pe = p + pl, *star = memchr(p, '*', pl);
        size_t seg = star ? (size_t)(star - p) : pl, pos;

        if (seg > sl || memcmp(p, s, seg))
                return false;
        if (!star)
                return !anchored || seg == sl;
        pos = seg;
        p = star + 1;
        for (;;) {
                const char *next = memchr(p, '*', (size_t)(pe - p));
                size_t l = (size_t)((next ? next : pe) - p);
                const char *hit;

                if (!next && anchored)
                        return l <= sl - pos && !memcmp(s + sl - l, p, l);
                if (l) {
                        hit = memmem(s + pos, sl - pos, p, l);
                        if (!hit)
                                return false;
                        pos = (size_t)(hit - s) + l;
                }
                if (!next)
                        return true;
                p = next + 1;
        }
}

static void ruleset_free(ruleset_t *rs)
{
        free(rs->v);
        free(rs->arena);
        rs->v = NULL;
        rs->arena = NULL;
        rs->n = rs->cap = rs->alen = rs->acap = 0;
}

/* The rule set's rules need more than its cap: drop them all. */
static void ruleset_overflow(ruleset_t *rs)
{
        ruleset_free(rs);
        rs->over = true;
}

/* Grows a buffer of `size`-byte items to hold `need`; 0 or -1 on OOM. */
static int grow(void **v, size_t *cap, size_t need, size_t size)
{
        size_t ncap = *cap ? *cap : 16;
        void *nv;

        if (need <= *cap)
                return 0;
        while (ncap < need)
                ncap *= 2;
        nv = realloc(*v, ncap * size);
        if (!nv)
                return -1;
        *v = nv;
        *cap = ncap;
        return 0;
}

/* Adds the rule val[0..n), normalised into scratch (ROBOTS_MAX_PATTERN
 * bytes). 0, or -1 on OOM. */
static int ruleset_add(ruleset_t *rs, const char *val, size_t n, bool allow,
                       char *scratch)
{
        size_t full = normalise(val, n, scratch, ROBOTS_MAX_PATTERN);
        size_t len = full;
        bool anchored = false;
        rule_t *r;

        if (rs->over)
                return 0;
        if (full > ROBOTS_MAX_PATTERN) {
                /* Polite either way: a cut disallow matches more paths (its
                 * full length still ranks it), a dropped allow allows
                 * less. */
                if (allow)
                        return 0;
                len = ROBOTS_MAX_PATTERN;
        } else if (len && scratch[len - 1] == '$') {
                anchored = true;
                len--;
        }
        if (rs->alen + len + (rs->n + 1) * sizeof(rule_t) > rs->max_bytes) {
                ruleset_overflow(rs);
                return 0;
        }
        if (grow((void **)&rs->v, &rs->cap, rs->n + 1, sizeof(rule_t)) ||
            grow((void **)&rs->arena, &rs->acap, rs->alen + len + 1, 1))
                return -1;
        r = &rs->v[rs->n++];
        r->off = (uint32_t)rs->alen;
        r->len = (uint32_t)len;
        r->prio = (uint32_t)(full > UINT32_MAX ? UINT32_MAX : full);
        r->allow = allow;
        r->wild = memchr(scratch, '*', len) != NULL;
        r->anchored = anchored;
        memcpy(rs->arena + rs->alen, scratch, len);
        rs->alen += len;
        return 0;
}

/* Longest first; allow before disallow at the same length. */
static int rule_rank(const void *a, const void *b)
{
        const rule_t *x = a, *y = b;

        if (x->prio != y->prio)
                return x->prio > y->prio ? -1 : 1;
        if (x->allow != y->allow)
                return x->allow ? -1 : 1;
        return x->off < y->off ? -1 : x->off > y->off;
}

/* Ranks the rules and gives back the slack of the buffers. */
static void ruleset_finish(ruleset_t *rs)
{
        void *p;

        if (!rs->n) {
                ruleset_free(rs);
                return;
        }
        qsort(rs->v, rs->n, sizeof(rule_t), rule_rank);
        p = realloc(rs->v, rs->n * sizeof(rule_t));
        if (p) {
                rs->v = p;
                rs->cap = rs->n;
        }
        p = realloc(rs->arena, rs->alen ? rs->alen : 1);
        if (p) {
                rs->arena = p;
                rs->acap = rs->alen ? rs->alen : 1;
        }
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

robots_t *robots_parse_ex(const char *text, size_t len, const char *agent,
                          size_t max_bytes)
{
        robots_t *r = calloc(1, sizeof(*r));
        char *scratch = malloc(ROBOTS_MAX_PATTERN);
        ruleset_t mine = { .max_bytes = max_bytes },
                  star = { .max_bytes = max_bytes };
        bool in_agents = false, cur_mine = false, cur_star = false;
        const char *p = text, *end;

        if (!r || !scratch)
                goto out;
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
                                                allow, scratch))
                                        goto out;
                                if (ve > v && cur_star &&
                                    ruleset_add(&star, v, (size_t)(ve - v),
                                                allow, scratch))
                                        goto out;
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
                        } else if (ke > k &&
                                   !key_is(k, (size_t)(ke - k), "sitemap")) {
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
        ruleset_finish(&r->rules);
        free(scratch);
        return r;
out:
        ruleset_free(&mine);
        ruleset_free(&star);
        free(scratch);
        free(r);
        return NULL;
}

robots_t *robots_parse(const char *text, size_t len, const char *agent)
{
        return robots_parse_ex(text, len, agent,
                               ROBOTS_DEFAULT_MAX_RULE_BYTES);
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

bool robots_check(const robots_t *r, const char *path, robots_check_t *c)
{
        robots_check_t local = { 0 };
        size_t n = strlen(path), sl, steps = 0;
        bool ok = true;
        char *np;

        if (!c)
                c = &local;
        memset(c, 0, sizeof(*c));
        if (!strcmp(path, "/robots.txt"))
                return true;
        if (r->rules.over) {
                c->oversized = true;
                return false;
        }
        if (!r->rules.n)
                return true;
        if (n > SIZE_MAX / 3 - 1)
                n = SIZE_MAX / 3 - 1;
        np = malloc(n * 3 + 1);
        if (!np)
                return true; /* out of memory: the caller fails later */
        sl = normalise(path, n, np, n * 3 + 1);
        /* Ranked: the first rule that matches is the longest (allow first
         * at equal length). */
        for (size_t i = 0; i < r->rules.n; i++) {
                const rule_t *rule = &r->rules.v[i];
                const char *pat = r->rules.arena + rule->off;
                size_t cost =
                        1 + (rule->wild ? sl + rule->len
                                        : (rule->len < sl ? rule->len : sl));
                bool hit;

                if (cost > ROBOTS_CHECK_BUDGET - steps) {
                        c->over_budget = true;
                        ok = false; /* polite: not known to be allowed */
                        break;
                }
                steps += cost;
                if (rule->wild)
                        hit = wild_match(pat, rule->len, rule->anchored, np,
                                         sl);
                else
                        hit = rule->len <= sl &&
                              (!rule->anchored || rule->len == sl) &&
                              !memcmp(pat, np, rule->len);
                if (hit) {
                        ok = rule->allow;
                        break;
                }
        }
        c->steps = steps;
        free(np);
        return ok;
}

bool robots_allowed(const robots_t *r, const char *path)
{
        return robots_check(r, path, NULL);
}

bool robots_oversized(const robots_t *r)
{
        return r->rules.over;
}

size_t robots_bytes(const robots_t *r)
{
        return sizeof(*r) + r->rules.acap + r->rules.cap * sizeof(rule_t);
}

double robots_crawl_delay(const robots_t *r)
{
        return r->rules.delay;
}

size_t robots_rule_count(const robots_t *r)
{
        return r->rules.n;
}
