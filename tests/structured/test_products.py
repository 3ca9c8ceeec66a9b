"""The record's `product` on real product pages and on price texts.

wcxb_products.json holds, for a dozen product pages of
../shared/testdata/wcxb-dev (page_type product), the values read by hand
from each page's own structured data (its JSON-LD Product and Offer); the
page goes through the cleaner's extraction (build/structured_dump
--record) and each listed field of the record's `product` must equal it.
"""

import gzip
import json
import os
import subprocess
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WCXB = os.environ.get("KCRAWL_WCXB", "/work/shared/testdata/wcxb-dev")
BUILD = os.environ.get("KCRAWL_BUILD", os.path.join(ROOT, "build"))
DUMP = os.path.join(BUILD, "structured_dump")

with open(os.path.join(HERE, "wcxb_products.json"), encoding="utf-8") as f:
    EXPECTED = json.load(f)


def page_url(page_id):
    with gzip.open(os.path.join(WCXB, "ground-truth.jsonl.gz"), "rt",
                   encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["id"] == page_id:
                return row["url"]
    raise KeyError(page_id)


def record(html, url, tmp_path):
    path = os.path.join(tmp_path, "page.html")
    with open(path, "wb") as f:
        f.write(html)
    mode = [] if os.environ.get("KCRAWL_STRUCTURED_MODULES") else ["--record"]
    out = subprocess.run([DUMP] + mode + [path, url], check=True,
                         capture_output=True, timeout=60)
    return json.loads(out.stdout)


@pytest.mark.parametrize("page_id", sorted(EXPECTED))
def test_wcxb_product(page_id, tmp_path):
    with gzip.open(os.path.join(WCXB, "html", page_id + ".html.gz")) as f:
        html = f.read()
    product = record(html, page_url(page_id), str(tmp_path)).get("product")
    assert product is not None
    for field, want in EXPECTED[page_id].items():
        assert product.get(field) == want, field


PAGE = """<html><head>%s</head><body>%s</body></html>"""


@pytest.mark.parametrize("price,currency,want_price,want_currency", [
    ("1.234,56 \u20ac", None, "1234.56", "EUR"),
    ("$49.99", None, "49.99", "USD"),
    ("1,299.00", "usd", "1299.00", "USD"),
    ("12,50", "EUR", "12.50", "EUR"),
    ("CHF 1'250.-", None, "1250", "CHF"),
    ("\u00a3 7", None, "7", "GBP"),
])
def test_price_normalised(price, currency, want_price, want_currency,
                          tmp_path):
    offer = {"@type": "Offer", "price": price,
             "availability": "https://schema.org/OutOfStock"}
    if currency:
        offer["priceCurrency"] = currency
    block = json.dumps({"@context": "https://schema.org", "@type": "Product",
                        "name": "A", "offers": offer})
    html = PAGE % ("", '<script type="application/ld+json">%s</script>'
                   % block)
    product = record(html.encode(), "https://shop.example/p",
                     str(tmp_path))["product"]
    assert (product["price"], product["currency"], product["availability"]) \
        == (want_price, want_currency, "OutOfStock")


def test_listing_is_not_a_product(tmp_path):
    blocks = "".join(
        '<script type="application/ld+json">%s</script>' % json.dumps(
            {"@context": "https://schema.org", "@type": "Product",
             "name": "item %d" % i}) for i in range(5))
    html = PAGE % ("", blocks)
    assert record(html.encode(), "https://shop.example/c",
                  str(tmp_path))["product"] is None


def test_sources_disagree(tmp_path):
    head = ('<meta property="og:type" content="product">'
            '<meta property="product:price:amount" content="10.00">'
            '<meta property="product:price:currency" content="USD">')
    block = json.dumps({"@context": "https://schema.org", "@type": "Product",
                        "name": "A", "offers": {"@type": "Offer",
                                                "price": "12",
                                                "priceCurrency": "USD"}})
    html = PAGE % (head, '<script type="application/ld+json">%s</script>'
                   % block)
    product = record(html.encode(), "https://shop.example/p",
                     str(tmp_path))["product"]
    assert product["source"] == "json-ld"
    assert product["price"] == "12"
    assert product["other_sources"] == ["opengraph"]
    assert product["conflicts"] == ["price"]
