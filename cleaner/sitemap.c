/*
 * sitemap.c — sitemaps and feeds read as they stream (see sitemap.h).
 *
 * Layers, each pushing bytes to the next: gzip (zlib's inflate, when the
 * input starts with the gzip magic), the sniffer (a byte order mark and
 * leading white space skipped; '<' means XML, anything else plain text),
 * then libxml2's SAX2 push parser or the line splitter. Both end in
 * sitemap_loc(), which applies the protocol's rules to one location.
 */
#include "sitemap.h"

#include "dynbuf.h"
#include "lastmod.h"
#include "url.h"
#include "utf8.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <zlib.h>

#define HOST_KEY_MAX 512
#define INFLATE_CHUNK (64 * 1024)
/* libxml2 is given at most this much at a time, so that a stop (a limit,
 * emit) takes effect within one chunk. */
#define XML_CHUNK (64 * 1024)

const char *const sitemap_format_names[] = {
        [SITEMAP_FMT_UNKNOWN] = "unknown",
        [SITEMAP_FMT_URLSET] = "urlset",
        [SITEMAP_FMT_INDEX] = "sitemapindex",
        [SITEMAP_FMT_TEXT] = "text",
        [SITEMAP_FMT_RSS] = "rss",
        [SITEMAP_FMT_ATOM] = "atom",
        [SITEMAP_FMT_OTHER] = "other",
        NULL,
};

const char *const sitemap_drop_names[] = {
        [SITEMAP_DROP_INVALID] = "invalid_url",
        [SITEMAP_DROP_SCHEME] = "not_http",
        [SITEMAP_DROP_SCOPE] = "out_of_scope",
        [SITEMAP_DROP_LIMIT] = "over_limit",
        [SITEMAP_DROP_SELF] = "self",
        NULL,
};

static const char NS_SITEMAP_PREFIX[] = "http://www.sitemaps.org/schemas/";
static const char NS_GOOGLE_SITEMAP[] =
        "http://www.google.com/schemas/sitemap/";
static const char NS_ATOM[] = "http://www.w3.org/2005/Atom";
static const char NS_ATOM03[] = "http://purl.org/atom/ns#";
static const char NS_RSS1[] = "http://purl.org/rss/1.0/";
static const char NS_DC[] = "http://purl.org/dc/elements/1.1/";

/* The field of a record being read. */
typedef enum {
        F_NONE = 0,
        F_LOC,
        F_LASTMOD,
        F_CHANGEFREQ,
        F_PRIORITY,
        F_PUBLISHED, /* Atom: lastmod when there is no <updated>        */
} field_t;

typedef enum {
        IN_SNIFF = 0, /* first bytes: BOM and white space skipped      */
        IN_XML,
        IN_TEXT,
        IN_DONE,
} in_mode_t;

struct sitemap {
        sitemap_emit_fn emit;
        void *ctx;
        size_t max_bytes, max_urls;
        int any_path, any_host;
        url_t *base;
        char scope_host[HOST_KEY_MAX];
        char *scope_dir; /* the path prefix listed URLs must have     */
        char *self;      /* the sitemap's own href, no fragment       */
        sitemap_stats_t st;
        int stopped;

        /* gzip */
        int head_len;          /* bytes of the gzip magic seen    */
        unsigned char head[2]; /* the first bytes, held to decide */
        int decided;           /* gzip or not is known            */
        int inflating;         /* a gzip member is open           */
        int gzip_ended;        /* a member ended: more must be gzip */
        z_stream z;
        unsigned char *zout;

        /* sniffing */
        in_mode_t mode;
        size_t sniffed; /* bytes looked at for the BOM            */

        /* XML */
        xmlParserCtxtPtr xml;
        xmlSAXHandler sax;
        int depth;        /* the current element's depth (root 1)   */
        int record_depth; /* where records (url, item, entry) sit    */
        int in_record;
        field_t field;   /* the field being read                  */
        int field_depth; /* its element's depth                   */
        const char *ns;  /* the namespace fields must have        */
        char ns_buf[128];
        int atom;    /* Atom link: href attribute             */
        int resolve; /* locations may be relative             */
        /* Atom's xml:base (XML Base): the feed's and the entry's, resolved
         * against what encloses them; loc_base is the base of the entry's
         * location (its link's own xml:base, else the entry's, else the
         * feed's), NULL = the sitemap's URL. Owned. */
        url_t *feed_base, *entry_base, *loc_base;
        dynbuf_t text; /* the field's text                      */
        int text_bad;  /* over the cap, or an XML error in it   */
        dynbuf_t loc;  /* the record's location                 */
        int loc_over;
        int has_loc;
        char lastmod[SITEMAP_LASTMOD_MAX + 1];
        char published[SITEMAP_LASTMOD_MAX + 1];
        char changefreq[16];
        double priority;

