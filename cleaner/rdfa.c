/*
 * rdfa.c — RDFa triples from libxml2's HTML tree, as expanded JSON-LD
 * (see rdfa.h).
 *
 * Terms (IRIs, blank nodes, literals) are interned into one table, so that
 * a triple is three ids and a triple given twice is found in a hash set.
 * The walk keeps one frame per open element on a heap stack (the
 * evaluation context of RDFa Core 7.5: parent object, incomplete triples,
 * list mapping, language, vocabulary, prefix mappings); it does each
 * element's steps on entry and completes its parent's incomplete triples
 * and its lists on exit. The output pass groups the triples by subject.
 */
#include "rdfa.h"

#include "dynbuf.h"
#include "hash.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The longest IRI made (of a prefix and a reference, or resolved). */
#define RDFA_IRI_MAX (64 * 1024)

#define XHV "http://www.w3.org/1999/xhtml/vocab#"
#define RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define XSD "http://www.w3.org/2001/XMLSchema#"

/* The RDFa 1.1 initial context's prefixes, with extruct's additions. */
static const char *const initial_prefixes[][2] = {
        { "as", "https://www.w3.org/ns/activitystreams#" },
        { "csvw", "http://www.w3.org/ns/csvw#" },
        { "dcat", "http://www.w3.org/ns/dcat#" },
        { "dqv", "http://www.w3.org/ns/dqv#" },
        { "duv", "https://www.w3.org/ns/duv#" },
        { "qb", "http://purl.org/linked-data/cube#" },
        { "org", "http://www.w3.org/ns/org#" },
        { "owl", "http://www.w3.org/2002/07/owl#" },
        { "gr", "http://purl.org/goodrelations/v1#" },
        { "ctag", "http://commontag.org/ns#" },
        { "cc", "http://creativecommons.org/ns#" },
        { "grddl", "http://www.w3.org/2003/g/data-view#" },
        { "jsonld", "http://www.w3.org/ns/json-ld#" },
        { "ldp", "http://www.w3.org/ns/ldp#" },
        { "oa", "http://www.w3.org/ns/oa#" },
        { "rif", "http://www.w3.org/2007/rif#" },
        { "sioc", "http://rdfs.org/sioc/ns#" },
        { "skos", "http://www.w3.org/2004/02/skos/core#" },
        { "xml", "http://www.w3.org/XML/1998/namespace" },
        { "rr", "http://www.w3.org/ns/r2rml#" },
        { "rdfs", "http://www.w3.org/2000/01/rdf-schema#" },
        { "rev", "http://purl.org/stuff/rev#" },
        { "rdfa", "http://www.w3.org/ns/rdfa#" },
        { "dc", "http://purl.org/dc/terms/" },
        { "dcterms", "http://purl.org/dc/terms/" },
        { "dc11", "http://purl.org/dc/elements/1.1/" },
        { "foaf", "http://xmlns.com/foaf/0.1/" },
        { "void", "http://rdfs.org/ns/void#" },
        { "ical", "http://www.w3.org/2002/12/cal/icaltzd#" },
        { "vcard", "http://www.w3.org/2006/vcard/ns#" },
        { "wdrs", "http://www.w3.org/2007/05/powder-s#" },
        { "og", "http://ogp.me/ns#" },
        { "wdr", "http://www.w3.org/2007/05/powder#" },
        { "rdf", RDF },
        { "xhv", XHV },
        { "xsd", XSD },
        { "v", "http://rdf.data-vocabulary.org/#" },
        { "skosxl", "http://www.w3.org/2008/05/skos-xl#" },
        { "schema", "http://schema.org/" },
        { "ssn", "http://www.w3.org/ns/ssn/" },
        { "sosa", "http://www.w3.org/ns/sosa/" },
        { "time", "http://www.w3.org/2006/time#" },
        { "ma", "http://www.w3.org/ns/ma-ont#" },
        { "sd", "http://www.w3.org/ns/sparql-service-description#" },
        { "prov", "http://www.w3.org/ns/prov#" },
        { "odrl", "http://www.w3.org/ns/odrl/2/" },
        /* extruct's */
        { "twitter", "https://dev.twitter.com/cards#" },
        { "fb", "http://ogp.me/ns/fb#" },
        { "music", "http://ogp.me/ns/music#" },
        { "video", "http://ogp.me/ns/video#" },
        { "article", "http://ogp.me/ns/article#" },
        { "book", "http://ogp.me/ns/book#" },
        { "profile", "http://ogp.me/ns/profile#" },
};

/* The initial context's terms (1.1). */
static const char *const initial_terms[][2] = {
        { "describedby", "http://www.w3.org/2007/05/powder-s#describedby" },
        { "role", XHV "role" },
        { "license", XHV "license" },
};

/* RDFa 1.0's reserved words (XHTML vocabulary). */
static const char *const terms_1_0[] = {
        "alternate", "appendix",  "cite",     "bookmark",   "chapter",
        "contents",  "copyright", "glossary", "help",       "icon",
        "index",     "meta",      "next",     "p3pv1",      "prev",
        "previous",  "role",      "section",  "subsection", "start",
        "license",   "up",        "last",     "stylesheet", "first",
        "top",
};

enum { T_IRI, T_BNODE, T_BNAME, T_LIT, T_STR };

typedef struct {
        uint8_t kind;
        uint8_t cell;    /* a list cell (blank node) */
        uint8_t used;    /* a blank node used as an object */
        uint8_t emitted; /* written (output pass) */
        uint32_t off, len;
        int32_t dt;    /* literal: datatype IRI; cell: first value */
        int32_t lang;  /* literal: language (T_STR); cell: rest (-1: nil) */
        int32_t named; /* T_BNAME: the blank node it names, -1 */
        uint64_t hash;
} term_t;

typedef struct {
        int32_t s, p, o;
} triple_t;

/* An incomplete triple: FWD (s p ?), REV (? p o), LIST (inlist rel). */
enum { INC_FWD, INC_REV, INC_LIST };
typedef struct {
        int32_t s, p, o;
        int kind;
} inc_t;

/* A prefix (or xmlns) declaration, chained towards the root. */
typedef struct {
        int32_t prefix, iri; /* T_STR ids */
        int32_t next;
} decl_t;

/* A list mapping: its properties, each with its values (chained). */
typedef struct {
        int32_t prop;
        int32_t head, tail; /* into lvals; -1: none yet (dummy entry) */
} lprop_t;
typedef struct {
        int32_t origin;
        lprop_t *props;
        size_t n, cap;
} lmap_t;
typedef struct {
        int32_t term, next;
} lval_t;

typedef struct {
        xmlNodePtr node, child;
        int entered;
        int ran; /* its steps were done */
        int skip;
        int32_t resolved;      /* a lazy subject's IRI once asked for, -1 */
        int32_t parent_object; /* from the parent */
        int32_t subject;       /* this element's current subject */
        int32_t to_children;   /* the object its children get */
        int32_t lang, vocab, defns;
        int32_t prefixes, xmlns;
        int32_t list; /* list mapping (lmap index) */
        int new_list;
        size_t inc_from, inc_to;   /* the incomplete triples it hands on */
        size_t pinc_from, pinc_to; /* its parent's */
        size_t own_inc;            /* where its own began (truncate) */
} frame_t;

typedef struct {
        const url_t *base;
        url_scratch_t *urls;
        const char *base_str; /* without fragment */
        size_t base_len;
        int v10; /* RDFa 1.0 */
        dynbuf_t strs;
        term_t *terms;
        size_t n_terms, cap_terms;
        uint32_t *thash; /* term ids + 1, open addressing */
        size_t thash_cap;
        triple_t *triples;
        size_t n_triples, cap_triples;
        uint32_t *xhash; /* triple index + 1 */
        size_t xhash_cap;
        inc_t *inc;
        size_t n_inc, cap_inc;
        decl_t *decls;
        size_t n_decls, cap_decls;
        lmap_t *lists;
        size_t n_lists, cap_lists;
        lval_t *lvals;
        size_t n_lvals, cap_lvals;
        frame_t *stack;
        size_t depth, cap_stack;
        dynbuf_t scratch;
        size_t visits;
        int32_t empty_bnode;
        int32_t t_type, t_nil, t_first, t_rest, t_xmllit, t_html, t_usesvocab,
                t_role, t_xhv, t_base, t_string;
        int oom;
        rdfa_stats_t *st;
        int32_t *labels; /* output: blank node numbers, -1 */
        int32_t n_labels;
} rdfa_t;

/* ---- growth and caps ---- */

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
        size_t nc;
        void *np;

        if (need <= *cap)
                return 0;
        nc = *cap ? *cap * 2 : 16;
        while (nc < need)
                nc *= 2;
        np = realloc(*p, nc * size);
        if (np == NULL)
                return -1;
        *p = np;
        *cap = nc;
        return 0;
}

static void cut(rdfa_t *r)
{
        r->st->errors++;
        r->st->capped = 1;
}

/* Room for element n of an array capped at max elements: 0, or -1 when
 * the cap (counted) or memory (r->oom) refuses it. */
static int room(rdfa_t *r, void **p, size_t *cap, size_t n, size_t max,
                size_t size)
{
        if (n >= max) {
                cut(r);
                return -1;
        }
        if (grow(p, cap, n + 1, size) < 0) {
                r->oom = 1;
                return -1;
        }
        return 0;
}

/* Work counted against RDFA_VISITS_MAX: node visits, and the steps of
 * scans whose length a page chooses (prefix chains, list mappings,
 * completions). 0 once it is spent. */
static int spend(rdfa_t *r, size_t n)
{
        if (r->visits > RDFA_VISITS_MAX)
                return 0;
        r->visits += n;
        if (r->visits > RDFA_VISITS_MAX) {
                cut(r);
                return 0;
        }
        return 1;
}

static int budget(rdfa_t *r)
{
        return spend(r, 1);
}

/* ---- strings ---- */

static int is_space(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
               c == '\v' || (c >= 0x1c && c <= 0x1f);
}

static const char *trim(const char *s, size_t *len)
{
        size_t n = strlen(s);

        while (n > 0 && is_space((unsigned char)*s)) {
                s++;
                n--;
        }
        while (n > 0 && is_space((unsigned char)s[n - 1]))
                n--;
        *len = n;
        return s;
}

static const char *str_of(const rdfa_t *r, int32_t id)
{
        return r->strs.data + r->terms[id].off;
}

/* ---- terms ---- */

static uint64_t term_hash(int kind, const char *s, size_t len, int32_t dt,
                          int32_t lang)
{
        uint64_t h = HASH_FNV64_OFFSET ^ (uint64_t)kind;

        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char)s[i];
                h *= HASH_FNV64_PRIME;
        }
        h ^= (uint64_t)(uint32_t)dt * 0x9e3779b97f4a7c15ull;
        h ^= (uint64_t)(uint32_t)lang * 0xc2b2ae3d27d4eb4full;
        return h ? h : 1;
}

