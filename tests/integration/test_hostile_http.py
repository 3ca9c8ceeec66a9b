"""Hostile HTTP: the fetcher against an adversarial server (hostile_server.py)
on loopback, on a real broker.

Every hostile case ends as one clear outcome — an error with its code on
the errors topic, or a page — within its time bound; the fetcher's peak
resident memory (VmHWM) stays under MEMORY_BOUND_MB; and while the slow
cases still hang (/drip, /never), URLs of other hosts are fetched at once.

Hosts are virtual: each case has its own host name, sent to the server by
--connect-to (trusted by the address guard, as the operator's choice). The
fetcher runs WITHOUT --allow-private and with --allow-net 127.0.0.2/32, so
a redirect from the 127.0.0.2 server to 127.0.0.1 must be refused.
"""

import json
import os
import subprocess
import time
import uuid

import pytest

from conftest import (Proc, check_error, check_page, check_record, consume, error_input,
                      proc_status_kib, publish, read_all)
from hostile_server import BINARY_LENGTH, HostileServer

# The fetcher's limits for this test: every case ends within them.
TIMEOUT_S = 40          # --timeout (whole transfer)
LOW_SPEED_TIME_S = 30   # --low-speed-time, with --low-speed-limit 100:
                        # long enough that the slow cases still hang while
                        # the good hosts are served on a loaded machine
CONNECT_TIMEOUT_S = 3
MAX_BODY = 8 * 1024 * 1024   # the default --max-body
# Peak RSS of the fetcher: four bodies capped at 8 MiB can be buffered at
# once (endless, big, two bombs), plus libcurl, OpenSSL and librdkafka.
MEMORY_BOUND_MB = int(os.environ.get("KCRAWL_HOSTILE_RSS_MB", "256"))
# Every case ends within the longest bound (the transfer timeout) plus
# scheduling slack.
CASE_DEADLINE_S = TIMEOUT_S + 30

# case -> (path, what must come out). Outcome: ("error", {codes}) or
# ("page", None) or ("either", {codes}) where a page is fine too.
CASES = {
    "drip": ("/drip", ("error", {"timeout"})),
    "endless": ("/endless", ("error", {"too_large"})),
    "gzip-bomb": ("/gzip-bomb", ("error", {"too_large"})),
    "brotli-bomb": ("/brotli-bomb", ("error", {"too_large"})),
    "huge-headers": ("/huge-headers", ("either", {"network_error", "too_large"})),
    "redirect-loop": ("/redirect-loop", ("error", {"too_many_redirects"})),
    "redirect-file": ("/redirect-file", ("error", {"unsupported_scheme"})),
    "redirect-ftp": ("/redirect-ftp", ("error", {"unsupported_scheme"})),
    "bad-chunked": ("/bad-chunked", ("error", {"network_error"})),
    "never": ("/never", ("error", {"timeout"})),
    "big": ("/big", ("error", {"too_large"})),
    "binary": ("/binary", ("page", None)),
}


@pytest.fixture
def tls_cert(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1",
                    "-subj", "/CN=tls.hostile.test"],
                   check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


@pytest.fixture
def servers(tls_cert):
    main = HostileServer("127.0.0.1")
    alt = HostileServer("127.0.0.2")   # the one allowed address
    tls = HostileServer("127.0.0.1", tls=tls_cert)
    yield main, alt, tls
    for s in (main, alt, tls):
        s.stop()


def start_fetcher(brokers, topics, tmp_path, connect_to, extra=()):
    args = ["--brokers", brokers, "--group", "g" + uuid.uuid4().hex[:10],
            "--urls-topic", topics.urls, "--pages-topic", topics.pages,
            "--errors-topic", topics.errors, "--delay-topic", topics.delayed,
            "--allow-net", "127.0.0.2/32",
            "--timeout", str(TIMEOUT_S), "--connect-timeout", str(CONNECT_TIMEOUT_S),
            "--low-speed-time", str(LOW_SPEED_TIME_S), "--low-speed-limit", "100",
            "--retries", "0", "--host-rate", "100", "--host-burst", "100",
            "--max-redirects", "5", "--drain-timeout", "5",
            # A robots.txt that cannot be fetched (the TLS case) is retried
            # with back-off; once here, so the case ends in seconds.
            "--robots-retries", "0", "--robots-retry-ms", "1000", *extra]
    for c in connect_to:
        args += ["--connect-to", c]
    return Proc("fetcher", args, tmp_path)


