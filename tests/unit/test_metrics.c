/*
 * test_metrics.c — the Prometheus exposition, lock-free updates, the HTTP
 * endpoint, consumer lag from librdkafka statistics and the progress line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "kafkastats.h"
#include "metrics.h"
#include "progress.h"

/* The exposition as a string (caller frees). */
static char *render(void)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&buf, &len);

        assert_non_null(fp);
        metrics_render(fp);
        assert_int_equal(fclose(fp), 0);
        return buf;
}

/* The exposition up to the process_ families, which vary. */
static char *render_own(void)
{
        char *text = render();
        char *proc = strstr(text, "# HELP process_");

        if (proc)
                *proc = '\0';
        return text;
}

static int reset(void **state)
{
        metrics_reset();
        return 0;
}

static void test_counter_gauge_text(void **state)
{
        mcounter_t *c = metrics_counter("kcrawl_test_pages_total",
                                        "outcome=\"page\"", "Pages.");
        mcounter_t *c2 = metrics_counter("kcrawl_test_pages_total",
                                         "outcome=\"error\"", "Pages.");
        mgauge_t *g =
                metrics_gauge("kcrawl_test_inflight", NULL, "In flight.");
        char *text;

        assert_non_null(c);
        assert_non_null(c2);
        assert_non_null(g);
        mcounter_add(c, 3);
        mcounter_add(c, 2);
        mcounter_add(c2, 1);
        mgauge_set(g, 10);
        mgauge_add(g, -2.5);
        text = render_own();
        assert_string_equal(text,
                            "# HELP kcrawl_test_pages_total Pages.\n"
                            "# TYPE kcrawl_test_pages_total counter\n"
                            "kcrawl_test_pages_total{outcome=\"page\"} 5\n"
                            "kcrawl_test_pages_total{outcome=\"error\"} 1\n"
                            "# HELP kcrawl_test_inflight In flight.\n"
                            "# TYPE kcrawl_test_inflight gauge\n"
                            "kcrawl_test_inflight 7.5\n");
        free(text);
}

static void test_histogram_text(void **state)
{
        static const double bounds[] = { 0.1, 1, 10 };
        mhist_t *h = metrics_histogram("kcrawl_test_seconds", "worker=\"0\"",
                                       "Time.", bounds, 3);
        char *text;

        assert_non_null(h);
        mhist_observe(h, 0.05);
        mhist_observe(h, 0.1); /* on a bound: le is inclusive */
        mhist_observe(h, 5);
        mhist_observe(h, 100);
        mhist_observe(h, NAN); /* ignored */
        text = render_own();
        assert_string_equal(
                text,
                "# HELP kcrawl_test_seconds Time.\n"
                "# TYPE kcrawl_test_seconds histogram\n"
                "kcrawl_test_seconds_bucket{worker=\"0\",le=\"0.1\"} 2\n"
                "kcrawl_test_seconds_bucket{worker=\"0\",le=\"1\"} 2\n"
                "kcrawl_test_seconds_bucket{worker=\"0\",le=\"10\"} 3\n"
                "kcrawl_test_seconds_bucket{worker=\"0\",le=\"+Inf\"} 4\n"
                "kcrawl_test_seconds_sum{worker=\"0\"} 105.15\n"
                "kcrawl_test_seconds_count{worker=\"0\"} 4\n");
        free(text);
        assert_int_equal((int)metrics_sum("kcrawl_test_seconds"), 4);
}

