"""The metrics endpoint and the stats summary of the real binaries on a
real broker: scrape http://HOST:PORT/metrics while the cleaner works and
check the counters match what was published."""

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
import yaml
from confluent_kafka import Producer

from conftest import CONSUME_DEADLINE, ROOT, Proc, clean_env, publish, run_cli

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def wait_port(proc, deadline=30):
    """The port the binary logged for its metrics endpoint."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        proc.assert_running()
        for line in proc.log_path.read_text(errors="replace").splitlines():
            if '"metrics endpoint listening"' in line:
                return json.loads(line)["port"]
        time.sleep(0.05)
    pytest.fail(f"{proc.name} logged no metrics endpoint\n{proc.log_tail()}")


def scrape(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def parse(text):
    """{(name, labels): value}, checking the exposition's shape: every
    sample's family has HELP and TYPE before it."""
    out, typed = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            typed[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        name = m.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name) \
            if re.sub(r"_(bucket|sum|count)$", "", name) in typed else name
        assert family in typed, f"{name} has no # TYPE line before it"
        out[(name, m.group(2) or "")] = float(m.group(3))
    return out


def value(samples, name, labels=""):
    return samples.get((name, labels))


def wait_metrics(port, cond, proc, what, deadline=CONSUME_DEADLINE):
    end = time.monotonic() + deadline
    last = None
    while time.monotonic() < end:
        proc.assert_running()
        last = parse(scrape(port))
        if cond(last):
            return last
        time.sleep(0.2)
    pytest.fail(f"{what} not reached in {deadline} s; last scrape:\n"
                + "\n".join(f"{k} {v}" for k, v in sorted(last.items()) if k[0].startswith("kcrawl")))


def promtool(*args, stdin=None):
    """Runs Prometheus's promtool (Debian package prometheus, in the
    Makefile's DEB_TEST). Missing, it skips the test on a workstation and
    fails it under CI."""
    exe = shutil.which("promtool")
    if not exe:
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail("promtool not found: install Debian's prometheus package (make deps)")
        pytest.skip("promtool not found (apt-get install prometheus)")
    return subprocess.run([exe, *args], input=stdin, capture_output=True, timeout=60)


def check_exposition(text):
    """promtool check metrics: the exposition parses and passes its lint
    (names, units, HELP, counter suffixes)."""
    r = promtool("check", "metrics", stdin=text.encode())
    out = (r.stdout + r.stderr).decode(errors="replace")
    assert r.returncode == 0, f"promtool check metrics failed:\n{out}"


def publish_pages(brokers, topic, n_good, n_bad):
    p = Producer({"bootstrap.servers": brokers, "linger.ms": 5})
    for i in range(n_good):
        url = f"http://example.test/p{i}.html"
        p.produce(topic, key=url, value=f"<html><head><title>P{i}</title></head>"
                  f"<body><p>page {i}</p></body></html>".encode(),
                  headers=[("url", url), ("status", "200"),
                           ("fetched_at", "2026-01-01T00:00:00.000Z"),
                           ("content_type", "text/html; charset=utf-8")])
    for i in range(n_bad):  # no status header: missing_header
        p.produce(topic, key=f"bad{i}", value=b"<html></html>",
                  headers=[("url", f"http://example.test/bad{i}")])
    assert p.flush(30) == 0


