/*
 * maincontent.c — finds the main content of a page (maincontent.h).
 *
 * Four passes over the elements, all iterative:
 *   1. hints: the page's JSON-LD (articleBody, forum and Q&A types) and
 *      microdata item types;
 *   2. a pre-order walk numbering the elements (their index rides in
 *      `_private`), marking furniture and hidden subtrees as dropped and
 *      counting text and link text where it sits;
 *   3. the counts summed up the tree (reverse pre-order: children before
 *      parents), paragraphs scored into their ancestors;
 *   4. the best candidate and its siblings chosen, and inside them what is
 *      left of the furniture (link lists, forms, image strips) marked to
 *      be skipped.
 */
#include "maincontent.h"
#include "dom.h"
#include "jsonld.h"
#include "visibility.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_tree.h>

/* A string value already checked with YAJL_IS_STRING(). */
#define SVAL(v) ((const char *)(v)->u.string)

#define DEFAULT_MAX_NODES 1000000u
#define DEFAULT_MAX_DEPTH 512u
#define HINT_MAX 256          /* bytes of class + id looked at      */
#define JSONLD_MAX (1u << 20) /* bytes of one JSON-LD script parsed */
#define BUDGET_EVERY 4096     /* elements between budget checks     */
#define MAX_CHOSEN 64
/* A page's comments are its content (comments_are_content()) when they
 * hold this many characters outside links, four times what was chosen,
 * and what was chosen has fewer than this. */
#define FORUM_MIN_COMMENTS 1000
#define FORUM_MAX_CHOSEN 200
#define HW_MAX 192 /* entries of the hint word lists, all together */
#define HW_BUCKETS 1024
#define HW_KEY(c0, c1)                                                 \
        ((((unsigned)(unsigned char)(c0)*33u) ^ (unsigned char)(c1)) & \
         (HW_BUCKETS - 1))
/* The best block is the content when it holds this share of the page's
 * text outside links, or this share of its prose (paragraph scores). */
#define BROAD_TEXT 0.5f
#define BROAD_PROSE 0.7f
/* When the best block does not, a block that holds the share, with fewer
 * links than this share of its text, stands in for it (choose()). */
#define ALT_MAX_LINKS 0.25f
#define ALT_MIN_PARAS 1 /* and at least this many <p> */
#define MIN_CONTENT \
        150 /* characters outside links of a page's content */ /* sibling blocks taken with the best */

enum {
        F_DROP = 1u << 0,     /* furniture or hidden: left out with subtree */
        F_INLINK = 1u << 1,   /* inside an <a>                              */
        F_CAND = 1u << 2,     /* has a score                                */
        F_SKIP = 1u << 3,     /* inside the content, but left out           */
        F_ARTBODY = 1u << 4,  /* itemprop=articleBody / role=main ...      */
        F_UNLIKELY = 1u << 5, /* furniture by class or id, unless it holds
                               * most of the page's text                 */
        F_UDROP = 1u << 6     /* dropped as F_UNLIKELY (or inside one)     */
};

/* mnode_t.cmt, on a page not known to be a forum: where its comments are,
 * to tell whether they are the page's content (comments_are_content()). */
enum {
        C_WEAK = 1u << 0,   /* hints of a comment (furniture, F_UNLIKELY) */
        C_STRONG = 1u << 1, /* of a comments section (always dropped)     */
        C_INSIDE = 1u << 2  /* inside one of those                        */
};

/* Tags the finder tells apart. */
enum {
        T_OTHER = 0,
        T_A,
        T_P,
        T_DIV,
        T_SECTION,
        T_ARTICLE,
        T_MAIN,
        T_PRE,
        T_TD,
        T_BLOCKQUOTE,
        T_UL,
        T_OL,
        T_LI,
        T_DL,
        T_DD,
        T_DT,
        T_H,
        T_TH,
        T_TABLE,
        T_FORM,
        T_IMG,
        T_INPUT,
        T_ACTION, /* an <input> that is a hidden value or a button */
        T_BODY,
        T_HEADER,
        T_FIGURE,
        T_ADDRESS,
        T_NOSCRIPT,
        T_DROPTAG, /* never content                                */
        T_NAV,     /* furniture by name                            */
        T_WIDGET,  /* never content either (a button, an iframe), but
                    * libxml2 2.9's tree can hang the rest of the page
                    * inside one whose end it did not see: dropped as
                    * furniture by name, unless it holds most of the page */
};

typedef struct mnode {
        xmlNodePtr node;
        int32_t parent; /* index, -1 for the walk's root */
        uint32_t text;  /* characters of text in the subtree       */
        uint32_t link;  /* of which inside links                   */
        uint32_t own;   /* characters of the element's own text     */
        uint32_t own_link, own_commas;
        uint32_t commas;
        uint32_t paras; /* <p> in the subtree                      */
        uint32_t lis, imgs, inputs, acts, heads;
        float score;
        float pscore; /* as a paragraph; then summed over the subtree */
        uint8_t tag;
        uint8_t flags;
        int8_t weight; /* class and id hints */
        uint8_t cmt;   /* C_ bits: a comments section by its hints   */
} mnode_t;

struct maincontent {
        xmlDocPtr doc;
        mnode_t *nodes;
        size_t n, cap;
        xmlNodePtr *chosen;
        size_t n_chosen;
        char *fallback;  /* JSON-LD articleBody */
        size_t body_len; /* its length          */
        int forum;
        int has_artbody;
        uint64_t cmt_text; /* comments_text(), when not a forum */
        /* The hint words of the lists below, bucketed by their first two
         * bytes (hint_index()): hw_head[HW_KEY(c0, c1)] is 1 + the first
         * entry starting with a pair of that key, hw_next[i] 1 + the next
         * one; 0 ends. */
        uint8_t hw_head[HW_BUCKETS];
        uint8_t hw_next[HW_MAX];
        uint8_t hw_bit[HW_MAX];
        uint8_t hw_len[HW_MAX];
        uint8_t hw_start[HW_MAX]; /* HS_ bits: where the word counts */
        const char *hw_word[HW_MAX];
        size_t n_hw;
};

/* ---- small helpers ---------------------------------------------------- */

