/*
 * transfer.c — one HTTP transfer with libcurl (see transfer.h): the
 * easy handle's limits, the body cap counted on decoded bytes, the
 * address guard at connect time (redirects included) with the operator's
 * --resolve/--connect-to targets trusted as trust.h decides, no proxy but
 * the fetcher's own, the target check before a proxied request, and what
 * a failure means (error code, transient or not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "clock.h"
#include "fetcher_int.h"
#include "transfer.h"
#include "dynbuf.h"
#include "bodyzip.h"
#include "trust.h"
#include "tdmrep.h"

size_t transfer_write_body(char *ptr, size_t size, size_t nmemb,
                           void *userdata)
{
        job_t *job = userdata;
        size_t n = size * nmemb;
        size_t max = job->body_max;

        if (job->zip || bodyzip_wanted(job)) /* a sitemap: compressed */
                return bodyzip_write(job, ptr, n) ? 0 : n;
        switch (dynbuf_append(&job->body, &job->body_cap, &job->body_len, max,
                              ptr, n)) {
        case 0:
                break;
        case DYNBUF_ERR_TOO_BIG:
                job->too_large = true;
                return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
        default:
                return 0;
        }
        return n;
}

/* Is a connection to `sa` of transfer `easy` an operator's target
 * (trust.h)? Decided on what libcurl connects to: the socket's address
 * and port, for the host and port libcurl reads from the URL it is
 * fetching now (after redirects), with its own URL parser. */
static bool socket_trusted(fetcher_t *f, CURL *easy, const struct sockaddr *sa)
{
        char host[256], *eff = NULL;
        int port;

        if (!trust_count(f->trust) ||
            curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &eff) !=
                    CURLE_OK ||
            !trust_url_target(eff, host, sizeof(host), &port))
                return false;
        return trust_allows(f->trust, host, port, sa);
}

/* Every connection, redirects included, is checked on its resolved
 * address before it is made. A proxy is the operator's: trusted (its
 * targets are checked before the request, below; no proxy but the
 * fetcher's own is ever used, see easy_start()). */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose,
                                    struct curl_sockaddr *addr)
{
        job_t *job = clientp;
        fetcher_t *f = job->f;

        if (job->proxy < 0 && !netguard_allowed(f->guard, &addr->addr) &&
            !socket_trusted(f, job->easy, &addr->addr)) {
                job->blocked = true;
                return CURL_SOCKET_BAD;
        }
        return socket(addr->family, addr->socktype | SOCK_CLOEXEC,
                      addr->protocol);
}

/*
 * The proxy target check. Through a proxy the sockets go to the proxy,
 * so the guard above never sees the target's address: the target is
 * resolved here first and every address it resolves to is checked. The
 * check is a libcurl transfer of its own on the same multi handle, so
 * the resolve runs in libcurl's threaded resolver (this libcurl's
 * AsynchDNS; c-ares is not there) and the loop never blocks on DNS: a
 * CONNECT_ONLY transfer to the target without proxy whose open-socket
 * callback checks each address libcurl would try and refuses them all —
 * nothing is sent to the target. It applies --resolve and --connect-to
 * as the request will, so the operator's targets pass the way they pass
 * without a proxy (socket_trusted()). Its resolve shares the DNS cache,
 * and --connect-timeout bounds it. A blocked address ends the job as
 * blocked_address. The proxy is then asked for the address checked, not
 * the name (job->pin, a --connect-to of the request's own), so a second
 * resolve by the proxy (DNS rebinding, split-horizon DNS) cannot send it
 * elsewhere; Host and TLS name stay the URL's. A name that does not
 * resolve here is not passed to the proxy: nothing could be checked.
 */
/* Keeps the first checked address in job->pin, as a --connect-to entry
 * for any host and port ("::ADDR:PORT", IPv6 in brackets). */
