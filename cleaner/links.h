/*
 * links.h — link following: from a page's record to the URL messages of
 * the links worth fetching next.
 *
 * A page gives links only when its status is 2xx and its meta robots has
 * neither `nofollow` nor `none`; a link is left out when its rel has the
 * `nofollow` token, when its depth (the page's depth, 0 when absent, + 1)
 * is over --max-depth, or when it is out of scope:
 *   same-host    the link's host key (host and non-default port) is the
 *                page's (final URL's)
 *   same-domain  the same registrable domain by the Public Suffix List
 *                (libpsl's psl_registrable_domain, as curl uses it), ports
 *                ignored; hosts without one (IP addresses, public suffixes,
 *                single labels) must be equal
 *   any          every http(s) link
 * The record's links are already absolute, fragment-free and de-duplicated
 * per page (pagescan.c keeps each resolved URL once), so the messages are
 * too. The worker follows from the page's facts (links_each_facts()); a
 * record read back (links_each()) gives the same messages.
 *
 * Each message is the JSON object {"url", "depth", "id"?, "meta"?}
 * (schemas/url.schema.json), keyed by the link's host key, for the topic
 * the page's URL came from (its source_topic, else the default). `id` is
 * derived from the page's id, when it had one, as ID "." and 16 hex digits
 * of a hash of the link's URL (stable: the same link of the same page gets
 * the same id); `meta` is the page's, passed on unchanged when its JSON
 * text is at most the follower's max_meta bytes, else left out (so a
 * page's big meta is not copied into each of its thousands of links).
 * At most max_links messages per page (the first in document order); the
 * rest are dropped and counted.
 */
#ifndef KCRAWL_LINKS_H
#define KCRAWL_LINKS_H

#include <stddef.h>

typedef enum {
        LINKS_SAME_HOST,
        LINKS_SAME_DOMAIN,
        LINKS_ANY,
} links_scope_t;

/* The scopes' names in links_scope_t's order, NULL-ended (the option
 * table's choices for --scope). */
extern const char *const links_scope_names[];

/* Parses "same-host", "same-domain" or "any"; -1 when it is none. */
int links_scope_parse(const char *s, links_scope_t *scope);

typedef struct links links_t;

/*
 * A link follower (one per worker: not shared between threads, though it
 * holds no mutable state after creation). Loads the newest Public Suffix
 * List the system has (psl_latest), else libpsl's built-in one. NULL on
 * allocation failure.
 */
links_t *links_new(links_scope_t scope, long max_depth,
                   const char *default_topic);
void links_destroy(links_t *lk);

/* Per page: at most max_links messages (0 = no limit) and the meta only
 * when its JSON is at most max_meta bytes. Defaults: no limit, any meta. */
void links_set_limits(links_t *lk, size_t max_links, size_t max_meta);

/* One URL message to publish. All strings owned by the list. */
typedef struct link_msg {
        char *url;   /* the link                                */
        char *topic; /* where it goes                           */
        char *key;   /* its host key                            */
        char *value; /* the JSON URL message, NUL-terminated    */
        size_t value_len;
} link_msg_t;

/* What links_each() did with one page's links. */
typedef struct links_stats {
        size_t published; /* messages handed to emit                   */
        size_t dropped;   /* in scope but over max_links               */
        int meta_dropped; /* the meta was over max_meta: links have none */
} links_stats_t;

/* Takes one message (valid during the call only); non-zero stops. */
typedef int (*links_emit_fn)(void *ctx, const link_msg_t *m);

struct page_facts;

/*
 * The URL messages for the links of a page from its facts (pagefacts.h:
 * the record's links, status, meta robots, and the page's depth, id, meta,
 * source topic and final URL), handed to emit(ctx, m) one by one as each
 * is built, so that memory holds one message at a time. The same messages
 * as links_each() of the record written from the same facts, without
 * reading it back. Returns 0 with *stats filled in, or -1 with a reason in
 * errstr (out of memory, or emit stopped it).
 */
int links_each_facts(const links_t *lk, const struct page_facts *f,
                     links_emit_fn emit, void *ctx, links_stats_t *stats,
                     char *errstr, size_t errstr_size);

/*
 * The URL messages for the links of `record`, handed to emit(ctx, m) one
 * by one as each is built, so that memory holds one message at a time.
 * Returns 0 with *stats filled in, or -1 with a reason in errstr (record
 * unreadable, out of memory, or emit stopped it).
 */
int links_each(const links_t *lk, const char *record, links_emit_fn emit,
               void *ctx, links_stats_t *stats, char *errstr,
               size_t errstr_size);

/*
 * The URL messages for the links of `record` (a record as extract_record()
 * builds it: url, final_url, status, depth, id, meta, source_topic,
 * meta_robots, links). On success returns 0 with *out a malloc'd array of
 * *n messages (NULL and 0 when none), freed with links_free(). Returns -1
 * with a reason in errstr when the record cannot be read or memory runs
 * out.
 */
int links_from_record(const links_t *lk, const char *record, link_msg_t **out,
                      size_t *n, char *errstr, size_t errstr_size);

void links_free(link_msg_t *msgs, size_t n);

/*
 * Whether `a` and `b` (hosts as url_t serialises them) are in one scope:
 * same-domain by registrable domain, else by equality. Exposed for tests.
 */
int links_same_domain(const links_t *lk, const char *a, const char *b);

#endif /* KCRAWL_LINKS_H */
