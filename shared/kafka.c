/*
 * kafka.c — consumer and producer setup, back-pressured produce.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kafka.h"
#include "kafkastats.h"
#include "log.h"

/* Sets one property; on failure errstr names it. */
static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *val,
                    char *errstr, size_t errstr_size)
{
        char why[256];

        if (rd_kafka_conf_set(conf, key, val, why, sizeof(why)) !=
            RD_KAFKA_CONF_OK) {
                snprintf(errstr, errstr_size, "-X %s: %s", key, why);
                return -1;
        }
        return 0;
}

/* Applies "key=value" properties in order (the operator's last word). */
static int conf_apply(rd_kafka_conf_t *conf, const strlist_t *props,
                      char *errstr, size_t errstr_size)
{
        for (size_t i = 0; props && i < props->n; i++) {
                char key[256];
                const char *kv = props->v[i];
                const char *eq = strchr(kv, '=');

                if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
                        snprintf(errstr, errstr_size,
                                 "-X: expected key=value, got '%s'", kv);
                        return -1;
                }
                memcpy(key, kv, (size_t)(eq - kv));
                key[eq - kv] = '\0';
                if (conf_set(conf, key, eq + 1, errstr, errstr_size))
                        return -1;
        }
        return 0;
}

/* librdkafka's own log lines, as JSON lines. */
static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                         const char *buf)
{
        log_level_t lv = level <= 3   ? LOG_ERROR
                         : level <= 4 ? LOG_WARN
                         : level <= 6 ? LOG_INFO
                                      : LOG_DEBUG;

        LOGF(lv, "librdkafka", LOG_S("client", rd_kafka_name(rk)),
             LOG_S("facility", fac), LOG_S("detail", buf));
}

static rd_kafka_conf_t *conf_new(const char *brokers, char *errstr,
                                 size_t errstr_size)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();

        if (!brokers || !*brokers) {
                snprintf(errstr, errstr_size,
                         "--brokers: no Kafka bootstrap address (set "
                         "--brokers or KAFKA_BROKERS)");
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        if (conf_set(conf, "bootstrap.servers", brokers, errstr,
                     errstr_size)) {
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
        return conf;
}

rd_kafka_t *kafka_consumer_new(
        const char *brokers, const char *group, const strlist_t *props,
        void (*rebalance_cb)(rd_kafka_t *, rd_kafka_resp_err_t,
                             rd_kafka_topic_partition_list_t *, void *),
        void *opaque, char *errstr, size_t errstr_size)
{
        static const char *defaults[][2] = {
                { "auto.offset.reset", "earliest" },
                { "enable.auto.offset.store", "false" },
                { "enable.auto.commit", "true" },
                { "auto.commit.interval.ms", "1000" },
                { "partition.assignment.strategy", "range,roundrobin" },
                { "enable.partition.eof", "false" },
                { "allow.auto.create.topics", "false" },
                { "statistics.interval.ms", "5000" }, /* consumer lag */
        };
        rd_kafka_conf_t *conf = conf_new(brokers, errstr, errstr_size);
        rd_kafka_t *rk;

        if (!conf)
                return NULL;
        if (conf_set(conf, "group.id", group, errstr, errstr_size))
                goto out;
        for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
                if (conf_set(conf, defaults[i][0], defaults[i][1], errstr,
                             errstr_size))
                        goto out;
        if (conf_apply(conf, props, errstr, errstr_size))
                goto out;
        if (rebalance_cb)
                rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_stats_cb(conf, kafkastats_stats_cb);
        rd_kafka_conf_set_opaque(conf, opaque);

        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
        if (!rk)
                goto out;
        rd_kafka_poll_set_consumer(rk);
        return rk;
out:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

rd_kafka_t *kafka_producer_new(
        const char *brokers, const strlist_t *props, size_t max_message_bytes,
        void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
        void *opaque, char *errstr, size_t errstr_size)
{
        static const char *defaults[][2] = {
                { "enable.idempotence", "true" },
                { "compression.type", "lz4" },
                { "linger.ms", "5" },
                { "queue.buffering.max.kbytes", "262144" },
        };
        rd_kafka_conf_t *conf = conf_new(brokers, errstr, errstr_size);
        char size[32];
        rd_kafka_t *rk;

        if (!conf)
                return NULL;
        for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
                if (conf_set(conf, defaults[i][0], defaults[i][1], errstr,
                             errstr_size))
                        goto out;
        if (max_message_bytes) {
                snprintf(size, sizeof(size), "%zu", max_message_bytes);
                if (conf_set(conf, "message.max.bytes", size, errstr,
                             errstr_size))
                        goto out;
        }
        if (conf_apply(conf, props, errstr, errstr_size))
                goto out;
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        rd_kafka_conf_set_opaque(conf, opaque);

        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
        if (!rk)
                goto out;
        return rk;
out:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

int kafka_subscribe(rd_kafka_t *rk, const char *topics, char *errstr,
                    size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *list =
                rd_kafka_topic_partition_list_new(4);
        char *copy = strdup(topics), *save = NULL, *tok;
        rd_kafka_resp_err_t err;
        int rc = -1;

        if (!copy) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        for (tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
                while (*tok == ' ')
                        tok++;
                if (*tok)
                        rd_kafka_topic_partition_list_add(
                                list, tok, RD_KAFKA_PARTITION_UA);
        }
        if (list->cnt == 0) {
                snprintf(errstr, errstr_size, "no topic to subscribe to");
                goto out;
        }
        err = rd_kafka_subscribe(rk, list);
        if (err) {
                snprintf(errstr, errstr_size, "subscribe to %s: %s", topics,
                         rd_kafka_err2str(err));
                goto out;
        }
        rc = 0;
out:
        free(copy);
        rd_kafka_topic_partition_list_destroy(list);
        return rc;
}

rd_kafka_resp_err_t kafka_produce_to(rd_kafka_t *rk, const char *topic,
                                     int32_t partition, const void *key,
                                     size_t key_len, const void *value,
                                     size_t value_len,
                                     rd_kafka_headers_t *hdrs, void *opaque,
                                     int timeout_ms)
{
        int waited = 0;

        for (;;) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                        rk, RD_KAFKA_V_TOPIC(topic),
                        RD_KAFKA_V_PARTITION(partition),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_KEY(key, key_len),
                        RD_KAFKA_V_VALUE((void *)value, value_len),
                        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque),
                        RD_KAFKA_V_END);

                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL ||
                    waited >= timeout_ms)
                        return err;
                /* Back-pressure: let deliveries drain the queue. The
                 * callers' delivery-report callbacks must not produce. */
                rd_kafka_poll(rk, 50);
                waited += 50;
        }
}

