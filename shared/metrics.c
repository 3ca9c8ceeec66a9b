/*
 * metrics.c — Prometheus series, their text exposition and the HTTP
 * endpoint (see metrics.h).
 *
 * Series live in a fixed table that only grows: registration takes a
 * mutex and publishes the new entry with a release store of the count, so
 * readers (a scrape, the progress line) walk the table without the lock.
 * Values are C11 atomics: integer counters and histogram buckets are
 * fetch-adds; gauges and histogram sums hold a double's bits and are
 * updated with compare-and-swap.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#include "clock.h"
#include "metrics.h"

#define NAME_MAX_LEN 128
#define LABELS_MAX_LEN 256
#define HELP_MAX_LEN 512
#define BUCKETS_MAX 32
/* The endpoint under slow clients (docs/operations.md): */
#define SCRAPE_IDLE 10          /* s a connection may send nothing */
#define SCRAPE_DEADLINE 10      /* s from a request's start to its end */
#define SCRAPE_CLIENTS 64       /* connections at once */
#define SCRAPE_PER_IP 8         /* connections at once per address */
#define SCRAPE_POOL (16 * 1024) /* bytes per connection: headers, I/O */
#define SCRAPE_TICK_MS 250      /* deadline checks and stop latency */

typedef enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } kind_t;

struct mcounter {
        _Atomic uint64_t v;
        double scale;
};

struct mgauge {
        _Atomic uint64_t bits; /* a double */
};

struct mhist {
        double bounds[BUCKETS_MAX];
        size_t nbounds;
        _Atomic uint64_t buckets[BUCKETS_MAX + 1]; /* last: over every bound */
        _Atomic uint64_t sum_bits;                 /* a double */
};

typedef struct series {
        kind_t kind;
        char *name, *labels, *help;
        struct mcounter c;
        struct mgauge g;
        struct mhist h;
} series_t;

static series_t *table[METRICS_MAX_SERIES];
static _Atomic size_t table_n;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

const double metrics_latency_bounds[] = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
        0.5,   1,      2.5,   5,    10,    30,   60,
};
const size_t metrics_latency_nbounds =
        sizeof(metrics_latency_bounds) / sizeof(metrics_latency_bounds[0]);

const double metrics_cpu_bounds[] = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
        0.05,   0.1,     0.25,   0.5,   1,      2.5,   10,
};
const size_t metrics_cpu_nbounds =
        sizeof(metrics_cpu_bounds) / sizeof(metrics_cpu_bounds[0]);

/* ---- doubles in atomics ---------------------------------------------- */

static uint64_t dbits(double v)
{
        uint64_t b;

        memcpy(&b, &v, sizeof(b));
        return b;
}

static double bitsd(uint64_t b)
{
        double v;

        memcpy(&v, &b, sizeof(v));
        return v;
}

static void atomic_add_double(_Atomic uint64_t *a, double v)
{
        uint64_t old = atomic_load_explicit(a, memory_order_relaxed);

        while (!atomic_compare_exchange_weak_explicit(
                a, &old, dbits(bitsd(old) + v), memory_order_relaxed,
                memory_order_relaxed))
                ;
}

/* ---- registration ---------------------------------------------------- */

static bool valid_name(const char *name)
{
        size_t len = strlen(name);

        if (!len || len >= NAME_MAX_LEN || isdigit((unsigned char)name[0]))
                return false;
        for (const char *p = name; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '_' && *p != ':')
                        return false;
        return true;
}

static series_t *find(const char *name, const char *labels)
{
        size_t n = atomic_load_explicit(&table_n, memory_order_acquire);

        for (size_t i = 0; i < n; i++)
                if (!strcmp(table[i]->name, name) &&
                    !strcmp(table[i]->labels, labels))
                        return table[i];
        return NULL;
}

