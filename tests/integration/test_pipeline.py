"""The pipeline end to end on a real broker: URL messages in, pages,
records and errors out, checked against the schemas and the design's
contracts (design.md: topics, keys, headers, record and error formats).

Each test publishes what it needs, starts build/fetcher and build/cleaner on
its own topics, waits (polling, bounded) for the outcomes it expects, stops
both with SIGTERM (each must exit 0 within 30 s), then reads every topic to
its end and asserts exact counts, so that an extra or a missing message
fails the test.
"""

import json

from conftest import (CONSUME_DEADLINE, SITE_DIR, check_error, check_page,
                      check_record, consume, error_input, publish, read_all)

N = 20

TITLES = ["Apples", "Bridges", "Clouds", "Dunes", "Engines", "Forests", "Glaciers",
          "Harbours", "Islands", "Jungles", "Kites", "Lighthouses", "Mountains",
          "Nebulae", "Oceans", "Prairies", "Quarries", "Rivers", "Savannas", "Tundras"]


def expected_page(site, i):
    """What the cleaner must extract from tests/site/page-NN.html."""
    t = TITLES[i - 1]
    nxt, prv = i % N + 1, (i - 2) % N + 1
    return {
        "title": f"Page {i:02d}: {t}",
        "description": f"All about {t.lower()}, page {i} of the kcrawl test site.",
        "links": [  # mailto: and javascript: links (page 5) are not http(s)
            {"url": site.url(f"page-{nxt:02d}.html"), "text": "Next", "rel": "next"},
            {"url": site.url(f"page-{prv:02d}.html"), "text": "Previous", "rel": None},
            {"url": site.url(f"index.html?from={i}"), "text": "Home", "rel": None},
        ],
        "json_ld": [{"@context": "https://schema.org", "@type": "Article",
                     "headline": t, "position": i}],
        "canonical": site.url(f"page-{i:02d}.html"),
        "lang": "en",
        "h1": t,
    }


def url_messages(site):
    """N URL messages for the site's pages: bare lines (some with
    surrounding whitespace) and JSON objects with id/meta/depth in several
    combinations. Returns (messages, expected passthrough per URL)."""
    msgs, want = [], {}
    metas = [{"campaign": "c1", "n": 1}, ["a", 2, None], "plain", 42.5, {"nested": {"k": [True]}}]
    for i in range(1, N + 1):
        url = site.url(f"page-{i:02d}.html")
        kind = i % 4
        if kind == 0:
            msgs.append(url)
            want[url] = {}
        elif kind == 1:
            msgs.append(f"  {url}\n")
            want[url] = {}
        elif kind == 2:
            m = {"url": url, "id": f"id-{i}", "meta": metas[i % len(metas)], "depth": i % 3}
            msgs.append(m)
            want[url] = {k: v for k, v in m.items() if k != "url"}
        else:
            m = {"url": url, "id": f"only-id-{i}"}
            msgs.append(m)
            want[url] = {"id": m["id"]}
    return msgs, want


def read_outcomes(brokers, topics):
    """Every page, record and error, schema-checked, after the pipeline has
    stopped."""
    pages = read_all(brokers, topics.pages)
    records = read_all(brokers, topics.records)
    errors = read_all(brokers, topics.errors)
    page_h = [(m, check_page(m)) for m in pages]
    recs = [(m, check_record(m)) for m in records]
    errs = [(m, check_error(m)) for m in errors]
    return page_h, recs, errs


def assert_passthrough(obj, want, what, decode_headers=False):
    for k in ("id", "meta", "depth"):
        if k in want:
            assert k in obj, f"{what}: {k} missing, want {want[k]!r}"
            got = obj[k]
            if decode_headers and k == "meta":
                got = json.loads(got)
            elif decode_headers and k == "depth":
                got = int(got)
            assert got == want[k], f"{what}: {k}={got!r}, want {want[k]!r}"
        else:
            assert obj.get(k) is None, f"{what}: {k}={obj.get(k)!r} but the URL message had none"