        /* plain text */
        dynbuf_t line;
        int line_over;
};

/* The error text cut to what snprintf kept, at a UTF-8 character
 * boundary (libxml2's messages quote the input: a cut may split a
 * character, and the text goes into records). */
static void error_cut(sitemap_t *sm)
{
        size_t n = strlen(sm->st.error);

        sm->st.error[utf8_valid_prefix((const unsigned char *)sm->st.error,
                                       n)] = '\0';
}

static void sm_note(sitemap_t *sm, const char *what)
{
        if (sm->st.error[0] == '\0') {
                snprintf(sm->st.error, sizeof(sm->st.error), "%s", what);
                error_cut(sm);
        }
}

/* The bytes [s, s + n) without ASCII white space on either side. */
static void trim(const char **s, size_t *n)
{
        while (*n > 0 && (**s == ' ' || **s == '\t' || **s == '\n' ||
                          **s == '\r' || **s == '\f' || **s == '\v')) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' ||
                          (*s)[*n - 1] == '\n' || (*s)[*n - 1] == '\r' ||
                          (*s)[*n - 1] == '\f' || (*s)[*n - 1] == '\v'))
                (*n)--;
}

/*
 * One listed location: the protocol's rules, then emit. Returns 0, or
 * non-zero when emit asked to stop.
 */
static int sitemap_loc(sitemap_t *sm, const char *s, size_t n, int too_long,
                       const char *lastmod, const char *changefreq,
                       double priority)
{
        url_t *u = NULL;
        char key[HOST_KEY_MAX];
        sitemap_entry_t e = { 0 };
        int rc = 0, err;

        trim(&s, &n);
        if (n == 0 && !too_long)
                return 0; /* an empty <loc/> or line lists nothing */
        sm->st.found++;
        if (too_long || n > URL_MAX_LEN) {
                sm->st.dropped[SITEMAP_DROP_INVALID]++;
                return 0;
        }
        err = url_parse_n(s, n,
                          !sm->resolve   ? NULL
                          : sm->loc_base ? sm->loc_base
                                         : sm->base,
                          &u, NULL, 0);
        if (err == URL_ERR_SCHEME) {
                sm->st.dropped[SITEMAP_DROP_SCHEME]++;
                goto out;
        }
        if (err != URL_OK) {
                sm->st.dropped[SITEMAP_DROP_INVALID]++;
                goto out;
        }
        if (url_host_key(u, key, sizeof(key)) < 0) {
                sm->st.dropped[SITEMAP_DROP_INVALID]++;
                goto out;
        }
        if (!sm->any_host &&
            (strcmp(key, sm->scope_host) != 0 ||
             (!sm->any_path &&
              strncmp(u->path, sm->scope_dir, strlen(sm->scope_dir)) != 0))) {
                sm->st.dropped[SITEMAP_DROP_SCOPE]++;
                goto out;
        }
        e.url_len = strlen(u->href);
        if (u->fragment) /* the href ends in "#" fragment */
                e.url_len -= strlen(u->fragment) + 1;
        u->href[e.url_len] = '\0';
        if (strcmp(u->href, sm->self) == 0) {
                sm->st.dropped[SITEMAP_DROP_SELF]++;
                goto out;
        }
        if (sm->st.emitted >= sm->max_urls) {
                sm->st.dropped[SITEMAP_DROP_LIMIT]++;
                goto out;
        }
        e.url = u->href;
        e.host_key = key;
        e.lastmod = lastmod && *lastmod ? lastmod : NULL;
        e.changefreq = changefreq && *changefreq ? changefreq : NULL;
        e.priority = priority;
        e.is_sitemap = sm->st.format == SITEMAP_FMT_INDEX;
        sm->st.emitted++;
        rc = sm->emit ? sm->emit(sm->ctx, &e) : 0;
out:
        url_destroy(u);
        return rc;
}

/* A date field's text into dst, normalised (lastmod.h); one that is not
 * a date is left out and counted. */
static void keep_lastmod(sitemap_t *sm, char *dst, const char *s, size_t n,
                         int bad)
{
        trim(&s, &n);
        dst[0] = '\0';
        if (n == 0 && !bad)
                return; /* an empty element says nothing */
        if (bad || lastmod_normalise(s, n, dst, SITEMAP_LASTMOD_MAX + 1) != 0)
                sm->st.lastmod_invalid++;
}