static int rehash_terms(rdfa_t *r)
{
        size_t nc = r->thash_cap ? r->thash_cap * 2 : 1024;
        uint32_t *nh = calloc(nc, sizeof(*nh));

        if (nh == NULL)
                return -1;
        for (size_t i = 0; i < r->n_terms; i++) {
                term_t *t = &r->terms[i];
                size_t j;

                if (t->hash == 0)
                        continue; /* not interned */
                j = t->hash & (nc - 1);
                while (nh[j] != 0)
                        j = (j + 1) & (nc - 1);
                nh[j] = (uint32_t)i + 1;
        }
        free(r->thash);
        r->thash = nh;
        r->thash_cap = nc;
        return 0;
}

/* A new term; -1 when a cap or memory stops it. */
static int32_t term_add(rdfa_t *r, int kind, const char *s, size_t len,
                        int32_t dt, int32_t lang, uint64_t h)
{
        term_t *t;

        if (r->oom)
                return -1;
        if (r->n_terms >= RDFA_TERMS_MAX ||
            r->strs.len + len + 1 > RDFA_BYTES_MAX) {
                cut(r);
                return -1;
        }
        if (grow((void **)&r->terms, &r->cap_terms, r->n_terms + 1,
                 sizeof(*r->terms)) < 0) {
                r->oom = 1;
                return -1;
        }
        t = &r->terms[r->n_terms];
        memset(t, 0, sizeof(*t));
        t->kind = (uint8_t)kind;
        t->off = (uint32_t)r->strs.len;
        t->len = (uint32_t)len;
        t->dt = dt;
        t->lang = lang;
        t->named = -1;
        t->hash = h;
        if ((len > 0 && dynbuf_add(&r->strs, s, len) < 0) ||
            dynbuf_add(&r->strs, "", 1) < 0) {
                r->oom = 1;
                return -1;
        }
        return (int32_t)r->n_terms++;
}

static int32_t intern(rdfa_t *r, int kind, const char *s, size_t len,
                      int32_t dt, int32_t lang)
{
        uint64_t h = term_hash(kind, s, len, dt, lang);
        size_t j;
        int32_t id;

        if (r->oom)
                return -1;
        if ((r->n_terms + 1) * 2 > r->thash_cap && rehash_terms(r) < 0) {
                r->oom = 1;
                return -1;
        }
        for (j = h & (r->thash_cap - 1); r->thash[j] != 0;
             j = (j + 1) & (r->thash_cap - 1)) {
                const term_t *t = &r->terms[r->thash[j] - 1];

                if (t->hash == h && t->kind == kind && t->len == len &&
                    t->dt == dt && t->lang == lang &&
                    memcmp(r->strs.data + t->off, s, len) == 0)
                        return (int32_t)r->thash[j] - 1;
        }
        id = term_add(r, kind, s, len, dt, lang, h);
        if (id >= 0)
                r->thash[j] = (uint32_t)id + 1;
        return id;
}

static int32_t iri(rdfa_t *r, const char *s, size_t len)
{
        return intern(r, T_IRI, s, len, -1, -1);
}

static int32_t iri_c(rdfa_t *r, const char *s)
{
        return iri(r, s, strlen(s));
}

static int32_t str_term(rdfa_t *r, const char *s, size_t len)
{
        return intern(r, T_STR, s, len, -1, -1);
}

/* An IRI made of two parts. */
static int32_t iri2(rdfa_t *r, const char *a, size_t alen, const char *b,
                    size_t blen)
{
        if (alen + blen > RDFA_IRI_MAX) {
                cut(r);
                return -1;
        }
        r->scratch.len = 0;
        if (dynbuf_add(&r->scratch, a, alen) < 0 ||
            dynbuf_add(&r->scratch, b, blen) < 0) {
                r->oom = 1;
                return -1;
        }
        return iri(r, r->scratch.data, r->scratch.len);
}

static int32_t bnode(rdfa_t *r)
{
        return term_add(r, T_BNODE, "", 0, -1, -1, 0);
}

/* The blank node a "_:name" CURIE names (one per name). */
static int32_t named_bnode(rdfa_t *r, const char *name, size_t len)
{
        int32_t id;

        if (len == 0)
                return r->empty_bnode >= 0 ? r->empty_bnode
                                           : (r->empty_bnode = bnode(r));
        id = intern(r, T_BNAME, name, len, -1, -1);
        if (id < 0)
                return -1;
        if (r->terms[id].named < 0) {
                int32_t b = bnode(r);

                if (b < 0)
                        return -1;
                r->terms[id].named = b;
        }
        return r->terms[id].named;
}

/* ---- triples ---- */

static uint64_t triple_hash(int32_t s, int32_t p, int32_t o)
{
        uint64_t h = (uint64_t)(uint32_t)s * 0x9e3779b97f4a7c15ull;

        h ^= (uint64_t)(uint32_t)p * 0xc2b2ae3d27d4eb4full + (h >> 29);
        h ^= (uint64_t)(uint32_t)o * 0x165667b19e3779f9ull + (h >> 31);
        return h;
}

static int rehash_triples(rdfa_t *r)
{
        size_t nc = r->xhash_cap ? r->xhash_cap * 2 : 1024;
        uint32_t *nh = calloc(nc, sizeof(*nh));

        if (nh == NULL)
                return -1;
        for (size_t i = 0; i < r->n_triples; i++) {
                const triple_t *t = &r->triples[i];
                size_t j = triple_hash(t->s, t->p, t->o) & (nc - 1);

                while (nh[j] != 0)
                        j = (j + 1) & (nc - 1);
                nh[j] = (uint32_t)i + 1;
        }
        free(r->xhash);
        r->xhash = nh;
        r->xhash_cap = nc;
        return 0;
}

static void add(rdfa_t *r, int32_t s, int32_t p, int32_t o)
{
        size_t j;

        if (s < 0 || p < 0 || o < 0 || r->oom)
                return;
        if ((r->n_triples + 1) * 2 > r->xhash_cap && rehash_triples(r) < 0) {
                r->oom = 1;
                return;
        }
        for (j = triple_hash(s, p, o) & (r->xhash_cap - 1); r->xhash[j] != 0;
             j = (j + 1) & (r->xhash_cap - 1)) {
                const triple_t *t = &r->triples[r->xhash[j] - 1];

                if (t->s == s && t->p == p && t->o == o)
                        return;
        }
        if (room(r, (void **)&r->triples, &r->cap_triples, r->n_triples,
                 RDFA_TRIPLES_MAX, sizeof(*r->triples)) < 0)
                return;
        r->triples[r->n_triples] = (triple_t){ s, p, o };
        r->xhash[j] = (uint32_t)++r->n_triples;
}

/* ---- attributes ---- */

enum {
        A_ABOUT,
        A_RESOURCE,
        A_HREF,
        A_SRC,
        A_TYPEOF,
        A_PROPERTY,
        A_REL,
        A_REV,
        A_CONTENT,
        A_DATATYPE,
        A_INLIST,
        A_VOCAB,
        A_PREFIX,
        A_ROLE,
        A_ID,
        A_XMLLANG,
        A_XMLNS,
        A_N
};
static const char *const attr_names[A_N] = {
        "about",  "resource", "href",    "src",      "typeof", "property",
        "rel",    "rev",      "content", "datatype", "inlist", "vocab",
        "prefix", "role",     "id",      "xml:lang", "xmlns",
};

typedef struct {
        const char *v[A_N];
        int about_pruned, has_xmlns_prefix;
} attrs_t;

static const char *attr_value(const xmlAttr *a)
{
        if (a->children != NULL && a->children->type == XML_TEXT_NODE &&
            a->children->content != NULL)
                return (const char *)a->children->content;
        return "";
}

/* The A_ index of an attribute name (attr_names[]), -1 when none: by its
 * first byte, then strcmp() with the names of that byte (a strcmp() loop
 * over all of them, for every attribute of every element, was half of
 * the RDFa pass on pages of many attributes). */
static int attr_index(const char *name)
{
        static const signed char by_first[][5] = {
                ['a' - 'a'] = { A_ABOUT, -1 },
                ['c' - 'a'] = { A_CONTENT, -1 },
                ['d' - 'a'] = { A_DATATYPE, -1 },
                ['h' - 'a'] = { A_HREF, -1 },
                ['i' - 'a'] = { A_INLIST, A_ID, -1 },
                ['p' - 'a'] = { A_PROPERTY, A_PREFIX, -1 },
                ['r' - 'a'] = { A_RESOURCE, A_REL, A_REV, A_ROLE, -1 },
                ['s' - 'a'] = { A_SRC, -1 },
                ['t' - 'a'] = { A_TYPEOF, -1 },
                ['v' - 'a'] = { A_VOCAB, -1 },
                ['x' - 'a'] = { A_XMLLANG, A_XMLNS, -1 },
        };
        unsigned char c = (unsigned char)name[0];
        const signed char *k;

        if (c < 'a' || c > 'x')
                return -1;
        k = by_first[c - 'a'];
        /* An empty row is all zeros: A_ABOUT's, so check the byte. */
        for (int i = 0; i < 5 && k[i] >= 0; i++) {
                if (attr_names[k[i]][0] != (char)c)
                        return -1;
                if (strcmp(name, attr_names[k[i]]) == 0)
                        return k[i];
        }
        return -1;
}

static void read_attrs(const xmlNode *n, attrs_t *at)
{
        memset(at, 0, sizeof(*at));
        for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
                const char *name = (const char *)a->name;

                if (name == NULL)
                        continue;
                if (strncmp(name, "xmlns:", 6) == 0) {
                        at->has_xmlns_prefix = 1;
                        continue;
                }
                int i = attr_index(name);

                if (i >= 0 && at->v[i] == NULL)
                        at->v[i] = attr_value(a);
        }
        /* An empty safe CURIE ("[]") is as if the attribute were absent. */
        if (at->v[A_ABOUT] != NULL && strcmp(at->v[A_ABOUT], "[]") == 0) {
                at->v[A_ABOUT] = NULL;
                at->about_pruned = 1;
        }
        if (at->v[A_RESOURCE] != NULL && strcmp(at->v[A_RESOURCE], "[]") == 0)
                at->v[A_RESOURCE] = NULL;
}

/* ---- IRIs ---- */

static int has_scheme(const char *s, size_t len);

/* A plain IRI attribute (href, src, vocab): an absolute one as written
 * (an IRI is an identifier, and extruct keeps it so), a relative one
 * resolved against the base. */
