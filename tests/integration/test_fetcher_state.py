"""Crawl state (docs/architecture.md, "The state topic"): the fetcher keeps
each URL's state in a compacted topic, loads it on assignment and writes it
after each outcome, so that

  kill -9         a fetcher killed mid-run and restarted requests again
                  only what was in flight at the kill (plus at most 1 % of
                  the URLs), and loses nothing: every URL ends as a record
                  or a dead letter
  redelivery      a URL message whose state shows its outcome delivered is
                  committed without a fetch (kcrawl_fetcher_state_duplicates_total)
  followed links  a followed link fetched before a restart is dropped
  conditional     a URL with an ETag / Last-Modified in its state is asked
                  with If-None-Match / If-Modified-Since; a 304 is a page
                  with status 304, an empty body and `not_modified: true`
  bad state       a state message that is not valid is dead-lettered
                  (invalid_state) with its origin; the URL is fetched as new
  no state topic  a one-line error naming it, exit 2

URLs are http://hNN.state.test/... on virtual hosts, sent to one local
server by --connect-to.
"""

import collections
import json
import os
import signal
import time
import uuid

import pytest

from conftest import (CONSUME_DEADLINE, PARTITIONS, Proc, check_error, check_page,
                      consume, error_input, murmur2_partition, publish,
                      read_all, run_cli)
from fetcher_helpers import free_port, metric_value
from hostile_server import HostileServer

N = int(os.environ.get("KCRAWL_STATE_N", "2000"))
HOSTS = 64
INFLIGHT = 20
DEADLINE = 120 + N * 0.05


@pytest.fixture
def server():
    s = HostileServer("127.0.0.1")
    yield s
    s.stop()


def fetcher_args(brokers, topics, group, server, *extra):
    return ["--brokers", brokers, "--group", group,
            "--urls-topic", topics.urls, "--pages-topic", topics.pages,
            "--errors-topic", topics.errors, "--delay-topic", topics.delayed,
            "--state-topic", topics.state,
            "--connect-to", f"::127.0.0.1:{server.port}",
            "--host-rate", "10000", "--host-burst", "1000", "--host-concurrency", "8",
            "--max-inflight", str(INFLIGHT), "--retries", "2", "--retry-backoff-ms", "200",
            "--timeout", "20", "--drain-timeout", "10", *extra]


def cleaner_args(brokers, topics, group):
    return ["--brokers", brokers, "--group", group,
            "--pages-topic", topics.pages, "--records-topic", topics.records,
            "--errors-topic", topics.errors, "--workers", "1", "--drain-timeout", "10"]


def outcome_ids(brokers, topics):
    """Each id's outcomes: records and fetcher or cleaner dead letters."""
    seen = collections.Counter()
    for m in read_all(brokers, topics.records):
        seen[json.loads(m.value)["id"]] += 1
    for m in read_all(brokers, topics.errors):
        e = json.loads(m.value)
        ident = None
        try:
            ident = json.loads(error_input(e)).get("id")
        except (ValueError, TypeError, AttributeError):
            pass
        if ident is None and e.get("url"):
            ident = e["url"].rsplit("/", 1)[-1]
        seen[ident] += 1
    return seen


def slow_hosts():
    """One host per partition of the URL topic: its first URL is slow."""
    by_part = {}
    for i in range(HOSTS):
        h = f"h{i:02d}.state.test"
        by_part.setdefault(murmur2_partition(h.encode(), PARTITIONS), h)
    return set(by_part.values())


