"""Fixtures and helpers for kcrawl's integration tests on a real Kafka broker.

Run through tools/run-integration.sh, which starts a one-node KRaft broker
(tools/kafka.sh) and exports its address as KAFKA_BROKERS; or set
KAFKA_BROKERS yourself to use another cluster (topics are created per test
with unique names and deleted afterwards, so a shared cluster is fine).

Nothing here sleeps for a fixed time: every wait polls Kafka, a process or a
socket until a condition holds or a deadline passes.
"""

import base64
import json
import os
import pathlib
import re
import signal
import subprocess
import threading
import time
import urllib.parse
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import jsonschema
import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
SITE_DIR = ROOT / "tests" / "site"
BUILD = pathlib.Path(os.environ.get("KCRAWL_BUILD", ROOT / "build"))

PARTITIONS = 4
# Deadlines: generous, since a loaded CI machine is slower than a laptop.
CONSUME_DEADLINE = float(os.environ.get("KCRAWL_TEST_DEADLINE", "90"))
STOP_DEADLINE = 30.0


# --------------------------------------------------------------- schemas --

def load_schema(name):
    with open(SCHEMAS / f"{name}.schema.json", encoding="utf-8") as f:
        return json.load(f)


_validators = {}


def validator(name):
    v = _validators.get(name)
    if v is None:
        schema = load_schema(name)
        jsonschema.Draft202012Validator.check_schema(schema)
        v = jsonschema.Draft202012Validator(schema)
        _validators[name] = v
    return v


def assert_valid(name, instance, what=""):
    """Asserts `instance` is valid against schemas/<name>.schema.json,
    listing every violation when it is not."""
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                 for e in errors]
        pytest.fail(f"{what or name} not valid against {name}.schema.json:\n  "
                    + "\n  ".join(lines) + f"\ninstance: {json.dumps(instance)[:2000]}")


# ----------------------------------------------------------------- Kafka --

@pytest.fixture(scope="session")
def brokers():
    b = os.environ.get("KAFKA_BROKERS")
    if not b:
        pytest.fail("KAFKA_BROKERS is not set: run the tests with "
                    "tools/run-integration.sh (it starts a broker), or export "
                    "KAFKA_BROKERS=host:port of a cluster you own")
    return b


@pytest.fixture(scope="session")
def admin(brokers):
    return AdminClient({"bootstrap.servers": brokers})


# The fetcher's default --delay-tiers: each tier is a delay topic named
# <--delay-topic>.<tier>, created with the others (test_options checks this
# list against the fetcher's own default).
DELAY_TIERS = ("2m", "10m", "1h", "6h", "1d")


# The crawl state topic: compacted (one state per URL is kept).
STATE_TOPIC_CONFIG = {"cleanup.policy": "compact"}


