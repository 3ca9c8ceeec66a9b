"""Hostile messages: garbage on every input topic, on a real broker.

The fetcher reads the URL topic and the delay topic; the cleaner reads the
pages topic. Each gets empty values, non-UTF-8, JSON of the wrong types,
1 MB URLs, URLs with spaces and control bytes, unknown schemes; the pages
topic also gets pages missing their required headers, bad header values,
an over-size page, and pages whose headers lie about their charset.

Every bad message ends on the errors topic with the original bytes (input,
or input_base64, cut at 64 KiB with input_truncated) and where it came from
(topic, partition, offset); the pages that are merely odd end as valid
UTF-8 records. Nothing crashes (both processes exit 0 on SIGTERM), and the
counts are exact: one outcome per message, no more.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from conftest import (check_error, check_record, consume, error_input, page_headers, publish,
                      read_all)

BIG_URL = "http://big.hostile.test/" + "a" * (1000 * 1000)

# (name, value bytes, the codes accepted). Keys are arbitrary.
URL_GARBAGE = [
    ("empty", b"", {"invalid_message", "invalid_url"}),
    ("blank", b"  \r\n\t ", {"invalid_message", "invalid_url"}),
    ("non-utf8", b"http://caf\xe9.hostile.test/", {"invalid_message", "invalid_url"}),
    ("non-utf8-json", b'{"url":"http://a.hostile.test/\xff"}', {"invalid_message"}),
    ("json-url-number", b'{"url": 5}', {"invalid_message"}),
    ("json-no-url", b'{"depth": 1}', {"invalid_message"}),
    ("json-depth-string", b'{"url":"http://a.hostile.test/","depth":"x"}', {"invalid_message"}),
    ("json-depth-negative", b'{"url":"http://a.hostile.test/","depth":-3}', {"invalid_message"}),
    ("json-id-number", b'{"url":"http://a.hostile.test/","id":7}', {"invalid_message"}),
    ("json-array", b'["http://a.hostile.test/"]', {"invalid_message", "invalid_url"}),
    ("json-truncated", b'{"url":"http://a.hostile.test/"', {"invalid_message", "invalid_url"}),
    ("json-null", b"null", {"invalid_message", "invalid_url"}),
    ("nul-bytes", b"\x00\x00\x00", {"invalid_message", "invalid_url"}),
    ("1mb-url", BIG_URL.encode(), {"invalid_message", "invalid_url"}),
    ("space-in-host", b"http://exa mple.hostile.test/", {"invalid_url"}),
    ("control-in-host", b"http://a\x01b.hostile.test/", {"invalid_url"}),
    ("nul-in-host", b"http://a\x00b.hostile.test/", {"invalid_url", "invalid_message"}),
    ("two-lines", b"http://a.hostile.test/\nhttp://b.hostile.test/", {"invalid_message", "invalid_url"}),
    ("ftp", b"ftp://a.hostile.test/x", {"unsupported_scheme"}),
    ("gopher", b"gopher://a.hostile.test/", {"unsupported_scheme"}),
    ("javascript", b"javascript:alert(1)", {"unsupported_scheme"}),
    ("mailto", b"mailto:a@hostile.test", {"unsupported_scheme"}),
    ("file-json", b'{"url":"file:///etc/passwd"}', {"unsupported_scheme"}),
    ("no-scheme", b"a.hostile.test/x", {"invalid_url"}),
    ("bad-port", b"http://a.hostile.test:99999/", {"invalid_url"}),
]

# Headers of a good page; cases drop or replace some.
def good_headers(url):
    return {"url": url, "final_url": url, "status": "200",
            "content_type": "text/html; charset=utf-8",
            "fetched_at": "2024-05-01T10:00:00.000Z", "source_topic": "x.urls"}


PAGE_BODY = b"<html><head><title>T</title></head><body><p>hi</p></body></html>"

# (name, headers (dict, list of tuples or None), body, outcome) where the
# outcome is a set of error codes, or "record".
def page_cases(max_body):
    u = "http://p.hostile.test/"
    h = good_headers
    drop = lambda *ks: {k: v for k, v in h(u).items() if k not in ks}  # noqa: E731
    return [
        ("no-headers-empty", None, b"", {"missing_header"}),
        ("no-headers", None, PAGE_BODY, {"missing_header"}),
        ("no-url", drop("url"), PAGE_BODY, {"missing_header"}),
        ("no-status", drop("status"), PAGE_BODY, {"missing_header"}),
        ("no-fetched-at", drop("fetched_at"), PAGE_BODY, {"missing_header"}),
        ("status-text", {**h(u), "status": "abc"}, PAGE_BODY, {"missing_header", "invalid_message"}),
        ("status-negative", {**h(u), "status": "-1"}, PAGE_BODY, {"invalid_message"}),
        ("status-huge", {**h(u), "status": "99999999999999999999"}, PAGE_BODY,
         {"invalid_message", "missing_header"}),
        ("url-non-utf8", [("url", b"http://p.hostile.test/\xff"), ("status", b"200"),
                          ("fetched_at", b"2024-05-01T10:00:00.000Z")], PAGE_BODY,
         {"invalid_message"}),
        ("url-nul", [("url", b"http://p.hostile.test/a\x00b"), ("status", b"200"),
                     ("fetched_at", b"2024-05-01T10:00:00.000Z")], PAGE_BODY,
         {"invalid_message"}),
        ("final-url-nul", [("url", b"http://p.hostile.test/c"), ("status", b"200"),
                           ("final_url", b"http://p.hostile.test/c\x00d"),
                           ("fetched_at", b"2024-05-01T10:00:00.000Z")], PAGE_BODY,
         {"invalid_message"}),
        ("too-large", h(u + "big"), b"<p>" + b"x" * (max_body + 10), {"too_large"}),
        # Odd but valid: records, always UTF-8.
        ("empty-body", h(u + "empty"), b"", "record"),
        ("binary-body", h(u + "bin"), bytes(range(256)) * 64, "record"),
        ("charset-lie-utf8", h(u + "lie8"),
         "<title>caf\u00e9 na\u00efve</title><p>\u00e0 la</p>".encode("latin-1"), "record"),
        ("charset-lie-latin1", {**h(u + "lie1"), "content_type": "text/html; charset=iso-8859-1"},
         "<title>\u65e5\u672c</title>".encode("utf-8"), "record"),
        ("charset-unknown", {**h(u + "unk"), "content_type": "text/html; charset=x-no-such"},
         b"<title>\xff\xfe</title>", "record"),
        ("charset-utf16-lie", {**h(u + "u16"), "content_type": "text/html; charset=utf-16"},
         b"<title>odd length</title>!", "record"),
        ("meta-not-json", {**h(u + "meta"), "meta": "{not json", "depth": "x", "id": "i"},
         PAGE_BODY, "record"),
    ]


def topic_size(brokers, topic):
    """Messages in `topic` (high - low watermark over its partitions)."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": "kcrawl-test-size"})
    try:
        md = c.list_topics(topic, timeout=10)
        total = 0
        for p in md.topics[topic].partitions:
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            total += hi - lo
        return total
    finally:
        c.close()


