/*
 * mainfields.h — the record's main-content fields of a parsed page:
 * main_text and markdown (maincontent.h finds the nodes, markdown.h writes
 * them) and author, published_at, modified_at, site_name (articlemeta.h).
 *
 * A page whose blocks do not hold its content but whose JSON-LD gives an
 * articleBody (a script-driven page) gets that body as its main text. A
 * page without main content gets empty strings.
 *
 * Thread-safety: no global state; one mainfields_t per call.
 */
#ifndef KCRAWL_MAINFIELDS_H
#define KCRAWL_MAINFIELDS_H

#include <stddef.h>

#include <libxml/tree.h>

#include "articlemeta.h"
#include "dynbuf.h"

/* Returns nonzero when the caller's CPU budget for the page is spent. */
typedef int (*mainfields_budget_fn)(void *opaque);

typedef struct mainfields_opts {
        int want_text;     /* main_text                                  */
        int want_markdown; /* markdown                                   */
        int want_meta;     /* author, dates, site_name                   */
        size_t max_bytes;  /* cap of main_text and of markdown; 0: 1 MiB */
        size_t max_nodes;  /* elements looked at; 0: 1,000,000           */
        size_t max_depth;  /* nesting looked into; 0: 512                */
        mainfields_budget_fn budget; /* may be NULL                       */
        void *budget_opaque;
} mainfields_opts_t;

typedef struct mainfields {
        dynbuf_t text;     /* main_text, NUL-terminated ("" when none)  */
        dynbuf_t markdown; /* markdown                                   */
        int text_truncated;
        int markdown_truncated;
        articlemeta_t meta; /* NULL members when the page does not say */
} mainfields_t;

/*
 * Fills *mf (initialised here) from `doc`; links and images resolve
 * against base_url (may be NULL: they are left out). Returns 0, or -1
 * when memory or the budget ran out (errstr says which); *mf is to be
 * cleared either way (mainfields_clear()).
 */
int mainfields_build(xmlDocPtr doc, const char *base_url,
                     const mainfields_opts_t *opts, mainfields_t *mf,
                     char *errstr, size_t errstr_size);

void mainfields_clear(mainfields_t *mf);

#endif /* KCRAWL_MAINFIELDS_H */
