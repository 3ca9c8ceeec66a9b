/*
 * rules.c — user-defined fields: loading, validating, evaluating (see
 * rules.h).
 */
#include "rules.h"

#include "charset.h"
#include "jsonread.h"
#include "url.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <yajl/yajl_tree.h>

#define NAME_MAX_LEN 64
#define HOST_MAX_LEN 256
#define XPATH_MAX_LEN 4096

typedef enum { FIELD_STRING, FIELD_STRINGS, FIELD_NUMBER } field_type_t;

typedef struct field {
        char *name;
        field_type_t type;
        xmlXPathCompExprPtr comp;
} field_t;

typedef struct host_pat {
        char *host; /* lower-case; for "*.suffix" the ".suffix" part */
        int kind;   /* 0 exact, 1 subdomains of host, 2 any          */
} host_pat_t;

typedef struct rule {
        char *name;
        host_pat_t *hosts;
        size_t n_hosts;
        field_t *fields;
        size_t n_fields;
} rule_t;

struct rules {
        int refs;
        rule_t *rules;
        size_t n_rules;
};

/* ------------------------------------------------------------------ */
/* Freeing and references                                              */

static void rules_free(rules_t *r)
{
        for (size_t i = 0; i < r->n_rules; i++) {
                rule_t *rule = &r->rules[i];

                free(rule->name);
                for (size_t j = 0; j < rule->n_hosts; j++)
                        free(rule->hosts[j].host);
                free(rule->hosts);
                for (size_t j = 0; j < rule->n_fields; j++) {
                        free(rule->fields[j].name);
                        if (rule->fields[j].comp)
                                xmlXPathFreeCompExpr(rule->fields[j].comp);
                }
                free(rule->fields);
        }
        free(r->rules);
        free(r);
}

rules_t *rules_ref(rules_t *r)
{
        if (r)
                __atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
        return r;
}

void rules_unref(rules_t *r)
{
        if (r && __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0)
                rules_free(r);
}

size_t rules_count(const rules_t *r)
{
        return r ? r->n_rules : 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

/* Where an error is: "rules[2] \"shop\"" and, when given, the field. */
static void where(char *buf, size_t size, size_t idx, const char *rname,
                  const char *fname)
{
        int n = snprintf(buf, size, "rules[%zu]", idx);

        if (n < 0 || (size_t)n >= size)
                return;
        if (rname)
                n += snprintf(buf + n, size - (size_t)n, " \"%s\"", rname);
        if (fname && n > 0 && (size_t)n < size)
                snprintf(buf + n, size - (size_t)n, " field \"%s\"", fname);
}

static bool valid_name(const char *s)
{
        size_t len = strlen(s);

        if (len == 0 || len > NAME_MAX_LEN)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '_' ||
                      (i > 0 &&
                       ((c >= '0' && c <= '9') || c == '-' || c == '.'))))
                        return false;
        }
        return true;
}

/* Parses a host pattern; returns 0 or -1 (not a valid pattern). */
static int host_pat_parse(const char *s, host_pat_t *pat)
{
        size_t len = strlen(s);

        if (len == 0 || len >= HOST_MAX_LEN)
                return -1;
        if (strcmp(s, "*") == 0) {
                pat->kind = 2;
                pat->host = strdup("");
                return pat->host ? 0 : -1;
        }
        pat->kind = 0;
        if (s[0] == '*') {
                if (s[1] != '.' || s[2] == '\0')
                        return -1;
                pat->kind = 1;
                s++; /* keep the dot: ".example.com" */
                len--;
        }
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c <= ' ' || c == '/' || c == '*' || c == '?' || c == '#' ||
                    c >= 0x7f)
                        return -1;
        }
        if (s[len - 1] == '.')
                len--; /* a trailing dot means the same host */
        if (len == 0)
                return -1;
        pat->host = strndup(s, len);
        if (!pat->host)
                return -1;
        for (char *p = pat->host; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        return 0;
}

/* The first libxml2 error raised while compiling or checking an XPath. */
typedef struct xerr {
        char msg[256];
        int col;
        bool set;
} xerr_t;

static void xerr_capture(void *ctx, xmlErrorPtr e)
{
        xerr_t *xe = ctx;
        size_t len;

        if (xe->set || !e)
                return;
        xe->set = true;
        xe->col = e->int1;
        snprintf(xe->msg, sizeof(xe->msg), "%s",
                 e->message ? e->message : "invalid expression");
        len = strlen(xe->msg);
        while (len > 0 &&
               (xe->msg[len - 1] == '\n' || xe->msg[len - 1] == ' '))
                xe->msg[--len] = '\0';
}