def produce_raw(brokers, topic, items):
    """items: (key, value, headers) -> list of (partition, offset), in order."""
    p = Producer({"bootstrap.servers": brokers, "enable.idempotence": True,
                  "message.max.bytes": 16 * 1024 * 1024})
    out = [None] * len(items)
    fails = []
    for i, (key, value, headers) in enumerate(items):
        def cb(err, msg, i=i):
            if err:
                fails.append(err)
            else:
                out[i] = (msg.partition(), msg.offset())
        if isinstance(headers, dict):
            headers = [(k, v.encode()) for k, v in headers.items()]
        p.produce(topic, value=value, key=key, headers=headers, on_delivery=cb,
                  partition=i % 4)
        p.poll(0)
    assert p.flush(30) == 0 and not fails, f"produce to {topic} failed: {fails}"
    return out


def test_hostile_messages(brokers, topics, pipeline):
    max_body = 1024 * 1024
    pcases = page_cases(max_body)
    urls_pos = produce_raw(brokers, topics.urls,
                           [(b"garbage", v, None) for _, v, _ in URL_GARBAGE])
    # The delay topic: garbage without a due time is taken at once.
    delayed = URL_GARBAGE[:4]
    delayed_pos = produce_raw(brokers, topics.delayed,
                              [(b"garbage", v, None) for _, v, _ in delayed])
    pages_pos = produce_raw(brokers, topics.pages,
                            [(b"http://p.hostile.test/", body, hdrs)
                             for _, hdrs, body, _ in pcases])
    # One good URL so the run proves the fetcher still works afterwards.
    fetcher = pipeline.fetcher("--delay-topic", topics.delayed, "--retries", "0")
    cleaner = pipeline.cleaner("--max-body", str(max_body), "--workers", "2")

    n_url_err = len(URL_GARBAGE) + len(delayed)
    n_page_err = sum(1 for c in pcases if c[3] != "record")
    n_records = sum(1 for c in pcases if c[3] == "record")
    deadline = time.monotonic() + 90
    while True:
        errors = read_all(brokers, topics.errors)
        records = read_all(brokers, topics.records)
        if len(errors) + len(records) >= n_url_err + n_page_err + n_records:
            break
        fetcher.assert_running()
        cleaner.assert_running()
        assert time.monotonic() < deadline, (
            f"{len(errors)} errors of {n_url_err + n_page_err}, {len(records)} records of "
            f"{n_records} after 90 s")
        time.sleep(0.5)
    pipeline.stop_all()   # both must exit 0: nothing crashed

    errors = [(m, check_error(m)) for m in read_all(brokers, topics.errors)]
    records = [check_record(m) for m in read_all(brokers, topics.records)]
    n_pages = topic_size(brokers, topics.pages)
    by_src = {}
    for m, e in errors:
        key = (e.get("topic"), e.get("partition"), e.get("offset"))
        assert key not in by_src, f"two errors for {key}: {by_src.get(key)} and {e}"
        by_src[key] = e
    lines = []

    def expect_error(name, topic, pos, value, codes, stage):
        e = by_src.get((topic, pos[0], pos[1]))
        assert e is not None, f"{name}: no error for {topic}[{pos[0]}]@{pos[1]}"
        assert e["stage"] == stage, f"{name}: {e}"
        assert e["code"] in codes, f"{name}: code {e['code']!r}, want {codes}: {e}"
        got = error_input(e)
        if len(value) > 64 * 1024:
            assert e.get("input_truncated") is True, f"{name}: not marked truncated"
            assert value.startswith(got) and len(got) <= 64 * 1024, f"{name}: input not a prefix"
        else:
            assert got == value, f"{name}: input {got[:80]!r} != {value[:80]!r}"
            if value:
                try:
                    value.decode("utf-8")
                    assert "input" in e, f"{name}: UTF-8 input not as `input`"
                except UnicodeDecodeError:
                    assert "input_base64" in e, f"{name}: non-UTF-8 input not base64"
        lines.append(f"{stage}:{topic.rsplit('.', 1)[-1]:8} {name:22} -> {e['code']}")

    for (name, value, codes), pos in zip(URL_GARBAGE, urls_pos):
        expect_error(name, topics.urls, pos, value, codes, "fetcher")
    for (name, value, codes), pos in zip(delayed, delayed_pos):
        expect_error("delayed-" + name, topics.delayed, pos, value, codes, "fetcher")
    want_rec = set()
    for (name, hdrs, body, outcome), pos in zip(pcases, pages_pos):
        if outcome == "record":
            want_rec.add(hdrs["url"])
            assert (topics.pages, pos[0], pos[1]) not in by_src, \
                f"{name}: dead-lettered {by_src[(topics.pages, pos[0], pos[1])]}"
            lines.append(f"cleaner:pages    {name:22} -> record")
        else:
            expect_error(name, topics.pages, pos, body, outcome, "cleaner")

    assert len(errors) == n_url_err + n_page_err, f"{len(errors)} errors, want {n_url_err + n_page_err}"
    assert sorted(r["url"] for r in records) == sorted(want_rec), \
        f"records {[json.dumps(r)[:300] for r in records if r['url'] not in want_rec]}"
    assert n_pages == len(pcases), \
        f"{n_pages - len(pcases)} pages produced by the fetcher from garbage"
    print(f"\nhostile messages: {len(URL_GARBAGE)} on urls, {len(delayed)} on the delay topic, "
          f"{len(pcases)} on pages -> {len(errors)} errors, {len(records)} records")
    print("\n".join("  " + x for x in lines))


