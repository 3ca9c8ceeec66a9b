/*
 * pagescan.h — one pass over a page: its facts (pagefacts.h) from its
 * bytes.
 *
 * The page's bytes are decoded by charset (charset.h), checked for start
 * tags libxml2 would take quadratic time over (prescan.h), and parsed by
 * libxml2's HTML parser, whose events drive the collection of the facts:
 * with no tree built (SAX) unless one is asked for, or the page needs it
 * (a text node over libxml2's limit), then with the tree builder's
 * callbacks and one iterative walk of the tree. Both ways give the same
 * facts (test_extract.c checks the records byte for byte). Then what needs
 * the whole page is done: <base href> (the first counts, wherever it is),
 * the links and images resolved and de-duplicated within their caps, the
 * meta header re-emitted as JSON.
 *
 * The CPU-time budget (page_t.budget_ms) is checked in the parser's
 * callbacks and error reports and in the walk, reading the thread's CPU
 * clock only once the wall time since the start could have used the rest
 * of the budget (CPU time of one thread never runs faster than the wall
 * clock), so a normal page reads it once; libxml2 is stopped with
 * xmlStopParser() when it is over.
 *
 * Thread-safety: as extract.h: any thread, no shared mutable state.
 */
#ifndef KCRAWL_PAGESCAN_H
#define KCRAWL_PAGESCAN_H

#include "extract.h"
#include "pagefacts.h"

#include <stddef.h>

/* What a scan is asked for beyond the built-in facts. */
typedef struct pagescan_opts {
        int want_tree; /* keep the parsed document in facts->doc */
        int keep_raw;  /* the tree keeps the text of every script and
                        * style (a rule's selector may read it); else
                        * only where the record reads it (JSON-LD, an
                        * RDFa literal, a date or author by markup) */
} pagescan_opts_t;

/*
 * Scans `page` (which must outlive the facts). Returns 0 with *facts a new
 * page_facts_t (freed with pagefacts_free()), or -1 (the page cannot be
 * read: parse_failed) or EXTRACT_TIMEOUT (over its CPU-time budget, or
 * certain to be) with a reason in errstr and *facts NULL. opts may be
 * NULL (no tree).
 */
int pagescan_run(const page_t *page, const pagescan_opts_t *opts,
                 page_facts_t **facts, char *errstr, size_t errstr_size);

#endif /* KCRAWL_PAGESCAN_H */