static int tag_of(const xmlChar *name)
{
        static const struct {
                const char *name;
                int tag;
        } tags[] = {
                { "a", T_A },
                { "p", T_P },
                { "div", T_DIV },
                { "section", T_SECTION },
                { "article", T_ARTICLE },
                { "main", T_MAIN },
                { "pre", T_PRE },
                { "td", T_TD },
                { "blockquote", T_BLOCKQUOTE },
                { "ul", T_UL },
                { "ol", T_OL },
                { "li", T_LI },
                { "dl", T_DL },
                { "dd", T_DD },
                { "dt", T_DT },
                { "h1", T_H },
                { "h2", T_H },
                { "h3", T_H },
                { "h4", T_H },
                { "h5", T_H },
                { "h6", T_H },
                { "th", T_TH },
                { "table", T_TABLE },
                { "form", T_FORM },
                { "img", T_IMG },
                { "input", T_INPUT },
                { "textarea", T_INPUT },
                { "select", T_WIDGET },
                { "button", T_WIDGET },
                { "body", T_BODY },
                { "header", T_HEADER },
                { "figure", T_FIGURE },
                { "address", T_ADDRESS },
                { "script", T_DROPTAG },
                { "style", T_DROPTAG },
                { "noscript", T_NOSCRIPT },
                { "template", T_DROPTAG },
                { "iframe", T_WIDGET },
                { "svg", T_WIDGET },
                { "canvas", T_WIDGET },
                { "object", T_WIDGET },
                { "embed", T_WIDGET },
                { "head", T_DROPTAG },
                { "title", T_DROPTAG },
                { "link", T_DROPTAG },
                { "meta", T_DROPTAG },
                { "option", T_DROPTAG },
                { "dialog", T_WIDGET },
                { "figcaption", T_DROPTAG },
                { "nav", T_NAV },
                { "footer", T_NAV },
                { "aside", T_NAV },
                { "menu", T_NAV },
        };
        size_t i;

        if (name == NULL)
                return T_OTHER;
        for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
                if (name[0] == (xmlChar)tags[i].name[0] &&
                    strcmp((const char *)name, tags[i].name) == 0)
                        return tags[i].tag;
        return T_OTHER;
}

/* The attributes walk_count() reads of an element, each as dom_attr()
 * gives it (the first of that name), found in one pass over the
 * attributes: a dom_attr() call each, some of them repeated, was most of
 * walk_count()'s time on pages of many attributes. */
typedef struct eattrs {
        const char *cls, *id, *itemprop, *role, *hidden, *style;
} eattrs_t;

static void attrs_of(const xmlNode *n, eattrs_t *e)
{
        const xmlAttr *a;

        memset(e, 0, sizeof(*e));
        for (a = n->properties; a != NULL; a = a->next) {
                const char *name = (const char *)a->name, *v;
                const char **slot = NULL;

                if (name == NULL)
                        continue;
                switch (name[0] | 0x20) {
                case 'c':
                        if (strcasecmp(name, "class") == 0)
                                slot = &e->cls;
                        break;
                case 'i':
                        if (strcasecmp(name, "id") == 0)
                                slot = &e->id;
                        else if (strcasecmp(name, "itemprop") == 0)
                                slot = &e->itemprop;
                        break;
                case 'r':
                        if (strcasecmp(name, "role") == 0)
                                slot = &e->role;
                        break;
                case 'h':
                        if (strcasecmp(name, "hidden") == 0)
                                slot = &e->hidden;
                        break;
                case 's':
                        if (strcasecmp(name, "style") == 0)
                                slot = &e->style;
                        break;
                default:
                        break;
                }
                if (slot == NULL || *slot != NULL)
                        continue;
                v = "";
                if (a->children != NULL &&
                    a->children->type == XML_TEXT_NODE &&
                    a->children->content != NULL)
                        v = (const char *)a->children->content;
                *slot = v;
        }
}

/* The element's class and id, lower-cased, in buf ("" when none): the
 * class cut to size - 1 bytes, then " " and the id when two bytes are
 * left, cut to what is (as snprintf() would). */
static void hints_of(const eattrs_t *e, char *buf, size_t size)
{
        size_t len = 0, i;

        buf[0] = '\0';
        if (e->cls != NULL) {
                len = strnlen(e->cls, size - 1);
                memcpy(buf, e->cls, len);
                buf[len] = '\0';
        }
        if (e->id != NULL && len + 2 < size) {
                size_t n = strnlen(e->id, size - len - 2);

                buf[len] = ' ';
                memcpy(buf + len + 1, e->id, n);
                buf[len + 1 + n] = '\0';
        }
        for (i = 0; buf[i] != '\0'; i++)
                buf[i] = (char)tolower((unsigned char)buf[i]);
}


/* True when `s` has `word` as a whole token (tokens split on spaces). */
static int has_token(const char *s, const char *word)
{
        size_t wl = strlen(word);
        const char *p = strstr(s, word);

        while (p != NULL) {
                int before = p == s || isspace((unsigned char)p[-1]);
                int after = p[wl] == '\0' || isspace((unsigned char)p[wl]);

                if (before && after)
                        return 1;
                p = strstr(p + wl, word);
        }
        return 0;
}

/* Furniture by class or id, whatever the tag (Readability's
 * "unlikely candidates", with the cookie, consent and newsletter banners
 * of today's pages). */
static const char *const unlikely[] = {
        "banner",     "breadcrumb",   "combx",      "comment",
        "community",  "cookie",       "consent",    "gdpr",
        "disqus",     "footer",       "masthead",   "menu",
        "related",    "remark",       "replies",    "rss",
        "shoutbox",   "sidebar",      "skyscraper", "social",
        "sponsor",    "supplemental", "ad-break",   "agegate",
        "pagination", "pager",        "popup",      "modal",
        "newsletter", "subscribe",    "signup",     "share",
        "sharing",    "promo",        "outbrain",   "taboola",
        "advert",     "navbar",       "navigation", "skip-link",
        "skiplink",   "toolbar",      "recommend",  "read-more",
        "readmore",   "more-stories", "trending",   "popular",
        NULL
};
/* ... unless the same hints also say it is content. */
static const char *const maybe[] = { "article", "body",   "column", "content",
                                     "main",    "shadow", "post",   "entry",
                                     "story",   "text",   NULL };
/* Forum and Q&A pages: comments and replies are the content. */
static const char *const forum_ok[] = { "comment", "replies", "community",
                                        "remark", NULL };
/* Comment sections: furniture however long, except on forums. */
static const char *const comments[] = { "comments",    "comment-list",
                                        "commentlist", "comments-area",
                                        "disqus",      NULL };
static const char *const negative[] = {
        "hidden",   "banner",   "combx",      "comment",  "contact",
        "foot",     "footnote", "gdpr",       "masthead", "meta",
        "outbrain", "promo",    "related",    "scroll",   "share",
        "shoutbox", "sidebar",  "skyscraper", "sponsor",  "shopping",
        "tags",     "tool",     "byline",     "author",   "caption",
        "credit",   NULL
};
static const char *const positive[] = {
        "article", "body", "content", "entry", "hentry", "h-entry", "main",
        "page",    "post", "text",    "blog",  "story",  "prose",   NULL
};

/* Which of the lists above have a word in the hints: one bit a list. */
enum {
        HW_UNLIKELY = 1u << 0,
        HW_MAYBE = 1u << 1,
        HW_FORUM_OK = 1u << 2,
        HW_COMMENTS = 1u << 3,
        HW_NEGATIVE = 1u << 4,
        HW_POSITIVE = 1u << 5
};

/* Where in the hints a word of the lists counts (mc->hw_start): anywhere
 * (0); where a class token starts (HS_TOKEN); where a word of a class
 * token starts, after "-" or "_" too (HS_WORD: the negative and the
 * unlikely words, so that "site-footer" and "post-tags" count but
 * "heroBanner" (lower-cased "herobanner"), "glossarytooltips" or
 * "metadata" in mid-word do not). */
