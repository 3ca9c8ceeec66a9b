/*
 * markdown.c — HTML nodes as CommonMark or plain text (markdown.h).
 *
 * One writer serves both modes. Text is collapsed as browsers collapse it
 * (every Unicode space too) and written only when a visible character
 * comes, so that what is owed before it — the line breaks of a block
 * boundary, the prefixes of open blockquotes and list items, a heading's
 * marker, the openers of emphasis and links — is written then, and what
 * never got text (an empty link, an empty <b>) leaves nothing behind.
 */
#include "markdown.h"
#include "dom.h"
#include "lazyimg.h"
#include "textcollect.h"
#include "utf8.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_MAX_BYTES (1u << 20)
#define DEFAULT_MAX_DEPTH 512u
#define RESERVE 512     /* bytes kept to close what is open      */
#define MAX_PREFIX 32   /* nested blockquotes and list items     */
#define MAX_INLINE 32   /* nested emphasis and links             */
#define MAX_COLS 64     /* table columns                         */
#define MAX_ROWS 4096   /* table rows                            */
#define CELL_MAX 4096   /* bytes of one table cell               */
#define BLOCK_PROBE 256 /* nodes looked at to see if <a> has blocks */
#define BUDGET_EVERY 4096

typedef struct prefix {
        const char *first; /* on the item's first line ("- ", "> ")       */
        int cont;          /* spaces on the others (or -1: "> " again)    */
        int used;
        char num[16]; /* an ordered item's "12. "                    */
} prefix_t;

enum { IN_PENDING = 0, IN_OPEN = 1 };

typedef struct inl {
        char open[4];
        char *close; /* "**", "*", or "](url)" (owned)          */
        int state;
        size_t open_at; /* where the opener was written (IN_OPEN)  */
} inl_t;

typedef struct writer {
        const markdown_opts_t *o;
        dynbuf_t *out;
        size_t start; /* out->len when the call began          */
        size_t limit; /* the most out->len may reach for text  */
        size_t hard;  /* ... and for closers                   */
        int truncated;
        int stop;
        int failed; /* out of memory or budget               */
        int md;
        int inline_only; /* a table cell: no line breaks         */
        int pending_nl;
        int pending_space;
        int line_start;
        int fresh_item;     /* an item opened, nothing written yet    */
        const char *marker; /* a heading's "## ", owed             */
        prefix_t pre[MAX_PREFIX];
        int n_pre;
        inl_t in[MAX_INLINE];
        int n_in;
        int strong, em, heading, code_depth;
        /* The emphasis closed last: merged with an opener of the same
         * kind written right after it (<b>a</b><b>b</b> is **ab**). */
        size_t last_close_end, last_open_at;
        const char *last_close;
        /* An emphasis closed after punctuation: it closes only if no
         * letter follows at once (CommonMark's flanking rule); else it is
         * taken back. */
        int chk;
        size_t chk_close_end, chk_open_at, chk_len;
        size_t seen;
        char errstr[128];
} writer_t;

/* Per element on the walk's stack. */
typedef struct frame {
        xmlNodePtr node;
        int kind;
        int pushed_prefix;
        int pushed_inline;
        int list_ordered;
        long list_next;
} frame_t;

enum {
        K_NONE = 0,
        K_BLOCK,
        K_HEADING,
        K_LIST,
        K_ITEM,
        K_QUOTE,
        K_STRONG,
        K_EM,
        K_LINK,
        K_ROW,
        K_CELL,
        K_DT,
};

static int is_name(const xmlNode *n, const char *name)
{
        return n->name != NULL && n->name[0] == (xmlChar)name[0] &&
               strcmp((const char *)n->name, name) == 0;
}

static int never_text(const xmlNode *n)
{
        static const char *const names[] = {
                "script", "style",  "template", "head",   "title",
                "select", "option", "svg",      "iframe", "object",
                "embed",  "canvas", "button",   "input",  "textarea",
                "map",    "math",   "audio",    "video",  NULL
        };
        size_t i;

        for (i = 0; names[i] != NULL; i++)
                if (is_name(n, names[i]))
                        return 1;
        return 0;
}

/* Widgets: never text of their own, but libxml2 2.9 can hang the rest of
 * a page inside one it did not see end; the caller's skip() tells (the
 * main content keeps one that holds most of the page). */
static int widget(const xmlNode *n)
{
        static const char *const names[] = { "button", "select", "iframe",
                                             "svg",    "canvas", "object",
                                             "embed",  NULL };
        size_t i;

        for (i = 0; names[i] != NULL; i++)
                if (is_name(n, names[i]))
                        return 1;
        return 0;
}

static int skipped(const writer_t *w, const xmlNode *n)
{
        if (w->o->skip != NULL && widget(n))
                return w->o->skip(w->o->skip_opaque, n);
        if (never_text(n))
                return 1;
        return w->o->skip != NULL && w->o->skip(w->o->skip_opaque, n);
}

static int is_block_name(const xmlNode *n)
{
        static const char *const names[] = {
                "p",      "div",        "section",  "article",  "main",
                "header", "footer",     "aside",    "nav",      "address",
                "figure", "figcaption", "details",  "summary",  "dl",
                "form",   "fieldset",   "center",   "hgroup",   "caption",
                "legend", "body",       "html",     "tbody",    "thead",
                "tfoot",  "picture",    "frameset", "noframes", "dialog",
                "search", NULL
        };
        size_t i;

        for (i = 0; names[i] != NULL; i++)
                if (is_name(n, names[i]))
                        return 1;
        return 0;
}

static int heading_level(const xmlNode *n)
{
        const char *s = (const char *)n->name;

        if (s != NULL && s[0] == 'h' && s[1] >= '1' && s[1] <= '6' &&
            s[2] == '\0')
                return s[1] - '0';
        return 0;
}

/* ---- raw output --------------------------------------------------------- */