def test_state_kill9_no_second_request(brokers, topics, server, tmp_path):
    """The issue's scenario: 2,000 URLs, 20 in flight, kill -9 mid-run,
    restart: requests repeated <= those in flight at the kill (requested,
    no outcome yet) + 1 % of the URLs, and every URL a record or a dead
    letter. The first URL of one host per partition is slow, so that
    each partition's commit point (its lowest unfinished URL) lags far
    behind what was fetched, as a slow site makes it in production."""
    ids = [f"k{i:05d}" for i in range(N)]
    slow = slow_hosts()
    msgs = []
    for i, ident in enumerate(ids):
        h = f"h{i % HOSTS:02d}.state.test"
        kind = "slow" if h in slow and i < HOSTS else "id"
        msgs.append({"url": f"http://{h}/{kind}/{ident}", "id": ident})
    server.id_delay = 0.05   # 20 in flight: at most 400 URLs a second
    server.slow_delay = 8.0
    group = "gst" + uuid.uuid4().hex[:10]
    procs = []
    try:
        f = Proc("fetcher", fetcher_args(brokers, topics, group + "-f", server), tmp_path)
        procs.append(f)
        cl = Proc("cleaner", cleaner_args(brokers, topics, group + "-c"), tmp_path)
        procs.append(cl)
        publish(brokers, topics.urls, msgs)
        end = time.monotonic() + DEADLINE
        while sum(1 for k in server.hits_snapshot() if k.startswith("/id/")) < N // 2:
            assert time.monotonic() < end, f"not half fetched in time\n{f.log_tail()}"
            f.assert_running()
            time.sleep(0.05)
        f.p.send_signal(signal.SIGKILL)
        f.p.wait(10)
        f.stopped = True
        requested = {k.split("/", 2)[2] for k in server.hits_snapshot()
                     if k.startswith(("/id/", "/slow/"))}
        delivered = {m.headers.get("id") for m in read_all(brokers, topics.pages)}
        delivered |= set(outcome_ids(brokers, topics))
        in_flight = len(requested - delivered)
        f2 = Proc("fetcher", fetcher_args(brokers, topics, group + "-f", server), tmp_path)
        procs.append(f2)
        end = time.monotonic() + DEADLINE
        while True:
            seen = outcome_ids(brokers, topics)
            lost = [i for i in ids if not seen[i]]
            if not lost or time.monotonic() > end:
                break
            f2.assert_running()
            cl.assert_running()
            time.sleep(1)
        f2.stop()
        cl.stop()
    finally:
        for pr in procs:
            pr.kill()
    hits = server.hits_snapshot()
    repeated = sum(v - 1 for k, v in hits.items()
                   if k.startswith(("/id/", "/slow/")) and v > 1)
    bound = in_flight + N // 100
    print(f"\nkill -9: {N} URLs, --max-inflight {INFLIGHT}; {len(requested)} requested "
          f"before the kill, {in_flight} of them without an outcome yet; requests "
          f"repeated after the restart: {repeated} (bound {bound}); lost {len(lost)}")
    assert len(requested) < N, "the kill did not land mid-run"
    assert not lost, f"lost {len(lost)} ids: {lost[:10]}"
    assert repeated <= bound, f"{repeated} requests repeated (bound {bound})"


def wait_for(cond, what, procs, deadline=CONSUME_DEADLINE):
    end = time.monotonic() + deadline
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        for pr in procs:
            pr.assert_running()
        time.sleep(0.1)


def test_state_conditional_refetch(brokers, topics, server, tmp_path):
    """A URL fetched before is asked again with the validators of its
    state; a 304 is a page (status 304, empty body, not_modified) and
    counted; a changed page (new ETag) is a 200 page again."""
    url = "http://cond.state.test/etag/a"
    maddr = f"127.0.0.1:{free_port()}"
    group = "gsc" + uuid.uuid4().hex[:10]
    f = Proc("fetcher", fetcher_args(brokers, topics, group, server,
                                     "--metrics-addr", maddr), tmp_path)
    try:
        publish(brokers, topics.urls, [url])
        first = consume(brokers, topics.pages, 1, procs=[f])
        assert first and first[0].headers["status"] == "200", f.log_tail()
        # Its state: pending with the page, then the page once delivered.
        assert len(consume(brokers, topics.state, 2, procs=[f])) == 2
        publish(brokers, topics.urls, [url])   # a user's refresh: fetched again
        pages = consume(brokers, topics.pages, 2, procs=[f])
        assert len(pages) == 2, f.log_tail()
        again = pages[1]
        check_page(again)
        assert again.headers["status"] == "304", again.headers
        assert again.headers.get("not_modified") == "true"
        assert again.value in (None, b"")
        wait_for(lambda: metric_value(maddr, "kcrawl_fetcher_conditional_hits_total") == 1.0,
                 "conditional_hits_total 1", [f])
        # The page changes: a new ETag, a full page.
        assert len(consume(brokers, topics.state, 4, procs=[f])) == 4
        server.versions["a"] += 1
        publish(brokers, topics.urls, [url])
        pages = consume(brokers, topics.pages, 3, procs=[f])
        assert len(pages) == 3, f.log_tail()
        assert pages[2].headers["status"] == "200"
        assert "not_modified" not in pages[2].headers
        assert b"v-a-1" in pages[2].value
        f.stop()
    finally:
        f.kill()
    asked = [c for c in server.conditional if c[0] == "/etag/a"]
    assert asked[0] == ("/etag/a", None, None), asked
    assert asked[1] == ("/etag/a", '"v-a-0"', "Tue, 01 Dec 2026 10:00:00 GMT"), asked
    assert asked[2][1] == '"v-a-0"', asked


