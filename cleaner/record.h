/*
 * record.h — the JSON record of a page, written from its facts
 * (pagefacts.h) part by part (schemas/record.schema.json).
 *
 * The record is generated with yajl straight into the buffer handed to the
 * caller, at most EXTRACT_RECORD_MAX bytes. Each part of it is one
 * function `void write_<part>(rec_t *w, const page_facts_t *f)` that
 * writes its top-level members (a key, then its value) with the rec_*
 * helpers below; record.c lists the parts in the order their members
 * appear in the record:
 *
 *   page       url, final_url, status, fetched_at, content_type,
 *              source_topic, id, depth, meta        (every page)
 *   signals    lastmod, robots, tdm                 (every page)
 *   change     content_sha256, changed, product_change (every page;
 *              change.h)
 *   head       title, description, canonical, lang, meta_robots
 *   headings   headings
 *   text       text, word_count, text_truncated
 *   main       main_text, main_text_truncated, markdown,
 *              markdown_truncated, author, published_at, modified_at,
 *              site_name                             (mainfields.h)
 *   links      links
 *   images     images
 *   opengraph  opengraph
 *   json_ld    json_ld, json_ld_errors
 *   capped     capped                                (last of the page's)
 *
 * and, after them, `fields` when a rules callback is given.
 *
 * To add a field: (1) compute what it needs in a module of its own, from
 * the facts, or from the tree (facts->doc: asked for with
 * pagescan_opts_t.want_tree where extract_record_facts() (extract.c) makes
 * the options; resolve URLs with pagefacts_resolve();
 * results the record needs go in page_facts_t, computed by a step of
 * pagescan.c's finish_steps[] or by the part itself); (2) write its
 * write_<part>() with the rec_* helpers; (3) add it to record_parts[] in
 * record.c where its members go (an HTML page's new members before
 * `capped`), with REC_HTML when only an HTML page has it; (4) extend
 * schemas/record.schema.json and docs/cleaner.md. The rec_* helpers keep
 * the first error and do nothing after one: a part need not check them.
 *
 * Thread-safety: no state; any thread.
 */
#ifndef KCRAWL_RECORD_H
#define KCRAWL_RECORD_H

#include "dynbuf.h"
#include "extract.h"
#include "pagefacts.h"

#include <stddef.h>

#include <libxml/tree.h>
#include <yajl/yajl_gen.h>

/* A record being written. */
typedef struct rec {
        yajl_gen gen;
        yajl_gen_status st; /* the first generator error */
        int oom;
        int out_failed; /* over EXTRACT_RECORD_MAX (or out of memory) */
        dynbuf_t out;
        dynbuf_t quoted;  /* a string literal (jsonvalue_string()) */
        dynbuf_t scratch; /* re-emitted JSON text               */
} rec_t;

/* A member's key (a literal of the writer's own: ASCII). */
void rec_key(rec_t *w, const char *key);
/* A key taken from the page (repaired to strict UTF-8 when needed). */
void rec_dkey(rec_t *w, const xmlChar *key);
void rec_null(rec_t *w);
void rec_int(rec_t *w, long long v);
void rec_bool(rec_t *w, int v);
/* Opens/closes a map (map 1) or an array (map 0). */
void rec_open(rec_t *w, int map);
void rec_close(rec_t *w, int map);
/* A string value s[0, len), repaired to strict UTF-8 when needed; NULL
 * writes null. */
void rec_str(rec_t *w, const void *s, size_t len);
/* rec_str() of a NUL-terminated string (NULL writes null). */
void rec_cstr(rec_t *w, const void *s);
/* A page attribute value trimmed and cut (pagefacts_attr_trim()); null
 * when NULL. */
void rec_attr(rec_t *w, const xmlChar *v);
/* JSON text that is one valid compact JSON value, written as it is. */
void rec_json(rec_t *w, const char *json, size_t len);

/* A part of the record. */
typedef void (*record_part_fn)(rec_t *w, const page_facts_t *f);

/*
 * Writes the record of the facts: every part, then `fields` from
 * fields_cb(fields_ctx, facts->doc, gen) when fields_cb is not NULL and the
 * page is HTML (extract.h). Returns 0 with *out a malloc'd NUL-terminated
 * JSON object (*out_len its length), or -1 with a reason in errstr.
 */
int record_write(const page_facts_t *f, extract_fields_fn fields_cb,
                 void *fields_ctx, char **out, size_t *out_len, char *errstr,
                 size_t errstr_size);

#endif /* KCRAWL_RECORD_H */