static int32_t uri_of(rdfa_t *r, const char *v)
{
        size_t len;
        const char *s = trim(v, &len);
        const char *href;
        size_t href_len;

        if (len == 0)
                return iri(r, r->base_str, r->base_len);
        if (len > RDFA_IRI_MAX) {
                cut(r);
                return -1;
        }
        if (has_scheme(s, len))
                return iri(r, s, len);
        if (r->base != NULL && r->urls != NULL &&
            url_href_n(r->urls, s, len, r->base, &href, &href_len) == URL_OK)
                return iri(r, href, href_len);
        return iri(r, s, len);
}

static int is_alpha(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

/* NCName as pyRdfa checks it: a letter, then letters, digits, . _ - */
static int is_ncname(const char *s, size_t len)
{
        if (len == 0 || !is_alpha((unsigned char)s[0]))
                return 0;
        for (size_t i = 1; i < len; i++) {
                unsigned char c = (unsigned char)s[i];

                if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '_' &&
                    c != '-')
                        return 0;
        }
        return 1;
}

/* A term: an NCName that may also hold '/'. */
static int is_term(const char *s, size_t len)
{
        if (len == 0 || !is_alpha((unsigned char)s[0]))
                return 0;
        for (size_t i = 1; i < len; i++) {
                unsigned char c = (unsigned char)s[i];

                if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '_' &&
                    c != '-' && c != '/')
                        return 0;
        }
        return 1;
}

/* Whether a CURIE's reference is acceptable (no authority in 1.1; no '#',
 * '[' or ']' in its query or fragment). */
static int reference_ok(const rdfa_t *r, const char *s, size_t len)
{
        const char *q, *f, *end = s + len;

        if (!r->v10 && len >= 2 && s[0] == '/' && s[1] == '/')
                return 0;
        f = memchr(s, '#', len);
        q = memchr(s, '?', f ? (size_t)(f - s) : len);
        for (const char *c = q ? q + 1 : end; c < (f ? f : end); c++)
                if (*c == '[' || *c == ']')
                        return 0;
        for (const char *c = f ? f + 1 : end; c < end; c++)
                if (*c == '#' || *c == '[' || *c == ']')
                        return 0;
        return 1;
}

static int lower_eq(const char *a, size_t alen, const char *b, size_t blen,
                    int fold)
{
        if (alen != blen)
                return 0;
        return fold ? strncasecmp(a, b, alen) == 0 : memcmp(a, b, alen) == 0;
}

/* A CURIE's IRI (or blank node), -2 when it is not one. */
static int32_t curie(rdfa_t *r, const frame_t *f, const char *s, size_t len)
{
        const char *colon = memchr(s, ':', len);
        const char *ref;
        size_t plen, rlen;

        if (len == 0 || colon == NULL)
                return -2;
        if (len == 1)
                return iri_c(r, XHV);
        plen = (size_t)(colon - s);
        ref = colon + 1;
        rlen = len - plen - 1;
        if (plen == 0)
                return reference_ok(r, ref, rlen)
                               ? iri2(r, XHV, strlen(XHV), ref, rlen)
                               : -2;
        if (plen == 1 && s[0] == '_')
                return named_bnode(r, ref, rlen);
        if (!is_ncname(s, plen))
                return -2;
        for (int32_t d = f->prefixes; d >= 0; d = r->decls[d].next) {
                const term_t *pt = &r->terms[r->decls[d].prefix];

                if (!budget(r))
                        return -2;
                if (lower_eq(str_of(r, r->decls[d].prefix), pt->len, s, plen,
                             !r->v10)) {
                        const term_t *it = &r->terms[r->decls[d].iri];

                        if (!reference_ok(r, ref, rlen))
                                return -2;
                        return iri2(r, str_of(r, r->decls[d].iri), it->len,
                                    ref, rlen);
                }
        }
        if (r->v10)
                return -2;
        for (size_t i = 0;
             i < sizeof(initial_prefixes) / sizeof(initial_prefixes[0]); i++)
                if (lower_eq(initial_prefixes[i][0],
                             strlen(initial_prefixes[i][0]), s, plen, 1)) {
                        if (!reference_ok(r, ref, rlen))
                                return -2;
                        return iri2(r, initial_prefixes[i][1],
                                    strlen(initial_prefixes[i][1]), ref, rlen);
                }
        return -2;
}

/* Python's urlsplit scheme: a letter, then letters, digits, + - . up to
 * the first ':'. */
static int has_scheme(const char *s, size_t len)
{
        const char *colon = memchr(s, ':', len);

        if (colon == NULL || colon == s || !is_alpha((unsigned char)s[0]))
                return 0;
        for (const char *c = s; c < colon; c++)
                if (!is_alpha((unsigned char)*c) &&
                    !is_digit((unsigned char)*c) && *c != '+' && *c != '-' &&
                    *c != '.')
                        return 0;
        return 1;
}

/* TERMorCURIEorAbsIRI (typeof, property, rel, rev, datatype, role): -1
 * when it names nothing. */
static int32_t term_curie_abs(rdfa_t *r, const frame_t *f, const char *s,
                              size_t len)
{
        int32_t id;

        if (len == 0)
                return -1;
        if (is_term(s, len)) {
                if (!r->v10 && f->vocab >= 0)
                        return iri2(r, str_of(r, f->vocab),
                                    r->terms[f->vocab].len, s, len);
                if (r->v10) {
                        for (size_t i = 0;
                             i < sizeof(terms_1_0) / sizeof(terms_1_0[0]); i++)
                                if (lower_eq(terms_1_0[i],
                                             strlen(terms_1_0[i]), s, len, 1))
                                        return iri2(r, XHV, strlen(XHV),
                                                    terms_1_0[i],
                                                    strlen(terms_1_0[i]));
                        return -1;
                }
                for (size_t i = 0;
                     i < sizeof(initial_terms) / sizeof(initial_terms[0]); i++)
                        if (lower_eq(initial_terms[i][0],
                                     strlen(initial_terms[i][0]), s, len, 1))
                                return iri_c(r, initial_terms[i][1]);
                return -1;
        }
        id = curie(r, f, s, len);
        if (id != -2)
                return id;
        if (!r->v10 && has_scheme(s, len))
                return iri(r, s, len);
        return -1;
}

/* SafeCURIEorCURIEorIRI (about, resource); -1 when it names nothing. */
static int32_t curie_or_uri(rdfa_t *r, const frame_t *f, const char *v)
{
        size_t len;
        const char *s = trim(v, &len);
        int32_t id;

        if (len == 0)
                return iri(r, r->base_str, r->base_len);
        if (s[0] == '[') {
                if (s[len - 1] != ']' || len < 2)
                        return -1;
                id = curie(r, f, s + 1, len - 2);
                return id == -2 ? -1 : id;
        }
        if (r->v10)
                return uri_of(r, v);
        id = curie(r, f, s, len);
        if (id == -2)
                return uri_of(r, v);
        if (id >= 0 && r->terms[id].kind == T_IRI &&
            !has_scheme(str_of(r, id), r->terms[id].len))
                return iri2(r, r->base_str, r->base_len, str_of(r, id),
                            r->terms[id].len);
        return id;
}

/* The first of the attributes that gives a resource, or -1. */
static int32_t resource_of(rdfa_t *r, const frame_t *f, const attrs_t *at,
                           const int *which, int n)
{
        for (int i = 0; i < n; i++) {
                const char *v = at->v[which[i]];
                int32_t id;

                if (v == NULL)
                        continue;
                if (which[i] == A_HREF || which[i] == A_SRC)
                        id = uri_of(r, v);
                else
                        id = curie_or_uri(r, f, v);
                if (id >= 0)
                        return id;
        }
        return -1;
}

/* The next whitespace-separated token of s[*i, len). */
static int next_token(const char *s, size_t len, size_t *i, const char **tok,
                      size_t *tlen)
{
        while (*i < len && is_space((unsigned char)s[*i]))
                (*i)++;
        if (*i >= len)
                return 0;
        *tok = s + *i;
        while (*i < len && !is_space((unsigned char)s[*i]))
                (*i)++;
        *tlen = (size_t)(s + *i - *tok);
        return 1;
}

/* The IRIs of a list attribute, into ids[] (at most max); returns n. */
static size_t iris_of(rdfa_t *r, const frame_t *f, const char *v, int32_t *ids,
                      size_t max)
{
        size_t i = 0, n = 0, len = strlen(v), tlen;
        const char *tok;

        while (next_token(v, len, &i, &tok, &tlen)) {
                int32_t id = term_curie_abs(r, f, tok, tlen);

                if (id < 0)
                        continue;
                if (n == max) {
                        cut(r);
                        break;
                }
                ids[n++] = id;
        }
        return n;
}

/* ---- declarations ---- */

/* urllib.parse.quote(value, ":/?=#~") as pyRdfa applies it to a prefix's
 * IRI. */
static int32_t quoted_iri(rdfa_t *r, const char *v)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t len;
        const char *s = trim(v, &len);

        if (len > RDFA_IRI_MAX / 3) {
                cut(r);
                return -1;
        }
        r->scratch.len = 0;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                char e[3];

                if (is_alpha(c) || is_digit(c) || strchr("_.-~:/?=#", c)) {
                        if (dynbuf_add(&r->scratch, &s[i], 1) < 0)
                                goto out;
                        continue;
                }
                e[0] = '%';
                e[1] = hex[c >> 4];
                e[2] = hex[c & 15];
                if (dynbuf_add(&r->scratch, e, 3) < 0)
                        goto out;
        }
        return str_term(r, r->scratch.data ? r->scratch.data : "",
                        r->scratch.len);
out:
        r->oom = 1;
        return -1;
}

static int32_t declare(rdfa_t *r, int32_t chain, const char *p, size_t plen,
                       const char *value)
{
        int32_t pid, vid;
        char low[256];

        if (plen >= sizeof(low) || r->n_decls >= 10000) {
                cut(r);
                return chain;
        }
        for (size_t i = 0; i < plen; i++)
                low[i] =
                        (char)(r->v10 ? p[i]
                                      : (p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32
                                                                    : p[i]));
        pid = str_term(r, low, plen);
        vid = quoted_iri(r, value);
        if (pid < 0 || vid < 0)
                return chain;
        if (grow((void **)&r->decls, &r->cap_decls, r->n_decls + 1,
                 sizeof(*r->decls)) < 0) {
                r->oom = 1;
                return chain;
        }
        r->decls[r->n_decls] = (decl_t){ pid, vid, chain };
        return (int32_t)r->n_decls++;
}

/* xmlns:p declarations, then (1.1) the prefix attribute (its pairs read
 * from the end, as pyRdfa reads them). */
