/*
 * state_bench — figure 8 of `make bench`: the crawl state of many URLs.
 *
 *   state_bench table   --urls N --hosts H
 *   state_bench produce --urls N --hosts H --brokers B --topic T
 *
 * Both make the same deterministic states (state_of()): N URLs over H
 * hosts (http://hNNNNNN.bench.test/..., N / H each), as a crawl leaves
 * them — 200 pages with the body's SHA-256, most with an ETag (nginx's
 * "mtime-length", a quoted MD5 or a weak one) and a Last-Modified, some
 * 304s and 404s, 5% dead letters with their code, each answering an input
 * message (crawl.urls, partition, offset).
 *
 * table: puts every state into the fetcher's own table
 * (crawlstate_new(N), crawlstate_put()) and prints, as one JSON object,
 * the resident memory before and after (VmRSS, so the growth is the
 * table's: the states are made on the fly, nothing else is allocated),
 * bytes per URL, the put rate, then how fast the state messages decode
 * (crawlstate_encode() of each, crawlstate_decode() timed alone, what
 * the fetcher's load does per message).
 *
 * produce: produces each state's message (crawlstate_encode(), key the
 * URL) to topic T, in the partition of murmur2 of the host key as the
 * fetcher writes it, with a batching librdkafka producer (lz4), and waits
 * for every delivery report; prints {"messages", "bytes", "seconds"}.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crawlstate.h"

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        long kb = -1;

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "VmRSS:", 6))
                        kb = strtol(line + 6, NULL, 10);
        fclose(f);
        return kb;
}

/* splitmix64: the states' pseudo-random parts, the same every run. */
static uint64_t mix(uint64_t x)
{
        x += 0x9e3779b97f4a7c15ull;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
        return x ^ (x >> 31);
}

static const char *const sections[] = { "products", "blog/2024", "category",
                                        "news/world", "p" };

/* URL i of n over `hosts` hosts, with its host key and state. */
static void state_of(size_t i, size_t n, size_t hosts, char *url, size_t usize,
                     char *host, size_t hsize, crawlstate_rec_t *rec)
{
        size_t per = n / hosts ? n / hosts : 1;
        size_t h = i / per;
        uint64_t r = mix(i);
        static const char *const days[] = { "Mon", "Tue", "Wed", "Thu",
                                            "Fri", "Sat", "Sun" };
        static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
                                              "May", "Jun", "Jul", "Aug",
                                              "Sep", "Oct", "Nov", "Dec" };

        if (h >= hosts)
                h = hosts - 1;
        snprintf(host, hsize, "h%06zu.bench.test", h);
        snprintf(url, usize, "http://%s/%s/item-%zu-%08llx.html", host,
                 sections[r % 5], i % per, (unsigned long long)(r >> 32));
        memset(rec, 0, sizeof(*rec));
        rec->fetched_at_ms = 1764000000000LL + (int64_t)(r % 86400000);
        rec->fetches = 1 + (uint32_t)(r >> 8) % 20;
        rec->changes = (uint32_t)(r >> 16) % (rec->fetches);
        snprintf(rec->in_topic, sizeof(rec->in_topic), "crawl.urls");
        rec->in_partition = (int32_t)(h % 12);
        rec->in_offset = (int64_t)i * 3;
        if (r % 20 == 0) { /* a dead letter */
                rec->outcome = CRAWLSTATE_ERROR;
                snprintf(rec->error_code, sizeof(rec->error_code), "%s",
                         r % 40 ? "connect_timeout" : "too_many_redirects");
                return;
        }
        rec->outcome = CRAWLSTATE_PAGE;
        rec->status = r % 50 == 1 ? 404 : r % 10 == 3 ? 304 : 200;
        switch ((r >> 4) % 10) {
        case 0:
        case 1:
        case 2: /* nginx: "mtime-length" */
                snprintf(rec->etag, sizeof(rec->etag), "\"%llx-%llx\"",
                         (unsigned long long)(0x60000000 + (r >> 33)),
                         (unsigned long long)(r >> 48));
                break;
        case 3:
        case 4:
        case 5: { /* a quoted MD5 */
                uint64_t s = mix(r);

                snprintf(rec->etag, sizeof(rec->etag), "\"%016llx%016llx\"",
                         (unsigned long long)r, (unsigned long long)s);
                break;
        }
        case 6: /* a weak one */
                snprintf(rec->etag, sizeof(rec->etag), "W/\"%llx-%llx\"",
                         (unsigned long long)(r >> 40),
                         (unsigned long long)(r & 0xffffff));
                break;
        default: /* none */
                break;
        }
        if ((r >> 12) % 5) {
                time_t t = (time_t)(1600000000 + (r >> 20) % 160000000);
                struct tm tm;

                gmtime_r(&t, &tm);
                snprintf(rec->last_modified, sizeof(rec->last_modified),
                         "%s, %02d %s %04d %02d:%02d:%02d GMT",
                         days[(tm.tm_wday + 6) % 7], tm.tm_mday,
                         months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
                         tm.tm_min, tm.tm_sec);
        }
        rec->has_digest = rec->status == 200 || rec->status == 304;
        if (rec->has_digest)
                for (size_t k = 0; k < CRAWLSTATE_DIGEST_LEN; k += 8) {
                        uint64_t d = mix(r + k);

                        memcpy(rec->digest + k, &d, 8);
                }
}

