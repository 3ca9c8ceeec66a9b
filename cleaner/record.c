/*
 * record.c — the record of a page from its facts, part by part (see
 * record.h).
 */
#include "robotsdirs.h"
#include <yajl/yajl_gen.h>
#include "record.h"

#include "jsonvalue.h"
#include "structured.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The helpers                                                         */

static void out_print(void *ctx, const char *s, size_t len)
{
        rec_t *w = ctx;

        if (!w->out_failed && dynbuf_add(&w->out, s, len) < 0)
                w->out_failed = 1;
}

void rec_key(rec_t *w, const char *key)
{
        if (w->st == yajl_gen_status_ok)
                w->st = yajl_gen_string(w->gen, (const unsigned char *)key,
                                        strlen(key));
}

void rec_dkey(rec_t *w, const xmlChar *key)
{
        if (w->st == yajl_gen_status_ok)
                w->st = jsonvalue_key(w->gen, key, strlen((const char *)key),
                                      &w->oom);
}

void rec_null(rec_t *w)
{
        if (w->st == yajl_gen_status_ok)
                w->st = yajl_gen_null(w->gen);
}

void rec_int(rec_t *w, long long v)
{
        if (w->st == yajl_gen_status_ok)
                w->st = yajl_gen_integer(w->gen, v);
}

void rec_bool(rec_t *w, int v)
{
        if (w->st == yajl_gen_status_ok)
                w->st = yajl_gen_bool(w->gen, v);
}

void rec_open(rec_t *w, int map)
{
        if (w->st == yajl_gen_status_ok)
                w->st = map ? yajl_gen_map_open(w->gen)
                            : yajl_gen_array_open(w->gen);
}

void rec_close(rec_t *w, int map)
{
        if (w->st == yajl_gen_status_ok)
                w->st = map ? yajl_gen_map_close(w->gen)
                            : yajl_gen_array_close(w->gen);
}

void rec_str(rec_t *w, const void *s, size_t len)
{
        if (w->st == yajl_gen_status_ok)
                w->st = jsonvalue_string(w->gen, &w->quoted, s, len, &w->oom);
}

void rec_cstr(rec_t *w, const void *s)
{
        rec_str(w, s, s ? strlen(s) : 0);
}

void rec_attr(rec_t *w, const xmlChar *v)
{
        size_t len;

        if (v == NULL) {
                rec_null(w);
                return;
        }
        v = pagefacts_attr_trim(v, &len);
        rec_str(w, v, len);
}

void rec_json(rec_t *w, const char *json, size_t len)
{
        /* yajl_gen_number() writes its argument as it is. */
        if (w->st == yajl_gen_status_ok)
                w->st = yajl_gen_number(w->gen, json, len);
}

/* ------------------------------------------------------------------ */
/* The parts                                                           */

static void write_page(rec_t *w, const page_facts_t *f)
{
        const page_t *page = f->page;

        rec_key(w, "url");
        rec_cstr(w, page->url);
        rec_key(w, "final_url");
        rec_cstr(w, page->final_url ? page->final_url : page->url);
        rec_key(w, "status");
        rec_int(w, page->status);
        rec_key(w, "fetched_at");
        rec_cstr(w, page->fetched_at);
        rec_key(w, "content_type");
        rec_cstr(w, page->content_type);
        if (page->source_topic != NULL) {
                rec_key(w, "source_topic");
                rec_cstr(w, page->source_topic);
        }
        if (page->id != NULL) {
                rec_key(w, "id");
                rec_cstr(w, page->id);
        }
        if (page->depth >= 0) {
                rec_key(w, "depth");
                rec_int(w, page->depth);
        }
        if (f->has_meta) {
                rec_key(w, "meta");
                rec_json(w, f->meta_json.data, f->meta_json.len);
        }
}

static void write_head(rec_t *w, const page_facts_t *f)
{
        rec_key(w, "title");
        if (f->has_title)
                rec_str(w, f->title.len ? f->title.data : "", f->title.len);
        else
                rec_null(w);
        rec_key(w, "description");
        rec_str(w, f->description, f->description_len);
        rec_key(w, "canonical");
        rec_cstr(w, f->canonical);
        rec_key(w, "lang");
        rec_attr(w, f->lang);
        rec_key(w, "meta_robots");
        rec_str(w, f->meta_robots, f->meta_robots_len);
}