static void read_prefixes(rdfa_t *r, frame_t *f, const xmlNode *n,
                          const attrs_t *at)
{
        if (at->has_xmlns_prefix) {
                for (const xmlAttr *a = n->properties; a != NULL;
                     a = a->next) {
                        const char *name = (const char *)a->name;
                        const char *p;

                        if (name == NULL || strncmp(name, "xmlns:", 6) != 0)
                                continue;
                        p = name + 6;
                        if (*p == '\0' || strcmp(p, "_") == 0 ||
                            strchr(p, ':') != NULL)
                                continue;
                        f->prefixes = declare(r, f->prefixes, p, strlen(p),
                                              attr_value(a));
                        f->xmlns = declare(r, f->xmlns, p, strlen(p),
                                           attr_value(a));
                }
        }
        if (!r->v10 && at->v[A_PREFIX] != NULL) {
                const char *v = at->v[A_PREFIX];
                size_t len = strlen(v), i = 0, n_tok = 0, tlen;
                const char *tok;
                const char **toks;
                size_t *lens;

                while (next_token(v, len, &i, &tok, &tlen))
                        n_tok++;
                if (n_tok < 2)
                        return;
                if (n_tok > 2000) {
                        cut(r);
                        return;
                }
                toks = malloc(n_tok * sizeof(*toks));
                lens = malloc(n_tok * sizeof(*lens));
                if (toks == NULL || lens == NULL) {
                        free(toks);
                        free(lens);
                        r->oom = 1;
                        return;
                }
                i = 0;
                n_tok = 0;
                while (next_token(v, len, &i, &tok, &tlen)) {
                        toks[n_tok] = tok;
                        lens[n_tok++] = tlen;
                }
                /* Pairs from the end: an earlier one wins (it is declared
                 * later, nearer the chain's head). */
                for (size_t k = n_tok - 1; k >= 1; k -= 2) {
                        const char *p = toks[k - 1];
                        size_t pl = lens[k - 1];
                        char *val;

                        if (pl >= 2 && p[pl - 1] == ':' &&
                            !(pl == 2 && p[0] == '_') &&
                            is_ncname(p, pl - 1)) {
                                val = strndup(toks[k], lens[k]);
                                if (val == NULL) {
                                        r->oom = 1;
                                        break;
                                }
                                f->prefixes = declare(r, f->prefixes, p,
                                                      pl - 1, val);
                                free(val);
                        }
                        if (k < 2)
                                break;
                }
                free(toks);
                free(lens);
        }
}

/* ---- lists ---- */

static int32_t new_list(rdfa_t *r, int32_t origin)
{
        if (grow((void **)&r->lists, &r->cap_lists, r->n_lists + 1,
                 sizeof(*r->lists)) < 0) {
                r->oom = 1;
                return -1;
        }
        r->lists[r->n_lists] = (lmap_t){ origin, NULL, 0, 0 };
        return (int32_t)r->n_lists++;
}

static void reset_list(rdfa_t *r, frame_t *f, int32_t origin)
{
        int32_t l = new_list(r, origin);

        if (l >= 0) {
                f->list = l;
                f->new_list = 1;
        }
}

/* pyRdfa's add_to_list_mapping: value -1 is the placeholder of an inlist
 * rel whose object comes from below. */
static void list_add(rdfa_t *r, int32_t list, int32_t prop, int32_t value)
{
        lmap_t *m;
        lprop_t *lp = NULL;

        if (list < 0 || prop < 0 || r->oom)
                return;
        m = &r->lists[list];
        if (!spend(r, m->n + 1))
                return;
        for (size_t i = 0; i < m->n; i++)
                if (m->props[i].prop == prop) {
                        lp = &m->props[i];
                        break;
                }
        if (lp == NULL) {
                if (grow((void **)&m->props, &m->cap, m->n + 1,
                         sizeof(*m->props)) < 0) {
                        r->oom = 1;
                        return;
                }
                lp = &m->props[m->n++];
                *lp = (lprop_t){ prop, -1, -1 };
        }
        if (value < 0)
                return;
        if (room(r, (void **)&r->lvals, &r->cap_lvals, r->n_lvals,
                 RDFA_TRIPLES_MAX, sizeof(*r->lvals)) < 0)
                return;
        r->lvals[r->n_lvals] = (lval_t){ value, -1 };
        if (lp->tail >= 0)
                r->lvals[lp->tail].next = (int32_t)r->n_lvals;
        else
                lp->head = (int32_t)r->n_lvals;
        lp->tail = (int32_t)r->n_lvals++;
}

static int32_t real(rdfa_t *r, int32_t id);

/* The lists a list mapping holds, as triples from its origin. */
static void make_lists(rdfa_t *r, int32_t list)
{
        int32_t origin = real(r, r->lists[list].origin);
        lmap_t *m = &r->lists[list];

        if (origin < 0)
                origin = r->t_base;

        for (size_t i = 0; i < m->n; i++) {
                int32_t head = -1, prev = -1;

                for (int32_t v = m->props[i].head; v >= 0;
                     v = r->lvals[v].next) {
                        int32_t cell = bnode(r);

                        if (cell < 0)
                                break;
                        r->terms[cell].cell = 1;
                        r->terms[cell].dt = r->lvals[v].term;
                        r->terms[cell].lang = -1;
                        if (r->terms[r->lvals[v].term].kind == T_BNODE)
                                r->terms[r->lvals[v].term].used = 1;
                        if (prev >= 0)
                                r->terms[prev].lang = cell;
                        else
                                head = cell;
                        prev = cell;
                }
                add(r, origin, m->props[i].prop, head >= 0 ? head : r->t_nil);
        }
}

/* ---- literals ---- */

/* The next node after n in document order within the subtree of top. */
static xmlNodePtr next_in(xmlNodePtr n, xmlNodePtr top, int descend)
{
        if (descend && n->children != NULL &&
            (n->type == XML_ELEMENT_NODE || n == top))
                return n->children;
        while (n != top && n->next == NULL)
                n = n->parent;
        return n == top ? NULL : n->next;
}

static void lit_add(rdfa_t *r, const char *s, size_t len, int *full)
{
        if (*full)
                return;
        if (r->scratch.len + len > RDFA_LITERAL_MAX) {
                len = RDFA_LITERAL_MAX - r->scratch.len;
                *full = 1;
                cut(r);
        }
        if (len > 0 && dynbuf_add(&r->scratch, s, len) < 0)
                r->oom = 1;
}

static void lit_cstr(rdfa_t *r, const char *s, int *full)
{
        lit_add(r, s, strlen(s), full);
}

/* The element's text into scratch: every text below it (comment and
 * processing-instruction text too, as extruct's DOM gives them). */
static void text_of(rdfa_t *r, xmlNodePtr el)
{
        int full = 0;

        r->scratch.len = 0;
        for (xmlNodePtr n = el->children ? el->children : NULL; n != NULL;
             n = next_in(n, el, 1)) {
                if (!budget(r))
                        break;
                if ((n->type == XML_TEXT_NODE ||
                     n->type == XML_CDATA_SECTION_NODE ||
                     n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE) &&
                    n->content != NULL)
                        lit_cstr(r, (const char *)n->content, &full);
                if (full || r->oom)
                        break;
        }
}

/* XML escaping as libxml2's serializer does it. */
static void xml_escape(rdfa_t *r, const char *s, int in_attr, int *full)
{
        const char *run = s;

        for (; *s; s++) {
                const char *e = NULL;

                switch (*s) {
                case '<':
                        e = "&lt;";
                        break;
                case '>':
                        e = "&gt;";
                        break;
                case '&':
                        e = "&amp;";
                        break;
                case '\r':
                        e = "&#13;";
                        break;
                case '"':
                        e = in_attr ? "&quot;" : NULL;
                        break;
                case '\n':
                        e = in_attr ? "&#10;" : NULL;
                        break;
                case '\t':
                        e = in_attr ? "&#9;" : NULL;
                        break;
                default:
                        break;
                }
                if (e == NULL)
                        continue;
                lit_add(r, run, (size_t)(s - run), full);
                lit_cstr(r, e, full);
                run = s + 1;
        }
        lit_add(r, run, (size_t)(s - run), full);
}

static void start_tag(rdfa_t *r, xmlNodePtr n, const frame_t *f, int top,
                      int *full)
{
        lit_cstr(r, "<", full);
        lit_cstr(r, (const char *)n->name, full);
        for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
                lit_cstr(r, " ", full);
                lit_cstr(r, (const char *)a->name, full);
                lit_cstr(r, "=\"", full);
                xml_escape(r, attr_value(a), 1, full);
                lit_cstr(r, "\"", full);
        }
        if (top && f != NULL) {
                /* The xmlns: declarations in scope, root first, each
                 * prefix once (where first declared, with the nearest
                 * IRI), then the default namespace. */
                int32_t chain[64];
                size_t k = 0;

                for (int32_t d = f->xmlns; d >= 0 && k < 64;
                     d = r->decls[d].next)
                        chain[k++] = d;
                if (!spend(r, k * k))
                        return;
                while (k-- > 0) {
                        const char *p = str_of(r, r->decls[chain[k]].prefix);
                        char name[300];
                        int32_t val = -1;
                        int farther = 0;

                        for (int32_t d = r->decls[chain[k]].next; d >= 0;
                             d = r->decls[d].next)
                                if (strcmp(str_of(r, r->decls[d].prefix), p) ==
                                    0)
                                        farther = 1;
                        if (farther)
                                continue;
                        for (int32_t d = f->xmlns; d >= 0 && val < 0;
                             d = r->decls[d].next)
                                if (strcmp(str_of(r, r->decls[d].prefix), p) ==
                                    0)
                                        val = r->decls[d].iri;
                        snprintf(name, sizeof(name), "xmlns:%s", p);
                        if (xmlHasProp(n, (const xmlChar *)name))
                                continue;
                        lit_cstr(r, " ", full);
                        lit_cstr(r, name, full);
                        lit_cstr(r, "=\"", full);
                        xml_escape(r, str_of(r, val), 1, full);
                        lit_cstr(r, "\"", full);
                }
                if (f->defns >= 0) {
                        xmlChar *own = xmlGetProp(n, (const xmlChar *)"xmlns");

                        if (own == NULL || own[0] == '\0') {
                                lit_cstr(r, " xmlns=\"", full);
                                xml_escape(r, str_of(r, f->defns), 1, full);
                                lit_cstr(r, "\"", full);
                        }
                        xmlFree(own);
                }
        }
        lit_cstr(r, n->children != NULL ? ">" : "/>", full);
}

/* One child (not text) of the literal's element, serialised as lxml's
 * tostring() gives it: with its tail (the text after it), which the
 * literal then holds twice, as in extruct. */