enum { HS_TOKEN = 1, HS_WORD = 2 };

static int starts_right(unsigned hs, const char *h, const char *p)
{
        if (hs == 0 || p == h || p[-1] == ' ')
                return 1;
        return hs == HS_WORD && (p[-1] == '-' || p[-1] == '_');
}

/* Words of the lists above that count only at the start of a class
 * token: "hidden-xs" is a copy of the content for some screens, but
 * "overflow-hidden", "visually-hidden" or Tailwind's "md:hidden" say
 * nothing of what the element holds (a whole "hidden" token hides it:
 * is_hidden()). */
static int at_token_start(const char *w)
{
        return strcmp(w, "hidden") == 0;
}

/* The lists' words bucketed by their first two bytes (every word has
 * two or more), so that the hints of an element are matched against all
 * of them in one pass over the hints (a strstr() per word and element was
 * a twentieth of the extraction; by first byte alone, a class's every 's'
 * or 'c' went through some fifteen words). */
static void hint_index(maincontent_t *mc)
{
        static const struct {
                const char *const *words;
                uint8_t bit;
        } lists[] = {
                { unlikely, HW_UNLIKELY }, { maybe, HW_MAYBE },
                { forum_ok, HW_FORUM_OK }, { comments, HW_COMMENTS },
                { negative, HW_NEGATIVE }, { positive, HW_POSITIVE },
        };
        size_t l, i;

        memset(mc->hw_head, 0, sizeof(mc->hw_head));
        mc->n_hw = 0;
        /* Backwards, so that each bucket lists its words in list order. */
        for (l = sizeof(lists) / sizeof(lists[0]); l-- > 0;) {
                size_t n = 0;

                while (lists[l].words[n] != NULL)
                        n++;
                for (i = n; i-- > 0 && mc->n_hw < HW_MAX;) {
                        const char *w = lists[l].words[i];
                        unsigned c = HW_KEY(w[0], w[1]);

                        mc->hw_word[mc->n_hw] = w;
                        mc->hw_len[mc->n_hw] = (uint8_t)strlen(w);
                        mc->hw_bit[mc->n_hw] = lists[l].bit;
                        mc->hw_start[mc->n_hw] =
                                at_token_start(w) ? HS_TOKEN
                                : (lists[l].bit & (HW_NEGATIVE | HW_UNLIKELY))
                                        ? HS_WORD
                                        : 0;
                        mc->hw_next[mc->n_hw] = mc->hw_head[c];
                        mc->hw_head[c] = (uint8_t)++mc->n_hw;
                }
        }
}

/* The HW_ bits of one class token: a content word in the same token as
 * a furniture word names a part of the furniture ("modal-body",
 * "sidebar-content", "menu-main"), not content. */
static unsigned token_bits(unsigned tok)
{
        if ((tok & HW_UNLIKELY) && (tok & HW_MAYBE))
                tok &= ~(unsigned)HW_MAYBE;
        return tok;
}

/* The HW_ bits of the lists that have a word somewhere in h, token by
 * token (token_bits()). */
static unsigned hint_mask(const maincontent_t *mc, const char *h)
{
        unsigned mask = 0, tok = 0;
        const char *p;

        for (p = h; p[0] != '\0'; p++) {
                unsigned e;

                if (p[0] == ' ') {
                        mask |= token_bits(tok);
                        tok = 0;
                        continue;
                }
                if (p[1] == '\0')
                        break;
                e = mc->hw_head[HW_KEY(p[0], p[1])];
                while (e != 0) {
                        const char *w;

                        e--;
                        w = mc->hw_word[e];
                        /* The first two characters first: most
                         * candidates of a bucket end there, without a
                         * call. */
                        if ((tok & mc->hw_bit[e]) == 0 && p[0] == w[0] &&
                            p[1] == w[1] &&
                            strncmp(p, w, mc->hw_len[e]) == 0 &&
                            starts_right(mc->hw_start[e], h, p))
                                tok |= mc->hw_bit[e];
                        e = mc->hw_next[e];
                }
        }
        return mask | token_bits(tok);
}

static int class_weight(unsigned hm, int forum)
{
        int w = 0;

        if ((hm & HW_NEGATIVE) && !(forum && (hm & HW_FORUM_OK)))
                w -= 25;
        if (hm & HW_POSITIVE)
                w += 25;
        return w;
}

/* hidden attribute, or an inline style that hides (visibility.h), or a
 * class that does. */
static int is_hidden(const eattrs_t *e, const char *h)
{
        if (e->hidden != NULL || visibility_style_hides(e->style))
                return 1;
        if (h[0] == '\0')
                return 0;
        if (has_token(h, "sr-only") || has_token(h, "visually-hidden") ||
            has_token(h, "screen-reader-text") || has_token(h, "hidden") ||
            has_token(h, "hide"))
                return 1;
        return 0;
}

static mnode_t *info(const maincontent_t *mc, const xmlNode *n)
{
        uintptr_t i = (uintptr_t)n->_private;

        if (i == 0 || i > mc->n || mc->nodes[i - 1].node != n)
                return NULL;
        return &mc->nodes[i - 1];
}

/* The next node in pre-order within root; NULL when done. */
static xmlNodePtr next_node(xmlNodePtr n, xmlNodePtr root, int descend,
                            size_t *depth)
{
        if (descend && n->children != NULL) {
                (*depth)++;
                return n->children;
        }
        while (n != root) {
                if (n->next != NULL)
                        return n->next;
                n = n->parent;
                if (n == NULL)
                        return NULL;
                (*depth)--;
        }
        return NULL;
}

/* Characters of text, each run of white space counting as one. */
static uint32_t text_len(const xmlChar *s, uint32_t *commas)
{
        uint32_t len = 0;
        int space = 1;

        if (s == NULL)
                return 0;
        for (; *s != '\0'; s++) {
                if (isspace(*s)) {
                        if (!space)
                                len++;
                        space = 1;
                        continue;
                }
                space = 0;
                if ((*s & 0xC0) != 0x80)
                        len++;
                if (*s == ',')
                        (*commas)++;
        }
        return len;
}

/* ---- pass 1: JSON-LD and microdata hints ------------------------------ */

static int forum_type(const char *t)
{
        return strcmp(t, "DiscussionForumPosting") == 0 ||
               strcmp(t, "QAPage") == 0 || strcmp(t, "Question") == 0 ||
               strcmp(t, "SocialMediaPosting") == 0;
}

static void jsonld_walk(maincontent_t *mc, yajl_val root);

static void jsonld_walk_cb(void *ctx, yajl_val root)
{
        jsonld_walk(ctx, root);
}