# ---------------------------------------------------------------- deep JSON --

DEPTH = 450_000


def deep_array(n=DEPTH):
    return b"[" * n + b"]" * n


def deep_object(n):
    return b'{"a":' * n + b"1" + b"}" * n


def deep_url_messages(url):
    """URL messages nested far past any bound, each under 1 MB: (name,
    value, the codes accepted). A value not starting with "{" is a bare
    URL, so the top-level array is an invalid URL."""
    u = json.dumps(url).encode()
    depth = {"invalid_message"}
    return [
        ("deep-array", deep_array(), {"invalid_url", "invalid_message"}),
        ("deep-object", deep_object(150_000), depth),
        ("deep-meta-array", b'{"url":' + u + b',"meta":' + deep_array(400_000) + b"}", depth),
        ("deep-meta-object", b'{"url":' + u + b',"meta":' + deep_object(140_000) + b"}",
         depth),
        ("deep-url-value", b'{"url":' + deep_array(400_000) + b"}", depth),
        ("deep-id-value", b'{"url":' + u + b',"id":' + deep_object(140_000) + b"}", depth),
    ]


def test_deep_json_url_messages(brokers, topics, pipeline, site):
    """URL messages nested hundreds of thousands deep end as invalid_message
    with their origin, and the fetcher goes on to fetch the next URL (a tree
    freed recursively overflowed the stack on every start)."""
    cases = deep_url_messages(site.url("/deep-meta.html"))
    good = site.url("/index.html")
    pos = produce_raw(brokers, topics.urls,
                      [(b"deep", v, None) for _, v, _ in cases] +
                      [(site.host_key.encode(), good.encode(), None)])
    fetcher = pipeline.fetcher("--retries", "0")
    deadline = time.monotonic() + 90
    while True:
        errors = read_all(brokers, topics.errors)
        pages = read_all(brokers, topics.pages)
        if len(errors) >= len(cases) and pages:
            break
        fetcher.assert_running()
        assert time.monotonic() < deadline, (
            f"{len(errors)} errors of {len(cases)}, {len(pages)} pages after 90 s\n"
            f"{fetcher.log_tail()}")
        time.sleep(0.5)
    pipeline.stop_all()
    by_src = {}
    for m in read_all(brokers, topics.errors):
        e = check_error(m)
        by_src[(e["topic"], e["partition"], e["offset"])] = e
    assert len(by_src) == len(cases), f"{len(by_src)} errors for {len(cases)} messages"
    for (name, value, codes), (part, off) in zip(cases, pos):
        e = by_src.get((topics.urls, part, off))
        assert e is not None, f"{name}: no error for {topics.urls}[{part}]@{off}"
        brief = {k: v for k, v in e.items() if not k.startswith("input")}
        assert e["stage"] == "fetcher" and e["code"] in codes, f"{name}: {brief}"
        if e["code"] == "invalid_message":
            assert "deeper than" in e["message"], f"{name}: {brief}"
        assert e.get("input_truncated") is True and value.startswith(error_input(e)), name
    pages = read_all(brokers, topics.pages)
    assert [page_headers(p)["url"] for p in pages] == [good]