static void put_raw_cap(writer_t *w, const char *s, size_t n, size_t cap)
{
        /* Once stopped, only closers (written against the hard cap). */
        if (w->stop && (cap <= w->limit || w->failed))
                return;
        if (w->out->len + n > cap) {
                size_t room = cap > w->out->len ? cap - w->out->len : 0;

                /* Cut on a character boundary. */
                while (room > 0 && ((unsigned char)s[room] & 0xC0) == 0x80)
                        room--;
                if (room > 0 &&
                    dynbuf_add(w->out, s, room) == DYNBUF_ERR_NOMEM) {
                        w->failed = 1;
                        snprintf(w->errstr, sizeof(w->errstr),
                                 "markdown: out of memory");
                }
                w->truncated = 1;
                w->stop = 1;
                return;
        }
        if (n > 0 && dynbuf_add(w->out, s, n) != 0) {
                w->failed = 1;
                w->stop = 1;
                snprintf(w->errstr, sizeof(w->errstr),
                         "markdown: out of memory");
        }
}

static void put_raw(writer_t *w, const char *s, size_t n)
{
        put_raw_cap(w, s, n, w->limit);
}

static void put_str(writer_t *w, const char *s)
{
        put_raw(w, s, strlen(s));
}

static void put_spaces(writer_t *w, int n)
{
        static const char sp[] = "                                ";

        while (n > 0) {
                int k = n > 32 ? 32 : n;

                put_raw(w, sp, (size_t)k);
                n -= k;
        }
}

/* The open containers' prefixes on a new line; `blank` for an empty one. */
static void put_prefixes(writer_t *w, int blank)
{
        int i;

        for (i = 0; i < w->n_pre; i++) {
                prefix_t *p = &w->pre[i];

                if (p->cont < 0) { /* blockquote */
                        /* The blank line before a quote is not in it. */
                        if (blank && !p->used)
                                continue;
                        put_str(w, blank ? ">" : "> ");
                        if (blank && i + 1 < w->n_pre)
                                put_str(w, " ");
                        p->used = 1;
                        continue;
                }
                if (blank)
                        continue;
                if (!p->used) {
                        put_str(w, p->first);
                        p->used = 1;
                } else {
                        put_spaces(w, p->cont);
                }
        }
}

/* Closes open emphasis and links (a block boundary, or the end). */
static void close_inlines(writer_t *w, size_t cap, int reopen)
{
        int i;

        for (i = w->n_in - 1; i >= 0; i--) {
                if (w->in[i].state == IN_OPEN) {
                        put_raw_cap(w, w->in[i].close, strlen(w->in[i].close),
                                    cap);
                        w->in[i].state = IN_PENDING;
                }
        }
        (void)reopen;
}

/* What is owed before a visible character. */
static void flush_owed(writer_t *w)
{
        int i;

        if (w->pending_nl > 0 && w->out->len > w->start) {
                if (w->inline_only) {
                        w->pending_space = 1;
                } else {
                        if (w->md)
                                close_inlines(w, w->limit, 1);
                        put_str(w, "\n");
                        if (w->pending_nl > 1) {
                                put_prefixes(w, 1);
                                put_str(w, "\n");
                        }
                        put_prefixes(w, 0);
                        w->line_start = 1;
                        w->pending_space = 0;
                }
        } else if (w->pending_nl > 0 && !w->inline_only) {
                put_prefixes(w, 0);
                w->line_start = 1;
                w->pending_space = 0;
        } else if (w->line_start && w->n_pre > 0) {
                /* after a prefix already written */
        }
        w->pending_nl = 0;
        if (w->marker != NULL) {
                put_str(w, w->marker);
                w->marker = NULL;
                w->line_start = 0;
                w->pending_space = 0;
        }
        if (w->pending_space && !w->line_start)
                put_str(w, " ");
        w->pending_space = 0;
        if (w->md) {
                for (i = 0; i < w->n_in; i++)
                        if (w->in[i].state == IN_PENDING) {
                                size_t k = strlen(w->in[i].open);

                                if (w->last_close != NULL &&
                                    w->out->len == w->last_close_end &&
                                    strcmp(w->last_close, w->in[i].open) ==
                                            0) {
                                        /* Take the closer back instead. */
                                        w->out->len -= k;
                                        w->out->data[w->out->len] = '\0';
                                        w->in[i].open_at = w->last_open_at;
                                        w->last_close = NULL;
                                        w->chk = 0;
                                } else {
                                        w->in[i].open_at = w->out->len;
                                        put_str(w, w->in[i].open);
                                }
                                w->in[i].state = IN_OPEN;
                        }
        }
        w->fresh_item = 0;
}

static void block_break(writer_t *w, int nl)
{
        if (w->fresh_item)
                return;
        if (w->pending_nl < nl)
                w->pending_nl = nl;
}

/* ---- text --------------------------------------------------------------- */

/* A word of text (no spaces) at the writer's position, escaped. */
static void put_word(writer_t *w, const char *s, size_t n, int escape)
{
        char buf[512];
        size_t i = 0, j = 0;

        if (!escape || !w->md) {
                put_raw(w, s, n);
                w->line_start = 0;
                return;
        }
        if (w->line_start) {
                /* Line-start markup: headings, list markers, quotes,
                 * setext underlines, thematic breaks. */
                size_t d = 0;

                while (d < n && isdigit((unsigned char)s[d]))
                        d++;
                if (d > 0 && d < n && (s[d] == '.' || s[d] == ')')) {
                        put_raw(w, s, d);
                        put_raw(w, "\\", 1);
                        s += d;
                        n -= d;
                } else if (s[0] == '#' || s[0] == '-' || s[0] == '+' ||
                           s[0] == '=' || s[0] == '>') {
                        put_raw(w, "\\", 1);
                }
        }
        w->line_start = 0;
        for (i = 0; i < n; i++) {
                char c = s[i];

                if (j + 4 > sizeof(buf)) {
                        put_raw(w, buf, j);
                        j = 0;
                }
                switch (c) {
                case '\\':
                case '`':
                case '*':
                case '_':
                case '[':
                case ']':
                case '<':
                case '>':
                case '~':
                case '|':
                        buf[j++] = '\\';
                        buf[j++] = c;
                        break;
                case '&':
                        if (i + 1 < n && (isalnum((unsigned char)s[i + 1]) ||
                                          s[i + 1] == '#'))
                                buf[j++] = '\\';
                        buf[j++] = c;
                        break;
                default:
                        buf[j++] = c;
                        break;
                }
        }
        put_raw(w, buf, j);
}