class Topics:
    """Per-test unique topic names: t<hex>.urls, .urls.delayed (and its
    tiers .urls.delayed.2m ...), .pages, .records, .errors, .state (the
    fetcher's crawl state, compacted)."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.urls = f"{prefix}.urls"
        self.delayed = f"{prefix}.urls.delayed"
        self.delayed_tiers = [f"{self.delayed}.{t}" for t in DELAY_TIERS]
        self.pages = f"{prefix}.pages"
        self.records = f"{prefix}.records"
        self.errors = f"{prefix}.errors"
        self.state = f"{prefix}.state"

    def all_delayed(self):
        """The delay topic and its tiers: every topic a URL is parked on."""
        return [self.delayed, *self.delayed_tiers]

    def all(self):
        return [self.urls, *self.all_delayed(), self.pages, self.records, self.errors,
                self.state]


def _wait_futures(futures, what, ignore=()):
    for name, fut in futures.items():
        try:
            fut.result(timeout=60)
        except KafkaException as e:
            err = e.args[0]
            if err.code() in ignore:
                continue
            raise AssertionError(f"{what} {name}: {err}") from e


def create_topics(admin, names, partitions=PARTITIONS, config=None, brokers=None,
                  replication=1):
    new = [NewTopic(n, num_partitions=partitions, replication_factor=replication,
                    config=(config or {}).get(n, {})) for n in names]
    _wait_futures(admin.create_topics(new, operation_timeout=30), "create topic")
    # Wait until the metadata shows every partition with a leader.
    deadline = time.monotonic() + 60
    while True:
        md = admin.list_topics(timeout=10)
        ready = all(n in md.topics and md.topics[n].error is None
                    and len(md.topics[n].partitions) == partitions
                    and all(p.leader >= 0 for p in md.topics[n].partitions.values())
                    for n in names)
        if ready:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"topics {names} not ready after 60 s")
        time.sleep(0.1)
    # Metadata can name a leader before that broker serves the partition
    # (NOT_LEADER_FOR_PARTITION for a moment): wait until every partition
    # answers a watermark query.
    c = Consumer({"bootstrap.servers": brokers or os.environ["KAFKA_BROKERS"],
                  "group.id": "kcrawl-test-ready"})
    try:
        pending = [TopicPartition(n, p) for n in names for p in range(partitions)]
        while pending:
            left = []
            for tp in pending:
                try:
                    c.get_watermark_offsets(tp, timeout=5)
                except KafkaException:
                    left.append(tp)
            pending = left
            if pending and time.monotonic() > deadline:
                raise AssertionError(f"partitions not served after 60 s: {pending[:4]}")
            if pending:
                time.sleep(0.1)
    finally:
        c.close()


def delete_topics(admin, names):
    _wait_futures(admin.delete_topics(names, operation_timeout=30), "delete topic",
                  ignore=(KafkaError.UNKNOWN_TOPIC_OR_PART,))


@pytest.fixture
def topics(admin):
    t = Topics("t" + uuid.uuid4().hex[:12])
    big = {"max.message.bytes": str(16 * 1024 * 1024)}
    create_topics(admin, t.all(), config={t.pages: big, t.state: STATE_TOPIC_CONFIG})
    yield t
    delete_topics(admin, t.all())


def host_key(url):
    """The design's host key, for the simple URLs the tests publish (ASCII
    host names and IPv4 addresses): lower-case host, no trailing dot,
    :port only when not the scheme's default."""
    u = urllib.parse.urlsplit(url)
    host = (u.hostname or "").rstrip(".").lower()
    default = {"http": 80, "https": 443}.get(u.scheme.lower())
    if u.port is not None and u.port != default:
        return f"{host}:{u.port}"
    return host


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2)."""
    m, r, seed = 0x5BD1E995, 24, 0x9747B28C
    length = len(data)
    h = (seed ^ length) & 0xFFFFFFFF
    i = 0
    while length - i >= 4:
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
        i += 4
    rest = length - i
    if rest == 3:
        h ^= data[i + 2] << 16
    if rest >= 2:
        h ^= data[i + 1] << 8
    if rest >= 1:
        h ^= data[i]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def murmur2_partition(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class Published:
    """What publish() wrote: value, key, partition and offset per message."""

    def __init__(self, value, key, partition, offset):
        self.value, self.key, self.partition, self.offset = value, key, partition, offset

    def __repr__(self):
        return f"Published({self.value!r}, key={self.key!r}, p={self.partition}, o={self.offset})"


def publish(brokers, topic, messages):
    """Publishes URL messages to `topic` with the murmur2 partitioner and
    waits for every delivery report. Each message is a bare URL string, a
    dict (sent as JSON), or a (key, value) tuple to choose the key (value
    str, bytes or dict). Without an explicit key the key is the host key of
    the URL. Returns a list of Published in input order."""
    p = Producer({"bootstrap.servers": brokers, "partitioner": "murmur2_random",
                  "enable.idempotence": True, "linger.ms": 5})
    results = [None] * len(messages)
    failures = []

    def report(idx, value, key):
        def cb(err, msg):
            if err is not None:
                failures.append((value, err))
            else:
                results[idx] = Published(value, key, msg.partition(), msg.offset())
        return cb

    for i, m in enumerate(messages):
        key = None
        if isinstance(m, tuple):
            key, m = m
        if isinstance(m, dict):
            value = json.dumps(m)
            url = m.get("url")
        elif isinstance(m, bytes):
            value, url = m, None
        else:
            value, url = m, m.strip()
        if key is None:
            key = host_key(url) if isinstance(url, str) else ""
        p.produce(topic, value=value if isinstance(value, bytes) else value.encode(),
                  key=key.encode() if isinstance(key, str) else key,
                  on_delivery=report(i, value, key))
        p.poll(0)
    left = p.flush(30)
    assert left == 0, f"{left} URL messages not delivered to {topic}"
    assert not failures, f"delivery failed: {failures}"
    return results


class Msg:
    """A consumed message, decoded: key/value bytes, headers as a dict of
    str (duplicates are recorded in dup_headers)."""

    def __init__(self, m):
        self.topic, self.partition, self.offset = m.topic(), m.partition(), m.offset()
        self.key, self.value = m.key(), m.value()
        self.raw_headers = m.headers() or []
        self.headers, self.dup_headers = {}, []
        for k, v in self.raw_headers:
            if k in self.headers:
                self.dup_headers.append(k)
            self.headers[k] = v.decode("utf-8") if v is not None else None

    def json(self):
        return json.loads(self.value)

    def __repr__(self):
        v = self.value[:200] if self.value is not None else None
        return f"Msg({self.topic}[{self.partition}]@{self.offset} key={self.key!r} value={v!r})"


def _consumer(brokers):
    return Consumer({"bootstrap.servers": brokers,
                     "group.id": "kcrawl-test-reader-" + uuid.uuid4().hex[:8],
                     "enable.auto.commit": False,
                     "auto.offset.reset": "earliest",
                     "enable.partition.eof": False,
                     "isolation.level": "read_committed"})


def consume(brokers, topic, n, deadline=CONSUME_DEADLINE, procs=()):
    """Reads `topic` from the beginning until `n` messages have arrived or
    `deadline` seconds have passed; returns what it read (which may be fewer
    than n: the caller asserts). Fails early if one of `procs` (Proc) died."""
    c = _consumer(brokers)
    md = c.list_topics(topic, timeout=10)
    parts = sorted(md.topics[topic].partitions)
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    out = []
    end = time.monotonic() + deadline
    try:
        while len(out) < n and time.monotonic() < end:
            m = c.poll(0.2)
            if m is not None:
                if m.error():
                    raise AssertionError(f"consume {topic}: {m.error()}")
                out.append(Msg(m))
                continue
            for pr in procs:
                pr.assert_running()
    finally:
        c.close()
    return out


def read_all(brokers, topic, deadline=60):
    """Reads every message of `topic` from the beginning to the end of each
    partition (partition EOF, so transaction markers do not stall it). For
    exact counts, call it after the producers have stopped."""
    c = Consumer({"bootstrap.servers": brokers,
                  "group.id": "kcrawl-test-reader-" + uuid.uuid4().hex[:8],
                  "enable.auto.commit": False,
                  "auto.offset.reset": "earliest",
                  "enable.partition.eof": True,
                  "isolation.level": "read_committed"})
    end = time.monotonic() + deadline
    try:
        # A broker just (re)started may not answer yet: its metadata is
        # asked for again until the deadline, not once.
        while True:
            try:
                md = c.list_topics(topic, timeout=10)
                break
            except KafkaException:
                if time.monotonic() > end:
                    raise
                time.sleep(1)
        parts = sorted(md.topics[topic].partitions)
        c.assign([TopicPartition(topic, p, 0) for p in parts])
        out, eof = [], set()
        while len(eof) < len(parts):
            if time.monotonic() > end:
                raise AssertionError(f"read_all {topic}: no end of partitions "
                                     f"{sorted(set(parts) - eof)} after {deadline} s")
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                    continue
                raise AssertionError(f"read_all {topic}: {m.error()}")
            eof.discard(m.partition())
            out.append(Msg(m))
        return out
    finally:
        c.close()


# ------------------------------------------------------------- validation --

def page_headers(msg):
    """The pages topic's headers as the object page.schema.json describes."""
    assert not msg.dup_headers, f"duplicate headers {msg.dup_headers} in {msg}"
    return dict(msg.headers)


