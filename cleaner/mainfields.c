/*
 * mainfields.c — the record's main-content fields (mainfields.h).
 */
#include "mainfields.h"

#include "jsonld.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "maincontent.h"
#include "markdown.h"
#include "url.h"

#define DEFAULT_MAX_BYTES (1u << 20)

static int skip_cb(const void *opaque, const xmlNode *n)
{
        return maincontent_skip(opaque, n);
}

static int render(maincontent_t *mc, const char *base_url,
                  const mainfields_opts_t *o, markdown_mode_t mode,
                  dynbuf_t *out, int *truncated, char *errstr,
                  size_t errstr_size)
{
        markdown_opts_t mo;
        const char *fb = maincontent_fallback_text(mc);
        xmlNodePtr const *nodes;
        size_t n;
        int rc;

        memset(&mo, 0, sizeof(mo));
        mo.mode = mode;
        mo.max_bytes = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
        mo.max_depth = o->max_depth;
        mo.base_url = base_url;
        mo.resolve = base_url != NULL ? url_resolve : NULL;
        mo.skip = skip_cb;
        mo.skip_opaque = mc;
        mo.budget = o->budget;
        mo.budget_opaque = o->budget_opaque;
        if (fb != NULL) {
                rc = markdown_render_text(fb, &mo, out, truncated, errstr,
                                          errstr_size);
        } else {
                nodes = maincontent_nodes(mc, &n);
                rc = markdown_render(nodes, n, &mo, out, truncated, errstr,
                                     errstr_size);
        }
        /* Always a string, "" when there is no content. */
        if (rc == 0 && out->data == NULL && dynbuf_add(out, "", 0) != 0) {
                snprintf(errstr, errstr_size, "main content: out of memory");
                rc = -1;
        }
        return rc;
}

int mainfields_build(xmlDocPtr doc, const char *base_url,
                     const mainfields_opts_t *o, mainfields_t *mf,
                     char *errstr, size_t errstr_size)
{
        maincontent_opts_t mco;
        maincontent_t *mc = NULL;
        /* The JSON-LD scripts both the main content's hints and the
         * article metadata read: parsed once (NULL: each parses). */
        jsonld_cache_t *jc = jsonld_cache_new();
        int rc = -1;

        memset(mf, 0, sizeof(*mf));
        dynbuf_init(&mf->text, SIZE_MAX / 2);
        dynbuf_init(&mf->markdown, SIZE_MAX / 2);
        if (o->want_text || o->want_markdown) {
                memset(&mco, 0, sizeof(mco));
                mco.max_nodes = o->max_nodes;
                mco.max_depth = o->max_depth;
                mco.budget = o->budget;
                mco.budget_opaque = o->budget_opaque;
                mco.jsonld = jc;
                if (maincontent_find(doc, &mco, &mc, errstr, errstr_size) != 0)
                        goto out;
                if (o->want_text &&
                    render(mc, base_url, o, MARKDOWN_TEXT, &mf->text,
                           &mf->text_truncated, errstr, errstr_size) != 0)
                        goto out;
                if (o->want_markdown &&
                    render(mc, base_url, o, MARKDOWN_MD, &mf->markdown,
                           &mf->markdown_truncated, errstr, errstr_size) != 0)
                        goto out;
        }
        if (o->want_meta && articlemeta_find(doc, o->max_nodes, jc, &mf->meta,
                                             errstr, errstr_size) != 0)
                goto out;
        rc = 0;
out:
        maincontent_destroy(mc);
        jsonld_cache_free(jc);
        return rc;
}

void mainfields_clear(mainfields_t *mf)
{
        dynbuf_free(&mf->text);
        dynbuf_free(&mf->markdown);
        articlemeta_clear(&mf->meta);
}
