/*
 * robotsfetch.c — robots.txt fetched through the loop (see
 * fetcher_int.h): once per host before its first URL, cached, retried
 * with back-off while it answers 5xx or cannot be reached; rules parsed
 * by robots.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fetcher_int.h"
#include "log.h"
#include "url.h"

void robotsfetch_hstate_free(void *p)
{
        hstate_t *hs = p;

        theap_remove(&hs->f->timers, &hs->timer.t);
        robots_destroy(hs->rules);
        free(hs);
}

static hstate_t *robotsfetch_hstate(fetcher_t *f, host_t *h)
{
        hstate_t *hs = h->user;

        if (!hs) {
                hs = calloc(1, sizeof(*hs));
                if (!hs)
                        return NULL;
                hs->f = f;
                hs->host = h;
                hs->timer.kind = T_ROBOTS;
                hs->timer.owner = hs;
                h->user = hs;
        }
        return hs;
}

/* The path and query of an href ("http://h/p?q#f" -> "/p?q"), in buf. */
static const char *href_path(const char *href, char *buf, size_t size)
{
        const char *p = strstr(href, "://");
        size_t n;

        p = p ? strchr(p + 3, '/') : NULL;
        if (!p)
                return "/";
        n = strcspn(p, "#");
        if (n >= size)
                n = size - 1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        return buf;
}

/* Starts the robots.txt fetch of host h (the scheme of its first URL). */
static int robotsfetch_start(fetcher_t *f, host_t *h, hstate_t *hs)
{
        job_t *job = calloc(1, sizeof(*job));
        char url[1200];

        if (!job)
                return -1;
        job->f = f;
        job->kind = JOB_ROBOTS;
        job->host = h;
        job->proxy = proxies_pick(f->proxies, h->key, h->proxy,
                                  clock_mono_ms());
        h->proxy = job->proxy;
        snprintf(url, sizeof(url), "%s://%s/robots.txt", hs->scheme, h->key);
        job_link(f, job);
        if (transfer_start(f, job, url)) {
                job_unlink(f, job);
                job_free(job);
                return -1;
        }
        hs->state = RS_FETCHING;
        h->hold = true;
        host_start(f->hosts, h, clock_mono_ms());
        return 0;
}

/* Ends every URL queued on h as `code` (robots_unreachable). */
static void robotsfetch_fail_all(fetcher_t *f, host_t *h, const char *code,
                   const char *why)
{
        hlink_t *l;

        while ((l = host_pop(h))) {
                job_t *job = container_of(l, job_t, qlink);

                job->host = NULL;
                mcounter_add(f->m.robots[RB_UNREACHABLE], 1);
                job_fail(f, job, code, why);
        }
}

