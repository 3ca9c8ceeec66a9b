/*
 * produce_loop — the Kafka side of the fetch ceiling: how many pages one
 * librdkafka producer with the fetcher's settings gets into the broker.
 *
 *   produce_loop --brokers B --topic T --count N FILE...
 *
 * Loads the files, then produces N messages cycling over them (key the URL,
 * value the body, the page headers a fetcher sends) with the fetcher's
 * producer defaults (shared/kafka.c: enable.idempotence, lz4, linger.ms 5,
 * a 256 MB queue, message.max.bytes 16 MiB), and waits for every delivery
 * report. No HTTP, no parsing: only what the fetcher's produce path pays.
 * One warm-up message is delivered first (idempotent producer id, topic
 * metadata) and not timed. Prints one JSON object:
 *   {"pages", "bytes", "errors", "seconds", "cpu_seconds", "pages_per_s"}
 */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t delivered, failed;

static double now_s(clockid_t clk)
{
        struct timespec ts;

        clock_gettime(clk, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
        if (m->err)
                failed++;
        else
                delivered++;
}

static char *load(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *data;
        long n;

        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        data = malloc((size_t)n + 1);
        if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) {
                fclose(f);
                free(data);
                return NULL;
        }
        fclose(f);
        *len = (size_t)n;
        return data;
}

static int produce(rd_kafka_t *rk, const char *topic, const char *url,
                   const char *body, size_t len)
{
        rd_kafka_headers_t *h = rd_kafka_headers_new(8);
        rd_kafka_resp_err_t err;

        rd_kafka_header_add(h, "url", -1, url, -1);
        rd_kafka_header_add(h, "final_url", -1, url, -1);
        rd_kafka_header_add(h, "status", -1, "200", -1);
        rd_kafka_header_add(h, "content_type", -1, "text/html; charset=utf-8",
                            -1);
        rd_kafka_header_add(h, "fetched_at", -1, "2025-01-01T00:00:00.000Z",
                            -1);
        rd_kafka_header_add(h, "elapsed_ms", -1, "2", -1);
        rd_kafka_header_add(h, "attempts", -1, "1", -1);
        rd_kafka_header_add(h, "source_topic", -1, topic, -1);
        for (;;) {
                err = rd_kafka_producev(
                        rk, RD_KAFKA_V_TOPIC(topic),
                        RD_KAFKA_V_KEY(url, strlen(url)),
                        RD_KAFKA_V_VALUE((void *)body, len),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(rk,
                              10); /* back-pressure: serve reports, retry */
        }
        if (err) {
                rd_kafka_headers_destroy(h);
                fprintf(stderr, "produce_loop: %s\n", rd_kafka_err2str(err));
                return -1;
        }
        rd_kafka_poll(rk, 0);
        return 0;
}

int main(int argc, char **argv)
{
        static const char *props[][2] = {
                { "enable.idempotence", "true" },
                { "compression.type", "lz4" },
                { "linger.ms", "5" },
                { "queue.buffering.max.kbytes", "262144" },
                { "message.max.bytes", "16777216" },
        };
        const char *brokers = NULL, *topic = NULL;
        long count = 1000;
        char errstr[512], url[512];
        char **bodies;
        size_t *lens, nfiles = 0, bytes = 0;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        double t0, c0, t1, c1;
        int i;

        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                if (!strcmp(argv[i], "--brokers") && i + 1 < argc)
                        brokers = argv[++i];
                else if (!strcmp(argv[i], "--topic") && i + 1 < argc)
                        topic = argv[++i];
                else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
                        char *end;

                        errno = 0;
                        count = strtol(argv[++i], &end, 10);
                        if (errno || *end || count < 1 || count > 100000000) {
                                fprintf(stderr, "produce_loop: bad --count\n");
                                return 2;
                        }
                } else
                        break;
        }
        if (!brokers || !topic || i >= argc) {
                fprintf(stderr,
                        "usage: produce_loop --brokers B --topic T --count N FILE...\n");
                return 2;
        }
        bodies = calloc((size_t)(argc - i), sizeof(*bodies));
        lens = calloc((size_t)(argc - i), sizeof(*lens));
        for (; i < argc; i++, nfiles++) {
                bodies[nfiles] = load(argv[i], &lens[nfiles]);
                if (!bodies[nfiles]) {
                        fprintf(stderr, "produce_loop: %s: cannot read\n",
                                argv[i]);
                        return 1;
                }
        }

        conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr,
                              sizeof(errstr))) {
                fprintf(stderr, "produce_loop: %s\n", errstr);
                return 2;
        }
        for (size_t k = 0; k < sizeof(props) / sizeof(props[0]); k++)
                if (rd_kafka_conf_set(conf, props[k][0], props[k][1], errstr,
                                      sizeof(errstr))) {
                        fprintf(stderr, "produce_loop: %s\n", errstr);
                        return 2;
                }
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "produce_loop: %s\n", errstr);
                return 1;
        }
        if (produce(rk, topic, "http://warm-up.bench.test/", "warm-up", 7) ||
            rd_kafka_flush(rk, 60000) || failed) {
                fprintf(stderr,
                        "produce_loop: warm-up message not delivered\n");
                return 1;
        }
        delivered = 0;

        t0 = now_s(CLOCK_MONOTONIC);
        c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        for (long n = 0; n < count; n++) {
                size_t k = (size_t)n % nfiles;

                snprintf(url, sizeof(url), "http://v%03ld.bench.test/%zu-%ld",
                         n % 50, k, n);
                if (produce(rk, topic, url, bodies[k], lens[k]))
                        return 1;
                bytes += lens[k];
        }
        if (rd_kafka_flush(rk, 120000)) {
                fprintf(stderr,
                        "produce_loop: messages not delivered in 120 s\n");
                return 1;
        }
        t1 = now_s(CLOCK_MONOTONIC);
        c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        printf("{\"pages\": %zu, \"bytes\": %zu, \"errors\": %zu, \"seconds\": %.4f, "
               "\"cpu_seconds\": %.4f, \"pages_per_s\": %.1f}\n",
               delivered, bytes, failed, t1 - t0, c1 - c0,
               (double)delivered / (t1 - t0));
        rd_kafka_destroy(rk);
        for (size_t k = 0; k < nfiles; k++)
                free(bodies[k]);
        free(bodies);
        free(lens);
        return failed ? 1 : 0;
}