static void test_histogram_no_labels_and_bad_bounds(void **state)
{
        static const double bad[] = { 1, 1 };
        mhist_t *h = metrics_histogram("kcrawl_test_latency_seconds", NULL,
                                       "L.", metrics_latency_bounds,
                                       metrics_latency_nbounds);
        char *text;

        assert_non_null(h);
        assert_null(metrics_histogram("kcrawl_test_bad_seconds", NULL, "B.",
                                      bad, 2));
        assert_null(metrics_histogram("kcrawl_test_bad_seconds", NULL, "B.",
                                      bad, 0));
        mhist_observe(h, 0.003);
        text = render_own();
        assert_non_null(strstr(
                text, "kcrawl_test_latency_seconds_bucket{le=\"0.0025\"} 0\n"
                      "kcrawl_test_latency_seconds_bucket{le=\"0.005\"} 1\n"));
        assert_non_null(strstr(
                text, "kcrawl_test_latency_seconds_bucket{le=\"+Inf\"} 1\n"
                      "kcrawl_test_latency_seconds_sum 0.003\n"
                      "kcrawl_test_latency_seconds_count 1\n"));
        assert_null(strstr(text, "kcrawl_test_bad_seconds"));
        free(text);
}

static void test_registration_rules(void **state)
{
        mcounter_t *a = metrics_counter("kcrawl_test_total", "k=\"1\"", "A.");

        assert_non_null(a);
        /* Same name and labels: the same series. */
        assert_ptr_equal(
                a, metrics_counter("kcrawl_test_total", "k=\"1\"", "A."));
        /* Same name, another type: refused. */
        assert_null(metrics_gauge("kcrawl_test_total", "k=\"2\"", "A."));
        /* Invalid names. */
        assert_null(metrics_counter("2bad", NULL, "x"));
        assert_null(metrics_counter("bad-name", NULL, "x"));
        assert_null(metrics_counter("", NULL, "x"));
        assert_null(metrics_counter(NULL, NULL, "x"));
        /* Updates on NULL are no-ops. */
        mcounter_add(NULL, 1);
        mgauge_set(NULL, 1);
        mgauge_add(NULL, 1);
        mhist_observe(NULL, 1);
}

static void test_families_grouped_and_help_escaped(void **state)
{
        char *text;

        mcounter_add(metrics_counter("kcrawl_a_total", "x=\"1\"",
                                     "Line one\nback\\slash."),
                     1);
        mgauge_set(metrics_gauge("kcrawl_b", NULL, "B."), 2);
        mcounter_add(metrics_counter("kcrawl_a_total", "x=\"2\"", "other"), 3);
        text = render_own();
        assert_string_equal(text,
                            "# HELP kcrawl_a_total Line one\\nback\\\\slash.\n"
                            "# TYPE kcrawl_a_total counter\n"
                            "kcrawl_a_total{x=\"1\"} 1\n"
                            "kcrawl_a_total{x=\"2\"} 3\n"
                            "# HELP kcrawl_b B.\n"
                            "# TYPE kcrawl_b gauge\n"
                            "kcrawl_b 2\n");
        free(text);
}

static void test_values_and_scale(void **state)
{
        mgauge_t *g = metrics_gauge("kcrawl_v", NULL, "V.");
        mcounter_t *busy = metrics_counter_scaled("kcrawl_busy_seconds_total",
                                                  NULL, "B.", 1e-6);
        char *text;

        mcounter_add(busy, 1500000); /* 1.5 s in microseconds */
        assert_true(fabs(mcounter_value(busy) - 1.5) < 1e-12);
        mgauge_set(g, 0.1);
        text = render_own();
        assert_non_null(strstr(text, "kcrawl_v 0.1\n"));
        assert_non_null(strstr(text, "kcrawl_busy_seconds_total 1.5\n"));
        free(text);
        mgauge_set(g, 1e20);
        text = render_own();
        assert_non_null(strstr(text, "kcrawl_v 1e+20\n"));
        free(text);
        mgauge_set(g, NAN);
        text = render_own();
        assert_non_null(strstr(text, "kcrawl_v NaN\n"));
        free(text);
        mgauge_set(g, -INFINITY);
        text = render_own();
        assert_non_null(strstr(text, "kcrawl_v -Inf\n"));
        free(text);
}

