"""The cleaner's per-page bounds on a real broker: pages built to cost a
worker time (a tag with 300,000 attributes, a deep stack of open elements
with stray end tags, through the SAX and the DOM front ends) end as
`parse_timeout` within a bounded time and the same worker goes on with the
next page; a page nested past libxml2's tree-builder depth keeps its text
and rule fields; --follow on a page with many links and a big meta keeps
the cleaner's memory bounded.

Every wait polls Kafka or /proc until a condition holds or a deadline
passes; nothing sleeps for a fixed time.
"""

import json
import time
import uuid

from confluent_kafka import Producer

from conftest import check_error, check_record, consume, proc_status_kib
from test_cleaner_stage import cleaner, page_headers, page_html, stop_all

# Before the budget, the 300,000-attribute tag alone took a worker some
# 160 s and the stray-end-tag page minutes: well past this.
BOUNDED_S = 40


def publish_pages(brokers, topic, pages):
    """As test_cleaner_stage's, for pages over the client's default 1 MB."""
    p = Producer({"bootstrap.servers": brokers, "linger.ms": 5,
                  "message.max.bytes": 16 * 1024 * 1024, "compression.type": "lz4"})
    failures = []
    for url, body, hdrs in pages:
        p.produce(topic, value=body, key=url.encode(), headers=list(hdrs.items()),
                  on_delivery=lambda err, msg: err and failures.append(err))
        p.poll(0)
    assert p.flush(60) == 0, "pages not delivered"
    assert not failures, failures


def attrs_page(n):
    return ("<!DOCTYPE html><html><body><p " +
            " ".join(f"a{i}=1" for i in range(n)) + ">x</p></body></html>").encode()


def stray_end_tags_page(n):
    # n open elements, then n end tags matching none of them: libxml2
    # searches its whole stack of open elements for each (n^2), with no SAX
    # callback in between, only an error report.
    return ("<!DOCTYPE html><html><body>" + "<b>" * n + "</x>" * n).encode()


def test_page_timeout_and_next_page(brokers, topics, tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [{"name": "dom", "hosts": ["dom.test"],
                                            "fields": {"title": "//title"}}]}))
    pages = [
        ("http://sax.test/attrs", attrs_page(300000), page_headers("http://sax.test/attrs")),
        ("http://sax.test/stray", stray_end_tags_page(200000),
         page_headers("http://sax.test/stray")),
        ("http://dom.test/attrs", attrs_page(300000), page_headers("http://dom.test/attrs")),
        ("http://dom.test/stray", stray_end_tags_page(200000),
         page_headers("http://dom.test/stray")),
        ("http://sax.test/next", page_html(1), page_headers("http://sax.test/next")),
        ("http://dom.test/next", page_html(2), page_headers("http://dom.test/next")),
    ]
    # One worker: the pages after the costly ones are its own next pages.
    # A budget of 1 s of CPU per page (default 5 s) keeps the test short on
    # a loaded machine.
    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path,
                 "--workers", "1", "--rules", str(rules), "--page-timeout", "1000")
    try:
        t0 = time.monotonic()
        publish_pages(brokers, topics.pages, pages)
        errors = consume(brokers, topics.errors, 4, deadline=BOUNDED_S, procs=(pr,))
        records = consume(brokers, topics.records, 2,
                          deadline=max(1, BOUNDED_S - (time.monotonic() - t0)), procs=(pr,))
        took = time.monotonic() - t0
        assert len(errors) == 4, (f"{len(errors)} dead letters within {BOUNDED_S} s "
                                  f"(want 4 parse_timeout)\n{pr.log_tail()}")
        assert len(records) == 2, f"{len(records)} records after the costly pages"
        stop_all(pr)
    finally:
        pr.kill()
    assert took < BOUNDED_S
    errs = {check_error(m)["url"]: check_error(m) for m in errors}
    assert sorted(errs) == sorted(u for u, _, _ in pages[:4])
    for url, e in errs.items():
        assert e["code"] == "parse_timeout", e
        assert e["stage"] == "cleaner"
    assert "attributes" in errs["http://sax.test/attrs"]["message"]
    assert "budget" in errs["http://sax.test/stray"]["message"]
    assert "budget of 1000 ms" in errs["http://dom.test/stray"]["message"]
    recs = {check_record(m)["url"]: check_record(m) for m in records}
    assert recs["http://sax.test/next"]["title"] == "Page 1"
    assert recs["http://dom.test/next"]["fields"] == {"title": "Page 2"}