static void keep_changefreq(sitemap_t *sm, const char *s, size_t n)
{
        static const char *const words[] = { "always", "hourly",  "daily",
                                             "weekly", "monthly", "yearly",
                                             "never",  NULL };

        trim(&s, &n);
        sm->changefreq[0] = '\0';
        for (int i = 0; words[i]; i++) {
                if (strlen(words[i]) == n &&
                    strncasecmp(s, words[i], n) == 0) {
                        memcpy(sm->changefreq, words[i], n + 1);
                        return;
                }
        }
}

static void keep_priority(sitemap_t *sm, const char *s, size_t n)
{
        char buf[32], *end;
        double v;

        trim(&s, &n);
        sm->priority = -1;
        if (n == 0 || n >= sizeof(buf))
                return;
        memcpy(buf, s, n);
        buf[n] = '\0';
        v = strtod(buf, &end);
        if (*end == '\0' && v >= 0 && v <= 1)
                sm->priority = v;
}

/* ---- XML ---------------------------------------------------------- */

static int ns_is(const xmlChar *uri, const char *prefix)
{
        return uri && strncmp((const char *)uri, prefix, strlen(prefix)) == 0;
}

static int same_ns(const sitemap_t *sm, const xmlChar *uri)
{
        if (sm->ns == NULL)
                return uri == NULL;
        return uri && strcmp((const char *)uri, sm->ns) == 0;
}

static const char NS_XML[] = "http://www.w3.org/XML/1998/namespace";

/* The base an element inside the entry (or the entry itself) resolves
 * against. */
static const url_t *atom_base(const sitemap_t *sm, int in_entry)
{
        if (in_entry && sm->entry_base)
                return sm->entry_base;
        return sm->feed_base ? sm->feed_base : sm->base;
}

/* The element's xml:base resolved against `parent`: a new URL (the
 * caller owns it), or NULL when it has none or it is no http(s) URL
 * (then the parent's base stands). */
static url_t *xml_base_attr(int nb_attributes, const xmlChar **attributes,
                            const url_t *parent)
{
        url_t *u = NULL;

        for (int i = 0; i < nb_attributes; i++) {
                const xmlChar **a = attributes + 5 * i;

                if (a[2] == NULL || strcmp((const char *)a[2], NS_XML) != 0 ||
                    strcmp((const char *)a[0], "base") != 0)
                        continue;
                if (url_parse_n((const char *)a[3], (size_t)(a[4] - a[3]),
                                parent, &u, NULL, 0) != URL_OK)
                        u = NULL;
                return u;
        }
        return NULL;
}

static void record_reset(sitemap_t *sm)
{
        sm->loc.len = 0;
        if (sm->loc.data)
                sm->loc.data[0] = '\0';
        sm->loc_over = 0;
        sm->has_loc = 0;
        url_destroy(sm->loc_base);
        sm->loc_base = NULL;
        sm->lastmod[0] = '\0';
        sm->published[0] = '\0';
        sm->changefreq[0] = '\0';
        sm->priority = -1;
}

/* The root element tells the format and where its records sit. */
static void xml_root(sitemap_t *sm, const xmlChar *name, const xmlChar *uri)
{
        const char *n = (const char *)name;
        int sm_ns = uri == NULL || ns_is(uri, NS_SITEMAP_PREFIX) ||
                    ns_is(uri, NS_GOOGLE_SITEMAP);

        sm->ns = NULL;
        if (uri) {
                snprintf(sm->ns_buf, sizeof(sm->ns_buf), "%s",
                         (const char *)uri);
                if (strlen((const char *)uri) < sizeof(sm->ns_buf))
                        sm->ns = sm->ns_buf;
        }
        if (strcmp(n, "urlset") == 0 && sm_ns) {
                sm->st.format = SITEMAP_FMT_URLSET;
                sm->record_depth = 2;
        } else if (strcmp(n, "sitemapindex") == 0 && sm_ns) {
                sm->st.format = SITEMAP_FMT_INDEX;
                sm->record_depth = 2;
        } else if (strcmp(n, "rss") == 0 && uri == NULL) {
                sm->st.format = SITEMAP_FMT_RSS;
                sm->record_depth = 3; /* rss/channel/item */
        } else if (strcmp(n, "RDF") == 0) {
                sm->st.format = SITEMAP_FMT_RSS;
                sm->record_depth = 2; /* rdf:RDF/item (RSS 1.0) */
                sm->ns = NS_RSS1;
        } else if (strcmp(n, "feed") == 0 &&
                   (ns_is(uri, NS_ATOM) || ns_is(uri, NS_ATOM03))) {
                sm->st.format = SITEMAP_FMT_ATOM;
                sm->record_depth = 2;
                sm->atom = 1;
                sm->resolve = 1;
        } else {
                sm->st.format = SITEMAP_FMT_OTHER;
                sm->record_depth = 0;
        }
}