static void test_sum_selector(void **state)
{
        mcounter_add(metrics_counter("kcrawl_e_total", "code=\"a\"", "E."), 2);
        mcounter_add(metrics_counter("kcrawl_e_total", "code=\"b\"", "E."), 5);
        mgauge_set(metrics_gauge("kcrawl_g", "w=\"0\"", "G."), 1.5);
        mgauge_set(metrics_gauge("kcrawl_g", "w=\"1\"", "G."), 2);
        assert_true(metrics_sum("kcrawl_e_total") == 7);
        assert_true(metrics_sum("kcrawl_e_total{code=\"b\"}") == 5);
        assert_true(metrics_sum("kcrawl_e_total{code=\"zz\"}") == 0);
        assert_true(metrics_sum("kcrawl_g") == 3.5);
        assert_true(metrics_sum("kcrawl_none") == 0);
        assert_true(metrics_sum("kcrawl_e_total{unclosed") == 0);
}

/* ---- lock-free updates from many threads ------------------------------ */

#define THREADS 4
#define ROUNDS 100000

typedef struct {
        mcounter_t *c;
        mgauge_t *g;
        mhist_t *h;
} hot_t;

static void *hammer(void *arg)
{
        hot_t *hot = arg;

        for (int i = 0; i < ROUNDS; i++) {
                mcounter_add(hot->c, 1);
                mgauge_add(hot->g, 1);
                mhist_observe(hot->h, (i % 2) ? 0.5 : 0.002);
        }
        return NULL;
}

static void test_concurrent_updates(void **state)
{
        hot_t hot = {
                metrics_counter("kcrawl_hot_total", NULL, "H."),
                metrics_gauge("kcrawl_hot", NULL, "H."),
                metrics_histogram("kcrawl_hot_seconds", NULL, "H.",
                                  metrics_latency_bounds,
                                  metrics_latency_nbounds),
        };
        pthread_t t[THREADS];
        char *text, want[128];

        for (int i = 0; i < THREADS; i++)
                assert_int_equal(pthread_create(&t[i], NULL, hammer, &hot), 0);
        for (int i = 0; i < THREADS; i++)
                pthread_join(t[i], NULL);
        assert_true(mcounter_value(hot.c) == THREADS * ROUNDS);
        assert_true(mgauge_value(hot.g) == THREADS * ROUNDS);
        text = render_own();
        snprintf(want, sizeof(want), "kcrawl_hot_seconds_count %d\n",
                 THREADS * ROUNDS);
        assert_non_null(strstr(text, want));
        snprintf(want, sizeof(want),
                 "kcrawl_hot_seconds_bucket{le=\"0.0025\"} %d\n",
                 THREADS * ROUNDS / 2);
        assert_non_null(strstr(text, want));
        free(text);
}

/* ---- the process ------------------------------------------------------ */

static void test_process_metrics(void **state)
{
        char *text = render();
        volatile double x = 0;

        for (int i = 0; i < 1000000; i++) /* burn a little CPU */
                x += i;
        assert_true(metrics_process_cpu_seconds() >= 0);
        assert_true(metrics_process_resident_bytes() > 1024 * 1024 / 4);
        assert_non_null(strstr(text, "# TYPE process_cpu_seconds_total "
                                     "counter\nprocess_cpu_seconds_total "));
        assert_non_null(strstr(text, "# TYPE process_resident_memory_bytes "
                                     "gauge\nprocess_resident_memory_bytes "));
        assert_non_null(strstr(text, "\nprocess_start_time_seconds 1"));
        free(text);
}

/* ---- the endpoint ----------------------------------------------------- */

/* GET path from 127.0.0.1:port; returns the whole response (caller frees). */
static char *http_get(int port, const char *method, const char *path)
{
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)port) };
        char req[256], *buf = calloc(1, 1 << 20);
        size_t len = 0;
        ssize_t n;
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        assert_non_null(buf);
        assert_true(fd >= 0);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: x\r\n"
                     "Connection: close\r\n\r\n",
                     method, path);
        assert_int_equal(write(fd, req, (size_t)n), n);
        while (len < (1 << 20) - 1) {
                n = read(fd, buf + len, (1 << 20) - 1 - len);
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        return buf;
}