def jsonld_page(payload):
    return (b'<html><head><title>deep</title><script type="application/ld+json">' +
            payload + b'</script></head><body><a href="/next.html">n</a></body></html>')


def test_deep_json_pages(brokers, topics, pipeline):
    """Pages whose JSON-LD or meta header nests hundreds of thousands deep
    end as records (the JSON-LD block counted as not parsed), through
    extraction and link following alike; the cleaner does not crash."""
    u = "http://deep.hostile.test/"
    deep_meta = b'{"k":' + deep_array(200_000) + b"}"

    def h(url):  # followed links go back to the test's URL topic
        return {**good_headers(url), "source_topic": topics.urls}
    cases = [
        ("jsonld-array", h(u + "a"), jsonld_page(deep_array())),
        ("jsonld-object", h(u + "o"), jsonld_page(deep_object(150_000))),
        ("jsonld-at-cap", h(u + "c"), jsonld_page(deep_array(127))),
        ("meta-deep", [(k, v.encode()) for k, v in h(u + "m").items()] +
         [("meta", deep_meta), ("depth", b"0")], PAGE_BODY),
    ]
    produce_raw(brokers, topics.pages, [(b"deep", body, h) for _, h, body in cases])
    cleaner = pipeline.cleaner("--follow", "--workers", "1")
    records = consume(brokers, topics.records, len(cases), procs=[cleaner])
    cleaner.assert_running()
    pipeline.stop_all()
    assert len(records) == len(cases), f"{len(records)} records of {len(cases)}"
    assert read_all(brokers, topics.errors) == []
    got = {r["url"]: r for r in map(check_record, records)}
    for name, h, _ in cases:
        url = h["url"] if isinstance(h, dict) else dict(h)["url"].decode()
        assert url in got, f"{name}: no record"
    links = read_all(brokers, topics.urls)
    assert len(links) == 3, f"{len(links)} followed links, want one per JSON-LD page"


