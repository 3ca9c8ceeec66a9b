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
 * starting with '<', without NUL (a JSON-LD block's too: the caller puts
 * back what the record reads). A parse of the page
 * without those bytes builds the same tree less those text nodes, when
 * the scan tokenised the page as libxml2 does: the caller checks that the
 * parser opened each element where its '>' is (pagescan.c).
 */
size_t prescan_page_bodies(const char *html, size_t len, size_t cap,
                           size_t *at, unsigned *found,
                           prescan_bodies_t *bodies);
void prescan_bodies_free(prescan_bodies_t *b);

/* One attribute value a parse can do without: the bytes [from, to) of the
 * page between its quotes, of the attribute whose name is [name, name +
 * name_len), the index-th of its start tag. */
typedef struct prescan_value {
        size_t from, to;
        size_t name;
        unsigned short name_len, index;
} prescan_value_t;

/* A start tag with such values: the offset at which libxml2 ends reading
 * its attributes (its '>', or the '/' of "/>"), its attribute count and
 * its values v[first, first + n) of prescan_values_t. */
typedef struct prescan_tag {
        size_t end;
        size_t first;
        unsigned short natts, n;
} prescan_tag_t;

typedef struct prescan_values {
        prescan_value_t *v; /* in page order */
        size_t n, cap;
        prescan_tag_t *tags; /* in page order */
        size_t tags_n, tags_cap;
        int oom; /* a value could not be listed: use none */
} prescan_values_t;

/* The shortest value worth listing: each costs its bookkeeping and a copy
 * where libxml2 takes some 100 instructions a byte (htmlParseHTMLAttribute()
 * reads a value a character at a time). */
#define PRESCAN_VALUE_MIN 8
/* The most attributes a start tag with such values has. */
#define PRESCAN_TAG_ATTS_MAX 64

/*
 * As prescan_page_bodies(), also listing in *values (zeroed by the
 * caller, freed with prescan_values_free(); NULL for none) the quoted
 * attribute values of at least PRESCAN_VALUE_MIN bytes that libxml2 would
 * hand to startElement exactly as written: without '&' (it decodes
 * character references) or NUL (it stops there), in a start tag that is
 * not html, head, body or meta (parsed otherwise) and whose attributes are
 * all plain (names of fewer than 100 name characters, no token skipped as
 * no name, no name twice, at most 64 of them, an end before the page's).
 * A parse of the page with those values emptied ("") hands the same
 * events with "" in their place, when the scan tokenised the page as
 * libxml2 does: the caller checks that each such tag's attributes end
 * where its end is and puts the values back (pagescan.c). bodies may be
 * NULL when values is not.
 */
size_t prescan_page_elide(const char *html, size_t len, size_t cap, size_t *at,
                          unsigned *found, prescan_bodies_t *bodies,
                          prescan_values_t *values);
void prescan_values_free(prescan_values_t *v);

#endif /* KCRAWL_PRESCAN_H */
