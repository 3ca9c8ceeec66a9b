"""Scheduled recrawl and state tombstones (docs/reliability.md, "Scheduled
recrawl"): a URL that asks for it ("recrawl" in its message, or
--recrawl) is fetched again through the delay topic, its interval adapting
(shorter while the page changes, longer while it does not), its next
request conditional;

  rounds      N URLs, a short interval, a tenth of the pages changed
              between rounds: each round fetches each URL once, the
              unchanged ones answered 304, the changed ones 200
  stop        "recrawl": false records a stop (no request) and the URL's
              recrawls end
  stop list   --recrawl-stop: a host's recrawls and discovered URLs are
              dropped, the file re-read when it changes
  tombstones  a state older than --state-max-age is deleted from the
              state topic with a tombstone when the state is loaded

URLs are http://hNN.recrawl.test/etag/NAME on virtual hosts, sent to one
local server by --connect-to; /etag/NAME answers 304 to its current ETag.
"""

import collections
import json
import os
import time
import uuid

import pytest

from conftest import (PARTITIONS, Proc, assert_valid, consume, host_key,
                      murmur2_partition, publish, read_all, run_cli)
from fetcher_helpers import (committed_behind, free_port, metric_value,
                             publish_with_headers, wait_until)
from hostile_server import HostileServer
from test_fetcher_state import cleaner_args

N = int(os.environ.get("KCRAWL_RECRAWL_N", "200"))
HOSTS = 8
INTERVAL = 12  # seconds: the first recrawl interval of the round test


@pytest.fixture
def server():
    s = HostileServer("127.0.0.1")
    yield s
    s.stop()


def fetcher_args(brokers, topics, server, *extra):
    group = "grc" + uuid.uuid4().hex[:10]
    return ["--brokers", brokers, "--group", group,
            "--urls-topic", topics.urls, "--pages-topic", topics.pages,
            "--errors-topic", topics.errors, "--delay-topic", topics.delayed,
            "--state-topic", topics.state,
            "--connect-to", f"::127.0.0.1:{server.port}",
            "--host-rate", "10000", "--host-burst", "1000", "--host-concurrency", "8",
            "--max-inflight", "40", "--retries", "2", "--retry-backoff-ms", "200",
            # Recrawl copies wait on the delay topic itself (a 1 s tier),
            # then in memory until due.
            "--park-after", "1", "--recrawl-min", "1",
            "--timeout", "20", "--drain-timeout", "10", *extra]


def wait_for(cond, what, procs, deadline=120):
    wait_until(cond, deadline=deadline, procs=procs, what=what)


def states(brokers, topics):
    """The latest state value per URL (None: a tombstone)."""
    last = {}
    for m in read_all(brokers, topics.state):
        last[m.key.decode()] = json.loads(m.value) if m.value else None
    return last


