/*
 * tdmrep.h — a host's /.well-known/tdmrep.json (W3C TDMRep Community
 * Group report): a JSON array of rules {"location": pattern,
 * "tdm-reservation": 0 | 1, "tdm-policy": URL}, read into a rule list
 * and matched against a URL's path.
 *
 * The location pattern is read as a robots.txt path pattern: `*` matches
 * any run of bytes, a final `$` anchors at the end of the path, anything
 * else is a prefix of the path. The rules are tried in the file's order
 * and the first match applies. A rule without a string location or
 * without a tdm-reservation of 0 or 1 is left out (one bad rule does not
 * cost the others). At most TDMREP_MAX_RULES rules are kept, each pattern
 * and policy at most TDMREP_MAX_FIELD bytes (longer: the rule is left
 * out), the file at most TDMREP_MAX_BYTES.
 *
 * Thread-safety: a list is read-only once built; any thread.
 */
#ifndef KCRAWL_FETCHER_TDMREP_H
#define KCRAWL_FETCHER_TDMREP_H

#include <stddef.h>

#define TDMREP_MAX_BYTES (64 * 1024)
#define TDMREP_MAX_RULES 256
#define TDMREP_MAX_FIELD 2048

typedef struct tdmrep tdmrep_t;

/* Parses text[0, len) (text[len] must be '\0'). Returns the rule list
 * (maybe empty; the caller frees it with tdmrep_free()), or NULL with a
 * one-line reason in errstr when the text is not a JSON array within the
 * bounds, or memory runs out. */
tdmrep_t *tdmrep_parse(const char *text, size_t len, char *errstr,
                       size_t errstr_size);
/* A list that reserves nothing (a file answered 4xx). NULL: no memory. */
tdmrep_t *tdmrep_empty(void);
void tdmrep_free(tdmrep_t *t);
/* Bytes the list holds (for the fetcher's memory count). */
size_t tdmrep_bytes(const tdmrep_t *t);
/* The number of rules kept. */
size_t tdmrep_count(const tdmrep_t *t);

/* The first rule matching `path` (path and query, "/a/b?q"): 1 when it
 * reserves text and data mining, 0 when it says it is not reserved; its
 * tdm-policy (or NULL) in *policy, valid while t lives. -1 when no rule
 * matches (the file says nothing of this path; *policy NULL). */
int tdmrep_lookup(const tdmrep_t *t, const char *path, const char **policy);

/* Does robots.txt-style `pattern` match `path`? (exposed for tests) */
int tdmrep_match(const char *pattern, const char *path);

#endif /* KCRAWL_FETCHER_TDMREP_H */
