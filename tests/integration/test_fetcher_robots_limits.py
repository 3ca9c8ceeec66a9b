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

from conftest import check_error, check_page, consume, publish
from fetcher_helpers import Sites, committed_behind, start_fetcher


@pytest.fixture
def sites():
    s = Sites()
    yield s
    s.close()


def by_url(msgs):
    return {m.key.decode(): m for m in msgs}


def wait_until(cond, deadline, procs=(), what="condition"):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if cond():
            return
        for p in procs:
            p.assert_running()
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def rss_kib(pid):
    """The process's resident set size (VmRSS) in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_huge_retry_after_is_capped(brokers, topics, sites, tmp_path):
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
    fx = start_fetcher(brokers, topics, tmp_path, "--connect-to", sites.connect_to(),
                       "--host-rate", "100", "--robots-retries", "2",
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
