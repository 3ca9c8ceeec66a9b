/*
 * recordfit.h — a record cut to fit the records topic's message limit.
 *
 * Kafka refuses a message over the topic's max.message.bytes (1 MiB by
 * default), and a text page can make a record larger than that, or than
 * the producer's own message.max.bytes. Such a record is cut rather than
 * lost: its `markdown` goes first, then its `main_text` (each whole),
 * then the largest members — a string keeps its head (cut on a character
 * boundary), an array its first elements, anything else is dropped — until
 * it fits; the record then lists what was cut in `truncated`
 * (schemas/record.schema.json), and a cut `markdown`, `main_text` or `text`
 * is flagged `markdown_truncated` (and so on): true. The members that identify the
 * page (url, final_url, status, fetched_at, content_type, source_topic,
 * id, depth) are never cut; a record that cannot fit without them is not
 * made.
 *
 * Thread-safety: no state; any thread.
 */
#ifndef KCRAWL_RECORDFIT_H
#define KCRAWL_RECORDFIT_H

#include <stddef.h>

/*
 * Cuts record[0, len) (a JSON object, NUL-terminated) to at most `limit`
 * bytes. Returns 0 with a new malloc'd record in *out / *out_len (the
 * caller frees it), 1 when it cannot be cut to fit (errstr says why), or
 * -1 when the record is not JSON or memory runs out.
 */
int recordfit_cut(const char *record, size_t len, size_t limit, char **out,
                  size_t *out_len, char *errstr, size_t errstr_size);

#endif /* KCRAWL_RECORDFIT_H */