def test_end_to_end(brokers, topics, site, pipeline):
    msgs, want = url_messages(site)
    pub = publish(brokers, topics.urls, msgs)
    assert len(pub) == N

    fetcher = pipeline.fetcher()
    cleaner = pipeline.cleaner()
    got = consume(brokers, topics.records, N, procs=(fetcher, cleaner))
    assert len(got) == N, (f"{len(got)} records of {N} within {CONSUME_DEADLINE} s; "
                           f"errors: {[m.value for m in read_all(brokers, topics.errors)]}")
    pipeline.stop_all()

    pages, records, errors = read_outcomes(brokers, topics)
    assert errors == [], f"unexpected errors: {[e for _, e in errors]}"
    assert len(pages) == N, f"{len(pages)} pages, want {N}"
    assert len(records) == N, f"{len(records)} records, want {N}"

    # Pages: keyed by URL, body as served, the full header set.
    seen_pages = {}
    for m, h in pages:
        url = h["url"]
        assert m.key == url.encode(), f"page key {m.key!r} != url {url!r}"
        assert url in want, f"page for unpublished URL {url}"
        assert url not in seen_pages, f"two pages for {url}"
        seen_pages[url] = h
        i = int(url[-7:-5])
        assert m.value == (SITE_DIR / f"page-{i:02d}.html").read_bytes(), f"body of {url}"
        assert h["status"] == "200"
        assert h["final_url"] == url
        assert h["content_type"].startswith("text/html"), h
        assert h["source_topic"] == topics.urls
        assert h["attempts"] == "1"
        for k in ("elapsed_ms",):
            assert k in h, f"page header {k} missing: {h}"
        assert_passthrough(h, want[url], f"page headers of {url}", decode_headers=True)

    # Records: keyed by URL, one per URL, the page's content extracted.
    seen = {}
    for m, r in records:
        url = r["url"]
        assert m.key == url.encode(), f"record key {m.key!r} != url {url!r}"
        assert url in want, f"record for unpublished URL {url}"
        assert url not in seen, f"two records for {url}"
        seen[url] = r
        i = int(url[-7:-5])
        exp = expected_page(site, i)
        assert r["status"] == 200
        assert r["final_url"] == url
        assert r["fetched_at"] == seen_pages[url]["fetched_at"]
        assert r["source_topic"] == topics.urls
        assert r["content_type"].startswith("text/html")
        assert r["title"] == exp["title"]
        assert r["description"] == exp["description"]
        assert r["lang"] == exp["lang"]
        assert r["canonical"] == exp["canonical"]
        assert r["links"] == exp["links"], f"links of {url}: {r['links']}"
        assert r["json_ld"] == exp["json_ld"]
        assert r.get("json_ld_errors", 0) == 0
        assert {"level": 1, "text": exp["h1"]} in r["headings"]
        assert {"level": 2, "text": "See also"} in r["headings"]
        assert exp["h1"].lower() in r["text"].lower()
        assert r["word_count"] >= 10
        assert [im["src"] for im in r["images"]] == [site.url(f"img/{exp['h1'].lower()}.png")]
        assert r["opengraph"].get("og:title", r["opengraph"].get("title")) == exp["h1"]
        assert_passthrough(r, want[url], f"record of {url}")
    assert set(seen) == set(want)


def test_404_gives_record(brokers, topics, site, pipeline):
    url = site.url("no-such-page.html")
    publish(brokers, topics.urls, [url])
    fetcher, cleaner = pipeline.fetcher(), pipeline.cleaner()
    got = consume(brokers, topics.records, 1, procs=(fetcher, cleaner))
    assert len(got) == 1, f"no record for {url}; errors: " \
        f"{[m.value for m in read_all(brokers, topics.errors)]}"
    pipeline.stop_all()

    pages, records, errors = read_outcomes(brokers, topics)
    assert errors == []
    assert len(pages) == 1 and len(records) == 1
    assert pages[0][1]["status"] == "404"
    rec = records[0][1]
    assert rec["url"] == url
    assert rec["status"] == 404
    assert records[0][0].key == url.encode()


def test_unreachable_gives_connect_failed(brokers, topics, site, pipeline):
    url = "http://127.0.0.1:1/"  # nothing listens on port 1
    pub = publish(brokers, topics.urls, [url])[0]
    # Without robots.txt checks: with them, an unreachable host ends as
    # robots_unreachable after robots retries (tested with the fetcher).
    fetcher, cleaner = pipeline.fetcher("--robots=false"), pipeline.cleaner()
    got = consume(brokers, topics.errors, 1, procs=(fetcher, cleaner))
    assert len(got) == 1, f"no error for {url} within {CONSUME_DEADLINE} s"
    pipeline.stop_all()

    pages, records, errors = read_outcomes(brokers, topics)
    assert pages == [] and records == []
    assert len(errors) == 1
    m, err = errors[0]
    assert err["stage"] == "fetcher"
    assert err["code"] == "connect_failed", err
    assert err["url"] == url
    assert err["topic"] == topics.urls
    assert err["partition"] == pub.partition
    assert err["offset"] == pub.offset
    assert error_input(err) == url.encode()
    assert err.get("input_truncated", False) is False
    assert m.key == url.encode()