def test_recrawl_rounds_each_url_once_unchanged_304(brokers, topics, server, tmp_path):
    """The issue's target run, smaller: N URLs with a short recrawl
    interval; between rounds a tenth of the pages change. Round 2 fetches
    each URL exactly once: the unchanged ones asked with their validators
    and answered 304 (no body), the changed ones 200 with the new body;
    the intervals adapt (unchanged: longer, changed: shorter); a cleaner
    beside it flags exactly the changed tenth in the second round's
    records (`changed`), none in the first's (null: first fetch)."""
    names = [f"p{i:04d}" for i in range(N)]
    urls = {n: f"http://h{i % HOSTS:02d}.recrawl.test/etag/{n}" for i, n in enumerate(names)}
    changed = set(names[::10])
    maddr = f"127.0.0.1:{free_port()}"
    f = Proc("fetcher", fetcher_args(brokers, topics, server, "--metrics-addr", maddr),
             tmp_path)
    cl = Proc("cleaner", [*cleaner_args(brokers, topics, "grcc" + uuid.uuid4().hex[:10]),
                          "--state-topic", topics.state], tmp_path)
    procs = [f, cl]
    try:
        publish(brokers, topics.urls,
                [{"url": urls[n], "id": n, "recrawl": INTERVAL} for n in names])
        hits = lambda: [server.hits[f"/etag/{n}"] for n in names]  # noqa: E731
        wait_for(lambda: min(hits()) >= 1, "round 1", procs)
        t1 = time.monotonic()
        assert max(hits()) == 1, "a URL fetched twice in round 1"
        # Between the rounds: a tenth of the pages change.
        for n in changed:
            server.versions[n] += 1
        wait_for(lambda: min(hits()) >= 2, "round 2", procs)
        round2 = time.monotonic() - t1
        # Each round fetches each URL once: none a third time yet (the
        # shortest next interval is 0.8 * INTERVAL).
        assert max(hits()) == 2, collections.Counter(hits())
        wait_for(lambda: metric_value(maddr, "kcrawl_fetcher_recrawls_scheduled_total")
                 == 2 * N, "the second round's copies", procs)
        assert metric_value(maddr, "kcrawl_fetcher_conditional_hits_total") == N - len(changed)
        recs = consume(brokers, topics.records, 2 * N, procs=procs)
        f.stop()
        cl.stop()
    finally:
        for pr in procs:
            pr.kill()
    assert round2 < 3 * INTERVAL, f"round 2 came {round2:.1f} s after round 1"
    asked = collections.defaultdict(list)
    for path, inm, _ims in server.conditional:
        asked[path[len("/etag/"):]].append(inm)
    for n in names:
        assert asked[n][0] is None, (n, asked[n])
        assert asked[n][1] == f'"v-{n}-0"', (n, asked[n])  # the second is conditional
    pages = collections.defaultdict(list)
    for m in read_all(brokers, topics.pages):
        pages[m.headers["id"]].append(m)
    for n in names:
        assert len(pages[n]) == 2, (n, len(pages[n]))
        second = pages[n][1]
        if n in changed:
            assert second.headers["status"] == "200", n
            assert f"v-{n}-1".encode() in second.value
        else:
            assert second.headers["status"] == "304", n
            assert second.headers.get("not_modified") == "true"
            assert second.value in (None, b"")
    # The interval in use, in each URL's state: shorter after a change
    # (12 * 0.8), longer after none (12 * 1.4); the next fetch due.
    st = states(brokers, topics)
    for n in names:
        assert_valid("state", st[urls[n]], n)
        rc = st[urls[n]]["recrawl"]
        assert rc["base_s"] == INTERVAL
        assert rc["interval_s"] == (10 if n in changed else 17), (n, rc)
        assert rc["next_due_ms"] > st[urls[n]]["fetched_at_ms"]
    # The records: each URL's first is a first fetch (changed null), its
    # second flags exactly the changed tenth.
    by_url = collections.defaultdict(list)
    for m in recs:
        rec = json.loads(m.value)
        assert_valid("record", rec, rec.get("id"))
        by_url[rec["url"]].append(rec)
    for n in names:
        got = sorted(by_url[urls[n]], key=lambda r: r["fetched_at"])
        assert len(got) == 2, (n, len(got))
        assert got[0]["changed"] is None, (n, got[0]["changed"])
        assert got[1]["changed"] is (n in changed), (n, got[1]["changed"], got[1]["status"])
    changes = {n: st[urls[n]]["changes"] for n in names}
    assert {n for n, c in changes.items() if c} == changed


def test_recrawl_adapts_to_the_cleaners_verdict(brokers, topics, server, tmp_path):
    """A page whose bytes change at every render (a timestamp, a token)
    while its main text does not is recrawled as an unchanged page: each
    step adapts on the body (changed), the next one first redoes it on the
    cleaner's verdict (content unchanged). With a 5 s base: round 2 adapts
    on the changed body (5 -> 4); the cleaner says unchanged; round 3
    redoes that step (5 -> 7), then takes its own (7 -> 6). On the body
    alone it would shrink (4 -> 3)."""
    from test_change_detection import article
    name = "stamped"
    url = f"http://adapt.recrawl.test/doc/{name}"
    stamp = [0]

    def render():
        stamp[0] += 1
        server.docs[name] = article("The lamp is back in stock.", f"t{stamp[0]}")

    render()
    cl = Proc("cleaner", [*cleaner_args(brokers, topics, "grca" + uuid.uuid4().hex[:10]),
                          "--state-topic", topics.state], tmp_path)
    f = Proc("fetcher", fetcher_args(brokers, topics, server), tmp_path)
    procs = [f, cl]
    try:
        publish(brokers, topics.urls, [{"url": url, "id": "a", "recrawl": 5}])
        for k in (1, 2, 3):
            wait_for(lambda: server.hits[f"/doc/{name}"] >= k, f"round {k}", procs)
            render()
        recs = consume(brokers, topics.records, 3, procs=procs)
        f.stop()
        cl.stop()
    finally:
        for pr in procs:
            pr.kill()
    got = sorted((json.loads(m.value) for m in recs), key=lambda r: r["fetched_at"])
    # The cleaner's verdicts: first fetch, then unchanged (only the stamp).
    assert [r["changed"] for r in got] == [None, False, False], got
    rc = states(brokers, topics)[url]["recrawl"]
    assert (rc["interval_s"], rc["prev_s"], rc["adapted_on"]) == (6, 7, 1), rc


