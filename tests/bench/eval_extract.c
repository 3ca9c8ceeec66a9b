/*
 * eval_extract — the cleaner's extraction over an evaluation set, in
 * memory, on one thread: what `make eval` and the quality test score.
 *
 *   eval_extract [--budget-ms N] DIR
 *
 * DIR is in the layout of the WCXB development set (html/<id>.html.gz and
 * ground-truth.jsonl.gz: one JSON object a line with `id` and `url`) or of
 * the article extraction benchmark (html/<id>.html.gz and
 * ground-truth.json: {id: {"url": ...}}); uncompressed files (.jsonl,
 * .html) are read too. Each page goes through the same extract_record()
 * the cleaner's workers call, with the page's URL from the ground truth,
 * status 200 and "text/html; charset=utf-8", in ground-truth order.
 *
 * Writes one JSON object a line on stdout:
 *   {"id", "url", "cpu_seconds", then those of the record's fields that
 *    the record has: "text", "main_text", "markdown", "author",
 *    "published_at", "site_name" (a string or null)}
 * or {"id", "url", "cpu_seconds", "error": reason} when the extraction
 * failed (the page scores as empty). cpu_seconds is the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID) in extract_record() alone: reading and
 * gunzipping the file are not counted. A page whose ground truth has no
 * URL (null) is extracted as http://eval.invalid/<id>; "url" is that. Exit 0 when every page was read
 * (failed extractions included), 1 when a file could not be read, 2 on a
 * bad command line.
 */
#include <errno.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include <zlib.h>

#include "dynbuf.h"
#include "extract.h"
#include "xmlarena.h"

#define EVAL_FILE_MAX (256u * 1024 * 1024) /* one page or ground truth */
#define EVAL_ID_MAX 128                    /* an id's bytes               */
#define EVAL_PATH_MAX 4096

/* The record's fields a scorer reads, in output order. */
static const char *const eval_fields[] = { "text",         "main_text",
                                           "markdown",     "author",
                                           "published_at", "site_name" };

/* Reads the file at path (gzip or plain: zlib reads both) into *buf,
 * NUL-terminated. Returns 0, or -1 with a reason in errstr. */
static int eval_read(const char *path, dynbuf_t *buf, char *errstr,
                     size_t errstr_size)
{
        gzFile gz = gzopen(path, "rb");
        char chunk[65536];
        int rc = -1;

        dynbuf_init(buf, EVAL_FILE_MAX);
        if (!gz) {
                snprintf(errstr, errstr_size, "%s: %s", path,
                         strerror(errno ? errno : ENOENT));
                return -1;
        }
        for (;;) {
                int n = gzread(gz, chunk, sizeof(chunk));
                int err;

                if (n < 0) {
                        snprintf(errstr, errstr_size, "%s: %s", path,
                                 gzerror(gz, &err));
                        goto out;
                }
                if (n == 0)
                        break;
                if (dynbuf_add(buf, chunk, (size_t)n)) {
                        snprintf(errstr, errstr_size,
                                 "%s: over %u bytes unpacked", path,
                                 EVAL_FILE_MAX);
                        goto out;
                }
        }
        if (dynbuf_reserve(buf, 0)) {
                snprintf(errstr, errstr_size, "%s: out of memory", path);
                goto out;
        }
        rc = 0;
out:
        gzclose(gz);
        if (rc)
                dynbuf_free(buf);
        return rc;
}

/* An id becomes a file name: letters, digits, '-', '_' only. */
static int eval_id_ok(const char *id)
{
        size_t n = strlen(id);

        if (n == 0 || n > EVAL_ID_MAX)
                return 0;
        for (size_t k = 0; k < n; k++) {
                char c = id[k];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '_'))
                        return 0;
        }
        return 1;
}