rd_kafka_resp_err_t kafka_produce(rd_kafka_t *rk, const char *topic,
                                  const void *key, size_t key_len,
                                  const void *value, size_t value_len,
                                  rd_kafka_headers_t *hdrs, void *opaque,
                                  int timeout_ms)
{
        return kafka_produce_to(rk, topic, RD_KAFKA_PARTITION_UA, key, key_len,
                                value, value_len, hdrs, opaque, timeout_ms);
}

/* A rebalance while closing: whatever it says, keep no partitions. */
static void give_up_partitions(rd_kafka_t *rk, rd_kafka_event_t *ev)
{
        rd_kafka_topic_partition_list_t *parts =
                rd_kafka_event_topic_partition_list(ev);

        if (!strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE")) {
                rd_kafka_topic_partition_list_t *none =
                        rd_kafka_topic_partition_list_new(0);
                rd_kafka_error_t *error =
                        rd_kafka_event_error(ev) ==
                                        RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS
                                ? rd_kafka_incremental_unassign(rk, parts)
                                : rd_kafka_incremental_assign(rk, none);

                if (error)
                        rd_kafka_error_destroy(error);
                rd_kafka_topic_partition_list_destroy(none);
                return;
        }
        rd_kafka_assign(rk, NULL);
}

int kafka_consumer_close_destroy(rd_kafka_t *rk, int timeout_ms)
{
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_error_t *error;
        int64_t deadline = clock_mono_ms() + timeout_ms;
        int closed;

        /* rd_kafka_consumer_close() has no deadline: close in librdkafka's
         * background and serve its events here until closed or too late.
         * Events, not callbacks: the queue may also carry fetched messages,
         * which a callback-serving poll cannot take. The work before the
         * close committed what was finished, so a revoke here only gives
         * the partitions up; unprocessed messages are read again by their
         * next owner. */
        error = rd_kafka_consumer_close_queue(rk, q);
        if (error) {
                LOGF(LOG_WARN, "consumer close failed",
                     LOG_S("err", rd_kafka_error_string(error)));
                rd_kafka_error_destroy(error);
        } else {
                while (!rd_kafka_consumer_closed(rk) &&
                       clock_mono_ms() < deadline) {
                        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);

                        if (!ev)
                                continue;
                        if (rd_kafka_event_type(ev) ==
                            RD_KAFKA_EVENT_REBALANCE)
                                give_up_partitions(rk, ev);
                        else if (rd_kafka_event_type(ev) ==
                                 RD_KAFKA_EVENT_ERROR)
                                LOGF(LOG_WARN, "consumer error while closing",
                                     LOG_S("err",
                                           rd_kafka_event_error_string(ev)));
                        rd_kafka_event_destroy(ev);
                }
        }
        closed = rd_kafka_consumer_closed(rk);
        rd_kafka_queue_destroy(q);
        if (!closed)
                LOGF(LOG_WARN,
                     "consumer not closed in time: abandoned "
                     "(uncommitted work is read again by the next owner)",
                     LOG_S("client", rd_kafka_name(rk)),
                     LOG_I("timeout_ms", timeout_ms));
        rd_kafka_destroy_flags(
                rk, closed ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        return closed ? 0 : -1;
}

char *kafka_header_dup(const rd_kafka_message_t *msg, const char *name)
{
        rd_kafka_headers_t *hdrs = NULL;
        const void *val = NULL;
        size_t size = 0;
        char *s;

        if (rd_kafka_message_headers(msg, &hdrs) || !hdrs)
                return NULL;
        if (rd_kafka_header_get_last(hdrs, name, &val, &size))
                return NULL;
        s = malloc(size + 1);
        if (!s)
                return NULL;
        if (size)
                memcpy(s, val, size);
        s[size] = '\0';
        return s;
}

