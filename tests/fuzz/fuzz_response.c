/*
 * fuzz_response.c — libFuzzer target: a whole HTTP response as a site
 * sends it, handled as the fetcher handles it.
 *
 * The input is the bytes the server sends (status line, headers, body),
 * served to libcurl over a loopback TCP connection with the fetcher's own
 * request options (transfer_easy_setup(): decoded bodies of every built-in
 * encoding, the body caps; redirects are not followed, their Location is
 * parsed as transfer.c checks it). Each input is fetched
 * twice:
 *   - as a page: the body through the fetcher's write callback and cap
 *     (transfer_write_body), then what outcome_url_done() does with the result:
 *     the error code and transience of a failure, the capped Retry-After of
 *     a 429/503, and the page's headers (outcome_page_headers()) of a success;
 *   - as robots.txt: the body cut at ROBOTS_MAX_BYTES and, on 2xx, parsed
 *     and matched as robotsfetch.c does.
 *
 * Checks: no invalid memory access, no leak, no undefined behaviour; the
 * body never exceeds its cap; every failure maps to a code of
 * schemas/error.schema.json; Retry-After within [0, cap]; the page headers
 * hold the contract's required fields, the status as digits and a final URL
 * that parses; robots.txt rules as fuzz_robots checks them.
 *
 * FUZZ_DEBUG=1 in the environment prints each fetch's result.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fetcher_int.h"
#include "outcome.h"
#include "transfer.h"

#define PAGE_MAX_BODY (256 * 1024)
#define RETRY_AFTER_MAX 600

/* The configuration the fetches run with (transfer_easy_setup()). */
static char user_agent[] = "kcrawl/fuzz";
static const fetcher_config_t conf = {
        .max_body = PAGE_MAX_BODY,
        .connect_timeout = 5,
        .timeout = 5,
        .max_redirects = 0,
        .user_agent = user_agent,
};

static int listener = -1;
static struct sockaddr_in listen_addr;

/* Accepts the connection libcurl made and sends it data[0..size), then
 * EOF. */
static int serve(const uint8_t *data, size_t size)
{
        int buf = 4 * 1024 * 1024, s;
        size_t off = 0;

        s = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (s < 0)
                return -1;
        setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
        while (off < size) {
                ssize_t n = send(s, data + off, size - off, MSG_NOSIGNAL);

                if (n <= 0)
                        break; /* the client gave up: fine */
                off += (size_t)n;
        }
        close(s);
        return 0;
}

/* One connection per fetch, as the guard allows one address: later ones
 * (a retried connect) are refused. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose,
                                 struct curl_sockaddr *addr)
{
        int *opened = clientp;
        int buf = 4 * 1024 * 1024, fd;

        if ((*opened)++)
                return CURL_SOCKET_BAD;
        fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC,
                    addr->protocol);
        if (fd >= 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
        return fd;
}

static int init(void)
{
        socklen_t len = sizeof(listen_addr);

        if (curl_global_init(CURL_GLOBAL_DEFAULT))
                return -1;
        listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listener < 0)
                return -1;
        memset(&listen_addr, 0, sizeof(listen_addr));
        listen_addr.sin_family = AF_INET;
        listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(listener, (struct sockaddr *)&listen_addr,
                 sizeof(listen_addr)) ||
            listen(listener, 4) ||
            getsockname(listener, (struct sockaddr *)&listen_addr, &len))
                return -1;
        return 0;
}

/* Fetches `url` from a server answering `data` into job (job->easy is
 * left for the caller). libcurl's multi interface, as the fetcher drives
 * it, so that this thread can also accept and answer the connection. */
static CURLcode fetch(job_t *job, const char *url, const uint8_t *data,
                      size_t size, struct curl_slist *resolve)
{
        CURLM *m = curl_multi_init();
        CURL *e = curl_easy_init();
        struct curl_waitfd wfd = { .events = CURL_WAIT_POLLIN };
        CURLcode rc = CURLE_OPERATION_TIMEDOUT;
        bool served = false;
        int opened = 0, running = 1;
        CURLMsg *msg;
        int left;

        if (!m || !e)
                abort();
        /* The fetcher's own request options (transfer.c), then this
         * target's connection: its resolve, one socket per fetch, no
         * reuse. */
        transfer_easy_setup(e, job, &conf, url);
        /* Redirects are not followed: another host would need DNS. The
         * Location is still parsed (CURLINFO_REDIRECT_URL, as the proxied
         * path reads it). */
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_RESOLVE, resolve);
        curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &opened);
        if (curl_multi_add_handle(m, e) != CURLM_OK)
                abort();
        wfd.fd = listener;
        while (running) {
                int nfds = 0;

                curl_multi_perform(m, &running);
                if (!running)
                        break;
                curl_multi_poll(m, served ? NULL : &wfd, served ? 0 : 1, 100,
                                &nfds);
                if (!served && (wfd.revents & CURL_WAIT_POLLIN)) {
                        if (serve(data, size))
                                abort();
                        served = true;
                }
        }
        for (msg = curl_multi_info_read(m, &left); msg;
             msg = curl_multi_info_read(m, &left))
                if (msg->msg == CURLMSG_DONE)
                        rc = msg->data.result;
        curl_multi_remove_handle(m, e);
        curl_multi_cleanup(m);
        if (getenv("FUZZ_DEBUG"))
                fprintf(stderr, "%s: rc %d %s body %zu\n", url, rc,
                        job->errbuf, job->body_len);
        if (job->body_len > job->body_max)
                abort();
        return rc;
}