static void write_headings(rec_t *w, const page_facts_t *f)
{
        rec_key(w, "headings");
        rec_open(w, 0);
        for (size_t i = 0; i < f->n_headings; i++) {
                const pf_heading_t *h = &f->headings[i];

                rec_open(w, 1);
                rec_key(w, "level");
                rec_int(w, h->level);
                rec_key(w, "text");
                rec_str(w,
                        h->text_len ? f->heading_text.data + h->text_off : "",
                        h->text_len);
                rec_close(w, 1);
        }
        rec_close(w, 0);
}

static void write_text(rec_t *w, const page_facts_t *f)
{
        int with_text = f->texts == 0 || (f->texts & EXTRACT_TEXT);

        if (with_text) {
                rec_key(w, "text");
                rec_str(w, f->text.len ? f->text.data : "", f->text.len);
        }
        rec_key(w, "word_count");
        rec_int(w, f->words);
        if (with_text && f->text_truncated) {
                rec_key(w, "text_truncated");
                rec_bool(w, 1);
        }
}

/* main_text, markdown (as page_t.texts asks), author, published_at,
 * modified_at, site_name (mainfields.h). Every page has them: one that
 * is not HTML has no main content ("") and says nothing (null). */
static void write_main(rec_t *w, const page_facts_t *f)
{
        const mainfields_t *m = &f->main;

        if (!f->has_main)
                return;
        if (f->texts & EXTRACT_MAIN_TEXT) {
                rec_key(w, "main_text");
                rec_str(w, m->text.len ? m->text.data : "", m->text.len);
                if (m->text_truncated) {
                        rec_key(w, "main_text_truncated");
                        rec_bool(w, 1);
                }
        }
        if (f->texts & EXTRACT_MARKDOWN) {
                rec_key(w, "markdown");
                rec_str(w, m->markdown.len ? m->markdown.data : "",
                        m->markdown.len);
                if (m->markdown_truncated) {
                        rec_key(w, "markdown_truncated");
                        rec_bool(w, 1);
                }
        }
        rec_key(w, "author");
        rec_cstr(w, m->meta.author);
        rec_key(w, "published_at");
        rec_cstr(w, m->meta.published_at);
        rec_key(w, "modified_at");
        rec_cstr(w, m->meta.modified_at);
        rec_key(w, "site_name");
        rec_cstr(w, m->meta.site_name);
}

static void write_links(rec_t *w, const page_facts_t *f)
{
        rec_key(w, "links");
        rec_open(w, 0);
        /* Each link object is written whole into w->quoted and handed to
         * yajl as one value (rec_json()): one generator call instead of
         * eight, for what is most of a record's items. */
        for (size_t i = 0; i < f->n_links && w->st == yajl_gen_status_ok;
             i++) {
                const pf_link_t *l = &f->links[i];
                dynbuf_t *q = &w->quoted;

                q->len = 0;
                if (dynbuf_add(q, "{\"url\":", 7) < 0 ||
                    jsonvalue_quote(q, (const unsigned char *)l->url,
                                    strlen(l->url)) < 0 ||
                    dynbuf_add(q, ",\"text\":", 8) < 0 ||
                    jsonvalue_quote(q, (const unsigned char *)l->text,
                                    l->text_len) < 0 ||
                    dynbuf_add(q, ",\"rel\":", 7) < 0 ||
                    (l->rel != NULL ? jsonvalue_quote(
                                              q, (const unsigned char *)l->rel,
                                              l->rel_len)
                                    : dynbuf_add(q, "null", 4)) < 0 ||
                    dynbuf_add(q, "}", 1) < 0) {
                        w->oom = 1;
                        break;
                }
                rec_json(w, q->data, q->len);
        }
        rec_close(w, 0);
}