static void jsonld_walk(maincontent_t *mc, yajl_val root)
{
        /* Iterative walk with an explicit, capped stack. */
        yajl_val stack[256];
        size_t top = 0, i;

        stack[top++] = root;
        while (top > 0) {
                yajl_val v = stack[--top];

                if (YAJL_IS_ARRAY(v)) {
                        for (i = 0; i < v->u.array.len && top < 256; i++)
                                stack[top++] = v->u.array.values[i];
                        continue;
                }
                if (!YAJL_IS_OBJECT(v))
                        continue;
                for (i = 0; i < v->u.object.len; i++) {
                        const char *k = v->u.object.keys[i];
                        yajl_val x = v->u.object.values[i];

                        if (strcmp(k, "@type") == 0) {
                                if (YAJL_IS_STRING(x) && forum_type(SVAL(x)))
                                        mc->forum = 1;
                                if (YAJL_IS_ARRAY(x)) {
                                        size_t j;
                                        for (j = 0; j < x->u.array.len; j++)
                                                if (YAJL_IS_STRING(
                                                            x->u.array.values
                                                                    [j]) &&
                                                    forum_type(SVAL(
                                                            x->u.array.values
                                                                    [j])))
                                                        mc->forum = 1;
                                }
                        } else if (strcmp(k, "articleBody") == 0 &&
                                   YAJL_IS_STRING(x)) {
                                size_t l = strlen(SVAL(x));

                                if (l > mc->body_len) {
                                        char *c = strdup(SVAL(x));

                                        if (c != NULL) {
                                                free(mc->fallback);
                                                mc->fallback = c;
                                                mc->body_len = l;
                                        }
                                }
                        } else if ((YAJL_IS_OBJECT(x) || YAJL_IS_ARRAY(x)) &&
                                   top < 256) {
                                stack[top++] = x;
                        }
                }
        }
}

static void scan_hints(maincontent_t *mc, xmlNodePtr root, jsonld_cache_t *jc)
{
        xmlNodePtr n = root;
        size_t depth = 0, seen = 0;

        while (n != NULL && seen < DEFAULT_MAX_NODES) {
                int descend = 1;

                if (n->type == XML_ELEMENT_NODE) {
                        const char *name = (const char *)n->name;

                        seen++;
                        if (strcmp(name, "script") == 0) {
                                const char *type = dom_attr(n, "type");

                                descend = 0;
                                if (type != NULL &&
                                    strcasestr(type, "ld+json") != NULL &&
                                    n->children != NULL &&
                                    n->children->content != NULL) {
                                        const char *s =
                                                (const char *)
                                                        n->children->content;

                                        jsonld_each_tree_in(
                                                jc, (const unsigned char *)s,
                                                strlen(s), JSONLD_MAX,
                                                jsonld_walk_cb, mc);
                                }
                        } else if (strcmp(name, "style") == 0) {
                                descend = 0;
                        } else {
                                const char *it = dom_attr(n, "itemtype");

                                if (it != NULL &&
                                    (strstr(it, "DiscussionForumPosting") ||
                                     strstr(it, "QAPage") ||
                                     strstr(it, "/Question")))
                                        mc->forum = 1;
                        }
                }
                n = next_node(n, root, descend, &depth);
        }
}

/* ---- pass 2: number, drop, count -------------------------------------- */

static int push_node(maincontent_t *mc, xmlNodePtr n, int32_t parent)
{
        mnode_t *m;

        if (mc->n == mc->cap) {
                size_t cap = mc->cap ? mc->cap * 2 : 1024;
                mnode_t *p = realloc(mc->nodes, cap * sizeof(*p));

                if (p == NULL)
                        return -1;
                mc->nodes = p;
                mc->cap = cap;
        }
        m = &mc->nodes[mc->n];
        memset(m, 0, sizeof(*m));
        m->node = n;
        m->parent = parent;
        mc->n++;
        n->_private = (void *)(uintptr_t)mc->n;
        return 0;
}

/* What an <input> or <textarea> is to the finder: T_INPUT, a field that
 * asks for words (a search box, an e-mail address, a message: furniture
 * forms have them); T_ACTION, a hidden value or a button (a "want to read"
 * or "add to cart" form, furniture unless beside a heading: the card of a
 * product grid); T_OTHER, a quantity (type=number), which a product card
 * has too. */
static int input_kind(const xmlNode *n)
{
        static const char *const actions[] = { "hidden", "submit", "button",
                                               "image",  "reset",  NULL };
        const char *type = dom_attr(n, "type");
        size_t i;

        if (type == NULL || n->name == NULL ||
            strcmp((const char *)n->name, "input") != 0)
                return T_INPUT;
        if (strcasecmp(type, "number") == 0)
                return T_OTHER;
        for (i = 0; actions[i] != NULL; i++)
                if (strcasecmp(type, actions[i]) == 0)
                        return T_ACTION;
        return T_INPUT;
}

static int is_artbody(const eattrs_t *e, int tag)
{
        const char *ip = e->itemprop;
        const char *role = e->role;

        if (ip != NULL && (strstr(ip, "articleBody") || strstr(ip, "text")))
                return 1;
        if (role != NULL && strcmp(role, "main") == 0)
                return 1;
        return tag == T_MAIN;
}

