"""Structured data through the real cleaner on a real broker: a product
page's record carries microdata, every OpenGraph property, Dublin Core,
tolerant JSON-LD and the normalised product; hostile structured data (JSON-LD
nested 100,000 deep, itemscope nested 100,000 deep, an itemref cycle) still
gives the page its record with the error counts; and each syntax's option
turns it off. Records are checked against schemas/record.schema.json.

Every wait polls Kafka until a condition holds or a deadline passes.
"""

import uuid

from confluent_kafka import Producer

from conftest import check_record, consume
from test_cleaner_stage import cleaner, page_headers, stop_all

PRODUCT = b"""<!DOCTYPE html>
<html prefix="og: http://ogp.me/ns# product: http://ogp.me/ns/product#">
<head><title>Anvil</title>
<meta name="DC.creator" content="ACME Works">
<meta property="og:type" content="product.item">
<meta property="og:image" content="https://shop.test/a1.jpg">
<meta property="og:image" content="https://shop.test/a2.jpg">
<meta property="product:price:amount" content="119.99">
<meta property="product:price:currency" content="USD">
<script type="application/ld+json">
<!-- {"@context": "https://schema.org", "@type": "Product",
  "name": "Executive Anvil", // the name
  "offers": {"@type": "Offer", "price": "1.119,99", "priceCurrency": "EUR",
             "availability": "https://schema.org/InStock",},
} -->
</script>
</head><body>
<div itemscope itemtype="http://schema.org/Product">
 <span itemprop="name">Executive Anvil</span>
 <img itemprop="image" src="/img/anvil.jpg">
</div>
</body></html>"""


def hostile():
    deep_json = "[" * 100000 + "]" * 100000
    deep_items = "<div itemscope itemprop=p>" * 100000
    cycle = ('<div itemscope id=a itemref="b"><i itemprop=x>1</i></div>'
             '<p id=b itemprop=y itemscope itemref=a></p>')
    return (f'<html><head><script type="application/ld+json">{deep_json}'
            f'</script></head><body>{cycle}{deep_items}</body></html>').encode()


def publish_pages(brokers, topic, pages):
    """As test_cleaner_stage's, with room for a 3 MB page (the pages topic
    takes 16 MiB)."""
    failures = []
    p = Producer({"bootstrap.servers": brokers, "linger.ms": 5,
                  "message.max.bytes": 16 * 1024 * 1024,
                  "compression.type": "lz4"})
    for url, body, hdrs in pages:
        p.produce(topic, value=body, key=url.encode(),
                  headers=list(hdrs.items()),
                  on_delivery=lambda err, msg: err and failures.append(err))
    assert p.flush(60) == 0, "pages not delivered"
    assert not failures, failures


def run(brokers, topics, tmp_path, pages, *extra):
    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path,
                 "--workers", "1", *extra)
    try:
        got = consume(brokers, topics.records, len(pages), procs=(pr,))
    finally:
        stop_all(pr)
    return {check_record(m)["url"]: check_record(m) for m in got}


def test_structured_fields_and_bounds(brokers, topics, tmp_path):
    pages = [("https://shop.test/anvil", PRODUCT,
              page_headers("https://shop.test/anvil")),
             ("https://shop.test/hostile", hostile(),
              page_headers("https://shop.test/hostile"))]
    publish_pages(brokers, topics.pages, pages)
    recs = run(brokers, topics, tmp_path, pages)
    assert sorted(recs) == sorted(u for u, _, _ in pages)

    rec = recs["https://shop.test/anvil"]
    assert rec["json_ld"][0]["name"] == "Executive Anvil"
    assert "json_ld_errors" not in rec
    assert rec["microdata"] == [{
        "type": "http://schema.org/Product",
        "properties": {"name": "Executive Anvil",
                       "image": "https://shop.test/img/anvil.jpg"}}]
    assert [p for p in rec["opengraph_full"][0]["properties"]
            if p[0] == "og:image"] == [["og:image", "https://shop.test/a1.jpg"],
                                       ["og:image", "https://shop.test/a2.jpg"]]
    assert rec["opengraph"]["image"] == "https://shop.test/a1.jpg"
    assert rec["dublincore"][0]["elements"][0]["name"] == "DC.creator"
    # RDFa: the page's <meta property> are triples about the page.
    doc = [n for n in rec["rdfa"] if n["@id"] == "https://shop.test/anvil"]
    assert doc and doc[0]["http://ogp.me/ns#image"] == [
        {"@value": "https://shop.test/a1.jpg"},
        {"@value": "https://shop.test/a2.jpg"}]
    assert "rdfa_errors" not in rec
    product = rec["product"]
    assert (product["source"], product["price"], product["currency"],
            product["availability"]) == ("json-ld", "1119.99", "EUR", "InStock")
    assert product["other_sources"] == ["microdata", "opengraph"]
    assert product["conflicts"] == ["price", "currency"]

    bad = recs["https://shop.test/hostile"]
    assert bad["json_ld"] == [] and bad["json_ld_errors"] == 1
    assert bad["microdata"][0]["properties"]["x"] == "1"
    assert bad["microdata_errors"] >= 1


def test_structured_options_off(brokers, topics, tmp_path):
    pages = [("https://shop.test/anvil", PRODUCT,
              page_headers("https://shop.test/anvil"))]
    publish_pages(brokers, topics.pages, pages)
    rec = run(brokers, topics, tmp_path, pages, "--json-ld=false",
              "--microdata=false", "--opengraph-full=false",
              "--dublin-core=false", "--product=false",
              "--rdfa=false")["https://shop.test/anvil"]
    for field in ("json_ld", "microdata", "opengraph_full", "dublincore",
                  "product", "rdfa"):
        assert field not in rec, field
    assert rec["opengraph"]["type"] == "product.item"
