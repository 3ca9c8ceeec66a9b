/*
 * dublincore.c — Dublin Core elements and terms (see dublincore.h).
 *
 * The name tables are DCMES 1.1 and the DCMI terms (2008), lower-cased,
 * as extruct matches them.
 */
#include "dublincore.h"

#include "dynbuf.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DC_ATTRS_MAX 32

typedef struct dcattr {
        size_t name_off, name_len, value_off, value_len;
} dcattr_t;

typedef struct dcentry {
        int term;
        int is_link;
        const char *uri;
        dcattr_t attrs[DC_ATTRS_MAX];
        size_t n_attrs;
} dcentry_t;

typedef struct dcns {
        size_t name_off, name_len;
        const char *uri;
} dcns_t;

struct dublincore {
        dynbuf_t strings;
        dcentry_t *entries;
        size_t n, cap;
        dcns_t ns[16];
        size_t n_ns;
        int capped;
};

typedef struct dcname {
        const char *name;
        const char *uri;
} dcname_t;

#define DCE "http://purl.org/dc/elements/1.1/"
#define DCT "http://purl.org/dc/terms/"

static const dcname_t dc_elements[] = {
        { "contributor", DCE "contributor" },
        { "coverage", DCE "coverage" },
        { "creator", DCE "creator" },
        { "date", DCE "date" },
        { "description", DCE "description" },
        { "format", DCE "format" },
        { "identifier", DCE "identifier" },
        { "language", DCE "language" },
        { "publisher", DCE "publisher" },
        { "relation", DCE "relation" },
        { "rights", DCE "rights" },
        { "source", DCE "source" },
        { "subject", DCE "subject" },
        { "title", DCE "title" },
        { "type", DCE "type" },
};

static const dcname_t dc_terms[] = {
        { "abstract", DCT "abstract" },
        { "description", DCT "description" },
        { "accessrights", DCT "accessRights" },
        { "rights", DCT "rights" },
        { "rightsstatement", DCT "RightsStatement" },
        { "accrualmethod", DCT "accrualMethod" },
        { "collection", DCT "Collection" },
        { "accrualperiodicity", DCT "accrualPeriodicity" },
        { "frequency", DCT "Frequency" },
        { "accrualpolicy", DCT "accrualPolicy" },
        { "policy", DCT "Policy" },
        { "alternative", DCT "alternative" },
        { "title", DCT "title" },
        { "audience", DCT "audience" },
        { "agentclass", DCT "AgentClass" },
        { "available", DCT "available" },
        { "date", DCT "date" },
        { "bibliographiccitation", DCT "bibliographicCitation" },
        { "identifier", DCT "identifier" },
        { "bibliographicresource", DCT "BibliographicResource" },
        { "conformsto", DCT "conformsTo" },
        { "relation", DCT "relation" },
        { "standard", DCT "Standard" },
        { "contributor", DCT "contributor" },
        { "agent", DCT "Agent" },
        { "coverage", DCT "coverage" },
        { "locationperiodorjurisdiction", DCT "LocationPeriodOrJurisdiction" },
        { "created", DCT "created" },
        { "creator", DCT "creator" },
        { "dateaccepted", DCT "dateAccepted" },
        { "datecopyrighted", DCT "dateCopyrighted" },
        { "datesubmitted", DCT "dateSubmitted" },
        { "educationlevel", DCT "educationLevel" },
        { "extent", DCT "extent" },
        { "format", DCT "format" },
        { "sizeorduration", DCT "SizeOrDuration" },
        { "mediatypeorextent", DCT "MediaTypeOrExtent" },
        { "hasformat", DCT "hasFormat" },
        { "haspart", DCT "hasPart" },
        { "hasversion", DCT "hasVersion" },
        { "instructionalmethod", DCT "instructionalMethod" },
        { "methodofinstruction", DCT "MethodOfInstruction" },
        { "isformatof", DCT "isFormatOf" },
        { "ispartof", DCT "isPartOf" },
        { "isreferencedby", DCT "isReferencedBy" },
        { "isreplacedby", DCT "isReplacedBy" },
        { "isrequiredby", DCT "isRequiredBy" },
        { "issued", DCT "issued" },
        { "isversionof", DCT "isVersionOf" },
        { "language", DCT "language" },
        { "linguisticsystem", DCT "LinguisticSystem" },
        { "license", DCT "license" },
        { "licensedocument", DCT "LicenseDocument" },
        { "mediator", DCT "mediator" },
        { "medium", DCT "medium" },
        { "physicalresource", DCT "PhysicalResource" },
        { "physicalmedium", DCT "PhysicalMedium" },
        { "modified", DCT "modified" },
        { "provenance", DCT "provenance" },
        { "provenancestatement", DCT "ProvenanceStatement" },
        { "publisher", DCT "publisher" },
        { "references", DCT "references" },
        { "replaces", DCT "replaces" },
        { "requires", DCT "requires" },
        { "rightsholder", DCT "rightsHolder" },
        { "source", DCT "source" },
        { "spatial", DCT "spatial" },
        { "location", DCT "Location" },
        { "subject", DCT "subject" },
        { "tableofcontents", DCT "tableOfContents" },
        { "temporal", DCT "temporal" },
        { "periodoftime", DCT "PeriodOfTime" },
        { "type", DCT "type" },
        { "valid", DCT "valid" },
};