static void check_closer(writer_t *w, unsigned char c);

/* Text, white space collapsed; `escape` for Markdown outside code. */
static void put_text(writer_t *w, const char *s, size_t n, int escape)
{
        size_t i = 0;

        while (i < n && !w->stop) {
                size_t sp = 0, start;
                unsigned char c = (unsigned char)s[i];

                if (isspace(c)) {
                        w->pending_space = 1;
                        i++;
                        continue;
                }
                sp = text_uspace((const unsigned char *)s + i, n - i);
                if (sp > 0) {
                        w->pending_space = 1;
                        i += sp;
                        continue;
                }
                start = i;
                while (i < n && !isspace((unsigned char)s[i]) &&
                       text_uspace((const unsigned char *)s + i, n - i) == 0)
                        i++;
                check_closer(w, (unsigned char)s[start]);
                flush_owed(w);
                put_word(w, s + start, i - start, escape);
        }
}

/* ---- collecting raw text (code) ------------------------------------------ */

static xmlNodePtr next_in(xmlNodePtr n, xmlNodePtr root, int descend)
{
        if (descend && n->children != NULL)
                return n->children;
        while (n != root) {
                if (n->next != NULL)
                        return n->next;
                n = n->parent;
                if (n == NULL)
                        return NULL;
        }
        return NULL;
}

/* The text of root's subtree as it is (for <pre> and <code>). */
static int collect_raw(writer_t *w, xmlNodePtr root, dynbuf_t *b)
{
        xmlNodePtr n = root->children;

        if (n == NULL)
                return 0;
        while (n != NULL) {
                int descend = 1;

                if (n->type == XML_ELEMENT_NODE) {
                        if (skipped(w, n))
                                descend = 0;
                        else if (is_name(n, "br") &&
                                 dynbuf_add(b, "\n", 1) == DYNBUF_ERR_NOMEM)
                                return -1;
                } else if ((n->type == XML_TEXT_NODE ||
                            n->type == XML_CDATA_SECTION_NODE) &&
                           n->content != NULL) {
                        int r = dynbuf_add(b, n->content,
                                           strlen((const char *)n->content));
                        if (r == DYNBUF_ERR_NOMEM)
                                return -1;
                        if (r == DYNBUF_ERR_TOO_BIG)
                                return 0;
                }
                n = next_in(n, root, descend);
        }
        return 0;
}

static size_t longest_run(const char *s, size_t n, char c)
{
        size_t best = 0, run = 0, i;

        for (i = 0; i < n; i++) {
                run = s[i] == c ? run + 1 : 0;
                if (run > best)
                        best = run;
        }
        return best;
}

/* The language of a code block from class="language-x" / "lang-x". */
static void code_language(const xmlNode *pre, char *lang, size_t size)
{
        const xmlNode *cands[2] = { pre, NULL };
        const xmlNode *c;
        int k;

        lang[0] = '\0';
        for (c = pre->children; c != NULL; c = c->next)
                if (c->type == XML_ELEMENT_NODE) {
                        if (is_name(c, "code"))
                                cands[1] = c;
                        break;
                }
        for (k = 1; k >= 0; k--) {
                const char *cl, *p;

                if (cands[k] == NULL)
                        continue;
                cl = dom_attr(cands[k], "class");
                if (cl == NULL)
                        continue;
                p = strstr(cl, "language-");
                if (p != NULL) {
                        p += 9;
                } else {
                        p = strstr(cl, "lang-");
                        if (p != NULL)
                                p += 5;
                }
                if (p != NULL) {
                        size_t j = 0;

                        while (*p != '\0' && j + 1 < size &&
                               (isalnum((unsigned char)*p) || *p == '_' ||
                                *p == '+' || *p == '#' || *p == '.' ||
                                *p == '-'))
                                lang[j++] = *p++;
                        lang[j] = '\0';
                        if (j > 0)
                                return;
                }
        }
}

static void put_code_block(writer_t *w, xmlNodePtr pre)
{
        dynbuf_t b;
        char lang[33], fence[64];
        size_t flen, i, s, e;

        dynbuf_init(&b, w->limit > w->out->len ? w->limit - w->out->len : 0);
        if (collect_raw(w, pre, &b) < 0) {
                w->failed = w->stop = 1;
                snprintf(w->errstr, sizeof(w->errstr),
                         "markdown: out of memory");
                goto out;
        }
        /* Without its leading and trailing blank lines. */
        s = 0;
        e = b.len;
        while (s < e && (b.data[s] == '\n' || b.data[s] == '\r'))
                s++;
        while (e > s && isspace((unsigned char)b.data[e - 1]))
                e--;
        if (s == e)
                goto out;
        if (w->inline_only || !w->md) {
                /* Plain text, or a cell: the code as text. */
                if (!w->inline_only)
                        block_break(w, 2);
                if (w->inline_only) {
                        put_text(w, b.data + s, e - s, w->md);
                } else {
                        /* Lines kept. */
                        size_t ls = s;

                        for (i = s; i <= e; i++) {
                                if (i == e || b.data[i] == '\n') {
                                        flush_owed(w);
                                        put_raw(w, b.data + ls, i - ls);
                                        w->line_start = 0;
                                        w->pending_nl = 1;
                                        ls = i + 1;
                                }
                        }
                        block_break(w, 2);
                }
                goto out;
        }
        code_language(pre, lang, sizeof(lang));
        flen = longest_run(b.data + s, e - s, '`') + 1;
        if (flen < 3)
                flen = 3;
        if (flen >= sizeof(fence))
                flen = sizeof(fence) - 1;
        memset(fence, '`', flen);
        fence[flen] = '\0';
        block_break(w, 2);
        w->pending_space = 0;
        flush_owed(w);
        put_str(w, fence);
        put_str(w, lang);
        {
                size_t ls = s;

                for (i = s; i <= e && !w->stop; i++) {
                        if (i == e || b.data[i] == '\n') {
                                size_t le = i;

                                if (le > ls && b.data[le - 1] == '\r')
                                        le--;
                                put_raw(w, "\n", 1);
                                put_prefixes(w, 0);
                                put_raw(w, b.data + ls, le - ls);
                                ls = i + 1;
                        }
                }
        }
        /* The closing fence even when the cap was reached. */
        w->stop = 0;
        put_raw_cap(w, "\n", 1, w->hard);
        {
                int k;
                for (k = 0; k < w->n_pre; k++)
                        if (w->pre[k].cont < 0)
                                put_raw_cap(w, "> ", 2, w->hard);
                        else
                                put_raw_cap(w, "                ",
                                            (size_t)(w->pre[k].cont > 16
                                                             ? 16
                                                             : w->pre[k].cont),
                                            w->hard);
        }
        put_raw_cap(w, fence, flen, w->hard);
        if (w->truncated)
                w->stop = 1;
        w->line_start = 0;
        block_break(w, 2);
out:
        dynbuf_free(&b);
}

