/*
 * sitemap_bench — the sitemap reader's speed and memory (cleaner/sitemap.h).
 *
 *   sitemap_bench [--gzip] [--urls N] [--pad BYTES]
 *
 * Writes a urlset of N URLs (default 50,000), each with `pad` bytes of an
 * image extension (default 900: the file is then some 49 MiB, under the
 * protocol's 50 MiB),
 * to a temporary file (gzip-compressed with --gzip), then reads it back in
 * 64 KiB pieces through sitemap_feed() — never whole in memory — and
 * prints one JSON object: {"urls", "bytes", "gzip", "cpu_seconds",
 * "urls_per_cpu_second", "max_rss_kib_before", "max_rss_kib"}: the
 * resident memory when the read starts (the peak reset to it, Linux's
 * clear_refs) and the peak during the read, whose difference is what
 * reading cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <zlib.h>

#include "sitemap.h"

static int count(void *ctx, const sitemap_entry_t *e)
{
        (void)e;
        (*(size_t *)ctx)++;
        return 0;
}

/* A figure of /proc/self/status in KiB (VmRSS, VmHWM), -1 if unknown. */
static long status_kib(const char *field)
{
        char line[256];
        long v = -1;
        size_t n = strlen(field);
        FILE *f = fopen("/proc/self/status", "r");

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, field, n) && line[n] == ':')
                        v = strtol(line + n + 1, NULL, 10);
        fclose(f);
        return v;
}

/* The peak resident memory from now on: writing the file left a peak of
 * its own (zlib's buffers), which ru_maxrss would keep showing. Linux
 * resets VmHWM to the current RSS on "5" in clear_refs; returns the RSS
 * it starts from. */
static long reset_peak_kib(void)
{
        FILE *f = fopen("/proc/self/clear_refs", "w");

        if (f) {
                fputs("5", f);
                fclose(f);
        }
        return status_kib("VmRSS");
}

static long max_rss_kib(void)
{
        long hwm = status_kib("VmHWM");
        struct rusage ru;

        if (hwm >= 0)
                return hwm;
        getrusage(RUSAGE_SELF, &ru);
        return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
        size_t urls = SITEMAP_MAX_URLS, pad = 900, n = 0, bytes = 0;
        int gz = 0;
        char path[] = "/tmp/sitemap_bench.XXXXXX", line[2048], err[128];
        unsigned char buf[65536];
        struct timespec t0, t1;
        long rss0;
        int fd, rc = 0;
        gzFile out;
        sitemap_t *sm;

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--gzip")) {
                        gz = 1;
                } else if (!strcmp(argv[i], "--urls") && i + 1 < argc) {
                        urls = strtoul(argv[++i], NULL, 10);
                } else if (!strcmp(argv[i], "--pad") && i + 1 < argc) {
                        pad = strtoul(argv[++i], NULL, 10);
                } else {
                        fprintf(stderr,
                                "usage: %s [--gzip] [--urls N] "
                                "[--pad BYTES]\n",
                                argv[0]);
                        return 2;
                }
        }
        if (pad >= sizeof(line) - 200)
                pad = sizeof(line) - 200;
        fd = mkstemp(path);
        if (fd < 0)
                return 1;
        /* "wT": no compression (a plain file) unless --gzip. */
        out = gzdopen(fd, gz ? "wb1" : "wT");
        if (!out)
                return 1;
        gzprintf(out, "<?xml version=\"1.0\"?>\n<urlset xmlns=\"http://www."
                      "sitemaps.org/schemas/sitemap/0.9\" xmlns:image=\"http:"
                      "//www.google.com/schemas/sitemap-image/1.1\">\n");
        memset(line, 'x', pad);
        line[pad] = '\0';
        for (size_t i = 0; i < urls; i++)
                gzprintf(out,
                         "<url><loc>https://example.com/p/%zu</loc>"
                         "<lastmod>2024-01-01</lastmod><image:image>"
                         "<image:caption>%s</image:caption></image:image>"
                         "</url>\n",
                         i, line);
        gzprintf(out, "</urlset>\n");
        gzclose(out);

        xmlInitParser();
        rss0 = reset_peak_kib();
        /* The file's bytes as stored: the reader inflates them itself. */
        FILE *f = fopen(path, "rb");
        if (!f)
                return 1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        sm = sitemap_new("https://example.com/sitemap.xml", NULL, count, &n,
                         err, sizeof(err));
        if (!sm)
                return 1;
        for (;;) {
                size_t k = fread(buf, 1, sizeof(buf), f);

                if (k == 0)
                        break;
                if (sitemap_feed(sm, buf, k) != 0)
                        break;
        }
        sitemap_finish(sm);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
        bytes = sitemap_stats(sm)->bytes;
        if (sitemap_stats(sm)->truncated)
                rc = 1;
        sitemap_destroy(sm);
        fclose(f);
        unlink(path);
        double cpu = (double)(t1.tv_sec - t0.tv_sec) +
                     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("{\"urls\": %zu, \"bytes\": %zu, \"gzip\": %s, "
               "\"cpu_seconds\": %.3f, \"urls_per_cpu_second\": %.0f, "
               "\"max_rss_kib_before\": %ld, \"max_rss_kib\": %ld}\n",
               n, bytes, gz ? "true" : "false", cpu, (double)n / cpu, rss0,
               max_rss_kib());
        return rc;
}
