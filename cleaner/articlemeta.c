/*
 * articlemeta.c — author, dates and site name of a page (articlemeta.h).
 *
 * One iterative walk gathers the candidates of every source; the most
 * trusted source that gave a field wins (JSON-LD > microdata > meta >
 * <time> and bylines).
 */
#include "articlemeta.h"
#include "dom.h"
#include "jsonld.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_tree.h>

/* A string value already checked with YAJL_IS_STRING(). */
#define SVAL(v) ((const char *)(v)->u.string)

#define DEFAULT_MAX_NODES 1000000u
#define JSONLD_MAX (1u << 20)
#define JSON_STACK 256

/* SRC_BYLINE: a byline found by its class (byline_name()), the least
 * trusted: a rel=author link anywhere on the page comes first. */
enum {
        SRC_NONE = 0,
        SRC_BYLINE,
        SRC_PAGE,
        SRC_META,
        SRC_MICRODATA,
        SRC_JSONLD
};
enum { F_AUTHOR = 0, F_PUBLISHED, F_MODIFIED, F_SITE, F_COUNT };

typedef struct found {
        char val[F_COUNT][ARTICLEMETA_FIELD_MAX];
        int src[F_COUNT];
} found_t;

/* Keeps v for field f when src is more trusted than what is there. */
static void offer(found_t *fd, int f, int src, const char *v)
{
        size_t i = 0, j = 0;
        int space = 0;
        char *d;

        if (v == NULL || fd->src[f] >= src)
                return;
        while (isspace((unsigned char)*v))
                v++;
        if (*v == '\0')
                return;
        if (f == F_PUBLISHED || f == F_MODIFIED) {
                char out[ARTICLEMETA_FIELD_MAX];

                if (articlemeta_date(v, out, sizeof(out)) != 0)
                        return;
                snprintf(fd->val[f], sizeof(fd->val[f]), "%s", out);
                fd->src[f] = src;
                return;
        }
        /* An author given as a profile URL is not a name. */
        if (f == F_AUTHOR && (strncasecmp(v, "http://", 7) == 0 ||
                              strncasecmp(v, "https://", 8) == 0))
                return;
        d = fd->val[f];
        for (i = 0; v[i] != '\0' && j + 1 < ARTICLEMETA_FIELD_MAX; i++) {
                if (isspace((unsigned char)v[i])) {
                        space = 1;
                        continue;
                }
                if (space && j > 0)
                        d[j++] = ' ';
                space = 0;
                if (v[i] == '&') {
                        char ref[4];
                        size_t used = 0;
                        size_t n = jsonld_char_ref(
                                (const unsigned char *)v + i,
                                strnlen(v + i, 16), ref, &used);

                        if (n > 0 && j + n < ARTICLEMETA_FIELD_MAX) {
                                memcpy(d + j, ref, n);
                                j += n;
                                i += used - 1;
                                continue;
                        }
                }
                if (j + 1 < ARTICLEMETA_FIELD_MAX)
                        d[j++] = v[i];
        }
        /* Not cut in the middle of a character. */
        while (j > 0 && ((unsigned char)d[j - 1] & 0xC0) == 0x80 &&
               v[i] != '\0')
                j--;
        if (j > 0 && ((unsigned char)d[j - 1] & 0xC0) == 0xC0 && v[i] != '\0')
                j--;
        d[j] = '\0';
        /* A byline's "By ". */
        if (f == F_AUTHOR && strncasecmp(d, "by ", 3) == 0)
                memmove(d, d + 3, j - 2);
        if (d[0] != '\0')
                fd->src[f] = src;
}

/* ---- dates -------------------------------------------------------------- */

static int digits(const char *s, int n, int *v)
{
        int i, x = 0;

        for (i = 0; i < n; i++) {
                if (!isdigit((unsigned char)s[i]))
                        return -1;
                x = x * 10 + (s[i] - '0');
        }
        *v = x;
        return 0;
}