static double eval_cpu_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void eval_gen_str(yajl_gen g, const char *s)
{
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* Writes the line for one page: the record's scored fields, or error. */
static void eval_emit(yajl_gen g, const char *id, const char *url, double cpu,
                      const char *record, const char *error)
{
        const unsigned char *line;
        size_t line_len;
        yajl_val rec = NULL;
        char perr[256], num[64];

        if (record) {
                rec = yajl_tree_parse(record, perr, sizeof(perr));
                if (!rec || !YAJL_IS_OBJECT(rec))
                        error = "the record is not a JSON object";
        }
        yajl_gen_map_open(g);
        eval_gen_str(g, "id");
        eval_gen_str(g, id);
        eval_gen_str(g, "url");
        eval_gen_str(g, url);
        eval_gen_str(g, "cpu_seconds");
        /* nanoseconds, as the clock gives them (yajl_gen_double would
         * print 20 digits) */
        snprintf(num, sizeof(num), "%.9f", cpu);
        yajl_gen_number(g, num, strlen(num));
        if (error) {
                eval_gen_str(g, "error");
                eval_gen_str(g, error);
        } else {
                for (size_t k = 0;
                     k < sizeof(eval_fields) / sizeof(eval_fields[0]); k++) {
                        const char *path[] = { eval_fields[k], NULL };
                        yajl_val v = yajl_tree_get(rec, path, yajl_t_any);

                        if (!v)
                                continue;
                        eval_gen_str(g, eval_fields[k]);
                        if (YAJL_IS_STRING(v))
                                eval_gen_str(g, YAJL_GET_STRING(v));
                        else
                                yajl_gen_null(g);
                }
        }
        yajl_gen_map_close(g);
        yajl_gen_get_buf(g, &line, &line_len);
        fwrite(line, 1, line_len, stdout);
        fputc('\n', stdout);
        yajl_gen_clear(g);
        yajl_gen_reset(g, NULL);
        yajl_tree_free(rec);
}

/* Extracts the page `id` of dir at `url` and writes its line. Returns 0, or
 * -1 with a reason when its file cannot be read. */
static int eval_page(const char *dir, const char *id, const char *url,
                     long budget_ms, yajl_gen g, char *errstr,
                     size_t errstr_size)
{
        char path[EVAL_PATH_MAX], xerr[256];
        dynbuf_t html;
        char *out = NULL;
        size_t out_len = 0;
        double c0, c1;
        int rc;

        if (!eval_id_ok(id)) {
                snprintf(errstr, errstr_size, "bad page id \"%.64s\"", id);
                return -1;
        }
        snprintf(path, sizeof(path), "%s/html/%s.html.gz", dir, id);
        if (eval_read(path, &html, errstr, errstr_size)) {
                snprintf(path, sizeof(path), "%s/html/%s.html", dir, id);
                if (eval_read(path, &html, xerr, sizeof(xerr)))
                        return -1;
        }
        page_t p = { .url = url,
                     .status = 200,
                     .content_type = "text/html; charset=utf-8",
                     .fetched_at = "2026-01-01T00:00:00Z",
                     .source_topic = "crawl.urls",
                     .depth = -1,
                     .body = (const unsigned char *)html.data,
                     .body_len = html.len,
                     .budget_ms = budget_ms };

        c0 = eval_cpu_now();
        rc = extract_record(&p, &out, &out_len, xerr, sizeof(xerr));
        c1 = eval_cpu_now();
        eval_emit(g, id, url, c1 - c0, rc == 0 ? out : NULL,
                  rc == 0 ? NULL : xerr);
        free(out);
        dynbuf_free(&html);
        return 0;
}

/* One line of a wcxb ground truth (path, line n): the page it names. */
static int eval_line(const char *dir, const char *line, const char *path,
                     size_t n, long budget_ms, yajl_gen g, char *errstr,
                     size_t errstr_size)
{
        const char *url_path[] = { "url", NULL };
        const char *id_path[] = { "id", NULL };
        char perr[256], standin[160];
        yajl_val obj = yajl_tree_parse(line, perr, sizeof(perr));
        yajl_val vid = yajl_tree_get(obj, id_path, yajl_t_string);
        yajl_val vurl = yajl_tree_get(obj, url_path, yajl_t_any);
        int rc = -1;

        if (!vid || (vurl && !YAJL_IS_STRING(vurl) && !YAJL_IS_NULL(vurl))) {
                snprintf(errstr, errstr_size,
                         "%.300s:%zu: not an object with a string id and url",
                         path, n);
                goto out;
        }
        /* A page the ground truth gives no URL gets one of its own (the
         * extraction needs one). */
        snprintf(standin, sizeof(standin), "http://eval.invalid/%.128s",
                 vid->u.string);
        rc = eval_page(dir, vid->u.string,
                       YAJL_IS_STRING(vurl) ? vurl->u.string : standin,
                       budget_ms, g, errstr, errstr_size);
out:
        yajl_tree_free(obj);
        return rc;
}

/* The ground truth's pages, in order: wcxb (one object a line) or the
 * article benchmark's (one object of objects). Returns 0 or -1. */
static int eval_run(const char *dir, long budget_ms, char *errstr,
                    size_t errstr_size)
{
        static const char *const names[] = { "ground-truth.jsonl.gz",
                                             "ground-truth.jsonl",
                                             "ground-truth.json" };
        const char *url_path[] = { "url", NULL };
        char path[EVAL_PATH_MAX], perr[256];
        dynbuf_t gt = { 0 };
        yajl_gen g = yajl_gen_alloc(NULL);
        yajl_val all = NULL;
        size_t k;
        int rc = -1, found = 0, lines = 0;

        if (!g) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
                if (eval_read(path, &gt, errstr, errstr_size) == 0) {
                        found = 1;
                        lines = k < 2;
                        break;
                }
        }
        if (!found) {
                snprintf(errstr, errstr_size,
                         "%s: no ground-truth.jsonl.gz, ground-truth.jsonl "
                         "or ground-truth.json",
                         dir);
                goto out;
        }
        if (lines) {
                char *line = gt.data;
                size_t n = 0;

                while (line && *line) {
                        char *nl = strchr(line, '\n');

                        n++;
                        if (nl)
                                *nl = '\0';
                        if (line[strspn(line, " \t\r")] != '\0' &&
                            eval_line(dir, line, path, n, budget_ms, g, errstr,
                                      errstr_size))
                                goto out;
                        line = nl ? nl + 1 : NULL;
                }
        } else {
                all = yajl_tree_parse(gt.data, perr, sizeof(perr));
                if (!YAJL_IS_OBJECT(all)) {
                        snprintf(errstr, errstr_size,
                                 "%.300s: not a JSON object (%.150s)", path,
                                 all ? "another value" : perr);
                        goto out;
                }
                for (k = 0; k < all->u.object.len; k++) {
                        yajl_val vurl = yajl_tree_get(all->u.object.values[k],
                                                      url_path, yajl_t_string);

                        if (!vurl) {
                                snprintf(errstr, errstr_size,
                                         "%.300s: %.64s has no string url",
                                         path, all->u.object.keys[k]);
                                goto out;
                        }
                        if (eval_page(dir, all->u.object.keys[k],
                                      YAJL_GET_STRING(vurl), budget_ms, g,
                                      errstr, errstr_size))
                                goto out;
                }
        }
        rc = 0;
out:
        yajl_tree_free(all);
        dynbuf_free(&gt);
        yajl_gen_free(g);
        return rc;
}

int main(int argc, char **argv)
{
        long budget_ms = 5000; /* the cleaner's --page-timeout default */
        char errstr[512];
        int i;

        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                char *end;

                if (!strcmp(argv[i], "--budget-ms") && i + 1 < argc) {
                        errno = 0;
                        budget_ms = strtol(argv[++i], &end, 10);
                        if (errno || *end || budget_ms < 0 ||
                            budget_ms > 3600000) {
                                fprintf(stderr,
                                        "eval_extract: bad --budget-ms\n");
                                return 2;
                        }
                } else {
                        fprintf(stderr,
                                "usage: eval_extract [--budget-ms N] DIR\n");
                        return 2;
                }
        }
        if (i + 1 != argc) {
                fprintf(stderr, "usage: eval_extract [--budget-ms N] DIR\n");
                return 2;
        }
        xmlarena_setup(); /* and xmlInitParser() */
        if (eval_run(argv[i], budget_ms, errstr, sizeof(errstr))) {
                fprintf(stderr, "eval_extract: %s\n", errstr);
                return 1;
        }
        if (fflush(stdout)) {
                fprintf(stderr, "eval_extract: stdout: %s\n", strerror(errno));
                return 1;
        }
        return 0;
}