static int walk_count(maincontent_t *mc, xmlNodePtr root,
                      const maincontent_opts_t *o, char *errstr,
                      size_t errstr_size)
{
        size_t max_nodes = o->max_nodes ? o->max_nodes : DEFAULT_MAX_NODES;
        size_t max_depth = o->max_depth ? o->max_depth : DEFAULT_MAX_DEPTH;
        xmlNodePtr n = root;
        size_t depth = 0;
        char h[HINT_MAX];

        while (n != NULL) {
                int descend = 0;

                if (n->type == XML_ELEMENT_NODE) {
                        mnode_t *p = n->parent ? info(mc, n->parent) : NULL;
                        int32_t pi = p ? (int32_t)(p - mc->nodes) : -1;
                        int tag = tag_of(n->name);
                        mnode_t *m;
                        int drop = 0, inart, incmt;
                        unsigned hm;
                        eattrs_t e;
                        int artbody;

                        if (mc->n >= max_nodes)
                                break;
                        if (o->budget != NULL && mc->n % BUDGET_EVERY == 0 &&
                            o->budget(o->budget_opaque)) {
                                snprintf(errstr, errstr_size,
                                         "main content: CPU budget spent");
                                return -1;
                        }
                        if (push_node(mc, n, pi) < 0) {
                                snprintf(errstr, errstr_size,
                                         "main content: out of memory");
                                return -1;
                        }
                        m = &mc->nodes[mc->n - 1];
                        p = pi >= 0 ? &mc->nodes[pi] : NULL;
                        if (tag == T_INPUT)
                                tag = input_kind(n);
                        m->tag = (uint8_t)tag;
                        attrs_of(n, &e);
                        artbody = is_artbody(&e, tag);
                        hints_of(&e, h, sizeof(h));
                        hm = h[0] != '\0' ? hint_mask(mc, h) : 0;
                        m->weight = (int8_t)class_weight(hm, mc->forum);
                        inart = p != NULL && (p->flags & F_ARTBODY);
                        incmt = p != NULL && p->cmt != 0;
                        if (incmt)
                                m->cmt = C_INSIDE;
                        if (artbody || tag == T_ARTICLE || inart) {
                                m->flags |= F_ARTBODY;
                                if (tag != T_ARTICLE && artbody && !incmt)
                                        mc->has_artbody = 1;
                        }
                        if (!mc->forum && !incmt && tag != T_BODY &&
                            tag != T_ARTICLE && !artbody &&
                            (hm & (HW_COMMENTS | HW_FORUM_OK)))
                                m->cmt = C_WEAK;
                        if (p != NULL && (p->flags & F_INLINK))
                                m->flags |= F_INLINK;
                        if (tag == T_A)
                                m->flags |= F_INLINK;
                        if (tag == T_DROPTAG)
                                drop = 1;
                        else if (tag == T_NAV || tag == T_WIDGET ||
                                 (tag == T_HEADER && !inart))
                                /* Furniture by name, unless a mis-nested
                                 * tree put most of the page inside it
                                 * (libxml2 2.9 does not know HTML5's
                                 * sectioning elements). */
                                m->flags |= F_UNLIKELY;
                        else if (!mc->forum && tag != T_BODY &&
                                 tag != T_ARTICLE && !artbody &&
                                 (hm & HW_COMMENTS)) {
                                /* A comments section, however long (before
                                 * the "unless it holds most of the text" of
                                 * furniture by hints): walked all the same,
                                 * to weigh it. */
                                drop = 1;
                                if (!incmt)
                                        m->cmt = C_STRONG;
                        } else if (is_hidden(&e, h) || tag == T_NOSCRIPT)
                                /* Unless it holds most of the text: a page
                                 * that shows its content by script. */
                                m->flags |= F_UNLIKELY;
                        else if (tag != T_BODY && tag != T_A &&
                                 tag != T_ARTICLE && tag != T_MAIN &&
                                 !(m->flags & F_ARTBODY && !inart) &&
                                 (hm & HW_UNLIKELY) &&
                                 !(mc->forum && (hm & HW_FORUM_OK)) &&
                                 !(hm & HW_MAYBE))
                                m->flags |= F_UNLIKELY;
                        else if (e.role != NULL &&
                                 (strcmp(e.role, "navigation") == 0 ||
                                  strcmp(e.role, "contentinfo") == 0 ||
                                  strcmp(e.role, "banner") == 0 ||
                                  strcmp(e.role, "complementary") == 0 ||
                                  strcmp(e.role, "dialog") == 0))
                                drop = 1;
                        if (drop)
                                m->flags |= F_DROP;
                        if ((!drop || (m->cmt & (C_STRONG | C_INSIDE))) &&
                            depth < max_depth)
                                descend = 1;
                } else if (n->type == XML_TEXT_NODE ||
                           n->type == XML_CDATA_SECTION_NODE) {
                        mnode_t *p = n->parent ? info(mc, n->parent) : NULL;

                        if (p != NULL) {
                                uint32_t c = 0, l = text_len(n->content, &c);

                                p->own += l;
                                p->own_commas += c;
                                if (p->flags & F_INLINK)
                                        p->own_link += l;
                        }
                }
                n = next_node(n, root, descend, &depth);
        }
        return 0;
}

/* ---- pass 3: sum up, score -------------------------------------------- */

/* Characters outside links in the page's comments sections (by their
 * hints), summed before anything is dropped. */
static uint64_t comments_text(const maincontent_t *mc)
{
        uint64_t cmt = 0;
        size_t i;

        for (i = 0; i < mc->n; i++) {
                const mnode_t *m = &mc->nodes[i];

                if (m->cmt & (C_WEAK | C_STRONG))
                        cmt += m->text > m->link ? m->text - m->link : 0;
        }
        return cmt;
}

/* What is inside a comments section is dropped with it (walked only to
 * weigh it). Pre-order: a parent comes before its children. */
static void drop_in_comments(maincontent_t *mc)
{
        size_t i;

        for (i = 1; i < mc->n; i++) {
                mnode_t *m = &mc->nodes[i];

                if (m->parent >= 0 && (mc->nodes[m->parent].flags & F_DROP) &&
                    (m->cmt & C_INSIDE))
                        m->flags |= F_DROP;
        }
}

static void sum_up(maincontent_t *mc)
{
        size_t i;

        for (i = 0; i < mc->n; i++) {
                mnode_t *m = &mc->nodes[i];

                m->text = m->own;
                m->link = m->own_link;
                m->commas = m->own_commas;
                m->paras = m->tag == T_P;
                m->lis = m->tag == T_LI;
                m->imgs = m->tag == T_IMG;
                m->inputs = m->tag == T_INPUT;
                m->acts = m->tag == T_ACTION;
                m->heads = m->tag == T_H;
        }
        for (i = mc->n; i-- > 1;) {
                mnode_t *m = &mc->nodes[i], *p;

                if (m->parent < 0 || (m->flags & F_DROP))
                        continue;
                p = &mc->nodes[m->parent];
                p->text += m->text;
                p->link += m->link;
                p->commas += m->commas;
                p->paras += m->paras;
                p->lis += m->lis;
                p->imgs += m->imgs;
                p->inputs += m->inputs;
                p->acts += m->acts;
                p->heads += m->heads;
        }
}

/* Furniture by class or id is dropped unless it holds most of the page's
 * text outside links (a wrapper named "with-sidebar" around the article
 * and its sidebar). Then the counts again, without what was dropped. */
static void drop_unlikely(maincontent_t *mc)
{
        size_t i;
        uint32_t page, page_text, dropped = 0;

        if (mc->n == 0)
                return;
        page = mc->nodes[0].text - mc->nodes[0].link;
        page_text = mc->nodes[0].text;
        for (i = 0; i < mc->n; i++) {
                mnode_t *m = &mc->nodes[i];

                int named = m->tag == T_NAV || m->tag == T_HEADER ||
                            m->tag == T_WIDGET;

                if ((m->flags & F_UNLIKELY) && !(m->flags & F_DROP) &&
                    (named ? m->text * 2 < page_text || m->paras < 3
                           : (m->text - m->link) * 2 < page &&
                                     m->text * 2 < page_text)) {
                        m->flags |= F_DROP | F_UDROP;
                        dropped++;
                }
        }
        if (dropped == 0)
                return;
        /* Pre-order: a parent comes before its children. */
        for (i = 1; i < mc->n; i++) {
                mnode_t *m = &mc->nodes[i];

                if (m->parent >= 0 && (mc->nodes[m->parent].flags & F_DROP) &&
                    !(m->flags & F_DROP))
                        m->flags |= F_DROP | F_UDROP;
        }
        sum_up(mc);
        /* Hints that took most of the page (every block of a site builder
         * named "...-widget") were not furniture: undone. */
        if (page_text >= 500 && mc->nodes[0].text * 10 < page_text * 3) {
                for (i = 0; i < mc->n; i++) {
                        mnode_t *m = &mc->nodes[i];

                        if ((m->flags & F_UDROP) && m->tag != T_NAV &&
                            m->tag != T_HEADER && m->tag != T_WIDGET)
                                m->flags &= (uint8_t) ~(F_DROP | F_UDROP);
                }
                /* What is inside the <nav> and <header> still dropped. */
                for (i = 1; i < mc->n; i++) {
                        mnode_t *m = &mc->nodes[i];

                        if (m->parent >= 0 &&
                            (mc->nodes[m->parent].flags & F_DROP))
                                m->flags |= F_DROP | F_UDROP;
                }
                sum_up(mc);
        }
}