static int is_record(const sitemap_t *sm, const char *n)
{
        switch (sm->st.format) {
        case SITEMAP_FMT_URLSET:
                return strcmp(n, "url") == 0;
        case SITEMAP_FMT_INDEX:
                return strcmp(n, "sitemap") == 0;
        case SITEMAP_FMT_RSS:
                return strcmp(n, "item") == 0;
        case SITEMAP_FMT_ATOM:
                return strcmp(n, "entry") == 0;
        default:
                return 0;
        }
}

static field_t field_of(const sitemap_t *sm, const char *n, const xmlChar *uri)
{
        if (sm->st.format == SITEMAP_FMT_RSS) {
                if (ns_is(uri, NS_DC) && strcmp(n, "date") == 0)
                        return F_LASTMOD;
                if (!same_ns(sm, uri))
                        return F_NONE;
                if (strcmp(n, "link") == 0)
                        return F_LOC;
                if (strcmp(n, "pubDate") == 0)
                        return F_LASTMOD;
                return F_NONE;
        }
        if (!same_ns(sm, uri))
                return F_NONE;
        if (sm->st.format == SITEMAP_FMT_ATOM) {
                if (strcmp(n, "updated") == 0 || strcmp(n, "modified") == 0)
                        return F_LASTMOD;
                if (strcmp(n, "published") == 0 || strcmp(n, "issued") == 0)
                        return F_PUBLISHED;
                return F_NONE; /* <link> is read from its attributes */
        }
        if (strcmp(n, "loc") == 0)
                return F_LOC;
        if (strcmp(n, "lastmod") == 0)
                return F_LASTMOD;
        if (sm->st.format == SITEMAP_FMT_URLSET) {
                if (strcmp(n, "changefreq") == 0)
                        return F_CHANGEFREQ;
                if (strcmp(n, "priority") == 0)
                        return F_PRIORITY;
        }
        return F_NONE;
}

/* Atom's <link href rel>: the entry's location is its first link whose
 * rel is "alternate" or absent. */
static void atom_link(sitemap_t *sm, int nb_attributes,
                      const xmlChar **attributes)
{
        const xmlChar *href = NULL, *href_end = NULL;
        int alternate = 1;

        for (int i = 0; i < nb_attributes; i++) {
                const xmlChar **a = attributes + 5 * i;

                if (a[2] != NULL) /* namespaced: not Atom's */
                        continue;
                if (strcmp((const char *)a[0], "href") == 0) {
                        href = a[3];
                        href_end = a[4];
                } else if (strcmp((const char *)a[0], "rel") == 0) {
                        size_t n = (size_t)(a[4] - a[3]);
                        const char *v = (const char *)a[3];

                        trim(&v, &n);
                        alternate = n == 9 && strncmp(v, "alternate", 9) == 0;
                }
        }
        if (!alternate || href == NULL || sm->has_loc)
                return;
        sm->has_loc = 1;
        sm->loc_base =
                xml_base_attr(nb_attributes, attributes, atom_base(sm, 1));
        if (sm->loc_base == NULL && sm->entry_base)
                url_parse(sm->entry_base->href, NULL, &sm->loc_base, NULL, 0);
        else if (sm->loc_base == NULL && sm->feed_base)
                url_parse(sm->feed_base->href, NULL, &sm->loc_base, NULL, 0);
        /* Without entity replacement (replaceEntities = 0, so that no
         * entity of the document is expanded) libxml2 hands an attribute's
         * '&' — written &amp;, &#38; or &#x26; — on as the text "&#38;";
         * every other reference arrives replaced. One pass turns it back,
         * so "&amp;#38;" stays the text "&#38;". */
        for (const xmlChar *p = href; p < href_end && !sm->loc_over;) {
                const xmlChar *amp = memchr(p, '&', (size_t)(href_end - p));
                const xmlChar *run_end = amp ? amp : href_end;

                if (dynbuf_append(&sm->loc.data, &sm->loc.cap, &sm->loc.len,
                                  sm->loc.max, p,
                                  (size_t)(run_end - p)) != 0) {
                        sm->loc_over = 1;
                        break;
                }
                if (!amp)
                        break;
                p = amp + 1;
                if (href_end - amp >= 5 && memcmp(amp, "&#38;", 5) == 0)
                        p = amp + 5;
                if (dynbuf_append(&sm->loc.data, &sm->loc.cap, &sm->loc.len,
                                  sm->loc.max, "&", 1) != 0)
                        sm->loc_over = 1;
        }
}

