"""The fetcher's politeness and robustness on a real broker, against a
local server playing many sites (fetcher_helpers.Sites): per-host rate
limits measured on the server's side, fairness between hosts, robots.txt,
retries and back-off, self-healing partitioning, parking on the delay
topic, --resolve/--connect-to and the address guard, the proxy pool, and
no loss under SIGKILL.

Every wait is bounded and polls; nothing sleeps for a fixed time.
"""

import json
import time

import pytest

from confluent_kafka import Producer

from conftest import (PARTITIONS, check_error, check_page, consume, create_topics,
                      delete_topics, host_key, murmur2_partition, publish, read_all)
from fetcher_helpers import (Sites, max_per_window, publish_with_headers, start_fetcher,
                             wait_until)


@pytest.fixture
def sites():
    s = Sites()
    yield s
    s.close()


def by_url(msgs):
    return {m.key.decode(): m for m in msgs}


def test_rate_limit_per_host_several_hosts(brokers, topics, sites, tmp_path):
    """4 hosts x 12 URLs at --host-rate 2 --host-burst 2: on the server's
    clock no 1-second window holds more than rate + burst requests of one
    host (plus 1 for timing noise), and the limit really slows the crawl."""
    hosts = [f"rate{i}.test" for i in range(4)]
    urls = [f"http://{h}/page/{n}" for h in hosts for n in range(12)]
    publish(brokers, topics.urls, urls)
    fx = start_fetcher(brokers, topics, tmp_path, "--connect-to", sites.connect_to(),
                       "--host-rate", "2", "--host-burst", "2", "--max-inflight", "50")
    pages = consume(brokers, topics.pages, len(urls), procs=[fx])
    fx.stop()
    assert len(pages) == len(urls), fx.log_tail()
    assert set(by_url(pages)) == set(urls)
    for h in hosts:
        times = [t for (_, _, t) in sites.requests(h, "/page/")]
        assert len(times) == 12
        assert max_per_window(times) <= 2 + 2 + 1, (h, sorted(times))
        # 12 requests at 2/s with a burst of 2 take at least ~5 s.
        assert max(times) - min(times) >= 4.0, (h, max(times) - min(times))
        assert len(sites.requests(h, "/robots.txt")) == 1


def test_fair_between_hosts(brokers, topics, sites, tmp_path):
    """A host with 300 queued URLs does not starve one with 3: with one
    request at a time overall, the small host's URLs are served within the
    first few turns."""
    big = [f"http://big.test/page/{n}" for n in range(300)]
    small = [f"http://small.test/page/{n}" for n in range(3)]
    publish(brokers, topics.urls, big)
    publish(brokers, topics.urls, small)
    fx = start_fetcher(brokers, topics, tmp_path, "--connect-to", sites.connect_to(),
                       "--host-rate", "1000", "--host-burst", "1000",
                       "--max-inflight", "1", "--host-concurrency", "1")
    wait_until(lambda: len(sites.requests("small.test", "/page/")) == 3,
               procs=[fx], what="the small host's 3 pages")
    fx.stop()
    log = [r for r in sites.requests() if r[1].startswith("/page/")]
    order = [r[0] for r in log]
    last_small = max(i for i, h in enumerate(order) if h == "small.test")
    big_before = sum(1 for h in order[:last_small] if h == "big.test")
    # Round robin: about one big request per small one (plus what ran
    # before the small host's messages were consumed).
    assert big_before < 60, f"small host waited behind {big_before} big requests"