# ------------------------------------------------------- repaired values --

class _OddTypeHandler(BaseHTTPRequestHandler):
    """Every path: a small page whose Content-Type carries a byte that is
    not UTF-8 (http.server writes header text as Latin-1)."""

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_GET(self):
        if self.path == "/robots.txt":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<html><head><title>odd</title></head><body><p>odd</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8; x=caf\u00e9\u00ff")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def odd_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OddTypeHandler)
    server.daemon_threads = True
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True)
    t.start()
    yield "http://%s:%d" % server.server_address[:2]
    server.shutdown()
    server.server_close()


FFFD = "\ufffd"


def test_repaired_values(brokers, topics, pipeline, odd_site):
    """A non-UTF-8 byte in a server's Content-Type, a lone surrogate or
    U+0000 in a URL message's id or meta: each page ends as a record with
    the value repaired to U+FFFD (never a dead letter, never a cut value).
    The same for pages whose headers carry such bytes."""
    url_cases = [  # (path, URL message, id wanted, meta wanted)
        ("hi", r'{"url":"%s/hi","id":"a\ud800b"}', "a" + FFFD + "b", None),
        ("lo", r'{"url":"%s/lo","id":"a\udc00b"}', "a" + FFFD + "b", None),
        ("nul", r'{"url":"%s/nul","id":"a\u0000b","meta":{"k":"x\u0000y"}}',
         "a" + FFFD + "b", {"k": "x" + FFFD + "y"}),
        ("plain", r'{"url":"%s/plain","id":"p"}', "p", None),
    ]
    key = odd_site.split("//", 1)[1]
    publish(brokers, topics.urls, [(key, (m % odd_site).encode()) for _, m, _, _ in url_cases])
    # Pages made by another producer: the bytes in the headers themselves.
    u = "http://raw.hostile.test/"
    raw = [(k, v.encode()) for k, v in good_headers(u + "raw").items() if k != "content_type"]
    raw += [("content_type", b"text/html; x=\xff"), ("id", b"i\xed\xa0\x80d\x00e"),
            ("meta", b'{"k":"v\xc3"}')]
    produce_raw(brokers, topics.pages, [(b"raw", PAGE_BODY, raw)])
    pipeline.fetcher("--retries", "0")
    cleaner = pipeline.cleaner("--workers", "1")
    n = len(url_cases) + 1
    deadline = time.monotonic() + 90
    while True:
        records = read_all(brokers, topics.records)
        errors = read_all(brokers, topics.errors)
        if len(records) + len(errors) >= n:
            break
        for pr in pipeline.procs:
            pr.assert_running()
        assert time.monotonic() < deadline, f"{len(records)} records, {len(errors)} errors"
        time.sleep(0.5)
    pipeline.stop_all()
    assert [check_error(m) for m in read_all(brokers, topics.errors)] == []
    got = {}
    for m in read_all(brokers, topics.records):
        r = check_record(m)
        got[r["url"]] = r
    for path, _, want_id, want_meta in url_cases:
        r = got.get(f"{odd_site}/{path}")
        assert r is not None, f"{path}: no record"
        assert r.get("id") == want_id, f"{path}: id {r.get('id')!r}"
        if want_meta is not None:
            assert r.get("meta") == want_meta, f"{path}: meta {r.get('meta')!r}"
        assert r["content_type"] == "text/html; charset=utf-8; x=caf" + FFFD + FFFD, \
            f"{path}: content_type {r['content_type']!r}"
    r = got[u + "raw"]
    assert r["content_type"] == "text/html; x=" + FFFD
    assert r["id"] == "i" + FFFD * 3 + "d" + FFFD + "e", repr(r["id"])
    assert r["meta"] == {"k": "v" + FFFD}, repr(r["meta"])


