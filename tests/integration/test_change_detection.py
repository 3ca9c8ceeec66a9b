"""Change detection (docs/architecture.md, "The state topic"): each record
says whether the page's content changed since the URL's last fetch.

The cleaner digests main_text (the body when there is none), compares it
with the previous digest the fetcher passes in the page headers
(prev_content_sha256, from the URL's crawl state) and writes the new one
back as a content state on the state topic (key content:URL, partitioned
by the URL's host key), which the fetcher owning the host merges while it
runs. So the second fetch of a URL in the same run knows the first:

  main text changed            second record changed: true
  only a timestamp changed     changed: false (the raw body differs)
  304 Not Modified             changed: false, the previous digest
  first fetch                  changed: null
  product price/availability   product_change {"price": {"from", "to"}}

URLs are http://chg.state.test/... on a virtual host, sent to one local
server by --connect-to. Each test fetches its URLs twice: the second round
is published once the fetcher has merged the first round's content states
(kcrawl_fetcher_state_content_merged_total).
"""

import json
import time
import uuid

import pytest

from conftest import Proc, assert_valid, check_page, check_record, consume, publish, read_all
from fetcher_helpers import free_port
from hostile_server import HostileServer
from test_fetcher_state import cleaner_args, fetcher_args, metric_value, wait_for

HOST = "chg.state.test"


@pytest.fixture
def server():
    s = HostileServer("127.0.0.1")
    yield s
    s.stop()


def article(main, stamp, extra_head=""):
    """An article whose main content is `main`; `stamp` changes on every
    render in the places a real site's does (a comment, a hidden token, a
    script), none of them main content."""
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            f"<title>Lamp news</title>{extra_head}"
            f"<script>var rendered = '{stamp}';</script></head><body>"
            f"<!-- generated {stamp} -->"
            f"<nav><a href=/>Home</a> <a href=/shop>Shop</a></nav>"
            f"<article><h1>Lamp news</h1>"
            f"<p>{main} This paragraph is long enough to be the main "
            f"content of the page, as an article's body is, with a few "
            f"sentences of text that a reader would come to read.</p>"
            f"<p>A second paragraph of the article keeps it the main "
            f"content, whatever the boilerplate around it says.</p>"
            f"</article><form><input type=hidden name=csrf value='{stamp}'>"
            f"</form></body></html>").encode()


def product_page(price, availability, stamp):
    ld = {"@context": "https://schema.org", "@type": "Product", "name": "Desk lamp",
          "sku": "L-1",
          "offers": {"@type": "Offer", "price": price, "priceCurrency": "EUR",
                     "availability": f"https://schema.org/{availability}"}}
    return article(f"The desk lamp, {price} EUR.", stamp,
                   f'<script type="application/ld+json">{json.dumps(ld)}</script>')


def two_rounds(brokers, topics, server, tmp_path, names, change, cleaner_extra=()):
    """Fetches /doc/NAME (or the path NAME when it starts with /) for each
    name, calls change(), fetches them again; returns {name: (first
    record, second record)} and the second round's pages."""
    urls = {n: f"http://{HOST}{n if n.startswith('/') else '/doc/' + n}" for n in names}
    maddr = f"127.0.0.1:{free_port()}"
    group = "gcd" + uuid.uuid4().hex[:10]
    f = Proc("fetcher", fetcher_args(brokers, topics, group + "-f", server,
                                     "--metrics-addr", maddr), tmp_path)
    cl = Proc("cleaner", [*cleaner_args(brokers, topics, group + "-c"),
                          "--state-topic", topics.state, *cleaner_extra], tmp_path)
    procs = [f, cl]
    try:
        publish(brokers, topics.urls, [{"url": u, "id": f"{n}-1"} for n, u in urls.items()])
        first = consume(brokers, topics.records, len(urls), procs=procs)
        assert len(first) == len(urls), f.log_tail() + cl.log_tail()
        # The cleaner's content states reached the fetcher's table.
        wait_for(lambda: (metric_value(maddr, "kcrawl_fetcher_state_content_merged_total")
                          or 0) >= len(urls),
                 f"{len(urls)} content states merged", procs)
        change()
        publish(brokers, topics.urls, [{"url": u, "id": f"{n}-2"} for n, u in urls.items()])
        recs = consume(brokers, topics.records, 2 * len(urls), procs=procs)
        assert len(recs) == 2 * len(urls), f.log_tail() + cl.log_tail()
        pages = consume(brokers, topics.pages, 2 * len(urls), procs=procs)
        f.stop()
        cl.stop()
    finally:
        for pr in procs:
            pr.kill()
    by_id = {}
    for m in recs:
        rec = check_record(m)
        by_id[rec["id"]] = rec
    for m in pages:
        check_page(m)
    states = read_all(brokers, topics.state)
    for m in states:
        assert_valid("state", json.loads(m.value), f"state message {m.key}")
    return {n: (by_id[f"{n}-1"], by_id[f"{n}-2"]) for n in names}, pages