def test_robots(brokers, topics, sites, tmp_path):
    """robots.txt: rules for our product token, 4xx = allow all, 5xx =
    retried then robots_unreachable; fetched once per host."""
    sites.robots["rules.test"] = (200, "User-agent: *\nDisallow: /\n\n"
                                       "User-agent: KCrawlTest\nDisallow: /page/private\n"
                                       "Allow: /page/private/ok$\n")
    sites.robots["down.test"] = (500, "oops")
    urls = ["http://rules.test/page/public", "http://rules.test/page/private",
            "http://rules.test/page/private/ok", "http://rules.test/page/%70rivate",
            "http://none.test/page/a", "http://none.test/page/b",
            "http://down.test/page/a", "http://down.test/page/b"]
    publish(brokers, topics.urls, urls)
    fx = start_fetcher(brokers, topics, tmp_path, "--connect-to", sites.connect_to(),
                       "--user-agent", "KCrawlTest/1.0 (+https://example.invalid)",
                       "--host-rate", "100", "--robots-retries", "2",
                       "--robots-retry-ms", "100")
    pages = consume(brokers, topics.pages, 4, procs=[fx])
    errors = consume(brokers, topics.errors, 4, procs=[fx])
    fx.stop()
    pages, errors = by_url(pages), by_url(errors)
    assert set(pages) == {"http://rules.test/page/public", "http://rules.test/page/private/ok",
                          "http://none.test/page/a", "http://none.test/page/b"}
    for m in pages.values():
        check_page(m)
    codes = {u: check_error(m)["code"] for u, m in errors.items()}
    assert codes == {"http://rules.test/page/private": "robots_disallowed",
                     "http://rules.test/page/%70rivate": "robots_disallowed",
                     "http://down.test/page/a": "robots_unreachable",
                     "http://down.test/page/b": "robots_unreachable"}, codes
    assert len(sites.requests("rules.test", "/robots.txt")) == 1
    assert len(sites.requests("none.test", "/robots.txt")) == 1
    assert len(sites.requests("down.test", "/robots.txt")) == 3  # 1 + 2 retries
    assert not sites.requests("down.test", "/page/")
    seen = {p for (_, p, _) in sites.requests("rules.test")}
    assert "/page/private" not in seen and "/page/%70rivate" not in seen, seen


def test_retries_and_backoff(brokers, topics, sites, tmp_path):
    """Transient failures are retried with back-off; spent on a status, the
    last response is the page; a network failure ends as its code with the
    attempt count; Retry-After slows the host."""
    urls = ["http://retry.test/flaky/a/2", "http://retry.test/status/500",
            "http://retry.test/status/404", "http://ra.test/ra/1/x/1",
            "http://closed.test:9/page/x"]
    publish(brokers, topics.urls, urls)
    # The first matching --connect-to wins: closed.test goes to a closed
    # port, every other host to the sites.
    fx = start_fetcher(brokers, topics, tmp_path, "--connect-to", "closed.test:9:127.0.0.1:9",
                       "--connect-to", sites.connect_to(),
                       "--host-rate", "100", "--retries", "2",
                       "--retry-backoff-ms", "50", "--connect-timeout", "5",
                       "--host-backoff-ms", "200",
                       # robots.txt of a host refusing connections would
                       # end its URLs as robots_unreachable (test_robots).
                       "--robots=false")
    pages = by_url(consume(brokers, topics.pages, 4, procs=[fx]))
    errors = by_url(consume(brokers, topics.errors, 1, procs=[fx]))
    fx.stop()
    h = {u: check_page(m) for u, m in pages.items()}
    assert set(h) == set(urls[:4]), (sorted(h), fx.log_tail())
    assert h["http://retry.test/flaky/a/2"]["status"] == "200"
    assert h["http://retry.test/flaky/a/2"]["attempts"] == "3"
    assert h["http://retry.test/status/500"]["status"] == "500"
    assert h["http://retry.test/status/500"]["attempts"] == "3"
    assert h["http://retry.test/status/404"]["attempts"] == "1"
    assert h["http://ra.test/ra/1/x/1"]["status"] == "200"
    err = check_error(errors["http://closed.test:9/page/x"])
    assert err["code"] == "connect_failed" and err["attempts"] == 3, err
    ra = [t for (_, p, t) in sites.requests("ra.test", "/ra/")]
    assert len(ra) == 2 and ra[1] - ra[0] >= 0.9, ra
    assert len(sites.requests("retry.test", "/status/500")) == 3