static float link_density(const mnode_t *m)
{
        return m->text ? (float)m->link / (float)m->text : 0.0f;
}

static void init_candidate(mnode_t *m)
{
        float base = 0;

        if (m->flags & F_CAND)
                return;
        switch (m->tag) {
        case T_DIV:
        case T_ARTICLE:
        case T_MAIN:
        case T_SECTION:
                base = 5;
                break;
        case T_PRE:
        case T_TD:
        case T_BLOCKQUOTE:
                base = 3;
                break;
        case T_ADDRESS:
        case T_OL:
        case T_UL:
        case T_DL:
        case T_DD:
        case T_DT:
        case T_LI:
        case T_FORM:
                base = -3;
                break;
        case T_H:
        case T_TH:
                base = -5;
                break;
        default:
                break;
        }
        m->score = base + m->weight;
        if (m->flags & F_ARTBODY)
                m->score += 10;
        m->flags |= F_CAND;
}

static void score_paragraphs(maincontent_t *mc)
{
        size_t i;

        for (i = 0; i < mc->n; i++) {
                mnode_t *m = &mc->nodes[i];
                int32_t a;
                int level;
                float s;

                if (m->flags & F_DROP)
                        continue;
                if (!(m->tag == T_P || m->tag == T_PRE || m->tag == T_TD ||
                      m->tag == T_BLOCKQUOTE || m->tag == T_DD ||
                      m->tag == T_LI ||
                      ((m->tag == T_DIV || m->tag == T_SECTION ||
                        m->tag == T_OTHER || m->tag == T_ARTICLE) &&
                       m->own >= 25)))
                        continue;
                /* The paragraph's own words, not those of nested ones. */
                if (m->tag == T_DIV || m->tag == T_SECTION ||
                    m->tag == T_OTHER || m->tag == T_ARTICLE) {
                        if (m->own < 25)
                                continue;
                        s = 1.0f + fminf((float)m->own / 100.0f, 3.0f);
                } else {
                        if (m->text < 25)
                                continue;
                        s = 1.0f + (float)m->commas +
                            fminf((float)m->text / 100.0f, 3.0f);
                        if (m->commas > 10)
                                s = 11.0f +
                                    fminf((float)m->text / 100.0f, 3.0f);
                }
                s *= 1.0f - link_density(m);
                m->pscore = s;
                for (a = m->parent, level = 0; a >= 0 && level < 5;
                     a = mc->nodes[a].parent, level++) {
                        mnode_t *an = &mc->nodes[a];
                        float div = level == 0   ? 1.0f
                                    : level == 1 ? 2.0f
                                                 : (float)level * 3.0f;

                        init_candidate(an);
                        an->score += s / div;
                }
        }
}

/* Paragraph scores summed up the tree: how much of the page's prose a
 * block holds. */
static void sum_pscore(maincontent_t *mc)
{
        size_t i;

        for (i = mc->n; i-- > 1;) {
                mnode_t *m = &mc->nodes[i];

                if (m->parent >= 0 && !(m->flags & F_DROP))
                        mc->nodes[m->parent].pscore += m->pscore;
        }
}

/* ---- pass 4: choose ------------------------------------------------------ */

static float final_score(const mnode_t *m)
{
        return m->score * (1.0f - link_density(m));
}

static int element_children(const xmlNode *n)
{
        const xmlNode *c;
        int k = 0;

        for (c = n->children; c != NULL; c = c->next)
                if (c->type == XML_ELEMENT_NODE)
                        k++;
        return k;
}

static int has_sentence(const xmlNode *n)
{
        const xmlNode *c;

        for (c = n->children; c != NULL; c = c->next)
                if (c->type == XML_TEXT_NODE && c->content != NULL &&
                    strstr((const char *)c->content, ". ") != NULL)
                        return 1;
        return 0;
}

static void add_chosen(maincontent_t *mc, xmlNodePtr n)
{
        if (mc->n_chosen < MAX_CHOSEN)
                mc->chosen[mc->n_chosen++] = n;
}

static void choose_block(maincontent_t *mc);

static uint32_t nonlink(const mnode_t *m)
{
        return m->text > m->link ? m->text - m->link : 0;
}

/* The best block, or, when it holds too little of the page's text (a
 * service, product or collection page: content in many sections), the
 * page's <main> or its body without the furniture. */
static void choose(maincontent_t *mc)
{
        mnode_t *body = NULL, *main_el = NULL;
        uint32_t chosen_nl = 0;
        float chosen_ps = 0;
        size_t i;

        choose_block(mc);
        for (i = 0; i < mc->n_chosen; i++) {
                chosen_nl += nonlink(info(mc, mc->chosen[i]));
                chosen_ps += info(mc, mc->chosen[i])->pscore;
        }
        /* The chosen block's ancestors (or, with no block, the page's
         * <main> and body): where the broad content is taken from. */
        {
                mnode_t *a = mc->n_chosen > 0 ? info(mc, mc->chosen[0]) : NULL;

                if (a == NULL) {
                        for (i = 0; i < mc->n; i++) {
                                mnode_t *m = &mc->nodes[i];

                                if (m->flags & F_DROP)
                                        continue;
                                if (m->tag == T_MAIN &&
                                    (a == NULL || nonlink(m) > nonlink(a)))
                                        a = m;
                                if (m->tag == T_BODY && a == NULL)
                                        a = m;
                        }
                }

                while (a != NULL) {
                        if (a->tag == T_BODY && body == NULL)
                                body = a;
                        if (main_el == NULL &&
                            (a->tag == T_MAIN ||
                             (dom_attr(a->node, "role") &&
                              strcmp(dom_attr(a->node, "role"), "main") == 0)))
                                main_el = a;
                        a = a->parent >= 0 ? &mc->nodes[a->parent] : NULL;
                }
        }
        if (body == NULL)
                body = &mc->nodes[0];
        if (mc->n_chosen > 0 &&
            (chosen_nl >= BROAD_TEXT * (float)nonlink(body) ||
             chosen_ps >= BROAD_PROSE * body->pscore))
                return;
        /* The best-scored block holds too little (a few plain paragraphs
         * of an article score below a footer named "...-text"), and the
         * page has no <main>: the best-scored of the blocks that do hold
         * the share of its text, when one is prose (ALT_MIN_PARAS <p>,
         * MIN_CONTENT characters outside links, more paragraph score than
         * the best and half the page's, few links), before the body is
         * taken. An article whose text sits in a div beside one <p> has a
         * single <p>; the body would bring its link lists along. */
        if (mc->n_chosen > 0 && main_el == NULL) {
                mnode_t *alt = NULL;

                for (i = 0; i < mc->n; i++) {
                        mnode_t *m = &mc->nodes[i];

                        if (!(m->flags & F_CAND) || (m->flags & F_DROP) ||
                            m == body || m->tag == T_BODY || m->parent < 0 ||
                            link_density(m) >= ALT_MAX_LINKS ||
                            m->pscore < chosen_ps ||
                            m->paras < ALT_MIN_PARAS ||
                            nonlink(m) < MIN_CONTENT ||
                            m->pscore < 0.5f * body->pscore ||
                            (m->flags & F_UNLIKELY) ||
                            (float)nonlink(m) <
                                    BROAD_TEXT * (float)nonlink(body))
                                continue;
                        if (alt == NULL || final_score(m) > final_score(alt))
                                alt = m;
                }
                if (alt != NULL && final_score(alt) > 0) {
                        mc->n_chosen = 0;
                        add_chosen(mc, alt->node);
                        return;
                }
        }
        /* Too little text for any content: a login wall, a script shell. */
        if (mc->n_chosen == 0 &&
            nonlink(main_el != NULL ? main_el : body) < MIN_CONTENT &&
            (main_el != NULL ? main_el : body)->text < 4 * MIN_CONTENT)
                return;
        mc->n_chosen = 0;
        if (main_el != NULL && nonlink(main_el) >= chosen_nl)
                add_chosen(mc, main_el->node);
        else
                add_chosen(mc, body->node);
}