/*
 * libxml2 2.9.14 in recover mode drops every predefined entity reference
 * (&amp;, &lt;) once the document is not well-formed, which would turn
 * each later "?a=1&amp;b=2" into "?a=1b=2". The reader keeps its own flag
 * (stats' malformed) and sets the parser's back at each callback.
 */
static void xml_keep_entities(sitemap_t *sm)
{
        if (sm->xml)
                sm->xml->wellFormed = 1;
}

static void xml_start(void *ctx, const xmlChar *localname,
                      const xmlChar *prefix, const xmlChar *uri,
                      int nb_namespaces, const xmlChar **namespaces,
                      int nb_attributes, int nb_defaulted,
                      const xmlChar **attributes)
{
        sitemap_t *sm = ctx;
        const char *n = (const char *)localname;

        xml_keep_entities(sm);

        sm->depth++;
        if (sm->depth == 1) {
                xml_root(sm, localname, uri);
                if (sm->atom)
                        sm->feed_base = xml_base_attr(nb_attributes,
                                                      attributes, sm->base);
                return;
        }
        if (sm->record_depth == 0)
                return;
        if (sm->depth == sm->record_depth && is_record(sm, n) &&
            (sm->st.format == SITEMAP_FMT_RSS
                     ? (same_ns(sm, uri) || uri == NULL)
                     : same_ns(sm, uri))) {
                sm->in_record = 1;
                record_reset(sm);
                if (sm->atom) {
                        url_destroy(sm->entry_base);
                        sm->entry_base = xml_base_attr(
                                nb_attributes, attributes, atom_base(sm, 0));
                }
                return;
        }
        if (!sm->in_record || sm->depth != sm->record_depth + 1)
                return;
        if (sm->atom && strcmp(n, "link") == 0 && same_ns(sm, uri)) {
                atom_link(sm, nb_attributes, attributes);
                return;
        }
        sm->field = field_of(sm, n, uri);
        if (sm->field == F_NONE)
                return;
        sm->field_depth = sm->depth;
        sm->text.len = 0;
        if (sm->text.data)
                sm->text.data[0] = '\0';
        sm->text_bad = 0;
}

static void xml_text(void *ctx, const xmlChar *ch, int len)
{
        sitemap_t *sm = ctx;

        xml_keep_entities(sm);
        if (sm->field == F_NONE || sm->text_bad || len <= 0)
                return;
        if (dynbuf_add(&sm->text, ch, (size_t)len) != 0)
                sm->text_bad = 1;
}

static void field_end(sitemap_t *sm)
{
        const char *s = sm->text.data ? sm->text.data : "";
        size_t n = sm->text.len;

        switch (sm->field) {
        case F_LOC:
                if (sm->has_loc)
                        break; /* the first <loc> counts */
                sm->has_loc = 1;
                sm->loc_over = sm->text_bad;
                if (!sm->text_bad &&
                    dynbuf_append(&sm->loc.data, &sm->loc.cap, &sm->loc.len,
                                  sm->loc.max, s, n) != 0)
                        sm->loc_over = 1;
                break;
        case F_LASTMOD:
                keep_lastmod(sm, sm->lastmod, s, n, sm->text_bad);
                break;
        case F_PUBLISHED:
                keep_lastmod(sm, sm->published, s, n, sm->text_bad);
                break;
        case F_CHANGEFREQ:
                keep_changefreq(sm, s, sm->text_bad ? 0 : n);
                break;
        case F_PRIORITY:
                keep_priority(sm, s, sm->text_bad ? 0 : n);
                break;
        default:
                break;
        }
        sm->field = F_NONE;
}

static void record_end(sitemap_t *sm)
{
        const char *lastmod = sm->lastmod[0] ? sm->lastmod : sm->published;

        sm->in_record = 0;
        if (!sm->has_loc)
                return;
        if (sitemap_loc(sm, sm->loc.data ? sm->loc.data : "", sm->loc.len,
                        sm->loc_over, lastmod, sm->changefreq,
                        sm->priority) != 0) {
                sm->stopped = 1;
                xmlStopParser(sm->xml);
        }
}

static void xml_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                    const xmlChar *uri)
{
        sitemap_t *sm = ctx;

        xml_keep_entities(sm);
        if (sm->field != F_NONE && sm->depth == sm->field_depth)
                field_end(sm);
        else if (sm->in_record && sm->depth == sm->record_depth)
                record_end(sm);
        sm->depth--;
}

