/*
 * visibility.c — the inline markup that hides an element (visibility.h).
 * Written by hand: libxml2 has no CSS parser, and only two declarations
 * of an inline style are looked at.
 */
#include "visibility.h"

#include <stddef.h>
#include <strings.h>

static int css_ws(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static const char *skip_ws(const char *s)
{
        while (css_ws(*s))
                s++;
        return s;
}

/* The word `lit` (lower-case) at s, compared without regard to case; the
 * position after it, or NULL. */
static const char *word_at(const char *s, const char *lit, size_t n)
{
        if (strncasecmp(s, lit, n) != 0)
                return NULL;
        return s + n;
}

/* True when the declaration at s (up to ';' or the end) is prop: value. */
static int declares(const char *s, const char *prop, size_t pn,
                    const char *value, size_t vn)
{
        s = word_at(skip_ws(s), prop, pn);
        if (s == NULL)
                return 0;
        s = skip_ws(s);
        if (*s != ':')
                return 0;
        s = word_at(skip_ws(s + 1), value, vn);
        if (s == NULL)
                return 0;
        s = skip_ws(s);
        return *s == '\0' || *s == ';' || *s == '!';
}

int visibility_style_hides(const char *style)
{
        const char *s = style;

        if (s == NULL)
                return 0;
        for (;;) {
                if (declares(s, "display", 7, "none", 4) ||
                    declares(s, "visibility", 10, "hidden", 6))
                        return 1;
                while (*s != '\0' && *s != ';')
                        s++;
                if (*s == '\0')
                        return 0;
                s++;
        }
}

int visibility_attr_hides(const char *name, const char *value)
{
        if (strcasecmp(name, "hidden") == 0)
                return 1;
        return strcasecmp(name, "style") == 0 && visibility_style_hides(value);
}