static void xml_child(rdfa_t *r, xmlNodePtr c, const frame_t *f, int xmlns,
                      int *full)
{
        xmlNodePtr n = c;

        for (;;) {
                if (!budget(r) || *full || r->oom)
                        return;
                if (n->type == XML_ELEMENT_NODE) {
                        start_tag(r, n, f, xmlns && n == c, full);
                        if (n->children != NULL) {
                                n = n->children;
                                continue;
                        }
                } else if (n->type == XML_TEXT_NODE ||
                           n->type == XML_CDATA_SECTION_NODE) {
                        if (n->content)
                                xml_escape(r, (const char *)n->content, 0,
                                           full);
                } else if (n->type == XML_COMMENT_NODE) {
                        lit_cstr(r, "<!--", full);
                        lit_cstr(r, n->content ? (const char *)n->content : "",
                                 full);
                        lit_cstr(r, "-->", full);
                }
                /* Leave n (and the elements it closes). */
                while (n != c && n->next == NULL) {
                        n = n->parent;
                        lit_cstr(r, "</", full);
                        lit_cstr(r, (const char *)n->name, full);
                        lit_cstr(r, ">", full);
                }
                if (n == c)
                        break;
                n = n->next;
        }
        for (xmlNodePtr t = c->next; t != NULL && t->type == XML_TEXT_NODE;
             t = t->next)
                if (t->content)
                        xml_escape(r, (const char *)t->content, 0, full);
}

static void xml_literal(rdfa_t *r, xmlNodePtr el, const frame_t *f, int xmlns)
{
        int full = 0;

        r->scratch.len = 0;
        for (xmlNodePtr c = el->children; c != NULL && !full && !r->oom;
             c = c->next) {
                if (c->type == XML_TEXT_NODE ||
                    c->type == XML_CDATA_SECTION_NODE) {
                        if (c->content)
                                xml_escape(r, (const char *)c->content, 0,
                                           &full);
                } else if (c->type == XML_ELEMENT_NODE ||
                           c->type == XML_COMMENT_NODE) {
                        xml_child(r, c, f, xmlns, &full);
                }
        }
}

/* Python's int(): blanks around, a sign, digits with single '_' between.
 * Writes the canonical digits into out; 0 when not an integer. */
static int py_int(const char *s, size_t len, dynbuf_t *out)
{
        size_t i = 0;
        int neg = 0, any = 0;

        out->len = 0;
        s = trim(s, &len);
        (void)i;
        if (len > 0 && (s[0] == '+' || s[0] == '-')) {
                neg = s[0] == '-';
                s++;
                len--;
        }
        if (len == 0 || !is_digit((unsigned char)s[0]) ||
            !is_digit((unsigned char)s[len - 1]))
                return 0;
        for (size_t k = 0; k < len; k++) {
                if (s[k] == '_') {
                        if (!is_digit((unsigned char)s[k + 1]))
                                return 0;
                        continue;
                }
                if (!is_digit((unsigned char)s[k]))
                        return 0;
                if (!any && s[k] == '0')
                        continue;
                if (!any && neg && dynbuf_add(out, "-", 1) < 0)
                        return 0;
                any = 1;
                if (dynbuf_add(out, &s[k], 1) < 0)
                        return 0;
        }
        if (!any)
                return dynbuf_add(out, "0", 1) == 0;
        return 1;
}

/* Python's float() then repr(): 0 when not a finite number. */
static int py_float(const char *s, size_t len, char *out, size_t size)
{
        char buf[128], e[64], mant[32], *end, *x;
        size_t n = 0, ml = 0, t = 0;
        int digits = 0, exp;
        double d;

        s = trim(s, &len);
        if (len == 0 || len >= sizeof(buf))
                return 0;
        for (size_t k = 0; k < len; k++) {
                char c = s[k];

                if (c == '_') {
                        if (k == 0 || !is_digit((unsigned char)s[k - 1]) ||
                            k + 1 >= len || !is_digit((unsigned char)s[k + 1]))
                                return 0;
                        continue;
                }
                if (!is_digit((unsigned char)c) && c != '.' && c != 'e' &&
                    c != 'E' && c != '+' && c != '-')
                        return 0;
                digits |= is_digit((unsigned char)c);
                buf[n++] = c;
        }
        buf[n] = '\0';
        d = strtod(buf, &end);
        if (!digits || *end != '\0' || isnan(d) || isinf(d))
                return 0;
        /* The shortest digits that read back. */
        for (int p = 1; p <= 17; p++) {
                snprintf(e, sizeof(e), "%.*e", p - 1, d);
                if (strtod(e, NULL) == d)
                        break;
        }
        x = strchr(e, 'e');
        exp = (int)strtol(x + 1, NULL, 10);
        *x = '\0';
        for (char *m = e; *m; m++)
                if (is_digit((unsigned char)*m) && ml < sizeof(mant) - 1)
                        mant[ml++] = *m;
        while (ml > 1 && mant[ml - 1] == '0')
                ml--;
        mant[ml] = '\0';
        if (size < 48)
                return 0;
        if (signbit(d))
                out[t++] = '-';
        if (exp < -4 || exp >= 16) {
                out[t++] = mant[0];
                if (ml > 1) {
                        out[t++] = '.';
                        memcpy(out + t, mant + 1, ml - 1);
                        t += ml - 1;
                }
                snprintf(out + t, size - t, "e%c%02d", exp < 0 ? '-' : '+',
                         exp < 0 ? -exp : exp);
                return 1;
        }
        if (exp < 0) {
                out[t++] = '0';
                out[t++] = '.';
                for (int z = 0; z < -exp - 1; z++)
                        out[t++] = '0';
                memcpy(out + t, mant, ml);
                t += ml;
        } else {
                for (int k = 0; k <= exp; k++)
                        out[t++] = (size_t)k < ml ? mant[k] : '0';
                out[t++] = '.';
                if ((size_t)exp + 1 < ml) {
                        memcpy(out + t, mant + exp + 1, ml - (size_t)exp - 1);
                        t += ml - (size_t)exp - 1;
                } else {
                        out[t++] = '0';
                }
        }
        out[t] = '\0';
        return 1;
}

/* A well-formed integer's canonical digits (as py_int() writes them). */
static int is_int_str(const char *s, size_t len)
{
        size_t i = len > 0 && s[0] == '-' ? 1 : 0;

        if (i >= len)
                return 0;
        for (; i < len; i++)
                if (!is_digit((unsigned char)s[i]))
                        return 0;
        return 1;
}

/* CR LF and CR as LF, as an HTML parser's input stream has them (the
 * libxml2 here keeps them in attribute values; extruct's does not). */
static void newlines(dynbuf_t *b)
{
        size_t j = 0;

        for (size_t i = 0; i < b->len; i++) {
                if (b->data[i] == '\r') {
                        b->data[j++] = '\n';
                        if (i + 1 < b->len && b->data[i + 1] == '\n')
                                i++;
                } else {
                        b->data[j++] = b->data[i];
                }
        }
        b->len = j;
}

/* A literal from scratch: its datatype (or -1) and language (or -1). */
static int32_t literal(rdfa_t *r, int32_t dt, int32_t lang)
{
        const char *s;
        size_t len;

        if (r->scratch.data != NULL &&
            memchr(r->scratch.data, '\r', r->scratch.len) != NULL &&
            !(dt >= 0 && (dt == r->t_xmllit || dt == r->t_html)))
                newlines(&r->scratch);
        s = r->scratch.data ? r->scratch.data : "";
        len = r->scratch.len;

        if (dt >= 0) {
                const char *d = str_of(r, dt);

                /* rdflib writes a well-formed integer's digits. */
                if (strncmp(d, XSD, strlen(XSD)) == 0 &&
                    (strstr(d + strlen(XSD), "nteger") != NULL ||
                     strcmp(d + strlen(XSD), "int") == 0 ||
                     strcmp(d + strlen(XSD), "long") == 0 ||
                     strcmp(d + strlen(XSD), "short") == 0 ||
                     strcmp(d + strlen(XSD), "byte") == 0)) {
                        dynbuf_t digits;

                        dynbuf_init(&digits, 1 << 20);
                        if (len < 4096 && py_int(s, len, &digits)) {
                                int32_t id = intern(r, T_LIT, digits.data,
                                                    digits.len, dt, -1);

                                dynbuf_free(&digits);
                                return id;
                        }
                        dynbuf_free(&digits);
                }
                return intern(r, T_LIT, s, len, dt, -1);
        }
        return intern(r, T_LIT, s, len, -1, lang);
}

/* ---- the element steps ---- */

/*
 * An element with only about, resource, href or src (no rel, rev,
 * property, typeof) sets the subject its children get, which most never
 * use (<a href> above text): its IRI is worked out when first asked for.
 * Such a subject is LAZY(frame index) until then; frames below it on the
 * stack are its descendants, so the frame is there when asked.
 */
#define LAZY(i) (-3 - (int32_t)(i))

static int32_t real(rdfa_t *r, int32_t id)
{
        static const int all4_11[] = { A_ABOUT, A_RESOURCE, A_HREF, A_SRC };
        static const int all4_10[] = { A_ABOUT, A_SRC, A_RESOURCE, A_HREF };

        while (id <= -3) {
                frame_t *lf = &r->stack[-3 - id];
                attrs_t at;
                int32_t v;

                if (lf->resolved >= 0)
                        return lf->resolved;
                read_attrs(lf->node, &at);
                v = resource_of(r, lf, &at, r->v10 ? all4_10 : all4_11, 4);
                if (v < 0) {
                        id = lf->parent_object;
                        continue;
                }
                lf->resolved = v;
                return v;
        }
        return id;
}

/* @property (RDFa 1.1 7.5 step 11; 1.0 step 9). */
static void do_property(rdfa_t *r, frame_t *f, const attrs_t *at,
                        int32_t subject, int32_t typed)
{
        static const int irirefs[] = { A_RESOURCE, A_HREF, A_SRC };
        int32_t obj = -1, props[64];
        size_t n;
        xmlNodePtr el = f->node;

        n = iris_of(r, f, at->v[A_PROPERTY], props, 64);
        if (n == 0)
                return;
        if (!r->v10 && (at->v[A_RESOURCE] || at->v[A_HREF] || at->v[A_SRC]) &&
            !at->v[A_CONTENT] && !at->v[A_DATATYPE] && !at->v[A_REL] &&
            !at->v[A_REV]) {
                obj = resource_of(r, f, at, irirefs, 3);
        } else if (!r->v10 && at->v[A_TYPEOF] && !at->v[A_CONTENT] &&
                   !at->v[A_DATATYPE] && !at->v[A_REL] && !at->v[A_REV] &&
                   !at->v[A_ABOUT] && !at->about_pruned && typed >= 0) {
                obj = typed;
        } else {
                int32_t dt = -1;
                int dtset = at->v[A_DATATYPE] != NULL;

                if (dtset && at->v[A_DATATYPE][0] != '\0') {
                        size_t dl;
                        const char *d = trim(at->v[A_DATATYPE], &dl);

                        dt = term_curie_abs(r, f, d, dl);
                        if (dt >= 0 && r->terms[dt].kind != T_IRI)
                                dt = -1;
                }
                if (at->v[A_CONTENT] != NULL) {
                        int full = 0;

                        r->scratch.len = 0;
                        lit_cstr(r, at->v[A_CONTENT], &full);
                        obj = literal(r, dtset ? dt : -1, f->lang);
                } else if (dt >= 0 && dt == r->t_xmllit) {
                        xml_literal(r, el, f, 1);
                        obj = literal(r, dt, -1);
                } else if (dt >= 0 && dt == r->t_html) {
                        xml_literal(r, el, f, 0);
                        obj = literal(r, dt, -1);
                } else if (r->v10 && !dtset) {
                        int elems = 0;

                        for (xmlNodePtr c = el->children; c != NULL;
                             c = c->next)
                                if (c->type == XML_ELEMENT_NODE ||
                                    c->type == XML_COMMENT_NODE ||
                                    c->type == XML_PI_NODE)
                                        elems = 1;
                        if (elems) {
                                xml_literal(r, el, f, 1);
                                obj = literal(r, r->t_xmllit, -1);
                        } else {
                                text_of(r, el);
                                obj = literal(r, -1, f->lang);
                        }
                } else {
                        text_of(r, el);
                        obj = literal(r, dt, f->lang);
                }
        }
        if (obj < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                if (r->terms[props[i]].kind != T_IRI)
                        continue; /* a blank node is no property */
                if (!r->v10 && at->v[A_INLIST] != NULL)
                        list_add(r, f->list, props[i], obj);
                else
                        add(r, subject, props[i], obj);
        }
}