static void pin_address(job_t *job, const struct sockaddr *sa)
{
        char a[INET6_ADDRSTRLEN];

        if (sa->sa_family == AF_INET) {
                const struct sockaddr_in *s4 = (const void *)sa;

                if (inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a)))
                        snprintf(job->pin, sizeof(job->pin), "::%s:%u", a,
                                 (unsigned)ntohs(s4->sin_port));
        } else if (sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *s6 = (const void *)sa;

                if (inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a)))
                        snprintf(job->pin, sizeof(job->pin), "::[%s]:%u", a,
                                 (unsigned)ntohs(s6->sin6_port));
        }
}

static curl_socket_t on_check_socket(void *clientp, curlsocktype purpose,
                                     struct curl_sockaddr *addr)
{
        job_t *job = clientp;

        if (!netguard_allowed(job->f->guard, &addr->addr) &&
            !socket_trusted(job->f, job->easy, &addr->addr))
                job->blocked = true;
        else if (!job->pin[0])
                pin_address(job, &addr->addr);
        return CURL_SOCKET_BAD;
}

static int check_start(fetcher_t *f, job_t *job, const char *url)
{
        char host[256];
        CURL *e;
        int port;

        free(job->check_url);
        job->check_url = strdup(url);
        if (!job->check_url)
                return -1;
        /* Shown in the error: the target as libcurl reads it. */
        if (trust_url_target(url, host, sizeof(host), &port))
                snprintf(job->check_target, sizeof(job->check_target), "%s:%d",
                         host, port);
        else
                job->check_target[0] = '\0'; /* curl will refuse it */
        e = curl_easy_init();
        if (!e)
                return -1;
        job->easy = e;
        job->checking = true;
        job->too_large = job->blocked = false;
        job->pin[0] = '\0';
        job->errbuf[0] = '\0';
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_PRIVATE, job);
        curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
        curl_easy_setopt(e, CURLOPT_PROXY, ""); /* resolve here, not there */
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, job->errbuf);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, f->conf->connect_timeout);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, f->conf->connect_timeout);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_check_socket);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, job);
        curl_easy_setopt(e, CURLOPT_SHARE, f->share);
        if (f->resolve)
                curl_easy_setopt(e, CURLOPT_RESOLVE, f->resolve);
        if (f->connect_to)
                curl_easy_setopt(e, CURLOPT_CONNECT_TO, f->connect_to);
        if (curl_multi_add_handle(f->multi, e) != CURLM_OK)
                return -1;
        job->state = JS_TRANSFER;
        f->transfers++;
        return 0;
}

void transfer_easy_setup(CURL *e, job_t *job, const fetcher_config_t *c,
                         const char *url)
{
        long max_redirs;

        job->easy = e;
        job->too_large = job->blocked = false;
        job->errbuf[0] = '\0';
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_PRIVATE, job);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, transfer_write_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, job->errbuf);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        /* RFC 9309: follow at least five redirects for robots.txt. */
        max_redirs = job->kind != JOB_URL ? 5L : c->max_redirects;
        curl_easy_setopt(e, CURLOPT_MAXREDIRS,
                         max_redirs > job->redirects
                                 ? max_redirs - job->redirects
                                 : 0L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, c->timeout);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, c->low_speed_limit);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, c->low_speed_time);
        bodyzip_reset(job);
        if (job->kind == JOB_URL)
                curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                                 bodyzip_wanted(job)
                                         ? (curl_off_t)BODYZIP_MAX_DECODED
                                         : (curl_off_t)c->max_body);
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* all built in */
        curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
        if (job->hdrs) /* validators of a conditional request */
                curl_easy_setopt(e, CURLOPT_HTTPHEADER, job->hdrs);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
        if (c->ca_file && *c->ca_file)
                curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
        job->body_max = job->kind == JOB_ROBOTS   ? ROBOTS_MAX_BYTES
                        : job->kind == JOB_TDMREP ? TDMREP_MAX_BYTES
                                                  : (size_t)c->max_body;
}

/* Sets up and starts the request for `url`: the job's URL, a redirect
 * target after a re-check, or a robots.txt URL. */