def test_state_invalid_message_dead_lettered(brokers, topics, server, tmp_path):
    """State messages that are not valid are dead-lettered (invalid_state)
    with their origin, and their URL is fetched as new."""
    from confluent_kafka import Producer

    url = "http://bad.state.test/id/bad1"
    part = murmur2_partition(b"bad.state.test", PARTITIONS)
    bad = [b"{not json", json.dumps({"v": 99, "url": url, "fetched_at_ms": 1}).encode()]
    p = Producer({"bootstrap.servers": brokers})
    for v in bad:
        p.produce(topics.state, key=url.encode(), value=v, partition=part)
    assert p.flush(30) == 0
    group = "gsi" + uuid.uuid4().hex[:10]
    f = Proc("fetcher", fetcher_args(brokers, topics, group, server), tmp_path)
    try:
        errs = consume(brokers, topics.errors, 2, procs=[f])
        assert len(errs) == 2, f.log_tail()
        for i, m in enumerate(sorted(errs, key=lambda m: json.loads(m.value)["offset"])):
            check_error(m)
            e = json.loads(m.value)
            assert e["code"] == "invalid_state", e
            assert e["stage"] == "fetcher"
            assert (e["topic"], e["partition"], e["offset"]) == (topics.state, part, i)
            assert error_input(e) == bad[i]
        publish(brokers, topics.urls, [{"url": url, "id": "bad1"}])
        pages = consume(brokers, topics.pages, 1, procs=[f])
        assert pages and pages[0].headers["status"] == "200", f.log_tail()
        f.stop()
    finally:
        f.kill()
    assert server.hits_snapshot()["/id/bad1"] == 1


def test_state_topic_missing_exits_2(brokers, topics):
    missing = topics.prefix + ".no-such-state"
    r = run_cli("fetcher", "--brokers", brokers, "--urls-topic", topics.urls,
                "--pages-topic", topics.pages, "--errors-topic", topics.errors,
                "--delay-topic", topics.delayed, "--state-topic", missing, timeout=60)
    assert r.returncode == 2, r.stderr
    last = r.stderr.decode().strip().splitlines()[-1]
    assert last.startswith("fetcher: ") and missing in last, last


def test_state_followed_link_dropped_after_restart(brokers, topics, server, tmp_path):
    """A followed link whose URL was fetched before a restart is dropped
    by the next fetcher (the state survives it; the seen set did not)."""
    from fetcher_helpers import publish_with_headers

    url = "http://follow.state.test/id/f1"
    group = "gsf" + uuid.uuid4().hex[:10]
    maddr = f"127.0.0.1:{free_port()}"
    f = Proc("fetcher", fetcher_args(brokers, topics, group, server), tmp_path)
    try:
        publish(brokers, topics.urls, [url])
        assert len(consume(brokers, topics.pages, 1, procs=[f])) == 1
        assert len(consume(brokers, topics.state, 2, procs=[f])) == 2
        f.stop()
        f = Proc("fetcher", fetcher_args(brokers, topics, group, server,
                                         "--metrics-addr", maddr), tmp_path)
        publish_with_headers(brokers, topics.urls, [
            ({"url": url, "depth": 1}, {"followed_from": "http://follow.state.test/"}),
        ])
        publish(brokers, topics.urls, ["http://follow.state.test/id/f2"])
        pages = consume(brokers, topics.pages, 2, procs=[f])
        assert [m.key.decode() for m in pages][1] == "http://follow.state.test/id/f2"
        wait_for(lambda: metric_value(maddr, "kcrawl_fetcher_links_dropped_total") == 1.0,
                 "links_dropped_total 1", [f])
        # The load on assignment: the URL's two states (pending, then the
        # page) counted, its duration the gauge and the log line's.
        assert metric_value(maddr, "kcrawl_fetcher_state_loaded_total") == 2.0
        loads = [json.loads(line) for line in f.log_path.read_text().splitlines()
                 if '"msg":"crawl state loaded"' in line]
        assert loads and (loads[-1]["messages"], loads[-1]["urls"]) == (2, 1)
        secs = metric_value(maddr, "kcrawl_fetcher_state_load_seconds")
        assert secs is not None and abs(secs - loads[-1]["ms"] / 1000) < 0.005
        f.stop()
    finally:
        f.kill()
    assert server.hits_snapshot()["/id/f1"] == 1


def log_count(pr, msg):
    try:
        text = pr.log_path.read_text(errors="replace")
    except OSError:
        return 0
    return sum(1 for line in text.splitlines() if f'"msg":"{msg}"' in line)


