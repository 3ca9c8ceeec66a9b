/*
 * robotsfetch.c — robots.txt fetched through the loop (see
 * robotsfetch.h): once per host before its first URL, cached, retried
 * with back-off while it answers 5xx or cannot be reached; rules parsed
 * by robots.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fetcher_int.h"
#include "job.h"
#include "outcome.h"
#include "robotsfetch.h"
#include "timers.h"
#include "transfer.h"
#include "log.h"
#include "url.h"
#include "fkafka.h"
#include "tdmrep.h"

#include <yajl/yajl_gen.h>

/* Takes hs's rules out of the LRU list and the memory count, frees
 * them. */
static void robotsfetch_drop_rules(fetcher_t *f, hstate_t *hs)
{
        if (!hs->rules)
                return;
        if (hs->lru_prev)
                hs->lru_prev->lru_next = hs->lru_next;
        else
                f->robots_lru = hs->lru_next;
        if (hs->lru_next)
                hs->lru_next->lru_prev = hs->lru_prev;
        else
                f->robots_mru = hs->lru_prev;
        hs->lru_prev = hs->lru_next = NULL;
        f->robots_bytes -= hs->bytes;
        hs->bytes = 0;
        robots_destroy(hs->rules);
        hs->rules = NULL;
        /* The host's tdmrep.json goes with its rules. */
        tdmrep_free(hs->tdm);
        hs->tdm = NULL;
        hs->tdm_bytes = 0;
        if (hs->tdm_state == RS_READY)
                hs->tdm_state = RS_NONE;
}

/* hs was used now: its rules become the most recently used. */
static void robotsfetch_touch(fetcher_t *f, hstate_t *hs)
{
        if (!hs->rules || f->robots_mru == hs)
                return;
        if (hs->lru_prev)
                hs->lru_prev->lru_next = hs->lru_next;
        else
                f->robots_lru = hs->lru_next;
        hs->lru_next->lru_prev = hs->lru_prev; /* not the MRU: has a next */
        hs->lru_next = NULL;
        hs->lru_prev = f->robots_mru;
        f->robots_mru->lru_next = hs;
        f->robots_mru = hs;
}

/* Forgets old's rules: its host fetches robots.txt again when needed. */
static void robotsfetch_evict(fetcher_t *f, hstate_t *old)
{
        robotsfetch_drop_rules(f, old);
        if (old->state == RS_READY)
                old->state = RS_NONE;
        mcounter_add(f->m.robots_limits[RL_EVICTED], 1);
}

/* The least recently used of the first ROBOTS_EVICT_SCAN rule sets whose
 * host is idle (nothing queued or running), other than `not`; NULL when
 * none. Rules about to be used are the worst to forget: their host would
 * fetch robots.txt again at once. */
static hstate_t *robotsfetch_idle(fetcher_t *f, const hstate_t * not )
{
        int look = ROBOTS_EVICT_SCAN;

        for (hstate_t *c = f->robots_lru; c && look-- > 0; c = c->lru_next)
                if (c != not &&!host_queued(c->host) &&
                    !host_inflight(c->host))
                        return c;
        return NULL;
}

/* Forgets other hosts' rules, least recently used first, while all are
 * over --robots-memory; hs's are kept. */
static void robotsfetch_trim(fetcher_t *f, hstate_t *hs)
{
        /* A backstop: robotsfetch_room() made room before the fetch. */
        while (f->robots_bytes > (size_t)f->conf->robots_memory &&
               f->robots_lru != hs) {
                hstate_t *old = robotsfetch_idle(f, hs);

                robotsfetch_evict(f, old ? old : f->robots_lru);
        }
}

/*
 * Gives hs the rule set `rules` (owned; NULL = none) and keeps all hosts'
 * rules under --robots-memory: the least recently used rule sets of
 * other hosts are forgotten (their host goes back to "robots.txt not
 * fetched", so its next URL fetches it again). The newest set is kept even
 * alone over the bound: --robots-host-memory caps it.
 */
static void robotsfetch_set_rules(fetcher_t *f, hstate_t *hs, robots_t *rules)
{
        robotsfetch_drop_rules(f, hs);
        hs->rules = rules;
        if (!rules)
                return;
        hs->bytes = robots_bytes(rules);
        f->robots_bytes += hs->bytes;
        hs->lru_next = NULL;
        hs->lru_prev = f->robots_mru;
        if (f->robots_mru)
                f->robots_mru->lru_next = hs;
        else
                f->robots_lru = hs;
        f->robots_mru = hs;
        robotsfetch_trim(f, hs);
}