dublincore_t *dublincore_new(void)
{
        dublincore_t *dc = calloc(1, sizeof(*dc));

        if (dc != NULL)
                dynbuf_init(&dc->strings, 64 * 1024 * 1024);
        return dc;
}

void dublincore_destroy(dublincore_t *dc)
{
        if (dc == NULL)
                return;
        dynbuf_free(&dc->strings);
        free(dc->entries);
        free(dc);
}

static const char *lookup(const dcname_t *t, size_t n, const char *s,
                          size_t len)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (strlen(t[i].name) == len &&
                    strncasecmp(t[i].name, s, len) == 0)
                        return t[i].uri;
        return NULL;
}

static int keep(dublincore_t *dc, const char *s, size_t max, size_t *off,
                size_t *len)
{
        size_t n = strlen(s);

        if (n > max)
                n = max;
        n = utf8_valid_prefix((const unsigned char *)s, n);
        *off = dc->strings.len;
        *len = n;
        return dynbuf_add(&dc->strings, s, n) < 0 ? -1 : 0;
}

static const char *get(const char *const *attrs, const char *name)
{
        size_t i;

        for (i = 0; attrs[i] != NULL; i += 2)
                if (strcmp(attrs[i], name) == 0)
                        return attrs[i + 1] ? attrs[i + 1] : "";
        return NULL;
}