def test_hostile_http(brokers, topics, servers, pipeline, tmp_path):
    main, alt, tls = servers
    connect_to, published_urls = [], {}
    hostile = []
    for name, (path, _) in CASES.items():
        host = f"{name}.hostile.test"
        connect_to.append(f"{host}:80:127.0.0.1:{main.port}")
        url = f"http://{host}{path}"
        hostile.append(url)
        published_urls[url] = name
    # TLS with a self-signed certificate: must be refused.
    connect_to.append(f"tls.hostile.test:443:127.0.0.1:{tls.port}")
    tls_url = "https://tls.hostile.test/ok/tls"
    hostile.append(tls_url)
    published_urls[tls_url] = "tls-bad-cert"
    # An allowed address (127.0.0.2) redirecting to a blocked one.
    blocked_target = main.url("/ok/blocked-target")
    redir_url = f"{alt.base}/redirect-to?u={blocked_target}"
    hostile.append(redir_url)
    published_urls[redir_url] = "redirect-to-blocked"
    # Well-behaved hosts, published once the slow cases hang.
    good = [f"http://good{i}.hostile.test/ok/good{i}" for i in range(10)]
    connect_to += [f"good{i}.hostile.test:80:127.0.0.1:{main.port}" for i in range(10)]
    expect = {name: CASES[name][1] for name in CASES}
    # robots.txt fails TLS verification first; the URL then fails the same.
    expect["tls-bad-cert"] = ("error", {"tls_error"})
    expect["redirect-to-blocked"] = ("error", {"blocked_address"})

    fetcher = start_fetcher(brokers, topics, tmp_path, connect_to)
    pipeline.procs.append(fetcher)
    cleaner = pipeline.cleaner()
    t0 = time.monotonic()
    pub = publish(brokers, topics.urls, hostile)

    # Wait until the fetcher hangs in /drip and /never.
    deadline = time.monotonic() + 30
    while True:
        act = main.active_snapshot()
        if act["/drip"] and act["/never"]:
            break
        fetcher.assert_running()
        assert time.monotonic() < deadline, f"slow cases never started: active={act}"
        time.sleep(0.1)
    # Other hosts are served meanwhile.
    t_good = time.monotonic()
    pub_good = publish(brokers, topics.urls, good)
    deadline = time.monotonic() + 20
    while True:
        good_pages = [m for m in read_all(brokers, topics.pages)
                      if m.headers.get("url") in good]
        if len(good_pages) >= len(good) or time.monotonic() > deadline:
            break
        fetcher.assert_running()
        time.sleep(0.1)
    good_s = time.monotonic() - t_good
    still = main.active_snapshot()
    assert len(good_pages) == len(good), (
        f"only {len(good_pages)} of {len(good)} pages of well-behaved hosts within "
        f"{good_s:.1f} s while hostile cases hang")
    assert still["/drip"] or still["/never"], (
        f"the slow cases ended before the good hosts were served ({still}); "
        f"cannot tell whether they were served meanwhile")

    # Every hostile URL ends, within its bound.
    n_total = len(hostile) + len(good)
    deadline = time.monotonic() + CASE_DEADLINE_S
    while True:
        pages = read_all(brokers, topics.pages)
        errors = read_all(brokers, topics.errors)
        if len(pages) + len(errors) >= n_total:
            break
        fetcher.assert_running()
        if time.monotonic() > deadline:
            done = {m.headers.get("url") for m in pages} | {
                json.loads(m.value).get("url") for m in errors}
            missing = [published_urls[u] for u in hostile if u not in done]
            pytest.fail(f"no outcome within {CASE_DEADLINE_S} s for: {missing}")
        time.sleep(0.5)
    elapsed = time.monotonic() - t0
    hwm = proc_status_kib(fetcher.p.pid, "VmHWM") / 1024
    n_pages_200 = sum(1 for m in pages if m.headers.get("status") == "200")
    records = consume(brokers, topics.records, n_pages_200, deadline=60, procs=(cleaner,))
    pipeline.stop_all()

    pages = read_all(brokers, topics.pages)
    errors = read_all(brokers, topics.errors)
    records = read_all(brokers, topics.records)
    outcome = {}
    by_url_pub = {p.value: p for p in pub + pub_good}
    for m in pages:
        h = check_page(m)
        assert h["url"] not in outcome, f"two outcomes for {h['url']}"
        outcome[h["url"]] = ("page", h, m)
    for m in errors:
        e = check_error(m)
        assert e["stage"] == "fetcher", e
        u = e.get("url")
        assert u in by_url_pub, f"error for an unpublished URL: {e}"
        assert u not in outcome, f"two outcomes for {u}: {outcome[u][0]} and {e}"
        p = by_url_pub[u]
        assert (e["topic"], e["partition"], e["offset"]) == (topics.urls, p.partition, p.offset), e
        assert error_input(e) == u.encode(), e
        outcome[u] = ("error", e, m)

    lines = []
    for url in hostile:
        name = published_urls[url]
        kind, want = expect[name]
        got_o = outcome.get(url)
        assert got_o is not None, f"{name}: no outcome"
        if got_o[0] == "page":
            h = got_o[1]
            lines.append(f"{name:20} page status={h['status']} bytes={len(got_o[2].value)}")
            assert kind in ("page", "either"), f"{name}: a page ({h}), want an error {want}"
            assert len(got_o[2].value) <= MAX_BODY, f"{name}: page over --max-body"
        else:
            e = got_o[1]
            lines.append(f"{name:20} error code={e['code']} ({e['message'][:70]})")
            assert kind in ("error", "either"), f"{name}: error {e}, want a page"
            assert e["code"] in want, f"{name}: code {e['code']!r}, want one of {want}: {e}"
    for url in good:
        assert outcome.get(url, ("none",))[0] == "page", f"{url}: {outcome.get(url)}"

    # The binary page: body as served, and its record is valid UTF-8 JSON.
    bin_url = next(u for u in hostile if u.endswith("/binary"))
    assert len(outcome[bin_url][2].value) == BINARY_LENGTH
    recs = {check_record(m)["url"]: m for m in records}
    assert bin_url in recs, "no record for the binary page"
    assert len(records) == sum(1 for o in outcome.values()
                               if o[0] == "page" and o[1]["status"] == "200"), \
        f"{len(records)} records for the 200 pages"

    # Nothing reached the blocked address; the TLS server saw no request.
    assert main.hits_snapshot()["/ok/blocked-target"] == 0
    assert tls.hits_snapshot()["/ok/tls"] == 0

    print(f"\nhostile HTTP: {len(hostile)} hostile cases + {len(good)} good hosts in "
          f"{elapsed:.1f} s (good hosts served in {good_s:.1f} s while slow cases hung); "
          f"fetcher VmHWM {hwm:.0f} MB (bound {MEMORY_BOUND_MB})")
    print("\n".join("  " + line for line in lines))
    assert hwm < MEMORY_BOUND_MB, f"fetcher peak RSS {hwm:.0f} MB over {MEMORY_BOUND_MB} MB"
