/*
 * netguard.c — the address policy (see netguard.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netguard.h"

typedef struct cidr {
        int family; /* AF_INET or AF_INET6 */
        unsigned char addr[16];
        int bits;
} cidr_t;

struct netguard {
        bool allow_private;
        cidr_t *allow;
        size_t nallow;
};

/* Non-public IPv4 ranges (IANA special-purpose registry). */
static const struct {
        uint32_t net;
        int bits;
} blocked4[] = {
        { 0x00000000, 8 },  /* 0.0.0.0/8 "this network"      */
        { 0x0a000000, 8 },  /* 10/8 private                   */
        { 0x64400000, 10 }, /* 100.64/10 CGNAT                */
        { 0x7f000000, 8 },  /* 127/8 loopback                 */
        { 0xa9fe0000, 16 }, /* 169.254/16 link-local, metadata*/
        { 0xac100000, 12 }, /* 172.16/12 private              */
        { 0xc0000000, 24 }, /* 192.0.0/24 IETF protocol       */
        { 0xc0000200, 24 }, /* 192.0.2/24 documentation       */
        { 0xc0a80000, 16 }, /* 192.168/16 private             */
        { 0xc6120000, 15 }, /* 198.18/15 benchmarking         */
        { 0xc6336400, 24 }, /* 198.51.100/24 documentation    */
        { 0xcb007100, 24 }, /* 203.0.113/24 documentation     */
        { 0xe0000000, 4 },  /* 224/4 multicast                */
        { 0xf0000000, 4 },  /* 240/4 reserved, broadcast      */
};

static bool prefix_match(const unsigned char *a, const unsigned char *net,
                         int bits)
{
        int whole = bits / 8, rest = bits % 8;

        if (memcmp(a, net, (size_t)whole))
                return false;
        if (!rest)
                return true;
        return ((a[whole] ^ net[whole]) & (0xff << (8 - rest))) == 0;
}

static bool v4_blocked(uint32_t a)
{
        for (size_t i = 0; i < sizeof(blocked4) / sizeof(blocked4[0]); i++) {
                uint32_t mask = blocked4[i].bits
                                        ? 0xffffffffu
                                                  << (32 - blocked4[i].bits)
                                        : 0;

                if ((a & mask) == blocked4[i].net)
                        return true;
        }
        return false;
}

static uint32_t v4_at(const unsigned char *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
               (uint32_t)p[2] << 8 | p[3];
}

static bool v6_blocked(const unsigned char *a)
{
        static const unsigned char zero[16] = { 0 };
        static const unsigned char mapped[12] = { 0, 0, 0, 0, 0,    0,
                                                  0, 0, 0, 0, 0xff, 0xff };
        static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
        static const unsigned char nat64l[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };

        if (!memcmp(a, mapped, 12) || prefix_match(a, nat64, 96))
                return v4_blocked(v4_at(a + 12));
        if (prefix_match(a, nat64l, 48)) /* 64:ff9b:1::/48 local NAT64 */
                return true;
        if (prefix_match(a, zero, 96)) /* ::, ::1, IPv4-compatible */
                return true;
        if (a[0] == 0x20 && a[1] == 0x02) /* 2002::/16 6to4 */
                return v4_blocked(v4_at(a + 2));
        if ((a[0] & 0xfe) == 0xfc) /* fc00::/7 ULA */
                return true;
        if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* fe80::/10 */
                return true;
        if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) /* fec0::/10 site-local */
                return true;
        if (a[0] == 0xff) /* multicast */
                return true;
        if (a[0] == 0x01 && !memcmp(a + 1, zero, 7)) /* 100::/64 discard */
                return true;
        if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
                return true; /* 2001:db8::/32 docs */
        if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && a[3] < 0x02)
                return true; /* 2001::/23 IETF, Teredo */
        return false;
}

static int cidr_parse(const char *s, cidr_t *c)
{
        char addr[64];
        const char *slash = strchr(s, '/');
        size_t alen = slash ? (size_t)(slash - s) : strlen(s);
        long bits;
        char *end;

        if (alen >= sizeof(addr))
                return -1;
        memcpy(addr, s, alen);
        addr[alen] = '\0';
        memset(c, 0, sizeof(*c));
        if (inet_pton(AF_INET, addr, c->addr) == 1)
                c->family = AF_INET;
        else if (inet_pton(AF_INET6, addr, c->addr) == 1)
                c->family = AF_INET6;
        else
                return -1;
        bits = c->family == AF_INET ? 32 : 128;
        if (slash) {
                long max = bits;

                bits = strtol(slash + 1, &end, 10);
                if (end == slash + 1 || *end || bits < 0 || bits > max)
                        return -1;
        }
        c->bits = (int)bits;
        return 0;
}

netguard_t *netguard_new(bool allow_private, const strlist_t *allow_net,
                         char *errstr, size_t errstr_size)
{
        netguard_t *ng = calloc(1, sizeof(*ng));

        if (!ng)
                goto out;
        ng->allow_private = allow_private;
        if (allow_net && allow_net->n) {
                ng->allow = calloc(allow_net->n, sizeof(*ng->allow));
                if (!ng->allow)
                        goto out;
                for (size_t i = 0; i < allow_net->n; i++) {
                        if (cidr_parse(allow_net->v[i], &ng->allow[i])) {
                                snprintf(errstr, errstr_size,
                                         "--allow-net: '%s' is not an "
                                         "address range (CIDR)",
                                         allow_net->v[i]);
                                netguard_destroy(ng);
                                return NULL;
                        }
                }
                ng->nallow = allow_net->n;
        }
        return ng;
out:
        snprintf(errstr, errstr_size, "out of memory");
        netguard_destroy(ng);
        return NULL;
}

void netguard_destroy(netguard_t *ng)
{
        if (!ng)
                return;
        free(ng->allow);
        free(ng);
}

bool netguard_allows_all(const netguard_t *ng)
{
        return ng->allow_private;
}

bool netguard_allowed(const netguard_t *ng, const struct sockaddr *sa)
{
        const unsigned char *a;
        int family = sa->sa_family;

        if (ng->allow_private)
                return true;
        if (family == AF_INET)
                a = (const unsigned char *)&((const struct sockaddr_in *)sa)
                            ->sin_addr;
        else if (family == AF_INET6)
                a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        else
                return false;

        for (size_t i = 0; i < ng->nallow; i++)
                if (ng->allow[i].family == family &&
                    prefix_match(a, ng->allow[i].addr, ng->allow[i].bits))
                        return true;
        return family == AF_INET ? !v4_blocked(v4_at(a)) : !v6_blocked(a);
}
