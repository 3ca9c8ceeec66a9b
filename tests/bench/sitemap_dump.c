/*
 * sitemap_dump — what the cleaner's sitemap reader finds in files, for
 * tests/bench/sitemap_eval.py (make sitemap-eval) to compare with
 * reference parsers.
 *
 *   sitemap_dump FILE SITEMAP_URL   the locations FILE lists (read in
 *                                   64 KiB pieces, gzip or not), one a
 *                                   line; a last line "#" JSON statistics
 *   sitemap_dump --normalise        URLs on stdin, one a line, to the form
 *                                   the reader gives them (WHATWG URL
 *                                   serialisation, no fragment); an empty
 *                                   line for one that is no http(s) URL
 *
 * No scope rule (sitemap_opts_t any_host): a comparison of what parsers
 * find, not of what the crawler would publish; no URL cap below 10
 * million, the protocol's 50 MiB byte cap kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "sitemap.h"
#include "url.h"

static int print_entry(void *ctx, const sitemap_entry_t *e)
{
        (void)ctx;
        fwrite(e->url, 1, e->url_len, stdout);
        fputc('\n', stdout);
        return 0;
}

static int normalise(void)
{
        char line[70000];

        while (fgets(line, sizeof(line), stdin)) {
                size_t n = strcspn(line, "\r\n");
                url_t *u = NULL;

                if (url_parse_n(line, n, NULL, &u, NULL, 0) == URL_OK) {
                        size_t len = strlen(u->href);

                        if (u->fragment)
                                len -= strlen(u->fragment) + 1;
                        fwrite(u->href, 1, len, stdout);
                }
                fputc('\n', stdout);
                url_destroy(u);
        }
        return 0;
}

int main(int argc, char **argv)
{
        sitemap_opts_t opts = { .max_urls = 10000000, .any_host = 1 };
        const sitemap_stats_t *st;
        unsigned char buf[65536];
        char err[256];
        sitemap_t *sm;
        FILE *in;
        size_t n;
        int rc = 0;

        if (argc == 2 && !strcmp(argv[1], "--normalise"))
                return normalise();
        if (argc != 3) {
                fprintf(stderr, "usage: sitemap_dump FILE SITEMAP_URL | "
                                "sitemap_dump --normalise\n");
                return 2;
        }
        in = fopen(argv[1], "rb");
        if (!in) {
                perror(argv[1]);
                return 2;
        }
        sm = sitemap_new(argv[2], &opts, print_entry, NULL, err, sizeof(err));
        if (!sm) {
                fprintf(stderr, "sitemap_dump: %s\n", err);
                fclose(in);
                return 2;
        }
        while (rc == 0) {
                n = fread(buf, 1, sizeof(buf), in);
                if (n == 0)
                        break;
                rc = sitemap_feed(sm, buf, n);
        }
        if (rc == 0)
                rc = sitemap_finish(sm);
        st = sitemap_stats(sm);
        printf("#{\"format\":\"%s\",\"gzip\":%s,\"bytes\":%zu,\"found\":%zu,"
               "\"emitted\":%zu,\"invalid_url\":%zu,\"not_http\":%zu,"
               "\"lastmod_invalid\":%zu,\"truncated\":%s,\"malformed\":%s}\n",
               sitemap_format_names[st->format], st->gzip ? "true" : "false",
               st->bytes, st->found, st->emitted,
               st->dropped[SITEMAP_DROP_INVALID],
               st->dropped[SITEMAP_DROP_SCHEME], st->lastmod_invalid,
               st->truncated ? "true" : "false",
               st->malformed ? "true" : "false");
        sitemap_destroy(sm);
        fclose(in);
        xmlCleanupParser();
        return rc < 0 ? 1 : 0;
}
