"""Followed links already fetched are dropped (design.md, Outcomes): a URL
message carrying the cleaner's `followed_from` header whose URL the
fetcher has fetched is committed without a fetch and counted in
kcrawl_fetcher_links_dropped_total; a followed link not fetched yet, and
any URL a user publishes (no header), is fetched.

Ordering makes the test exact without fixed waits: every message here is
on one host, so on one partition, consumed in order; once the page of a
later message is out, the earlier one has been handled.
"""

import uuid

from conftest import CONSUME_DEADLINE, check_page, consume, publish, read_all
from fetcher_helpers import (Sites, committed_behind, free_port, metric,
                             publish_with_headers, start_fetcher)
from test_fetcher_politeness import wait_until


def test_followed_link_already_fetched_is_dropped(brokers, topics, tmp_path):
    sites = Sites()
    fx = None
    try:
        a = "http://seen.test/page/a"
        b = "http://seen.test/page/b"
        group = "gs" + uuid.uuid4().hex[:10]
        maddr = f"127.0.0.1:{free_port()}"
        publish(brokers, topics.urls, [a])
        fx = start_fetcher(brokers, topics, tmp_path, "--connect-to", sites.connect_to(),
                           "--host-rate", "100", "--metrics-addr", maddr, group=group)
        first = consume(brokers, topics.pages, 1, procs=[fx])
        assert [m.key.decode() for m in first] == [a], fx.log_tail()

        followed = {"followed_from": "http://seen.test/"}
        publish_with_headers(brokers, topics.urls, [
            ({"url": a, "depth": 1}, followed),   # fetched already: dropped
            ({"url": b, "depth": 1}, followed),   # new: fetched
        ])
        publish(brokers, topics.urls, [a])        # a user's URL: always fetched
        pages = consume(brokers, topics.pages, 3, procs=[fx])
        keys = [m.key.decode() for m in pages]
        assert sorted(keys) == sorted([a, b, a]), (keys, fx.log_tail())
        for m in pages:
            check_page(m)
        wait_until(lambda: metric(maddr, "kcrawl_fetcher_links_dropped_total") == 1.0,
                   deadline=CONSUME_DEADLINE, procs=[fx], what="links_dropped_total 1")
        fx.stop()  # drains: a transfer started (FIFO per host) has ended
        assert len(sites.requests("seen.test", "/page/a")) == 2
        assert len(sites.requests("seen.test", "/page/b")) == 1
        # The dropped message was committed like the others.
        assert committed_behind(brokers, group, topics.urls) == 0
        assert len(read_all(brokers, topics.pages)) == 3
    finally:
        if fx is not None:
            fx.kill()  # a no-op after stop(); ends it when an assert failed
        sites.close()
