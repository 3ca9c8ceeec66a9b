/*
 * budget.h — the discovery budget: how many discovered URLs one host key
 * may have, counted per host in a fixed table. Two users: the cleaner
 * (URLs it publishes from sitemaps, feeds and followed links together,
 * shared by every worker of one cleaner process) and the fetcher (URLs
 * discovered by any cleaner process that it takes in for the hosts it
 * owns: the one place that sees all of a host's discovered URLs, so its
 * count holds across cleaner processes).
 *
 * One sitemap index may list 2.5 billion URLs; the budget stops a host
 * from filling the URL topic. It is per process, not per worker: with W
 * workers a host still gets `per_host` URLs from this process, whichever
 * workers read its sitemaps. Across cleaner processes nothing is shared
 * (the pages topic is keyed by URL, so one host's sitemaps are read by any
 * process): a host gets at most per_host × processes from the cleaners;
 * the fetcher's budget (--discovery-budget of the fetcher) is the global
 * one.
 *
 * The table is bounded: `hosts` entries (rounded up to a power of two, at
 * least BUDGET_WAYS), in sets of BUDGET_WAYS; a host new to a full set
 * takes the place of the set's least recently used host, whose count is
 * forgotten (it starts over if it comes back). So memory is fixed at
 * creation (24 bytes a host) and a host that stays busy keeps its count.
 *
 * Thread-safe: the sets are guarded by BUDGET_LOCKS striped mutexes, so
 * workers taking from different hosts rarely wait for each other.
 */
#ifndef KCRAWL_BUDGET_H
#define KCRAWL_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#define BUDGET_WAYS 8
#define BUDGET_LOCKS 64
#define BUDGET_HOSTS_DEFAULT 65536

typedef struct budget budget_t;

/* The --discovery-hosts option of a tool with a budget (options.h's
 * opt_def_t; T the tool's config struct, FIELD its long). */
#define BUDGET_HOSTS_OPT(T, FIELD)                                                       \
        {                                                                                \
                "discovery-hosts", OPT_INT, offsetof(T, FIELD), "65536", 8,              \
                        100000000, NULL,                                                 \
                        "Hosts whose --discovery-budget count is kept (24 bytes each); " \
                        "past it the least recently used host of a set of 8 is "         \
                        "forgotten and starts over.",                                    \
                        false                                                            \
        }

/* per_host: URLs a host may have published (0 = no limit: budget_take()
 * always says yes and nothing is stored); hosts: hosts tracked. NULL when
 * out of memory. */
budget_t *budget_new(long per_host, size_t hosts);
void budget_destroy(budget_t *b);

/* Takes one URL of host_key from its budget: 1 when it may be published,
 * 0 when the host's budget is spent. Any thread. b NULL: always 1. */
int budget_take(budget_t *b, const char *host_key);

/* Hosts forgotten to make room for others since creation (for tests and
 * logs). */
uint64_t budget_evictions(budget_t *b);

#endif /* KCRAWL_BUDGET_H */