/* Another series with this name and another kind? */
static bool kind_conflict(const char *name, kind_t kind)
{
        size_t n = atomic_load_explicit(&table_n, memory_order_acquire);

        for (size_t i = 0; i < n; i++)
                if (!strcmp(table[i]->name, name) && table[i]->kind != kind)
                        return true;
        return false;
}

/* Finds or adds a series; the caller holds table_lock. */
static series_t *series_get(kind_t kind, const char *name, const char *labels,
                            const char *help, bool *created)
{
        series_t *s;
        size_t n;

        if (!name || !valid_name(name))
                return NULL;
        if (!labels)
                labels = "";
        if (strlen(labels) >= LABELS_MAX_LEN)
                return NULL;
        s = find(name, labels);
        if (s)
                return s->kind == kind ? s : NULL;
        if (kind_conflict(name, kind))
                return NULL;
        n = atomic_load_explicit(&table_n, memory_order_relaxed);
        if (n >= METRICS_MAX_SERIES)
                return NULL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->kind = kind;
        s->name = strdup(name);
        s->labels = strdup(labels);
        s->help = strndup(help ? help : "", HELP_MAX_LEN);
        if (!s->name || !s->labels || !s->help) {
                free(s->name);
                free(s->labels);
                free(s->help);
                free(s);
                return NULL;
        }
        s->c.scale = 1;
        *created = true;
        table[n] = s;
        atomic_store_explicit(&table_n, n + 1, memory_order_release);
        return s;
}

mcounter_t *metrics_counter_scaled(const char *name, const char *labels,
                                   const char *help, double scale)
{
        bool created = false;
        series_t *s;

        pthread_mutex_lock(&table_lock);
        s = series_get(KIND_COUNTER, name, labels, help, &created);
        if (s && created && scale > 0)
                s->c.scale = scale;
        pthread_mutex_unlock(&table_lock);
        return s ? &s->c : NULL;
}

mcounter_t *metrics_counter(const char *name, const char *labels,
                            const char *help)
{
        return metrics_counter_scaled(name, labels, help, 1);
}

mgauge_t *metrics_gauge(const char *name, const char *labels, const char *help)
{
        bool created = false;
        series_t *s;

        pthread_mutex_lock(&table_lock);
        s = series_get(KIND_GAUGE, name, labels, help, &created);
        pthread_mutex_unlock(&table_lock);
        return s ? &s->g : NULL;
}

mhist_t *metrics_histogram(const char *name, const char *labels,
                           const char *help, const double *bounds,
                           size_t nbounds)
{
        bool created = false;
        series_t *s = NULL;

        if (!bounds || !nbounds || nbounds > BUCKETS_MAX)
                return NULL;
        for (size_t i = 0; i < nbounds; i++)
                if (!isfinite(bounds[i]) || (i && bounds[i] <= bounds[i - 1]))
                        return NULL;
        pthread_mutex_lock(&table_lock);
        s = series_get(KIND_HISTOGRAM, name, labels, help, &created);
        if (s && created) {
                memcpy(s->h.bounds, bounds, nbounds * sizeof(*bounds));
                s->h.nbounds = nbounds;
        }
        pthread_mutex_unlock(&table_lock);
        return s ? &s->h : NULL;
}

void metrics_reset(void)
{
        pthread_mutex_lock(&table_lock);
        size_t n = atomic_load_explicit(&table_n, memory_order_relaxed);

        atomic_store_explicit(&table_n, 0, memory_order_release);
        for (size_t i = 0; i < n; i++) {
                free(table[i]->name);
                free(table[i]->labels);
                free(table[i]->help);
                free(table[i]);
                table[i] = NULL;
        }
        pthread_mutex_unlock(&table_lock);
}

/* ---- updates and reads ----------------------------------------------- */

