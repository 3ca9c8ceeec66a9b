/*
 * rules.h — user-defined fields: XPath 1.0 per host, from a rules file.
 *
 * The rules file (--rules FILE, schemas/rules.schema.json) is JSON:
 *
 *   {"rules": [
 *     {"name": "shop",
 *      "hosts": ["shop.example", "*.example.com"],
 *      "fields": {
 *        "price": "string(//span[@itemprop='price']/@content)",
 *        "tags":  {"xpath": "//ul[@class='tags']/li", "type": "strings"},
 *        "stock": {"xpath": "count(//li[@class='in-stock'])",
 *                  "type": "number"}}}]}
 *
 * Hosts: an exact host ("shop.example", an IPv4 address, "[::1]"), or
 * "*.suffix" for every subdomain of suffix at any depth (not suffix itself:
 * list it too), or "*" for every host. Matched case-insensitively against
 * the host of the page's final URL, without its port or trailing dot.
 *
 * A field is an XPath expression (the string shorthand means type
 * "string") and a type:
 *   string   the result as a string (a node-set gives its first node's
 *            string value); null when a node-set is empty
 *   strings  a list: one string per node of a node-set (empty ones left
 *            out), or the one value of another result
 *   number   number(result); null when that is NaN or infinite
 * Strings have their whitespace collapsed and are cut at RULES_VALUE_MAX
 * bytes at a character boundary; lists stop at RULES_LIST_MAX items.
 * Every rule whose hosts match applies, in file order; when two define the
 * same field name, the first one wins.
 *
 * Validation happens at load: the JSON shape, the names, the host patterns,
 * and every XPath is compiled and evaluated once against an empty document
 * (so unknown functions and variables are caught up front). Errors name the
 * rule and the field.
 *
 * A rules_t is immutable once loaded and reference-counted, so workers can
 * share one and swap to a new one between messages (rules_holder_t).
 */
#ifndef KCRAWL_RULES_H
#define KCRAWL_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>
#include <yajl/yajl_gen.h>

#define RULES_FILE_MAX (1024 * 1024) /* bytes of the rules file          */
#define RULES_DEPTH_MAX 32           /* JSON nesting of the rules file   */
#define RULES_MAX 1000               /* rules in a file                  */
#define RULES_FIELDS_MAX 200         /* fields in a rule                 */
#define RULES_VALUE_MAX (64 * 1024)  /* bytes of one string value        */
#define RULES_LIST_MAX 1000          /* items of a "strings" value       */

typedef struct rules rules_t;

/*
 * Loads and validates the rules file at `path`. Returns a new rule set
 * (one reference, the caller's), or NULL with one line in errstr naming the
 * file and, where it is at fault, the rule and field. Call from one thread
 * at a time (it sets the calling thread's libxml2 error handler while it
 * compiles). xmlInitParser() must have been called.
 */
rules_t *rules_load(const char *path, char *errstr, size_t errstr_size);

/* As rules_load(), from JSON text in memory; `what` names it in errors. */
rules_t *rules_parse(const char *json, size_t len, const char *what,
                     char *errstr, size_t errstr_size);

/* Another reference (thread-safe); returns r. */
rules_t *rules_ref(rules_t *r);

/* Drops a reference (thread-safe); the last one frees. NULL is fine. */
void rules_unref(rules_t *r);

/* Number of rules in the set. */
size_t rules_count(const rules_t *r);

/* Whether any rule applies to `url`'s host (url: an absolute URL). */
bool rules_match_url(const rules_t *r, const char *url);

/* What the extractor's fields callback needs: the set and the page's URL. */
typedef struct rules_page {
        const rules_t *rules;
        const char *url;
} rules_page_t;

/*
 * The extractor's fields callback (extract_fields_fn): writes the JSON
 * object of the fields that apply to ctx->url's host, evaluated on `doc`
 * (NULL for an empty page: every field null, or [] for lists), with `gen`
 * (a yajl_gen; void * to match extract_fields_fn).
 * Returns the first yajl status that was not ok, else yajl_gen_status_ok.
 * @locality any thread; each call uses its own XPath context.
 */
int rules_emit_fields(void *ctx, xmlDocPtr doc, void *gen);

/*
 * The current rule set of a process, swapped on reload. Workers check the
 * generation between messages (one atomic load) and take a reference to
 * the new set when it changed; work in progress keeps the set it started
 * with.
 */
typedef struct rules_holder rules_holder_t;

/* A holder with `initial` (may be NULL; ownership taken). NULL on OOM. */
rules_holder_t *rules_holder_new(rules_t *initial);
void rules_holder_destroy(rules_holder_t *h);

/* Installs `r` (ownership taken; may be NULL) and bumps the generation. */
void rules_holder_set(rules_holder_t *h, rules_t *r);

/* The current generation (thread-safe, cheap). */
unsigned rules_holder_generation(const rules_holder_t *h);

/* A new reference to the current set (may be NULL) and its generation. */
rules_t *rules_holder_get(rules_holder_t *h, unsigned *generation);

#endif /* KCRAWL_RULES_H */
