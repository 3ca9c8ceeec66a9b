"""The record's rdfa on the edge cases of tests/data/rdfa against extruct.

Each NAME.html there has NAME.json beside it: extruct 0.18.0's
RDFaExtractor().extract(page, base_url=BASE) output, written by running
extruct (in build/extruct-venv, as tests/bench/structured_speed.sh makes
it) on the page. The page goes through the cleaner's extraction
(build/structured_dump --record, extract_record()) as the page at BASE,
and the record's rdfa is compared as test_extruct_samples.py compares
extruct's RDFa samples (rdfa_normal: lists as multisets, blank nodes
relabelled, XML literals canonical).
"""

import glob
import json
import os
import subprocess

import pytest

from test_extruct_samples import DUMP, ROOT, rdfa_normal

BASE = "http://www.example.com/dir/page.html"
CASES = sorted(glob.glob(os.path.join(ROOT, "tests", "data", "rdfa",
                                      "*.html")))


@pytest.mark.parametrize("html", CASES, ids=os.path.basename)
def test_rdfa_case(html):
    out = subprocess.run([DUMP, "--record", html, BASE], check=True,
                         capture_output=True, timeout=60)
    got = json.loads(out.stdout).get("rdfa", [])
    with open(html[:-5] + ".json", encoding="utf-8") as f:
        want = json.load(f)
    assert rdfa_normal(got) == rdfa_normal(want)


def test_product_from_rdfa():
    """A page whose product is in RDFa only: `product` reads it (source
    "rdfa"); the values as the page gives them (typed-property.html)."""
    html = os.path.join(ROOT, "tests", "data", "rdfa", "typed-property.html")
    out = subprocess.run([DUMP, "--record", html, BASE], check=True,
                         capture_output=True, timeout=60)
    p = json.loads(out.stdout)["product"]
    assert (p["source"], p["name"], p["brand"], p["price"], p["currency"],
            p["availability"], p["images"]) == (
        "rdfa", "Shoe", "ACME", "49.99", "USD", "InStock",
        ["http://www.example.com/img/shoe.jpg"])
    assert p["other_sources"] == []
