/*
 * trust.h — the operator's own connection targets (--resolve and
 * --connect-to), which the address guard lets through.
 *
 * Trust is decided on what libcurl connects to, never on a reading of the
 * URL of our own: a connection is trusted when an entry names the host
 * and port libcurl connects for (read from the URL libcurl is fetching,
 * with libcurl's own URL parser and the flags libcurl uses, so the two can
 * not disagree on spellings such as "http://a.test\@127.0.0.1/") and the
 * socket goes where that entry sends it:
 *   --resolve HOST:PORT:ADDR[,ADDR]   one of the ADDRs, at PORT;
 *   --connect-to HOST:PORT:CHOST:CPORT  CHOST when it is an address, any
 *       address CHOST resolves to when it is a name, any address HOST
 *       resolves to when CHOST is empty and HOST is named (a wildcard HOST
 *       with an empty CHOST trusts nothing); at CPORT, or the URL's port
 *       when CPORT is empty.
 * Single-threaded (the fetcher's loop).
 */
#ifndef KCRAWL_TRUST_H
#define KCRAWL_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

typedef struct trust trust_t;

trust_t *trust_new(void);
void trust_destroy(trust_t *t);

/*
 * Adds a --resolve (resolve = true) or --connect-to entry, in curl's
 * syntax ("+HOST:PORT:ADDR[,ADDR]" for --resolve; HOST may be "[v6]").
 * Returns 0, or -1 with a one-line reason in errstr.
 */
int trust_add(trust_t *t, const char *entry, bool resolve, char *errstr,
              size_t errstr_size);

size_t trust_count(const trust_t *t);

/*
 * The host and port libcurl connects for when it fetches `url`: the host
 * as libcurl's URL API returns it (IPv6 in brackets, an IDN name in
 * punycode, as libcurl matches entries), the port with the scheme's
 * default. false when libcurl would not parse it.
 */
bool trust_url_target(const char *url, char *host, size_t host_size,
                      int *port);

/* Is a connection to `sa`, made for host:port, an operator's target? */
bool trust_allows(const trust_t *t, const char *host, int port,
                  const struct sockaddr *sa);

#endif /* KCRAWL_TRUST_H */
