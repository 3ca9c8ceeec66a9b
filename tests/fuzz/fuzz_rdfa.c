/*
 * fuzz_rdfa.c — libFuzzer target: the RDFa processor (cleaner/rdfa.h) on
 * arbitrary HTML, from libxml2's tree as the cleaner parses it (no depth
 * limit: XML_PARSE_HUGE).
 *
 * Checks: no invalid memory access, no stack overflow however deep the
 * elements nest or the hanging triples and lists chain, the stats agree
 * with the caps, and the output is JSON that yajl reads again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "rdfa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int init;
        static url_t *base;
        htmlParserCtxtPtr ctxt;
        htmlDocPtr doc;
        yajl_gen g;
        yajl_handle h;
        const unsigned char *out;
        size_t out_len;
        rdfa_stats_t st;

        if (!init) {
                xmlInitParser();
                url_parse("https://example.com/a/b?q#f", NULL, &base, NULL, 0);
                init = 1;
        }
        if (size > 1 << 20)
                return 0;
        ctxt = htmlCreateMemoryParserCtxt((const char *)data, (int)size);
        if (ctxt == NULL)
                return 0;
        htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                         HTML_PARSE_NOWARNING |
                                         HTML_PARSE_NONET);
        ctxt->options |= XML_PARSE_HUGE;
        htmlParseDocument(ctxt);
        doc = ctxt->myDoc;
        htmlFreeParserCtxt(ctxt);
        g = yajl_gen_alloc(NULL);
        if (g != NULL && rdfa_write(g, doc, base, NULL, &st) == 0) {
                if (st.triples > RDFA_TRIPLES_MAX ||
                    (st.errors > 0 && !st.capped))
                        abort();
                if (yajl_gen_get_buf(g, &out, &out_len) != yajl_gen_status_ok)
                        abort();
                h = yajl_alloc(NULL, NULL, NULL);
                if (yajl_parse(h, out, out_len) != yajl_status_ok ||
                    yajl_complete_parse(h) != yajl_status_ok)
                        abort();
                yajl_free(h);
        }
        if (g != NULL)
                yajl_gen_free(g);
        xmlFreeDoc(doc);
        return 0;
}