/* Errors are counted, never printed (libxml2 would write to stderr). */
static void xml_error(void *ctx, xmlErrorPtr err)
{
        sitemap_t *sm = ctx;

        if (err == NULL || err->level < XML_ERR_ERROR)
                return;
        sm->st.malformed = 1;
        /* A field with an error in its text (an undeclared entity, a bare
         * '&') is not guessed at: its location is dropped as invalid. */
        if (sm->field != F_NONE)
                sm->text_bad = 1;
        if (sm->st.error[0] == '\0') {
                char msg[120];
                size_t n;

                snprintf(msg, sizeof(msg), "%s",
                         err->message ? err->message : "XML error");
                n = strlen(msg);
                while (n > 0 && msg[n - 1] == '\n')
                        msg[--n] = '\0';
                snprintf(sm->st.error, sizeof(sm->st.error), "XML line %d: %s",
                         err->line, msg);
                error_cut(sm);
        }
}

static int xml_begin(sitemap_t *sm)
{
        memset(&sm->sax, 0, sizeof(sm->sax));
        sm->sax.initialized = XML_SAX2_MAGIC;
        sm->sax.startElementNs = xml_start;
        sm->sax.endElementNs = xml_end;
        sm->sax.characters = xml_text;
        sm->sax.cdataBlock = xml_text;
        sm->sax.serror = xml_error;
        /* No getEntity, entityDecl, internalSubset, resolveEntity: no
         * entity of the document is stored, expanded or loaded. */
        sm->xml = xmlCreatePushParserCtxt(&sm->sax, sm, NULL, 0, NULL);
        if (sm->xml == NULL) {
                sm_note(sm, "out of memory (XML parser)");
                return -1;
        }
        xmlCtxtUseOptions(sm->xml, XML_PARSE_NONET | XML_PARSE_RECOVER |
                                           XML_PARSE_NOERROR |
                                           XML_PARSE_NOWARNING);
        sm->xml->replaceEntities = 0;
        sm->xml->loadsubset = 0;
        sm->xml->validate = 0;
        return 0;
}

static int xml_feed(sitemap_t *sm, const char *p, size_t n, int terminate)
{
        while ((n > 0 || terminate) && !sm->stopped) {
                size_t k = n < XML_CHUNK ? n : XML_CHUNK;
                int last = terminate && k == n;

                xmlParseChunk(sm->xml, p, (int)k, last);
                if (sm->xml->errNo == XML_ERR_NO_MEMORY) {
                        sm_note(sm, "out of memory (XML parser)");
                        return -1;
                }
                if (last)
                        break;
                p += k;
                n -= k;
        }
        return sm->stopped ? SITEMAP_STOPPED : 0;
}

/* ---- plain text --------------------------------------------------- */

static int text_line_end(sitemap_t *sm)
{
        int rc = 0;

        if (sitemap_loc(sm, sm->line.data ? sm->line.data : "", sm->line.len,
                        sm->line_over, NULL, NULL, -1) != 0) {
                sm->stopped = 1;
                rc = SITEMAP_STOPPED;
        }
        sm->line.len = 0;
        sm->line_over = 0;
        return rc;
}

static int text_feed(sitemap_t *sm, const char *p, size_t n)
{
        while (n > 0 && !sm->stopped) {
                const char *nl = memchr(p, '\n', n);
                size_t k = nl ? (size_t)(nl - p) : n;

                if (!sm->line_over &&
                    dynbuf_add(&sm->line, p, k) == DYNBUF_ERR_TOO_BIG)
                        sm->line_over = 1;
                if (nl == NULL)
                        break;
                p += k + 1;
                n -= k + 1;
                if (text_line_end(sm) != 0)
                        break;
        }
        return sm->stopped ? SITEMAP_STOPPED : 0;
}

/* ---- sniffing and limits ------------------------------------------ */

/* Decoded bytes, in order: BOM and leading white space, then XML or
 * text. */