static void push_inc(rdfa_t *r, int32_t s, int32_t p, int32_t o, int kind)
{
        if (room(r, (void **)&r->inc, &r->cap_inc, r->n_inc, RDFA_TRIPLES_MAX,
                 sizeof(*r->inc)) == 0)
                r->inc[r->n_inc++] = (inc_t){ s, p, o, kind };
}

static void do_role(rdfa_t *r, frame_t *f, const attrs_t *at)
{
        size_t i = 0, len, tlen;
        const char *v = at->v[A_ROLE], *tok;
        int32_t subject = -1;

        if (v == NULL)
                return;
        len = strlen(v);
        while (next_token(v, len, &i, &tok, &tlen)) {
                int32_t o;

                /* Terms are XHTML vocabulary's, as pyRdfa rewrites them. */
                if (is_term(tok, tlen))
                        o = iri2(r, XHV, strlen(XHV), tok, tlen);
                else
                        o = term_curie_abs(r, f, tok, tlen);
                if (o < 0)
                        continue;
                if (subject < 0) {
                        if (at->v[A_ID] != NULL) {
                                size_t il;
                                const char *id = trim(at->v[A_ID], &il);

                                if (il > RDFA_IRI_MAX) {
                                        cut(r);
                                        return;
                                }
                                r->scratch.len = 0;
                                if (dynbuf_add(&r->scratch, r->base_str,
                                               r->base_len) < 0 ||
                                    dynbuf_add(&r->scratch, "#", 1) < 0 ||
                                    dynbuf_add(&r->scratch, id, il) < 0) {
                                        r->oom = 1;
                                        return;
                                }
                                subject = iri(r, r->scratch.data,
                                              r->scratch.len);
                        } else {
                                subject = bnode(r);
                        }
                }
                add(r, subject, r->t_role, o);
        }
}

/* The steps on entering an element (f: its frame, filled with what it
 * inherits). */
static void enter(rdfa_t *r, frame_t *f, int root)
{
        static const int about_src[] = { A_ABOUT, A_SRC };
        static const int res_href[] = { A_RESOURCE, A_HREF };
        static const int res_href_src[] = { A_RESOURCE, A_HREF, A_SRC };
        static const int all4_11[] = { A_ABOUT, A_RESOURCE, A_HREF, A_SRC };
        static const int all4_10[] = { A_ABOUT, A_SRC, A_RESOURCE, A_HREF };
        xmlNodePtr n = f->node;
        attrs_t at;
        int32_t subject = -1, object = -1, typed = -1, ids[64];
        size_t k;

        read_attrs(n, &at);
        if (root && at.v[A_ABOUT] == NULL &&
            !((at.v[A_RESOURCE] || at.v[A_HREF] || at.v[A_SRC]) &&
              !(at.v[A_REL] || at.v[A_REV] || at.v[A_PROPERTY])))
                at.v[A_ABOUT] = ""; /* the document is the root's subject */
        if (at.v[A_XMLLANG] != NULL) {
                size_t ll;
                const char *l = trim(at.v[A_XMLLANG], &ll);
                char low[128];

                if (ll == 0 || ll >= sizeof(low)) {
                        f->lang = -1;
                } else {
                        for (size_t i = 0; i < ll; i++)
                                low[i] = (char)(l[i] >= 'A' && l[i] <= 'Z'
                                                        ? l[i] + 32
                                                        : l[i]);
                        f->lang = str_term(r, low, ll);
                }
        }
        if (at.v[A_XMLNS] != NULL)
                f->defns = str_term(r, at.v[A_XMLNS], strlen(at.v[A_XMLNS]));
        read_prefixes(r, f, n, &at);
        if (!r->v10 && at.v[A_VOCAB] != NULL) {
                if (at.v[A_VOCAB][0] == '\0') {
                        f->vocab = -1;
                } else {
                        f->vocab = uri_of(r, at.v[A_VOCAB]);
                        add(r, r->t_base, r->t_usesvocab, f->vocab);
                }
        }
        do_role(r, f, &at);
        f->ran = 1;
        f->to_children = f->parent_object;
        if (!(at.v[A_HREF] || at.v[A_RESOURCE] || at.v[A_ABOUT] ||
              at.v[A_PROPERTY] || at.v[A_REL] || at.v[A_REV] ||
              at.v[A_TYPEOF] || at.v[A_SRC] ||
              (!r->v10 && (at.v[A_VOCAB] || at.v[A_PREFIX])))) {
                f->skip = 1;
                f->inc_from = f->pinc_from;
                f->inc_to = f->pinc_to;
                return;
        }
        f->own_inc = r->n_inc;
        if (!root && !at.v[A_REL] && !at.v[A_REV] && !at.v[A_PROPERTY] &&
            !at.v[A_TYPEOF] &&
            (at.v[A_ABOUT] || at.v[A_RESOURCE] || at.v[A_HREF] ||
             at.v[A_SRC])) {
                int32_t lazy = LAZY(f - r->stack);

                f->subject = f->to_children = lazy;
                reset_list(r, f, lazy);
                f->inc_from = f->inc_to = r->n_inc;
                return;
        }
        f->parent_object = real(r, f->parent_object);
        if (r->v10) {
                if (at.v[A_REL] || at.v[A_REV]) {
                        subject = resource_of(r, f, &at, about_src, 2);
                        if (subject < 0)
                                subject = at.v[A_TYPEOF] ? bnode(r)
                                                         : f->parent_object;
                        else
                                reset_list(r, f, subject);
                        object = resource_of(r, f, &at, res_href, 2);
                } else {
                        subject = resource_of(r, f, &at, all4_10, 4);
                        if (subject < 0)
                                subject = f->parent_object;
                        else
                                reset_list(r, f, subject);
                        object = subject;
                }
                typed = subject;
        } else if (at.v[A_REL] || at.v[A_REV]) {
                if (at.v[A_ABOUT] != NULL) {
                        subject = curie_or_uri(r, f, at.v[A_ABOUT]);
                        if (at.v[A_TYPEOF])
                                typed = subject;
                }
                if (subject < 0)
                        subject = f->parent_object;
                else
                        reset_list(r, f, subject);
                object = resource_of(r, f, &at, res_href_src, 3);
                if (at.v[A_TYPEOF] && at.v[A_ABOUT] == NULL) {
                        if (object < 0)
                                object = bnode(r);
                        typed = object;
                }
                if (at.v[A_INLIST] == NULL && object >= 0)
                        reset_list(r, f, object);
        } else if (at.v[A_PROPERTY] && !at.v[A_CONTENT] && !at.v[A_DATATYPE]) {
                if (at.v[A_ABOUT] != NULL) {
                        subject = curie_or_uri(r, f, at.v[A_ABOUT]);
                        if (at.v[A_TYPEOF])
                                typed = subject;
                }
                if (subject < 0)
                        subject = f->parent_object;
                else
                        reset_list(r, f, subject);
                if (typed < 0 && at.v[A_TYPEOF]) {
                        typed = resource_of(r, f, &at, res_href_src, 3);
                        if (typed < 0)
                                typed = bnode(r);
                        object = typed;
                } else {
                        object = subject;
                }
        } else {
                subject = resource_of(r, f, &at, all4_11, 4);
                if (subject < 0) {
                        if (at.v[A_TYPEOF]) {
                                subject = bnode(r);
                                reset_list(r, f, subject);
                        } else {
                                subject = f->parent_object;
                        }
                } else {
                        reset_list(r, f, subject);
                }
                object = subject;
                if (at.v[A_TYPEOF])
                        typed = subject;
        }
        if (subject < 0)
                subject = r->t_base;
        if (at.v[A_TYPEOF] && typed >= 0) {
                k = iris_of(r, f, at.v[A_TYPEOF], ids, 64);
                for (size_t i = 0; i < k; i++)
                        add(r, typed, r->t_type, ids[i]);
        }
        if (at.v[A_REL]) {
                k = iris_of(r, f, at.v[A_REL], ids, 64);
                for (size_t i = 0; i < k; i++) {
                        if (r->terms[ids[i]].kind != T_IRI)
                                continue;
                        if (!r->v10 && at.v[A_INLIST]) {
                                if (object >= 0) {
                                        list_add(r, f->list, ids[i], object);
                                } else {
                                        list_add(r, f->list, ids[i], -1);
                                        push_inc(r, -1, ids[i], -1, INC_LIST);
                                }
                        } else if (object >= 0) {
                                add(r, subject, ids[i], object);
                        } else {
                                push_inc(r, subject, ids[i], -1, INC_FWD);
                        }
                }
        }
        if (at.v[A_REV]) {
                k = iris_of(r, f, at.v[A_REV], ids, 64);
                for (size_t i = 0; i < k; i++) {
                        if (r->terms[ids[i]].kind != T_IRI)
                                continue;
                        if (object >= 0)
                                add(r, object, ids[i], subject);
                        else
                                push_inc(r, -1, ids[i], subject, INC_REV);
                }
        }
        if (at.v[A_PROPERTY])
                do_property(r, f, &at, subject, typed);
        f->subject = subject;
        f->to_children = object >= 0 ? object : bnode(r);
        f->inc_from = f->own_inc;
        f->inc_to = r->n_inc;
}

/* The steps on leaving an element: its parent's incomplete triples
 * completed with its subject, and the lists it began. */