# ------------------------------------------------------- oversized records --

KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1048588


def set_topic_limit(admin, topic, limit):
    """Sets the topic's max.message.bytes and waits until the brokers say so."""
    from confluent_kafka.admin import ConfigResource
    res = ConfigResource("topic", topic, set_config={"max.message.bytes": str(limit)})
    for f in admin.alter_configs([res]).values():
        f.result(timeout=30)
    deadline = time.monotonic() + 30
    while True:
        got = admin.describe_configs([ConfigResource("topic", topic)])
        cfg = list(got.values())[0].result(timeout=30)
        if cfg["max.message.bytes"].value == str(limit):
            return
        assert time.monotonic() < deadline, f"{topic}: max.message.bytes not {limit}"
        time.sleep(0.2)


def random_text(n_bytes, seed=1):
    """About n_bytes of UTF-8 words of random CJK characters: text that
    lz4 cannot shrink (compressed batches are what the brokers measure)."""
    import random
    r = random.Random(seed)
    words, size = [], 0
    while size < n_bytes:
        w = "".join(chr(0x4E00 + r.randrange(20000)) for _ in range(5))
        words.append(w)
        size += 16
    return " ".join(words)


def big_pages(u):
    """(name, headers, body): a 1.2 MB text page (a record over Kafka's
    default 1 MB limit), a 4.1 MB page of headings full of quotes (a record
    of about 10 MB once they are escaped, over the producer's
    message.max.bytes), and a small page."""
    text = random_text(1_200_000)
    quotes = (b"<html><body>" + (b"<h2>" + b'"' * 4096 + b"</h2>") * 1000 +
              b"</body></html>")
    return [
        ("text-1.2mb", good_headers(u + "text"),
         ("<html><body><p>" + text + "</p></body></html>").encode()),
        ("quotes-4mb", good_headers(u + "quotes"), quotes),
        ("small", good_headers(u + "small"), PAGE_BODY),
    ], text


@pytest.mark.parametrize("limit,eos", [
    (KAFKA_DEFAULT_MAX_MESSAGE_BYTES, False),
    (KAFKA_DEFAULT_MAX_MESSAGE_BYTES, True),
    (16 * 1024 * 1024, False),
])
def test_oversized_records(brokers, admin, topics, pipeline, limit, eos):
    """A record over the records topic's max.message.bytes (Kafka's 1 MB
    default, as the README and compose create the topic) or over the
    producer's message.max.bytes is cut to fit and flagged in `truncated`,
    never the stage's end; with --exactly-once too. The cleaner reads the
    topic's limit from the brokers."""
    set_topic_limit(admin, topics.records, limit)
    u = "http://big.hostile.test/"
    cases, text_words = big_pages(u)
    assert len(cases[1][2]) > 4_000_000
    produce_raw(brokers, topics.pages, [(b"big", body, h) for _, h, body in cases])
    extra = ["--exactly-once"] if eos else []
    cleaner = pipeline.cleaner("--workers", "1", "--max-body", str(8 * 1024 * 1024), *extra)
    deadline = time.monotonic() + 120
    while True:
        records = read_all(brokers, topics.records)
        errors = read_all(brokers, topics.errors)
        if len(records) + len(errors) >= len(cases):
            break
        cleaner.assert_running()
        assert time.monotonic() < deadline, \
            f"{len(records)} records, {len(errors)} errors after 120 s\n{cleaner.log_tail()}"
        time.sleep(0.5)
    pipeline.stop_all()
    assert [check_error(m) for m in read_all(brokers, topics.errors)] == []
    got = {}
    for m in read_all(brokers, topics.records):
        assert len(m.value) + len(m.key or b"") <= limit
        r = check_record(m)
        got[r["url"]] = (r, len(m.value))
    assert sorted(got) == sorted(h["url"] for _, h, _ in cases)
    small, _ = got[u + "small"]
    assert "truncated" not in small
    quotes, size = got[u + "quotes"]
    assert quotes["truncated"], quotes.keys()
    assert size > min(limit, 8 * 1024 * 1024) // 2, f"cut further than needed: {size}"
    text, size = got[u + "text"]
    if limit < 2 * 1024 * 1024:
        assert "text" in text["truncated"], text["truncated"]
        assert text_words.startswith(text["text"]), text["text"][:40]
        assert text["text_truncated"] is True
        assert size > limit // 2
    else:
        assert "truncated" not in text