static const char *const codes[] = {
        /* schemas/error.schema.json */
        "too_large",          "blocked_address",
        "proxy_failed",       "invalid_url",
        "unsupported_scheme", "dns_failure",
        "connect_failed",     "timeout",
        "too_many_redirects", "tls_error",
        "network_error",
};

static void check_failure(const job_t *job, CURLcode rc)
{
        const char *code = transfer_error_code(job, rc);
        size_t i;

        for (i = 0; i < sizeof(codes) / sizeof(*codes); i++)
                if (code && !strcmp(code, codes[i]))
                        break;
        if (i == sizeof(codes) / sizeof(*codes))
                abort();
        (void)transfer_transient(job, rc);
}

/* The value of header `name` (the last one), or NULL. */
static const char *hval(rd_kafka_headers_t *h, const char *name, size_t *len)
{
        const void *v = NULL;

        if (rd_kafka_header_get_last(h, name, &v, len))
                return NULL;
        return v;
}

static void check_page(job_t *job)
{
        static const char *const required[] = {
                "url", "final_url", "status", "fetched_at", "source_topic",
        };
        rd_kafka_headers_t *h;
        const char *v;
        url_t *u = NULL;
        size_t len;
        long status = 0;

        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        h = outcome_page_headers(job, &u);
        if (!h)
                abort();
        for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++)
                if (!hval(h, required[i], &len) || !len)
                        abort();
        v = hval(h, "status", &len);
        for (size_t i = 0; i < len; i++)
                if (v[i] < '0' || v[i] > '9')
                        abort();
        if (!u)
                abort(); /* curl's final URL always parses here */
        if (status >= 300 && status <= 399) {
                char *loc = NULL;
                url_t *r = NULL;

                /* As transfer.c checks a redirect's target. */
                curl_easy_getinfo(job->easy, CURLINFO_REDIRECT_URL, &loc);
                if (loc && !url_parse(loc, NULL, &r, NULL, 0) && !r)
                        abort();
                url_destroy(r);
        }
        v = hval(h, "final_url", &len);
        if (len != strlen(u->href) || memcmp(v, u->href, len))
                abort();
        if (status == 429 || status == 503) {
                /* The cap every wait goes through (hosts.c). */
                static hosts_t *caps;
                static const hosts_params_t p = {
                        .rate = 1,
                        .burst = 1,
                        .concurrency = 1,
                        .max_hosts = 1,
                        .retry_after_max_ms = RETRY_AFTER_MAX * 1000,
                };
                int64_t ms;

                if (!caps)
                        caps = hosts_new(&p, NULL);
                if (!caps)
                        abort();
                ms = hosts_retry_after_ms(
                        caps, (long long)outcome_retry_after_s(job->easy));
                if (ms < 0 || ms > RETRY_AFTER_MAX * 1000)
                        abort();
        }
        url_destroy(u);
        rd_kafka_headers_destroy(h);
}

static void check_robots(job_t *job, CURLcode rc)
{
        static const char *const paths[] = {
                "/", "/a", "/a/b?c=d", "/%7Euser/", "/index.html",
        };
        long status = 0;
        robots_t *r;
        double d;

        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_WRITE_ERROR && job->too_large)
                rc = CURLE_OK; /* cut, not refused (robotsfetch.c) */
        if (rc != CURLE_OK || status < 200 || status > 299)
                return;
        r = robots_parse(job->body ? job->body : "", job->body_len, "kcrawl");
        if (!r)
                abort();
        if (!robots_allowed(r, "/robots.txt"))
                abort();
        d = robots_crawl_delay(r);
        if (!(d >= 0) || isinf(d))
                abort();
        for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
                (void)robots_allowed(r, paths[i]);
        robots_destroy(r);
}

static void job_reset(job_t *job)
{
        if (job->easy)
                curl_easy_cleanup(job->easy);
        free(job->body);
        memset(job, 0, sizeof(*job));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int ready;
        struct curl_slist *resolve;
        char entry[64], url[64];
        int port;
        job_t job;
        CURLcode rc;

        if (!ready) {
                if (init())
                        abort();
                ready = 1;
        }
        port = ntohs(listen_addr.sin_port);
        snprintf(entry, sizeof(entry), "site.test:%d:127.0.0.1", port);
        resolve = curl_slist_append(NULL, entry);
        if (!resolve)
                abort();

        /* As a page. */
        snprintf(url, sizeof(url), "http://site.test:%d/page", port);
        memset(&job, 0, sizeof(job));
        job.kind = JOB_URL;
        job.proxy = -1;
        job.attempts = 1;
        job.topic = "crawl.urls";
        job.um.url = url;
        job.um.depth = 1;
        job.um.id = "fuzz-id";
        job.um.meta = "{\"k\":1}";
        rc = fetch(&job, url, data, size, resolve);
        if (rc == CURLE_OK)
                check_page(&job);
        else
                check_failure(&job, rc);
        job_reset(&job); /* the strings above are not the job's */

        /* As robots.txt. */
        snprintf(url, sizeof(url), "http://site.test:%d/robots.txt", port);
        job.kind = JOB_ROBOTS;
        job.proxy = -1;
        rc = fetch(&job, url, data, size, resolve);
        check_robots(&job, rc);
        job_reset(&job);
        curl_slist_free_all(resolve);
        return 0;
}