static void put_inline_code(writer_t *w, xmlNodePtr code)
{
        dynbuf_t b;
        size_t i, j, ticks;
        char fence[34];

        dynbuf_init(&b, CELL_MAX * 4);
        if (collect_raw(w, code, &b) < 0) {
                w->failed = w->stop = 1;
                goto out;
        }
        /* Collapsed to one line. */
        for (i = 0, j = 0; i < b.len; i++) {
                char c = b.data[i];

                if (isspace((unsigned char)c)) {
                        if (j > 0 && b.data[j - 1] != ' ')
                                b.data[j++] = ' ';
                } else {
                        b.data[j++] = c;
                }
        }
        while (j > 0 && b.data[j - 1] == ' ')
                j--;
        if (j == 0)
                goto out;
        if (!w->md) {
                put_text(w, b.data, j, 0);
                goto out;
        }
        ticks = longest_run(b.data, j, '`') + 1;
        if (ticks >= sizeof(fence) - 1)
                ticks = sizeof(fence) - 2;
        memset(fence, '`', ticks);
        fence[ticks] = '\0';
        flush_owed(w);
        put_str(w, fence);
        if (b.data[0] == '`' || b.data[j - 1] == '`')
                put_str(w, " ");
        /* A pipe ends a table cell even in code. */
        for (i = 0; i < j; i++) {
                if (b.data[i] == '|' && w->inline_only)
                        put_raw(w, "\\|", 2);
                else
                        put_raw(w, b.data + i, 1);
        }
        if (b.data[0] == '`' || b.data[j - 1] == '`')
                put_str(w, " ");
        put_str(w, fence);
        w->line_start = 0;
out:
        dynbuf_free(&b);
}

/* ---- links and images -------------------------------------------------- */

static char *resolve(writer_t *w, const char *ref)
{
        char *href = NULL;
        char err[64];

        if (ref == NULL || w->o->resolve == NULL)
                return NULL;
        while (isspace((unsigned char)*ref))
                ref++;
        if (*ref == '\0' || *ref == '#' ||
            strncasecmp(ref, "javascript:", 11) == 0 ||
            strncasecmp(ref, "data:", 5) == 0)
                return NULL;
        if (strncasecmp(ref, "mailto:", 7) == 0 ||
            strncasecmp(ref, "tel:", 4) == 0)
                return strdup(ref);
        if (w->o->resolve(ref, w->o->base_url, &href, err, sizeof(err)) != 0)
                return NULL;
        return href;
}

/* A link destination: ( ) < > and spaces escaped or encoded. */
static char *destination(const char *href)
{
        size_t n = strlen(href), i, j = 0;
        char *d = malloc(n * 3 + 1);

        if (d == NULL)
                return NULL;
        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char)href[i];

                if (c == '(' || c == ')') {
                        d[j++] = '\\';
                        d[j++] = (char)c;
                } else if (c <= ' ' || c == '<' || c == '>' || c == 0x7F) {
                        snprintf(d + j, 4, "%%%02X", c);
                        j += 3;
                } else {
                        d[j++] = (char)c;
                }
        }
        d[j] = '\0';
        return d;
}

static const char *node_attr(const void *n, const char *name)
{
        return dom_attr(n, name);
}

/* The image's source: src, or where lazy loading keeps it (lazyimg.h). */
static char *image_src(writer_t *w, const xmlNode *img)
{
        char first[2048];
        const char *src = lazyimg_src(node_attr, img, first, sizeof(first));

        return src != NULL ? resolve(w, src) : NULL;
}

static void put_image(writer_t *w, const xmlNode *img)
{
        char *src, *dest;
        const char *alt;

        if (!w->md)
                return;
        src = image_src(w, img);
        if (src == NULL)
                return;
        dest = destination(src);
        free(src);
        if (dest == NULL)
                return;
        alt = dom_attr(img, "alt");
        flush_owed(w);
        put_str(w, "![");
        if (alt != NULL) {
                int ls = w->line_start;
                w->line_start = 0;
                /* alt collapsed and escaped, without line-start rules */
                {
                        size_t n = strlen(alt), i = 0;
                        int first = 1;

                        while (i < n) {
                                size_t st;
                                while (i < n && isspace((unsigned char)alt[i]))
                                        i++;
                                st = i;
                                while (i < n &&
                                       !isspace((unsigned char)alt[i]))
                                        i++;
                                if (i > st) {
                                        if (!first)
                                                put_str(w, " ");
                                        put_word(w, alt + st, i - st, 1);
                                        first = 0;
                                }
                        }
                }
                (void)ls;
        }
        put_str(w, "](");
        put_str(w, dest);
        put_str(w, ")");
        w->line_start = 0;
        free(dest);
}

