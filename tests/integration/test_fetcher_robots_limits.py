"""robots.txt and server-given waits under hostile sites, on a real broker
against a local server playing many sites (fetcher_helpers.Sites):

- every Retry-After (seconds or an HTTP date, on robots.txt and on pages)
  is capped by --max-retry-after, so a host answering 503 with a
  three-year Retry-After ends as robots_unreachable after its retries and
  the partition's commit point moves on;
- robots.txt matching has a cost bound per URL check: a file of long
  wildcard rules checked against long paths does not stall the loop for
  other hosts;
- robots.txt state has a memory bound per host and in all: many hosts
  serving huge robots.txt files keep the fetcher's RSS bounded.

Every wait is bounded and polls; nothing sleeps for a fixed time.
"""

import time

import pytest

from conftest import check_error, check_page, consume, proc_status_kib, publish
from fetcher_helpers import Sites, committed_behind, start_fetcher, wait_until


@pytest.fixture
def sites():
    s = Sites()
    yield s
    s.close()


@pytest.fixture
def fetcher(brokers, topics, sites, tmp_path):
    """Starts the fetcher on the test's topics and sites; kills it at the
    end when the test did not stop it (a failed assertion)."""
    started = []

    def start(*extra):
        fx = start_fetcher(brokers, topics, tmp_path, "--connect-to",
                           sites.connect_to(), *extra)
        started.append(fx)
        return fx
    yield start
    for fx in started:
        fx.kill()


def by_url(msgs):
    return {m.key.decode(): m for m in msgs}


def test_huge_retry_after_is_capped(brokers, topics, sites, fetcher):
    """robots.txt answering 503 with a three-year Retry-After (seconds, and
    an HTTP date in year 9999): each wait is capped by --max-retry-after,
    so after --robots-retries the host's URLs end as robots_unreachable
    within (retries + 1) x the cap, the group commits everything, and an
    unrelated host's 429 retry and a page's huge Retry-After are served on
    time."""
    sites.robots["hostile.test"] = (503, "busy", [("Retry-After", "99999999")])
    sites.robots["date.test"] = (503, "busy", [("Retry-After",
                                                "Fri, 31 Dec 9999 23:59:59 GMT")])
    hostile = ["http://hostile.test/page/a", "http://hostile.test/page/b",
               "http://date.test/page/a"]
    other = ["http://other.test/ra/1/x/1", "http://other.test/page/first",
             "http://slowpage.test/ra/99999999/p/1"]
    publish(brokers, topics.urls, hostile + other)
    start = time.monotonic()
    fx = fetcher("--host-rate", "100", "--robots-retries", "2",
                       "--robots-retry-ms", "100", "--max-retry-after", "2",
                       "--retries", "2")
    # 3 robots.txt fetches, each wait at most 2 s, plus start-up.
    errors = consume(brokers, topics.errors, len(hostile), deadline=40, procs=[fx])
    took = time.monotonic() - start
    codes = {u: check_error(m)["code"] for u, m in by_url(errors).items()}
    assert codes == {u: "robots_unreachable" for u in hostile}, (codes, fx.log_tail())
    assert took < 30, took
    pages = by_url(consume(brokers, topics.pages, len(other), deadline=30, procs=[fx]))
    assert set(pages) == set(other), fx.log_tail()
    for m in pages.values():
        assert check_page(m)["status"] == "200"
    ra = [t for (_, _, t) in sites.requests("other.test", "/ra/")]
    assert len(ra) == 2 and 0.5 <= ra[1] - ra[0] < 8, ra
    ra = [t for (_, _, t) in sites.requests("slowpage.test", "/ra/")]
    assert len(ra) == 2 and ra[1] - ra[0] < 8, ra
    assert len(sites.requests("hostile.test", "/robots.txt")) == 3
    assert not sites.requests("hostile.test", "/page/")
    wait_until(lambda: committed_behind(brokers, fx.args[fx.args.index("--group") + 1],
                                        topics.urls) == 0,
               30, procs=[fx], what="the URL partitions committed")
    fx.stop()


def wildcard_robots():
    """512 KiB of long wildcard rules ("/" STAR, 999 a's, "b") that a path
    of a's nearly matches at every position."""
    rule = "Disallow: /*" + "a" * 999 + "b\n"
    n = (512 * 1024 - 20) // len(rule)
    return "User-agent: *\n" + rule * n


def test_wildcard_robots_do_not_stall_other_hosts(brokers, topics, sites, fetcher):
    """robots.txt of 512 KiB of long wildcard rules and ten URLs with
    8,190-character paths: each check stops at its step budget and answers
    robots_disallowed (polite), and a host published while they are being
    checked gets its first request within seconds."""
    sites.robots["wild.test"] = (200, wildcard_robots())
    wild = [f"http://wild.test/{i}" + "a" * (8188 - len(str(i))) for i in range(10)]
    publish(brokers, topics.urls, wild)
    fx = fetcher("--host-rate", "100", "--host-burst", "100")
    wait_until(lambda: sites.requests("wild.test", "/robots.txt"), 30, procs=[fx],
               what="wild.test's robots.txt requested")
    published = time.monotonic()
    publish(brokers, topics.urls, ["http://fast.test/page/first"])
    wait_until(lambda: sites.requests("fast.test", "/page/"), 60, procs=[fx],
               what="fast.test's first page requested")
    first = sites.requests("fast.test", "/page/")[0][2]
    assert first - published < 10, first - published
    errors = consume(brokers, topics.errors, len(wild), deadline=30, procs=[fx])
    codes = {u: check_error(m)["code"] for u, m in by_url(errors).items()}
    assert codes == {u: "robots_disallowed" for u in wild}, codes
    assert not sites.requests("wild.test", "/1")
    fx.stop()


def short_lines_robots():
    """robots.txt of short lines up to the 512 KiB the fetcher parses
    (about 47,000 rules)."""
    out, n, i = ["User-agent: *\n"], 14, 0
    while True:
        line = f"Disallow:/{i:x}\n"
        if n + len(line) > 512 * 1024:
            return "".join(out).encode()
        out.append(line)
        n += len(line)
        i += 1


def test_many_hosts_huge_robots_memory_bound(brokers, topics, sites, fetcher):
    """60 hosts each serving 512 KiB of short robots.txt lines (about 1 MB
    of rules each when kept): with --robots-memory 8M the least recently used
    rule sets are forgotten, every page is still fetched, and the fetcher's
    peak RSS (VmHWM) stays under 60 MB, where keeping every host's rules
    took about 2 MB per host."""
    body = short_lines_robots()
    hosts = [f"big{i}.test" for i in range(60)]
    for h in hosts:
        sites.robots[h] = (200, body)
    urls = [f"http://{h}/page/x" for h in hosts]
    publish(brokers, topics.urls, urls)
    fx = fetcher("--host-rate", "100", "--max-inflight", "8",
                       "--robots-memory", "8M")
    pages = consume(brokers, topics.pages, len(urls), deadline=90, procs=[fx])
    assert set(by_url(pages)) == set(urls), fx.log_tail()
    hwm = proc_status_kib(fx.p.pid, "VmHWM")
    with open(f"/proc/{fx.p.pid}/maps") as f:
        # AddressSanitizer's quarantine and shadow memory make RSS
        # meaningless; such a build checks memory errors here instead.
        asan = "libasan" in f.read()
    for h in hosts:
        assert len(sites.requests(h, "/robots.txt")) == 1, h
    fx.stop()
    if not asan:
        assert hwm < 60 * 1024, f"peak RSS {hwm} KiB"