class _BigPageHandler(BaseHTTPRequestHandler):
    """/big: 1.5 MB of text lz4 cannot shrink; anything else a small page."""

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_GET(self):
        if self.path == "/robots.txt":
            body, code = b"", 404
        elif self.path == "/big":
            body, code = ("<p>" + random_text(1_500_000, seed=2) + "</p>").encode(), 200
        else:
            body, code = PAGE_BODY, 200
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_page_over_pages_topic_limit(brokers, admin, topics, pipeline):
    """A page over the pages topic's max.message.bytes (Kafka's default)
    ends as too_large, naming the limit; the fetcher goes on."""
    set_topic_limit(admin, topics.pages, KAFKA_DEFAULT_MAX_MESSAGE_BYTES)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BigPageHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                     daemon=True).start()
    try:
        base = "http://%s:%d" % server.server_address[:2]
        key = base.split("//", 1)[1]
        publish(brokers, topics.urls, [(key, base + "/big"), (key, base + "/small")])
        fetcher = pipeline.fetcher("--retries", "0")
        deadline = time.monotonic() + 90
        while True:
            errors = read_all(brokers, topics.errors)
            pages = read_all(brokers, topics.pages)
            if errors and pages:
                break
            fetcher.assert_running()
            assert time.monotonic() < deadline, f"{len(errors)} errors, {len(pages)} pages"
            time.sleep(0.5)
        pipeline.stop_all()
    finally:
        server.shutdown()
        server.server_close()
    errors = [check_error(m) for m in read_all(brokers, topics.errors)]
    assert [(e["code"], e["url"]) for e in errors] == [("too_large", base + "/big")]
    assert str(KAFKA_DEFAULT_MAX_MESSAGE_BYTES) in errors[0]["message"], errors[0]["message"]
    assert [page_headers(p)["url"] for p in read_all(brokers, topics.pages)] == [base + "/small"]


def test_records_limit_lowered_while_running(brokers, admin, topics, pipeline):
    """The records topic's limit lowered after the cleaner read it: under
    --exactly-once the refused record's transaction is aborted, the batch
    comes again and its record is cut to fit; the stage goes on."""
    set_topic_limit(admin, topics.records, 16 * 1024 * 1024)
    cleaner = pipeline.cleaner("--workers", "1", "--exactly-once")
    deadline = time.monotonic() + 60
    while "records topic limit" not in cleaner.log_tail(200):
        cleaner.assert_running()
        assert time.monotonic() < deadline, "the cleaner did not read the limit"
        time.sleep(0.2)
    set_topic_limit(admin, topics.records, KAFKA_DEFAULT_MAX_MESSAGE_BYTES)
    cases, _ = big_pages("http://lowered.hostile.test/")
    produce_raw(brokers, topics.pages, [(b"big", cases[0][2], cases[0][1]),
                                        (b"big", cases[2][2], cases[2][1])])
    deadline = time.monotonic() + 120
    while len(read_all(brokers, topics.records)) < 2:
        cleaner.assert_running()
        assert time.monotonic() < deadline, f"no records after 120 s\n{cleaner.log_tail()}"
        time.sleep(0.5)
    pipeline.stop_all()
    assert read_all(brokers, topics.errors) == []
    recs = {r["url"]: r for r in map(check_record, read_all(brokers, topics.records))}
    assert len(recs) == 2
    assert "text" in recs[cases[0][1]["url"]]["truncated"]


