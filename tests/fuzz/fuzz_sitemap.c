/*
 * fuzz_sitemap.c — libFuzzer target: the sitemap and feed reader
 * (cleaner/sitemap.h) on arbitrary bytes.
 *
 * Input layout: one control byte, then the sitemap's bytes. The control
 * byte's low bits choose the piece size the bytes are fed in (whole, 1, 3
 * or 64 bytes); bit 2 gives small limits (4 URLs, 4 KiB); bit 3 the
 * robots.txt case (another scope host, any path).
 *
 * Checks: no invalid memory access, no leak, no stderr noise from
 * libxml2; every location met is emitted or dropped with a reason
 * (found = emitted + the drops); at most max_urls emitted and max_bytes
 * read; each entry is an http(s) URL of the scope host, with no fragment,
 * re-parsing to itself; well-formed input read whole gives the same counts
 * as read in pieces (streaming changes nothing; libxml2's recovery from
 * errors depends on where its chunks end, so malformed input may differ).
 */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "sitemap.h"
#include "url.h"

#define SITEMAP_URL "https://example.com/maps/sitemap.xml"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        setlocale(LC_CTYPE, "C.UTF-8");
        xmlInitParser();
        return 0;
}

typedef struct check {
        const char *scope_host;
        size_t n;
} check_t;

static int check_emit(void *ctx, const sitemap_entry_t *e)
{
        check_t *c = ctx;
        url_t *u = NULL;

        c->n++;
        if (strlen(e->url) != e->url_len || strchr(e->url, '#'))
                abort();
        if (strcmp(e->host_key, c->scope_host) != 0)
                abort();
        if (url_parse(e->url, NULL, &u, NULL, 0) != URL_OK)
                abort();
        if (strcmp(u->href, e->url) != 0)
                abort();
        url_destroy(u);
        if (e->priority != -1 && !(e->priority >= 0 && e->priority <= 1))
                abort();
        if (e->lastmod && strlen(e->lastmod) > SITEMAP_LASTMOD_MAX)
                abort();
        return 0;
}

static void run(const uint8_t *data, size_t size, size_t step,
                const sitemap_opts_t *opts, sitemap_stats_t *out)
{
        check_t c = { opts->scope_host ? opts->scope_host : "example.com", 0 };
        char err[128];
        sitemap_t *sm = sitemap_new(SITEMAP_URL, opts, check_emit, &c, err,
                                    sizeof(err));
        const sitemap_stats_t *st;
        size_t off = 0, drops = 0;
        int rc = 0;

        if (sm == NULL)
                abort();
        while (off < size && rc == 0) {
                size_t k = step && size - off > step ? step : size - off;
                rc = sitemap_feed(sm, data + off, k);
                off += k;
        }
        if (rc == 0)
                rc = sitemap_finish(sm);
        if (rc != 0 && rc != SITEMAP_STOPPED)
                abort();
        st = sitemap_stats(sm);
        for (int i = 0; i < SITEMAP_DROP_N; i++)
                drops += st->dropped[i];
        if (st->found != st->emitted + drops || st->emitted != c.n)
                abort();
        if (st->emitted > (opts->max_urls ? opts->max_urls : SITEMAP_MAX_URLS))
                abort();
        if (st->bytes >
            (opts->max_bytes ? opts->max_bytes : SITEMAP_MAX_BYTES))
                abort();
        *out = *st;
        sitemap_destroy(sm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const size_t steps[] = { 0, 1, 3, 64 };
        sitemap_opts_t opts = { 0 };
        sitemap_stats_t a, b;
        uint8_t ctl;

        if (size < 1)
                return 0;
        ctl = data[0];
        data++;
        size--;
        if (ctl & 4) {
                opts.max_urls = 4;
                opts.max_bytes = 4096;
        }
        if (ctl & 8) {
                opts.scope_host = "example.org:8080";
                opts.any_path = 1;
        }
        run(data, size, steps[ctl & 3], &opts, &a);
        if ((ctl & 3) != 0) {
                run(data, size, 0, &opts, &b);
                /* libxml2's recovery from an error depends on where the
                 * chunks end: only well-formed input must read the same. */
                if (!a.malformed && !b.malformed &&
                    (a.found != b.found || a.emitted != b.emitted ||
                     a.format != b.format || a.truncated != b.truncated))
                        abort();
        }
        return 0;
}