static void write_images(rec_t *w, const page_facts_t *f)
{
        rec_key(w, "images");
        rec_open(w, 0);
        for (size_t i = 0; i < f->n_images; i++) {
                rec_open(w, 1);
                rec_key(w, "src");
                rec_cstr(w, f->images[i].src);
                rec_key(w, "alt");
                rec_attr(w, f->images[i].alt);
                rec_close(w, 1);
        }
        rec_close(w, 0);
}

static void write_opengraph(rec_t *w, const page_facts_t *f)
{
        rec_key(w, "opengraph");
        rec_open(w, 1);
        for (size_t i = 0; i < f->n_og; i++) {
                rec_dkey(w, f->og[i].key);
                rec_attr(w, f->og[i].content);
        }
        rec_close(w, 1);
}

/* Each block re-emitted as one JSON value; the ones that are not JSON (or
 * over their cap) are counted. */
/* json_ld and json_ld_errors, from the structured data (structured.h:
 * the blocks read tolerantly). */
static void write_jsonld(rec_t *w, const page_facts_t *f)
{
        if (w->st == yajl_gen_status_ok && f->sd != NULL &&
            structured_write_jsonld(f->sd, w->gen) < 0)
                w->st = yajl_gen_invalid_string;
}

/* The other structured-data fields: microdata, opengraph_full,
 * dublincore, product (structured.h). */
static void write_structured(rec_t *w, const page_facts_t *f)
{
        if (w->st == yajl_gen_status_ok && f->sd != NULL &&
            structured_write_rest(f->sd, w->gen) < 0)
                w->st = yajl_gen_invalid_string;
}

static void write_capped(rec_t *w, const page_facts_t *f)
{
        static const struct {
                unsigned bit;
                const char *name;
        } caps[] = { { PF_CAP_LINKS, "links" },
                     { PF_CAP_IMAGES, "images" },
                     { PF_CAP_HEADINGS, "headings" },
                     { PF_CAP_OG, "opengraph" },
                     { PF_CAP_JSONLD, "json_ld" },
                     { PF_CAP_STRUCTURED, "structured_data" } };

        if (!f->capped)
                return;
        rec_key(w, "capped");
        rec_open(w, 0);
        for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++)
                if (f->capped & caps[k].bit)
                        rec_cstr(w, caps[k].name);
        rec_close(w, 0);
}

/* Discovery and compliance: the sitemap's lastmod, the robots directives
 * for this crawler (an object, {} when none), the TDM reservation. */
static void write_signals(rec_t *w, const page_facts_t *f)
{
        const page_t *page = f->page;
        yajl_gen g;
        const unsigned char *buf;
        size_t len;

        if (page->lastmod != NULL) {
                rec_key(w, "lastmod");
                rec_cstr(w, page->lastmod);
        }
        g = yajl_gen_alloc(NULL);
        if (g && robotsdirs_gen(&f->robots, g) == 0 &&
            yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
                rec_key(w, "robots");
                rec_json(w, (const char *)buf, len);
        }
        if (g)
                yajl_gen_free(g);
        rec_key(w, "tdm");
        rec_open(w, 1);
        rec_key(w, "reserved");
        if (f->tdm_reserved < 0)
                rec_null(w);
        else
                rec_bool(w, f->tdm_reserved);
        rec_key(w, "policy");
        if (f->tdm_policy)
                rec_str(w, f->tdm_policy, f->tdm_policy_len);
        else
                rec_null(w);
        rec_close(w, 1);
}

/* One product value's change: {"from", "to"}, null for "". */
static void write_from_to(rec_t *w, const char *key, const char *from,
                          const char *to)
{
        rec_key(w, key);
        rec_open(w, 1);
        rec_key(w, "from");
        rec_cstr(w, *from ? from : NULL);
        rec_key(w, "to");
        rec_cstr(w, *to ? to : NULL);
        rec_close(w, 1);
}

