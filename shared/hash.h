/*
 * hash.h — the one string hash of the pipeline: FNV-1a (Fowler/Noll/Vo),
 * 64- and 32-bit. It decides placement (hash-table buckets, a host's
 * proxy, link ids in records), so its output must never change.
 *
 * Written by hand: none of Debian's C libraries the pipeline links
 * exports a plain string hash, and FNV-1a is a handful of lines.
 */
#ifndef KCRAWL_HASH_H
#define KCRAWL_HASH_H

#include <stdint.h>

#define HASH_FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
#define HASH_FNV64_PRIME UINT64_C(0x100000001b3)
#define HASH_FNV32_OFFSET UINT32_C(2166136261)
#define HASH_FNV32_PRIME UINT32_C(16777619)

/* Continues a 64-bit FNV-1a hash h over the NUL-terminated string s
 * (h is HASH_FNV64_OFFSET to start one). */
static inline uint64_t hash_fnv1a64_from(uint64_t h, const char *s)
{
        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= HASH_FNV64_PRIME;
        }
        return h;
}

/* 64-bit FNV-1a of the NUL-terminated string s. */
static inline uint64_t hash_fnv1a64(const char *s)
{
        return hash_fnv1a64_from(HASH_FNV64_OFFSET, s);
}

/* 32-bit FNV-1a of the NUL-terminated string s. */
static inline uint32_t hash_fnv1a32(const char *s)
{
        uint32_t h = HASH_FNV32_OFFSET;

        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= HASH_FNV32_PRIME;
        }
        return h;
}

#endif /* KCRAWL_HASH_H */