static void choose_block(maincontent_t *mc)
{
        mnode_t *top = NULL, *m;
        size_t i;
        float best = 0;

        /* The page's declared body (itemprop=articleBody, <main>) when it
         * holds enough text, the best-scored candidate otherwise. */
        for (i = 0; i < mc->n; i++) {
                m = &mc->nodes[i];
                if (!(m->flags & F_CAND) || (m->flags & F_DROP))
                        continue;
                if (final_score(m) > best) {
                        best = final_score(m);
                        top = m;
                }
        }
        if (top == NULL || best <= 0)
                return;

        /* Up while the score rises (more content nearby to unify). */
        {
                mnode_t *p = top->parent >= 0 ? &mc->nodes[top->parent] : NULL;
                float last = final_score(top), threshold = last / 3.0f;

                while (p != NULL && p->tag != T_BODY) {
                        if (!(p->flags & F_CAND)) {
                                p = p->parent >= 0 ? &mc->nodes[p->parent]
                                                   : NULL;
                                continue;
                        }
                        if (final_score(p) < threshold)
                                break;
                        if (final_score(p) > last) {
                                top = p;
                                break;
                        }
                        last = final_score(p);
                        p = p->parent >= 0 ? &mc->nodes[p->parent] : NULL;
                }
        }
        /* An only child stands for its parent. */
        while (top->parent >= 0) {
                mnode_t *p = &mc->nodes[top->parent];

                if (p->tag == T_BODY || element_children(p->node) != 1)
                        break;
                top = p;
        }
        /* Siblings scored near the best, and plain paragraphs beside it. */
        if (top->parent < 0 || top->tag == T_BODY) {
                add_chosen(mc, top->node);
                return;
        }
        {
                xmlNodePtr c, parent = mc->nodes[top->parent].node;
                float threshold = fmaxf(10.0f, final_score(top) * 0.2f);
                const char *tc = dom_attr(top->node, "class");

                for (c = parent->children; c != NULL; c = c->next) {
                        mnode_t *s;
                        int take = 0;

                        if (c->type != XML_ELEMENT_NODE)
                                continue;
                        s = info(mc, c);
                        if (s == NULL || (s->flags & F_DROP))
                                continue;
                        if (s == top) {
                                take = 1;
                        } else {
                                float bonus = 0;
                                const char *sc = dom_attr(c, "class");

                                if (tc != NULL && sc != NULL &&
                                    tc[0] != '\0' && strcmp(tc, sc) == 0)
                                        bonus = final_score(top) * 0.2f;
                                if ((s->flags & F_CAND) &&
                                    final_score(s) + bonus >= threshold)
                                        take = 1;
                                else if (s->tag == T_P) {
                                        float ld = link_density(s);

                                        if (s->text > 80 && ld < 0.25f)
                                                take = 1;
                                        else if (s->text > 0 &&
                                                 s->text <= 80 && ld == 0 &&
                                                 has_sentence(c))
                                                take = 1;
                                }
                        }
                        if (take)
                                add_chosen(mc, c);
                }
        }
}

/* Inside the chosen blocks: furniture left over (Readability's
 * "clean conditionally"), marked F_SKIP. With `lenient`, only the rules
 * that name furniture skip: a negative class or id weight when the hints
 * also call it furniture (F_UNLIKELY: a comment section, a sidebar), a
 * block of list items, a form, a block of bare links; not the rules that
 * look at a block's shape (an image strip, a short or link-dense block),
 * which every card of a product grid can have. Returns true when what was
 * skipped holds more than half of the chosen blocks' text. */
static int clean_inside(maincontent_t *mc, int lenient)
{
        size_t k;
        uint32_t text = 0, link = 0, skipped = 0;
        int linky;

        for (k = 0; k < mc->n_chosen; k++) {
                mnode_t *m = info(mc, mc->chosen[k]);
                if (m != NULL) {
                        text += m->text;
                        link += m->link;
                }
        }
        /* Listings and collections: the content is links. */
        linky = text > 0 && (float)link / (float)text > 0.35f;

        for (k = 0; k < mc->n_chosen; k++) {
                xmlNodePtr root = mc->chosen[k], n = root;
                size_t depth = 0;

                while (n != NULL) {
                        int descend = 1;
                        mnode_t *m;

                        if (n->type != XML_ELEMENT_NODE) {
                                n = next_node(n, root, 0, &depth);
                                continue;
                        }
                        m = info(mc, n);
                        if (m == NULL || (m->flags & F_DROP)) {
                                n = next_node(n, root, 0, &depth);
                                continue;
                        }
                        /* Cleaning never takes most of the content. */
                        if (n != root && m->text * 2 < text &&
                            (m->tag == T_TABLE || m->tag == T_UL ||
                             m->tag == T_OL || m->tag == T_DIV ||
                             m->tag == T_SECTION || m->tag == T_FORM ||
                             m->tag == T_DL) &&
                            m->commas < 10) {
                                float ld = link_density(m);
                                int is_list = m->tag == T_UL ||
                                              m->tag == T_OL || m->tag == T_DL;
                                int skip = 0;

                                if (m->weight < 0 &&
                                    (!lenient || (m->flags & F_UNLIKELY)))
                                        skip = 1;
                                else if (!lenient && m->imgs > 1 &&
                                         m->paras * 2 < m->imgs &&
                                         m->text < 200)
                                        skip = 1;
                                else if (!is_list && m->lis > m->paras + 100)
                                        skip = 1;
                                else if (m->inputs > 0 &&
                                         m->inputs > m->paras / 3 &&
                                         m->text < 500)
                                        skip = 1;
                                else if (m->acts > 0 && m->heads == 0 &&
                                         m->acts > m->paras / 3 &&
                                         m->text < 500)
                                        skip = 1;
                                else if (!lenient && m->text < 25 &&
                                         m->link > 0 && m->heads == 0)
                                        skip = 1;
                                else if (!lenient && !linky &&
                                         m->weight < 25 && ld > 0.33f &&
                                         m->text < 1000)
                                        skip = 1;
                                else if (ld > 0.6f &&
                                         m->text - m->link < 100 &&
                                         m->heads == 0 && !linky)
                                        skip = 1;
                                if (skip) {
                                        m->flags |= F_SKIP;
                                        skipped += m->text;
                                        descend = 0;
                                }
                        }
                        n = next_node(n, root, descend, &depth);
                }
        }
        return skipped * 2 > text;
}