static int plain_feed(sitemap_t *sm, const char *p, size_t n)
{
        static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };

        if (sm->stopped)
                return SITEMAP_STOPPED;
        if (n > sm->max_bytes - sm->st.bytes) {
                n = sm->max_bytes - sm->st.bytes;
                sm->st.truncated = 1;
                sm_note(sm, "over the uncompressed size limit");
        }
        sm->st.bytes += n;
        while (sm->mode == IN_SNIFF && n > 0) {
                unsigned char c = (unsigned char)*p;

                if (sm->sniffed < 3 && c == bom[sm->sniffed] &&
                    sm->sniffed == (size_t)(sm->st.bytes - n)) {
                        sm->sniffed++;
                } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                        sm->sniffed = 3;
                } else if (c == '<') {
                        if (xml_begin(sm) != 0)
                                return -1;
                        sm->mode = IN_XML;
                        break;
                } else {
                        sm->mode = IN_TEXT;
                        sm->st.format = SITEMAP_FMT_TEXT;
                        break;
                }
                p++;
                n--;
        }
        int rc = 0;
        /* At the cut the XML parser is told the input ends, so that the
         * elements complete before it are all read. */
        if (sm->mode == IN_XML)
                rc = xml_feed(sm, p, n, sm->st.truncated);
        else if (sm->mode == IN_TEXT)
                rc = text_feed(sm, p, n);
        if (rc == 0 && sm->st.truncated) {
                sm->stopped = 1;
                rc = SITEMAP_STOPPED;
        }
        return rc;
}

/* The input breaks off (a broken gzip stream): the XML elements complete
 * before the break are read (a text line cut by it is not), then reading
 * stops. */
static int sm_end_early(sitemap_t *sm)
{
        int rc = 0;

        if (sm->mode == IN_XML)
                rc = xml_feed(sm, NULL, 0, 1);
        sm->mode = IN_DONE;
        sm->stopped = 1;
        return rc < 0 ? rc : SITEMAP_STOPPED;
}

static int gzip_feed(sitemap_t *sm, const unsigned char *p, size_t n)
{
        for (;;) {
                size_t used, made;
                int zr, rc;

                if (sm->stopped)
                        return SITEMAP_STOPPED;
                if (!sm->inflating) {
                        if (n == 0)
                                return 0;
                        /* A member ended: what follows is another member
                         * or trailing bytes, which are ignored. */
                        if (n < 2 || p[0] != 0x1f || p[1] != 0x8b) {
                                sm->st.malformed = 1;
                                sm_note(sm, "bytes after the gzip stream");
                                return 0;
                        }
                        if (inflateReset(&sm->z) != Z_OK)
                                return -1;
                        sm->inflating = 1;
                }
                sm->z.next_in = (unsigned char *)p;
                sm->z.avail_in = (uInt)(n > 0x40000000 ? 0x40000000 : n);
                sm->z.next_out = sm->zout;
                sm->z.avail_out = INFLATE_CHUNK;
                zr = inflate(&sm->z, Z_NO_FLUSH);
                used = (size_t)(sm->z.next_in - p);
                made = INFLATE_CHUNK - sm->z.avail_out;
                p += used;
                n -= used;
                if (made > 0) {
                        rc = plain_feed(sm, (const char *)sm->zout, made);
                        if (rc != 0)
                                return rc;
                }
                if (zr == Z_STREAM_END) {
                        sm->inflating = 0;
                        continue;
                }
                if (zr == Z_MEM_ERROR) {
                        sm_note(sm, "out of memory (inflate)");
                        return -1;
                }
                if (zr != Z_OK && zr != Z_BUF_ERROR) {
                        sm->st.malformed = 1;
                        sm_note(sm, "broken gzip stream");
                        return sm_end_early(sm);
                }
                /* Output space left over means zlib holds no more
                 * output: it needs input. */
                if (n == 0 && made < INFLATE_CHUNK)
                        return 0;
                if (used == 0 && made == 0)
                        return 0;
        }
}

static int decide(sitemap_t *sm)
{
        sm->decided = 1;
        if (sm->head_len == 2 && sm->head[0] == 0x1f && sm->head[1] == 0x8b) {
                sm->st.gzip = 1;
                if (inflateInit2(&sm->z, 15 + 16) != Z_OK) {
                        sm_note(sm, "out of memory (inflate)");
                        return -1;
                }
                sm->zout = malloc(INFLATE_CHUNK);
                if (sm->zout == NULL) {
                        sm_note(sm, "out of memory (inflate)");
                        return -1;
                }
                sm->inflating = 1;
                return gzip_feed(sm, sm->head, 2);
        }
        return plain_feed(sm, (const char *)sm->head, (size_t)sm->head_len);
}

int sitemap_feed(sitemap_t *sm, const void *data, size_t len)
{
        const unsigned char *p = data;

        if (sm->stopped)
                return SITEMAP_STOPPED;
        sm->st.bytes_in += len;
        while (!sm->decided && len > 0) {
                sm->head[sm->head_len++] = *p++;
                len--;
                if (sm->head_len == 2) {
                        int rc = decide(sm);
                        if (rc != 0)
                                return rc;
                }
        }
        if (len == 0)
                return sm->stopped ? SITEMAP_STOPPED : 0;
        if (sm->st.gzip)
                return gzip_feed(sm, p, len);
        return plain_feed(sm, (const char *)p, len);
}