void mcounter_add(mcounter_t *c, uint64_t n)
{
        if (c)
                atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

void mgauge_set(mgauge_t *g, double v)
{
        if (g)
                atomic_store_explicit(&g->bits, dbits(v),
                                      memory_order_relaxed);
}

void mgauge_add(mgauge_t *g, double v)
{
        if (g)
                atomic_add_double(&g->bits, v);
}

void mhist_observe(mhist_t *h, double v)
{
        size_t i = 0;

        if (!h || isnan(v))
                return;
        while (i < h->nbounds && v > h->bounds[i])
                i++;
        atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
        atomic_add_double(&h->sum_bits, v);
}

double mcounter_value(const mcounter_t *c)
{
        if (!c)
                return 0;
        return (double)atomic_load_explicit(&c->v, memory_order_relaxed) *
               c->scale;
}

double mgauge_value(const mgauge_t *g)
{
        return g ? bitsd(atomic_load_explicit(&g->bits, memory_order_relaxed))
                 : 0;
}

static uint64_t hist_count(const mhist_t *h)
{
        uint64_t n = 0;

        for (size_t i = 0; i <= h->nbounds; i++)
                n += atomic_load_explicit(&h->buckets[i],
                                          memory_order_relaxed);
        return n;
}

double metrics_sum(const char *selector)
{
        char name[NAME_MAX_LEN], match[LABELS_MAX_LEN] = "";
        const char *brace = strchr(selector, '{');
        size_t n = atomic_load_explicit(&table_n, memory_order_acquire);
        double sum = 0;

        if (brace) {
                size_t nl = (size_t)(brace - selector);
                const char *end = strrchr(brace, '}');
                size_t ml = end ? (size_t)(end - brace - 1) : 0;

                if (nl >= sizeof(name) || !end || ml >= sizeof(match))
                        return 0;
                memcpy(name, selector, nl);
                name[nl] = '\0';
                memcpy(match, brace + 1, ml);
                match[ml] = '\0';
        } else {
                snprintf(name, sizeof(name), "%s", selector);
        }
        for (size_t i = 0; i < n; i++) {
                const series_t *s = table[i];

                if (strcmp(s->name, name) || !strstr(s->labels, match))
                        continue;
                switch (s->kind) {
                case KIND_COUNTER:
                        sum += mcounter_value(&s->c);
                        break;
                case KIND_GAUGE:
                        sum += mgauge_value(&s->g);
                        break;
                case KIND_HISTOGRAM:
                        sum += (double)hist_count(&s->h);
                        break;
                }
        }
        return sum;
}

/* ---- the process, from /proc ----------------------------------------- */

/* Reads a small /proc file into buf; returns its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
        FILE *fp = fopen(path, "re");
        size_t len;

        if (!fp)
                return -1;
        len = fread(buf, 1, size - 1, fp);
        fclose(fp);
        buf[len] = '\0';
        return (ssize_t)len;
}

/* Field `field` (1-based, as proc(5) numbers them) of /proc/self/stat. */
static int proc_stat_field(int field, unsigned long long *out)
{
        char buf[2048], *p, *end;

        if (read_small("/proc/self/stat", buf, sizeof(buf)) <= 0)
                return -1;
        p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
        if (!p)
                return -1;
        p++;
        /* After ") " comes field 3 (state), a character. */
        for (int f = 3; f < field; f++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -1;
        }
        errno = 0;
        *out = strtoull(p, &end, 10);
        return end == p || errno ? -1 : 0;
}

/* getrusage() rather than /proc/self/stat: microseconds, not clock ticks,
 * so a short-lived or idle process still shows what it used. */
double metrics_process_cpu_seconds(void)
{
        struct rusage ru;

        if (getrusage(RUSAGE_SELF, &ru))
                return -1;
        return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

double metrics_process_resident_bytes(void)
{
        char buf[256], *p, *end;
        unsigned long long pages;
        long page = sysconf(_SC_PAGESIZE);

        if (page <= 0 || read_small("/proc/self/statm", buf, sizeof(buf)) <= 0)
                return -1;
        p = strchr(buf, ' '); /* second field: resident pages */
        if (!p)
                return -1;
        errno = 0;
        pages = strtoull(p, &end, 10);
        if (end == p || errno)
                return -1;
        return (double)pages * (double)page;
}

/* Start time: boot time (btime in /proc/stat) plus field 22 of
 * /proc/self/stat, in clock ticks since boot. */
static double process_start_seconds(void)
{
        char buf[8192], *p, *end;
        unsigned long long ticks, btime;
        long hz = sysconf(_SC_CLK_TCK);

        if (hz <= 0 || proc_stat_field(22, &ticks) ||
            read_small("/proc/stat", buf, sizeof(buf)) <= 0)
                return -1;
        p = strstr(buf, "\nbtime ");
        if (!p)
                return -1;
        p += 7;
        errno = 0;
        btime = strtoull(p, &end, 10);
        if (end == p || errno)
                return -1;
        return (double)btime + (double)ticks / (double)hz;
}

static double process_open_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *e;
        double n = 0;

        if (!d)
                return -1;
        for (e = readdir(d); e; e = readdir(d))
                if (e->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1; /* less the directory's own descriptor */
}

/* ---- exposition ------------------------------------------------------ */

/* A sample value as Prometheus reads it (Go's ParseFloat). */
static void put_value(FILE *fp, double v)
{
        char buf[64];

        if (isnan(v)) {
                fputs("NaN", fp);
                return;
        }
        if (isinf(v)) {
                fputs(v > 0 ? "+Inf" : "-Inf", fp);
                return;
        }
        if (fabs(v) < 1e15 && v == (double)(int64_t)v) {
                fprintf(fp, "%lld", (long long)v);
                return;
        }
        /* The shortest of %.15g and %.17g that reads back exactly. */
        snprintf(buf, sizeof(buf), "%.15g", v);
        if (strtod(buf, NULL) != v)
                snprintf(buf, sizeof(buf), "%.17g", v);
        fputs(buf, fp);
}

/* HELP text escapes backslash and newline. */
static void put_help(FILE *fp, const char *s)
{
        for (; *s; s++) {
                if (*s == '\\')
                        fputs("\\\\", fp);
                else if (*s == '\n')
                        fputs("\\n", fp);
                else
                        fputc(*s, fp);
        }
}

static void put_sample(FILE *fp, const char *name, const char *suffix,
                       const char *labels, const char *extra, double v)
{
        bool any = *labels || (extra && *extra);

        fprintf(fp, "%s%s", name, suffix);
        if (any)
                fprintf(fp, "{%s%s%s}", labels,
                        *labels && extra && *extra ? "," : "",
                        extra ? extra : "");
        fputc(' ', fp);
        put_value(fp, v);
        fputc('\n', fp);
}

static void put_series(FILE *fp, const series_t *s)
{
        switch (s->kind) {
        case KIND_COUNTER:
                put_sample(fp, s->name, "", s->labels, NULL,
                           mcounter_value(&s->c));
                return;
        case KIND_GAUGE:
                put_sample(fp, s->name, "", s->labels, NULL,
                           mgauge_value(&s->g));
                return;
        case KIND_HISTOGRAM: {
                uint64_t cum = 0;
                char le[64], num[40];

                for (size_t i = 0; i <= s->h.nbounds; i++) {
                        cum += atomic_load_explicit(&s->h.buckets[i],
                                                    memory_order_relaxed);
                        if (i < s->h.nbounds)
                                snprintf(num, sizeof(num), "%.15g",
                                         s->h.bounds[i]);
                        else
                                snprintf(num, sizeof(num), "+Inf");
                        snprintf(le, sizeof(le), "le=\"%s\"", num);
                        put_sample(fp, s->name, "_bucket", s->labels, le,
                                   (double)cum);
                }
                put_sample(fp, s->name, "_sum", s->labels, NULL,
                           bitsd(atomic_load_explicit(&s->h.sum_bits,
                                                      memory_order_relaxed)));
                /* The +Inf bucket's count, so the two always agree. */
                put_sample(fp, s->name, "_count", s->labels, NULL,
                           (double)cum);
                return;
        }
        }
}

static void put_family(FILE *fp, const char *name, const char *type,
                       const char *help, double v)
{
        fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
        put_sample(fp, name, "", "", NULL, v);
}

void metrics_render(FILE *fp)
{
        static const char *types[] = { "counter", "gauge", "histogram" };
        size_t n = atomic_load_explicit(&table_n, memory_order_acquire);
        double v;

        /* One family per name: HELP and TYPE once, then every series of
         * that name, whatever order they were registered in. */
        for (size_t i = 0; i < n; i++) {
                bool seen = false;

                for (size_t j = 0; j < i && !seen; j++)
                        seen = !strcmp(table[j]->name, table[i]->name);
                if (seen)
                        continue;
                fprintf(fp, "# HELP %s ", table[i]->name);
                put_help(fp, table[i]->help);
                fprintf(fp, "\n# TYPE %s %s\n", table[i]->name,
                        types[table[i]->kind]);
                for (size_t j = i; j < n; j++)
                        if (!strcmp(table[j]->name, table[i]->name))
                                put_series(fp, table[j]);
        }

        v = metrics_process_cpu_seconds();
        if (v >= 0)
                put_family(fp, "process_cpu_seconds_total", "counter",
                           "Total user and system CPU time spent in "
                           "seconds.",
                           v);
        v = metrics_process_resident_bytes();
        if (v >= 0)
                put_family(fp, "process_resident_memory_bytes", "gauge",
                           "Resident memory size in bytes.", v);
        v = process_start_seconds();
        if (v >= 0)
                put_family(fp, "process_start_time_seconds", "gauge",
                           "Start time of the process since unix epoch in "
                           "seconds.",
                           v);
        v = process_open_fds();
        if (v >= 0)
                put_family(fp, "process_open_fds", "gauge",
                           "Number of open file descriptors.", v);
}

/* ---- the endpoint ---------------------------------------------------- */

/*
 * libmicrohttpd serves every connection from one thread of ours, with
 * epoll, never blocking on a client: a slow one costs a slot and its
 * memory, not the others' time. Slots are bounded in all and per client
 * address, memory per connection by the pool size (request headers that do
 * not fit get 431) plus at most one rendered response. libmicrohttpd's own
 * timeout is an idle one, which a client sending a byte now and then never
 * meets, so the thread also enforces a deadline per request: counted from
 * the connection's accept, from the request line, or from the end of the
 * previous request on a kept-alive connection, and past it the connection
 * is shut down. The thread is ours rather than libmicrohttpd's internal
 * one so that the deadline check runs between its polls, in the thread
 * that owns the sockets (no race with their closing).
 */
typedef struct scrape_conn {
        int fd;       /* -1: slot free */
        double since; /* start of the current deadline */
        bool cut;     /* shut down once already */
} scrape_conn_t;

static struct MHD_Daemon *daemon_mhd;
static int daemon_port;
static pthread_t daemon_thread;
static atomic_bool daemon_stop;
static scrape_conn_t conns[SCRAPE_CLIENTS];

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
        const union MHD_ConnectionInfo *ci;
        scrape_conn_t *c = *socket_context;

        if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
                if (c)
                        c->fd = -1;
                *socket_context = NULL;
                return;
        }
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        for (size_t i = 0; i < SCRAPE_CLIENTS && ci; i++) {
                if (conns[i].fd >= 0)
                        continue;
                conns[i].fd = ci->connect_fd;
                conns[i].since = clock_mono_s();
                conns[i].cut = false;
                *socket_context = &conns[i];
                return;
        }
        /* Not reached: libmicrohttpd admits at most SCRAPE_CLIENTS. */
}