def test_state_rebalance_followed_links_not_fetched_again(brokers, topics, server,
                                                          tmp_path):
    """Hosts move to a second fetcher of the group: the followed links the
    first one fetched are not requested again by their new owner."""
    from fetcher_helpers import publish_with_headers

    n_hosts = 16
    urls = [f"http://r{i:02d}.state.test/id/r{i:02d}" for i in range(n_hosts)]
    group = "gsr" + uuid.uuid4().hex[:10]
    ma, mb = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    a = Proc("fetcher", fetcher_args(brokers, topics, group, server, "--metrics-addr", ma),
             tmp_path)
    b = None
    try:
        publish(brokers, topics.urls, urls)
        assert len(consume(brokers, topics.pages, n_hosts, procs=[a])) == n_hosts
        assert len(consume(brokers, topics.state, 2 * n_hosts, procs=[a])) == 2 * n_hosts
        b = Proc("fetcher", fetcher_args(brokers, topics, group, server,
                                         "--metrics-addr", mb), tmp_path)
        # The group settles: both assigned after the rebalance.
        wait_for(lambda: log_count(a, "partitions assigned") >= 2
                 and log_count(b, "partitions assigned") >= 1
                 and log_count(b, "crawl state loaded") >= 1,
                 "the rebalance", [a, b], deadline=120)
        followed = {"followed_from": "http://r00.state.test/"}
        publish_with_headers(brokers, topics.urls,
                             [({"url": u, "depth": 1}, followed) for u in urls])

        def dropped():
            va = metric_value(ma, "kcrawl_fetcher_links_dropped_total") or 0
            vb = metric_value(mb, "kcrawl_fetcher_links_dropped_total") or 0
            return va, vb

        # Each followed link is dropped or fetched again (a new page).
        wait_for(lambda: sum(dropped()) + len(read_all(brokers, topics.pages)) - n_hosts
                 >= n_hosts, f"{n_hosts} links handled", [a, b], deadline=120)
        va, vb = dropped()
        assert va + vb == n_hosts, (f"dropped {va} (first) + {vb} (second) of {n_hosts}; "
                                    f"the rest requested again")
        assert vb > 0, "no host moved to the second fetcher"
        b.stop()
        a.stop()
    finally:
        a.kill()
        if b is not None:
            b.kill()
    hits = server.hits_snapshot()
    again = [u for u in urls if hits["/id/" + u.rsplit("/", 1)[1]] != 1]
    assert not again, f"requested again after the rebalance: {again}"
    assert len(read_all(brokers, topics.pages)) == n_hosts


def test_state_pending_page_found_not_requested(brokers, topics, server, tmp_path):
    """What a fetcher killed between a page's delivery and its state's
    confirmation leaves: the URL message uncommitted, its page on the pages
    topic (header kcrawl_input naming the message) and a pending state. The
    next fetcher finds the page and commits the message without a request.
    A pending state whose page never arrived is requested again."""
    import time as _time

    from confluent_kafka import Producer

    from fetcher_helpers import committed_behind

    found_url = "http://pend.state.test/id/p1"
    lost_url = "http://pend.state.test/id/p2"
    pub = publish(brokers, topics.urls, [{"url": found_url, "id": "p1"},
                                         {"url": lost_url, "id": "p2"}])
    now = int(_time.time() * 1000)
    part = murmur2_partition(b"pend.state.test", PARTITIONS)
    p = Producer({"bootstrap.servers": brokers})   # default partitioner, as the fetcher's
    for m, url in zip(pub, (found_url, lost_url)):
        state = {"v": 1, "url": url, "fetched_at_ms": now, "status": 200, "fetches": 1,
                 "changes": 0, "outcome": "pending",
                 "input": {"topic": topics.urls, "partition": m.partition,
                           "offset": m.offset}}
        p.produce(topics.state, key=url.encode(), value=json.dumps(state).encode(),
                  partition=part)
    m = pub[0]
    p.produce(topics.pages, key=found_url.encode(), value=b"<html>p1</html>",
              headers=[("url", found_url), ("status", "200"),
                       ("fetched_at", "2026-12-02T00:00:00.000Z"), ("id", "p1"),
                       ("kcrawl_input", f"{topics.urls}/{m.partition}/{m.offset}")])
    assert p.flush(30) == 0
    group = "gsp" + uuid.uuid4().hex[:10]
    maddr = f"127.0.0.1:{free_port()}"
    f = Proc("fetcher", fetcher_args(brokers, topics, group, server, "--metrics-addr", maddr),
             tmp_path)
    try:
        pages = consume(brokers, topics.pages, 2, procs=[f])
        assert len(pages) == 2, f.log_tail()
        assert pages[1].key.decode() == lost_url, [x.key for x in pages]
        wait_for(lambda: metric_value(maddr, "kcrawl_fetcher_state_duplicates_total") == 1.0,
                 "state_duplicates_total 1", [f])
        f.stop()
    finally:
        f.kill()
    hits = server.hits_snapshot()
    assert hits["/id/p1"] == 0, "the URL whose page was out was requested again"
    assert hits["/id/p2"] == 1
    assert committed_behind(brokers, group, topics.urls) == 0