def test_cleaner_metrics_and_stats(brokers, topics, pipeline):
    n_good, n_bad = 20, 3
    publish_pages(brokers, topics.pages, n_good, n_bad)
    pr = pipeline.cleaner("--workers", "2", "--metrics-addr", "127.0.0.1:0",
                          "--stats-interval", "1")
    port = wait_port(pr)
    s = wait_metrics(port, lambda s: value(s, "kcrawl_cleaner_records_total") == n_good
                     and value(s, "kcrawl_kafka_delivery_seconds_count") == n_good + n_bad,
                     pr, f"{n_good} records and {n_good + n_bad} deliveries")
    assert value(s, "kcrawl_cleaner_errors_total", '{code="missing_header"}') == n_bad
    assert value(s, "kcrawl_cleaner_errors_total", '{code="parse_failed"}') == 0
    assert value(s, "kcrawl_cleaner_parse_seconds_count") == n_good
    assert value(s, "kcrawl_cleaner_parse_seconds_bucket", '{le="+Inf"}') == n_good
    assert value(s, "kcrawl_kafka_produce_errors_total") == 0
    busy = [v for (n, l), v in s.items() if n == "kcrawl_cleaner_worker_busy_seconds_total"]
    assert len(busy) == 2 and sum(busy) > 0, f"per-worker busy seconds: {busy}"
    assert value(s, "kcrawl_kafka_consumer_lag") is not None
    assert value(s, "process_cpu_seconds_total") > 0
    assert value(s, "process_resident_memory_bytes") > 1 << 20
    assert abs(value(s, "process_start_time_seconds") - time.time()) < 3600
    check_exposition(scrape(port))

    # Only GET /metrics is served.
    with pytest.raises(urllib.error.HTTPError) as e:
        scrape(port, "/")
    assert e.value.code == 404

    # Not a terminal: a JSON stats line, no progress line.
    end = time.monotonic() + 30
    while time.monotonic() < end:
        stats = [json.loads(l) for l in pr.log_path.read_text().splitlines()
                 if '"msg":"stats"' in l]
        if stats and stats[-1]["pages"] == n_good + n_bad:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"no stats line counting {n_good + n_bad} pages\n{pr.log_tail()}")
    last = stats[-1]
    assert last["errors"] == n_bad and last["level"] == "info"
    assert "pages_per_s" in last and last["rss_bytes"] > 0
    assert "\r" not in pr.log_path.read_text()
    pipeline.stop_all()


def test_fetcher_serves_metrics(brokers, topics, pipeline, site):
    pr = pipeline.fetcher("--metrics-addr", "127.0.0.1:0")
    port = wait_port(pr)
    s = parse(scrape(port))
    assert value(s, "process_cpu_seconds_total") is not None
    assert value(s, "kcrawl_kafka_delivery_seconds_count") is not None
    # After some work, so that the labelled series and histograms exist.
    publish(brokers, topics.urls, [site.url("page-01.html"), site.url("no-such-page.html")])
    wait_metrics(port, lambda s: value(s, "kcrawl_fetcher_pages_total") == 2,
                 pr, "2 pages")
    check_exposition(scrape(port))
    pipeline.stop_all()


@pytest.mark.parametrize("name", ["fetcher", "cleaner"])
def test_bad_metrics_addr_exit_2(brokers, topics, name):
    state = ["--state-topic", topics.state] if name == "fetcher" else []
    r = run_cli(name, "--brokers", brokers, "--metrics-addr", "nonsense",
                "--pages-topic", topics.pages, *state, timeout=30)
    err = r.stderr.decode()
    assert r.returncode == 2, f"exit {r.returncode}, want 2: {err}"
    assert "--metrics-addr" in err


@pytest.mark.parametrize("name", ["fetcher", "cleaner"])
def test_stats_interval_range(name):
    r = run_cli(name, "--stats-interval", "-1")
    assert r.returncode == 2 and b"stats-interval" in r.stderr
    r = run_cli(name, "--print-config", env=clean_env(**{
        f"{name.upper()}_STATS_INTERVAL": "15",
        f"{name.upper()}_METRICS_ADDR": ":9100"}))
    out = r.stdout.decode()
    assert "stats-interval=15 (env)" in out and "metrics-addr=:9100 (env)" in out


# ---- slow clients ---------------------------------------------------------
# What shared/metrics.c promises (docs/operations.md, "The endpoint under
# slow clients"): per client address at most PER_IP connections, and no
# request, however slowly it trickles in or is read, holds its connection
# longer than REQUEST_DEADLINE seconds.
PER_IP = 8
REQUEST_DEADLINE = 10