static int easy_start(fetcher_t *f, job_t *job, const char *url)
{
        CURL *e = curl_easy_init();

        if (!e)
                return -1;
        transfer_easy_setup(e, job, f->conf, url);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, job);
        curl_easy_setopt(e, CURLOPT_SHARE, f->share);
        if (f->resolve)
                curl_easy_setopt(e, CURLOPT_RESOLVE, f->resolve);
        /* A proxied request goes to the address its check passed: the
         * operator's --connect-to, if one applied, is in it already. The
         * pin matches any host and port; it can only ever meet this URL,
         * as libcurl follows no redirect through a proxy (below), and a
         * connection made with it is reused only for the same host, port
         * and pin (libcurl's connection match). */
        if (job->proxy >= 0 && job->pin_list)
                curl_easy_setopt(e, CURLOPT_CONNECT_TO, job->pin_list);
        else if (f->connect_to)
                curl_easy_setopt(e, CURLOPT_CONNECT_TO, f->connect_to);
        /* No proxy but the fetcher's own: without these libcurl would
         * take one from http_proxy, HTTPS_PROXY, ALL_PROXY... and skip
         * the given one for hosts in no_proxy/NO_PROXY, and the guard
         * above would check the wrong connection. */
        curl_easy_setopt(e, CURLOPT_NOPROXY, "");
        curl_easy_setopt(e, CURLOPT_PROXY, "");
        if (job->proxy >= 0) {
                curl_easy_setopt(e, CURLOPT_PROXY,
                                 proxies_url(f->proxies, job->proxy));
                /* https targets through an http proxy use CONNECT; so do
                 * http ones, so the proxy sees no more than it must. */
                curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L);
                /* Redirects are followed here, each target checked before
                 * the proxy is asked for it (transfer_check_done()). */
                if (!netguard_allows_all(f->guard))
                        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        }
        if (curl_multi_add_handle(f->multi, e) != CURLM_OK)
                return -1;
        job->state = JS_TRANSFER;
        f->transfers++;
        return 0;
}

/* Is a target check needed before the request? Through a proxy, unless
 * everything is allowed. The operator's targets are checked too: whether
 * a URL goes to one is what the check transfer's socket shows, not what a
 * reading of the URL suggests. */
static bool check_needed(fetcher_t *f, const job_t *job)
{
        return job->proxy >= 0 && !netguard_allows_all(f->guard);
}

/* A proxied transfer ended on a redirect: its target is checked, then
 * requested, as libcurl would follow it (--max-redirects, http and https
 * only). Returns true when the job goes on; false when the response is
 * the outcome, or with *rc set when the redirect is refused. */
static bool follow_redirect(fetcher_t *f, job_t *job, CURLcode *rc)
{
        long status = 0, max;
        char *loc = NULL, *url;
        int err;

        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(job->easy, CURLINFO_REDIRECT_URL, &loc);
        if (status < 300 || status > 399 || !loc)
                return false;
        max = job->kind != JOB_URL ? 5L : f->conf->max_redirects;
        if (job->redirects >= max) {
                *rc = CURLE_TOO_MANY_REDIRECTS;
                return false;
        }
        if (strncasecmp(loc, "http://", 7) &&
            strncasecmp(loc, "https://", 8)) {
                *rc = CURLE_UNSUPPORTED_PROTOCOL;
                return false;
        }
        url = strdup(loc);
        if (!url) {
                *rc = CURLE_OUT_OF_MEMORY;
                return false;
        }
        job->redirects++;
        curl_easy_cleanup(job->easy);
        job->easy = NULL;
        free(job->body);
        job->body = NULL;
        job->body_len = job->body_cap = 0;
        err = check_needed(f, job) ? check_start(f, job, url)
                                   : easy_start(f, job, url);
        free(url);
        if (err) {
                *rc = CURLE_FAILED_INIT;
                return false;
        }
        return true;
}