static int run_table(size_t n, size_t hosts)
{
        crawlstate_t *cs;
        crawlstate_rec_t rec, back;
        char url[512], host[64], err[256];
        long before, after;
        double t0, put_s, dec_s = 0;
        size_t json_bytes = 0, ndec = n < 200000 ? n : 200000;

        before = rss_kb();
        cs = crawlstate_new(n);
        if (!cs) {
                fprintf(stderr, "state_bench: out of memory\n");
                return 1;
        }
        t0 = now_s();
        for (size_t i = 0; i < n; i++) {
                state_of(i, n, hosts, url, sizeof(url), host, sizeof(host),
                         &rec);
                if (crawlstate_put(cs, url, &rec)) {
                        fprintf(stderr, "state_bench: put failed at %zu\n", i);
                        return 1;
                }
        }
        put_s = now_s() - t0;
        after = rss_kb();
        /* Every state is there and reads back as it was put. */
        for (size_t i = 0; i < n; i += 997) {
                state_of(i, n, hosts, url, sizeof(url), host, sizeof(host),
                         &rec);
                if (!crawlstate_get(cs, url, &back) ||
                    strcmp(back.etag, rec.etag) ||
                    strcmp(back.last_modified, rec.last_modified) ||
                    back.in_offset != rec.in_offset ||
                    memcmp(back.digest, rec.digest, sizeof(rec.digest))) {
                        fprintf(stderr,
                                "state_bench: URL %zu read back "
                                "wrong\n",
                                i);
                        return 1;
                }
        }
        /* The load's per-message work: decode (encode not timed). */
        for (size_t i = 0; i < ndec; i++) {
                char *json = NULL;
                size_t len = 0;
                double t1;

                state_of(i, n, hosts, url, sizeof(url), host, sizeof(host),
                         &rec);
                if (crawlstate_encode(url, &rec, &json, &len))
                        return 1;
                json_bytes += len;
                t1 = now_s();
                if (crawlstate_decode(url, strlen(url), json, len, &back, err,
                                      sizeof(err))) {
                        fprintf(stderr, "state_bench: decode: %s\n", err);
                        return 1;
                }
                dec_s += now_s() - t1;
                free(json);
        }
        printf("{\"urls\": %zu, \"hosts\": %zu, \"count\": %zu, "
               "\"evicted\": %llu, \"rss_before_kb\": %ld, "
               "\"rss_after_kb\": %ld, \"bytes_per_url\": %.1f, "
               "\"puts_per_s\": %.0f, \"json_bytes_avg\": %.1f, "
               "\"decodes_per_s\": %.0f}\n",
               n, hosts, crawlstate_count(cs),
               (unsigned long long)crawlstate_evicted(cs), before, after,
               (double)(after - before) * 1024.0 / (double)n, n / put_s,
               (double)json_bytes / (double)ndec, ndec / dec_s);
        crawlstate_destroy(cs);
        return 0;
}