def test_recrawl_dead_letters_back_off(brokers, topics, server, tmp_path):
    """A URL that keeps failing (a redirect to file://, its dead letter
    each time) is asked ever less often: 2 s, then 3, then 4, as an
    unchanged page's interval grows; each fetch still ends as a dead
    letter."""
    url = "http://gone.recrawl.test/redirect-file"
    f = Proc("fetcher", fetcher_args(brokers, topics, server), tmp_path)
    try:
        publish(brokers, topics.urls, [{"url": url, "id": "g", "recrawl": 2}])
        wait_for(lambda: server.hits["/redirect-file"] >= 3, "three fetches", [f])
        errs = consume(brokers, topics.errors, 3, procs=[f])
        wait_for(lambda: (states(brokers, topics).get(url) or {}).get("fetches", 0) >= 3,
                 "the third state", [f])
        f.stop()
    finally:
        f.kill()
    assert [json.loads(m.value)["code"] for m in errs][:3] == ["unsupported_scheme"] * 3, errs
    st = states(brokers, topics)[url]
    assert st["outcome"] == "error" and st["recrawl"]["interval_s"] == 4, st


def test_recrawl_false_stops_a_url(brokers, topics, server, tmp_path):
    """A URL with a 2 s interval is fetched again and again, the repeats
    conditional (304); a message with "recrawl": false records a stop in
    its state without a request, and its recrawls end."""
    url = "http://stop.recrawl.test/etag/s"
    other = "http://stop.recrawl.test/etag/t"  # same host, goes on
    maddr = f"127.0.0.1:{free_port()}"
    f = Proc("fetcher", fetcher_args(brokers, topics, server, "--metrics-addr", maddr),
             tmp_path)
    try:
        publish(brokers, topics.urls, [{"url": url, "recrawl": 2},
                                       {"url": other, "recrawl": 2}])
        wait_for(lambda: server.hits["/etag/s"] >= 3, "three fetches", [f])
        publish(brokers, topics.urls, [{"url": url, "recrawl": False}])
        wait_for(lambda: metric_value(maddr, "kcrawl_fetcher_recrawls_stopped_total")
                 is not None and metric_value(
                     maddr, "kcrawl_fetcher_recrawls_stopped_total") >= 1,
                 "the stop", [f])
        at_stop = server.hits["/etag/s"]
        other_at_stop = server.hits["/etag/t"]
        time.sleep(10)  # the unchanged pages' intervals grow: 2, 3, 4, 6 s
        after = server.hits["/etag/s"]
        f.stop()
    finally:
        f.kill()
    # A copy already taken when the stop came may be fetched once more.
    assert after <= at_stop + 1, (at_stop, after)
    assert server.hits["/etag/t"] >= other_at_stop + 1, "the other URL stopped too"
    codes = [c for c in server.conditional if c[0] == "/etag/s"]
    assert codes[0][1] is None and all(c[1] == '"v-s-0"' for c in codes[1:]), codes
    st = states(brokers, topics)[url]
    assert st["recrawl"]["stopped_at_ms"] > 0 and st["recrawl"]["next_due_ms"] == 0, st


def test_recrawl_without_crawl_state(brokers, topics, server, tmp_path):
    """--state-topic '': recrawls still go through the delay topic (no
    adaptation, no validators: every request a full 200)."""
    maddr = f"127.0.0.1:{free_port()}"
    args = fetcher_args(brokers, topics, server, "--metrics-addr", maddr)
    args[args.index("--state-topic") + 1] = ""
    f = Proc("fetcher", args, tmp_path)
    try:
        publish(brokers, topics.urls, [{"url": "http://nostate.recrawl.test/etag/n",
                                        "recrawl": 2}])
        wait_for(lambda: server.hits["/etag/n"] >= 3, "three fetches", [f], deadline=60)
        f.stop()
    finally:
        f.kill()
    assert all(c[1] is None for c in server.conditional if c[0] == "/etag/n")


