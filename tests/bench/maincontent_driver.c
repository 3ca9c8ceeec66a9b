/*
 * maincontent_driver — the main-content, Markdown and article-metadata
 * modules alone, on files: for looking at what they make of a page and for
 * scoring them against a benchmark's ground truth.
 *
 *   maincontent_driver [--record] [--url URL] FILE...
 *
 * Each FILE (an HTML page, UTF-8) is parsed with htmlReadMemory() and the
 * parse options the extractor uses; one JSON object a line is printed per
 * file: {"file", "main_text", "markdown", "markdown_truncated", "author",
 * "published_at", "modified_at", "site_name"}. With --record, the
 * extractor's whole record (extract_record()) instead: the `text` it has
 * today. Last, on stderr: {"pages", "cpu_seconds", "pages_per_s"} for the
 * extraction alone (reading files and printing not counted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <yajl/yajl_gen.h>

#include "dynbuf.h"
#include "extract.h"
#include "mainfields.h"

#define PARSE_OPTIONS                                                     \
        (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
         HTML_PARSE_NONET | HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC)
#define FILE_MAX (64u << 20)

static double cpu_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_file(const char *path, char **data, size_t *len)
{
        FILE *f = fopen(path, "rb");
        dynbuf_t b;
        char chunk[65536];
        size_t n;

        dynbuf_init(&b, FILE_MAX);
        if (f == NULL)
                return -1;
        for (;;) {
                n = fread(chunk, 1, sizeof(chunk), f);
                if (n == 0 || dynbuf_add(&b, chunk, n) != 0)
                        break;
        }
        fclose(f);
        if (b.data == NULL && dynbuf_add(&b, "", 0) != 0)
                return -1;
        *data = b.data != NULL ? b.data : strdup("");
        *len = b.len;
        return 0;
}

static void gen_str(yajl_gen g, const char *k, const char *v)
{
        yajl_gen_string(g, (const unsigned char *)k, strlen(k));
        if (v == NULL)
                yajl_gen_null(g);
        else
                yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

/* One page: main text, Markdown, metadata; *cpu gets the time it took. */
static int one(const char *path, const char *data, size_t len, const char *url,
               yajl_gen g, double *cpu)
{
        double t0 = cpu_now();
        mainfields_opts_t o = { .want_text = 1,
                                .want_markdown = 1,
                                .want_meta = 1 };
        mainfields_t mf;
        htmlDocPtr doc;
        char errstr[256];
        int rc;

        doc = htmlReadMemory(data, (int)len, url, "UTF-8", PARSE_OPTIONS);
        rc = mainfields_build(doc, url, &o, &mf, errstr, sizeof(errstr));
        xmlFreeDoc(doc);
        *cpu += cpu_now() - t0;
        if (rc != 0) {
                fprintf(stderr, "%s: %s\n", path, errstr);
                mainfields_clear(&mf);
                return rc;
        }
        yajl_gen_map_open(g);
        gen_str(g, "file", path);
        gen_str(g, "main_text", mf.text.data);
        gen_str(g, "markdown", mf.markdown.data);
        yajl_gen_string(g, (const unsigned char *)"markdown_truncated", 18);
        yajl_gen_bool(g, mf.markdown_truncated);
        gen_str(g, "author", mf.meta.author);
        gen_str(g, "published_at", mf.meta.published_at);
        gen_str(g, "modified_at", mf.meta.modified_at);
        gen_str(g, "site_name", mf.meta.site_name);
        yajl_gen_map_close(g);
        mainfields_clear(&mf);
        return 0;
}

int main(int argc, char **argv)
{
        const char *url = "http://example.test/page";
        int record = 0, i, failed = 0;
        size_t pages = 0;
        double cpu = 0;

        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                if (strcmp(argv[i], "--record") == 0)
                        record = 1;
                else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
                        url = argv[++i];
                else {
                        fprintf(stderr,
                                "usage: %s [--record] [--url URL] "
                                "FILE...\n",
                                argv[0]);
                        return 2;
                }
        }
        xmlInitParser();
        for (; i < argc; i++) {
                char *data = NULL;
                size_t len = 0;
                const unsigned char *buf;
                size_t blen;
                yajl_gen g;

                if (read_file(argv[i], &data, &len) != 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        failed = 1;
                        continue;
                }
                g = yajl_gen_alloc(NULL);
                if (record) {
                        page_t p = { .url = url,
                                     .status = 200,
                                     .content_type =
                                             "text/html; charset=utf-8",
                                     .fetched_at = "2026-01-01T00:00:00Z",
                                     .depth = -1,
                                     .body = (const unsigned char *)data,
                                     .body_len = len };
                        char *out = NULL, errstr[256];
                        size_t out_len = 0;
                        double t0 = cpu_now();

                        if (extract_record(&p, &out, &out_len, errstr,
                                           sizeof(errstr)) == 0) {
                                cpu += cpu_now() - t0;
                                printf("%s\n", out);
                                pages++;
                        } else {
                                fprintf(stderr, "%s: %s\n", argv[i], errstr);
                                failed = 1;
                        }
                        free(out);
                } else if (one(argv[i], data, len, url, g, &cpu) == 0) {
                        yajl_gen_get_buf(g, &buf, &blen);
                        fwrite(buf, 1, blen, stdout);
                        fputc('\n', stdout);
                        pages++;
                } else {
                        failed = 1;
                }
                yajl_gen_free(g);
                free(data);
        }
        fprintf(stderr,
                "{\"pages\": %zu, \"cpu_seconds\": %.3f, \"pages_per_s\": "
                "%.1f}\n",
                pages, cpu, cpu > 0 ? (double)pages / cpu : 0.0);
        return failed;
}
