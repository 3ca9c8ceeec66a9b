/*
 * maincontent.h — the main content of a page: which nodes of its libxml2
 * HTML tree hold what the page is about, without navigation, headers,
 * footers, sidebars, related-content, share, cookie and newsletter blocks,
 * ads, comments (kept on forum and Q&A pages, where the posts are the
 * content) and hidden elements.
 *
 * Furniture named by tag (<nav>, <header>, <footer>, <aside>) or by class
 * and id hints, hidden subtrees (the hidden attribute, inline display:none
 * or visibility:hidden) and <noscript> are dropped unless one holds most of
 * the page's text (a page that shows its content by script, a tree that
 * libxml2 mis-nested); comment sections always, except on forums.
 *
 * The finder scores candidate blocks as readers' tools do (Readability,
 * trafilatura): paragraphs give their text to their ancestors; a block's
 * score is weighed by its link density, its tag, hints in its class and id,
 * and the structure the page declares (<main>, <article>,
 * itemprop=articleBody); the best block is taken with the siblings that
 * score near it. The page's own JSON-LD articleBody is a hint. Then, inside
 * the chosen blocks, furniture left over (link lists, share bars) is marked
 * to be skipped by whoever serialises them (markdown.h).
 *
 * Every walk is iterative (parent pointers, no recursion), stops at
 * `max_nodes` elements and does not descend past `max_depth`.
 *
 * While a maincontent_t lives it keeps per-element data in the `_private`
 * field of the tree's element nodes; maincontent_destroy() clears them.
 * Thread-safety: one maincontent_t per tree; no global state.
 */
#ifndef KCRAWL_MAINCONTENT_H
#define KCRAWL_MAINCONTENT_H

#include <stddef.h>

#include <libxml/tree.h>

/* Returns nonzero when the caller's CPU budget for the page is spent. */
typedef int (*maincontent_budget_fn)(void *opaque);

typedef struct maincontent_opts {
        size_t max_nodes; /* elements looked at; 0: 1,000,000            */
        size_t max_depth; /* nesting looked into; 0: 512                 */
        maincontent_budget_fn budget; /* may be NULL                     */
        void *budget_opaque;
        struct jsonld_cache *jsonld; /* the page's parsed JSON-LD, shared
                                      * (jsonld.h); may be NULL */
} maincontent_opts_t;

typedef struct maincontent maincontent_t;

/*
 * Finds the main content of `doc`. Returns 0 and a new maincontent_t in
 * *mcp (the caller destroys it; the tree must outlive it), or -1 when out
 * of memory or the budget ran out (errstr says which). A page without main
 * content (a login wall, a script shell) succeeds with no nodes.
 */
int maincontent_find(xmlDocPtr doc, const maincontent_opts_t *opts,
                     maincontent_t **mcp, char *errstr, size_t errstr_size);

/* The chosen nodes, in document order; *n_nodes may be 0. */
xmlNodePtr const *maincontent_nodes(const maincontent_t *mc, size_t *n_nodes);

/*
 * True when the element `node` (inside a chosen node) is furniture or
 * hidden and is to be left out with its subtree.
 */
int maincontent_skip(const maincontent_t *mc, const xmlNode *node);

/*
 * The page's JSON-LD articleBody (or text) when it gave one and no block of
 * the page holds it (a script-driven page); NULL otherwise. Owned by mc.
 */
const char *maincontent_fallback_text(const maincontent_t *mc);

/* True when the page is a forum thread or Q&A page (posts are content). */
int maincontent_is_forum(const maincontent_t *mc);

void maincontent_destroy(maincontent_t *mc);

#endif /* KCRAWL_MAINCONTENT_H */