int transfer_start(fetcher_t *f, job_t *job, const char *url)
{
        job->started_ms = clock_mono_ms();
        if (job->kind == JOB_URL)
                job->attempts++;
        job->redirects = 0;
        job->check_target[0] = '\0';
        if (check_needed(f, job))
                return check_start(f, job, url);
        return easy_start(f, job, url);
}

bool transfer_check_done(fetcher_t *f, job_t *job, CURLcode *rc)
{
        if (job->checking) {
                job->checking = false;
                if (job->blocked) {
                        *rc = CURLE_COULDNT_CONNECT;
                        snprintf(job->errbuf, sizeof(job->errbuf),
                                 "%.180s resolves to a refused address "
                                 "(checked before the proxy)",
                                 job->check_target);
                        return false;
                }
                if (!job->pin[0]) {
                        /* Nothing checked (no address here, or the check
                         * timed out): the proxy is not asked. */
                        if (*rc == CURLE_OK || *rc == CURLE_COULDNT_CONNECT)
                                *rc = CURLE_COULDNT_RESOLVE_HOST;
                        snprintf(job->errbuf, sizeof(job->errbuf),
                                 "%.180s has no address here to check "
                                 "before the proxy",
                                 job->check_target);
                        return false;
                }
                /* Passed: the proxy is asked for the address checked. */
                curl_easy_cleanup(job->easy);
                job->easy = NULL;
                curl_slist_free_all(job->pin_list);
                job->pin_list = curl_slist_append(NULL, job->pin);
                if (!job->pin_list) {
                        *rc = CURLE_OUT_OF_MEMORY;
                        return false;
                }
                if (easy_start(f, job, job->check_url)) {
                        *rc = CURLE_FAILED_INIT;
                        return false;
                }
                return true;
        }
        if (*rc == CURLE_OK && job->proxy >= 0 &&
            !netguard_allows_all(f->guard))
                return follow_redirect(f, job, rc);
        return false;
}

/* Maps a failed transfer to the design's stable error code. */
const char *transfer_error_code(const job_t *job, CURLcode rc)
{
        if (job->too_large || rc == CURLE_FILESIZE_EXCEEDED)
                return "too_large";
        if (job->blocked && rc == CURLE_COULDNT_CONNECT)
                return "blocked_address";
        if (job->proxy >= 0 &&
            (rc == CURLE_COULDNT_RESOLVE_PROXY ||
             rc == CURLE_COULDNT_CONNECT || rc == CURLE_PROXY))
                return "proxy_failed";
        switch (rc) {
        case CURLE_URL_MALFORMAT:
                return "invalid_url";
        case CURLE_UNSUPPORTED_PROTOCOL:
                return "unsupported_scheme";
        case CURLE_COULDNT_RESOLVE_HOST:
                return "dns_failure";
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_PROXY:
                return "proxy_failed";
        case CURLE_COULDNT_CONNECT:
                return "connect_failed";
        case CURLE_OPERATION_TIMEDOUT:
                return "timeout";
        case CURLE_TOO_MANY_REDIRECTS:
                return "too_many_redirects";
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
                return "tls_error";
        default:
                /* Reset connections, empty replies, bad encodings. */
                return "network_error";
        }
}

/* Transient network failures worth a retry (the design: connect errors
 * and timeouts; resets and empty replies are the same kind). */
bool transfer_transient(const job_t *job, CURLcode rc)
{
        if (job->blocked || job->too_large)
                return false;
        switch (rc) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_PROXY:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return true;
        default:
                return false;
        }
}

/* Adds --resolve / --connect-to entries to libcurl's list and to the
 * trusted targets (trust.h). */
int transfer_add_overrides(fetcher_t *f, const strlist_t *l, bool resolve,
                           struct curl_slist **list, char *errstr,
                           size_t errstr_size)
{
        for (size_t i = 0; i < l->n; i++) {
                struct curl_slist *nl;

                if (trust_add(f->trust, l->v[i], resolve, errstr, errstr_size))
                        return -1;
                nl = curl_slist_append(*list, l->v[i]);
                if (!nl) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return -1;
                }
                *list = nl;
        }
        return 0;
}