/* True when the subtree of `a` holds block elements (a card). */
static int has_blocks(const xmlNode *a)
{
        xmlNodePtr n = a->children;
        size_t k = 0;

        while (n != NULL && k < BLOCK_PROBE) {
                if (n->type == XML_ELEMENT_NODE &&
                    (is_block_name(n) || heading_level(n) > 0 ||
                     is_name(n, "li") || is_name(n, "ul") ||
                     is_name(n, "table") || is_name(n, "pre")))
                        return 1;
                k++;
                n = next_in(n, (xmlNodePtr)a, 1);
        }
        return k >= BLOCK_PROBE;
}

static int push_inline(writer_t *w, const char *open, const char *close)
{
        inl_t *in;

        if (w->n_in >= MAX_INLINE)
                return 0;
        in = &w->in[w->n_in];
        snprintf(in->open, sizeof(in->open), "%s", open);
        in->close = strdup(close);
        if (in->close == NULL)
                return 0;
        in->state = IN_PENDING;
        w->n_in++;
        return 1;
}

/* Removes out[at, at + k) (an emphasis delimiter written earlier); what
 * was recorded past it moves with the text. */
static void take_back(writer_t *w, size_t at, size_t k)
{
        dynbuf_t *o = w->out;
        int i;

        if (at + k > o->len)
                return;
        memmove(o->data + at, o->data + at + k, o->len - at - k);
        o->len -= k;
        o->data[o->len] = '\0';
        for (i = 0; i < w->n_in; i++)
                if (w->in[i].state == IN_OPEN && w->in[i].open_at > at)
                        w->in[i].open_at -= k;
        w->last_close = NULL;
}

/* True when the character at s[0, avail) (lead byte >= 0x80) is Unicode
 * punctuation or a symbol, which CommonMark's flanking rules (0.31, as
 * markdown-it reads them) treat as ASCII punctuation: the blocks that are
 * all or mostly P* and S* (Latin-1's signs, general punctuation,
 * currency, arrows to dingbats, CJK and full-width punctuation, emoji).
 * By hand: the C library's iswpunct() depends on the locale, and the
 * blocks' few letters and digits ("ª", "²", "①") only make a delimiter
 * run be taken back that CommonMark would have read. */
static int u_punct(const unsigned char *s, size_t avail)
{
        static const struct {
                uint32_t lo, hi;
        } ranges[] = {
                { 0xA1, 0xBF },       { 0xD7, 0xD7 },     { 0xF7, 0xF7 },
                { 0x2010, 0x2027 },   { 0x2030, 0x205E }, { 0x20A0, 0x20CF },
                { 0x2100, 0x2101 },   { 0x2103, 0x2106 }, { 0x2108, 0x2109 },
                { 0x2114, 0x2118 },   { 0x211E, 0x2123 }, { 0x2190, 0x245F },
                { 0x2500, 0x2BFF },   { 0x2E00, 0x2E7F }, { 0x3001, 0x3003 },
                { 0x3008, 0x3020 },   { 0xFE30, 0xFE6B }, { 0xFF01, 0xFF0F },
                { 0xFF1A, 0xFF20 },   { 0xFF3B, 0xFF40 }, { 0xFF5B, 0xFF65 },
                { 0x1F000, 0x1FAFF },
        };
        size_t n = utf8_char_len(s, avail), i;
        uint32_t cp;

        if (n < 2)
                return 0;
        cp = s[0] & (0x7Fu >> n);
        for (i = 1; i < n; i++)
                cp = (cp << 6) | (s[i] & 0x3Fu);
        for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
                if (cp >= ranges[i].lo && cp <= ranges[i].hi)
                        return 1;
        return 0;
}

/* An emphasis that CommonMark would not read as one is taken back:
 * an opener followed by punctuation right after a letter or digit, one
 * with no letter or digit inside, or (w->chk) a closer after punctuation
 * with a letter right after it. */
static int emphasis_ok(const writer_t *w, const inl_t *in)
{
        size_t k = strlen(in->open), i;
        const unsigned char *d = (const unsigned char *)w->out->data;
        unsigned char before, after;

        if (in->open_at + k >= w->out->len)
                return 0; /* nothing inside */
        before = in->open_at > w->start ? d[in->open_at - 1] : ' ';
        after = d[in->open_at + k];
        if (isspace(after) || isspace(d[w->out->len - 1]))
                return 0;
        if (((after < 0x80 && ispunct(after) && after != '\\') ||
             (after >= 0x80 &&
              u_punct(d + in->open_at + k, w->out->len - in->open_at - k))) &&
            (before >= 0x80 || isalnum(before)))
                return 0;
        /* Nothing but punctuation inside (<strong>.</strong> right after
         * an emphasis closed): no emphasis to read, and its delimiters
         * would run into the closer's ("***a*****.**"). */
        for (i = in->open_at + k; i < w->out->len; i++)
                if (d[i] >= 0x80 || isalnum(d[i]))
                        return 1;
        return 0;
}

/* Before a visible character c written right where a closer after
 * punctuation ended: a letter or digit there takes that emphasis back. */
static void check_closer(writer_t *w, unsigned char c)
{
        int i;

        if (!w->chk)
                return;
        w->chk = 0;
        if (w->out->len != w->chk_close_end || w->pending_space ||
            w->pending_nl > 0)
                return;
        /* An opener of the same kind comes next: the two merge. */
        for (i = 0; i < w->n_in; i++)
                if (w->in[i].state == IN_PENDING && w->last_close != NULL &&
                    strcmp(w->in[i].open, w->last_close) == 0)
                        return;
        if (c >= 0x80 || isalnum(c)) {
                take_back(w, w->chk_close_end - w->chk_len, w->chk_len);
                take_back(w, w->chk_open_at, w->chk_len);
        }
}

