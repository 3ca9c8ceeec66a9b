/*
 * prescan.h — a cheap linear look at a page's bytes before libxml2 parses
 * them, for what would make libxml2 2.9.14's HTML parser superlinear
 * before any SAX callback runs (so before the extractor's CPU-time budget
 * can be checked).
 *
 * libxml2's htmlParseStartTag() compares each attribute name of a tag
 * with every earlier one (duplicate check), so one tag with n distinct
 * attributes costs n^2/2 string compares inside one call: 100,000
 * attributes take some 20 s, 300,000 some 160 s, and the tree builder
 * repeats the quadratic pass (xmlSAX2StartElement). The scan follows the
 * HTML parser's own tokenising (start tags and their attributes, quoted
 * values, end tags, comments, declarations, processing instructions and
 * the raw text of script and style) and reports the largest attribute
 * count of any start tag, as libxml2 would count it or more.
 *
 * Thread-safety: pure function, no state.
 */
#ifndef KCRAWL_PRESCAN_H
#define KCRAWL_PRESCAN_H

#include <stddef.h>

/*
 * Scans html[0, len) and returns the largest number of attributes a start
 * tag has; stops early, returning a value over `cap`, as soon as one tag has
 * more than `cap` (so the scan is linear whatever the page). When `at` is
 * not NULL it receives the byte offset of that tag's '<' (of the tag with
 * the most attributes otherwise).
 */
size_t prescan_max_attributes(const char *html, size_t len, size_t cap,
                              size_t *at);

/* prescan_page()'s findings: a start tag has an itemscope attribute
 * (microdata: the page needs its tree, structured.h). */
#define PRESCAN_ITEMSCOPE 0x1u
/* ... an attribute RDFa makes triples of (property, typeof, rel, rev,
 * role, vocab: rdfa.h), so RDFa reads the tree. */
#define PRESCAN_RDFA 0x4u
/* ... a class attribute with a microformats root class name (h-*, or a
 * classic root mf2py reads: microformats.h), so microformats read the
 * tree. */
#define PRESCAN_MF 0x8u

/* As prescan_max_attributes(), also setting *found to the PRESCAN_* bits
 * of what the start tags hold. Costs one length compare per attribute. */
size_t prescan_page(const char *html, size_t len, size_t cap, size_t *at,
                    unsigned *found);

/* The raw text of one script or style (bytes [from, to) of the page),
 * after its start tag's '>' (at gt), up to its end tag. */
typedef struct prescan_body {
        size_t gt, from, to;
} prescan_body_t;

typedef struct prescan_bodies {
        prescan_body_t *v; /* in page order */
        size_t n, cap;
        int oom; /* a body could not be listed: use none */
} prescan_bodies_t;

/*
 * As prescan_page(), also listing in *bodies (zeroed by the caller, freed
 * with prescan_bodies_free()) the raw text of the script and style
 * elements whose text libxml2 would read as one text node closed by the
 * element's own end tag: terminated, with no other end tag inside, not
 * starting with '<', without NUL, and for a script, with no "json" nor
 * '&' in its start tag (so never a JSON-LD block's). A parse of the page
 * without those bytes builds the same tree less those text nodes, when
 * the scan tokenised the page as libxml2 does: the caller checks that the
 * parser opened each element where its '>' is (pagescan.c).
 */
size_t prescan_page_bodies(const char *html, size_t len, size_t cap,
                           size_t *at, unsigned *found,
                           prescan_bodies_t *bodies);
void prescan_bodies_free(prescan_bodies_t *b);

#endif /* KCRAWL_PRESCAN_H */