/* Change detection (change.h): content_sha256, changed, product_change. */
static void write_change(rec_t *w, const page_facts_t *f)
{
        const change_t *c = &f->change;
        char hex[CONTENTSTATE_HEX_LEN + 1];

        rec_key(w, "content_sha256");
        if (c->has_digest) {
                contentstate_hex(c->digest, hex);
                rec_cstr(w, hex);
        } else {
                rec_null(w);
        }
        rec_key(w, "changed");
        if (c->changed < 0)
                rec_null(w);
        else
                rec_bool(w, c->changed);
        if (!c->price_changed && !c->availability_changed)
                return;
        rec_key(w, "product_change");
        rec_open(w, 1);
        if (c->price_changed)
                write_from_to(w, "price", c->prev_price, c->price);
        if (c->availability_changed)
                write_from_to(w, "availability", c->prev_availability,
                              c->availability);
        rec_close(w, 1);
}

#define REC_ALL 0
#define REC_HTML 1 /* only an HTML page has the part */

/* The record's parts in the order of their members (record.h). A new
 * field's part goes where its members go: an HTML page's before
 * `capped`. */
static const struct {
        record_part_fn write;
        int flags;
} record_parts[] = {
        { write_page, REC_ALL },      { write_signals, REC_ALL },
        { write_change, REC_ALL },    { write_head, REC_HTML },
        { write_headings, REC_HTML }, { write_text, REC_HTML },
        { write_main, REC_ALL },      { write_links, REC_HTML },
        { write_images, REC_HTML },   { write_opengraph, REC_HTML },
        { write_jsonld, REC_HTML },   { write_structured, REC_HTML },
        { write_capped, REC_HTML },
};

/* ------------------------------------------------------------------ */

int record_write(const page_facts_t *f, extract_fields_fn fields_cb,
                 void *fields_ctx, char **out, size_t *out_len, char *errstr,
                 size_t errstr_size)
{
        rec_t w;
        int rc = -1;

        *out = NULL;
        *out_len = 0;
        memset(&w, 0, sizeof(w));
        dynbuf_init(&w.out, EXTRACT_RECORD_MAX);
        dynbuf_init(&w.quoted, SIZE_MAX / 2);
        dynbuf_init(&w.scratch, SIZE_MAX / 2);
        /* Room up front for the usual size, so that the record does not
         * grow by copying: a text-heavy page's record is some 1.2 times
         * the page. Memory not written to is not touched. */
        if (f->utf8_len > 0 &&
            dynbuf_reserve(&w.out,
                           f->utf8_len < EXTRACT_RECORD_MAX / 2
                                   ? f->utf8_len + f->utf8_len / 2 + 4096
                                   : 4096) < 0) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        w.gen = yajl_gen_alloc(NULL);
        if (w.gen == NULL) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        /* Every string the writers write is strictly valid UTF-8 already
         * (jsonvalue.h); yajl's own, looser check is needed only for what
         * a fields callback writes. */
        if (fields_cb != NULL)
                yajl_gen_config(w.gen, yajl_gen_validate_utf8, 1);
        yajl_gen_config(w.gen, yajl_gen_print_callback, out_print, &w);

        rec_open(&w, 1);
        for (size_t i = 0; i < sizeof(record_parts) / sizeof(record_parts[0]);
             i++)
                if (f->html || !(record_parts[i].flags & REC_HTML))
                        record_parts[i].write(&w, f);
        if (f->html && fields_cb != NULL) {
                rec_key(&w, "fields");
                if (w.st == yajl_gen_status_ok)
                        w.st = (yajl_gen_status)fields_cb(fields_ctx, f->doc,
                                                          w.gen);
        }
        rec_close(&w, 1);

        if (w.oom) {
                snprintf(errstr, errstr_size, "out of memory building record");
                goto out;
        }
        if (w.out_failed) {
                snprintf(errstr, errstr_size,
                         "record over %d bytes (or out of memory)",
                         EXTRACT_RECORD_MAX);
                goto out;
        }
        if (w.st != yajl_gen_status_ok) {
                snprintf(errstr, errstr_size, "JSON generator error %d",
                         (int)w.st);
                goto out;
        }
        *out = w.out.data;
        *out_len = w.out.len;
        w.out.data = NULL;
        rc = 0;
out:
        if (w.gen != NULL)
                yajl_gen_free(w.gen);
        dynbuf_free(&w.out);
        dynbuf_free(&w.quoted);
        dynbuf_free(&w.scratch);
        return rc;
}