/* Restarts the connection's deadline. */
static void conn_restart(struct MHD_Connection *conn)
{
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
                conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        scrape_conn_t *c = ci ? ci->socket_context : NULL;

        if (c)
                c->since = clock_mono_s();
}

/* Called once the request line is in: the request's own deadline. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
        conn_restart(conn);
        return NULL;
}

/* A request answered: the next one, if any, has its own deadline. */
static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **req_cls, enum MHD_RequestTerminationCode toe)
{
        conn_restart(conn);
}

/* Shuts down connections past their deadline; libmicrohttpd sees the end
 * of the stream at its next poll and closes them. */
static void reap_slow(void)
{
        double now = clock_mono_s();

        for (size_t i = 0; i < SCRAPE_CLIENTS; i++) {
                if (conns[i].fd < 0 || conns[i].cut ||
                    now - conns[i].since < SCRAPE_DEADLINE)
                        continue;
                shutdown(conns[i].fd, SHUT_RDWR);
                conns[i].cut = true;
        }
}

static void *serve_thread(void *arg)
{
        while (!atomic_load(&daemon_stop)) {
                MHD_run_wait(daemon_mhd, SCRAPE_TICK_MS);
                reap_slow();
        }
        return NULL;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn,
                                    unsigned int status, const char *text)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(
                strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ret;

        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, "Content-Type",
                                "text/plain; charset=utf-8");
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                MHD_add_response_header(r, "Allow", "GET, HEAD");
        ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

