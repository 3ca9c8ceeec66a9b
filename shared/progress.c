/*
 * progress.c — the stats summary and the terminal progress line (see
 * progress.h).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "clock.h"
#include "metrics.h"
#include "progress.h"

static pthread_t thread;
static bool running;
static bool stopping;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static progress_spec_t spec;
static long interval;
static bool tty;
static bool line_drawn;

static double sum_of(const char *const *selectors)
{
        double v = 0;

        for (size_t i = 0; i < PROGRESS_SELECTORS && selectors[i]; i++)
                v += metrics_sum(selectors[i]);
        return v;
}

void progress_format_line(char *buf, size_t size, double pages_per_s,
                          double level, const char *level_name, double errors,
                          double cpu_percent, double rss_bytes)
{
        snprintf(
                buf, size,
                "%.1f pages/s  %s %.0f  errors %.0f  cpu %.0f%%  rss %.1f MiB",
                pages_per_s, level_name ? level_name : "inflight", level,
                errors, cpu_percent, rss_bytes / (1024.0 * 1024.0));
}

/* One report; `dt` seconds since the last, whose totals are in *prev. */
static void report(double dt, double *prev_done, double *prev_cpu)
{
        double done = sum_of(spec.done), errors = sum_of(spec.errors);
        double level = spec.level ? metrics_sum(spec.level) : 0;
        double cpu = metrics_process_cpu_seconds();
        double rss = metrics_process_resident_bytes();
        double rate = dt > 0 ? (done - *prev_done) / dt : 0;
        double cpu_pct = dt > 0 && cpu >= 0 ? 100 * (cpu - *prev_cpu) / dt : 0;

        *prev_done = done;
        *prev_cpu = cpu;
        if (tty) {
                char line[200], out[220];
                int n;

                progress_format_line(line, sizeof(line), rate, level,
                                     spec.level_name, errors, cpu_pct, rss);
                n = snprintf(out, sizeof(out), "\r\033[K%s", line);
                if (n > 0 &&
                    write(STDERR_FILENO, out,
                          (size_t)n < sizeof(out) ? (size_t)n
                                                  : sizeof(out) - 1) > 0)
                        line_drawn = true;
                return;
        }
        LOGF(LOG_INFO, "stats", LOG_F("interval_s", dt),
             LOG_I("pages", (int64_t)done), LOG_F("pages_per_s", rate),
             LOG_I("errors", (int64_t)errors),
             LOG_I(spec.level_name ? spec.level_name : "inflight",
                   (int64_t)level),
             LOG_F("cpu_seconds", cpu), LOG_F("cpu_percent", cpu_pct),
             LOG_I("rss_bytes", (int64_t)rss));
}

static void *progress_main(void *arg)
{
        double prev_done = sum_of(spec.done);
        double prev_cpu = metrics_process_cpu_seconds();
        double last = clock_mono_s();
        long every = tty ? 1 : interval; /* a live line moves each second */
        struct timespec due;

        clock_gettime(CLOCK_MONOTONIC, &due);
        pthread_mutex_lock(&lock);
        while (!stopping) {
                due.tv_sec += every;
                while (!stopping &&
                       pthread_cond_timedwait(&wake, &lock, &due) == 0)
                        ;
                if (stopping)
                        break;
                pthread_mutex_unlock(&lock);
                double now = clock_mono_s();

                report(now - last, &prev_done, &prev_cpu);
                last = now;
                pthread_mutex_lock(&lock);
        }
        pthread_mutex_unlock(&lock);
        return NULL;
}

int progress_start(const progress_spec_t *s, long interval_s, char *errstr,
                   size_t errstr_size)
{
        pthread_condattr_t attr;

        if (interval_s <= 0 || running)
                return 0;
        spec = *s;
        interval = interval_s;
        tty = isatty(STDERR_FILENO);
        stopping = false;
        line_drawn = false;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&wake, &attr);
        pthread_condattr_destroy(&attr);
        if (pthread_create(&thread, NULL, progress_main, NULL)) {
                pthread_cond_destroy(&wake);
                snprintf(errstr, errstr_size,
                         "--stats-interval: cannot start a thread");
                return -1;
        }
        running = true;
        return 0;
}

void progress_stop(void)
{
        if (!running)
                return;
        pthread_mutex_lock(&lock);
        stopping = true;
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&lock);
        pthread_join(thread, NULL);
        pthread_cond_destroy(&wake);
        running = false;
        if (line_drawn && write(STDERR_FILENO, "\n", 1) < 0)
                line_drawn = false;
}

int progress_watch_start(const char *metrics_addr, long interval_s,
                         const progress_spec_t *s, char *errstr,
                         size_t errstr_size)
{
        if (metrics_addr && *metrics_addr) {
                if (metrics_serve(metrics_addr, errstr, errstr_size))
                        return -1;
                LOGF(LOG_INFO, "metrics endpoint listening",
                     LOG_S("addr", metrics_addr),
                     LOG_I("port", metrics_port()), LOG_S("path", "/metrics"));
        }
        if (progress_start(s, interval_s, errstr, errstr_size)) {
                metrics_stop();
                return -1;
        }
        return 0;
}

void progress_watch_stop(void)
{
        progress_stop();
        metrics_stop();
}