static void leave(rdfa_t *r, frame_t *f, int32_t parent_list)
{
        if (f->skip)
                return;
        if (!spend(r, f->pinc_to - f->pinc_from))
                f->pinc_to = f->pinc_from;
        if (f->pinc_to > f->pinc_from)
                f->subject = real(r, f->subject);
        for (size_t i = f->pinc_from; i < f->pinc_to; i++) {
                const inc_t *t = &r->inc[i];

                if (t->kind == INC_LIST)
                        list_add(r, parent_list, t->p, f->subject);
                else
                        add(r, t->s >= 0 ? t->s : f->subject, t->p,
                            t->o >= 0 ? t->o : f->subject);
        }
        if (f->new_list && f->list >= 0 && r->lists[f->list].n > 0)
                make_lists(r, f->list);
        r->n_inc = f->own_inc;
}

static xmlNodePtr first_elem(xmlNodePtr n)
{
        while (n != NULL && n->type != XML_ELEMENT_NODE)
                n = n->next;
        return n;
}

static int walk(rdfa_t *r, xmlNodePtr root)
{
        frame_t *f;

        if (grow((void **)&r->stack, &r->cap_stack, 1, sizeof(*r->stack)) < 0)
                return -1;
        f = &r->stack[0];
        memset(f, 0, sizeof(*f));
        f->node = root;
        f->parent_object = -1;
        f->subject = -1;
        f->resolved = -1;
        f->lang = f->vocab = f->defns = -1;
        f->prefixes = f->xmlns = -1;
        f->list = new_list(r, -1);
        r->depth = 1;
        while (r->depth > 0 && !r->oom) {
                f = &r->stack[r->depth - 1];
                if (!f->entered) {
                        f->entered = 1;
                        if (budget(r)) {
                                enter(r, f, r->depth == 1);
                                f->child = first_elem(f->node->children);
                        }
                        if (f->child != NULL && r->depth >= RDFA_DEPTH_MAX) {
                                f->child = NULL;
                                cut(r);
                        }
                }
                if (f->child != NULL && !r->oom) {
                        xmlNodePtr c = f->child;
                        frame_t *nf;

                        f->child = first_elem(c->next);
                        if (grow((void **)&r->stack, &r->cap_stack,
                                 r->depth + 1, sizeof(*r->stack)) < 0)
                                return -1;
                        f = &r->stack[r->depth - 1];
                        nf = &r->stack[r->depth++];
                        memset(nf, 0, sizeof(*nf));
                        nf->node = c;
                        nf->parent_object = f->to_children;
                        nf->subject = -1;
                        nf->resolved = -1;
                        nf->lang = f->lang;
                        nf->vocab = f->vocab;
                        nf->defns = f->defns;
                        nf->prefixes = f->prefixes;
                        nf->xmlns = f->xmlns;
                        nf->list = f->list;
                        nf->pinc_from = f->inc_from;
                        nf->pinc_to = f->inc_to;
                        nf->own_inc = r->n_inc;
                        continue;
                }
                if (f->entered && !f->ran)
                        f->skip = 1; /* not entered (budget) */
                leave(r, f, r->depth > 1 ? r->stack[r->depth - 2].list : -1);
                r->depth--;
        }
        return r->oom ? -1 : 0;
}

/* ---- output ---- */

typedef struct {
        rdfa_t *r;
        uint32_t *order; /* triple indices, grouped by subject */
        int32_t *sfirst; /* per term: first triple (rank), -1 */
        uint32_t *pfirst;
} out_t;

static out_t *g_out; /* the sort's context (one sort at a time per call) */

static int gen_s(yajl_gen g, const char *s, size_t len)
{
        return yajl_gen_string(g, (const unsigned char *)s, len) ==
                               yajl_gen_status_ok
                       ? 0
                       : -1;
}

static int gen_cs(yajl_gen g, const char *s)
{
        return gen_s(g, s, strlen(s));
}

static int gen_id(rdfa_t *r, yajl_gen g, int32_t t)
{
        char b[32];

        if (r->terms[t].kind == T_BNODE) {
                if (r->labels[t] < 0)
                        r->labels[t] = r->n_labels++;
                snprintf(b, sizeof(b), "_:b%d", (int)r->labels[t]);
                return gen_cs(g, b);
        }
        return gen_s(g, str_of(r, t), r->terms[t].len);
}

static int gen_value(rdfa_t *r, yajl_gen g, int32_t o, int in_list);

static int gen_literal(rdfa_t *r, yajl_gen g, int32_t o)
{
        const term_t *t = &r->terms[o];
        const char *v = str_of(r, o);

        if (yajl_gen_map_open(g) != yajl_gen_status_ok)
                return -1;
        if (t->dt >= 0) {
                const char *d = str_of(r, t->dt);
                char num[64];

                if (gen_cs(g, "@type") < 0 || gen_id(r, g, t->dt) < 0 ||
                    gen_cs(g, "@value") < 0)
                        return -1;
                if (strcmp(d, XSD "integer") == 0 && is_int_str(v, t->len)) {
                        if (yajl_gen_number(g, v, t->len) !=
                            yajl_gen_status_ok)
                                return -1;
                } else if (strcmp(d, XSD "boolean") == 0) {
                        if (yajl_gen_bool(g, strcasecmp(v, "true") == 0 ||
                                                     strcmp(v, "1") == 0) !=
                            yajl_gen_status_ok)
                                return -1;
                } else if (strcmp(d, XSD "double") == 0 &&
                           py_float(v, t->len, num, sizeof(num))) {
                        if (yajl_gen_number(g, num, strlen(num)) !=
                            yajl_gen_status_ok)
                                return -1;
                } else if (gen_s(g, v, t->len) < 0) {
                        return -1;
                }
        } else {
                if (t->lang >= 0 &&
                    (gen_cs(g, "@language") < 0 ||
                     gen_s(g, str_of(r, t->lang), r->terms[t->lang].len) < 0))
                        return -1;
                if (gen_cs(g, "@value") < 0 || gen_s(g, v, t->len) < 0)
                        return -1;
        }
        return yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -1;
}

static int gen_value(rdfa_t *r, yajl_gen g, int32_t o, int in_list)
{
        const term_t *t = &r->terms[o];

        if (t->kind == T_LIT)
                return gen_literal(r, g, o);
        if (yajl_gen_map_open(g) != yajl_gen_status_ok)
                return -1;
        if (!in_list && (t->cell || o == r->t_nil)) {
                if (gen_cs(g, "@list") < 0 ||
                    yajl_gen_array_open(g) != yajl_gen_status_ok)
                        return -1;
                for (int32_t c = o == r->t_nil ? -1 : o; c >= 0;
                     c = r->terms[c].lang)
                        if (gen_value(r, g, r->terms[c].dt, 1) < 0)
                                return -1;
                if (yajl_gen_array_close(g) != yajl_gen_status_ok)
                        return -1;
        } else if (gen_cs(g, "@id") < 0 || gen_id(r, g, o) < 0) {
                return -1;
        }
        return yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -1;
}

static int by_subject(const void *a, const void *b)
{
        const out_t *o = g_out;
        const triple_t *x = &o->r->triples[*(const uint32_t *)a];
        const triple_t *y = &o->r->triples[*(const uint32_t *)b];
        uint32_t ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;

        if (x->s != y->s)
                return o->sfirst[x->s] < o->sfirst[y->s] ? -1 : 1;
        if (o->pfirst[ia] != o->pfirst[ib])
                return o->pfirst[ia] < o->pfirst[ib] ? -1 : 1;
        return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/* Marks a blank node object to be written (once). */
static int queue(rdfa_t *r, int32_t o, int32_t *q, size_t *nq)
{
        if (r->terms[o].kind != T_BNODE || r->terms[o].cell ||
            r->terms[o].emitted)
                return 0;
        r->terms[o].emitted = 1;
        q[(*nq)++] = o;
        return 0;
}

static int write_out(rdfa_t *r, yajl_gen g)
{
        size_t nt = r->n_triples, nq = 0;
        uint32_t *order = NULL, *pfirst = NULL, *start = NULL;
        int32_t *sfirst = NULL, *q = NULL;
        out_t o;
        int rc = -1;

        if (yajl_gen_array_open(g) != yajl_gen_status_ok)
                return -1;
        if (nt == 0)
                return yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1;
        order = malloc(nt * sizeof(*order));
        pfirst = malloc(nt * sizeof(*pfirst));
        sfirst = malloc(r->n_terms * sizeof(*sfirst));
        start = malloc((r->n_terms + 1) * sizeof(*start));
        q = malloc(r->n_terms * sizeof(*q));
        r->labels = malloc(r->n_terms * sizeof(*r->labels));
        if (!order || !pfirst || !sfirst || !start || !q || !r->labels)
                goto out;
        for (size_t i = 0; i < r->n_terms; i++) {
                r->labels[i] = -1;
                sfirst[i] = -1;
                start[i] = UINT32_MAX;
                r->terms[i].emitted = 0;
        }
        for (size_t i = 0; i < nt; i++) {
                const triple_t *t = &r->triples[i];

                if (sfirst[t->s] < 0)
                        sfirst[t->s] = (int32_t)i;
                if (r->terms[t->o].kind == T_BNODE)
                        r->terms[t->o].used = 1;
                order[i] = (uint32_t)i;
        }
        /* Each (subject, predicate)'s first triple: the order of keys. */
        {
                size_t cap = 16;
                uint32_t *h;

                while (cap < nt * 2)
                        cap *= 2;
                h = calloc(cap, sizeof(*h));
                if (h == NULL)
                        goto out;
                for (size_t i = 0; i < nt; i++) {
                        const triple_t *t = &r->triples[i];
                        size_t j = triple_hash(t->s, t->p, -7) & (cap - 1);

                        for (;; j = (j + 1) & (cap - 1)) {
                                const triple_t *u;

                                if (h[j] == 0) {
                                        h[j] = (uint32_t)i + 1;
                                        pfirst[i] = (uint32_t)i;
                                        break;
                                }
                                u = &r->triples[h[j] - 1];
                                if (u->s == t->s && u->p == t->p) {
                                        pfirst[i] = h[j] - 1;
                                        break;
                                }
                        }
                }
                free(h);
        }
        o.r = r;
        o.order = order;
        o.sfirst = sfirst;
        o.pfirst = pfirst;
        g_out = &o;
        qsort(order, nt, sizeof(*order), by_subject);
        g_out = NULL;
        for (size_t i = 0; i < nt; i++)
                if (start[r->triples[order[i]].s] == UINT32_MAX)
                        start[r->triples[order[i]].s] = (uint32_t)i;
        /* Roots: IRI subjects and blank nodes no triple points at, in
         * document order; then the blank nodes they reach. */
        for (size_t i = 0; i < nt; i++) {
                int32_t s = r->triples[i].s;

                if (sfirst[s] != (int32_t)i || r->terms[s].emitted)
                        continue;
                if (r->terms[s].kind == T_BNODE && r->terms[s].used)
                        continue;
                r->terms[s].emitted = 1;
                q[nq++] = s;
        }
        for (size_t qi = 0; qi < nq; qi++) {
                int32_t s = q[qi];

                if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
                    gen_cs(g, "@id") < 0 || gen_id(r, g, s) < 0)
                        goto out;
                for (size_t i = start[s]; i < nt && start[s] != UINT32_MAX &&
                                          r->triples[order[i]].s == s;) {
                        int32_t p = r->triples[order[i]].p;
                        int is_type = p == r->t_type;

                        if ((is_type ? gen_cs(g, "@type") : gen_id(r, g, p)) <
                                    0 ||
                            yajl_gen_array_open(g) != yajl_gen_status_ok)
                                goto out;
                        for (; i < nt && r->triples[order[i]].s == s &&
                               r->triples[order[i]].p == p;
                             i++) {
                                int32_t ob = r->triples[order[i]].o;

                                if (is_type && r->terms[ob].kind == T_IRI) {
                                        if (gen_id(r, g, ob) < 0)
                                                goto out;
                                } else if (gen_value(r, g, ob, 0) < 0) {
                                        goto out;
                                }
                                queue(r, ob, q, &nq);
                                if (r->terms[ob].cell)
                                        for (int32_t c = ob; c >= 0;
                                             c = r->terms[c].lang)
                                                queue(r, r->terms[c].dt, q,
                                                      &nq);
                        }
                        if (yajl_gen_array_close(g) != yajl_gen_status_ok)
                                goto out;
                }
                if (yajl_gen_map_close(g) != yajl_gen_status_ok)
                        goto out;
                r->st->nodes++;
        }
        rc = yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1;
out:
        free(order);
        free(pfirst);
        free(sfirst);
        free(start);
        free(q);
        free(r->labels);
        r->labels = NULL;
        return rc;
}