/* The endpoint's thread: one call per request. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
        struct MHD_Response *r;
        enum MHD_Result ret;
        char *body = NULL;
        size_t len = 0;
        FILE *fp;

        if (strcmp(url, "/metrics"))
                return respond_text(conn, MHD_HTTP_NOT_FOUND,
                                    "not found: the metrics are at "
                                    "/metrics\n");
        if (strcmp(method, "GET") && strcmp(method, "HEAD"))
                return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                    "method not allowed\n");
        fp = open_memstream(&body, &len);
        if (!fp)
                return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                    "out of memory\n");
        metrics_render(fp);
        if (fclose(fp) || len > METRICS_MAX_RESPONSE) {
                free(body);
                return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                    "metrics too large\n");
        }
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!r) {
                free(body);
                return MHD_NO;
        }
        MHD_add_response_header(r, "Content-Type",
                                "text/plain; version=0.0.4; charset=utf-8");
        ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return ret;
}

/* Splits "HOST:PORT", "[V6]:PORT" or ":PORT". */
static int split_addr(const char *addr, char *host, size_t host_size,
                      char *port, size_t port_size)
{
        const char *colon;
        size_t hl;

        if (addr[0] == '[') {
                const char *close = strchr(addr, ']');

                if (!close || close[1] != ':')
                        return -1;
                hl = (size_t)(close - addr - 1);
                if (hl >= host_size)
                        return -1;
                memcpy(host, addr + 1, hl);
                colon = close + 1;
        } else {
                colon = strrchr(addr, ':');
                if (!colon || memchr(addr, ':', (size_t)(colon - addr)))
                        return -1;
                hl = (size_t)(colon - addr);
                if (hl >= host_size)
                        return -1;
                memcpy(host, addr, hl);
        }
        host[hl] = '\0';
        if (!colon[1] || strlen(colon + 1) >= port_size)
                return -1;
        for (const char *p = colon + 1; *p; p++)
                if (!isdigit((unsigned char)*p))
                        return -1;
        snprintf(port, port_size, "%s", colon + 1);
        return 0;
}