static void pop_inline(writer_t *w)
{
        inl_t *in = &w->in[w->n_in - 1];

        if (in->state == IN_OPEN && in->open[0] == '*' && !w->stop) {
                size_t k = strlen(in->open);
                unsigned char last =
                        w->out->len > 0
                                ? (unsigned char)w->out->data[w->out->len - 1]
                                : ' ';

                if (!emphasis_ok(w, in)) {
                        take_back(w, in->open_at, k);
                } else {
                        put_raw_cap(w, in->close, k, w->hard);
                        w->last_close = in->open[1] == '*' ? "**" : "*";
                        w->last_close_end = w->out->len;
                        w->last_open_at = in->open_at;
                        if (last >= 0x80 || ispunct(last)) {
                                w->chk = 1;
                                w->chk_close_end = w->out->len;
                                w->chk_open_at = in->open_at;
                                w->chk_len = k;
                        }
                }
        } else if (in->state == IN_OPEN) {
                size_t cl = strlen(in->close);

                /* A link's "](url)" that does not fit: "]" alone leaves
                 * the text literal, never half a destination. */
                if (w->out->len + cl > w->hard && in->close[0] == ']')
                        cl = 1;
                put_raw_cap(w, in->close, cl, w->hard);
        }
        free(in->close);
        w->n_in--;
}

/* ---- tables ------------------------------------------------------------- */

static void render_nodes(writer_t *w, xmlNodePtr const *nodes, size_t n);

/* A cell's content, inline, into cell (escaped for the mode). */
static void render_cell(writer_t *w, xmlNodePtr cell, dynbuf_t *b)
{
        writer_t cw;
        xmlNodePtr kids[1];

        memset(&cw, 0, sizeof(cw));
        cw.o = w->o;
        cw.out = b;
        cw.start = 0;
        cw.limit = CELL_MAX;
        cw.hard = CELL_MAX + RESERVE;
        cw.md = w->md;
        cw.inline_only = 1;
        cw.line_start = 1;
        kids[0] = cell;
        render_nodes(&cw, kids, 1);
        if (cw.failed)
                w->failed = w->stop = 1;
}

typedef struct rows {
        xmlNodePtr *row;
        size_t n;
} rows_t;

/* The rows of a table (through thead, tbody, tfoot), not nested tables'. */
static size_t table_rows(xmlNodePtr table, xmlNodePtr *rows, size_t max,
                         int *nested, size_t *max_cols)
{
        xmlNodePtr c, g;
        size_t n = 0;

        *nested = 0;
        *max_cols = 0;
        for (c = table->children; c != NULL; c = c->next) {
                xmlNodePtr first = NULL;

                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (is_name(c, "tr"))
                        first = c;
                else if (is_name(c, "thead") || is_name(c, "tbody") ||
                         is_name(c, "tfoot"))
                        first = c->children;
                else
                        continue;
                for (g = first; g != NULL; g = (first == c ? NULL : g->next)) {
                        xmlNodePtr td;
                        size_t cols = 0;

                        if (g->type != XML_ELEMENT_NODE || !is_name(g, "tr"))
                                continue;
                        for (td = g->children; td != NULL; td = td->next) {
                                const char *cs;
                                long span = 1;

                                if (td->type != XML_ELEMENT_NODE ||
                                    !(is_name(td, "td") || is_name(td, "th")))
                                        continue;
                                cs = dom_attr(td, "colspan");
                                if (cs != NULL) {
                                        char *end;
                                        span = strtol(cs, &end, 10);
                                        if (end == cs || span < 1)
                                                span = 1;
                                        if (span > MAX_COLS)
                                                span = MAX_COLS;
                                }
                                cols += (size_t)span;
                                {
                                        xmlNodePtr x = td->children;
                                        size_t k = 0;
                                        while (x != NULL && k < 2048) {
                                                if (x->type ==
                                                            XML_ELEMENT_NODE &&
                                                    is_name(x, "table"))
                                                        *nested = 1;
                                                k++;
                                                x = next_in(x, td, 1);
                                        }
                                }
                        }
                        if (cols > *max_cols)
                                *max_cols = cols;
                        if (n < max)
                                rows[n++] = g;
                        if (first == c)
                                break;
                }
        }
        return n;
}

/* A table with a header row and two columns or more, no nested tables. */
static int put_table(writer_t *w, xmlNodePtr table)
{
        xmlNodePtr *rows = NULL;
        size_t n, cols, r, c;
        int nested, rc = 0;
        long carry[MAX_COLS];
        dynbuf_t cell;

        rows = malloc(MAX_ROWS * sizeof(*rows));
        if (rows == NULL)
                return 0;
        n = table_rows(table, rows, MAX_ROWS, &nested, &cols);
        if (nested || cols < 2 || n == 0) {
                free(rows);
                return 0; /* layout: its cells are blocks */
        }
        if (cols > MAX_COLS)
                cols = MAX_COLS;
        memset(carry, 0, sizeof(carry));
        dynbuf_init(&cell, CELL_MAX + RESERVE);
        block_break(w, 2);
        for (r = 0; r < n && !w->stop; r++) {
                xmlNodePtr td = rows[r]->children;
                size_t col = 0;

                w->pending_space = 0;
                if (r > 0 || w->out->len > w->start)
                        w->pending_nl = w->pending_nl ? w->pending_nl : 1;
                flush_owed(w);
                if (w->md)
                        put_str(w, "|");
                while (col < cols && !w->stop) {
                        long span = 1, rspan = 1;
                        const char *s;

                        if (carry[col] > 0) {
                                carry[col]--;
                                if (w->md)
                                        put_str(w, "  |");
                                else if (col > 0)
                                        put_str(w, "\t");
                                col++;
                                continue;
                        }
                        while (td != NULL &&
                               (td->type != XML_ELEMENT_NODE ||
                                !(is_name(td, "td") || is_name(td, "th"))))
                                td = td->next;
                        cell.len = 0;
                        if (td != NULL) {
                                char *end;

                                if (!skipped(w, td))
                                        render_cell(w, td, &cell);
                                s = dom_attr(td, "colspan");
                                if (s != NULL) {
                                        span = strtol(s, &end, 10);
                                        if (end == s || span < 1)
                                                span = 1;
                                }
                                s = dom_attr(td, "rowspan");
                                if (s != NULL) {
                                        rspan = strtol(s, &end, 10);
                                        if (end == s || rspan < 1)
                                                rspan = 1;
                                        if (rspan > MAX_ROWS)
                                                rspan = MAX_ROWS;
                                }
                                td = td->next;
                        }
                        if (w->md) {
                                put_str(w, " ");
                                if (cell.len > 0)
                                        put_raw(w, cell.data, cell.len);
                                put_str(w, " |");
                        } else {
                                if (col > 0)
                                        put_str(w, "\t");
                                if (cell.len > 0)
                                        put_raw(w, cell.data, cell.len);
                        }
                        for (c = 0; c < (size_t)span && col < cols;
                             c++, col++) {
                                carry[col] = rspan - 1;
                                if (c > 0) {
                                        if (w->md)
                                                put_str(w, "  |");
                                        else
                                                put_str(w, "\t");
                                }
                        }
                }
                w->line_start = 0;
                if (r == 0 && w->md) {
                        put_str(w, "\n");
                        put_prefixes(w, 0);
                        put_str(w, "|");
                        for (c = 0; c < cols; c++)
                                put_str(w, " --- |");
                }
                w->pending_nl = 1;
        }
        block_break(w, 2);
        rc = 1;
        dynbuf_free(&cell);
        free(rows);
        return rc;
}