static size_t delivered, failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
        if (m->err)
                failed++;
        else
                delivered++;
}

static int run_produce(size_t n, size_t hosts, const char *brokers,
                       const char *topic)
{
        char errstr[512], url[512], host[64];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;
        rd_kafka_topic_t *rkt;
        const struct rd_kafka_metadata *md = NULL;
        int32_t parts = 0;
        size_t bytes = 0;
        double t0;
        static const char *const props[][2] = {
                { "linger.ms", "50" },
                { "batch.size", "1000000" },
                { "compression.type", "lz4" },
                { "queue.buffering.max.messages", "1000000" },
                { "queue.buffering.max.kbytes", "1048576" },
                { "enable.idempotence", "true" },
        };

        if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK)
                goto out;
        for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
                if (rd_kafka_conf_set(conf, props[i][0], props[i][1], errstr,
                                      sizeof(errstr)) != RD_KAFKA_CONF_OK)
                        goto out;
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "state_bench: %s\n", errstr);
                return 1;
        }
        rkt = rd_kafka_topic_new(rk, topic, NULL);
        if (!rd_kafka_metadata(rk, 0, rkt, &md, 10000) && md->topic_cnt == 1 &&
            !md->topics[0].err)
                parts = md->topics[0].partition_cnt;
        if (md)
                rd_kafka_metadata_destroy(md);
        if (parts <= 0) {
                fprintf(stderr, "state_bench: topic %s not found\n", topic);
                return 1;
        }
        t0 = now_s();
        for (size_t i = 0; i < n; i++) {
                crawlstate_rec_t rec;
                char *json = NULL;
                size_t len = 0;
                int32_t p;

                state_of(i, n, hosts, url, sizeof(url), host, sizeof(host),
                         &rec);
                if (crawlstate_encode(url, &rec, &json, &len))
                        return 1;
                p = rd_kafka_msg_partitioner_murmur2(rkt, host, strlen(host),
                                                     parts, NULL, NULL);
                while (rd_kafka_produce(rkt, p, RD_KAFKA_MSG_F_FREE, json, len,
                                        url, strlen(url), NULL) == -1) {
                        if (rd_kafka_last_error() !=
                            RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                                fprintf(stderr, "state_bench: produce: %s\n",
                                        rd_kafka_err2str(
                                                rd_kafka_last_error()));
                                return 1;
                        }
                        rd_kafka_poll(rk, 10);
                }
                bytes += len;
                rd_kafka_poll(rk, 0);
        }
        while (delivered + failed < n)
                rd_kafka_poll(rk, 100);
        printf("{\"messages\": %zu, \"failed\": %zu, \"bytes\": %zu, "
               "\"partitions\": %d, \"seconds\": %.3f}\n",
               delivered, failed, bytes, (int)parts, now_s() - t0);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return failed ? 1 : 0;
out: /* a configuration error */
        fprintf(stderr, "state_bench: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
}

int main(int argc, char **argv)
{
        size_t n = 1000000, hosts = 100000;
        const char *brokers = NULL, *topic = NULL;

        if (argc < 2 || argc % 2)
                goto out;
        for (int i = 2; i + 1 < argc; i += 2) {
                if (!strcmp(argv[i], "--urls"))
                        n = strtoull(argv[i + 1], NULL, 10);
                else if (!strcmp(argv[i], "--hosts"))
                        hosts = strtoull(argv[i + 1], NULL, 10);
                else if (!strcmp(argv[i], "--brokers"))
                        brokers = argv[i + 1];
                else if (!strcmp(argv[i], "--topic"))
                        topic = argv[i + 1];
                else
                        goto out;
        }
        if (!n || !hosts || hosts > n)
                goto out;
        if (!strcmp(argv[1], "table"))
                return run_table(n, hosts);
        if (!strcmp(argv[1], "produce") && brokers && topic)
                return run_produce(n, hosts, brokers, topic);
out: /* usage */
        fprintf(stderr, "usage: state_bench table --urls N --hosts H\n"
                        "       state_bench produce --urls N --hosts H "
                        "--brokers B --topic T\n");
        return 2;
}