/* A listening socket on addr; -1 with errstr. */
static int listen_on(const char *addr, char *errstr, size_t errstr_size)
{
        struct addrinfo hints = { 0 }, *res = NULL, *ai;
        char host[256], port[8];
        int fd = -1, err = 0, one = 1;
        long portnum;

        if (split_addr(addr, host, sizeof(host), port, sizeof(port))) {
                snprintf(errstr, errstr_size,
                         "--metrics-addr: '%s' is not HOST:PORT, [IPV6]:PORT "
                         "or :PORT",
                         addr);
                return -1;
        }
        portnum = strtol(port, NULL, 10);
        if (portnum < 0 || portnum > 65535) {
                snprintf(errstr, errstr_size,
                         "--metrics-addr: port %s is out of range", port);
                return -1;
        }
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        err = getaddrinfo(*host ? host : NULL, port, &hints, &res);
        if (err) {
                snprintf(errstr, errstr_size, "--metrics-addr: %s: %s", addr,
                         gai_strerror(err));
                return -1;
        }
        /* For ":PORT" prefer the IPv6 wildcard with IPv4 mapped (both
         * families); otherwise the first address that binds. */
        for (int pass = 0; pass < 2 && fd < 0; pass++) {
                for (ai = res; ai && fd < 0; ai = ai->ai_next) {
                        if (!*host &&
                            (pass == 0) != (ai->ai_family == AF_INET6))
                                continue;
                        fd = socket(ai->ai_family,
                                    ai->ai_socktype | SOCK_CLOEXEC,
                                    ai->ai_protocol);
                        if (fd < 0) {
                                err = errno;
                                continue;
                        }
                        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
                                   sizeof(one));
                        if (ai->ai_family == AF_INET6 && !*host) {
                                int zero = 0;

                                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
                                           &zero, sizeof(zero));
                        }
                        if (bind(fd, ai->ai_addr, ai->ai_addrlen) ||
                            listen(fd, 16)) {
                                err = errno;
                                close(fd);
                                fd = -1;
                        }
                }
                if (*host)
                        break;
        }
        freeaddrinfo(res);
        if (fd < 0)
                snprintf(errstr, errstr_size,
                         "--metrics-addr: cannot listen "
                         "on %s: %s",
                         addr, strerror(err ? err : EINVAL));
        return fd;
}