static void xerr_silent(void *ctx, xmlErrorPtr e)
{
        (void)ctx;
        (void)e;
}

/* libxml2's unstructured messages (some XPath evaluation errors use them)
 * would go to stderr, outside the JSON logs: dropped. */
static void generic_silent(void *ctx, const char *fmt, ...)
{
        (void)ctx;
        (void)fmt;
}

/* Compiles `expr` and evaluates it once on `probe` (an empty document).
 * Returns the compiled expression, or NULL with the reason in xe. */
static xmlXPathCompExprPtr compile_checked(const char *expr, xmlDocPtr probe,
                                           xerr_t *xe)
{
        xmlXPathContextPtr ctx = xmlXPathNewContext(probe);
        xmlXPathCompExprPtr comp = NULL;
        xmlXPathObjectPtr res = NULL;

        if (!ctx) {
                snprintf(xe->msg, sizeof(xe->msg), "out of memory");
                xe->set = true;
                return NULL;
        }
        xmlSetStructuredErrorFunc(xe, xerr_capture);
        xmlSetGenericErrorFunc(NULL, generic_silent);
        comp = xmlXPathCtxtCompile(ctx, (const xmlChar *)expr);
        if (comp) {
                res = xmlXPathCompiledEval(comp, ctx);
                if (!res || xe->set) {
                        if (!xe->set) {
                                snprintf(xe->msg, sizeof(xe->msg),
                                         "evaluation failed");
                                xe->set = true;
                        }
                        xmlXPathFreeCompExpr(comp);
                        comp = NULL;
                }
        } else if (!xe->set) {
                snprintf(xe->msg, sizeof(xe->msg), "invalid expression");
                xe->set = true;
        }
        xmlSetStructuredErrorFunc(NULL, NULL);
        xmlSetGenericErrorFunc(NULL, NULL);
        if (res)
                xmlXPathFreeObject(res);
        xmlXPathFreeContext(ctx);
        return comp;
}

static int load_field(field_t *f, const char *name, yajl_val v,
                      xmlDocPtr probe, const char *at, char *errstr,
                      size_t errstr_size)
{
        const char *expr = NULL, *type = "string";
        xerr_t xe = { .set = false };

        if (!valid_name(name)) {
                snprintf(errstr, errstr_size,
                         "%s: a field name is 1-%d "
                         "letters, digits, '_', '-' or '.', starting with a "
                         "letter or '_'",
                         at, NAME_MAX_LEN);
                return -1;
        }
        if (YAJL_IS_STRING(v)) {
                expr = YAJL_GET_STRING(v);
        } else if (YAJL_IS_OBJECT(v)) {
                for (size_t i = 0; i < v->u.object.len; i++) {
                        const char *k = v->u.object.keys[i];
                        yajl_val m = v->u.object.values[i];

                        if (strcmp(k, "xpath") == 0 && YAJL_IS_STRING(m)) {
                                expr = YAJL_GET_STRING(m);
                        } else if (strcmp(k, "type") == 0 &&
                                   YAJL_IS_STRING(m)) {
                                type = YAJL_GET_STRING(m);
                        } else {
                                snprintf(errstr, errstr_size,
                                         "%s: unknown or mistyped member "
                                         "\"%s\" (want \"xpath\" and "
                                         "\"type\", strings)",
                                         at, k);
                                return -1;
                        }
                }
        }
        if (!expr || !*expr) {
                snprintf(errstr, errstr_size,
                         "%s: want an XPath string or "
                         "{\"xpath\": ..., \"type\": ...}",
                         at);
                return -1;
        }
        if (strlen(expr) > XPATH_MAX_LEN) {
                snprintf(errstr, errstr_size, "%s: XPath over %d bytes", at,
                         XPATH_MAX_LEN);
                return -1;
        }
        if (strcmp(type, "string") == 0) {
                f->type = FIELD_STRING;
        } else if (strcmp(type, "strings") == 0) {
                f->type = FIELD_STRINGS;
        } else if (strcmp(type, "number") == 0) {
                f->type = FIELD_NUMBER;
        } else {
                snprintf(errstr, errstr_size,
                         "%s: type \"%s\" is not one of "
                         "string, strings, number",
                         at, type);
                return -1;
        }
        f->name = strdup(name);
        if (!f->name) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        f->comp = compile_checked(expr, probe, &xe);
        if (!f->comp) {
                if (xe.col > 0)
                        snprintf(errstr, errstr_size,
                                 "%s: bad XPath \"%s\": "
                                 "%s (at column %d)",
                                 at, expr, xe.msg, xe.col);
                else
                        snprintf(errstr, errstr_size,
                                 "%s: bad XPath \"%s\": "
                                 "%s",
                                 at, expr, xe.msg);
                return -1;
        }
        return 0;
}