def test_invalid_url_messages(brokers, topics, site, pipeline):
    bad = [("somekey", "not a url"),
           ("otherkey", {"depth": 1, "id": "no-url"})]
    good = site.url("page-01.html")
    pub = publish(brokers, topics.urls, bad + [good])
    fetcher, cleaner = pipeline.fetcher(), pipeline.cleaner()
    got = consume(brokers, topics.errors, 2, procs=(fetcher, cleaner))
    assert len(got) == 2, f"{len(got)} errors of 2: {[m.value for m in got]}"
    # The valid URL published after them still makes it: they did not block.
    assert len(consume(brokers, topics.records, 1, procs=(fetcher, cleaner))) == 1
    pipeline.stop_all()

    pages, records, errors = read_outcomes(brokers, topics)
    assert len(pages) == 1 and len(records) == 1
    assert records[0][1]["url"] == good
    assert len(errors) == 2
    by_offset = {(e["partition"], e["offset"]): (m, e) for m, e in errors}
    for p, want_code in zip(pub[:2], ("invalid_url", "invalid_message")):
        assert (p.partition, p.offset) in by_offset, f"no error for {p}: {by_offset}"
        m, e = by_offset[(p.partition, p.offset)]
        assert e["stage"] == "fetcher"
        assert e["code"] in ("invalid_url", "invalid_message"), e
        assert e["code"] == want_code, e
        assert e["topic"] == topics.urls
        assert error_input(e) == (p.value if isinstance(p.value, bytes) else p.value.encode())
        # Keyed by the URL when known, else by the input's key (an invalid
        # URL may count as "known" and key its error itself).
        allowed = {p.key.encode()} | ({e["url"].encode()} if "url" in e else set())
        assert m.key in allowed, f"error key {m.key!r}, want one of {allowed}"


def test_redirect_final_url(brokers, topics, site, pipeline):
    url = site.url("redirect/page-03.html")
    final = site.url("page-03.html")
    publish(brokers, topics.urls, [url])
    fetcher, cleaner = pipeline.fetcher(), pipeline.cleaner()
    assert len(consume(brokers, topics.records, 1, procs=(fetcher, cleaner))) == 1
    pipeline.stop_all()

    pages, records, errors = read_outcomes(brokers, topics)
    assert errors == [] and len(pages) == 1 and len(records) == 1
    h = pages[0][1]
    assert (h["url"], h["final_url"], h["status"]) == (url, final, "200")
    assert pages[0][0].key == url.encode()
    rec = records[0][1]
    assert (rec["url"], rec["final_url"], rec["status"]) == (url, final, 200)
    # Links resolve against the final URL, not the requested one.
    assert rec["links"] == expected_page(site, 3)["links"]


def test_wrong_partition_is_reproduced(brokers, topics, site, pipeline):
    """A URL published with a wrong key (so, in general, on the wrong
    partition) is re-produced with its host key to murmur2's partition and
    committed instead of fetched; the copy is fetched once."""
    from conftest import PARTITIONS, murmur2_partition
    url = site.url("page-04.html")
    right = murmur2_partition(site.host_key.encode(), PARTITIONS)
    wrong_key = next(k for k in (f"wrong{i}" for i in range(100))
                     if murmur2_partition(k.encode(), PARTITIONS) != right)
    pub = publish(brokers, topics.urls, [(wrong_key, url)])[0]
    assert pub.partition != right
    fetcher, cleaner = pipeline.fetcher(), pipeline.cleaner()
    assert len(consume(brokers, topics.records, 1, procs=(fetcher, cleaner))) == 1
    pipeline.stop_all()

    pages, records, errors = read_outcomes(brokers, topics)
    assert errors == [] and len(pages) == 1 and len(records) == 1
    assert records[0][1]["url"] == url
    urls = read_all(brokers, topics.urls)
    assert len(urls) == 2, f"want the original and one re-produced copy: {urls}"
    copy = [m for m in urls if (m.partition, m.offset) != (pub.partition, pub.offset)][0]
    assert copy.key == site.host_key.encode()
    assert copy.partition == right


def test_non_utf8_input_is_base64(brokers, topics, site, pipeline):
    raw = b"http://\xff\xfe.invalid/\x80"
    pub = publish(brokers, topics.urls, [("binkey", raw)])[0]
    fetcher, cleaner = pipeline.fetcher(), pipeline.cleaner()
    got = consume(brokers, topics.errors, 1, procs=(fetcher, cleaner))
    assert len(got) == 1, "no error for a non-UTF-8 URL message"
    pipeline.stop_all()

    pages, records, errors = read_outcomes(brokers, topics)
    assert pages == [] and records == [] and len(errors) == 1
    m, e = errors[0]
    assert e["stage"] == "fetcher"
    assert e["code"] in ("invalid_url", "invalid_message"), e
    assert "input" not in e and error_input(e) == raw
    assert (e["topic"], e["partition"], e["offset"]) == (topics.urls, pub.partition, pub.offset)
    assert m.key == b"binkey"