static int is_ws(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

int dublincore_add(dublincore_t *dc, int is_link, const char *const *attrs)
{
        const char *main = get(attrs, is_link ? "rel" : "name");
        const char *last, *uri;
        dcentry_t *e;
        size_t i, len;
        int term = 0;

        if (main == NULL)
                return 0;
        if (is_link && strstr(main, "schema") != NULL) {
                const char *href = get(attrs, "href");
                size_t hl;

                if (href != NULL) {
                        while (is_ws((unsigned char)*href))
                                href++;
                        hl = strlen(href);
                        while (hl > 0 && is_ws((unsigned char)href[hl - 1]))
                                hl--;
                        uri = NULL;
                        if (hl == strlen(DCT) && memcmp(href, DCT, hl) == 0)
                                uri = DCT;
                        else if (hl == strlen(DCE) &&
                                 memcmp(href, DCE, hl) == 0)
                                uri = DCE;
                        if (uri != NULL && dc->n_ns < 16) {
                                /* The rel with "schema." taken out. */
                                const char *p = strstr(main, "schema.");
                                dcns_t *ns = &dc->ns[dc->n_ns];

                                ns->uri = uri;
                                ns->name_off = dc->strings.len;
                                if (p == NULL) {
                                        if (keep(dc, main, 256, &ns->name_off,
                                                 &ns->name_len) < 0)
                                                return -1;
                                } else {
                                        size_t pre = (size_t)(p - main);

                                        if (dynbuf_add(&dc->strings, main,
                                                       pre) < 0 ||
                                            dynbuf_add(&dc->strings, p + 7,
                                                       strlen(p + 7)) < 0)
                                                return -1;
                                        ns->name_len =
                                                dc->strings.len - ns->name_off;
                                }
                                dc->n_ns++;
                        }
                }
        }
        last = strrchr(main, '.');
        last = last ? last + 1 : main;
        len = strlen(last);
        uri = lookup(dc_elements, sizeof(dc_elements) / sizeof(dc_elements[0]),
                     last, len);
        if (uri == NULL) {
                uri = lookup(dc_terms, sizeof(dc_terms) / sizeof(dc_terms[0]),
                             last, len);
                term = 1;
        }
        if (uri == NULL)
                return 0;
        if (dc->n >= DUBLINCORE_MAX) {
                dc->capped = 1;
                return 0;
        }
        if (dc->n == dc->cap) {
                size_t ncap = dc->cap ? dc->cap * 2 : 8;
                dcentry_t *nv = realloc(dc->entries, ncap * sizeof(*nv));

                if (nv == NULL)
                        return -1;
                dc->entries = nv;
                dc->cap = ncap;
        }
        e = &dc->entries[dc->n];
        e->term = term;
        e->is_link = is_link;
        e->uri = uri;
        e->n_attrs = 0;
        for (i = 0; attrs[i] != NULL && e->n_attrs < DC_ATTRS_MAX; i += 2) {
                dcattr_t *a = &e->attrs[e->n_attrs];

                if (strcmp(attrs[i], "URI") == 0)
                        continue; /* replaced below, as extruct does */
                if (keep(dc, attrs[i], 256, &a->name_off, &a->name_len) < 0 ||
                    keep(dc, attrs[i + 1] ? attrs[i + 1] : "",
                         DUBLINCORE_VALUE_MAX, &a->value_off,
                         &a->value_len) < 0)
                        return -1;
                e->n_attrs++;
        }
        dc->n++;
        return 0;
}

int dublincore_present(const dublincore_t *dc)
{
        return dc != NULL && (dc->n > 0 || dc->n_ns > 0);
}

int dublincore_capped(const dublincore_t *dc)
{
        return dc != NULL && dc->capped;
}

#define GEN(expr)                                 \
        do {                                      \
                if ((expr) != yajl_gen_status_ok) \
                        rc = -1;                  \
        } while (0)
#define GSTR(s, n) GEN(yajl_gen_string(gen, (const unsigned char *)(s), (n)))

int dublincore_write(const dublincore_t *dc, yajl_gen gen)
{
        const char *s = dc->strings.data ? dc->strings.data : "";
        size_t i, j;
        int rc = 0, term, link;

        GEN(yajl_gen_array_open(gen));
        GEN(yajl_gen_map_open(gen));
        GSTR("namespaces", 10);
        GEN(yajl_gen_map_open(gen));
        for (i = 0; i < dc->n_ns; i++) {
                GSTR(s + dc->ns[i].name_off, dc->ns[i].name_len);
                GSTR(dc->ns[i].uri, strlen(dc->ns[i].uri));
        }
        GEN(yajl_gen_map_close(gen));
        for (term = 0; term < 2; term++) {
                GSTR(term ? "terms" : "elements", term ? 5 : 8);
                GEN(yajl_gen_array_open(gen));
                /* Every <meta>, then every <link>, as extruct lists them. */
                for (i = 0; i < 2 * dc->n; i++) {
                        const dcentry_t *e = &dc->entries[i % dc->n];

                        link = i >= dc->n;
                        if (e->term != term || e->is_link != link)
                                continue;
                        GEN(yajl_gen_map_open(gen));
                        for (j = 0; j < e->n_attrs; j++) {
                                GSTR(s + e->attrs[j].name_off,
                                     e->attrs[j].name_len);
                                GSTR(s + e->attrs[j].value_off,
                                     e->attrs[j].value_len);
                        }
                        GSTR("URI", 3);
                        GSTR(e->uri, strlen(e->uri));
                        GEN(yajl_gen_map_close(gen));
                }
                GEN(yajl_gen_array_close(gen));
        }
        GEN(yajl_gen_map_close(gen));
        GEN(yajl_gen_array_close(gen));
        return rc;
}