static int month_of(const char *s, size_t *len)
{
        static const char *const m[] = { "jan", "feb", "mar", "apr",
                                         "may", "jun", "jul", "aug",
                                         "sep", "oct", "nov", "dec" };
        int i;
        size_t l = 0;

        while (isalpha((unsigned char)s[l]))
                l++;
        if (l < 3)
                return 0;
        for (i = 0; i < 12; i++)
                if (strncasecmp(s, m[i], 3) == 0) {
                        *len = l;
                        return i + 1;
                }
        return 0;
}

static int valid_ymd(int y, int mo, int d)
{
        return y >= 1900 && y <= 2100 && mo >= 1 && mo <= 12 && d >= 1 &&
               d <= 31;
}

int articlemeta_date(const char *in, char *out, size_t size)
{
        int y, mo, d, hh, mm, ss = 0, zh, zm;
        const char *s = in, *p;
        size_t ml;

        while (isspace((unsigned char)*s))
                s++;
        /* ISO 8601: YYYY-MM-DD[THH:MM[:SS[.fff]][Z|±HH[:]MM]] */
        if (digits(s, 4, &y) == 0 && (s[4] == '-' || s[4] == '/') &&
            digits(s + 5, 2, &mo) == 0 && s[7] == s[4] &&
            digits(s + 8, 2, &d) == 0) {
                if (!valid_ymd(y, mo, d))
                        return -1;
                p = s + 10;
                if ((*p == 'T' || *p == ' ') && digits(p + 1, 2, &hh) == 0 &&
                    p[3] == ':' && digits(p + 4, 2, &mm) == 0) {
                        p += 6;
                        if (*p == ':' && digits(p + 1, 2, &ss) == 0)
                                p += 3;
                        if (*p == '.' || *p == ',') {
                                p++;
                                while (isdigit((unsigned char)*p))
                                        p++;
                        }
                        if (hh > 23 || mm > 59 || ss > 60)
                                goto date_only;
                        if (*p == 'Z' || *p == 'z') {
                                snprintf(out, size,
                                         "%04d-%02d-%02dT%02d:%02d:%02dZ", y,
                                         mo, d, hh, mm, ss);
                                return 0;
                        }
                        if ((*p == '+' || *p == '-') &&
                            digits(p + 1, 2, &zh) == 0) {
                                const char *q = p + 3;

                                if (*q == ':')
                                        q++;
                                if (digits(q, 2, &zm) != 0)
                                        zm = 0;
                                if (zh <= 23 && zm <= 59) {
                                        snprintf(out, size,
                                                 "%04d-%02d-%02dT%02d:%02d:%"
                                                 "02d%c%02d:%02d",
                                                 y, mo, d, hh, mm, ss, *p, zh,
                                                 zm);
                                        return 0;
                                }
                        }
                }
        date_only:
                snprintf(out, size, "%04d-%02d-%02d", y, mo, d);
                return 0;
        }
        /* "March 5, 2024" */
        mo = month_of(s, &ml);
        if (mo > 0) {
                p = s + ml;
                while (*p == '.' || *p == ' ')
                        p++;
                d = 0;
                while (isdigit((unsigned char)*p) && d < 100)
                        d = d * 10 + (*p++ - '0');
                while (isalpha((unsigned char)*p)) /* 5th */
                        p++;
                while (*p == ',' || *p == ' ')
                        p++;
                if (digits(p, 4, &y) == 0 && valid_ymd(y, mo, d)) {
                        snprintf(out, size, "%04d-%02d-%02d", y, mo, d);
                        return 0;
                }
                return -1;
        }
        /* "5 March 2024", "05.03.2024" */
        d = 0;
        p = s;
        while (isdigit((unsigned char)*p) && d < 100)
                d = d * 10 + (*p++ - '0');
        if (p > s && p - s <= 2) {
                if (*p == '.' || *p == '/') {
                        if (digits(p + 1, 2, &mo) == 0 && p[3] == *p &&
                            digits(p + 4, 4, &y) == 0 && *p == '.' &&
                            valid_ymd(y, mo, d)) {
                                snprintf(out, size, "%04d-%02d-%02d", y, mo,
                                         d);
                                return 0;
                        }
                        return -1;
                }
                while (isalpha((unsigned char)*p))
                        p++;
                while (*p == ' ' || *p == '.')
                        p++;
                mo = month_of(p, &ml);
                if (mo > 0) {
                        p += ml;
                        while (*p == ',' || *p == ' ' || *p == '.')
                                p++;
                        if (digits(p, 4, &y) == 0 && valid_ymd(y, mo, d)) {
                                snprintf(out, size, "%04d-%02d-%02d", y, mo,
                                         d);
                                return 0;
                        }
                }
        }
        return -1;
}