static int load_rule(rule_t *rule, size_t idx, yajl_val v, xmlDocPtr probe,
                     char *errstr, size_t errstr_size)
{
        yajl_val hosts = NULL, fields = NULL;
        const char *name = NULL;
        char at[256];

        where(at, sizeof(at), idx, NULL, NULL);
        if (!YAJL_IS_OBJECT(v)) {
                snprintf(errstr, errstr_size, "%s: not an object", at);
                return -1;
        }
        for (size_t i = 0; i < v->u.object.len; i++) {
                const char *k = v->u.object.keys[i];
                yajl_val m = v->u.object.values[i];

                if (strcmp(k, "name") == 0 && YAJL_IS_STRING(m))
                        name = YAJL_GET_STRING(m);
                else if (strcmp(k, "hosts") == 0 && YAJL_IS_ARRAY(m))
                        hosts = m;
                else if (strcmp(k, "fields") == 0 && YAJL_IS_OBJECT(m))
                        fields = m;
                else {
                        snprintf(errstr, errstr_size,
                                 "%s: unknown or "
                                 "mistyped member \"%s\"",
                                 at, k);
                        return -1;
                }
        }
        if (name) {
                if (!valid_name(name)) {
                        snprintf(errstr, errstr_size,
                                 "%s: bad rule name "
                                 "\"%.64s\"",
                                 at, name);
                        return -1;
                }
                rule->name = strdup(name);
                if (!rule->name)
                        goto out;
                where(at, sizeof(at), idx, name, NULL);
        }
        if (!hosts || hosts->u.array.len == 0 || !fields ||
            fields->u.object.len == 0) {
                snprintf(errstr, errstr_size,
                         "%s: wants a non-empty "
                         "\"hosts\" array and \"fields\" object",
                         at);
                return -1;
        }
        if (fields->u.object.len > RULES_FIELDS_MAX) {
                snprintf(errstr, errstr_size, "%s: over %d fields", at,
                         RULES_FIELDS_MAX);
                return -1;
        }
        rule->hosts = calloc(hosts->u.array.len, sizeof(*rule->hosts));
        rule->fields = calloc(fields->u.object.len, sizeof(*rule->fields));
        if (!rule->hosts || !rule->fields)
                goto out;
        for (size_t i = 0; i < hosts->u.array.len; i++) {
                yajl_val h = hosts->u.array.values[i];

                if (!YAJL_IS_STRING(h) ||
                    host_pat_parse(YAJL_GET_STRING(h), &rule->hosts[i])) {
                        snprintf(errstr, errstr_size,
                                 "%s: hosts[%zu] is "
                                 "not a host, \"*.suffix\" or \"*\"",
                                 at, i);
                        return -1;
                }
                rule->n_hosts++;
        }
        for (size_t i = 0; i < fields->u.object.len; i++) {
                const char *fname = fields->u.object.keys[i];
                char fat[320];

                where(fat, sizeof(fat), idx, rule->name, fname);
                if (load_field(&rule->fields[i], fname,
                               fields->u.object.values[i], probe, fat, errstr,
                               errstr_size)) {
                        /* a field half-made is freed with the rule */
                        rule->n_fields = i + 1;
                        return -1;
                }
                rule->n_fields++;
        }
        return 0;
out:
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
}

/* Errors quote names and expressions from the file, which may hold any
 * character: keep the message on one line (it is a log line and an exit
 * message). */
