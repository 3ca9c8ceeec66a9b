/*
 * extract_bench — the cleaner's extraction alone, in memory: the same
 * extract_record() the workers call, on the same files xml_parse and
 * pyparse.py read, without Kafka.
 *
 *   extract_bench --seconds S FILE...
 *
 * Each file is a page with the headers a fetcher gives it (status 200,
 * text/html; charset=utf-8, a URL under http://bench.test/); they are
 * extracted round-robin on one thread for at least S CPU seconds and every
 * record is freed. Prints one JSON object like xml_parse's: {"mode",
 * "pages", "bytes", "seconds", "cpu_seconds", "pages_per_s",
 * "record_bytes"}; pages_per_s is per CPU second of this (single) thread.
 */
#include <errno.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extract.h"

struct file {
        unsigned char *data;
        size_t len;
        char url[512];
};

static double now_s(clockid_t clk)
{
        struct timespec ts;

        clock_gettime(clk, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *path, struct file *f)
{
        FILE *fp = fopen(path, "rb");
        const char *base = strrchr(path, '/');
        long n;

        if (!fp)
                return -1;
        if (fseek(fp, 0, SEEK_END) || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET)) {
                fclose(fp);
                return -1;
        }
        f->data = malloc((size_t)n + 1);
        if (!f->data || fread(f->data, 1, (size_t)n, fp) != (size_t)n) {
                fclose(fp);
                return -1;
        }
        fclose(fp);
        f->len = (size_t)n;
        snprintf(f->url, sizeof(f->url), "http://bench.test/%s", base ? base + 1 : path);
        return 0;
}

int main(int argc, char **argv)
{
        double seconds = 3.0, t0, c0, t1, c1;
        struct file *files;
        size_t nfiles = 0, done = 0, bytes = 0, rbytes = 0;
        char errstr[256];
        int i;

        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
                        char *end;

                        errno = 0;
                        seconds = strtod(argv[++i], &end);
                        if (errno || *end || seconds <= 0 || seconds > 3600) {
                                fprintf(stderr, "extract_bench: bad --seconds\n");
                                return 2;
                        }
                } else {
                        fprintf(stderr, "usage: extract_bench --seconds S FILE...\n");
                        return 2;
                }
        }
        if (i >= argc) {
                fprintf(stderr, "extract_bench: no files\n");
                return 2;
        }
        files = calloc((size_t)(argc - i), sizeof(*files));
        if (!files)
                return 1;
        for (; i < argc; i++) {
                if (load(argv[i], &files[nfiles]) < 0) {
                        fprintf(stderr, "extract_bench: %s: cannot read\n", argv[i]);
                        return 1;
                }
                nfiles++;
        }
        xmlInitParser();
        t0 = now_s(CLOCK_MONOTONIC);
        c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        do {
                for (size_t k = 0; k < nfiles; k++) {
                        page_t p = { .url = files[k].url, .status = 200,
                                     .content_type = "text/html; charset=utf-8",
                                     .fetched_at = "2026-01-01T00:00:00Z",
                                     .source_topic = "crawl.urls", .depth = -1,
                                     .body = files[k].data, .body_len = files[k].len };
                        char *out = NULL;
                        size_t out_len = 0;

                        if (extract_record(&p, &out, &out_len, errstr, sizeof(errstr))) {
                                fprintf(stderr, "extract_bench: %s: %s\n", files[k].url,
                                        errstr);
                                return 1;
                        }
                        free(out);
                        rbytes += out_len;
                        bytes += files[k].len;
                        done++;
                }
                c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        } while (c1 - c0 < seconds);
        t1 = now_s(CLOCK_MONOTONIC);
        printf("{\"mode\": \"extract\", \"pages\": %zu, \"bytes\": %zu, \"seconds\": %.4f, "
               "\"cpu_seconds\": %.4f, \"pages_per_s\": %.1f, \"record_bytes\": %zu}\n",
               done, bytes, t1 - t0, c1 - c0, (double)done / (c1 - c0), rbytes);
        for (size_t k = 0; k < nfiles; k++)
                free(files[k].data);
        free(files);
        xmlCleanupParser();
        return 0;
}