/* ---- JSON-LD ------------------------------------------------------------ */

static yajl_val obj_get(yajl_val o, const char *key)
{
        size_t i;

        if (!YAJL_IS_OBJECT(o))
                return NULL;
        for (i = 0; i < o->u.object.len; i++)
                if (strcmp(o->u.object.keys[i], key) == 0)
                        return o->u.object.values[i];
        return NULL;
}

/* A person's name: "x", {"name": "x"}, or a list of them (joined). */
static void person_names(yajl_val v, char *buf, size_t size)
{
        size_t i, len = 0;

        buf[0] = '\0';
        if (YAJL_IS_STRING(v)) {
                snprintf(buf, size, "%s", SVAL(v));
                return;
        }
        if (YAJL_IS_OBJECT(v)) {
                yajl_val n = obj_get(v, "name");

                if (YAJL_IS_STRING(n))
                        snprintf(buf, size, "%s", SVAL(n));
                return;
        }
        if (!YAJL_IS_ARRAY(v))
                return;
        for (i = 0; i < v->u.array.len && i < 8; i++) {
                yajl_val x = v->u.array.values[i];
                const char *name = NULL;

                if (YAJL_IS_STRING(x))
                        name = SVAL(x);
                else if (YAJL_IS_STRING(obj_get(x, "name")))
                        name = SVAL(obj_get(x, "name"));
                if (name == NULL || name[0] == '\0' || len + 3 >= size)
                        continue;
                len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                        len > 0 ? ", " : "", name);
                if (len >= size)
                        len = size - 1;
        }
}

static int type_is(yajl_val o, const char *const *types)
{
        yajl_val t = obj_get(o, "@type");
        size_t i, k;

        for (k = 0; types[k] != NULL; k++) {
                if (YAJL_IS_STRING(t) && strcmp(SVAL(t), types[k]) == 0)
                        return 1;
                if (YAJL_IS_ARRAY(t))
                        for (i = 0; i < t->u.array.len; i++)
                                if (YAJL_IS_STRING(t->u.array.values[i]) &&
                                    strcmp(SVAL(t->u.array.values[i]),
                                           types[k]) == 0)
                                        return 1;
        }
        return 0;
}

static void jsonld(found_t *fd, yajl_val root);

static void jsonld_cb(void *ctx, yajl_val root)
{
        jsonld(ctx, root);
}