@pytest.mark.parametrize("mode", ["at-least-once", "exactly-once"])
def test_change_main_text_changed(brokers, topics, server, tmp_path, mode):
    """The main text changed between the fetches: the second record says
    changed: true, with another content_sha256; the first says null. With
    --exactly-once the content state goes in the record's transaction."""
    server.docs["a"] = article("Version one of the news.", "10:00:01")
    extra = ["--exactly-once"] if mode == "exactly-once" else []
    out, _ = two_rounds(brokers, topics, server, tmp_path, ["a"],
                        lambda: server.docs.update(a=article("Version two of the news.",
                                                             "10:00:02")),
                        extra)
    first, second = out["a"]
    assert first["changed"] is None, first
    assert second["changed"] is True, second
    assert first["content_sha256"] != second["content_sha256"]
    assert "Version two" in second["main_text"]
    assert "product_change" not in second


def test_change_timestamp_only_is_unchanged(brokers, topics, server, tmp_path):
    """Only what changes on every render changed (a comment, a token, a
    script): the bodies differ, the main text does not: changed: false."""
    server.docs["b"] = article("The same news.", "10:00:01")
    out, pages = two_rounds(brokers, topics, server, tmp_path, ["b"],
                            lambda: server.docs.update(b=article("The same news.",
                                                                 "11:59:59")))
    first, second = out["b"]
    assert pages[0].value != pages[1].value, "the bodies should differ"
    assert first["changed"] is None, first
    assert second["changed"] is False, second
    assert first["content_sha256"] == second["content_sha256"]


def test_change_not_modified_is_unchanged(brokers, topics, server, tmp_path):
    """A 304 to the conditional request: a record with the identity
    fields, the previous digest and changed: false."""
    out, pages = two_rounds(brokers, topics, server, tmp_path, ["/etag/c"], lambda: None)
    first, second = out["/etag/c"]
    assert pages[1].headers["status"] == "304", pages[1].headers
    assert pages[1].headers.get("prev_content_sha256") == first["content_sha256"]
    assert first["changed"] is None, first
    assert second["status"] == 304
    assert second["changed"] is False, second
    assert second["content_sha256"] == first["content_sha256"]
    for k in ("url", "final_url", "fetched_at", "source_topic", "id"):
        assert second.get(k), (k, second)
    # The content state says it again, unchanged: what a recrawl
    # schedule reads from the crawl state.
    content = [json.loads(m.value) for m in read_all(brokers, topics.state)
               if m.key == b"content:" + second["url"].encode()]
    assert [c["changed"] for c in content] == [None, False], content
    assert content[1]["content_sha256"] == first["content_sha256"]


def test_change_product_price(brokers, topics, server, tmp_path):
    """A product whose price and availability changed: product_change
    from what to what; one whose price stayed: no product_change."""
    server.docs["p"] = product_page("49.99", "InStock", "10:00:01")
    server.docs["q"] = product_page("19.00", "InStock", "10:00:01")

    def change():
        server.docs["p"] = product_page("44.99", "OutOfStock", "10:00:02")
        server.docs["q"] = product_page("19.00", "InStock", "10:00:02")

    out, _ = two_rounds(brokers, topics, server, tmp_path, ["p", "q"], change)
    first, second = out["p"]
    assert first["product"]["price"] == "49.99", first["product"]
    assert "product_change" not in first
    assert second["product_change"] == {
        "price": {"from": "49.99", "to": "44.99"},
        "availability": {"from": "InStock", "to": "OutOfStock"},
    }, second.get("product_change")
    assert second["changed"] is True
    q1, q2 = out["q"]
    assert "product_change" not in q2, q2.get("product_change")
    assert q2["changed"] is False