def test_wrong_partition_is_rerouted(brokers, topics, sites, tmp_path, admin):
    """A message with the wrong key, or on the wrong partition, is
    re-produced keyed by its host on murmur2's partition, then fetched
    once."""
    url = "http://route.test/page/1"
    hk = host_key(url)
    parts = len(admin.list_topics(topics.urls, timeout=10).topics[topics.urls].partitions)
    right = murmur2_partition(hk.encode(), parts)
    wrong_key = next(k for k in (f"k{i}" for i in range(100))
                     if murmur2_partition(k.encode(), parts) != right)
    pub = publish(brokers, topics.urls, [(wrong_key, url), (hk, "http://route.test/page/2")])
    assert pub[0].partition != right
    fx = start_fetcher(brokers, topics, tmp_path, "--connect-to", sites.connect_to(),
                       "--host-rate", "100")
    pages = consume(brokers, topics.pages, 2, procs=[fx])
    fx.stop()
    assert sorted(m.key.decode() for m in pages) == [url, "http://route.test/page/2"]
    urls = read_all(brokers, topics.urls)
    copies = [m for m in urls if m.value.decode() == url]
    assert len(copies) == 2, copies
    fixed = [m for m in copies if m.key == hk.encode()]
    assert len(fixed) == 1 and fixed[0].partition == right
    assert len(sites.requests("route.test", "/page/1")) == 1


def test_parked_on_delay_topic(brokers, topics, sites, tmp_path):
    """A Retry-After longer than --park-after parks the URL on the delay
    topic (committed), and it comes back when due: the delay topic's tier
    waits --park-after (1 s), so the 3-s wait is parked again for the
    rest, each copy with the same due time."""
    url = "http://park.test/ra/3/p/1"
    publish(brokers, topics.urls, [url])
    fx = start_fetcher(brokers, topics, tmp_path, "--connect-to", sites.connect_to(),
                       "--host-rate", "100", "--park-after", "1", "--retries", "2")
    pages = consume(brokers, topics.pages, 1, procs=[fx])
    fx.stop()
    assert len(pages) == 1
    h = check_page(pages[0])
    assert h["status"] == "200" and h["attempts"] == "2"
    assert h["source_topic"] == topics.urls
    parked = read_all(brokers, topics.delayed)
    assert 1 <= len(parked) <= 3, parked
    assert all(m.key == b"park.test" for m in parked), parked
    assert len({m.headers["kcrawl_due_at"] for m in parked}) == 1, parked
    assert all(m.headers["kcrawl_source_topic"] == topics.urls for m in parked)
    for t in topics.delayed_tiers:  # too long for a 3-s wait
        assert read_all(brokers, t) == []
    ra = [t for (_, _, t) in sites.requests("park.test", "/ra/")]
    assert len(ra) == 2 and ra[1] - ra[0] >= 2.5, ra


def test_parked_retry_not_behind_later_due_park(brokers, topics, sites, tmp_path):
    """A parked URL comes back when it is due, whatever is parked before it
    on its delay partition: a host with a long Crawl-delay parks its URLs
    ~15 s ahead, then another host on the same partition parks a retry due
    in 3 s (Retry-After 3), which must be fetched again about 3 s after its
    first request, not when the earlier parks are due."""
    slow = "crawl.test"
    part = murmur2_partition(slow.encode(), PARTITIONS)
    quick = next(h for h in (f"quick{i}.test" for i in range(1000))
                 if murmur2_partition(h.encode(), PARTITIONS) == part)
    sites.robots[slow] = (200, "User-agent: *\nCrawl-delay: 15\n")
    fx = start_fetcher(brokers, topics, tmp_path, "--connect-to", sites.connect_to(),
                       "--host-rate", "100", "--park-after", "1", "--retries", "2",
                       "--max-crawl-delay", "15")
    # The slow host's first page: robots.txt read, its Crawl-delay in force.
    publish(brokers, topics.urls, [f"http://{slow}/page/0"])
    assert len(consume(brokers, topics.pages, 1, procs=[fx])) == 1, fx.log_tail()
    # Its next URLs cannot be served for ~15 s: parked that far ahead.
    publish(brokers, topics.urls, [f"http://{slow}/page/{n}" for n in (1, 2, 3)])

    def parked(host):
        return [m for t in topics.all_delayed() for m in read_all(brokers, t)
                if m.key == host.encode()]

    wait_until(lambda: len(parked(slow)) >= 3, procs=[fx], what="the slow host's parks")
    assert {m.partition for m in parked(slow)} == {part}
    # The quick host's retry parks behind them on the same partition.
    publish(brokers, topics.urls, [f"http://{quick}/ra/3/q/1"])
    wait_until(lambda: len(sites.requests(quick, "/ra/")) >= 2, deadline=40, procs=[fx],
               what="the quick host's retry")
    ra = [t for (_, _, t) in sites.requests(quick, "/ra/")]
    pages = consume(brokers, topics.pages, 2, procs=[fx])
    fx.stop()
    assert any(m.key == f"http://{quick}/ra/3/q/1".encode() for m in pages)
    assert parked(quick) and {m.partition for m in parked(quick)} == {part}
    gap = ra[1] - ra[0]
    # Due 3 s after the first request; a little slack for the hops.
    assert 2.5 <= gap <= 3 + 1.5, f"retry due after 3 s came back after {gap:.1f} s"