static void jsonld(found_t *fd, yajl_val root)
{
        static const char *const site_types[] = { "WebSite", "Organization",
                                                  "NewsMediaOrganization",
                                                  NULL };
        yajl_val stack[JSON_STACK];
        size_t top = 0, i;
        char names[ARTICLEMETA_FIELD_MAX];

        stack[top++] = root;
        while (top > 0) {
                yajl_val v = stack[--top];

                if (YAJL_IS_ARRAY(v)) {
                        for (i = v->u.array.len; i-- > 0 && top < JSON_STACK;)
                                stack[top++] = v->u.array.values[i];
                        continue;
                }
                if (!YAJL_IS_OBJECT(v))
                        continue;
                {
                        yajl_val a = obj_get(v, "author");
                        yajl_val dp = obj_get(v, "datePublished");
                        yajl_val dm = obj_get(v, "dateModified");
                        yajl_val pub = obj_get(v, "publisher");

                        if (dp == NULL)
                                dp = obj_get(v, "dateCreated");
                        if (a != NULL) {
                                person_names(a, names, sizeof(names));
                                offer(fd, F_AUTHOR, SRC_JSONLD, names);
                        }
                        if (YAJL_IS_STRING(dp))
                                offer(fd, F_PUBLISHED, SRC_JSONLD, SVAL(dp));
                        if (YAJL_IS_STRING(dm))
                                offer(fd, F_MODIFIED, SRC_JSONLD, SVAL(dm));
                        if (pub != NULL) {
                                person_names(pub, names, sizeof(names));
                                offer(fd, F_SITE, SRC_JSONLD - 1, names);
                        }
                        if (type_is(v, site_types) &&
                            YAJL_IS_STRING(obj_get(v, "name")))
                                offer(fd, F_SITE,
                                      type_is(v, site_types + 1)
                                              ? SRC_MICRODATA
                                              : SRC_JSONLD,
                                      SVAL(obj_get(v, "name")));
                }
                for (i = v->u.object.len; i-- > 0 && top < JSON_STACK;) {
                        yajl_val x = v->u.object.values[i];

                        if (strcmp(v->u.object.keys[i], "author") == 0 ||
                            strcmp(v->u.object.keys[i], "publisher") == 0)
                                continue;
                        if (YAJL_IS_OBJECT(x) || YAJL_IS_ARRAY(x))
                                stack[top++] = x;
                }
        }
}

/* ---- the walk ----------------------------------------------------------- */

static xmlNodePtr next_node(xmlNodePtr n, xmlNodePtr root, int descend)
{
        if (descend && n->children != NULL)
                return n->children;
        while (n != root) {
                if (n->next != NULL)
                        return n->next;
                n = n->parent;
                if (n == NULL)
                        return NULL;
        }
        return NULL;
}

/* The text of n's subtree, collapsed, into buf. */
static void text_of(xmlNodePtr n, char *buf, size_t size)
{
        xmlNodePtr c = n->children;
        size_t len = 0;
        int k = 0;

        buf[0] = '\0';
        while (c != NULL && k < 64 && len + 1 < size) {
                /* What snprintf("%s ") wrote, without reading all of a
                 * long text to count it: as much as fits, then a space
                 * when it all did. */
                if (c->type == XML_TEXT_NODE && c->content != NULL) {
                        size_t m = strnlen((const char *)c->content,
                                           size - len - 1);

                        memcpy(buf + len, c->content, m);
                        len += m;
                        if (len + 1 < size)
                                buf[len++] = ' ';
                        buf[len] = '\0';
                }
                k++;
                c = next_node(
                        c, n,
                        c->type == XML_ELEMENT_NODE &&
                                strcmp((const char *)c->name, "script") != 0);
        }
}

/* cls holds "author-name", "authorname" or "author_name", any case: one
 * pass for the three strcasestr() it was (this runs for every element
 * with a class until an author is found). */
static int byline_class(const char *cls)
{
        const char *p;

        for (p = cls; *p != '\0'; p++) {
                const char *q;

                if ((*p != 'a' && *p != 'A') || strncasecmp(p, "author", 6))
                        continue;
                q = p + 6;
                if (*q == '-' || *q == '_')
                        q++;
                if (strncasecmp(q, "name", 4) == 0)
                        return 1;
        }
        return 0;
}

/* The text of an element whose class names it a byline's name
 * (byline_class(): "author-name", "authorName", "post-author-name__link":
 * trafilatura's first author XPath) when it is a name: one to five words,
 * no digits or "@", under 64 bytes. */
static int byline_name(char *text)
{
        const char *p;
        size_t len;
        int words = 0, in_word = 0;

        /* A name followed by a separator ("Ann Lee -"): trimmed. */
        len = strlen(text);
        while (len > 0 && (isspace((unsigned char)text[len - 1]) ||
                           strchr("-|:,", text[len - 1]) != NULL))
                text[--len] = '\0';
        if (len == 0 || len >= 64 || strchr(text, ':') != NULL)
                return 0;
        /* A label alone ("Written By"). */
        if (len >= 2 && strcasecmp(text + len - 2, "by") == 0 &&
            (len == 2 || isspace((unsigned char)text[len - 3])))
                return 0;
        for (p = text; *p != '\0'; p++) {
                if (isdigit((unsigned char)*p) || *p == '@')
                        return 0;
                if (isspace((unsigned char)*p)) {
                        in_word = 0;
                } else if (!in_word) {
                        in_word = 1;
                        words++;
                }
        }
        return words <= 5;
}