def test_change_known_after_restart(brokers, topics, server, tmp_path):
    """The content state outlives the fetcher: a new fetcher (a restart,
    or the host's next owner) merges it when it loads its partitions, so
    the first fetch it makes of a URL cleaned before knows the last
    content."""
    server.docs["r"] = article("Before the restart.", "10:00:01")
    server.docs["s"] = article("Stays the same.", "10:00:01")
    urls = {n: f"http://{HOST}/doc/{n}" for n in ("r", "s")}
    group = "gcr" + uuid.uuid4().hex[:10]
    cl = Proc("cleaner", [*cleaner_args(brokers, topics, group + "-c"),
                          "--state-topic", topics.state], tmp_path)
    f = Proc("fetcher", fetcher_args(brokers, topics, group + "-f", server), tmp_path)
    procs = [f, cl]
    try:
        publish(brokers, topics.urls, [{"url": u, "id": f"{n}-1"} for n, u in urls.items()])
        assert len(consume(brokers, topics.records, 2, procs=procs)) == 2, cl.log_tail()
        wait_for(lambda: sum(1 for m in read_all(brokers, topics.state)
                             if m.key.startswith(b"content:")) == 2,
                 "2 content states on the state topic", procs)
        f.stop()
        maddr = f"127.0.0.1:{free_port()}"
        f = Proc("fetcher", fetcher_args(brokers, topics, group + "-f", server,
                                         "--metrics-addr", maddr), tmp_path)
        procs[0] = f
        wait_for(lambda: metric_value(maddr, "kcrawl_fetcher_state_content_merged_total")
                 == 2.0, "2 content states loaded", procs)
        server.docs["r"] = article("After the restart.", "10:00:02")
        server.docs["s"] = article("Stays the same.", "10:00:02")
        publish(brokers, topics.urls, [{"url": u, "id": f"{n}-2"} for n, u in urls.items()])
        recs = consume(brokers, topics.records, 4, procs=procs)
        assert len(recs) == 4, f.log_tail() + cl.log_tail()
        f.stop()
        cl.stop()
    finally:
        for pr in procs:
            pr.kill()
    by_id = {r["id"]: r for r in map(check_record, recs)}
    assert by_id["r-1"]["changed"] is None and by_id["s-1"]["changed"] is None
    assert by_id["r-2"]["changed"] is True, by_id["r-2"]
    assert by_id["s-2"]["changed"] is False, by_id["s-2"]


def test_change_invalid_content_state_dead_lettered(brokers, topics, server, tmp_path):
    """A content state that is not valid (another version, a url that is
    not its key's) is dead-lettered as invalid_state with its origin; the
    URL's record then says changed: null."""
    from confluent_kafka import Producer

    from conftest import PARTITIONS, check_error, error_input, murmur2_partition

    url = f"http://{HOST}/doc/bad"
    server.docs["bad"] = article("Some news.", "10:00:01")
    part = murmur2_partition(HOST.encode(), PARTITIONS)
    bad = [json.dumps({"v": 9, "kind": "content", "url": url}).encode(),
           json.dumps({"v": 1, "kind": "content", "url": url + "x",
                       "content_sha256": "0" * 64}).encode()]
    p = Producer({"bootstrap.servers": brokers})
    for v in bad:
        p.produce(topics.state, key=b"content:" + url.encode(), value=v, partition=part)
    assert p.flush(30) == 0
    group = "gci" + uuid.uuid4().hex[:10]
    f = Proc("fetcher", fetcher_args(brokers, topics, group + "-f", server), tmp_path)
    cl = Proc("cleaner", [*cleaner_args(brokers, topics, group + "-c"),
                          "--state-topic", topics.state], tmp_path)
    procs = [f, cl]
    try:
        errs = consume(brokers, topics.errors, 2, procs=procs)
        assert len(errs) == 2, f.log_tail()
        for i, m in enumerate(sorted(errs, key=lambda m: json.loads(m.value)["offset"])):
            check_error(m)
            e = json.loads(m.value)
            assert e["code"] == "invalid_state", e
            assert (e["topic"], e["partition"], e["offset"]) == (topics.state, part, i)
            assert error_input(e) == bad[i]
        publish(brokers, topics.urls, [{"url": url, "id": "bad-1"}])
        recs = consume(brokers, topics.records, 1, procs=procs)
        assert len(recs) == 1, cl.log_tail()
        f.stop()
        cl.stop()
    finally:
        for pr in procs:
            pr.kill()
    rec = check_record(recs[0])
    assert rec["changed"] is None, rec