static void one_line(char *s)
{
        for (; s && *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        *s = ' ';
}

rules_t *rules_parse(const char *json, size_t len, const char *what,
                     char *errstr, size_t errstr_size)
{
        static const jsonread_caps_t caps = { RULES_FILE_MAX, RULES_DEPTH_MAX,
                                              0 };
        char why[512], msg[768], *text = NULL;
        yajl_val root = NULL, list = NULL;
        xmlDocPtr probe = NULL;
        rules_t *r = NULL;

        if (len > RULES_FILE_MAX) {
                snprintf(errstr, errstr_size, "%s: over %d bytes", what,
                         RULES_FILE_MAX);
                return NULL;
        }
        text = strndup(json, len);
        r = calloc(1, sizeof(*r));
        if (!text || !r) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        r->refs = 1;
        root = jsonread_tree(text, strlen(text), &caps, why, sizeof(why));
        if (!root) {
                snprintf(errstr, errstr_size, "%s: %s", what, why);
                goto out;
        }
        if (YAJL_IS_OBJECT(root))
                for (size_t i = 0; i < root->u.object.len; i++) {
                        if (strcmp(root->u.object.keys[i], "rules") == 0) {
                                list = root->u.object.values[i];
                        } else if (root->u.object.keys[i][0] != '$') {
                                snprintf(errstr, errstr_size,
                                         "%s: unknown "
                                         "member \"%s\"",
                                         what, root->u.object.keys[i]);
                                goto out;
                        }
                }
        if (!YAJL_IS_ARRAY(list)) {
                snprintf(errstr, errstr_size,
                         "%s: want an object with a "
                         "\"rules\" array",
                         what);
                goto out;
        }
        if (list->u.array.len > RULES_MAX) {
                snprintf(errstr, errstr_size, "%s: over %d rules", what,
                         RULES_MAX);
                goto out;
        }
        probe = htmlReadMemory("<html><body></body></html>", 26, NULL, "UTF-8",
                               HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                       HTML_PARSE_NONET);
        r->rules = calloc(list->u.array.len ? list->u.array.len : 1,
                          sizeof(*r->rules));
        if (!probe || !r->rules) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < list->u.array.len; i++) {
                r->n_rules++;
                if (load_rule(&r->rules[i], i, list->u.array.values[i], probe,
                              msg, sizeof(msg))) {
                        snprintf(errstr, errstr_size, "%s: %s", what, msg);
                        goto out;
                }
        }
        xmlFreeDoc(probe);
        yajl_tree_free(root);
        free(text);
        return r;
out:
        one_line(errstr);
        if (probe)
                xmlFreeDoc(probe);
        if (root)
                yajl_tree_free(root);
        free(text);
        if (r)
                rules_free(r);
        return NULL;
}

rules_t *rules_load(const char *path, char *errstr, size_t errstr_size)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        size_t len;
        rules_t *r = NULL;

        if (!f) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return NULL;
        }
        buf = malloc(RULES_FILE_MAX + 1);
        if (!buf) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        len = fread(buf, 1, RULES_FILE_MAX + 1, f);
        if (ferror(f)) {
                snprintf(errstr, errstr_size, "%s: read error", path);
                goto out;
        }
        r = rules_parse(buf, len, path, errstr, errstr_size);
out:
        free(buf);
        fclose(f);
        return r;
}

/* ------------------------------------------------------------------ */
/* Matching                                                            */

static bool pat_match(const host_pat_t *p, const char *host, size_t len)
{
        size_t plen;

        if (p->kind == 2)
                return true;
        plen = strlen(p->host);
        if (p->kind == 0)
                return plen == len && strncasecmp(p->host, host, len) == 0;
        /* ".example.com" matches "a.example.com", not "example.com" */
        return len > plen &&
               strncasecmp(p->host, host + len - plen, plen) == 0;
}

static bool rule_match(const rule_t *rule, const char *host, size_t len)
{
        for (size_t i = 0; i < rule->n_hosts; i++)
                if (pat_match(&rule->hosts[i], host, len))
                        return true;
        return false;
}

/* The host of url without a trailing dot into buf; its length or -1. */
static int url_host(const char *url, char *buf, size_t size)
{
        url_t *u = NULL;
        size_t len;
        int rc = -1;

        if (!url || url_parse(url, NULL, &u, NULL, 0) != URL_OK)
                return -1;
        len = strlen(u->host);
        if (len > 0 && u->host[len - 1] == '.')
                len--;
        if (len < size) {
                memcpy(buf, u->host, len);
                buf[len] = '\0';
                rc = (int)len;
        }
        url_destroy(u);
        return rc;
}