static int socket_port(int fd)
{
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);

        if (getsockname(fd, (struct sockaddr *)&ss, &len))
                return 0;
        if (ss.ss_family == AF_INET)
                return ntohs(((struct sockaddr_in *)&ss)->sin_port);
        if (ss.ss_family == AF_INET6)
                return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        return 0;
}

int metrics_serve(const char *addr, char *errstr, size_t errstr_size)
{
        int fd, err;

        if (daemon_mhd) {
                snprintf(errstr, errstr_size,
                         "metrics endpoint already "
                         "running");
                return -1;
        }
        fd = listen_on(addr, errstr, errstr_size);
        if (fd < 0)
                return -1;
        daemon_port = socket_port(fd);
        for (size_t i = 0; i < SCRAPE_CLIENTS; i++)
                conns[i].fd = -1;
        daemon_mhd = MHD_start_daemon(
                MHD_USE_EPOLL, 0, NULL, NULL, on_request, NULL,
                MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
                (unsigned int)SCRAPE_CLIENTS,
                MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                (unsigned int)SCRAPE_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned int)SCRAPE_IDLE, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                (size_t)SCRAPE_POOL, MHD_OPTION_NOTIFY_CONNECTION,
                on_connection, NULL, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
                MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                MHD_OPTION_END);
        if (!daemon_mhd) {
                close(fd);
                daemon_port = 0;
                snprintf(errstr, errstr_size,
                         "--metrics-addr: cannot start "
                         "the HTTP server on %s",
                         addr);
                return -1;
        }
        atomic_store(&daemon_stop, false);
        err = pthread_create(&daemon_thread, NULL, serve_thread, NULL);
        if (err) {
                MHD_stop_daemon(daemon_mhd);
                daemon_mhd = NULL;
                daemon_port = 0;
                snprintf(errstr, errstr_size,
                         "--metrics-addr: cannot start "
                         "its thread: %s",
                         strerror(err));
                return -1;
        }
        return 0;
}

int metrics_port(void)
{
        return daemon_mhd ? daemon_port : 0;
}

void metrics_stop(void)
{
        if (!daemon_mhd)
                return;
        atomic_store(&daemon_stop, true);
        pthread_join(daemon_thread, NULL);
        MHD_stop_daemon(daemon_mhd); /* closes the listening socket */
        daemon_mhd = NULL;
        daemon_port = 0;
}