def test_rules_page_nested_deeper_than_256(brokers, topics, tmp_path):
    """With --rules the page is parsed into a tree; libxml2's tree builder
    stopped the parse at 256 open elements, so text, links and rule fields
    past that depth were lost while the same page without rules had them."""
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [{"name": "deep", "hosts": ["deep.test"],
                                            "fields": {"bottom": "//h2"}}]}))
    d = 400
    body = ("<!DOCTYPE html><html><head><title>Deep</title></head><body>" +
            "<div>" * d + "<h2>Bottom</h2><p>deep words <a href='/deep'>here</a></p>" +
            "</div>" * d + "<p>after the nest</p></body></html>").encode()
    pages = [(u, body, page_headers(u)) for u in ("http://deep.test/", "http://flat.test/")]
    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path,
                 "--rules", str(rules))
    try:
        publish_pages(brokers, topics.pages, pages)
        got = consume(brokers, topics.records, 2, procs=(pr,))
        assert len(got) == 2
        stop_all(pr)
    finally:
        pr.kill()
    recs = {check_record(m)["url"]: check_record(m) for m in got}
    with_rules, without = recs["http://deep.test/"], recs["http://flat.test/"]
    assert with_rules["fields"] == {"bottom": "Bottom"}
    assert with_rules["text"] == "Bottom deep words here after the nest"
    assert with_rules["links"] == [{"url": "http://deep.test/deep", "text": "here", "rel": None}]
    assert "fields" not in without
    for k in ("text", "word_count", "headings"):
        assert with_rules[k] == without[k], k


def test_follow_fan_out_and_meta_bounded(brokers, topics, tmp_path):
    """A 200 KB meta on a page with 2,000 same-host links: the meta was
    copied into every link message, all held at once (some 800 MB peak).
    With the defaults (--max-links-per-page 1000, --max-link-meta 16K) the
    links go without the meta, the first 1,000 are published, and the
    cleaner's peak RSS stays far below."""
    n_links, meta_bytes = 2000, 200 * 1024
    meta = json.dumps({"blob": "m" * meta_bytes})
    url = "http://fan.test/"
    body = page_html(1, [(f"/l{i}", None) for i in range(n_links)])
    small = page_html(2, [("/s1", None), ("/s2", None)])
    pages = [(url, body, page_headers(url, source_topic=topics.urls, depth=0, meta=meta)),
             ("http://fan.test/small", small,
              page_headers("http://fan.test/small", source_topic=topics.urls, depth=0,
                           meta=json.dumps({"k": "v"})))]
    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path,
                 "--workers", "1", "--follow")
    try:
        publish_pages(brokers, topics.pages, pages)
        got = consume(brokers, topics.records, 2, procs=(pr,))
        assert len(got) == 2
        links = consume(brokers, topics.urls, 1002, deadline=60, procs=(pr,))
        peak_mb = proc_status_kib(pr.p.pid, "VmHWM") / 1024
        stop_all(pr)
    finally:
        pr.kill()
    print(f"cleaner peak RSS {peak_mb:.0f} MB")
    assert peak_mb < 200, f"cleaner peak RSS {peak_mb:.0f} MB"
    by_page = {}
    for m in links:
        v = m.json()
        by_page.setdefault(m.headers.get("followed_from"), []).append(v)
    big = by_page[url]
    assert len(big) == 1000, len(big)
    assert [v["url"] for v in big] == [f"http://fan.test/l{i}" for i in range(1000)]
    assert all("meta" not in v for v in big)
    # a small meta is still carried
    assert [v["meta"] for v in by_page["http://fan.test/small"]] == [{"k": "v"}] * 2