int sitemap_finish(sitemap_t *sm)
{
        int rc = 0;

        if (!sm->decided) {
                rc = decide(sm);
                if (rc != 0)
                        return rc;
        }
        if (sm->stopped)
                return SITEMAP_STOPPED;
        if (sm->st.gzip && sm->inflating) {
                sm->st.malformed = 1;
                sm_note(sm, "the gzip stream ends early");
        }
        if (sm->mode == IN_XML)
                rc = xml_feed(sm, NULL, 0, 1);
        else if (sm->mode == IN_TEXT && (sm->line.len > 0 || sm->line_over))
                rc = text_line_end(sm);
        sm->mode = IN_DONE;
        return rc;
}

const sitemap_stats_t *sitemap_stats(const sitemap_t *sm)
{
        return &sm->st;
}

sitemap_t *sitemap_new(const char *sitemap_url, const sitemap_opts_t *opts,
                       sitemap_emit_fn emit, void *ctx, char *errstr,
                       size_t errstr_size)
{
        sitemap_t *sm = calloc(1, sizeof(*sm));
        char *slash;
        int ok = 0;

        if (sm == NULL) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        sm->emit = emit;
        sm->ctx = ctx;
        sm->max_bytes =
                opts && opts->max_bytes ? opts->max_bytes : SITEMAP_MAX_BYTES;
        sm->max_urls =
                opts && opts->max_urls ? opts->max_urls : SITEMAP_MAX_URLS;
        sm->any_path = opts ? opts->any_path : 0;
        sm->any_host = opts ? opts->any_host : 0;
        sm->priority = -1;
        dynbuf_init(&sm->text, URL_MAX_LEN);
        dynbuf_init(&sm->loc, URL_MAX_LEN);
        dynbuf_init(&sm->line, URL_MAX_LEN);
        if (url_parse(sitemap_url ? sitemap_url : "", NULL, &sm->base, errstr,
                      errstr_size) != URL_OK)
                goto out;
        if (opts && opts->scope_host) {
                snprintf(sm->scope_host, sizeof(sm->scope_host), "%s",
                         opts->scope_host);
        } else if (url_host_key(sm->base, sm->scope_host,
                                sizeof(sm->scope_host)) < 0) {
                snprintf(errstr, errstr_size, "host too long");
                goto out;
        }
        sm->scope_dir = strdup(sm->base->path);
        if (sm->scope_dir == NULL) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        sm->self = strdup(sm->base->href);
        if (sm->self == NULL) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        if (sm->base->fragment)
                sm->self[strlen(sm->self) - strlen(sm->base->fragment) - 1] =
                        '\0';
        slash = strrchr(sm->scope_dir, '/');
        if (slash) /* the path begins with '/' */
                slash[1] = '\0';
        ok = 1;
out:
        if (!ok) {
                sitemap_destroy(sm);
                sm = NULL;
        }
        return sm;
}

void sitemap_destroy(sitemap_t *sm)
{
        if (sm == NULL)
                return;
        if (sm->xml) {
                /* libxml2 keeps declared entities in a document of its own
                 * in SAX mode ("expat compatibility"): never read here. */
                if (sm->xml->myDoc)
                        xmlFreeDoc(sm->xml->myDoc);
                xmlFreeParserCtxt(sm->xml);
        }
        if (sm->zout)
                inflateEnd(&sm->z);
        free(sm->zout);
        dynbuf_free(&sm->text);
        dynbuf_free(&sm->loc);
        dynbuf_free(&sm->line);
        url_destroy(sm->base);
        url_destroy(sm->feed_base);
        url_destroy(sm->entry_base);
        url_destroy(sm->loc_base);
        free(sm->scope_dir);
        free(sm->self);
        free(sm);
}

int sitemap_parse(const char *sitemap_url, const sitemap_opts_t *opts,
                  const void *data, size_t len, sitemap_emit_fn emit,
                  void *ctx, sitemap_stats_t *stats, char *errstr,
                  size_t errstr_size)
{
        sitemap_t *sm =
                sitemap_new(sitemap_url, opts, emit, ctx, errstr, errstr_size);
        int rc;

        if (sm == NULL)
                return -1;
        rc = sitemap_feed(sm, data, len);
        if (rc == 0)
                rc = sitemap_finish(sm);
        if (stats)
                *stats = sm->st;
        if (rc < 0)
                snprintf(errstr, errstr_size, "%s", sm->st.error);
        sitemap_destroy(sm);
        return rc < 0 ? -1 : 0;
}
