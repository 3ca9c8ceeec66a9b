"""Robots directives and the TDM reservation in the cleaner, end to end:
X-Robots-Tag values (the page header x_robots_tag), <meta name="robots">
and <meta name="{product token}"> merged into the record's `robots`, only
those for this crawler's token or all; nofollow from any of them stops
--follow; `tdm` from the TDMRep headers and meta; --respect-tdm turns a
page reserved by its meta into a tdm_reserved dead letter."""

import json
import uuid

from conftest import check_error, check_record, consume, read_all
from test_cleaner_stage import cleaner, page_headers, page_html, publish_pages, stop_all


def xrt(*values):
    return json.dumps(list(values))


def test_robots_directives_and_nofollow(brokers, topics, tmp_path):
    links = [("/a", None), ("/b", None)]
    meta_token = b'<meta name="KCrawl" content="noarchive">'
    pages = [
        ("http://s.test/plain", page_html(1, links), page_headers("http://s.test/plain")),
        ("http://s.test/xrt", page_html(2, links),
         page_headers("http://s.test/xrt",
                      x_robots_tag=xrt("kcrawl: nofollow",
                                       "unavailable_after: Friday, 25-Jun-2010 15:00:00 PST",
                                       "googlebot: noindex"))),
        ("http://s.test/other-bot", page_html(3, links),
         page_headers("http://s.test/other-bot", x_robots_tag=xrt("otherbot: nofollow"))),
        ("http://s.test/meta-token", page_html(4, links).replace(b"</head>", meta_token + b"</head>"),
         page_headers("http://s.test/meta-token")),
        ("http://s.test/meta-none", page_html(5, links, robots="none"),
         page_headers("http://s.test/meta-none")),
    ]
    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path, "--follow")
    try:
        publish_pages(brokers, topics.pages, pages)
        recs = consume(brokers, topics.records, len(pages), procs=(pr,))
        stop_all(pr)
    finally:
        pr.kill()
    rec = {check_record(m)["url"]: check_record(m) for m in recs}
    assert rec["http://s.test/plain"]["robots"] == {}
    assert rec["http://s.test/xrt"]["robots"] == {
        "nofollow": True, "unavailable_after": "Friday, 25-Jun-2010 15:00:00 PST"}
    assert rec["http://s.test/other-bot"]["robots"] == {}
    assert rec["http://s.test/meta-token"]["robots"] == {"noarchive": True}
    assert rec["http://s.test/meta-none"]["robots"] == {
        "noindex": True, "nofollow": True, "none": True}
    followed = {m.headers["followed_from"] for m in read_all(brokers, topics.urls)}
    assert followed == {"http://s.test/plain", "http://s.test/other-bot",
                        "http://s.test/meta-token"}, followed


def tdm_page(i, reservation=None, policy=None):
    head = ""
    if reservation is not None:
        head += f'<meta name="tdm-reservation" content="{reservation}">'
    if policy is not None:
        head += f'<meta name="tdm-policy" content="{policy}">'
    return page_html(i).replace(b"</head>", head.encode() + b"</head>")


def tdm_pages():
    return [
        ("http://t.test/none", tdm_page(1), page_headers("http://t.test/none")),
        ("http://t.test/header", tdm_page(2),
         page_headers("http://t.test/header", tdm_reservation="1",
                      tdm_policy="https://t.test/policy.json")),
        ("http://t.test/meta", tdm_page(3, "1", "https://t.test/p2.json"),
         page_headers("http://t.test/meta")),
        ("http://t.test/open", tdm_page(4, "0"), page_headers("http://t.test/open")),
    ]


def test_tdm_field(brokers, topics, tmp_path):
    pages = tdm_pages()
    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path)
    try:
        publish_pages(brokers, topics.pages, pages)
        recs = consume(brokers, topics.records, len(pages), procs=(pr,))
        stop_all(pr)
    finally:
        pr.kill()
    rec = {check_record(m)["url"]: check_record(m) for m in recs}
    assert rec["http://t.test/none"]["tdm"] == {"reserved": None, "policy": None}
    assert rec["http://t.test/header"]["tdm"] == {
        "reserved": True, "policy": "https://t.test/policy.json"}
    assert rec["http://t.test/meta"]["tdm"] == {
        "reserved": True, "policy": "https://t.test/p2.json"}
    assert rec["http://t.test/open"]["tdm"] == {"reserved": False, "policy": None}


def test_respect_tdm_meta_dead_letter(brokers, topics, tmp_path):
    pages = tdm_pages()
    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path, "--respect-tdm")
    try:
        publish_pages(brokers, topics.pages, pages)
        recs = consume(brokers, topics.records, 2, procs=(pr,))
        errs = consume(brokers, topics.errors, 2, procs=(pr,))
        stop_all(pr)
    finally:
        pr.kill()
    assert {check_record(m)["url"] for m in recs} == {"http://t.test/none",
                                                      "http://t.test/open"}
    got = {(check_error(m)["url"], check_error(m)["code"], check_error(m)["stage"])
           for m in errs}
    assert got == {("http://t.test/header", "tdm_reserved", "cleaner"),
                   ("http://t.test/meta", "tdm_reserved", "cleaner")}
