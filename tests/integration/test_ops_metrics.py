"""The metrics endpoint and the stats summary of the real binaries on a
real broker: scrape http://HOST:PORT/metrics while the cleaner works and
check the counters match what was published."""

import json
import re
import time
import urllib.error
import urllib.request

import pytest
from confluent_kafka import Producer

from conftest import CONSUME_DEADLINE, Proc, clean_env, run_cli

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


def test_fetcher_serves_metrics(brokers, topics, pipeline):
    pr = pipeline.fetcher("--metrics-addr", "127.0.0.1:0")
    port = wait_port(pr)
    s = parse(scrape(port))
    assert value(s, "process_cpu_seconds_total") is not None
    assert value(s, "kcrawl_kafka_delivery_seconds_count") is not None
    pipeline.stop_all()


@pytest.mark.parametrize("name", ["fetcher", "cleaner"])
def test_bad_metrics_addr_exit_2(brokers, topics, name):
    r = run_cli(name, "--brokers", brokers, "--metrics-addr", "nonsense",
                "--pages-topic", topics.pages, timeout=30)
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
