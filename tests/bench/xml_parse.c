/*
 * xml_parse — libxml2's own HTML parse speed on the corpus: the limit the
 * cleaner's extraction is measured against.
 *
 *   xml_parse --mode dom|xpath|sax --seconds S FILE...
 *
 * Loads the files into memory, then parses them round-robin on one thread
 * for at least S seconds:
 *   dom    htmlReadMemory (recover, no network, no errors printed) + free
 *   xpath  dom, then //title and //a/@href evaluated (links counted)
 *   sax    the SAX parser with a start-element handler counting <a href>;
 *          no tree is built
 * Prints one JSON object: {"mode", "pages", "bytes", "seconds",
 * "cpu_seconds", "pages_per_s", "links"}; pages_per_s is per CPU second of
 * this (single) thread.
 */
#include <errno.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct page {
        char *data;
        size_t len;
};

static double now_s(clockid_t clk)
{
        struct timespec ts;

        clock_gettime(clk, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *path, struct page *p)
{
        FILE *f = fopen(path, "rb");
        long n;

        if (!f)
                return -1;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        p->data = malloc((size_t)n + 1);
        if (!p->data || fread(p->data, 1, (size_t)n, f) != (size_t)n) {
                fclose(f);
                return -1;
        }
        p->data[n] = '\0';
        p->len = (size_t)n;
        fclose(f);
        return 0;
}

static void sax_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
        size_t *links = ctx;

        if (name[0] != 'a' || name[1] != '\0' || !atts)
                return;
        for (; atts[0]; atts += 2)
                if (!strcmp((const char *)atts[0], "href"))
                        (*links)++;
}

static void silent(void *ctx, const char *msg, ...)
{
}

static const int OPTS = HTML_PARSE_RECOVER | HTML_PARSE_NONET |
                        HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                        HTML_PARSE_COMPACT;

static size_t parse_one(const char *mode, const struct page *p)
{
        size_t links = 0;

        if (!strcmp(mode, "sax")) {
                htmlSAXHandler sax;
                htmlParserCtxtPtr ctxt;

                memset(&sax, 0, sizeof(sax));
                sax.startElement = sax_start;
                sax.error = silent;
                sax.warning = silent;
                ctxt = htmlCreateMemoryParserCtxt(p->data, (int)p->len);
                if (!ctxt)
                        return 0;
                memcpy(ctxt->sax, &sax, sizeof(sax));
                ctxt->userData = &links;
                htmlCtxtUseOptions(ctxt, OPTS);
                htmlParseDocument(ctxt);
                htmlFreeParserCtxt(ctxt);
                return links;
        }
        htmlDocPtr doc =
                htmlReadMemory(p->data, (int)p->len, NULL, "UTF-8", OPTS);
        if (!doc)
                return 0;
        if (!strcmp(mode, "xpath")) {
                xmlXPathContextPtr xp = xmlXPathNewContext(doc);
                xmlXPathObjectPtr t =
                        xmlXPathEvalExpression(BAD_CAST "//title", xp);
                xmlXPathObjectPtr a =
                        xmlXPathEvalExpression(BAD_CAST "//a/@href", xp);

                if (a && a->nodesetval)
                        links = (size_t)a->nodesetval->nodeNr;
                xmlXPathFreeObject(t);
                xmlXPathFreeObject(a);
                xmlXPathFreeContext(xp);
        }
        xmlFreeDoc(doc);
        return links;
}

int main(int argc, char **argv)
{
        const char *mode = "dom";
        double seconds = 3.0, t0, c0, t1, c1;
        struct page *pages;
        size_t npages = 0, done = 0, bytes = 0, links = 0;
        int i;

        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                if (!strcmp(argv[i], "--mode") && i + 1 < argc)
                        mode = argv[++i];
                else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
                        char *end;

                        errno = 0;
                        seconds = strtod(argv[++i], &end);
                        if (errno || *end || seconds <= 0 || seconds > 3600) {
                                fprintf(stderr, "xml_parse: bad --seconds\n");
                                return 2;
                        }
                } else {
                        fprintf(stderr,
                                "usage: xml_parse --mode dom|xpath|sax "
                                "--seconds S FILE...\n");
                        return 2;
                }
        }
        if (strcmp(mode, "dom") && strcmp(mode, "xpath") &&
            strcmp(mode, "sax")) {
                fprintf(stderr, "xml_parse: bad --mode %s\n", mode);
                return 2;
        }
        if (i >= argc) {
                fprintf(stderr, "xml_parse: no files\n");
                return 2;
        }
        pages = calloc((size_t)(argc - i), sizeof(*pages));
        for (; i < argc; i++) {
                if (load(argv[i], &pages[npages]) < 0) {
                        fprintf(stderr, "xml_parse: %s: cannot read\n",
                                argv[i]);
                        return 1;
                }
                npages++;
        }
        xmlInitParser();
        t0 = now_s(CLOCK_MONOTONIC);
        c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        do {
                for (size_t k = 0; k < npages; k++) {
                        links += parse_one(mode, &pages[k]);
                        bytes += pages[k].len;
                        done++;
                }
                c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        } while (c1 - c0 < seconds);
        t1 = now_s(CLOCK_MONOTONIC);
        printf("{\"mode\": \"%s\", \"pages\": %zu, \"bytes\": %zu, \"seconds\": %.4f, "
               "\"cpu_seconds\": %.4f, \"pages_per_s\": %.1f, \"links\": %zu}\n",
               mode, done, bytes, t1 - t0, c1 - c0, (double)done / (c1 - c0),
               links);
        for (size_t k = 0; k < npages; k++)
                free(pages[k].data);
        free(pages);
        xmlCleanupParser();
        return 0;
}