/*
 * Room for one more host's rules (--robots-host-memory, the most one set
 * may take) besides those held and those being fetched? Forgets idle
 * hosts' rules, least recently used first, to make it. false: the host
 * must wait (robotsfetch_gate()); hosts using their rules finish and free
 * room, so the wait ends.
 */
static bool robotsfetch_room(fetcher_t *f)
{
        size_t cap = (size_t)f->conf->robots_memory;
        size_t need = (size_t)f->conf->robots_host_memory;

        if (need > cap)
                need = cap;
        while (f->robots_bytes + f->robots_fetching * need + need > cap) {
                hstate_t *old = robotsfetch_idle(f, NULL);

                if (!old)
                        return !f->robots_bytes && !f->robots_fetching;
                robotsfetch_evict(f, old);
        }
        return true;
}

void robotsfetch_hstate_free(void *p)
{
        hstate_t *hs = p;

        timers_remove(&hs->f->timers, &hs->timer.t);
        robotsfetch_drop_rules(hs->f, hs);
        free(hs);
}

static hstate_t *robotsfetch_hstate(fetcher_t *f, host_t *h)
{
        hstate_t *hs = host_user(h);

        if (!hs) {
                hs = calloc(1, sizeof(*hs));
                if (!hs)
                        return NULL;
                hs->f = f;
                hs->host = h;
                hs->timer.kind = T_ROBOTS;
                hs->timer.owner = hs;
                host_set_user(h, hs);
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

/* Starts the fetch of host h's robots.txt (JOB_ROBOTS) or tdmrep.json
 * (JOB_TDMREP), with the scheme of its first URL. */
static int robotsfetch_start(fetcher_t *f, host_t *h, hstate_t *hs,
                             job_kind_t kind)
{
        job_t *job = calloc(1, sizeof(*job));
        char url[1200];

        if (!job)
                return -1;
        job->f = f;
        job->kind = kind;
        job->host = h;
        job->proxy = proxies_pick(f->proxies, host_key(h), host_proxy(h),
                                  clock_mono_ms());
        host_set_proxy(h, job->proxy);
        snprintf(url, sizeof(url), "%s://%s%s", hs->scheme, host_key(h),
                 kind == JOB_TDMREP ? "/.well-known/tdmrep.json"
                                    : "/robots.txt");
        job_link(f, job);
        if (transfer_start(f, job, url)) {
                job_unlink(f, job);
                job_free(job);
                return -1;
        }
        if (kind == JOB_TDMREP) {
                hs->tdm_state = RS_FETCHING;
        } else {
                hs->state = RS_FETCHING;
                f->robots_fetching++;
        }
        host_set_hold(h, true);
        host_start(f->hosts, h, clock_mono_ms());
        return 0;
}

/* One Sitemap: line of host h's robots.txt being published. */
typedef struct sitemap_ctx {
        fetcher_t *f;
        host_t *h;
        const char *robots_url;
        size_t published;
        bool guessed; /* the /sitemap.xml fallback, not a listed line */
} sitemap_ctx_t;

/* --sitemaps: a Sitemap: value to a URL message {"url", "kind":
 * "sitemap", "depth": 0, "sitemap_host"} on the URL topic, keyed and
 * partitioned by its host key, with the followed_from header (so a
 * sitemap fetched lately is dropped by the seen filter when robots.txt
 * is read again). A value that is no http(s) URL is logged and skipped;
 * a failed produce is logged (robots.txt is read again after a restart,
 * and so are its sitemaps). */
static int sitemap_one(void *ctx, const char *v, size_t len)
{
        sitemap_ctx_t *sc = ctx;
        fetcher_t *f = sc->f;
        const char *topic = f->conf->urls_topic;
        url_t *u = NULL;
        char key[512];
        rd_kafka_headers_t *hdrs = NULL;
        yajl_gen g = NULL;
        const unsigned char *buf;
        size_t blen;
        int32_t part;

        if (url_parse_n(v, len, NULL, &u, NULL, 0) != URL_OK ||
            url_host_key(u, key, sizeof(key)) < 0) {
                LOGF(LOG_INFO, "robots.txt Sitemap: not an http(s) URL",
                     LOG_S("host", host_key(sc->h)));
                goto out;
        }
        g = yajl_gen_alloc(NULL);
        if (!g)
                goto out;
        yajl_gen_map_open(g);
        yajl_gen_string(g, (const unsigned char *)"url", 3);
        yajl_gen_string(g, (const unsigned char *)u->href, strlen(u->href));
        yajl_gen_string(g, (const unsigned char *)"kind", 4);
        yajl_gen_string(g, (const unsigned char *)"sitemap", 7);
        yajl_gen_string(g, (const unsigned char *)"depth", 5);
        yajl_gen_integer(g, 0);
        yajl_gen_string(g, (const unsigned char *)"sitemap_host", 12);
        yajl_gen_string(g, (const unsigned char *)host_key(sc->h),
                        strlen(host_key(sc->h)));
        yajl_gen_map_close(g);
        if (yajl_gen_get_buf(g, &buf, &blen) != yajl_gen_status_ok)
                goto out;
        hdrs = rd_kafka_headers_new(1);
        rd_kafka_header_add(hdrs, HDR_FOLLOWED, -1, sc->robots_url, -1);
        part = fkafka_partition_of(f, topic, key);
        if (fkafka_produce(f, topic, part >= 0 ? part : RD_KAFKA_PARTITION_UA,
                           key, strlen(key), buf, blen, hdrs, NULL)) {
                LOGF(LOG_WARN, "cannot publish a robots.txt sitemap",
                     LOG_S("url", u->href));
                goto out;
        }
        hdrs = NULL; /* librdkafka's now */
        sc->published++;
        mcounter_add(
                sc->guessed ? f->m.sitemaps_guessed : f->m.sitemaps_listed, 1);
out:
        if (hdrs)
                rd_kafka_headers_destroy(hdrs);
        if (g)
                yajl_gen_free(g);
        url_destroy(u);
        return 0;
}

/*
 * --sitemaps: the Sitemap: lines of host h's robots.txt (body, NULL when
 * robots.txt is unavailable, 4xx) published; when none was published and
 * --sitemap-fallback is on, the host's /sitemap.xml instead (the
 * conventional place, sitemaps.org), with the scheme robots.txt was asked
 * for. Its sitemap_host is the host, as for a listed line: the host's
 * own root is where a robots.txt-listed sitemap may list any path.
 */
static void robotsfetch_sitemaps(fetcher_t *f, job_t *job, host_t *h,
                                 const hstate_t *hs, const char *body,
                                 size_t len)
{
        char *eff = NULL;
        char url[1200];
        sitemap_ctx_t sc = { f, h, NULL, 0, false };

        curl_easy_getinfo(job->easy, CURLINFO_EFFECTIVE_URL, &eff);
        sc.robots_url = eff ? eff : host_key(h);
        if (body)
                robots_sitemaps(body, len, sitemap_one, &sc);
        if (sc.published > 0 || !f->conf->sitemap_fallback)
                return;
        snprintf(url, sizeof(url), "%s://%s/sitemap.xml", hs->scheme,
                 host_key(h));
        sc.guessed = true;
        sitemap_one(&sc, url, strlen(url));
}

/* Ends every URL queued on h as `code` (robots_unreachable). */
static void robotsfetch_fail_all(fetcher_t *f, host_t *h, const char *code,
                                 const char *why)
{
        hlink_t *l;

        for (l = host_pop(h); l; l = host_pop(h)) {
                job_t *job = container_of(l, job_t, qlink);

                job->host = NULL;
                mcounter_add(f->m.robots[RB_UNREACHABLE], 1);
                outcome_fail(f, job, code, why);
        }
}

robotsfetch_verdict_t robotsfetch_verdict(CURLcode rc, long status,
                                          bool blocked, bool too_large,
                                          long failures, long retries)
{
        /* The body is kept up to the cap: a bigger file is cut, not
         * refused (RFC 9309: parse at least 500 KiB). */
        if (rc == CURLE_WRITE_ERROR && too_large)
                rc = CURLE_OK;
        if (rc == CURLE_OK && status >= 200 && status < 300)
                return ROBOTS_V_RULES;
        if (rc == CURLE_OK && status >= 400 && status < 500 && status != 429)
                return ROBOTS_V_ALLOW_ALL; /* unavailable: all allowed */
        /* Nothing on the host can be reached (or robots.txt is
         * unavailable by RFC 9309's redirect limit), or its TLS cannot be
         * trusted, which retrying does not mend: the URLs are tried and
         * end with their own error (tls_error rather than a long wait for
         * robots_unreachable). */
        if (rc == CURLE_COULDNT_RESOLVE_HOST || blocked ||
            rc == CURLE_TOO_MANY_REDIRECTS ||
            rc == CURLE_UNSUPPORTED_PROTOCOL ||
            rc == CURLE_PEER_FAILED_VERIFICATION ||
            rc == CURLE_SSL_CONNECT_ERROR)
                return ROBOTS_V_FAIL_OPEN;
        /* 5xx, 429 or unreachable: everything disallowed while robots.txt
         * is retried with back-off, until the retries are spent. */
        return failures + 1 > retries ? ROBOTS_V_UNREACHABLE : ROBOTS_V_RETRY;
}

void robotsfetch_done(fetcher_t *f, job_t *job, CURLcode rc)
{
        host_t *h = job->host;
        hstate_t *hs = host_user(h);
        int64_t now = clock_mono_ms();
        long status = 0;
        bool slow = false;
        curl_off_t ra = 0;
        int64_t ra_ms = 0;
        robotsfetch_verdict_t verdict;

        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        f->n_robots++;
        if (f->robots_fetching)
                f->robots_fetching--;
        verdict = robotsfetch_verdict(rc, status, job->blocked, job->too_large,
                                      hs->failures, f->conf->robots_retries);
        if (rc == CURLE_WRITE_ERROR && job->too_large)
                rc = CURLE_OK; /* cut at the cap, read as far as kept */
        if (verdict == ROBOTS_V_RULES) {
                robotsfetch_set_rules(
                        f, hs,
                        robots_parse_ex(job->body ? job->body : "",
                                        job->body_len, f->agent,
                                        (size_t)f->conf->robots_host_memory));
                hs->state = hs->rules ? RS_READY : RS_NONE;
                if (hs->rules && robots_oversized(hs->rules)) {
                        mcounter_add(f->m.robots_limits[RL_HOST_MEMORY], 1);
                        LOGF(LOG_WARN,
                             "robots.txt rules over "
                             "--robots-host-memory: the host is disallowed",
                             LOG_S("host", host_key(h)),
                             LOG_I("bytes", (long long)job->body_len));
                }
                hs->expires_ms = now + f->conf->robots_cache * 1000;
                hs->failures = 0;
                if (f->conf->sitemaps)
                        robotsfetch_sitemaps(f, job, h, hs,
                                             job->body ? job->body : "",
                                             job->body_len);
                if (hs->rules) /* capped by --max-crawl-delay there */
                        host_set_delay(f->hosts, h,
                                       robots_crawl_delay(hs->rules), now);
        } else if (verdict == ROBOTS_V_ALLOW_ALL) {
                /* Unavailable: everything allowed. */
                robotsfetch_set_rules(f, hs, robots_allow_all());
                if (f->conf->sitemaps)
                        robotsfetch_sitemaps(f, job, h, hs, NULL, 0);
                hs->state = hs->rules ? RS_READY : RS_NONE;
                hs->expires_ms = now + f->conf->robots_cache * 1000;
                hs->failures = 0;
        } else if (verdict == ROBOTS_V_FAIL_OPEN) {
                /* Nothing on the host can be reached (or robots.txt is
                 * unavailable by RFC 9309's redirect limit), or its TLS
                 * cannot be trusted, which retrying does not mend: the
                 * URLs are tried and end with their own error (tls_error
                 * rather than a long wait for robots_unreachable). */
                robotsfetch_set_rules(f, hs, robots_allow_all());
                hs->state = hs->rules ? RS_READY : RS_NONE;
                hs->expires_ms = now + ROBOTS_FAIL_OPEN_TTL_MS;
        } else {
                /* 5xx, 429 or unreachable: everything disallowed while
                 * robots.txt is retried with back-off. */
                slow = outcome_slow_down(rc == CURLE_OK, status);
                if (slow) {
                        curl_easy_getinfo(job->easy, CURLINFO_RETRY_AFTER,
                                          &ra);
                        ra_ms = hosts_retry_after_ms(f->hosts, (long long)ra);
                }
                hs->failures++;
                if (verdict == ROBOTS_V_UNREACHABLE) {
                        char why[CURL_ERROR_SIZE + 96];

                        if (rc == CURLE_OK)
                                snprintf(why, sizeof(why),
                                         "robots.txt "
                                         "answered %ld, %d times",
                                         status, hs->failures);
                        else
                                snprintf(why, sizeof(why),
                                         "robots.txt "
                                         "unreachable, %d times: %s",
                                         hs->failures,
                                         job->errbuf[0]
                                                 ? job->errbuf
                                                 : curl_easy_strerror(rc));
                        hs->state = RS_UNREACHABLE;
                        hs->expires_ms = now + ROBOTS_UNREACHABLE_TTL_MS;
                        hs->failures = 0;
                        LOGF(LOG_WARN, "robots.txt unreachable",
                             LOG_S("host", host_key(h)), LOG_S("why", why));
                        robotsfetch_fail_all(f, h, "robots_unreachable", why);
                } else {
                        int64_t wait = outcome_backoff_ms(
                                f->conf->robots_retry_ms,
                                f->conf->host_backoff_max_ms, hs->failures);

                        if (ra_ms > wait)
                                wait = ra_ms;
                        hs->state = RS_WAIT;
                        timers_arm(f, &hs->timer, now + wait);
                        LOGF(LOG_DEBUG, "robots.txt retry",
                             LOG_S("host", host_key(h)),
                             LOG_I("status", status),
                             LOG_S("err", job->errbuf[0]
                                                  ? job->errbuf
                                                  : curl_easy_strerror(rc)),
                             LOG_I("wait_ms", wait));
                }
        }
        if (job->proxy >= 0 && !job->blocked)
                proxies_result(f->proxies, job->proxy,
                               !(rc == CURLE_COULDNT_CONNECT ||
                                 rc == CURLE_PROXY ||
                                 rc == CURLE_COULDNT_RESOLVE_PROXY),
                               now);
        if (slow)
                mcounter_add(f->m.backoffs, 1);
        if (job->blocked)
                mcounter_add(f->m.blocked, 1);
        host_set_hold(h, hs->state == RS_WAIT);
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
                job = container_of(host_head(h), job_t, qlink);
                snprintf(hs->scheme, sizeof(hs->scheme), "%s",
                         !strncmp(job->um.url, "https:", 6) ? "https"
                                                            : "http");
                if (!robotsfetch_room(f)) {
                        /* Over --robots-memory with every rule set in
                         * use: wait for one to be done with. */
                        hs->state = RS_WAIT;
                        host_set_hold(h, true);
                        timers_arm(f, &hs->timer, now + ROBOTS_ROOM_WAIT_MS);
                        mcounter_add(f->m.robots_limits[RL_WAITS], 1);
                        hosts_update(f->hosts, h, now);
                        return 0;
                }
                if (robotsfetch_start(f, h, hs, JOB_ROBOTS)) {
                        LOG(LOG_ERROR, "cannot start a robots.txt transfer");
                        return -1;
                }
                return 0;
        }
        if (!f->conf->tdm || hs->state != RS_READY)
                return 1;
        /* --tdm: the host's tdmrep.json, read once its rules are. */
        if (hs->tdm_state == RS_READY && now >= hs->tdm_expires_ms) {
                hs->bytes -= hs->tdm_bytes;
                f->robots_bytes -= hs->tdm_bytes;
                tdmrep_free(hs->tdm);
                hs->tdm = NULL;
                hs->tdm_bytes = 0;
                hs->tdm_state = RS_NONE;
        }
        if (hs->tdm_state == RS_NONE) {
                if (robotsfetch_start(f, h, hs, JOB_TDMREP)) {
                        LOG(LOG_ERROR, "cannot start a tdmrep.json transfer");
                        return -1;
                }
                return 0;
        }
        return hs->tdm_state == RS_READY;
}

void robotsfetch_tdm_done(fetcher_t *f, job_t *job, CURLcode rc)
{
        host_t *h = job->host;
        hstate_t *hs = host_user(h);
        int64_t now = clock_mono_ms();
        long status = 0;
        int64_t ttl = f->conf->robots_cache * 1000;
        tdmrep_t *t = NULL;
        char err[256] = "";

        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_OK && status >= 200 && status < 300) {
                t = tdmrep_parse(job->body ? job->body : "", job->body_len,
                                 err, sizeof(err));
                if (!t)
                        LOGF(LOG_INFO,
                             "tdmrep.json unreadable: no reservation "
                             "from it",
                             LOG_S("host", host_key(h)), LOG_S("why", err));
        } else if (rc == CURLE_WRITE_ERROR && job->too_large) {
                LOGF(LOG_INFO,
                     "tdmrep.json over its size cap: no reservation "
                     "from it",
                     LOG_S("host", host_key(h)));
        } else if (!(rc == CURLE_OK && status >= 400 && status < 500 &&
                     status != 429)) {
                /* 5xx, 429 or unreachable: as robots.txt's fail-open
                 * verdict, the file says nothing for a short while and
                 * is asked again after it. */
                ttl = ROBOTS_FAIL_OPEN_TTL_MS;
                LOGF(LOG_INFO,
                     "tdmrep.json unavailable: no reservation from it "
                     "for now",
                     LOG_S("host", host_key(h)), LOG_I("status", status),
                     LOG_S("err", job->errbuf[0] ? job->errbuf
                                                 : curl_easy_strerror(rc)));
        }
        if (!t)
                t = tdmrep_empty();
        hs->tdm_state = RS_NONE;
        if (t && hs->rules) {
                hs->tdm = t;
                hs->tdm_bytes = tdmrep_bytes(t);
                hs->bytes += hs->tdm_bytes;
                f->robots_bytes += hs->tdm_bytes;
                hs->tdm_state = RS_READY;
                hs->tdm_expires_ms = now + ttl;
                t = NULL;
                robotsfetch_trim(f, hs);
        }
        tdmrep_free(t);
        if (job->proxy >= 0 && !job->blocked)
                proxies_result(f->proxies, job->proxy,
                               !(rc == CURLE_COULDNT_CONNECT ||
                                 rc == CURLE_PROXY ||
                                 rc == CURLE_COULDNT_RESOLVE_PROXY),
                               now);
        if (job->blocked)
                mcounter_add(f->m.blocked, 1);
        host_set_hold(h, hs->state == RS_WAIT);
        job->host = NULL;
        host_end(f->hosts, h, true, false, 0, now);
}

