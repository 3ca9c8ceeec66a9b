/*
 * extract.c — one fetched page in, one JSON record out (see extract.h):
 * the page's facts from one scan (pagescan.h), then the record written
 * from them (record.h).
 *
 * A caller that needs the facts after the record (link following,
 * links.h: links_each_facts()) calls extract_record_facts(), as the
 * cleaner's worker does.
 */
#include "extract.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mainfields.h"
#include "pagescan.h"
#include "record.h"
#include "structured.h"

/* The page's CPU-time budget, for the main-content walks: the calling
 * thread's CPU time since the extraction began. */
typedef struct budget {
        struct timespec start;
        long budget_ms; /* 0 = none */
} budget_t;

static long long thread_cpu_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int budget_spent(void *opaque)
{
        const budget_t *b = opaque;
        long long start =
                (long long)b->start.tv_sec * 1000000000LL + b->start.tv_nsec;

        return b->budget_ms > 0 &&
               thread_cpu_ns() - start >= (long long)b->budget_ms * 1000000LL;
}

/* main_text, markdown and the article metadata of an HTML page, from its
 * tree. Returns 0, -1 (out of memory) or EXTRACT_TIMEOUT. */
static int main_fields(page_facts_t *f, budget_t *b, char *errstr,
                       size_t errstr_size)
{
        mainfields_opts_t o = {
                /* Always: the content digest (change.h) is of it, even
                 * when the record does not carry it. */
                .want_text = 1,
                .want_markdown = (f->texts & EXTRACT_MARKDOWN) != 0,
                .want_meta = 1,
                .max_bytes = EXTRACT_TEXT_MAX,
                .budget = budget_spent,
                .budget_opaque = b,
        };
        int rc;

        if (!f->html || f->doc == NULL) {
                /* An empty page, or one that is not HTML (a PDF, an
                 * image): no main content, nothing said -- main_text and
                 * markdown are "", the metadata null. */
                memset(&f->main, 0, sizeof(f->main));
                f->has_main = 1;
                return 0;
        }
        rc = mainfields_build(f->doc, f->base != NULL ? f->base->href : NULL,
                              &o, &f->main, errstr, errstr_size);
        f->has_main = 1;
        if (rc != 0 && budget_spent(b))
                return EXTRACT_TIMEOUT;
        return rc;
}

/* The page's change (change.h): its main text's digest (else its
 * body's) against the previous one the headers gave. */
static int decide_change(page_facts_t *f)
{
        const page_t *page = f->page;
        change_prev_t prev = {
                .content_sha256 = page->prev_content_sha256,
                .price = page->prev_price,
                .availability = page->prev_availability,
                .not_modified = page->not_modified != 0,
        };
        const char *product = NULL, *text = NULL;
        size_t product_len = 0, text_len = 0;

        if (f->sd != NULL)
                product = structured_product_json(f->sd, &product_len);
        if (f->has_main && f->main.text.len > 0) {
                text = f->main.text.data;
                text_len = f->main.text.len;
        }
        return change_decide(&f->change, &prev, text, text_len, page->body,
                             page->body_len, product, product_len);
}

int extract_record(const page_t *page, char **out, size_t *out_len,
                   char *errstr, size_t errstr_size)
{
        return extract_record_with(page, NULL, NULL, out, out_len, errstr,
                                   errstr_size);
}

int extract_record_with(const page_t *page, extract_fields_fn fields_cb,
                        void *fields_ctx, char **out, size_t *out_len,
                        char *errstr, size_t errstr_size)
{
        page_facts_t *f = NULL;
        int rc;

        rc = extract_record_facts(page, fields_cb, fields_ctx, &f, out,
                                  out_len, errstr, errstr_size);
        pagefacts_free(f);
        return rc;
}

int extract_record_facts(const page_t *page, extract_fields_fn fields_cb,
                         void *fields_ctx, page_facts_t **facts, char **out,
                         size_t *out_len, char *errstr, size_t errstr_size)
{
        /* The rules read the document, and so do the main content and the
         * article metadata (every HTML page has them). */
        pagescan_opts_t opts = { .want_tree = 1,
                                 .keep_raw = fields_cb != NULL };
        page_facts_t *f = NULL;
        budget_t b = { .budget_ms = page->budget_ms };
        int rc;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b.start);
        *facts = NULL;
        *out = NULL;
        *out_len = 0;
        rc = pagescan_run(page, &opts, &f, errstr, errstr_size);
        if (rc != 0)
                return rc;
        f->texts = page->texts ? page->texts : EXTRACT_TEXTS_ALL;
        rc = main_fields(f, &b, errstr, errstr_size);
        if (rc != 0) {
                pagefacts_free(f);
                return rc;
        }
        rc = decide_change(f);
        if (rc != 0) {
                snprintf(errstr, errstr_size, "out of memory");
                pagefacts_free(f);
                return rc;
        }
        rc = record_write(f, fields_cb, fields_ctx, out, out_len, errstr,
                          errstr_size);
        if (rc != 0) {
                pagefacts_free(f);
                return rc;
        }
        *facts = f;
        return 0;
}