static void test_endpoint(void **state)
{
        char errstr[256];
        char *resp;
        int port;

        mcounter_add(metrics_counter("kcrawl_served_total", NULL, "S."), 42);
        assert_int_equal(metrics_port(), 0);
        assert_int_equal(metrics_serve("127.0.0.1:0", errstr, sizeof(errstr)),
                         0);
        port = metrics_port();
        assert_true(port > 0);

        resp = http_get(port, "GET", "/metrics");
        assert_non_null(strstr(resp, "HTTP/1.1 200"));
        assert_non_null(strstr(resp, "text/plain; version=0.0.4"));
        assert_non_null(strstr(resp, "\r\n\r\n# HELP kcrawl_served_total"));
        assert_non_null(strstr(resp, "\nkcrawl_served_total 42\n"));
        assert_non_null(strstr(resp, "\nprocess_resident_memory_bytes "));
        free(resp);

        resp = http_get(port, "GET", "/");
        assert_non_null(strstr(resp, "HTTP/1.1 404"));
        free(resp);
        resp = http_get(port, "GET", "/metrics/x");
        assert_non_null(strstr(resp, "HTTP/1.1 404"));
        free(resp);
        resp = http_get(port, "DELETE", "/metrics");
        assert_non_null(strstr(resp, "HTTP/1.1 405"));
        free(resp);

        /* A second endpoint on the same port: in use. */
        {
                char addr[32];

                metrics_stop();
                assert_int_equal(
                        metrics_serve("127.0.0.1:0", errstr, sizeof(errstr)),
                        0);
                snprintf(addr, sizeof(addr), "127.0.0.1:%d", metrics_port());
                /* Serving twice is refused. */
                assert_int_equal(metrics_serve(addr, errstr, sizeof(errstr)),
                                 -1);
                assert_non_null(strstr(errstr, "already"));
        }
        metrics_stop();
        assert_int_equal(metrics_port(), 0);
        metrics_stop(); /* twice is fine */
}

static void test_endpoint_bad_addresses(void **state)
{
        static const char *bad[] = { "127.0.0.1",
                                     "127.0.0.1:",
                                     ":x",
                                     "1.2.3.4:99999",
                                     "[::1:80",
                                     "::1:80",
                                     "no.such.host.invalid:9" };
        char errstr[256];
        int fd, port;
        struct sockaddr_in sa = { .sin_family = AF_INET };
        socklen_t len = sizeof(sa);

        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                errstr[0] = '\0';
                assert_int_equal(metrics_serve(bad[i], errstr, sizeof(errstr)),
                                 -1);
                assert_non_null(strstr(errstr, "--metrics-addr"));
        }
        /* A port someone else holds. */
        fd = socket(AF_INET, SOCK_STREAM, 0);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(fd, 1), 0);
        getsockname(fd, (struct sockaddr *)&sa, &len);
        port = ntohs(sa.sin_port);
        {
                char addr[32];

                snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
                assert_int_equal(metrics_serve(addr, errstr, sizeof(errstr)),
                                 -1);
                assert_non_null(strstr(errstr, "in use"));
        }
        close(fd);
        /* IPv6 loopback form parses (it may not bind without IPv6). */
        if (metrics_serve("[::1]:0", errstr, sizeof(errstr)) == 0)
                assert_true(metrics_port() > 0);
        metrics_stop();
}

/* ---- consumer lag from statistics -------------------------------------- */