/* ---- entry ---- */

int rdfa_write(yajl_gen gen, xmlDocPtr doc, const url_t *base,
               const char *doc_iri, rdfa_stats_t *stats)
{
        rdfa_t r;
        xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
        char *base_str = NULL;
        int rc = -1;

        memset(stats, 0, sizeof(*stats));
        memset(&r, 0, sizeof(r));
        r.st = stats;
        r.base = base;
        r.empty_bnode = -1;
        dynbuf_init(&r.strs, RDFA_BYTES_MAX + 1024);
        dynbuf_init(&r.scratch, RDFA_LITERAL_MAX + 2 * RDFA_IRI_MAX);
        if (doc_iri == NULL && base != NULL)
                doc_iri = base->href;
        if (doc_iri != NULL) {
                size_t len;
                const char *s = trim(doc_iri, &len);
                const char *hash = memchr(s, '#', len);

                base_str = strndup(s, hash ? (size_t)(hash - s) : len);
                if (base_str == NULL)
                        goto out;
        }
        if (base != NULL) {
                r.urls = url_scratch_new();
                if (r.urls == NULL)
                        goto out;
        }
        r.base_str = base_str ? base_str : "";
        r.base_len = strlen(r.base_str);
        r.t_type = iri_c(&r, RDF "type");
        r.t_nil = iri_c(&r, RDF "nil");
        r.t_xmllit = iri_c(&r, RDF "XMLLiteral");
        r.t_html = iri_c(&r, RDF "HTML");
        r.t_usesvocab = iri_c(&r, "http://www.w3.org/ns/rdfa#usesVocabulary");
        r.t_role = iri_c(&r, XHV "role");
        r.t_base = iri(&r, r.base_str, r.base_len);
        if (r.oom)
                goto out;
        if (root != NULL) {
                xmlChar *version =
                        xmlGetProp(root, (const xmlChar *)"version");

                if (version != NULL &&
                    (strstr((const char *)version, "RDFa 1.0") != NULL ||
                     strstr((const char *)version, "RDFa1.0") != NULL))
                        r.v10 = 1;
                xmlFree(version);
                if (walk(&r, root) < 0)
                        goto out;
        }
        stats->triples = r.n_triples;
        rc = write_out(&r, gen);
out:
        for (size_t i = 0; i < r.n_lists; i++)
                free(r.lists[i].props);
        free(r.lists);
        free(r.lvals);
        free(r.terms);
        free(r.thash);
        free(r.triples);
        free(r.xhash);
        free(r.inc);
        free(r.decls);
        free(r.stack);
        dynbuf_free(&r.strs);
        dynbuf_free(&r.scratch);
        url_scratch_destroy(r.urls);
        free(base_str);
        return rc;
}

/* ---- microdata-shaped items, for product.c ---- */

#define ITEMS_NODES_MAX 2000 /* nodes looked at */
#define ITEMS_DEPTH_MAX 4    /* nested items */

static const char *schema_name(const char *iri)
{
        if (strncmp(iri, "http://schema.org/", 18) == 0)
                return iri + 18;
        if (strncmp(iri, "https://schema.org/", 19) == 0)
                return iri + 19;
        return NULL;
}

static yajl_val node_field(yajl_val o, const char *key)
{
        if (o == NULL || !YAJL_IS_OBJECT(o))
                return NULL;
        for (size_t i = 0; i < o->u.object.len; i++)
                if (strcmp(o->u.object.keys[i], key) == 0)
                        return o->u.object.values[i];
        return NULL;
}

static int has_schema_type(yajl_val node)
{
        yajl_val t = node_field(node, "@type");

        if (t == NULL || !YAJL_IS_ARRAY(t))
                return 0;
        for (size_t i = 0; i < t->u.array.len; i++)
                if (YAJL_IS_STRING(t->u.array.values[i]) &&
                    schema_name(t->u.array.values[i]->u.string) != NULL)
                        return 1;
        return 0;
}

static yajl_val node_by_id(yajl_val nodes, size_t n, const char *id)
{
        for (size_t i = 0; i < n; i++) {
                yajl_val v = node_field(nodes->u.array.values[i], "@id");

                if (v != NULL && YAJL_IS_STRING(v) &&
                    strcmp(v->u.string, id) == 0)
                        return nodes->u.array.values[i];
        }
        return NULL;
}

static int item_out(yajl_gen g, yajl_val nodes, size_t n, yajl_val node,
                    int depth);

static int value_out(yajl_gen g, yajl_val nodes, size_t n, yajl_val v,
                     int depth)
{
        yajl_val x = node_field(v, "@value");

        if (x != NULL) {
                if (YAJL_IS_STRING(x))
                        return gen_cs(g, x->u.string);
                if (YAJL_IS_NUMBER(x))
                        return yajl_gen_number(g, YAJL_GET_NUMBER(x),
                                               strlen(YAJL_GET_NUMBER(x))) ==
                                               yajl_gen_status_ok
                                       ? 0
                                       : -1;
                return yajl_gen_bool(g, YAJL_IS_TRUE(x)) == yajl_gen_status_ok
                               ? 0
                               : -1;
        }
        x = node_field(v, "@id");
        if (x == NULL || !YAJL_IS_STRING(x))
                return yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -1;
        if (depth < ITEMS_DEPTH_MAX) {
                yajl_val ref = node_by_id(nodes, n, x->u.string);

                if (ref != NULL && has_schema_type(ref))
                        return item_out(g, nodes, n, ref, depth + 1);
        }
        return gen_cs(g, x->u.string);
}

static int item_out(yajl_gen g, yajl_val nodes, size_t n, yajl_val node,
                    int depth)
{
        yajl_val t = node_field(node, "@type");

        if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
            gen_cs(g, "type") < 0 ||
            yajl_gen_array_open(g) != yajl_gen_status_ok)
                return -1;
        for (size_t i = 0; t != NULL && YAJL_IS_ARRAY(t) && i < t->u.array.len;
             i++)
                if (YAJL_IS_STRING(t->u.array.values[i]) &&
                    gen_cs(g, t->u.array.values[i]->u.string) < 0)
                        return -1;
        if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
            gen_cs(g, "properties") < 0 ||
            yajl_gen_map_open(g) != yajl_gen_status_ok)
                return -1;
        for (size_t i = 0; i < node->u.object.len; i++) {
                const char *name = schema_name(node->u.object.keys[i]);
                yajl_val vs = node->u.object.values[i];

                if (name == NULL || !YAJL_IS_ARRAY(vs) || vs->u.array.len == 0)
                        continue;
                if (gen_cs(g, name) < 0 ||
                    yajl_gen_array_open(g) != yajl_gen_status_ok)
                        return -1;
                for (size_t j = 0; j < vs->u.array.len; j++)
                        if (value_out(g, nodes, n, vs->u.array.values[j],
                                      depth) < 0)
                                return -1;
                if (yajl_gen_array_close(g) != yajl_gen_status_ok)
                        return -1;
        }
        return yajl_gen_map_close(g) == yajl_gen_status_ok &&
                               yajl_gen_map_close(g) == yajl_gen_status_ok
                       ? 0
                       : -1;
}

/* Whether some node has node's @id as a value. */
static int referenced(yajl_val nodes, size_t n, const char *id)
{
        for (size_t i = 0; i < n; i++) {
                yajl_val o = nodes->u.array.values[i];

                for (size_t k = 0; YAJL_IS_OBJECT(o) && k < o->u.object.len;
                     k++) {
                        yajl_val vs = o->u.object.values[k];

                        if (o->u.object.keys[k][0] == '@' ||
                            !YAJL_IS_ARRAY(vs))
                                continue;
                        for (size_t j = 0; j < vs->u.array.len; j++) {
                                yajl_val x = node_field(vs->u.array.values[j],
                                                        "@id");

                                if (x != NULL && YAJL_IS_STRING(x) &&
                                    strcmp(x->u.string, id) == 0)
                                        return 1;
                        }
                }
        }
        return 0;
}

int rdfa_items(yajl_gen gen, yajl_val nodes)
{
        size_t n;

        if (yajl_gen_array_open(gen) != yajl_gen_status_ok)
                return -1;
        n = nodes != NULL && YAJL_IS_ARRAY(nodes) ? nodes->u.array.len : 0;
        if (n > ITEMS_NODES_MAX)
                n = ITEMS_NODES_MAX;
        for (size_t i = 0; i < n; i++) {
                yajl_val node = nodes->u.array.values[i];
                yajl_val id = node_field(node, "@id");

                if (!has_schema_type(node) || id == NULL ||
                    !YAJL_IS_STRING(id) || referenced(nodes, n, id->u.string))
                        continue;
                if (item_out(gen, nodes, n, node, 0) < 0)
                        return -1;
        }
        return yajl_gen_array_close(gen) == yajl_gen_status_ok ? 0 : -1;
}