def test_parked_on_the_tier_that_fits(brokers, topics, sites, tmp_path, admin):
    """A wait is parked on the tier with the longest delay not over it and
    again for the rest on shorter ones: with --delay-tiers 3s and
    --park-after 1, a Retry-After of 8 s goes twice through the 3-s tier,
    then the delay topic (1 s), then waits in memory; it comes back when
    due, every copy with the same due time."""
    tier = f"{topics.delayed}.3s"
    create_topics(admin, [tier])
    try:
        url = "http://tier.test/ra/8/t/1"
        publish(brokers, topics.urls, [url])
        fx = start_fetcher(brokers, topics, tmp_path, "--connect-to", sites.connect_to(),
                           "--host-rate", "100", "--park-after", "1", "--retries", "2",
                           "--delay-tiers", "3s")
        pages = consume(brokers, topics.pages, 1, procs=[fx])
        fx.stop()
        assert len(pages) == 1 and check_page(pages[0])["attempts"] == "2"
        ra = [t for (_, _, t) in sites.requests("tier.test", "/ra/")]
        assert len(ra) == 2 and 7.5 <= ra[1] - ra[0] <= 8 + 1.5, ra
        on_tier, on_base = read_all(brokers, tier), read_all(brokers, topics.delayed)
        assert len(on_tier) == 2, on_tier
        assert 1 <= len(on_base) <= 2, on_base
        assert len({m.headers["kcrawl_due_at"] for m in on_tier + on_base}) == 1
        assert all(m.key == b"tier.test" for m in on_tier + on_base)
    finally:
        delete_topics(admin, [tier])


def test_park_wait_capped(brokers, topics, sites, tmp_path):
    """Every park wait has a cap: a parked message due in ten days comes
    back after --max-park (3 s), and one whose timestamp lies in the
    future (50 min: the broker refuses more than an hour by default) does
    not pin its partition for that long (it is taken as awake)."""
    now_ms = int(time.time() * 1000)
    far, future_ts = "http://cap.test/page/far", "http://capts.test/page/ts"
    publish_with_headers(brokers, topics.delayed, [
        (far, {"kcrawl_due_at": str(now_ms + 10 * 86400 * 1000),
               "kcrawl_source_topic": topics.urls})])
    p = Producer({"bootstrap.servers": brokers, "partitioner": "murmur2_random"})
    failures = []
    p.produce(topics.delayed, value=future_ts.encode(), key=b"capts.test",
              timestamp=now_ms + 50 * 60 * 1000,
              headers=[("kcrawl_due_at", str(now_ms).encode())],
              on_delivery=lambda err, msg: failures.append(err) if err else None)
    assert p.flush(30) == 0 and not failures, failures
    wall_minus_mono = time.time() - time.monotonic()
    fx = start_fetcher(brokers, topics, tmp_path, "--connect-to", sites.connect_to(),
                       "--host-rate", "100", "--park-after", "1", "--max-park", "3")
    pages = consume(brokers, topics.pages, 2, deadline=30, procs=[fx])
    fx.stop()
    assert {m.key.decode() for m in pages} == {far, future_ts}, fx.log_tail()
    # The far one was parked again with its due time cut to --max-park,
    # and fetched when that came.
    again = [m for m in read_all(brokers, topics.delayed)
             if m.key == b"cap.test" and int(m.headers["kcrawl_due_at"]) < now_ms + 86400000]
    assert again, "not parked again with a capped due time"
    fetched = sites.requests("cap.test", "/page/far")[0][2] + wall_minus_mono
    due = int(again[-1].headers["kcrawl_due_at"]) / 1000
    assert abs(fetched - due) < 1.0, (fetched, due)