static void test_consumer_lag(void **state)
{
        static const char stats[] =
                "{\"name\":\"rdkafka#consumer-2\",\"type\":\"consumer\","
                "\"topics\":{"
                " \"crawl.pages\":{\"topic\":\"crawl.pages\",\"partitions\":{"
                "  \"0\":{\"partition\":0,\"desired\":true,\"consumer_lag\":5},"
                "  \"1\":{\"partition\":1,\"desired\":false,\"consumer_lag\":700},"
                "  \"2\":{\"partition\":2,\"desired\":true,\"consumer_lag\":-1},"
                "  \"3\":{\"partition\":3,\"desired\":true,\"consumer_lag\":12},"
                "  \"-1\":{\"partition\":-1,\"desired\":true,\"consumer_lag\":99}"
                " }},"
                " \"other\":{\"partitions\":{"
                "  \"0\":{\"desired\":true,\"consumer_lag\":3}}}"
                "}}";
        static const char producer[] =
                "{\"name\":\"rdkafka#producer-1\",\"type\":\"producer\"}";
        char name[64];

        assert_int_equal(kafkastats_consumer_lag(stats, strlen(stats), name,
                                                 sizeof(name)),
                         20);
        assert_string_equal(name, "rdkafka#consumer-2");
        assert_int_equal(kafkastats_consumer_lag(producer, strlen(producer),
                                                 name, sizeof(name)),
                         -1);
        assert_int_equal(
                kafkastats_consumer_lag("{not json", 9, name, sizeof(name)),
                -1);
        /* Not NUL-terminated: only json_len bytes are read. */
        assert_int_equal(
                kafkastats_consumer_lag(stats, 10, name, sizeof(name)), -1);

        /* Two consumers in one process: the gauge is their sum. */
        kafkastats_init();
        {
                char *a = strdup(stats);
                static const char other[] =
                        "{\"name\":\"rdkafka#consumer-9\",\"type\":\"consumer\","
                        "\"topics\":{\"t\":{\"partitions\":{\"0\":"
                        "{\"desired\":true,\"consumer_lag\":100}}}}}";
                char *b = strdup(other);

                assert_int_equal(kafkastats_stats_cb(NULL, a, strlen(a), NULL),
                                 0);
                assert_int_equal(kafkastats_stats_cb(NULL, b, strlen(b), NULL),
                                 0);
                assert_true(metrics_sum("kcrawl_kafka_consumer_lag") == 120);
                free(a);
                free(b);
        }
}

static void test_progress_line(void **state)
{
        char line[200];

        progress_format_line(line, sizeof(line), 123.45, 17, "inflight", 3,
                             87.4, 45.0 * 1024 * 1024);
        assert_string_equal(line, "123.5 pages/s  inflight 17  errors 3  "
                                  "cpu 87%  rss 45.0 MiB");
        /* Bounded: a short buffer is cut, never overrun. */
        progress_format_line(line, 8, 1, 2, "lag", 3, 4, 5);
        assert_int_equal(strlen(line), 7);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_counter_gauge_text, reset),
                cmocka_unit_test_setup(test_histogram_text, reset),
                cmocka_unit_test_setup(test_histogram_no_labels_and_bad_bounds,
                                       reset),
                cmocka_unit_test_setup(test_registration_rules, reset),
                cmocka_unit_test_setup(test_families_grouped_and_help_escaped,
                                       reset),
                cmocka_unit_test_setup(test_values_and_scale, reset),
                cmocka_unit_test_setup(test_sum_selector, reset),
                cmocka_unit_test_setup(test_concurrent_updates, reset),
                cmocka_unit_test_setup(test_process_metrics, reset),
                cmocka_unit_test_setup(test_endpoint, reset),
                cmocka_unit_test_setup(test_endpoint_bad_addresses, reset),
                cmocka_unit_test_setup(test_consumer_lag, reset),
                cmocka_unit_test_setup(test_progress_line, reset),
        };
        int rc = cmocka_run_group_tests_name("metrics", tests, NULL, NULL);

        metrics_reset();
        return rc;
}