# ------------------------------------------- dead letters over the errors limit --

def test_dead_letter_fits_errors_topic(brokers, admin, topics, pipeline):
    """A message whose url header or key alone is over the errors topic's
    limit (Kafka's 1 MB default): its dead letter is still produced, the url
    cut and flagged `url_truncated`, the key cut; neither stage stops (a
    dead letter that cannot be produced would stop it on every restart)."""
    set_topic_limit(admin, topics.errors, KAFKA_DEFAULT_MAX_MESSAGE_BYTES)
    huge_url = "http://huge.hostile.test/" + "a" * 1_100_000
    import random
    huge_key = random.Random(3).randbytes(1_100_000)  # lz4 cannot shrink it
    pages = [
        (b"p", PAGE_BODY, good_headers(huge_url)),                   # url header 1.1 MB
        (huge_key, PAGE_BODY, {"status": "200"}),                    # no url, key 1.1 MB
        (b"p", PAGE_BODY, good_headers("http://ok.hostile.test/")),  # still works after
    ]
    pages_pos = produce_raw(brokers, topics.pages, pages)
    urls_pos = produce_raw(brokers, topics.urls, [(huge_key, b'{"depth": 1}', None)])
    # On the delay topic, a source_topic header that is no topic name.
    r = random.Random(4)
    huge_topic = "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(1_100_000))
    tier = topics.delayed_tiers[0]
    p = Producer({"bootstrap.servers": brokers, "message.max.bytes": 16 * 1024 * 1024})
    delayed_pos = []
    # Produced 10 minutes ago: awake on its tier at once.
    p.produce(tier, value=b'{"depth": 1}', key=b"d",
              headers=[("kcrawl_source_topic", huge_topic.encode())],
              timestamp=int(time.time() * 1000) - 600_000,
              on_delivery=lambda err, m: delayed_pos.append(
                  err or (m.partition(), m.offset())))
    assert p.flush(30) == 0 and isinstance(delayed_pos[0], tuple), delayed_pos
    fetcher = pipeline.fetcher("--retries", "0")
    cleaner = pipeline.cleaner("--workers", "1")
    deadline = time.monotonic() + 90
    while True:
        errors = read_all(brokers, topics.errors)
        records = read_all(brokers, topics.records)
        if len(errors) >= 4 and records:
            break
        fetcher.assert_running()
        cleaner.assert_running()
        assert time.monotonic() < deadline, (
            f"{len(errors)} errors, {len(records)} records after 90 s\n"
            f"{cleaner.log_tail()}\n{fetcher.log_tail()}")
        time.sleep(0.5)
    pipeline.stop_all()
    msgs = read_all(brokers, topics.errors)
    by_src = {}
    for m in msgs:
        assert len(m.value) + len(m.key or b"") <= KAFKA_DEFAULT_MAX_MESSAGE_BYTES
        e = check_error(m)
        by_src[(e["topic"], e["partition"], e["offset"])] = (m, e)
    assert len(by_src) == 4, list(by_src)
    m, e = by_src[(topics.pages, *pages_pos[0])]
    assert e["code"] == "too_large", e["code"]
    assert e["url_truncated"] is True
    assert huge_url.startswith(e["url"]) and 0 < len(e["url"]) < len(huge_url)
    assert huge_url.encode().startswith(m.key) and len(m.key) < len(huge_url)
    m, e = by_src[(topics.pages, *pages_pos[1])]
    assert e["code"] == "missing_header", e["code"]
    assert huge_key.startswith(m.key) and 0 < len(m.key) < len(huge_key)
    m, e = by_src[(topics.urls, *urls_pos[0])]
    assert e["stage"] == "fetcher" and e["code"] == "invalid_message", e
    assert huge_key.startswith(m.key) and 0 < len(m.key) < len(huge_key)
    m, e = by_src[(tier, *delayed_pos[0])]
    assert e["stage"] == "fetcher" and e["code"] == "invalid_message", e
    assert [check_record(r)["url"] for r in read_all(brokers, topics.records)] == \
        ["http://ok.hostile.test/"]