/* Passes 2 to 4. Returns 0, or -1 with a reason in errstr. */
static int find_pass(maincontent_t *mc, xmlNodePtr root,
                     const maincontent_opts_t *o, char *errstr,
                     size_t errstr_size)
{
        if (walk_count(mc, root, o, errstr, errstr_size) < 0)
                return -1;
        sum_up(mc);
        mc->cmt_text = mc->forum ? 0 : comments_text(mc);
        drop_in_comments(mc);
        drop_unlikely(mc);
        score_paragraphs(mc);
        sum_pscore(mc);
        choose(mc);
        /* The blocks that clean_inside() skips each hold less than half
         * of the content, but together they can hold most of it: a site
         * builder's every section named "...-scrolling" or
         * "...-heroBanner", a description that is "hidden-md-down" in one
         * copy and "hidden-md-up" in the other, every card of a product
         * grid (two images and a short caption). Then those rules did
         * not find furniture: cleaned again with only the rules that
         * name it (a long comment section stays out). */
        if (clean_inside(mc, 0)) {
                size_t i;

                for (i = 0; i < mc->n; i++)
                        mc->nodes[i].flags &= (uint8_t)~F_SKIP;
                clean_inside(mc, 1);
        }
        return 0;
}

/* A page that does not say it is a forum or a Q&A page (no
 * DiscussionForumPosting, QAPage), where what was chosen is next to
 * nothing beside its comments (a thread whose posts are marked up as
 * comments): the comments are the content. An article with comments
 * keeps its article. */
static int comments_are_content(const maincontent_t *mc)
{
        uint64_t chosen = 0;
        uint8_t *alive;
        size_t k, i;

        if (mc->cmt_text < FORUM_MIN_COMMENTS || mc->n == 0)
                return 0;
        alive = calloc(mc->n, 1);
        if (alive == NULL)
                return 0;
        /* What of the chosen blocks is shown: their own text outside
         * links, but not what is dropped or skipped (pre-order: a subtree
         * runs on until a node whose parent comes before its root). */
        for (k = 0; k < mc->n_chosen; k++) {
                const mnode_t *m = info(mc, mc->chosen[k]);
                size_t r;

                if (m == NULL)
                        continue;
                r = (size_t)(m - mc->nodes);
                for (i = r; i < mc->n; i++) {
                        const mnode_t *x = &mc->nodes[i];

                        if (i > r && (x->parent < 0 || (size_t)x->parent < r))
                                break;
                        if (x->flags & (F_DROP | F_SKIP))
                                continue;
                        if (i > r && !alive[x->parent])
                                continue;
                        alive[i] = 1;
                        chosen += x->own > x->own_link ? x->own - x->own_link
                                                       : 0;
                }
        }
        free(alive);
        return mc->cmt_text >= FORUM_MIN_COMMENTS &&
               chosen < FORUM_MAX_CHOSEN && mc->cmt_text >= 4 * chosen;
}

/* ---- public ----------------------------------------------------------- */

int maincontent_find(xmlDocPtr doc, const maincontent_opts_t *opts,
                     maincontent_t **mcp, char *errstr, size_t errstr_size)
{
        maincontent_opts_t none = { 0 };
        maincontent_t *mc;
        xmlNodePtr root;
        uint32_t chosen_text = 0;
        size_t k;
        int rc = -1;

        *mcp = NULL;
        if (opts == NULL)
                opts = &none;
        mc = calloc(1, sizeof(*mc));
        if (mc == NULL) {
                snprintf(errstr, errstr_size, "main content: out of memory");
                return -1;
        }
        mc->doc = doc;
        mc->chosen = calloc(MAX_CHOSEN, sizeof(*mc->chosen));
        if (mc->chosen == NULL) {
                snprintf(errstr, errstr_size, "main content: out of memory");
                goto out;
        }
        root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
        if (root == NULL) {
                rc = 0;
                goto out;
        }
        hint_index(mc);
        scan_hints(mc, root, opts->jsonld);
        if (find_pass(mc, root, opts, errstr, errstr_size) < 0)
                goto out;
        if (!mc->forum && comments_are_content(mc)) {
                /* Again, as a forum: the comments are the posts. */
                mc->forum = 1;
                mc->n = 0;
                mc->n_chosen = 0;
                mc->has_artbody = 0;
                if (find_pass(mc, root, opts, errstr, errstr_size) < 0)
                        goto out;
        }
        for (k = 0; k < mc->n_chosen; k++) {
                mnode_t *m = info(mc, mc->chosen[k]);
                if (m != NULL)
                        chosen_text += m->text;
        }
        /* A page whose blocks do not hold its declared article body (the
         * body is filled in by script): the body stands in. */
        if (mc->fallback != NULL &&
            ((size_t)chosen_text * 3 > mc->body_len || mc->body_len < 200)) {
                free(mc->fallback);
                mc->fallback = NULL;
        }
        if (mc->fallback != NULL)
                mc->n_chosen = 0;
        rc = 0;
out:
        if (rc < 0) {
                maincontent_destroy(mc);
                return rc;
        }
        *mcp = mc;
        return 0;
}

xmlNodePtr const *maincontent_nodes(const maincontent_t *mc, size_t *n_nodes)
{
        *n_nodes = mc->n_chosen;
        return mc->chosen;
}

int maincontent_skip(const maincontent_t *mc, const xmlNode *node)
{
        const mnode_t *m = info(mc, node);

        /* Past the node or depth cap: not looked at, so not content. */
        if (m == NULL)
                return 1;
        return (m->flags & (F_DROP | F_SKIP)) != 0;
}

const char *maincontent_fallback_text(const maincontent_t *mc)
{
        return mc->fallback;
}

int maincontent_is_forum(const maincontent_t *mc)
{
        return mc->forum;
}

void maincontent_destroy(maincontent_t *mc)
{
        size_t i;

        if (mc == NULL)
                return;
        for (i = 0; i < mc->n; i++)
                mc->nodes[i].node->_private = NULL;
        free(mc->nodes);
        free(mc->chosen);
        free(mc->fallback);
        free(mc);
}
