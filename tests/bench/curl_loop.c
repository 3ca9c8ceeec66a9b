/*
 * curl_loop — the bare libcurl multi loop: the fetch ceiling the fetcher is
 * measured against.
 *
 *   curl_loop --urls FILE --concurrency N [--requests N] [--connect-to STR]
 *
 * Fetches the URLs of FILE (one per line, cycled until --requests transfers
 * are done; default: each once) with N transfers in flight on one thread,
 * curl_multi_poll() as the only wait, connections kept alive and reused, the
 * body kept (appended to a per-transfer buffer, as a fetcher must) and then
 * dropped. No Kafka, no politeness, no parsing: only what any fetcher built
 * on libcurl pays. Prints one JSON object on stdout:
 *   {"pages", "bytes", "errors", "seconds", "cpu_seconds", "pages_per_s"}
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct xfer {
        CURL *easy;
        char *buf;
        size_t len, cap;
};

static double now_s(clockid_t clk)
{
        struct timespec ts;

        clock_gettime(clk, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *opaque)
{
        struct xfer *x = opaque;
        size_t n = size * nmemb;

        if (x->len + n > x->cap) {
                size_t cap = x->cap ? x->cap : 65536;
                char *p;

                while (cap < x->len + n)
                        cap *= 2;
                p = realloc(x->buf, cap);
                if (!p)
                        return 0;
                x->buf = p;
                x->cap = cap;
        }
        memcpy(x->buf + x->len, data, n);
        x->len += n;
        return n;
}

static long parse_long(const char *s, const char *what, long lo, long hi)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi) {
                fprintf(stderr, "curl_loop: bad %s: %s\n", what, s);
                exit(2);
        }
        return v;
}

static char **read_urls(const char *path, size_t *count)
{
        FILE *f = fopen(path, "r");
        char **urls = NULL;
        size_t n = 0, cap = 0;
        char *line = NULL;
        size_t line_cap = 0;
        ssize_t len;

        if (!f) {
                fprintf(stderr, "curl_loop: %s: %s\n", path, strerror(errno));
                exit(1);
        }
        for (;;) {
                len = getline(&line, &line_cap, f);
                if (len < 0)
                        break;
                while (len > 0 &&
                       (line[len - 1] == '\n' || line[len - 1] == '\r'))
                        line[--len] = '\0';
                if (len == 0)
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 1024;
                        urls = realloc(urls, cap * sizeof(*urls));
                        if (!urls)
                                exit(1);
                }
                urls[n++] = strdup(line);
        }
        free(line);
        fclose(f);
        *count = n;
        return urls;
}

int main(int argc, char **argv)
{
        const char *urls_path = NULL, *connect_to = NULL;
        long concurrency = 64, requests = -1;
        struct curl_slist *ct = NULL;
        size_t nurls, next = 0, done = 0, started = 0, errors = 0, bytes = 0;
        struct xfer *xs;
        char **urls;
        CURLM *multi;
        double t0, c0, t1, c1;
        int running = 0, i;

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--urls") && i + 1 < argc)
                        urls_path = argv[++i];
                else if (!strcmp(argv[i], "--concurrency") && i + 1 < argc)
                        concurrency = parse_long(argv[++i], "--concurrency", 1,
                                                 10000);
                else if (!strcmp(argv[i], "--requests") && i + 1 < argc)
                        requests = parse_long(argv[++i], "--requests", 1,
                                              100000000);
                else if (!strcmp(argv[i], "--connect-to") && i + 1 < argc)
                        connect_to = argv[++i];
                else {
                        fprintf(stderr,
                                "usage: curl_loop --urls FILE [--concurrency N] "
                                "[--requests N] [--connect-to H:P:H2:P2]\n");
                        return 2;
                }
        }
        if (!urls_path) {
                fprintf(stderr, "curl_loop: --urls is required\n");
                return 2;
        }
        urls = read_urls(urls_path, &nurls);
        if (nurls == 0) {
                fprintf(stderr, "curl_loop: no URLs in %s\n", urls_path);
                return 1;
        }
        if (requests < 0)
                requests = (long)nurls;
        if (connect_to)
                ct = curl_slist_append(NULL, connect_to);

        curl_global_init(CURL_GLOBAL_DEFAULT);
        multi = curl_multi_init();
        curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)concurrency * 4);
        xs = calloc((size_t)concurrency, sizeof(*xs));

        t0 = now_s(CLOCK_MONOTONIC);
        c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        for (i = 0; i < concurrency && started < (size_t)requests; i++) {
                struct xfer *x = &xs[i];

                x->easy = curl_easy_init();
                curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
                curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
                curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
                curl_easy_setopt(x->easy, CURLOPT_ACCEPT_ENCODING, "");
                curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
                curl_easy_setopt(x->easy, CURLOPT_TIMEOUT, 30L);
                if (ct)
                        curl_easy_setopt(x->easy, CURLOPT_CONNECT_TO, ct);
                curl_easy_setopt(x->easy, CURLOPT_URL, urls[next++ % nurls]);
                curl_multi_add_handle(multi, x->easy);
                started++;
        }

        do {
                CURLMsg *msg;
                int left;

                curl_multi_perform(multi, &running);
                for (;;) {
                        struct xfer *x;
                        long status = 0;

                        msg = curl_multi_info_read(multi, &left);
                        if (!msg)
                                break;
                        if (msg->msg != CURLMSG_DONE)
                                continue;
                        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
                                          (char **)&x);
                        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE,
                                          &status);
                        if (msg->data.result != CURLE_OK || status != 200)
                                errors++;
                        bytes += x->len;
                        x->len = 0;
                        done++;
                        curl_multi_remove_handle(multi, x->easy);
                        if (started < (size_t)requests) {
                                curl_easy_setopt(x->easy, CURLOPT_URL,
                                                 urls[next++ % nurls]);
                                curl_multi_add_handle(multi, x->easy);
                                started++;
                                running++;
                        }
                }
                if (running)
                        curl_multi_poll(multi, NULL, 0, 1000, NULL);
        } while (running || done < started);
        t1 = now_s(CLOCK_MONOTONIC);
        c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);

        printf("{\"pages\": %zu, \"bytes\": %zu, \"errors\": %zu, \"seconds\": %.4f, "
               "\"cpu_seconds\": %.4f, \"pages_per_s\": %.1f}\n",
               done, bytes, errors, t1 - t0, c1 - c0,
               (double)done / (t1 - t0));
        for (i = 0; i < concurrency; i++) {
                if (xs[i].easy)
                        curl_easy_cleanup(xs[i].easy);
                free(xs[i].buf);
        }
        free(xs);
        curl_multi_cleanup(multi);
        curl_slist_free_all(ct);
        for (size_t k = 0; k < nurls; k++)
                free(urls[k]);
        free(urls);
        curl_global_cleanup();
        return errors ? 1 : 0;
}
