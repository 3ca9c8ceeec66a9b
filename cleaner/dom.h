/*
 * dom.h — small read-only helpers on libxml2's HTML tree, shared by the
 * modules that walk it (maincontent.c, markdown.c, articlemeta.c).
 */
#ifndef KCRAWL_DOM_H
#define KCRAWL_DOM_H

#include <strings.h>

#include <libxml/tree.h>

/* The value of attribute `name` (ASCII case-insensitive) of element `n`:
 * its text, "" when it has no text child, NULL when it is absent. The
 * HTML parser stores an attribute's value as one text node. */
static inline const char *dom_attr(const xmlNode *n, const char *name)
{
        const xmlAttr *a;

        for (a = n->properties; a != NULL; a = a->next) {
                /* The first bytes first: most attributes differ there
                 * (equal bytes, ASCII case aside, stay equal by | 0x20). */
                if (a->name != NULL &&
                    (a->name[0] | 0x20) == (name[0] | 0x20) &&
                    strcasecmp((const char *)a->name, name) == 0) {
                        if (a->children != NULL &&
                            a->children->type == XML_TEXT_NODE &&
                            a->children->content != NULL)
                                return (const char *)a->children->content;
                        return "";
                }
        }
        return NULL;
}

#endif /* KCRAWL_DOM_H */