class SlowClients:
    """Connections that hold the endpoint's slots: `trickle` ones send a
    request's headers one short line every 0.5 s and never finish them
    (slowloris); `unread` ones pipeline complete requests and never read
    an answer, with a small receive buffer. Each from a chosen loopback
    source address. A thread keeps the trickling going until stop()."""

    def __init__(self, port):
        self.port, self.socks, self.trickling = port, [], []
        self.refused = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _connect(self, src, rcvbuf=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.bind((src, 0))
        self.socks.append(s)
        s.settimeout(0.5)
        try:
            s.connect(("127.0.0.1", self.port))
        except OSError:  # not accepted: the server is at a limit
            self.refused += 1
            return None
        return s

    def trickle(self, n, src):
        for _ in range(n):
            s = self._connect(src)
            if not s:
                continue
            try:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                self.trickling.append(s)
            except OSError:
                self.refused += 1

    def unread(self, n, src):
        req = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 32
        for _ in range(n):
            s = self._connect(src, rcvbuf=1024)
            if not s:
                continue
            s.setblocking(False)
            try:
                s.send(req)
            except OSError:
                self.refused += 1

    def _run(self):
        i = 0
        while not self._stop.wait(0.5):
            for s in list(self.trickling):
                try:
                    s.send(b"X-Slow-%d: x\r\n" % i)
                except OSError:
                    self.trickling.remove(s)
            i += 1

    def start(self):
        self._t.start()
        return self

    def stop(self):
        self._stop.set()
        self._t.join(5)
        for s in self.socks:
            s.close()


def closed_by_peer(s):
    """True once the server has closed s (EOF or reset), without blocking."""
    try:
        s.setblocking(False)
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def scrape_within(port, deadline):
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                timeout=deadline) as r:
        assert r.status == 200
        body = r.read().decode()
    took = time.monotonic() - t0
    assert took < deadline, f"scrape took {took:.1f} s"
    return body


@pytest.mark.parametrize("name", ["fetcher", "cleaner"])
def test_metrics_served_under_slow_clients(brokers, topics, pipeline, name):
    pr = getattr(pipeline, name)("--metrics-addr", "127.0.0.1:0")
    port = wait_port(pr)
    parse(scrape(port))
    # Request headers beyond the per-connection memory are refused.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
                  + b"a" * (80 * 1024) + b"\r\n\r\n")
        assert s.recv(64).startswith(b"HTTP/1.1 431 ")
    slow = SlowClients(port).start()
    try:
        # Three times the per-address limit from each of two other
        # addresses, and a few, under the limit, from the scraper's own.
        slow.trickle(3 * PER_IP, "127.0.0.2")
        slow.unread(3 * PER_IP, "127.0.0.3")
        slow.trickle(PER_IP // 2 - 1, "127.0.0.1")
        slow.unread(PER_IP // 2 - 1, "127.0.0.1")
        # Scrapes are answered, promptly, while the slow clients hold on.
        for _ in range(5):
            parse(scrape_within(port, 3))
            pr.assert_running()
        mine = [s for s in slow.trickling if s.getsockname()[0] == "127.0.0.1"]
        assert mine, "no trickling connection from 127.0.0.1 was accepted"
        # No trickling connection outlives the request deadline, though it
        # keeps sending and so never goes idle.
        end = time.monotonic() + REQUEST_DEADLINE + 10
        while time.monotonic() < end and not all(closed_by_peer(s) for s in mine):
            parse(scrape_within(port, 3))
            time.sleep(0.2)
        open_ = [s.getsockname() for s in mine if not closed_by_peer(s)]
        assert not open_, f"still open after {REQUEST_DEADLINE} s: {open_}"
    finally:
        slow.stop()
    parse(scrape_within(port, 3))
    pipeline.stop_all()


# ---- alerting rules ---------------------------------------------------------
PROM_DIR = ROOT / "compose" / "prometheus"


def test_alert_rules_pass_promtool():
    for args in (("check", "rules", str(PROM_DIR / "alerts.yml")),
                 ("check", "config", str(PROM_DIR / "prometheus.yml")),
                 ("test", "rules", str(ROOT / "tests" / "prometheus" / "alerts_test.yml"))):
        r = promtool(*args)
        out = (r.stdout + r.stderr).decode(errors="replace")
        assert r.returncode == 0, f"promtool {' '.join(args)}:\n{out}"


def docs_alerts():
    """{alert: (expr, for)} from the table in docs/operations.md."""
    text = (ROOT / "docs" / "operations.md").read_text()
    section = text.split("### What to alert on", 1)[1].split("\n### ", 1)[0]
    out = {}
    for line in section.splitlines():
        m = re.match(r"^\| `(\w+)` \| `(.*)` \| (\S*) *\| .* \|$", line)
        if m:
            out[m.group(1)] = (m.group(2).replace("\\|", "|"), m.group(3))
    return out


def test_alert_rules_match_docs():
    groups = yaml.safe_load((PROM_DIR / "alerts.yml").read_text())["groups"]
    rules = {r["alert"]: (r["expr"], r.get("for", ""))
             for g in groups for r in g["rules"]}
    documented = docs_alerts()
    assert len(documented) >= 9, f"alert table not found or short: {documented}"
    assert rules == documented