void robotsfetch_done(fetcher_t *f, job_t *job, CURLcode rc)
{
        host_t *h = job->host;
        hstate_t *hs = h->user;
        int64_t now = clock_mono_ms();
        long status = 0;
        bool slow = false;
        curl_off_t ra = 0;
        int64_t ra_ms = 0;

        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        f->n_robots++;
        /* The body is kept up to the cap: a bigger file is cut, not
         * refused (RFC 9309: parse at least 500 KiB). */
        if (rc == CURLE_WRITE_ERROR && job->too_large)
                rc = CURLE_OK;
        if (rc == CURLE_OK && status >= 200 && status < 300) {
                robots_destroy(hs->rules);
                hs->rules = robots_parse(job->body ? job->body : "",
                                         job->body_len, f->agent);
                hs->state = hs->rules ? RS_READY : RS_NONE;
                hs->expires_ms = now + f->conf->robots_cache * 1000;
                hs->failures = 0;
                if (hs->rules) /* capped by --max-crawl-delay there */
                        host_set_delay(f->hosts, h,
                                       robots_crawl_delay(hs->rules), now);
        } else if (rc == CURLE_OK && status >= 400 && status < 500 &&
                   status != 429) {
                /* Unavailable: everything allowed. */
                robots_destroy(hs->rules);
                hs->rules = robots_allow_all();
                hs->state = hs->rules ? RS_READY : RS_NONE;
                hs->expires_ms = now + f->conf->robots_cache * 1000;
                hs->failures = 0;
        } else if (rc == CURLE_COULDNT_RESOLVE_HOST || job->blocked ||
                   rc == CURLE_TOO_MANY_REDIRECTS ||
                   rc == CURLE_UNSUPPORTED_PROTOCOL ||
                   rc == CURLE_PEER_FAILED_VERIFICATION ||
                   rc == CURLE_SSL_CONNECT_ERROR) {
                /* Nothing on the host can be reached (or robots.txt is
                 * unavailable by RFC 9309's redirect limit), or its TLS
                 * cannot be trusted, which retrying does not mend: the
                 * URLs are tried and end with their own error (tls_error
                 * rather than a long wait for robots_unreachable). */
                robots_destroy(hs->rules);
                hs->rules = robots_allow_all();
                hs->state = hs->rules ? RS_READY : RS_NONE;
                hs->expires_ms = now + ROBOTS_FAIL_OPEN_TTL_MS;
        } else {
                /* 5xx, 429 or unreachable: everything disallowed while
                 * robots.txt is retried with back-off. */
                slow = rc == CURLE_OK && (status == 429 || status == 503);
                if (slow) {
                        curl_easy_getinfo(job->easy, CURLINFO_RETRY_AFTER,
                                          &ra);
                        ra_ms = hosts_retry_after_ms(f->hosts,
                                                     (long long)ra);
                }
                hs->failures++;
                if (hs->failures > f->conf->robots_retries) {
                        char why[CURL_ERROR_SIZE + 96];

                        if (rc == CURLE_OK)
                                snprintf(why, sizeof(why), "robots.txt "
                                         "answered %ld, %d times", status,
                                         hs->failures);
                        else
                                snprintf(why, sizeof(why), "robots.txt "
                                         "unreachable, %d times: %s",
                                         hs->failures, job->errbuf[0] ?
                                         job->errbuf :
                                         curl_easy_strerror(rc));
                        hs->state = RS_UNREACHABLE;
                        hs->expires_ms = now + ROBOTS_UNREACHABLE_TTL_MS;
                        hs->failures = 0;
                        LOGF(LOG_WARN, "robots.txt unreachable",
                             LOG_S("host", h->key), LOG_S("why", why));
                        robotsfetch_fail_all(f, h, "robots_unreachable", why);
                } else {
                        int64_t wait = backoff_ms(f->conf->robots_retry_ms,
                                                  f->conf->host_backoff_max_ms,
                                                  hs->failures);

                        if (ra_ms > wait)
                                wait = ra_ms;
                        hs->state = RS_WAIT;
                        timer_set(f, &hs->timer, now + wait);
                        LOGF(LOG_DEBUG, "robots.txt retry",
                             LOG_S("host", h->key), LOG_I("status", status),
                             LOG_I("wait_ms", wait));
                }
        }
        if (job->proxy >= 0 && !job->blocked)
                proxies_result(f->proxies, job->proxy,
                               !(rc == CURLE_COULDNT_CONNECT ||
                                 rc == CURLE_PROXY ||
                                 rc == CURLE_COULDNT_RESOLVE_PROXY), now);
        if (slow)
                mcounter_add(f->m.backoffs, 1);
        if (job->blocked)
                mcounter_add(f->m.blocked, 1);
        h->hold = hs->state == RS_WAIT;
        job->host = NULL;
        host_end(f->hosts, h, true, slow, ra_ms, now);
}

int robotsfetch_gate(fetcher_t *f, host_t *h, int64_t now)
{
        hstate_t *hs = robotsfetch_hstate(f, h);
        job_t *job;

        if (!hs)
                return -1;
        if ((hs->state == RS_READY || hs->state == RS_UNREACHABLE) &&
            now >= hs->expires_ms)
                hs->state = RS_NONE;
        if (hs->state == RS_UNREACHABLE) {
                robotsfetch_fail_all(f, h, "robots_unreachable",
                                     "robots.txt unreachable (cached "
                                     "verdict)");
                hosts_update(f->hosts, h, now);
                return 0;
        }
        if (hs->state == RS_NONE) {
                job = container_of(h->head, job_t, qlink);
                snprintf(hs->scheme, sizeof(hs->scheme), "%s",
                         !strncmp(job->um.url, "https:", 6) ? "https" :
                         "http");
                if (robotsfetch_start(f, h, hs)) {
                        LOG(LOG_ERROR, "cannot start a robots.txt transfer");
                        return -1;
                }
                return 0;
        }
        return 1;
}

bool robotsfetch_allowed(fetcher_t *f, host_t *h, const job_t *job)
{
        char pbuf[URL_MAX_LEN < 8192 ? URL_MAX_LEN : 8192];
        const hstate_t *hs = h->user;
        bool ok = robots_allowed(hs->rules, href_path(job->um.url, pbuf,
                                                      sizeof(pbuf)));

        mcounter_add(f->m.robots[ok ? RB_ALLOWED : RB_DISALLOWED], 1);
        return ok;
}