bool kafka_topic_name_valid(const char *name, size_t len)
{
        if (!name || len == 0 || len > 249)
                return false;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)name[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                      c == '-'))
                        return false;
        }
        return true;
}

int kafka_topic_config_ll(rd_kafka_t *rk, const char *topic, const char *name,
                          int timeout_ms, long long *val, char *errstr,
                          size_t errstr_size)
{
        rd_kafka_ConfigResource_t *res = NULL;
        rd_kafka_AdminOptions_t *opts = NULL;
        rd_kafka_queue_t *q = NULL;
        rd_kafka_event_t *ev = NULL;
        const rd_kafka_DescribeConfigs_result_t *result;
        const rd_kafka_ConfigResource_t **rs;
        const rd_kafka_ConfigEntry_t **entries;
        size_t nrs = 0, nentries = 0;
        int rc = -1;
        char why[256];

        res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
        opts = rd_kafka_AdminOptions_new(rk,
                                         RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
        q = rd_kafka_queue_new(rk);
        if (!res || !opts || !q) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        if (rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, why,
                                                      sizeof(why))) {
                snprintf(errstr, errstr_size, "%s", why);
                goto out;
        }
        rd_kafka_DescribeConfigs(rk, &res, 1, opts, q);
        ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
        if (!ev) {
                snprintf(errstr, errstr_size, "no answer in %d ms",
                         timeout_ms);
                goto out;
        }
        if (rd_kafka_event_error(ev)) {
                snprintf(errstr, errstr_size, "%s",
                         rd_kafka_event_error_string(ev));
                goto out;
        }
        result = rd_kafka_event_DescribeConfigs_result(ev);
        rs = result ? rd_kafka_DescribeConfigs_result_resources(result, &nrs)
                    : NULL;
        if (nrs < 1) {
                snprintf(errstr, errstr_size, "empty answer");
                goto out;
        }
        if (rd_kafka_ConfigResource_error(rs[0])) {
                snprintf(errstr, errstr_size, "%s",
                         rd_kafka_ConfigResource_error_string(rs[0]));
                goto out;
        }
        entries = rd_kafka_ConfigResource_configs(rs[0], &nentries);
        for (size_t i = 0; i < nentries; i++) {
                const char *en = rd_kafka_ConfigEntry_name(entries[i]);
                const char *cv = rd_kafka_ConfigEntry_value(entries[i]);
                char *end;
                long long v;

                if (!en || strcmp(en, name) || !cv)
                        continue;
                errno = 0;
                v = strtoll(cv, &end, 10);
                if (end != cv && !*end && !errno) {
                        *val = v;
                        rc = 0;
                }
        }
        if (rc)
                snprintf(errstr, errstr_size, "no %s in the answer", name);
out:
        if (ev)
                rd_kafka_event_destroy(ev);
        if (q)
                rd_kafka_queue_destroy(q);
        if (opts)
                rd_kafka_AdminOptions_destroy(opts);
        if (res)
                rd_kafka_ConfigResource_destroy(res);
        return rc;
}

long long kafka_topic_max_bytes(rd_kafka_t *rk, const char *topic,
                                int timeout_ms, char *errstr,
                                size_t errstr_size)
{
        long long v = -1;

        if (kafka_topic_config_ll(rk, topic, "max.message.bytes", timeout_ms,
                                  &v, errstr, errstr_size))
                return -1;
        if (v <= 0) {
                snprintf(errstr, errstr_size,
                         "no max.message.bytes in the answer");
                return -1;
        }
        return v;
}

long long kafka_topics_max_bytes(rd_kafka_t *rk, const char *const *topics,
                                 size_t n, int timeout_ms)
{
        long long min = -1;

        for (size_t i = 0; i < n; i++) {
                char why[256];
                long long v;

                if (!topics[i])
                        continue;
                v = kafka_topic_max_bytes(rk, topics[i], timeout_ms, why,
                                          sizeof(why));
                if (v < 0) {
                        LOGF(LOG_WARN,
                             "cannot read the topic's "
                             "max.message.bytes: assuming Kafka's default",
                             LOG_S("topic", topics[i]), LOG_S("err", why),
                             LOG_I("max_message_bytes",
                                   KAFKA_DEFAULT_MAX_MESSAGE_BYTES));
                        v = KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
                }
                if (min < 0 || v < min)
                        min = v;
        }
        return min;
}

size_t kafka_producer_max_bytes(rd_kafka_t *rk)
{
        char buf[32], *end;
        size_t size = sizeof(buf);
        unsigned long long v;

        if (rd_kafka_conf_get(rd_kafka_conf(rk), "message.max.bytes", buf,
                              &size) != RD_KAFKA_CONF_OK)
                return 0;
        errno = 0;
        v = strtoull(buf, &end, 10);
        return end != buf && !*end && !errno ? (size_t)v : 0;
}