static void meta(found_t *fd, const xmlNode *n)
{
        const char *k = dom_attr(n, "property");
        const char *c = dom_attr(n, "content");

        if (c == NULL)
                return;
        if (k == NULL || k[0] == '\0')
                k = dom_attr(n, "name");
        if (k == NULL) {
                k = dom_attr(n, "itemprop");
                if (k != NULL) {
                        if (strcmp(k, "datePublished") == 0)
                                offer(fd, F_PUBLISHED, SRC_MICRODATA, c);
                        else if (strcmp(k, "dateModified") == 0)
                                offer(fd, F_MODIFIED, SRC_MICRODATA, c);
                        else if (strcmp(k, "author") == 0)
                                offer(fd, F_AUTHOR, SRC_MICRODATA, c);
                }
                return;
        }
        if (strcasecmp(k, "article:published_time") == 0 ||
            strcasecmp(k, "og:published_time") == 0 ||
            strcasecmp(k, "datePublished") == 0 ||
            strcasecmp(k, "pubdate") == 0 ||
            strcasecmp(k, "publish-date") == 0 ||
            strcasecmp(k, "publish_date") == 0 ||
            strcasecmp(k, "parsely-pub-date") == 0 ||
            strcasecmp(k, "sailthru.date") == 0 ||
            strcasecmp(k, "dc.date.issued") == 0 ||
            strcasecmp(k, "dc.date") == 0 || strcasecmp(k, "date") == 0 ||
            strcasecmp(k, "dcterms.created") == 0 ||
            strcasecmp(k, "citation_publication_date") == 0)
                offer(fd, F_PUBLISHED, SRC_META, c);
        else if (strcasecmp(k, "article:modified_time") == 0 ||
                 strcasecmp(k, "og:updated_time") == 0 ||
                 strcasecmp(k, "dcterms.modified") == 0 ||
                 strcasecmp(k, "last-modified") == 0)
                offer(fd, F_MODIFIED, SRC_META, c);
        else if (strcasecmp(k, "author") == 0 ||
                 strcasecmp(k, "article:author") == 0 ||
                 strcasecmp(k, "parsely-author") == 0 ||
                 strcasecmp(k, "sailthru.author") == 0 ||
                 strcasecmp(k, "dc.creator") == 0 ||
                 strcasecmp(k, "citation_author") == 0)
                offer(fd, F_AUTHOR, SRC_META, c);
        else if (strcasecmp(k, "og:site_name") == 0 ||
                 strcasecmp(k, "application-name") == 0)
                offer(fd, F_SITE, SRC_META, c);
}

