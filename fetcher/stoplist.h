/*
 * stoplist.h — the --recrawl-stop list: hosts and crawls whose recrawls
 * and discovered URLs are stopped (stoplist.c). A text file, one entry a
 * line, '#' starting a comment:
 *
 *   host example.com        a host key (lower-case host, :port when not
 *                           the scheme's default)
 *   crawl price-watch       a crawl: URL messages whose "id" is it or
 *                           begins with it and a '.' (the cleaner names a
 *                           followed link's id "<page's id>.<hash>", so
 *                           every URL discovered from a seed shares its
 *                           id's prefix)
 *
 * Self-contained (no Kafka); the fetcher re-reads the file when it
 * changes (recrawl.c).
 */
#ifndef KCRAWL_FETCHER_STOPLIST_H
#define KCRAWL_FETCHER_STOPLIST_H

#include <stdbool.h>
#include <stddef.h>

#define STOPLIST_MAX_BYTES (16 * 1024 * 1024) /* a larger file: an error */
#define STOPLIST_LINE_MAX 1024

typedef struct stoplist stoplist_t;

/* Parses text[0..len). Returns the list (caller destroys), or NULL with
 * the first bad line's number and reason in errstr. */
stoplist_t *stoplist_parse(const char *text, size_t len, char *errstr,
                           size_t errstr_size);
void stoplist_destroy(stoplist_t *sl);
/* Entries (hosts + crawls). sl may be NULL (an empty list). */
size_t stoplist_count(const stoplist_t *sl);
/* Whether host key `host`, or the crawl of message id `id` (NULL: none),
 * is listed. */
bool stoplist_has(const stoplist_t *sl, const char *host, const char *id);

#endif /* KCRAWL_FETCHER_STOPLIST_H */