def test_delay_tier_topics_checked_at_start(brokers, topics, tmp_path, admin):
    """A delay tier whose topic is missing, or has another partition count
    than the URL topic (not co-partitioned), is named in a warning at
    start, before any URL is parked on it."""
    odd = f"{topics.delayed}.9s"
    create_topics(admin, [odd], partitions=PARTITIONS // 2)
    try:
        fx = start_fetcher(brokers, topics, tmp_path, "--delay-tiers", "7s,9s")

        def warned():
            text = fx.log_path.read_text(errors="replace")
            logs = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
            return {(m["msg"], m.get("topic")) for m in logs if m.get("level") == "warn"}

        wait_until(lambda: {("delay topic missing: create it before a URL is parked on it",
                             f"{topics.delayed}.7s"),
                            ("delay topic not co-partitioned with the URL topic", odd)}
                   <= warned(), deadline=30, procs=[fx], what="the delay topic warnings")
        assert not {t for (_, t) in warned()} & set(topics.all_delayed()), warned()
        fx.stop()
    finally:
        delete_topics(admin, [odd])


def test_resolve_trusted_redirect_to_private_blocked(brokers, topics, sites, tmp_path):
    """--resolve targets are trusted by the address guard; a redirect from
    such a site to a private address, and a private address given
    directly, are refused as blocked_address."""
    port = sites.port
    direct = f"http://127.0.0.1:{port}/page/x"
    redirect = f"http://trusted.test:{port}/redirect?to=http://127.0.0.1:{port}/page/y"
    ok = f"http://trusted.test:{port}/page/ok"
    publish(brokers, topics.urls, [ok, direct, redirect])
    fx = start_fetcher(brokers, topics, tmp_path,
                       "--resolve", f"trusted.test:{port}:127.0.0.1",
                       "--host-rate", "100", "--robots=false")
    pages = consume(brokers, topics.pages, 1, procs=[fx])
    errors = by_url(consume(brokers, topics.errors, 2, procs=[fx]))
    fx.stop()
    assert [m.key.decode() for m in pages] == [ok]
    assert {u: check_error(m)["code"] for u, m in errors.items()} == {
        direct: "blocked_address", redirect: "blocked_address"}
    assert not sites.requests(path_prefix="/page/y")


def test_proxy_failure_names_proxy_without_credentials(brokers, topics, tmp_path):
    """A proxy that cannot be reached ends the URL as proxy_failed, naming
    the proxy without its credentials. The target is a public address
    (a name must resolve here to be checked and passed to the proxy; the
    check only resolves, it sends nothing)."""
    url = "http://93.184.215.14/page/1"
    publish(brokers, topics.urls, [url])
    fx = start_fetcher(brokers, topics, tmp_path, "--proxy",
                       "http://user:s3cret@127.0.0.1:9", "--retries", "0",
                       "--robots=false")
    errors = consume(brokers, topics.errors, 1, procs=[fx])
    fx.stop()
    assert len(errors) == 1
    assert b"s3cret" not in errors[0].value
    err = check_error(errors[0])
    assert err["code"] == "proxy_failed"
    assert err["proxy"] == "http://127.0.0.1:9"


def test_sigkill_loses_nothing(brokers, topics, sites, tmp_path):
    """Killed with SIGKILL mid-crawl, a restarted fetcher (same group)
    fetches what was not committed: every URL gets a page."""
    urls = [f"http://kill{i % 3}.test/page/{i}" for i in range(45)]
    publish(brokers, topics.urls, urls)
    group = "gk" + str(time.monotonic_ns())
    args = ["--connect-to", sites.connect_to(), "--host-rate", "5", "--host-burst", "1"]
    fx = start_fetcher(brokers, topics, tmp_path, *args, group=group)
    wait_until(lambda: len(sites.requests(path_prefix="/page/")) >= 10, procs=[fx],
               what="some pages fetched")
    fx.kill()
    fx2 = start_fetcher(brokers, topics, tmp_path, *args, group=group)
    wait_until(lambda: len({p for (_, p, _) in sites.requests(path_prefix="/page/")}) == 45,
               procs=[fx2], what="every URL fetched")
    wait_until(lambda: len(fx2.log_path.read_text()) > 0, procs=[fx2])
    fx2.stop()  # drains: every fetched page is delivered before exit 0
    got = read_all(brokers, topics.pages)
    assert {m.key.decode() for m in got} == set(urls)