int articlemeta_find(xmlDocPtr doc, size_t max_nodes, jsonld_cache_t *jc,
                     articlemeta_t *m, char *errstr, size_t errstr_size)
{
        found_t *fd;
        xmlNodePtr root, n;
        size_t seen = 0;
        char buf[ARTICLEMETA_FIELD_MAX];
        int rc = -1, f;
        char **dst[F_COUNT];

        memset(m, 0, sizeof(*m));
        if (max_nodes == 0)
                max_nodes = DEFAULT_MAX_NODES;
        fd = calloc(1, sizeof(*fd));
        if (fd == NULL) {
                snprintf(errstr, errstr_size, "article meta: out of memory");
                return -1;
        }
        root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
        n = root;
        while (n != NULL && seen < max_nodes) {
                int descend = 1;

                if (n->type == XML_ELEMENT_NODE) {
                        const char *name = (const char *)n->name;
                        const char *ip = dom_attr(n, "itemprop");

                        seen++;
                        if (strcmp(name, "script") == 0) {
                                const char *type = dom_attr(n, "type");

                                descend = 0;
                                if (type != NULL &&
                                    strcasestr(type, "ld+json") != NULL &&
                                    n->children != NULL &&
                                    n->children->content != NULL) {
                                        const char *s =
                                                (const char *)
                                                        n->children->content;

                                        jsonld_each_tree_in(
                                                jc, (const unsigned char *)s,
                                                strlen(s), JSONLD_MAX,
                                                jsonld_cb, fd);
                                }
                        } else if (strcmp(name, "style") == 0) {
                                descend = 0;
                        } else if (strcmp(name, "meta") == 0) {
                                meta(fd, n);
                        } else if (ip != NULL &&
                                   dom_attr(n, "content") == NULL) {
                                if (strcmp(ip, "author") == 0 ||
                                    strcmp(ip, "creator") == 0) {
                                        xmlNodePtr c = n;
                                        xmlNodePtr x;
                                        /* itemprop=name inside, else text */
                                        for (x = n->children; x != NULL;
                                             x = x->next)
                                                if (x->type ==
                                                            XML_ELEMENT_NODE &&
                                                    dom_attr(x, "itemprop") &&
                                                    strcmp(dom_attr(
                                                                   x,
                                                                   "itemprop"),
                                                           "name") == 0)
                                                        c = x;
                                        if (c == n &&
                                            dom_attr(n, "itemscope") &&
                                            n->children != NULL)
                                                c = NULL;
                                        if (c != NULL) {
                                                text_of(c, buf, sizeof(buf));
                                                offer(fd, F_AUTHOR,
                                                      SRC_MICRODATA, buf);
                                        }
                                } else if (strcmp(ip, "datePublished") == 0 ||
                                           strcmp(ip, "dateModified") == 0) {
                                        const char *dt =
                                                dom_attr(n, "datetime");

                                        if (dt == NULL) {
                                                text_of(n, buf, sizeof(buf));
                                                dt = buf;
                                        }
                                        offer(fd,
                                              ip[4] == 'P' ? F_PUBLISHED
                                                           : F_MODIFIED,
                                              SRC_MICRODATA, dt);
                                }
                        } else if (strcmp(name, "time") == 0) {
                                const char *dt = dom_attr(n, "datetime");

                                if (dt == NULL) {
                                        text_of(n, buf, sizeof(buf));
                                        dt = buf;
                                }
                                offer(fd, F_PUBLISHED, SRC_PAGE, dt);
                        } else if (strcmp(name, "a") == 0 &&
                                   dom_attr(n, "rel") &&
                                   strcmp(dom_attr(n, "rel"), "author") == 0) {
                                text_of(n, buf, sizeof(buf));
                                offer(fd, F_AUTHOR, SRC_PAGE, buf);
                        } else if (fd->src[F_AUTHOR] == SRC_NONE &&
                                   dom_attr(n, "class") != NULL &&
                                   byline_class(dom_attr(n, "class"))) {
                                text_of(n, buf, sizeof(buf));
                                if (byline_name(buf))
                                        offer(fd, F_AUTHOR, SRC_BYLINE, buf);
                        }
                }
                n = next_node(n, root, descend);
        }
        dst[F_AUTHOR] = &m->author;
        dst[F_PUBLISHED] = &m->published_at;
        dst[F_MODIFIED] = &m->modified_at;
        dst[F_SITE] = &m->site_name;
        for (f = 0; f < F_COUNT; f++) {
                if (fd->src[f] == SRC_NONE)
                        continue;
                *dst[f] = strdup(fd->val[f]);
                if (*dst[f] == NULL) {
                        snprintf(errstr, errstr_size,
                                 "article meta: out of memory");
                        articlemeta_clear(m);
                        goto out;
                }
        }
        rc = 0;
out:
        free(fd);
        return rc;
}

void articlemeta_clear(articlemeta_t *m)
{
        free(m->author);
        free(m->published_at);
        free(m->modified_at);
        free(m->site_name);
        memset(m, 0, sizeof(*m));
}
