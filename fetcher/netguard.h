/*
 * netguard.h — which addresses the fetcher may connect to (no SSRF).
 *
 * Checked on the resolved address at connect time (libcurl's open-socket
 * callback), so DNS tricks and redirects are covered. Refused unless
 * allowed: loopback, private (RFC 1918, ULA), link-local (cloud metadata),
 * CGNAT, multicast, unspecified, reserved and documentation ranges, and
 * IPv4 embedded in IPv6 (mapped, compatible, NAT64, 6to4) by the embedded
 * IPv4 address.
 */
#ifndef KCRAWL_NETGUARD_H
#define KCRAWL_NETGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "options.h"

typedef struct netguard netguard_t;

/*
 * A guard allowing everything when allow_private, else only public
 * addresses plus the CIDR ranges in allow_net. Returns NULL with a reason
 * in errstr when a range does not parse.
 */
netguard_t *netguard_new(bool allow_private, const strlist_t *allow_net,
                         char *errstr, size_t errstr_size);
void netguard_destroy(netguard_t *ng);

/* true when every address is allowed (--allow-private). */
bool netguard_allows_all(const netguard_t *ng);

/* true when a connection to `sa` is allowed. */
bool netguard_allowed(const netguard_t *ng, const struct sockaddr *sa);

#endif /* KCRAWL_NETGUARD_H */