/* ---- the walk ------------------------------------------------------------ */

static void enter_list(writer_t *w, frame_t *f, xmlNodePtr n)
{
        const char *start = dom_attr(n, "start");

        f->kind = K_LIST;
        f->list_ordered = is_name(n, "ol");
        f->list_next = 1;
        if (start != NULL) {
                char *end;
                long v = strtol(start, &end, 10);

                if (end != start && v >= 0 && v < 1000000000L)
                        f->list_next = v;
        }
        block_break(w, w->n_pre > 0 ? 1 : 2);
}

static frame_t *list_frame(frame_t *stack, size_t sp)
{
        size_t i;

        for (i = sp; i-- > 0;)
                if (stack[i].kind == K_LIST)
                        return &stack[i];
        return NULL;
}

/* Returns 1 to descend into n's children. */
static int enter(writer_t *w, xmlNodePtr n, frame_t *stack, size_t sp)
{
        frame_t *f = &stack[sp];
        int h;

        memset(f, 0, sizeof(*f));
        f->node = n;
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
                if (n->content != NULL)
                        put_text(w, (const char *)n->content,
                                 strlen((const char *)n->content), 1);
                return 0;
        }
        if (n->type != XML_ELEMENT_NODE)
                return 0;
        if (skipped(w, n))
                return 0;
        h = heading_level(n);
        if (h > 0) {
                static const char *const marks[] = { "# ",     "## ",
                                                     "### ",   "#### ",
                                                     "##### ", "###### " };
                f->kind = K_HEADING;
                if (w->inline_only)
                        return 1;
                block_break(w, 2);
                w->fresh_item = 0;
                if (w->md)
                        w->marker = marks[h - 1];
                w->heading++;
                return 1;
        }
        if (is_name(n, "pre")) {
                put_code_block(w, n);
                return 0;
        }
        if (is_name(n, "code") || is_name(n, "kbd") || is_name(n, "samp")) {
                put_inline_code(w, n);
                return 0;
        }
        if (is_name(n, "br")) {
                if (w->heading || w->inline_only)
                        w->pending_space = 1;
                else
                        block_break(w, 1);
                return 0;
        }
        if (is_name(n, "hr")) {
                if (!w->inline_only && w->md) {
                        block_break(w, 2);
                        flush_owed(w);
                        put_str(w, "---");
                        w->line_start = 0;
                }
                block_break(w, 2);
                return 0;
        }
        if (is_name(n, "img")) {
                put_image(w, n);
                return 0;
        }
        if (is_name(n, "table") && !w->inline_only) {
                if (put_table(w, n))
                        return 0;
                f->kind = K_BLOCK;
                block_break(w, 2);
                return 1;
        }
        if (w->inline_only) {
                if (is_name(n, "tr") || is_name(n, "td") || is_name(n, "th") ||
                    is_name(n, "li") || is_block_name(n))
                        w->pending_space = 1;
        }
        if (is_name(n, "tr")) {
                f->kind = K_ROW;
                block_break(w, 1);
                return 1;
        }
        if (is_name(n, "td") || is_name(n, "th")) {
                f->kind = K_CELL;
                block_break(w, 1);
                return 1;
        }
        if (is_name(n, "ul") || is_name(n, "ol")) {
                if (w->inline_only)
                        return 1;
                enter_list(w, f, n);
                return 1;
        }
        if (is_name(n, "li")) {
                frame_t *lf = list_frame(stack, sp);
                prefix_t *p;

                if (w->inline_only)
                        return 1;
                f->kind = K_ITEM;
                w->fresh_item = 0;
                block_break(w, 1);
                if (w->n_pre < MAX_PREFIX) {
                        p = &w->pre[w->n_pre];
                        memset(p, 0, sizeof(*p));
                        if (lf != NULL && lf->list_ordered) {
                                snprintf(p->num, sizeof(p->num), "%ld. ",
                                         lf->list_next++);
                                p->first = p->num;
                                p->cont = (int)strlen(p->num);
                        } else {
                                p->first = "- ";
                                p->cont = 2;
                        }
                        w->n_pre++;
                        f->pushed_prefix = 1;
                }
                w->fresh_item = 1;
                return 1;
        }
        if (is_name(n, "blockquote")) {
                if (w->inline_only)
                        return 1;
                f->kind = K_QUOTE;
                block_break(w, 2);
                if (w->md && w->n_pre < MAX_PREFIX) {
                        prefix_t *p = &w->pre[w->n_pre];

                        memset(p, 0, sizeof(*p));
                        p->first = "> ";
                        p->cont = -1;
                        w->n_pre++;
                        f->pushed_prefix = 1;
                }
                return 1;
        }
        if (is_name(n, "dt") || is_name(n, "dd")) {
                f->kind = K_DT;
                block_break(w, 1);
                return 1;
        }
        if (is_block_name(n)) {
                f->kind = K_BLOCK;
                block_break(w, 2);
                return 1;
        }
        if (!w->md)
                return 1;
        if (is_name(n, "strong") || is_name(n, "b")) {
                f->kind = K_STRONG;
                if (w->strong == 0 && !w->heading)
                        f->pushed_inline = push_inline(w, "**", "**");
                w->strong++;
                return 1;
        }
        if (is_name(n, "em") || is_name(n, "i") || is_name(n, "cite")) {
                f->kind = K_EM;
                if (w->em == 0 && !w->heading)
                        f->pushed_inline = push_inline(w, "*", "*");
                w->em++;
                return 1;
        }
        if (is_name(n, "a")) {
                char *href, *dest, *close;
                size_t cl;

                f->kind = K_LINK;
                href = resolve(w, dom_attr(n, "href"));
                if (href == NULL)
                        return 1;
                if (has_blocks(n)) {
                        free(href);
                        return 1;
                }
                /* No link inside a link. */
                {
                        int k;
                        for (k = 0; k < w->n_in; k++)
                                if (w->in[k].open[0] == '[') {
                                        free(href);
                                        return 1;
                                }
                }
                dest = destination(href);
                free(href);
                if (dest == NULL)
                        return 1;
                cl = strlen(dest) + 4;
                close = malloc(cl);
                if (close != NULL) {
                        snprintf(close, cl, "](%s)", dest);
                        f->pushed_inline = push_inline(w, "[", close);
                        free(close);
                }
                free(dest);
                return 1;
        }
        return 1;
}

