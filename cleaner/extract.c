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

#include "pagescan.h"
#include "record.h"

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
        /* The rules read the document. A module that needs the tree adds
         * its condition here. */
        pagescan_opts_t opts = { .want_tree = fields_cb != NULL };
        page_facts_t *f = NULL;
        int rc;

        *facts = NULL;
        *out = NULL;
        *out_len = 0;
        rc = pagescan_run(page, &opts, &f, errstr, errstr_size);
        if (rc != 0)
                return rc;
        rc = record_write(f, fields_cb, fields_ctx, out, out_len, errstr,
                          errstr_size);
        if (rc != 0) {
                pagefacts_free(f);
                return rc;
        }
        *facts = f;
        return 0;
}