def check_page(msg):
    h = page_headers(msg)
    assert_valid("page", h, f"page headers of {msg}")
    return h


def check_record(msg):
    try:
        rec = json.loads(msg.value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        pytest.fail(f"record is not UTF-8 JSON: {e}: {msg}")
    assert_valid("record", rec, f"record {msg}")
    return rec


def check_error(msg):
    try:
        err = json.loads(msg.value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        pytest.fail(f"error object is not UTF-8 JSON: {e}: {msg}")
    assert_valid("error", err, f"error {msg}")
    return err


def error_input(err):
    """The error object's input as bytes (from input or input_base64)."""
    if "input" in err:
        return err["input"].encode("utf-8")
    if "input_base64" in err:
        return base64.b64decode(err["input_base64"])
    return None


# ------------------------------------------------------------------- site --

class _SiteHandler(SimpleHTTPRequestHandler):
    """Serves tests/site/ plus a few routes:
      /status/NNN            that status with a small HTML body
      /redirect/PATH         302 to /PATH
    and counts requests per path (server.hits)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=str(SITE_DIR), **kw)

    def log_message(self, fmt, *args):  # quiet
        pass

    def _count(self):
        with self.server.lock:
            self.server.hits[self.path] = self.server.hits.get(self.path, 0) + 1

    def do_GET(self):
        self._count()
        path = urllib.parse.urlsplit(self.path).path
        m = re.fullmatch(r"/status/([1-5][0-9][0-9])", path)
        if m:
            code = int(m.group(1))
            body = (f"<!DOCTYPE html><html lang=en><head><title>Status {code}</title>"
                    f"</head><body><h1>Status {code}</h1></body></html>").encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", "/" + path[len("/redirect/"):])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def do_HEAD(self):
        self._count()
        super().do_HEAD()


class Site:
    def __init__(self, server):
        self.server = server
        host, port = server.server_address[:2]
        self.base = f"http://{host}:{port}"
        self.host_key = f"{host}:{port}"

    def url(self, path):
        return self.base + "/" + path.lstrip("/")

    @property
    def hits(self):
        with self.server.lock:
            return dict(self.server.hits)


@pytest.fixture(scope="session")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SiteHandler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.hits = {}
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         name="site", daemon=True)
    t.start()
    yield Site(server)
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------- binaries --

def binary(name):
    path = BUILD / name
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} not built: run `make` first")
    return str(path)


def proc_status_kib(pid, field):
    """A memory figure of process `pid` from /proc/PID/status, in KiB:
    `field` is "VmHWM" (peak resident set) or "VmRSS" (resident now)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def clean_env(**extra):
    """The environment for a binary: ours less any FETCHER_*/CLEANER_*/
    KAFKA_BROKERS that would change its configuration, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("FETCHER_") or k.startswith("CLEANER_")
                   or k == "KAFKA_BROKERS")}
    env.update(extra)
    return env


class Proc:
    """A binary running in the background; stderr (its JSON logs) goes to a
    file so that failures can show it."""

    def __init__(self, name, args, log_dir, env=None):
        self.name = name
        self.args = [binary(name)] + list(args)
        self.log_path = pathlib.Path(log_dir) / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self._log = open(self.log_path, "wb")
        self.p = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                  stdout=self._log, stderr=subprocess.STDOUT,
                                  env=env if env is not None else clean_env())
        self.stopped = False

    def log_tail(self, n=40):
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def assert_running(self):
        rc = self.p.poll()
        if rc is not None and not self.stopped:
            self.stopped = True
            pytest.fail(f"{self.name} exited early with {rc}: {' '.join(self.args)}\n"
                        f"--- log ---\n{self.log_tail()}")

    def stop(self, deadline=STOP_DEADLINE):
        """SIGTERM, then asserts exit code 0 within `deadline` seconds."""
        if self.stopped:
            return self.p.returncode
        self.stopped = True
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            self._log.close()
            pytest.fail(f"{self.name} did not exit within {deadline} s of SIGTERM\n"
                        f"--- log ---\n{self.log_tail()}")
        self._log.close()
        assert rc == 0, (f"{self.name} exited with {rc} after SIGTERM (want 0)\n"
                         f"--- log ---\n{self.log_tail()}")
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.stopped = True
        if not self._log.closed:
            self._log.close()


class Pipeline:
    """Starts fetcher and cleaner on a test's topics; stops them at the end."""

    def __init__(self, brokers, topics, log_dir):
        self.brokers, self.topics, self.log_dir = brokers, topics, log_dir
        self.procs = []
        self.group = "g" + uuid.uuid4().hex[:10]

    def fetcher(self, *extra):
        t = self.topics
        pr = Proc("fetcher", ["--brokers", self.brokers, "--group", self.group + "-fetcher",
                              "--urls-topic", t.urls, "--pages-topic", t.pages,
                              "--errors-topic", t.errors, "--delay-topic", t.delayed,
                              "--state-topic", t.state, "--allow-private", "--host-rate", "50", *extra],
                  self.log_dir)
        self.procs.append(pr)
        return pr

    def cleaner(self, *extra):
        t = self.topics
        pr = Proc("cleaner", ["--brokers", self.brokers, "--group", self.group + "-cleaner",
                              "--pages-topic", t.pages, "--records-topic", t.records,
                              "--errors-topic", t.errors, *extra],
                  self.log_dir)
        self.procs.append(pr)
        return pr

    def stop_all(self):
        """Stops every process (SIGTERM), asserting each exits 0 in time."""
        failures = []
        for pr in self.procs:
            try:
                pr.stop()
            except (AssertionError, pytest.fail.Exception) as e:
                failures.append(str(e))
        if failures:
            pytest.fail("\n\n".join(failures))


@pytest.fixture
def pipeline(brokers, topics, tmp_path):
    pl = Pipeline(brokers, topics, tmp_path)
    yield pl
    for pr in pl.procs:  # after a failed test: do not leave them running
        pr.kill()


def run_cli(name, *args, env=None, timeout=15):
    """Runs a binary to completion (for --help, --print-config, bad options)."""
    return subprocess.run([binary(name), *args], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout,
                          env=env if env is not None else clean_env())