static void leave(writer_t *w, frame_t *f)
{
        switch (f->kind) {
        case K_HEADING:
                if (w->inline_only)
                        break;
                w->heading--;
                w->marker = NULL;
                block_break(w, 2);
                break;
        case K_BLOCK:
        case K_QUOTE:
                block_break(w, 2);
                break;
        case K_LIST:
                block_break(w, w->n_pre > 0 ? 1 : 2);
                break;
        case K_ITEM:
        case K_ROW:
        case K_DT:
        case K_CELL:
                w->fresh_item = 0;
                block_break(w, 1);
                break;
        case K_STRONG:
                w->strong--;
                break;
        case K_EM:
                w->em--;
                break;
        default:
                break;
        }
        if (f->pushed_inline)
                pop_inline(w);
        if (f->pushed_prefix && w->n_pre > 0) {
                w->n_pre--;
                w->fresh_item = 0;
        }
}

static void walk(writer_t *w, xmlNodePtr root, frame_t *stack, size_t cap)
{
        xmlNodePtr n = root;
        size_t sp = 0;

        for (;;) {
                int descend;

                if (w->stop)
                        break;
                if (w->o->budget != NULL && ++w->seen % BUDGET_EVERY == 0 &&
                    w->o->budget(w->o->budget_opaque)) {
                        w->failed = w->stop = 1;
                        snprintf(w->errstr, sizeof(w->errstr),
                                 "markdown: CPU budget spent");
                        break;
                }
                descend = enter(w, n, stack, sp);
                if (descend && n->children != NULL && sp + 1 < cap) {
                        sp++;
                        n = n->children;
                        continue;
                }
                if (n->type == XML_ELEMENT_NODE)
                        leave(w, &stack[sp]);
                for (;;) {
                        if (n == root)
                                return;
                        if (n->next != NULL) {
                                n = n->next;
                                break;
                        }
                        sp--;
                        n = stack[sp].node;
                        leave(w, &stack[sp]);
                }
        }
        /* Stopped: the open frames still close what they opened. */
        while (sp > 0) {
                sp--;
                leave(w, &stack[sp]);
        }
}

static void render_nodes(writer_t *w, xmlNodePtr const *nodes, size_t n)
{
        size_t cap = w->o->max_depth ? w->o->max_depth : DEFAULT_MAX_DEPTH;
        frame_t *stack = malloc((cap + 1) * sizeof(*stack));
        size_t i;

        if (stack == NULL) {
                w->failed = w->stop = 1;
                snprintf(w->errstr, sizeof(w->errstr),
                         "markdown: out of memory");
                return;
        }
        for (i = 0; i < n && !w->stop; i++) {
                block_break(w, 2);
                walk(w, nodes[i], stack, cap);
        }
        free(stack);
        /* Close what is still open (stopped by the cap). */
        while (w->n_in > 0) {
                w->stop = 0;
                pop_inline(w);
        }
        if (w->truncated)
                w->stop = 1;
}

static void writer_init(writer_t *w, const markdown_opts_t *o, dynbuf_t *out)
{
        size_t max = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;

        memset(w, 0, sizeof(*w));
        w->o = o;
        w->out = out;
        w->start = out->len;
        w->hard = out->len + max;
        w->limit = max > RESERVE ? w->hard - RESERVE : out->len;
        w->md = o->mode == MARKDOWN_MD;
        w->line_start = 1;
        w->out->max = w->hard + 1;
}

int markdown_render(xmlNodePtr const *nodes, size_t n,
                    const markdown_opts_t *opts, dynbuf_t *out, int *truncated,
                    char *errstr, size_t errstr_size)
{
        writer_t w;
        size_t saved_max = out->max;

        writer_init(&w, opts, out);
        render_nodes(&w, nodes, n);
        out->max = saved_max;
        *truncated = w.truncated;
        if (w.failed) {
                snprintf(errstr, errstr_size, "%s", w.errstr);
                return -1;
        }
        return 0;
}

int markdown_render_text(const char *text, const markdown_opts_t *opts,
                         dynbuf_t *out, int *truncated, char *errstr,
                         size_t errstr_size)
{
        writer_t w;
        size_t saved_max = out->max;
        const char *p = text, *e;

        writer_init(&w, opts, out);
        while (*p != '\0' && !w.stop) {
                int nl = 0;

                e = strchr(p, '\n');
                if (e == NULL)
                        e = p + strlen(p);
                put_text(&w, p, (size_t)(e - p), 1);
                p = e;
                while (*p == '\n' || *p == '\r') {
                        if (*p == '\n')
                                nl++;
                        p++;
                }
                if (nl > 0)
                        block_break(&w, nl > 1 || !w.md ? 2 : 2);
        }
        out->max = saved_max;
        *truncated = w.truncated;
        if (w.failed) {
                snprintf(errstr, errstr_size, "%s", w.errstr);
                return -1;
        }
        return 0;
}