bool rules_match_url(const rules_t *r, const char *url)
{
        char host[HOST_MAX_LEN];
        int len;

        if (!r || r->n_rules == 0)
                return false;
        len = url_host(url, host, sizeof(host));
        if (len < 0)
                return false;
        for (size_t i = 0; i < r->n_rules; i++)
                if (rule_match(&r->rules[i], host, (size_t)len))
                        return true;
        return false;
}

/* ------------------------------------------------------------------ */
/* Evaluating                                                          */

static bool is_ws(int c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Emits s with whitespace collapsed and trimmed, cut at RULES_VALUE_MAX
 * (at a character boundary), repaired to strict UTF-8. Returns the yajl
 * status; *empty tells whether nothing was left. */
static yajl_gen_status gen_collapsed(yajl_gen gen, const xmlChar *s,
                                     bool skip_empty, bool *empty)
{
        size_t cap = RULES_VALUE_MAX, n = 0;
        char *out;
        bool space = false, cut = false;
        yajl_gen_status st;

        *empty = true;
        if (!s)
                return skip_empty ? yajl_gen_status_ok : yajl_gen_null(gen);
        out = malloc(cap + 1);
        if (!out)
                return yajl_gen_in_error_state;
        for (const xmlChar *p = s; *p; p++) {
                if (is_ws(*p)) {
                        space = n > 0;
                        continue;
                }
                if (n + 1 + space > cap) {
                        cut = true;
                        break;
                }
                if (space)
                        out[n++] = ' ';
                space = false;
                out[n++] = (char)*p;
        }
        /* do not end in the middle of a character */
        if (cut && utf8_valid_prefix((unsigned char *)out, n) != n) {
                while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
                        n--;
                if (n > 0 && (unsigned char)out[n - 1] >= 0xC0)
                        n--;
        }
        *empty = n == 0;
        if (n == 0 && skip_empty) {
                free(out);
                return yajl_gen_status_ok;
        }
        if (utf8_valid_prefix((unsigned char *)out, n) == n) {
                st = yajl_gen_string(gen, (unsigned char *)out, n);
        } else {
                char *fixed = NULL;
                size_t fixed_len = 0;

                if (utf8_repair((unsigned char *)out, n, 0, &fixed,
                                &fixed_len) < 0) {
                        free(out);
                        return yajl_gen_in_error_state;
                }
                st = yajl_gen_string(gen, (unsigned char *)fixed, fixed_len);
                free(fixed);
        }
        free(out);
        return st;
}

static yajl_gen_status gen_number(yajl_gen gen, double v)
{
        char num[64];
        int n;

        if (isnan(v) || isinf(v))
                return yajl_gen_null(gen);
        if (v == floor(v) && fabs(v) < 1e15) {
                n = snprintf(num, sizeof(num), "%.0f", v);
        } else {
                n = snprintf(num, sizeof(num), "%.15g", v);
                if (strtod(num, NULL) != v)
                        n = snprintf(num, sizeof(num), "%.17g", v);
        }
        if (n < 0 || (size_t)n >= sizeof(num))
                return yajl_gen_null(gen);
        return yajl_gen_number(gen, num, (size_t)n);
}

static yajl_gen_status emit_field(const field_t *f, xmlXPathContextPtr ctx,
                                  yajl_gen gen)
{
        xmlXPathObjectPtr res = NULL;
        yajl_gen_status st;
        bool empty;

        if (ctx)
                res = xmlXPathCompiledEval(f->comp, ctx);
        switch (f->type) {
        case FIELD_NUMBER:
                st = res ? gen_number(gen, xmlXPathCastToNumber(res))
                         : yajl_gen_null(gen);
                break;
        case FIELD_STRING:
                if (!res || (res->type == XPATH_NODESET &&
                             xmlXPathNodeSetIsEmpty(res->nodesetval))) {
                        st = yajl_gen_null(gen);
                } else {
                        xmlChar *s = xmlXPathCastToString(res);

                        st = gen_collapsed(gen, s, false, &empty);
                        xmlFree(s);
                }
                break;
        default: /* FIELD_STRINGS */
                st = yajl_gen_array_open(gen);
                if (res && res->type == XPATH_NODESET && res->nodesetval) {
                        xmlNodeSetPtr set = res->nodesetval;
                        int items = 0;

                        for (int i = 0;
                             i < set->nodeNr && items < RULES_LIST_MAX &&
                             st == yajl_gen_status_ok;
                             i++) {
                                xmlChar *s = xmlXPathCastNodeToString(
                                        set->nodeTab[i]);

                                st = gen_collapsed(gen, s, true, &empty);
                                xmlFree(s);
                                if (!empty)
                                        items++;
                        }
                } else if (res && res->type != XPATH_NODESET) {
                        xmlChar *s = xmlXPathCastToString(res);

                        st = gen_collapsed(gen, s, true, &empty);
                        xmlFree(s);
                }
                if (st == yajl_gen_status_ok)
                        st = yajl_gen_array_close(gen);
                break;
        }
        if (res)
                xmlXPathFreeObject(res);
        return st;
}

/* Whether `name` was already emitted by an earlier matching rule. */
static bool emitted_before(const rules_t *r, size_t upto, const char *host,
                           size_t len, const char *name)
{
        for (size_t i = 0; i < upto; i++) {
                const rule_t *rule = &r->rules[i];

                if (!rule_match(rule, host, len))
                        continue;
                for (size_t j = 0; j < rule->n_fields; j++)
                        if (strcmp(rule->fields[j].name, name) == 0)
                                return true;
        }
        return false;
}

int rules_emit_fields(void *ctxp, xmlDocPtr doc, void *genp)
{
        const rules_page_t *rp = ctxp;
        yajl_gen gen = genp;
        const rules_t *r = rp->rules;
        xmlXPathContextPtr ctx = NULL;
        yajl_gen_status st;
        char host[HOST_MAX_LEN];
        int len;

        st = yajl_gen_map_open(gen);
        len = url_host(rp->url, host, sizeof(host));
        if (len < 0 || !r)
                goto out;
        if (doc) {
                ctx = xmlXPathNewContext(doc);
                if (!ctx)
                        return yajl_gen_in_error_state;
                ctx->error = xerr_silent; /* a runtime error gives null */
                xmlSetGenericErrorFunc(NULL, generic_silent); /* per thread */
        }
        for (size_t i = 0; i < r->n_rules && st == yajl_gen_status_ok; i++) {
                const rule_t *rule = &r->rules[i];

                if (!rule_match(rule, host, (size_t)len))
                        continue;
                for (size_t j = 0;
                     j < rule->n_fields && st == yajl_gen_status_ok; j++) {
                        const field_t *f = &rule->fields[j];

                        /* first wins: also within one rule (JSON objects
                         * with a repeated key) */
                        if (emitted_before(r, i, host, (size_t)len, f->name))
                                continue;
                        bool dup = false;

                        for (size_t k = 0; k < j; k++)
                                if (strcmp(rule->fields[k].name, f->name) == 0)
                                        dup = true;
                        if (dup)
                                continue;
                        st = yajl_gen_string(gen,
                                             (const unsigned char *)f->name,
                                             strlen(f->name));
                        if (st == yajl_gen_status_ok)
                                st = emit_field(f, ctx, gen);
                }
        }
out:
        if (st == yajl_gen_status_ok)
                st = yajl_gen_map_close(gen);
        if (ctx)
                xmlXPathFreeContext(ctx);
        return st;
}

/* ------------------------------------------------------------------ */
/* The holder                                                          */

struct rules_holder {
        pthread_mutex_t lock;
        rules_t *current;
        unsigned generation;
};

rules_holder_t *rules_holder_new(rules_t *initial)
{
        rules_holder_t *h = calloc(1, sizeof(*h));

        if (!h) {
                rules_unref(initial);
                return NULL;
        }
        pthread_mutex_init(&h->lock, NULL);
        h->current = initial;
        h->generation = 1;
        return h;
}

void rules_holder_destroy(rules_holder_t *h)
{
        if (!h)
                return;
        rules_unref(h->current);
        pthread_mutex_destroy(&h->lock);
        free(h);
}

void rules_holder_set(rules_holder_t *h, rules_t *r)
{
        rules_t *old;

        pthread_mutex_lock(&h->lock);
        old = h->current;
        h->current = r;
        __atomic_add_fetch(&h->generation, 1, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&h->lock);
        rules_unref(old);
}

unsigned rules_holder_generation(const rules_holder_t *h)
{
        return __atomic_load_n(&h->generation, __ATOMIC_ACQUIRE);
}

rules_t *rules_holder_get(rules_holder_t *h, unsigned *generation)
{
        rules_t *r;

        pthread_mutex_lock(&h->lock);
        r = rules_ref(h->current);
        *generation = __atomic_load_n(&h->generation, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&h->lock);
        return r;
}
