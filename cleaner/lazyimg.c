/*
 * lazyimg.c — the lazy-loading image choice (lazyimg.h). By hand: a
 * handful of attribute names and the first srcset candidate (HTML's
 * srcset: candidates split on commas, the URL before the first space).
 */
#include "lazyimg.h"

#include <string.h>
#include <strings.h>

static int img_ws(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

int lazyimg_placeholder(const char *src)
{
        return src == NULL || src[0] == '\0' ||
               strncasecmp(src, "data:", 5) == 0 ||
               strcasestr(src, "placeholder") != NULL ||
               strcasestr(src, "blank.gif") != NULL ||
               strcasestr(src, "spacer.gif") != NULL ||
               strcasestr(src, "pixel.gif") != NULL ||
               strcasestr(src, "lazy") != NULL;
}

const char *lazyimg_src(lazyimg_attr_fn get, const void *elem, char *buf,
                        size_t size)
{
        static const char *const lazy[] = { "data-src", "data-lazy-src",
                                            "data-original", NULL };
        const char *src = get(elem, "src");
        size_t i, j = 0;

        if (!lazyimg_placeholder(src))
                return src;
        for (i = 0; lazy[i] != NULL; i++) {
                const char *s = get(elem, lazy[i]);

                if (s != NULL && s[0] != '\0')
                        return s;
        }
        src = get(elem, "srcset");
        if (src == NULL)
                src = get(elem, "data-srcset");
        if (src == NULL || size == 0)
                return NULL;
        while (img_ws(*src))
                src++;
        while (src[j] != '\0' && !img_ws(src[j]) && src[j] != ',' &&
               j + 1 < size) {
                buf[j] = src[j];
                j++;
        }
        buf[j] = '\0';
        return j > 0 ? buf : NULL;
}
