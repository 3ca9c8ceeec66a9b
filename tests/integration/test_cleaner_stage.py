"""The cleaner on its own, on a real broker: pages are published straight to
the pages topic (with the fetcher's headers), so each test controls exactly
what the cleaner sees. Covers user-defined fields and their SIGHUP reload,
link following, exactly-once across a kill -9, and the consumer group
sharing partitions between two processes.

Every wait polls Kafka or a log file until a condition holds or a deadline
passes; nothing sleeps for a fixed time.
"""

import json
import os
import signal
import threading
import time
import uuid

from confluent_kafka import Producer

from conftest import (CONSUME_DEADLINE, Proc, assert_valid, check_error,
                      check_record, clean_env, consume, host_key,
                      murmur2_partition, read_all, run_cli)

FETCHED_AT = "2026-11-25T10:00:00.000Z"


# ---------------------------------------------------------------- helpers --

def page_html(i, links=(), robots=None, size=0):
    """A small HTML page; `links` are (href, rel) pairs; `size` pads the
    text to about that many bytes."""
    head = f"<title>Page {i}</title>"
    if robots:
        head += f'<meta name="robots" content="{robots}">'
    body = f"<h1 class='h'>Heading {i}</h1><p class='price'>{i}.50</p>"
    for href, rel in links:
        r = f' rel="{rel}"' if rel else ""
        body += f'<a href="{href}"{r}>link</a>'
    if size:
        word = f"word{i} "
        body += "<p>" + word * (size // len(word)) + "</p>"
    return f"<!DOCTYPE html><html lang=en><head>{head}</head><body>{body}</body></html>".encode()


def page_headers(url, status=200, **extra):
    h = {"url": url, "final_url": url, "status": str(status),
         "content_type": "text/html; charset=utf-8", "fetched_at": FETCHED_AT,
         "elapsed_ms": "1", "attempts": "1"}
    h.update({k: str(v) for k, v in extra.items() if v is not None})
    return h


def publish_pages(brokers, topic, pages):
    """pages: (url, body bytes, headers dict). Waits for every delivery."""
    p = Producer({"bootstrap.servers": brokers, "linger.ms": 5,
                  "enable.idempotence": True, "compression.type": "lz4"})
    failures = []

    def cb(err, msg):
        if err is not None:
            failures.append(err)

    for url, body, hdrs in pages:
        while True:
            try:
                p.produce(topic, value=body, key=url.encode(),
                          headers=list(hdrs.items()), on_delivery=cb)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    assert p.flush(60) == 0, "pages not delivered"
    assert not failures, failures


def cleaner(brokers, topics, group, log_dir, *extra, env=None):
    return Proc("cleaner", ["--brokers", brokers, "--group", group,
                            "--urls-topic", topics.urls, "--pages-topic", topics.pages,
                            "--records-topic", topics.records,
                            "--errors-topic", topics.errors, *extra],
                log_dir, env=env)


def log_lines(proc):
    out = []
    try:
        text = proc.log_path.read_text(errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def wait_log(proc, pred, what, deadline=CONSUME_DEADLINE):
    """Waits until a log line of `proc` satisfies pred; returns it."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for line in log_lines(proc):
            if pred(line):
                return line
        proc.assert_running()
        time.sleep(0.05)
    raise AssertionError(f"no log line {what} within {deadline} s\n{proc.log_tail()}")


def assigned_counts(proc):
    return [l.get("count") for l in log_lines(proc) if l.get("msg") == "partitions assigned"]


def stop_all(*procs):
    failures = []
    for pr in procs:
        try:
            pr.stop()
        except BaseException as e:  # pytest.fail raises a BaseException
            failures.append(str(e))
    assert not failures, "\n\n".join(failures)


# ------------------------------------------------------------ compression --

def test_records_compressed_with_zstd(brokers, topics, tmp_path):
    """--compression reaches the producer: records produced with zstd (and
    a page too large for one uncompressed batch) read back whole."""
    pages = [(f"http://zstd.test/p{i}", page_html(i, size=200000 if i == 0 else 2000),
              page_headers(f"http://zstd.test/p{i}", source_topic=topics.urls))
             for i in range(30)]
    publish_pages(brokers, topics.pages, pages)
    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path,
                 "--workers", "2", "--compression", "zstd")
    try:
        got = consume(brokers, topics.records, len(pages), procs=(pr,))
    finally:
        stop_all(pr)
    recs = {check_record(m)["url"]: check_record(m) for m in got}
    assert sorted(recs) == sorted(u for u, _, _ in pages)
    assert recs["http://zstd.test/p0"]["word_count"] > 20000
    assert recs["http://zstd.test/p7"]["title"] == "Page 7"



# ------------------------------------------------------------ main content --

MAIN_DATA = os.path.join(os.path.dirname(__file__), "..", "data", "main")


def main_case(name):
    with open(os.path.join(MAIN_DATA, name + ".html"), "rb") as f:
        html = f.read()
    with open(os.path.join(MAIN_DATA, name + ".json"), encoding="utf-8") as f:
        spec = json.load(f)
    with open(os.path.join(MAIN_DATA, name + ".txt"), encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(MAIN_DATA, name + ".md"), encoding="utf-8") as f:
        md = f.read()
    return html, spec, text, md


def test_main_content_fields(brokers, topics, tmp_path):
    """A record carries the page's main content as main_text and markdown
    with its author, dates and site name (as test_maincontent.c's data
    case); --record-text main_text leaves text and markdown out."""
    html, spec, text, md = main_case("article")
    url = spec["url"]
    publish_pages(brokers, topics.pages,
                  [(url, html, page_headers(url, source_topic=topics.urls))])
    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path)
    try:
        got = consume(brokers, topics.records, 1, procs=(pr,))
    finally:
        stop_all(pr)
    assert len(got) == 1
    rec = check_record(got[0])
    assert rec["main_text"] == text
    assert rec["markdown"] == md
    for k in ("author", "published_at", "modified_at", "site_name"):
        assert rec[k] == spec["expect"][k], k
    assert "We use cookies" in rec["text"]
    assert "We use cookies" not in rec["main_text"]

    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path,
                 "--record-text", "main_text")
    try:
        got = consume(brokers, topics.records, 2, procs=(pr,))
    finally:
        stop_all(pr)
    assert len(got) == 2
    rec = check_record(got[1])
    assert "text" not in rec and "markdown" not in rec
    assert rec["main_text"] == text

# ------------------------------------------------------------------ rules --

RULES_V1 = {"rules": [{"name": "shop", "hosts": ["shop.test", "*.shop.test"],
                       "fields": {"title": "//title",
                                  "price": {"xpath": "//p[@class='price']", "type": "number"}}}]}
RULES_V2 = {"rules": [{"name": "shop2", "hosts": ["*.shop.test"],
                       "fields": {"heading": "//h1[@class='h']",
                                  "links": {"xpath": "//a/@href", "type": "strings"}}}]}
RULES_BAD = {"rules": [{"name": "broken", "hosts": ["shop.test"],
                        "fields": {"oops": "//p[@class="}}]}


def test_rules_fields_and_reload(brokers, topics, tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(RULES_V1))
    assert_valid("rules", RULES_V1)
    assert_valid("rules", RULES_V2)

    # A bad file at start-up: one line naming the rule and field, exit 2.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(RULES_BAD))
    r = run_cli("cleaner", "--brokers", brokers, "--rules", str(bad))
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert err.count("\n") == 1 and 'rules[0] "broken" field "oops"' in err, err

    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path,
                 "--rules", str(rules), "--workers", "2")
    try:
        publish_pages(brokers, topics.pages, [
            ("http://www.shop.test/1", page_html(1, [("/a", None)]),
             page_headers("http://www.shop.test/1")),
            ("http://blog.test/1", page_html(2), page_headers("http://blog.test/1")),
        ])
        got = consume(brokers, topics.records, 2, procs=(pr,))
        assert len(got) == 2
        recs = {m.json()["url"]: m.json() for m in got}
        assert recs["http://www.shop.test/1"]["fields"] == {"title": "Page 1", "price": 1.5}
        assert "fields" not in recs["http://blog.test/1"]

        # Reload: a new file on SIGHUP; later pages use it.
        rules.write_text(json.dumps(RULES_V2))
        pr.p.send_signal(signal.SIGHUP)
        wait_log(pr, lambda l: l.get("msg") == "rules reloaded", "rules reloaded")
        publish_pages(brokers, topics.pages, [
            ("http://www.shop.test/2", page_html(3, [("/b", None), ("/c", "next")]),
             page_headers("http://www.shop.test/2"))])
        got = consume(brokers, topics.records, 3, procs=(pr,))
        assert len(got) == 3
        rec = [m.json() for m in got if m.json()["url"] == "http://www.shop.test/2"][0]
        assert rec["fields"] == {"heading": "Heading 3", "links": ["/b", "/c"]}

        # A bad new file is logged and the old rules stay.
        rules.write_text(json.dumps(RULES_BAD))
        pr.p.send_signal(signal.SIGHUP)
        line = wait_log(pr, lambda l: l.get("msg", "").startswith("rules not reloaded"),
                        "rules not reloaded")
        assert 'rules[0] "broken" field "oops"' in line["err"]
        publish_pages(brokers, topics.pages, [
            ("http://x.shop.test/3", page_html(4), page_headers("http://x.shop.test/3"))])
        got = consume(brokers, topics.records, 4, procs=(pr,))
        assert len(got) == 4
        rec = [m.json() for m in got if m.json()["url"] == "http://x.shop.test/3"][0]
        assert rec["fields"] == {"heading": "Heading 4", "links": []}
        for m in got:
            check_record(m)
        stop_all(pr)
    finally:
        pr.kill()


# ------------------------------------------------------------ follow links --

def test_follow_links(brokers, topics, tmp_path):
    a = "http://www.site.test/"
    pages = [
        # depth 0 from the URL topic: links of the same registrable domain
        (a, page_html(1, [("/x", None), ("x#frag", None), ("/nf", "nofollow"),
                          ("http://shop.site.test:8080/s", "next"),
                          ("https://other.test/", None), ("mailto:a@b.test", None),
                          ("/y?q=1", "external")]),
         page_headers(a, source_topic=topics.urls, id="seed-1", depth=0,
                      meta=json.dumps({"campaign": "c1", "n": [1, 2.5]}))),
        # no source_topic header: links go to --urls-topic; no id/meta/depth
        ("http://site.test/plain", page_html(2, [("/p", None)]),
         page_headers("http://site.test/plain")),
        # goes back to the topic it came from
        ("http://site.test/other", page_html(3, [("/o", None)]),
         page_headers("http://site.test/other", source_topic=topics.delayed)),
        # not followed: 404, meta robots nofollow, at max depth
        ("http://site.test/404", page_html(4, [("/n1", None)]),
         page_headers("http://site.test/404", status=404, source_topic=topics.urls)),
        ("http://site.test/robots", page_html(5, [("/n2", None)], robots="noindex, nofollow"),
         page_headers("http://site.test/robots", source_topic=topics.urls)),
        ("http://site.test/deep", page_html(6, [("/n3", None)]),
         page_headers("http://site.test/deep", source_topic=topics.urls, depth=2)),
    ]
    pr = cleaner(brokers, topics, "g" + uuid.uuid4().hex[:8], tmp_path,
                 "--follow", "--max-depth", "2", "--scope", "same-domain")
    try:
        publish_pages(brokers, topics.pages, pages)
        assert len(consume(brokers, topics.records, len(pages), procs=(pr,))) == len(pages)
        stop_all(pr)
    finally:
        pr.kill()

    urls = read_all(brokers, topics.urls)
    delayed = read_all(brokers, topics.delayed)
    msgs = {}
    for m in urls + delayed:
        v = m.json()
        assert_valid("url", v, f"followed link {m}")
        assert v["url"] not in msgs, f"{v['url']} published twice"
        msgs[v["url"]] = (m, v)
        # keyed by host key, on the murmur2 partition of the key
        assert m.key == host_key(v["url"]).encode(), m
        assert m.partition == murmur2_partition(m.key, 4), m
        assert m.headers.get("followed_from"), m
    want = {
        "http://www.site.test/x": topics.urls,
        "http://shop.site.test:8080/s": topics.urls,
        "http://www.site.test/y?q=1": topics.urls,
        "http://site.test/p": topics.urls,
        "http://site.test/o": topics.delayed,
    }
    assert {u: m.topic for u, (m, _) in msgs.items()} == want
    seed = msgs["http://www.site.test/x"][1]
    assert seed["depth"] == 1
    assert seed["id"].startswith("seed-1.") and len(seed["id"]) == len("seed-1.") + 16
    assert seed["meta"] == {"campaign": "c1", "n": [1, 2.5]}
    assert msgs["http://www.site.test/x"][0].headers["followed_from"] == a
    assert msgs["http://site.test/p"][1] == {"url": "http://site.test/p", "depth": 1}


# ------------------------------------------------------------ exactly once --

class Feeder(threading.Thread):
    """Publishes pages in batches so that the cleaner is mid-stream when the
    test acts."""

    def __init__(self, brokers, topic, pages, batch=100):
        super().__init__(daemon=True)
        self.brokers, self.topic, self.pages, self.batch = brokers, topic, pages, batch
        self.error = None
        self.sent = 0

    def run(self):
        try:
            for i in range(0, len(self.pages), self.batch):
                publish_pages(self.brokers, self.topic, self.pages[i:i + self.batch])
                self.sent = min(len(self.pages), i + self.batch)
        except BaseException as e:
            self.error = e


def eos_pages(n, bad_every=50):
    pages = []
    for i in range(n):
        url = f"http://eos{i % 7}.test/p{i}"
        h = page_headers(url, id=f"id-{i}")
        if i % bad_every == 0:
            del h["fetched_at"]  # dead-lettered as missing_header
        pages.append((url, page_html(i, [("/a", None)], size=3000), h))
    return pages


def test_exactly_once_across_kill(brokers, topics, tmp_path):
    n = 3000
    pages = eos_pages(n)
    n_bad = sum(1 for _, _, h in pages if "fetched_at" not in h)
    group = "g" + uuid.uuid4().hex[:8]
    args = ("--exactly-once", "--workers", "2", "--txn-messages", "40",
            "--txn-ms", "200", "--transactional-id", group, "--follow",
            "-X", "session.timeout.ms=6000")
    feeder = Feeder(brokers, topics.pages, pages)
    first = cleaner(brokers, topics, group, tmp_path, *args)
    second = None
    try:
        feeder.start()
        seen = consume(brokers, topics.records, 400, procs=(first,))
        assert len(seen) == 400, "no committed records before the kill"
        first.kill()  # SIGKILL: open transactions are left behind
        done_at_kill = len(read_all(brokers, topics.records))
        assert done_at_kill < n - n_bad, "the cleaner finished before the kill"

        second = cleaner(brokers, topics, group, tmp_path, *args)
        feeder.join(120)
        assert not feeder.is_alive() and feeder.error is None, feeder.error
        got = consume(brokers, topics.records, n - n_bad, deadline=120, procs=(second,))
        assert len(got) == n - n_bad, f"{len(got)} records of {n - n_bad}"
        errs = consume(brokers, topics.errors, n_bad, procs=(second,))
        assert len(errs) == n_bad
        stop_all(second)
    finally:
        first.kill()
        if second:
            second.kill()

    # read_committed, to the end: every page exactly once.
    records = read_all(brokers, topics.records)
    ids = [check_record(m)["id"] for m in records]
    assert len(ids) == len(set(ids)), \
        f"{len(ids) - len(set(ids))} duplicate records after kill -9 and restart"
    assert len(ids) == n - n_bad
    errors = read_all(brokers, topics.errors)
    assert len(errors) == n_bad
    assert all(check_error(m)["code"] == "missing_header" for m in errors)
    # followed links (one per good page) are in the same transactions
    links = read_all(brokers, topics.urls)
    assert len(links) == n - n_bad, f"{len(links)} followed links, want {n - n_bad}"
    assert len({m.value for m in links}) == n - n_bad  # ids derive from the page's


# --------------------------------------------------------- consumer group --

def test_group_split_and_handover(brokers, topics, tmp_path):
    """Two processes with one worker each split the 4 partitions; stopping
    one hands its partitions to the other; every page ends as a record or
    an error (at-least-once: repeats allowed, losses not)."""
    group = "g" + uuid.uuid4().hex[:8]
    args = ("--workers", "1", "-X", "session.timeout.ms=6000")
    a = cleaner(brokers, topics, group, tmp_path, *args)
    b = None
    n = 2000
    pages = eos_pages(n, bad_every=40)
    try:
        wait_log(a, lambda l: l.get("msg") == "partitions assigned" and l.get("count") == 4,
                 "A assigned 4 partitions")
        b = cleaner(brokers, topics, group, tmp_path, *args)
        # eager rebalance: A gives up all 4, then each gets 2
        wait_log(b, lambda l: l.get("msg") == "partitions assigned" and l.get("count") == 2,
                 "B assigned 2 partitions")
        wait_log(a, lambda l: l.get("msg") == "partitions assigned" and l.get("count") == 2,
                 "A assigned 2 partitions")

        feeder = Feeder(brokers, topics.pages, pages, batch=100)
        feeder.start()
        # both work on the stream
        seen = consume(brokers, topics.records, 300, procs=(a, b))
        assert len(seen) == 300
        b.stop()  # SIGTERM mid-stream: finish, commit, leave the group
        wait_log(a, lambda l: len(assigned_counts(a)) >= 3 and assigned_counts(a)[-1] == 4,
                 "A takes all 4 partitions back")
        feeder.join(120)
        assert not feeder.is_alive() and feeder.error is None, feeder.error

        want = {url for url, _, _ in pages}
        end = time.monotonic() + 120
        outcomes = set()
        while time.monotonic() < end and outcomes != want:
            a.assert_running()
            recs = read_all(brokers, topics.records)
            errs = read_all(brokers, topics.errors)
            outcomes = {m.key.decode() for m in recs} | {m.key.decode() for m in errs}
            if outcomes != want:
                time.sleep(0.5)
        stop_all(a)
    finally:
        a.kill()
        if b:
            b.kill()
    missing = want - outcomes
    assert not missing, f"{len(missing)} pages lost, e.g. {sorted(missing)[:5]}"
    assert outcomes == want
    b_pages = [l for l in log_lines(b) if l.get("msg") == "cleaner stopped"]
    assert b_pages and b_pages[0]["records"] + b_pages[0]["errors"] > 0, \
        "the second process did no work"


def test_exactly_once_fenced_is_fatal(brokers, topics, tmp_path):
    """A second process with the same --transactional-id fences the first:
    the first exits non-zero instead of producing as a zombie."""
    group = "g" + uuid.uuid4().hex[:8]
    args = ("--exactly-once", "--workers", "1", "--transactional-id", "fence-" + group,
            "-X", "session.timeout.ms=6000")
    first = cleaner(brokers, topics, group, tmp_path, *args)
    second = None
    try:
        publish_pages(brokers, topics.pages, eos_pages(20)[1:])
        assert len(consume(brokers, topics.records, 19, procs=(first,))) == 19
        # same transactional.id, another group: no rebalance hides the fence
        second = cleaner(brokers, topics, group + "-b", tmp_path, *args)
        wait_log(second, lambda l: l.get("msg") == "partitions assigned", "second assigned")
        publish_pages(brokers, topics.pages, eos_pages(40)[21:])
        try:
            rc = first.p.wait(timeout=CONSUME_DEADLINE)
        except Exception:
            raise AssertionError(f"fenced cleaner still running\n{first.log_tail()}")
        first.stopped = True
        assert rc != 0, f"fenced cleaner exited {rc}\n{first.log_tail()}"
        assert any("fenced" in l.get("msg", "") or "fenced" in l.get("err", "").lower()
                   for l in log_lines(first)), first.log_tail()
        stop_all(second)
    finally:
        first.kill()
        if second:
            second.kill()
