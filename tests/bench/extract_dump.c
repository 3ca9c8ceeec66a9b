/*
 * extract_dump — every record (and every followed link's URL message) the
 * cleaner makes of a set of pages, one per line, to compare two builds of
 * the extraction byte for byte.
 *
 *   extract_dump [--tree] [--links] [--links-from-record] FILE...
 *
 * A FILE ending in .gz is gunzipped in memory. Each page is extracted
 * twice: with the headers a fetcher gives a UTF-8 page (status 200,
 * "text/html; charset=utf-8") and with a bare "text/html" (the charset
 * then comes from the page's own <meta>), each under http://dump.test/
 * with an id, a depth and a meta, and no CPU-time budget (a timeout would
 * make the output depend on the machine's load). --tree passes a fields
 * callback writing null, so that the document is built and walked as for
 * a page a rule applies to. --links also prints the URL messages of the
 * links followed (any scope, max depth 10): from the page's facts as the
 * worker does, or with --links-from-record from the record's JSON
 * (links_each()). A page that fails prints its error instead.
 */
#include "extract.h"
#include "xmlarena.h"
#include "links.h"
#ifndef EXTRACT_DUMP_NO_FACTS
#include "pagefacts.h"
#endif

#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <zlib.h>

#define DUMP_FILE_MAX (64 * 1024 * 1024)

/* The file's bytes, gunzipped when its name ends in .gz (*out malloc'd). */
static int read_page(const char *path, unsigned char **out, size_t *len)
{
        size_t cap = 1 << 16, used = 0;
        unsigned char *buf = NULL;
        gzFile gz;
        int rc = -1;

        *out = NULL;
        *len = 0;
        gz = gzopen(path, "rb"); /* reads a plain file as it is */
        if (gz == NULL)
                return -1;
        buf = malloc(cap);
        while (buf != NULL) {
                int got;

                if (used == cap) {
                        unsigned char *nb;

                        if (cap >= DUMP_FILE_MAX)
                                goto out;
                        nb = realloc(buf, cap * 2);
                        if (nb == NULL)
                                goto out;
                        buf = nb;
                        cap *= 2;
                }
                got = gzread(gz, buf + used, (unsigned)(cap - used));
                if (got < 0)
                        goto out;
                if (got == 0)
                        break;
                used += (size_t)got;
        }
        if (buf == NULL)
                goto out;
        *out = buf;
        *len = used;
        buf = NULL;
        rc = 0;
out:
        free(buf);
        gzclose(gz);
        return rc;
}

static int null_fields(void *ctx, struct _xmlDoc *doc, void *gen)
{
        (void)ctx;
        (void)doc;
        return (int)yajl_gen_null(gen);
}

static int print_link(void *ctx, const link_msg_t *m)
{
        (void)ctx;
        printf("  link %s %s %s\n", m->topic, m->key, m->value);
        return 0;
}

static void print_links_stats(const links_stats_t *st)
{
        printf("  links published=%zu dropped=%zu meta_dropped=%d\n",
               st->published, st->dropped, st->meta_dropped);
}

int main(int argc, char **argv)
{
        int tree = 0, links = 0, from_record = 0, a = 1;
        links_t *lk;

        for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
                if (strcmp(argv[a], "--tree") == 0) {
                        tree = 1;
                } else if (strcmp(argv[a], "--links") == 0) {
                        links = 1;
                } else if (strcmp(argv[a], "--links-from-record") == 0) {
                        links = 1;
                        from_record = 1;
                } else {
                        fprintf(stderr, "extract_dump: unknown option %s\n",
                                argv[a]);
                        return 2;
                }
        }
        xmlarena_setup(); /* and xmlInitParser() */
        lk = links_new(LINKS_ANY, 10, "crawl.urls");
        if (lk == NULL) {
                fprintf(stderr, "extract_dump: out of memory\n");
                return 1;
        }
        links_set_limits(lk, 0, 64);
        for (int i = a; i < argc; i++) {
                static const char *const ctypes[] = {
                        "text/html; charset=utf-8", "text/html"
                };
                const char *base = strrchr(argv[i], '/');
                unsigned char *body;
                size_t body_len;
                char url[1024], id[64];

                base = base ? base + 1 : argv[i];
                if (read_page(argv[i], &body, &body_len) < 0) {
                        fprintf(stderr, "extract_dump: cannot read %s\n",
                                argv[i]);
                        return 1;
                }
                snprintf(url, sizeof(url), "http://dump.test/p/%s", base);
                snprintf(id, sizeof(id), "p-%.40s", base);
                for (size_t c = 0; c < sizeof(ctypes) / sizeof(ctypes[0]);
                     c++) {
                        page_t page = { .url = url,
                                        .status = 200,
                                        .content_type = ctypes[c],
                                        .fetched_at = "2026-01-01T00:00:00Z",
                                        .id = id,
                                        .meta = "{\"job\":\"dump\",\"n\":1}",
                                        .depth = 1,
                                        .body = body,
                                        .body_len = body_len,
                                        .budget_ms = 0 };
                        char *rec = NULL, err[256] = "";
                        size_t rec_len = 0;
                        links_stats_t st;
                        int rc;

                        printf("%s %s\n", base, ctypes[c]);
#ifndef EXTRACT_DUMP_NO_FACTS
                        if (!from_record) {
                                /* As the worker does: the record and
                                 * the facts, then links from them. */
                                page_facts_t *f = NULL;

                                rc = extract_record_facts(
                                        &page, tree ? null_fields : NULL, NULL,
                                        &f, &rec, &rec_len, err, sizeof(err));
                                if (rc != 0) {
                                        printf("  error %d %s\n", rc, err);
                                } else {
                                        printf("  %s\n", rec);
                                        if (links &&
                                            links_each_facts(lk, f, print_link,
                                                             NULL, &st, err,
                                                             sizeof(err)) == 0)
                                                print_links_stats(&st);
                                        else if (links)
                                                printf("  links error %s\n",
                                                       err);
                                }
                                pagefacts_free(f);
                                free(rec);
                                continue;
                        }
#else
                        (void)from_record;
#endif
                        rc = extract_record_with(
                                &page, tree ? null_fields : NULL, NULL, &rec,
                                &rec_len, err, sizeof(err));
                        if (rc != 0) {
                                printf("  error %d %s\n", rc, err);
                                continue;
                        }
                        printf("  %s\n", rec);
                        if (links) {
                                if (links_each(lk, rec, print_link, NULL, &st,
                                               err, sizeof(err)) == 0)
                                        print_links_stats(&st);
                                else
                                        printf("  links error %s\n", err);
                        }
                        free(rec);
                }
                free(body);
        }
        links_destroy(lk);
        return 0;
}
