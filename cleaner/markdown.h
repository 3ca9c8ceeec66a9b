/*
 * markdown.h — nodes of a libxml2 HTML tree as CommonMark (with GFM pipe
 * tables) or as plain text.
 *
 * Markdown: ATX headings at the page's levels, paragraphs, nested ordered
 * and unordered lists, [text](absolute URL) links, ![alt](absolute src)
 * images, emphasis and strong, inline code and fenced code blocks (the
 * language from class="language-x" or "lang-x"), blockquotes, pipe tables
 * with a header row (colspan and rowspan flattened to empty cells, cell
 * content inline), rules. Text is escaped so that it never turns into
 * markup it was not, and the output never holds raw HTML.
 *
 * Plain text (the WCXB convention): headings on their own lines,
 * paragraphs separated by a blank line, list items one a line ("- ",
 * "1. "), table cells separated by tabs, rows by line breaks.
 *
 * Every walk is iterative with an explicit stack of `max_depth` frames
 * (deeper elements are left out); the output stops at `max_bytes` with
 * *truncated set, still well formed (open emphasis and links closed).
 *
 * Thread-safety: no global state; any thread.
 */
#ifndef KCRAWL_MARKDOWN_H
#define KCRAWL_MARKDOWN_H

#include <stddef.h>

#include <libxml/tree.h>

#include "dynbuf.h"

typedef enum {
        MARKDOWN_MD = 0,  /* CommonMark + GFM tables */
        MARKDOWN_TEXT = 1 /* plain text               */
} markdown_mode_t;

/* url_resolve() (url.h) has this type: resolves ref against base into a
 * new string the caller frees; returns 0 on success. */
typedef int (*markdown_resolve_fn)(const char *ref, const char *base,
                                   char **hrefp, char *errstr,
                                   size_t errstr_size);

/* True when the element is to be left out with its subtree. */
typedef int (*markdown_skip_fn)(const void *opaque, const xmlNode *node);

/* Returns nonzero when the caller's CPU budget for the page is spent. */
typedef int (*markdown_budget_fn)(void *opaque);

typedef struct markdown_opts {
        markdown_mode_t mode;
        size_t max_bytes;     /* output cap; 0: 1 MiB                        */
        size_t max_depth;     /* nesting rendered; 0: 512                    */
        const char *base_url; /* links and images resolve on it  */
        markdown_resolve_fn resolve; /* NULL: links and images dropped  */
        markdown_skip_fn skip;       /* may be NULL                     */
        const void *skip_opaque;
        markdown_budget_fn budget; /* may be NULL                       */
        void *budget_opaque;
} markdown_opts_t;

/*
 * Appends nodes[0, n) (in order, each with its subtree) to `out`, which
 * the caller owns (its own max is ignored: opts->max_bytes caps what this
 * call appends). Sets *truncated when the cap cut the output. Returns 0,
 * or -1 when out of memory or the budget ran out (errstr says which).
 */
int markdown_render(xmlNodePtr const *nodes, size_t n,
                    const markdown_opts_t *opts, dynbuf_t *out, int *truncated,
                    char *errstr, size_t errstr_size);

/*
 * Appends plain `text` (paragraphs split on blank lines, lines on line
 * breaks), escaped for opts->mode, to `out`: for text a page gives only in
 * its metadata (a JSON-LD articleBody). Returns as markdown_render().
 */
int markdown_render_text(const char *text, const markdown_opts_t *opts,
                         dynbuf_t *out, int *truncated, char *errstr,
                         size_t errstr_size);

#endif /* KCRAWL_MARKDOWN_H */