void robotsfetch_tdm_mark(hstate_t *hs, job_t *job)
{
        char pbuf[URL_MAX_LEN < 8192 ? URL_MAX_LEN : 8192];
        const char *policy = NULL;
        int r = tdmrep_lookup(
                hs->tdm, href_path(job->um.url, pbuf, sizeof(pbuf)), &policy);

        free(job->tdm_file_policy);
        job->tdm_file_policy = NULL;
        job->tdm_file = r < 0    ? TDM_FILE_SILENT
                        : r == 1 ? TDM_FILE_RESERVED
                                 : TDM_FILE_FREE;
        if (policy)
                job->tdm_file_policy = strdup(policy); /* NULL: left out */
}

bool robotsfetch_allowed(fetcher_t *f, host_t *h, const job_t *job,
                         const char **why)
{
        char pbuf[URL_MAX_LEN < 8192 ? URL_MAX_LEN : 8192];
        hstate_t *hs = host_user(h);
        robots_check_t c;
        bool ok;

        *why = "disallowed by the host's robots.txt";
        if (!hs->rules) { /* not reached: the gate fetches them first */
                mcounter_add(f->m.robots[RB_DISALLOWED], 1);
                return false;
        }
        ok = robots_check(hs->rules,
                          href_path(job->um.url, pbuf, sizeof(pbuf)), &c);
        robotsfetch_touch(f, hs);
        if (c.oversized)
                *why = "the host's robots.txt rules are over "
                       "--robots-host-memory: every path is disallowed";
        if (c.over_budget) {
                *why = "the host's robots.txt rules cost more than a "
                       "check's budget on this path: disallowed";
                mcounter_add(f->m.robots_limits[RL_BUDGET], 1);
                LOGF(LOG_DEBUG,
                     "robots.txt check over its budget: "
                     "disallowed",
                     LOG_S("url", job->um.url),
                     LOG_I("steps", (long long)c.steps));
        }
        mcounter_add(f->m.robots[ok ? RB_ALLOWED : RB_DISALLOWED], 1);
        return ok;
}
