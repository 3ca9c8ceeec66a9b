/*
 * fuzz_microformats.c — libFuzzer target: the microformats parser
 * (cleaner/microformats.h) on arbitrary HTML, from libxml2's tree as the
 * cleaner parses it (no depth limit: XML_PARSE_HUGE).
 *
 * Checks: no invalid memory access, no stack overflow however deep the
 * elements or the items nest, the stats agree with the caps, and the
 * output is JSON that yajl reads again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <yajl/yajl_parse.h>

#include "microformats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int init;
        static url_t *base;
        htmlParserCtxtPtr ctxt;
        htmlDocPtr doc;
        yajl_handle h;
        dynbuf_t out;
        mf_stats_t st;

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
        dynbuf_init(&out, SIZE_MAX / 2);
        if (microformats_write(&out, doc, (size & 1) ? base : NULL, &st) ==
            0) {
                if (st.items > MF_ITEMS_MAX || out.len > MF_BYTES_MAX + 2)
                        abort();
                h = yajl_alloc(NULL, NULL, NULL);
                if (yajl_parse(h, (const unsigned char *)out.data, out.len) !=
                            yajl_status_ok ||
                    yajl_complete_parse(h) != yajl_status_ok)
                        abort();
                yajl_free(h);
        }
        dynbuf_free(&out);
        if (doc != NULL)
                xmlFreeDoc(doc);
        return 0;
}
