"""Microformats parsing rules against extruct 0.18.0 (mf2py 2.0.2).

Each tests/data/microformats/NAME.html goes through the cleaner's
extraction (build/structured_dump --record, base https://example.com/a/b)
and the record's microformats must equal NAME.json, which is extruct's
output for the same page and base (written by running extruct 0.18.0 in a
venv: extract(html, base_url=..., syntaxes=["microformat"])). The pages
cover implied name/photo/url, the value-class pattern with dt- dates and
times, nested items as property values and children, e-* HTML, srcset,
and classic roots (vcard, hentry, vevent, hproduct, hreview, adr, geo).
"""

import glob
import json
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "tests", "data", "microformats")
DUMP = os.path.join(os.environ.get("KCRAWL_BUILD", os.path.join(ROOT, "build")),
                    "structured_dump")
BASE = "https://example.com/a/b"
PAGES = sorted(glob.glob(os.path.join(DATA, "*.html")))


@pytest.mark.parametrize("page", PAGES, ids=os.path.basename)
def test_microformats_as_extruct(page):
    out = subprocess.run([DUMP, "--record", page, BASE], check=True,
                         capture_output=True, timeout=60)
    rec = json.loads(out.stdout)
    with open(page[:-5] + ".json", encoding="utf-8") as f:
        expected = json.load(f)
    assert rec.get("microformats", []) == expected


def test_page_without_microformats_has_no_field():
    page = os.path.join(DATA, "none.html.txt")
    out = subprocess.run([DUMP, "--record", page, BASE], check=True,
                         capture_output=True, timeout=60)
    rec = json.loads(out.stdout)
    assert "microformats" not in rec
    assert "microformats_errors" not in rec
