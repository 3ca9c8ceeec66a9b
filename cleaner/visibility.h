/*
 * visibility.h — whether an element's own markup hides it from a reader:
 * the `hidden` attribute, or an inline style declaring `display: none` or
 * `visibility: hidden`. One test for the page scan's `text` (pagescan.c)
 * and for main content (maincontent.c). Stylesheets and classes are not
 * read here. Thread-safety: pure functions.
 */
#ifndef KCRAWL_VISIBILITY_H
#define KCRAWL_VISIBILITY_H

/* True when the inline style `style` (a style attribute's value) declares
 * display:none or visibility:hidden: property and value compared without
 * regard to case, spaces around the colon and a trailing `!important`
 * allowed. NULL is false. */
int visibility_style_hides(const char *style);

/* True when an attribute name="value" of an element hides it: `hidden`
 * (any value) or a `style` that visibility_style_hides(). Names compared
 * without regard to case; value may be NULL for a value-less attribute. */
int visibility_attr_hides(const char *name, const char *value);

#endif