def test_recrawl_stop_list_host_and_discovered(brokers, topics, server, tmp_path):
    """--recrawl-stop: a listed host's URL a user publishes is fetched but
    not scheduled again, its discovered URLs (followed links) are dropped;
    a host added to the file while running stops recrawling once the file
    is re-read."""
    stops = tmp_path / "stops.txt"
    stops.write_text("# stopped hosts\nhost a.recrawl.test\n")
    maddr = f"127.0.0.1:{free_port()}"
    f = Proc("fetcher", fetcher_args(brokers, topics, server, "--metrics-addr", maddr,
                                     "--recrawl-stop", str(stops), "--recrawl", "2"),
             tmp_path)
    try:
        publish(brokers, topics.urls, ["http://a.recrawl.test/etag/a1",
                                       "http://b.recrawl.test/etag/b1"])
        publish_with_headers(brokers, topics.urls, [
            ({"url": "http://a.recrawl.test/etag/a2", "depth": 1},
             {"followed_from": "http://a.recrawl.test/etag/a1"}),
            ({"url": "http://b.recrawl.test/etag/b2", "depth": 1},
             {"followed_from": "http://b.recrawl.test/etag/b1"})])
        wait_for(lambda: server.hits["/etag/b1"] >= 2 and server.hits["/etag/b2"] >= 2,
                 "b's recrawls", [f])
        wait_for(lambda: metric_value(maddr, "kcrawl_fetcher_discovered_stopped_total")
                 == 1.0, "a's discovered URL dropped", [f])
        stops.write_text("host a.recrawl.test\nhost b.recrawl.test\n")
        wait_for(lambda: "recrawl stop list re-read" in f.log_tail(200), "the re-read", [f])
        b_at = server.hits["/etag/b1"]
        time.sleep(6)
        b_after = server.hits["/etag/b1"]
        f.stop()
    finally:
        f.kill()
    # The test broker keeps 2 hours: under --recrawl-max (1 day), said at
    # start-up for each delay topic.
    log = f.log_path.read_text()
    assert "delay topic retention shorter than --recrawl-max" in log
    assert topics.delayed in log
    assert server.hits["/etag/a1"] == 1  # a user's URL: fetched, not again
    assert server.hits["/etag/a2"] == 0  # a discovered URL: dropped
    assert b_after <= b_at + 1, (b_at, b_after)


def state_value(url, fetched_at_ms, **extra):
    return json.dumps({"v": 1, "url": url, "fetched_at_ms": fetched_at_ms, "status": 200,
                       "etag": '"x"', "fetches": 1, "outcome": "page", **extra})


def test_state_older_than_max_age_tombstoned(brokers, topics, server, tmp_path):
    """States older than --state-max-age are deleted with tombstones when
    the state is loaded (counted); a fresh one is kept, and so is a URL
    whose old state was followed by a fresh one."""
    from confluent_kafka import Producer
    now = int(time.time() * 1000)
    day = 86400 * 1000
    old = "http://old.recrawl.test/etag/o"
    fresh = "http://fresh.recrawl.test/etag/f"
    revived = "http://old.recrawl.test/etag/r"
    due = "http://old.recrawl.test/etag/d"  # old fetch, a recrawl due lately
    p = Producer({"bootstrap.servers": brokers})
    for url, value in [(old, state_value(old, now - 40 * day)),
                       (fresh, state_value(fresh, now - day)),
                       (revived, state_value(revived, now - 40 * day)),
                       (revived, state_value(revived, now - day)),
                       (due, state_value(due, now - 40 * day,
                                         recrawl={"interval_s": 60, "base_s": 60,
                                                  "next_due_ms": now - day}))]:
        p.produce(topics.state, key=url.encode(), value=value.encode(),
                  partition=murmur2_partition(host_key(url).encode(), PARTITIONS))
    assert p.flush(30) == 0
    maddr = f"127.0.0.1:{free_port()}"
    f = Proc("fetcher", fetcher_args(brokers, topics, server, "--metrics-addr", maddr,
                                     "--state-max-age", str(30 * 86400)), tmp_path)
    try:
        wait_for(lambda: metric_value(maddr, "kcrawl_fetcher_state_tombstones_total")
                 == 1.0, "one tombstone", [f])
        # The forgotten URL is new again: fetched without validators.
        publish(brokers, topics.urls, [old, fresh])
        assert len(consume(brokers, topics.pages, 2, procs=[f])) == 2
        f.stop()
    finally:
        f.kill()
    msgs = [m for m in read_all(brokers, topics.state)]
    tombs = [m.key.decode() for m in msgs if m.value is None]
    # The URL's state and the cleaner's content state (its own key) of it.
    assert tombs == [old, "content:" + old], tombs
    by_path = {c[0]: c[1] for c in server.conditional}
    assert by_path["/etag/o"] is None  # forgotten: unconditional
    assert by_path["/etag/f"] == '"x"'  # kept: conditional


