/*
 * extract_bench — the cleaner's extraction alone, in memory: the same
 * extract_record() the workers call, on the same files xml_parse and
 * pyparse.py read, without Kafka.
 *
 *   extract_bench [--threads N] [--structured-off BITS] --seconds S FILE...
 *
 * --structured-off: structured.h STRUCTURED_* bits of the syntaxes turned
 * off (page_t.structured_off), to measure what one syntax costs.
 *
 * Each file is a page with the headers a fetcher gives it (status 200,
 * text/html; charset=utf-8, a URL under http://bench.test/); they are
 * extracted round-robin and every record is freed, each with the CPU-time
 * budget a worker gives it by default (5 s). With one thread (the
 * default) for at least S CPU seconds; with N threads, each going through
 * all the files as a cleaner worker does, sharing nothing but the
 * read-only pages, for S seconds of wall time. Prints one JSON object like
 * xml_parse's: {"mode", "threads", "pages", "bytes", "seconds",
 * "cpu_seconds", "pages_per_s", "wall_pages_per_s", "record_bytes"};
 * pages_per_s is per CPU second of the process, wall_pages_per_s per
 * second of wall time (what N threads add up to).
 */
#include <errno.h>
#include <pthread.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extract.h"
#include "xmlarena.h"

struct file {
        unsigned char *data;
        size_t len;
        char url[512];
};

struct run {
        const struct file *files;
        size_t nfiles;
        double seconds; /* wall time, or CPU time of the process (1 thread) */
        int by_cpu;
        size_t done, bytes, rbytes;
        int failed;
};

static double now_s(clockid_t clk);
static unsigned structured_off;

static void *run_main(void *arg)
{
        struct run *r = arg;
        clockid_t clk = r->by_cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
        double t0 = now_s(clk);
        char errstr[256];

        do {
                for (size_t k = 0; k < r->nfiles; k++) {
                        const struct file *f = &r->files[k];
                        page_t p = { .url = f->url,
                                     .status = 200,
                                     .content_type =
                                             "text/html; charset=utf-8",
                                     .fetched_at = "2026-01-01T00:00:00Z",
                                     .source_topic = "crawl.urls",
                                     .depth = -1,
                                     .body = f->data,
                                     .body_len = f->len,
                                     /* the cleaner's --page-timeout default */
                                     .budget_ms = 5000,
                                     .structured_off = structured_off };
                        char *out = NULL;
                        size_t out_len = 0;

                        if (extract_record(&p, &out, &out_len, errstr,
                                           sizeof(errstr))) {
                                fprintf(stderr, "extract_bench: %s: %s\n",
                                        f->url, errstr);
                                r->failed = 1;
                                return NULL;
                        }
                        free(out);
                        r->rbytes += out_len;
                        r->bytes += f->len;
                        r->done++;
                }
        } while (now_s(clk) - t0 < r->seconds);
        return NULL;
}

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
        n = fseek(fp, 0, SEEK_END) ? -1 : ftell(fp);
        if (n < 0 || fseek(fp, 0, SEEK_SET)) {
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
        snprintf(f->url, sizeof(f->url), "http://bench.test/%s",
                 base ? base + 1 : path);
        return 0;
}

int main(int argc, char **argv)
{
        double seconds = 3.0, t0, c0, t1, c1;
        struct file *files;
        struct run *runs;
        pthread_t *tids;
        size_t nfiles = 0, done = 0, bytes = 0, rbytes = 0;
        long threads = 1;
        int i, failed = 0;

        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                char *end;

                if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
                        errno = 0;
                        seconds = strtod(argv[++i], &end);
                        if (errno || *end || seconds <= 0 || seconds > 3600) {
                                fprintf(stderr,
                                        "extract_bench: bad --seconds\n");
                                return 2;
                        }
                } else if (!strcmp(argv[i], "--structured-off") &&
                           i + 1 < argc) {
                        structured_off = (unsigned)strtoul(argv[++i], NULL, 0);
                } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
                        errno = 0;
                        threads = strtol(argv[++i], &end, 10);
                        if (errno || *end || threads < 1 || threads > 256) {
                                fprintf(stderr,
                                        "extract_bench: bad --threads\n");
                                return 2;
                        }
                } else {
                        fprintf(stderr, "usage: extract_bench [--threads N] "
                                        "[--structured-off BITS] "
                                        "--seconds S FILE...\n");
                        return 2;
                }
        }
        if (i >= argc) {
                fprintf(stderr, "extract_bench: no files\n");
                return 2;
        }
        files = calloc((size_t)(argc - i), sizeof(*files));
        runs = calloc((size_t)threads, sizeof(*runs));
        tids = calloc((size_t)threads, sizeof(*tids));
        if (!files || !runs || !tids)
                return 1;
        for (; i < argc; i++) {
                if (load(argv[i], &files[nfiles]) < 0) {
                        fprintf(stderr, "extract_bench: %s: cannot read\n",
                                argv[i]);
                        return 1;
                }
                nfiles++;
        }
        xmlarena_setup(); /* and xmlInitParser() */
        t0 = now_s(CLOCK_MONOTONIC);
        c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        for (long k = 0; k < threads; k++) {
                runs[k] = (struct run){ .files = files,
                                        .nfiles = nfiles,
                                        .seconds = seconds,
                                        .by_cpu = threads == 1 };
                if (pthread_create(&tids[k], NULL, run_main, &runs[k])) {
                        fprintf(stderr,
                                "extract_bench: cannot start a thread\n");
                        return 1;
                }
        }
        for (long k = 0; k < threads; k++) {
                pthread_join(tids[k], NULL);
                done += runs[k].done;
                bytes += runs[k].bytes;
                rbytes += runs[k].rbytes;
                failed |= runs[k].failed;
        }
        c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        t1 = now_s(CLOCK_MONOTONIC);
        if (failed)
                return 1;
        printf("{\"mode\": \"extract\", \"threads\": %ld, \"pages\": %zu, "
               "\"bytes\": %zu, \"seconds\": %.4f, \"cpu_seconds\": %.4f, "
               "\"pages_per_s\": %.1f, \"wall_pages_per_s\": %.1f, "
               "\"record_bytes\": %zu}\n",
               threads, done, bytes, t1 - t0, c1 - c0,
               (double)done / (c1 - c0), (double)done / (t1 - t0), rbytes);
        for (size_t k = 0; k < nfiles; k++)
                free(files[k].data);
        free(files);
        free(runs);
        free(tids);
        xmlCleanupParser();
        return 0;
}