def test_recrawl_copy_not_requested_again_after_kill9(brokers, topics, server, tmp_path):
    """kill -9 right after a recrawl copy's page is out (its offset not
    committed yet): the restarted fetcher reads the copy again, finds its
    outcome in the state and commits it without a request, produces the
    next copy again (the one the state expects), and the duplicate that
    makes is dropped: the URL is still fetched once per interval."""
    url = "http://kill.recrawl.test/etag/k"
    group = "grk" + uuid.uuid4().hex[:10]
    interval = 8  # over the commit interval: the original is committed first

    def args(maddr):
        a = fetcher_args(brokers, topics, server, "--metrics-addr", maddr,
                         "-X", "auto.commit.interval.ms=4000")
        a[a.index("--group") + 1] = group
        return a

    maddr1 = f"127.0.0.1:{free_port()}"
    f = Proc("fetcher", args(maddr1), tmp_path)
    f2 = None
    try:
        publish(brokers, topics.urls, [{"url": url, "recrawl": interval}])
        # The original's offset is committed before the copy comes.
        assert len(consume(brokers, topics.pages, 2, deadline=60, procs=[f])) == 2
        # Whether the second page's copy was produced before the kill (the
        # kill may come between the page and it): read just before.
        scheduled = metric_value(maddr1, "kcrawl_fetcher_recrawls_scheduled_total")
        f.p.kill()
        f.p.wait()
        f.stopped = True
        hits_at_kill = server.hits["/etag/k"]
        assert hits_at_kill == 2
        behind = committed_behind(brokers, group, topics.delayed)
        maddr = f"127.0.0.1:{free_port()}"
        f2 = Proc("fetcher", args(maddr), tmp_path)
        # The next fetch is due interval * 1.4 after the second.
        wait_for(lambda: server.hits["/etag/k"] >= 3, "the third fetch", [f2], deadline=90)
        time.sleep(interval)  # under the next interval (interval * 1.96)
        assert server.hits["/etag/k"] == 3, server.hits["/etag/k"]
        dups = metric_value(maddr, "kcrawl_fetcher_state_duplicates_total")
        superseded = metric_value(maddr, "kcrawl_fetcher_recrawls_superseded_total")
        f2.stop()
    finally:
        f.kill()
        if f2:
            f2.kill()
    print(f"\nkill -9 after a copy's page: {behind} delay-topic messages uncommitted, "
          f"{scheduled} copies made before the kill, "
          f"{dups} committed without a request, {superseded} copies superseded")
    if behind:
        # The copy was redelivered: committed without a request, and the
        # next copy made twice, one of them dropped.
        assert dups >= 1, (behind, dups)
        # Not asserted: that the copy made again is counted superseded
        # within the window (seen 0 in CI after the change-detection merge
        # while the URL was still requested only once: an open question,
        # docs/reliability.md). What must hold is the request count above.
    codes = [c[1] for c in server.conditional if c[0] == "/etag/k"]
    assert codes == [None, '"v-k-0"', '"v-k-0"'], codes


@pytest.mark.parametrize("extra, word", [
    (("--recrawl", "60", "--recrawl-max", "90000"), "--max-park"),
    (("--recrawl-min", "100", "--recrawl-max", "50"), "--recrawl-min"),
    (("--recrawl", "60", "--delay-topic", ""), "--delay-topic"),
    (("--recrawl-stop", "/nonexistent/stops.txt"), "--recrawl-stop"),
])
def test_recrawl_bad_options_exit_2(brokers, topics, extra, word):
    """Recrawl options that cannot work: one line naming the option, exit 2."""
    r = run_cli("fetcher", "--brokers", brokers, "--urls-topic", topics.urls,
                "--pages-topic", topics.pages, "--errors-topic", topics.errors,
                "--delay-topic", topics.delayed, "--state-topic", topics.state, *extra,
                timeout=60)
    assert r.returncode == 2, r.stderr
    last = r.stderr.decode().strip().splitlines()[-1]
    assert last.startswith("fetcher: ") and word in last, last
