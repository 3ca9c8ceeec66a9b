"""kcrawl benchmarks side by side: run by tests/bench/run.sh.

Everything runs on this machine and talks only to 127.0.0.1: a local nginx
serves a deterministic corpus, a Kafka broker of our own (tools/kafka.sh) in
a temporary directory joins the stages. Every figure is the median of
several runs with the spread (min-max); ratios compare figures measured in
the same run. The Markdown report goes to stdout and to docs/benchmarks.md
(BENCH_OUT to change; BENCH_OUT=- for stdout only).

Environment: BENCH_QUICK=1 (a smoke run: one run each, small counts),
BENCH_RUNS, BENCH_CONCURRENCY (64), BENCH_DIR (work directory; default a
new one under TMPDIR, removed at the end unless BENCH_KEEP=1),
BENCH_BIN (where run.sh built curl_loop and xml_parse), KCRAWL_BUILD
(fetcher and cleaner; default build/), KAFKA_BROKERS is ignored (the
benchmark always starts its own broker: it measures the broker's CPU),
KAFKA_PORT/KAFKA_CONTROLLER_PORT (passed to tools/kafka.sh; default free
ports), BENCH_PROFILE=0 to skip the perf profiles, BENCH_MEM_URLS (figure 7:
URL messages, 10 per host; 1,000,000, quick 100,000), BENCH_MEM_PAIR_URLS
(200,000) and BENCH_MEM_TIMEOUT (seconds per figure-7 run; 240, quick 90),
BENCH_STATE_URLS (figure 9: crawl states, 10 URLs per host; 1,000,000, quick
100,000), BENCH_STATE_TIMEOUT (figure 9's --state-load-timeout; 180),
BENCH_PORTS=LO-HI (nginx's and the metrics endpoints' ports from that range).
With BENCH_ONLY the report keeps the rows of the figures not run from the
report it replaces (make bench-state: figure 9 alone).
"""

import datetime
import json
import os
import pathlib
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import corpus  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "bench"
BUILD = pathlib.Path(os.environ.get("KCRAWL_BUILD", ROOT / "build"))
BENCH_BIN = pathlib.Path(os.environ.get("BENCH_BIN", BUILD / "bench"))
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
RUNS = int(os.environ.get("BENCH_RUNS", "1" if QUICK else "3"))
CONC = int(os.environ.get("BENCH_CONCURRENCY", "64"))
PROFILE = os.environ.get("BENCH_PROFILE", "1") != "0"
CLK = os.sysconf("SC_CLK_TCK")

# Sizes: a full run stays well under 15 minutes on 2 shared cores.
VHOSTS = 50                                   # virtual hosts of the throughput runs
FETCH_PAGES = 6000 if QUICK else 30000        # URLs per fetcher run
WRK_SECONDS = 2 if QUICK else 5
SCRAPY_PAGES = 400 if QUICK else 2000
CLEAN_PAGES = 3000 if QUICK else 30000
PARSE_SECONDS = 1.0 if QUICK else 3.0
POLITE_HOSTS, POLITE_RATE = 20, 5
POLITE_SECONDS = 5 if QUICK else 10
LAT_RATE = 100                                # URLs/s published
LAT_SECONDS = 5 if QUICK else 10
# 7. memory at scale: MEM_URLS URL messages, MEM_PER_HOST per host, served by
# a tiny page; the fetcher's memory defaults, a short idle timeout.
MEM_URLS = int(os.environ.get("BENCH_MEM_URLS", "100000" if QUICK else "1000000"))
MEM_PER_HOST = 10
MEM_HOSTS = max(1, MEM_URLS // MEM_PER_HOST)
MEM_IDLE = 5                                  # --host-idle-timeout, seconds
MEM_PAIR_URLS = int(os.environ.get("BENCH_MEM_PAIR_URLS", "200000"))
# In the two runs that derive memory per URL held, librdkafka's consumer
# prefetch (by default up to 100,000 messages a partition, tens of MB, filled
# in bursts) is cut in both, so its swings do not blur the difference.
MEM_PAIR_X = ["-X", "queued.min.messages=1000", "-X", "queued.max.messages.kbytes=4096"]
MEM_TIMEOUT = float(os.environ.get("BENCH_MEM_TIMEOUT", "90" if QUICK else "240"))
# 8. crawl state: STATE_URLS states of STATE_HOSTS hosts, in the fetcher's
# table in process and loaded by the fetcher from a state topic.
STATE_URLS = int(os.environ.get("BENCH_STATE_URLS", "100000" if QUICK else "1000000"))
STATE_HOSTS = max(1, STATE_URLS // 10)
STATE_TIMEOUT = float(os.environ.get("BENCH_STATE_TIMEOUT", "180"))
STATE_MEM_TARGET_MB = 256
STATE_LOAD_TARGET_S = 10
# Extra cleaner options for figure 4 (experiments; the report names them).
CLEANER_ARGS = shlex.split(os.environ.get("BENCH_CLEANER_ARGS", ""))
DEADLINE = time.monotonic() + float(os.environ.get("BENCH_TIMEOUT", "1500"))


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


def check_deadline(what):
    if time.monotonic() > DEADLINE:
        raise BenchError(f"overall deadline passed before {what}")


# ------------------------------------------------------------ processes --

# BENCH_PORTS=LO-HI: the ports of nginx and the metrics endpoints are taken
# from that range (a shared machine's allotment) instead of any free one.
_PORTS = [int(x) for x in os.environ.get("BENCH_PORTS", "").split("-") if x.strip()]
_next_port = _PORTS[0] if len(_PORTS) == 2 else None


def free_port():
    global _next_port
    if _next_port is None:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port
    while _next_port <= _PORTS[1]:
        port, _next_port = _next_port, _next_port + 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise BenchError(f"no free port left in BENCH_PORTS {_PORTS[0]}-{_PORTS[1]}")


def cpu_seconds(pid):
    """utime + stime of every thread of `pid`, in seconds (None if gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except (OSError, IndexError, ValueError):
        return None


def thread_cpu(pid):
    """CPU seconds of a process's threads, split into librdkafka's threads
    (named rdk:...) and the rest (the program's own: main and workers)."""
    own = rdk = 0.0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        secs = (int(fields[11]) + int(fields[12])) / CLK
        if comm.startswith("rdk:"):
            rdk += secs
        else:
            own += secs
    return own, rdk


def machine_busy():
    """CPU seconds the whole machine has been busy (all cores: user, nice,
    system, irq, softirq, steal), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLK


def peak_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("FETCHER_") or k.startswith("CLEANER_") or k == "KAFKA_BROKERS")}
    env.update(extra)
    return env


class Proc:
    """A process we started; stopped by its own PID only."""

    def __init__(self, bench, name, args, env=None):
        self.name = name
        self.log_path = bench.dir / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self._log = open(self.log_path, "wb")
        self.p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                  stderr=subprocess.STDOUT,
                                  env=env if env is not None else clean_env())
        self.pid = self.p.pid
        bench.procs.append(self)

    def alive(self):
        return self.p.poll() is None

    def check(self):
        if not self.alive():
            raise BenchError(f"{self.name} exited early ({self.p.returncode}); "
                             f"log {self.log_path}:\n{self.tail()}")

    def tail(self, n=15):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.p.poll() is None:
            try:
                self.p.send_signal(sig)
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} (pid {self.pid}) still running after {timeout} s: SIGKILL")
                self.p.kill()
                self.p.wait()
        self._log.close()
        return self.p.returncode


def run_json(args, timeout, **kw):
    """Runs a helper that prints one JSON object; returns it."""
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if r.returncode != 0 or not r.stdout.strip():
        raise BenchError(f"{' '.join(map(str, args[:3]))}... exited {r.returncode}: "
                         f"{r.stderr.strip()[-800:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def spread(values):
    """(median, min, max) of a non-empty list."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    return statistics.median(v), min(v), max(v)


def rfc3339_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# ---------------------------------------------------------------- bench --

class Bench:
    def __init__(self):
        base = os.environ.get("BENCH_DIR")
        if base:
            self.dir = pathlib.Path(base)
            self.dir.mkdir(parents=True, exist_ok=True)
        else:
            self.dir = pathlib.Path(tempfile.mkdtemp(prefix="kcrawl-bench.",
                                                     dir=os.environ.get("TMPDIR", "/tmp")))
        self.procs = []
        self.nginx = None
        self.kafka_dir = None
        self.brokers = None
        self.results = {}     # key -> list of values, or a dict
        self.notes = []
        self.profiles = {}
        self.id = "b" + uuid.uuid4().hex[:8]
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.load_start = os.getloadavg()

    # --- set-up -----------------------------------------------------------
    def setup(self):
        bindir = self.dir / "bin"
        bindir.mkdir(exist_ok=True)
        # build/ may be rebuilt while we run: measure frozen copies.
        for b in ("fetcher", "cleaner"):
            src = BUILD / b
            if not os.access(src, os.X_OK):
                raise BenchError(f"{src} not built: run make first")
            shutil.copy2(src, bindir / b)
        for b in ("curl_loop", "xml_parse", "produce_loop", "state_bench"):
            if not os.access(BENCH_BIN / b, os.X_OK):
                raise BenchError(f"{BENCH_BIN / b} not built: run tests/bench/run.sh")
        self.fetcher = str(bindir / "fetcher")
        self.cleaner = str(bindir / "cleaner")
        self.curl_loop = str(BENCH_BIN / "curl_loop")
        self.xml_parse = str(BENCH_BIN / "xml_parse")
        self.produce_loop = str(BENCH_BIN / "produce_loop")
        self.state_bench = str(BENCH_BIN / "state_bench")

        log(f"work directory {self.dir}")
        self.corpus = self.dir / "corpus"
        self.manifest = corpus.generate(str(self.corpus))
        os.chmod(self.dir, 0o755)
        self.files = [m["name"] for m in self.manifest]
        self.sizes = {m["name"]: m["bytes"] for m in self.manifest}
        n_small = sum(1 for f in self.files if f.startswith("page-"))
        avg_small = sum(self.sizes[f] for f in self.files if f.startswith("page-")) / n_small
        self.corpus_desc = (f"{len(self.files)} pages (seed 20240601): {n_small} of "
                            f"{avg_small / 1000:.1f} KB on average and "
                            f"{len(self.files) - n_small} of ~300 KB; "
                            f"{sum(self.sizes.values()) / 1e6:.1f} MB")
        log(f"corpus: {self.corpus_desc}")
        self.start_nginx()
        self.start_kafka()

    def start_nginx(self):
        d = self.dir / "nginx"
        d.mkdir(exist_ok=True)
        self.port = free_port()
        self.tiny_port = free_port()
        self.polite_log = d / "polite.log"
        conf = d / "nginx.conf"
        conf.write_text(f"""# Written by tests/bench/bench.py: the benchmark site, loopback only.
worker_processes 2;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    types {{ text/html html; text/plain txt; }}
    default_type application/octet-stream;
    charset utf-8;
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 60;
    keepalive_requests 1000000;
    open_file_cache max=4000 inactive=120s;
    # Requests to the politeness run's hosts are logged with their time.
    map $host $polite {{ ~^polite 1; default 0; }}
    log_format ts '$msec $host $request_uri $status';
    server {{
        listen 127.0.0.1:{self.port};
        server_name _;
        root {self.corpus};
        access_log {self.polite_log} ts if=$polite;
    }}
    # Figure 7: robots.txt 404 (allow all) and one tiny page for every path.
    server {{
        listen 127.0.0.1:{self.tiny_port};
        server_name _;
        location = /robots.txt {{ return 404; }}
        location / {{
            default_type text/html;
            return 200 "<html><title>t</title><p>ok</p></html>";
        }}
    }}
}}
""")
        self.nginx = Proc(self, "nginx", ["nginx", "-c", str(conf), "-p", str(d) + "/"],
                          env=os.environ.copy())
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                self.nginx.check()
                if time.monotonic() > deadline:
                    raise BenchError("nginx did not start")
                time.sleep(0.1)
        log(f"nginx pid {self.nginx.pid} on 127.0.0.1:{self.port}")

    def start_kafka(self):
        subprocess.run([str(ROOT / "tools/kafka.sh"), "fetch"], check=True, timeout=900)
        self.kafka_dir = self.dir / "kafka"
        r = subprocess.run([str(ROOT / "tools/kafka.sh"), "start", str(self.kafka_dir)],
                           capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            raise BenchError(f"kafka start failed: {r.stderr[-1500:]}")
        self.brokers = r.stdout.strip().splitlines()[-1]
        self.kafka_pid = int((self.kafka_dir / "kafka.pid").read_text().strip())
        self.admin = AdminClient({"bootstrap.servers": self.brokers})
        self.wm = Consumer({"bootstrap.servers": self.brokers, "group.id": self.id + "-wm",
                            "enable.auto.commit": False})
        log(f"kafka pid {self.kafka_pid} on {self.brokers}")

    def teardown(self):
        for p in reversed(self.procs):
            if p is not self.nginx:
                p.stop(timeout=30)
        if getattr(self, "wm", None) is not None:
            try:
                self.wm.close()
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
        self.wm = self.admin = None     # no client left to log the broker's exit
        if self.kafka_dir is not None:
            subprocess.run([str(ROOT / "tools/kafka.sh"), "stop", str(self.kafka_dir)],
                           timeout=120)
        if self.nginx is not None:
            self.nginx.stop(signal.SIGQUIT, timeout=15)
        if os.environ.get("BENCH_KEEP") != "1" and not os.environ.get("BENCH_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- Kafka helpers ----------------------------------------------------
    def create_topics(self, names, partitions=4, config=None):
        new = [NewTopic(n, num_partitions=partitions, replication_factor=1,
                        config=(config or {}).get(n, {})) for n in names]
        for n, fut in self.admin.create_topics(new, operation_timeout=30).items():
            fut.result(timeout=60)
        deadline = time.monotonic() + 60
        while True:
            md = self.admin.list_topics(timeout=10)
            if all(n in md.topics and md.topics[n].error is None and
                   len(md.topics[n].partitions) == partitions and
                   all(p.leader >= 0 for p in md.topics[n].partitions.values())
                   for n in names):
                return
            if time.monotonic() > deadline:
                raise BenchError(f"topics {names} not ready")
            time.sleep(0.1)

    def delete_topics(self, names):
        for n, fut in self.admin.delete_topics(list(names), operation_timeout=30).items():
            try:
                fut.result(timeout=60)
            except Exception as e:  # noqa: BLE001 - a leftover topic is only disk
                log(f"delete {n}: {e}")

    def topics(self, tag):
        p = f"{self.id}.{tag}"
        t = {"urls": p + ".urls", "delayed": p + ".urls.delayed", "pages": p + ".pages",
             "records": p + ".records", "errors": p + ".errors"}
        big = {"max.message.bytes": str(16 * 1024 * 1024)}
        self.create_topics(list(t.values()), config={t["pages"]: big})
        return t

    def count(self, topic, partitions=4):
        """Messages on `topic` (the sum of its end offsets)."""
        n = 0
        for p in range(partitions):
            for attempt in range(100):
                try:
                    lo, hi = self.wm.get_watermark_offsets(TopicPartition(topic, p),
                                                           timeout=10, cached=False)
                    break
                except KafkaException:      # a new topic's leader not known yet
                    if attempt == 99:
                        raise
                    time.sleep(0.1)
            n += hi
        return n

    def publish_urls(self, topic, urls, conf=None):
        p = Producer({"bootstrap.servers": self.brokers, "partitioner": "murmur2_random",
                      "linger.ms": 20, "enable.idempotence": True, **(conf or {})})
        for u in urls:
            host = u.split("/", 3)[2]
            while True:
                try:
                    p.produce(topic, value=u.encode(), key=host.encode())
                    break
                except BufferError:
                    p.poll(0.1)
            p.poll(0)
        if p.flush(120) != 0:
            raise BenchError("URL messages not delivered")

    def vhost_urls(self, n, hosts=VHOSTS, prefix="v", query=None):
        out = []
        for i in range(n):
            name = self.files[i % len(self.files)]
            u = f"http://{prefix}{i % hosts:03d}.bench.test/{name}"
            if query is not None:
                u += f"?{query}{i}"
            out.append(u)
        return out

    def fetcher_args(self, t, group, extra):
        return [self.fetcher, "--brokers", self.brokers, "--group", group,
                "--urls-topic", t["urls"], "--pages-topic", t["pages"],
                "--errors-topic", t["errors"], "--delay-topic", t["delayed"],
                "--delay-tiers", "",  # no tier topics: waits here are short
                "--state-topic", "",  # throughput and memory without crawl state
                "--connect-to", f"::127.0.0.1:{self.port}", "--max-inflight", str(CONC),
                "--log-level", "warn"] + extra

    FAST = ["--host-rate", "100000", "--host-burst", "100000", "--host-concurrency", "64",
            "--robots=false"]

    def wait_count(self, topics, total, procs, timeout, on_first=None):
        """Polls the end offsets of `topics` until they add up to `total`.
        Returns (t_first, n_first, t_done) with t_first the first poll that
        saw output, n_first what it saw; calls on_first() then."""
        deadline = time.monotonic() + timeout
        t_first = n_first = None
        while True:
            n = sum(self.count(t) for t in topics)
            now = time.monotonic()
            if n > 0 and t_first is None:
                t_first, n_first = now, n
                if on_first:
                    on_first()
            if n >= total:
                return t_first, n_first, now
            for p in procs:
                p.check()
            if now > deadline:
                raise BenchError(f"only {n} of {total} on {topics} after {timeout} s")
            time.sleep(0.1)

    # --- 1. fetch ceiling ---------------------------------------------------
    def stage_ceiling(self):
        check_deadline("fetch ceiling")
        log("1. fetch ceiling: wrk and the bare libcurl multi loop")
        direct = self.dir / "urls-direct.txt"
        direct.write_text("".join(f"http://127.0.0.1:{self.port}/{f}\n" for f in self.files))
        vhost = self.dir / "urls-vhost.txt"
        vhost.write_text("\n".join(self.vhost_urls(FETCH_PAGES)) + "\n")
        lua = self.dir / "paths.lua"
        lua.write_text("local paths = {" + ",".join(f'"/{f}"' for f in self.files) + "}\n"
                       "local i = 0\nrequest = function()\n  i = i % #paths + 1\n"
                       "  return wrk.format(\"GET\", paths[i])\nend\n")
        wrk, bare1, bareh = [], [], []
        for _ in range(RUNS):
            r = subprocess.run(["wrk", "-t", "2", "-c", str(CONC), "-d", f"{WRK_SECONDS}s",
                                "-s", str(lua), f"http://127.0.0.1:{self.port}/"],
                               capture_output=True, text=True, timeout=WRK_SECONDS + 30)
            m = re.search(r"Requests/sec:\s+([0-9.]+)", r.stdout)
            if r.returncode != 0 or not m:
                raise BenchError(f"wrk failed: {r.stdout}{r.stderr}")
            wrk.append(float(m.group(1)))
            j = run_json([self.curl_loop, "--urls", str(direct), "--concurrency", str(CONC),
                          "--requests", str(FETCH_PAGES)], timeout=300)
            bare1.append(j["pages_per_s"])
            j = run_json([self.curl_loop, "--urls", str(vhost), "--concurrency", str(CONC),
                          "--connect-to", f"::127.0.0.1:{self.port}"], timeout=300)
            bareh.append(j["pages_per_s"])
            self.bare_cpu_per_k = j["cpu_seconds"] / j["pages"] * 1000
        # What one producer with the fetcher's settings gets into this broker:
        # the other ceiling the fetcher runs under.
        prod = []
        for run in range(RUNS):
            t = f"{self.id}.produce{run}"
            self.create_topics([t], config={t: {"max.message.bytes": str(16 * 1024 * 1024)}})
            j = run_json([self.produce_loop, "--brokers", self.brokers, "--topic", t,
                          "--count", str(FETCH_PAGES)] + [str(self.corpus / f) for f in self.files],
                         timeout=300)
            prod.append(j["pages_per_s"])
            self.produce_cpu_per_k = j["cpu_seconds"] / j["pages"] * 1000
            self.delete_topics([t])
        self.results["produce"] = prod
        self.results["wrk"] = wrk
        self.results["bare_direct"] = bare1
        self.results["bare_vhost"] = bareh
        log(f"   wrk {spread(wrk)}, bare {spread(bare1)}, bare vhosts {spread(bareh)}, "
            f"produce {spread(prod)}")

    # --- 2. fetcher ---------------------------------------------------------
    def stage_fetcher(self):
        check_deadline("fetcher")
        log(f"2. fetcher: {FETCH_PAGES} URLs over {VHOSTS} virtual hosts, Kafka to Kafka")
        urls = self.vhost_urls(FETCH_PAGES)
        rates, cpus, rss, bcores, errors, busy = [], [], [], [], [], []
        for run in range(RUNS):
            t = self.topics(f"f{run}")
            self.publish_urls(t["urls"], urls)
            prof = PROFILE and run == RUNS - 1
            proc = Proc(self, "fetcher", self.fetcher_args(t, f"{self.id}-f{run}", self.FAST))
            marks = {}

            def first():
                marks["f"] = cpu_seconds(proc.pid)
                marks["b"] = cpu_seconds(self.kafka_pid)
                marks["m"] = machine_busy()
                if prof:
                    marks["perf"] = self.perf_start(proc.pid, "fetcher")
            t_first, n_first, t_done = self.wait_count([t["pages"], t["errors"]], FETCH_PAGES,
                                                       [proc], timeout=600, on_first=first)
            fcpu, bcpu = cpu_seconds(proc.pid), cpu_seconds(self.kafka_pid)
            mbusy = machine_busy()
            hwm = peak_rss_kb(proc.pid)
            if prof:
                self.perf_stop(marks.get("perf"), "fetcher")
            proc.stop()
            n = FETCH_PAGES - n_first
            secs = max(t_done - t_first, 1e-3)
            rates.append(n / secs)
            cpus.append(fcpu / FETCH_PAGES * 1000)      # all its CPU, start-up included
            bcores.append((bcpu - marks["b"]) / secs)
            busy.append((mbusy - marks["m"]) / secs)
            rss.append(hwm / 1024 if hwm else None)
            errors.append(self.count(t["errors"]))
            self.delete_topics(t.values())
            log(f"   run {run + 1}: {rates[-1]:.0f} pages/s, {cpus[-1]:.2f} CPU s/1000, "
                f"peak RSS {rss[-1]:.0f} MB, broker {bcores[-1]:.2f} cores, machine busy "
                f"{busy[-1]:.2f} cores, {errors[-1]} errors")
        self.results.update(fetch_rate=rates, fetch_cpu=cpus, fetch_rss=rss,
                            fetch_broker=bcores, fetch_errors=errors, fetch_busy=busy)

    # --- 3. Scrapy ----------------------------------------------------------
    def stage_scrapy(self):
        check_deadline("scrapy")
        log(f"3. Scrapy: {SCRAPY_PAGES} pages at concurrency {CONC}")
        f = self.dir / "urls-scrapy.txt"
        f.write_text("".join(f"http://127.0.0.1:{self.port}/{self.files[i % len(self.files)]}\n"
                             for i in range(SCRAPY_PAGES)))
        ext, raw = [], []
        for _ in range(RUNS):
            for extract, out in ((True, ext), (False, raw)):
                args = [PYTHON, str(HERE / "scrapy_bench.py"), "--urls", str(f),
                        "--concurrency", str(CONC)] + (["--extract"] if extract else [])
                out.append(run_json(args, timeout=600)["pages_per_s"])
        self.results.update(scrapy_extract=ext, scrapy_fetch=raw)
        log(f"   scrapy extract {spread(ext)}, fetch only {spread(raw)}")

    # --- 4. cleaner and the parsers -------------------------------------------
    def load_pages(self, topic, n, source_topic):
        """Produces n corpus pages with a fetcher's headers; returns the bytes."""
        p = Producer({"bootstrap.servers": self.brokers, "linger.ms": 50,
                      "compression.type": "lz4", "message.max.bytes": 16 * 1024 * 1024,
                      "batch.size": 1000000, "queue.buffering.max.kbytes": 1048576})
        bodies = {}
        total = 0
        for i in range(n):
            name = self.files[i % len(self.files)]
            body = bodies.get(name)
            if body is None:
                body = bodies[name] = (self.corpus / name).read_bytes()
            url = f"http://v{i % VHOSTS:03d}.bench.test/{name}"
            headers = [("url", url), ("final_url", url), ("status", "200"),
                       ("content_type", "text/html; charset=utf-8"),
                       ("fetched_at", rfc3339_now()), ("elapsed_ms", "2"),
                       ("attempts", "1"), ("source_topic", source_topic)]
            while True:
                try:
                    p.produce(topic, value=body, key=url.encode(), headers=headers)
                    break
                except BufferError:
                    p.poll(0.1)
            total += len(body)
            p.poll(0)
        if p.flush(120) != 0:
            raise BenchError("pages not delivered")
        return total

    def stage_cleaner(self):
        check_deadline("cleaner")
        log(f"4. cleaner: {CLEAN_PAGES} pages, --workers 1 and 2")
        t = self.topics("c")
        nbytes = self.load_pages(t["pages"], CLEAN_PAGES, t["urls"])
        # The defaults, then records compressed with lz4 (what it costs).
        for variant, extra in (("", []), ("_lz4", ["--compression", "lz4"])):
            self._cleaner_runs(t, nbytes, variant, extra + CLEANER_ARGS)
        self.delete_topics(t.values())

    def _cleaner_runs(self, t, nbytes, variant, extra):
        for workers in (1, 2):
            rates, per_core, mbs, bcores, ccores, errors, busy = [], [], [], [], [], [], []
            rdk_share = []
            for run in range(RUNS):
                rec = f"{t['records']}{variant}.w{workers}r{run}"
                err = f"{t['errors']}{variant}.w{workers}r{run}"
                self.create_topics([rec, err])
                prof = PROFILE and run == RUNS - 1 and workers == 1 and not variant
                proc = Proc(self, "cleaner", [
                    self.cleaner, "--brokers", self.brokers,
                    "--group", f"{self.id}-c{variant}{workers}-{run}", "--urls-topic", t["urls"],
                    "--pages-topic", t["pages"], "--records-topic", rec, "--errors-topic", err,
                    "--workers", str(workers), "--log-level", "warn"] + extra)
                marks = {}

                def first():
                    marks["c"] = cpu_seconds(proc.pid)
                    marks["b"] = cpu_seconds(self.kafka_pid)
                    marks["m"] = machine_busy()
                    if prof:
                        marks["perf"] = self.perf_start(proc.pid, "cleaner")
                t_first, n_first, t_done = self.wait_count([rec, err], CLEAN_PAGES, [proc],
                                                           timeout=600, on_first=first)
                ccpu, bcpu = cpu_seconds(proc.pid), cpu_seconds(self.kafka_pid)
                split = thread_cpu(proc.pid)
                mbusy = machine_busy()
                if prof:
                    self.perf_stop(marks.get("perf"), "cleaner")
                proc.stop()
                n = CLEAN_PAGES - n_first
                secs = max(t_done - t_first, 1e-3)
                # Per core: every page over all the CPU the process used; an
                # idle cleaner uses none, and the consumer's prefetch before
                # the first record (decompressing pages) is work on them.
                rates.append(n / secs)
                per_core.append(CLEAN_PAGES / ccpu if ccpu else None)
                mbs.append(nbytes / 1e6 / ccpu if ccpu else None)
                ccores.append((ccpu - marks["c"]) / secs)
                busy.append((mbusy - marks["m"]) / secs)
                bcores.append((bcpu - marks["b"]) / secs)
                # librdkafka's threads (fetch, decompression, produce
                # batching and compression) against the workers' own.
                rdk_share.append(split[1] / split[0] if split and split[0] else None)
                errors.append(self.count(err))
                self.delete_topics([rec, err])
                log(f"   {' '.join(extra) or 'defaults'}, "
                    f"workers {workers} run {run + 1}: {rates[-1]:.0f} pages/s, "
                    f"{per_core[-1]:.0f} pages per CPU s, cleaner {ccores[-1]:.2f} cores, "
                    f"broker {bcores[-1]:.2f} cores, machine busy {busy[-1]:.2f} cores, "
                    f"librdkafka threads {rdk_share[-1] or 0:.3f} of the own threads' CPU, "
                    f"{errors[-1]} errors; {marks['c']:.2f} CPU s before the first poll "
                    f"saw {n_first} records")
            self.results[f"clean{workers}{variant}"] = dict(rate=rates, per_core=per_core, mbs=mbs,
                                                   cores=ccores, broker=bcores, errors=errors, busy=busy,
                                                   rdk=rdk_share)

    def stage_parsers(self):
        check_deadline("parsers")
        # The same pages for every parser: every fifth page and two big ones,
        # in the corpus's proportions.
        files = [str(self.corpus / f) for f in self.files if f.startswith("page-")][::5]
        files += [str(self.corpus / f) for f in self.files if f.startswith("big-")][:2]
        log(f"4b. parsers on {len(files)} pages, {PARSE_SECONDS} CPU s each")
        modes = [("libxml2_sax", [self.xml_parse, "--mode", "sax"]),
                 ("libxml2_dom", [self.xml_parse, "--mode", "dom"]),
                 ("libxml2_xpath", [self.xml_parse, "--mode", "xpath"]),
                 ("lxml", [PYTHON, str(HERE / "pyparse.py"), "--mode", "lxml"]),
                 ("lxml_urljoin", [PYTHON, str(HERE / "pyparse.py"), "--mode", "lxml-urljoin"]),
                 ("bs4", [PYTHON, str(HERE / "pyparse.py"), "--mode", "bs4"]),
                 ("bs4_lxml", [PYTHON, str(HERE / "pyparse.py"), "--mode", "bs4-lxml"])]
        extract = str(BENCH_BIN / "extract_bench")
        modes = [("extract", [extract, "--threads", "1"])] + modes
        avg = sum(os.path.getsize(f) for f in files) / len(files)
        self.parse_avg_bytes = avg
        for key, args in modes:
            v = [run_json(args + ["--seconds", str(PARSE_SECONDS)] + files, timeout=300)
                 ["pages_per_s"] for _ in range(RUNS)]
            self.results["parse_" + key] = v
            log(f"   {key}: {spread(v)}")
        # The workers share nothing: the same extraction on 2 threads for
        # the same wall time, pages per wall second against 1 thread's.
        for threads in (1, 2):
            v = [run_json([extract, "--threads", str(threads), "--seconds",
                           str(PARSE_SECONDS)] + files, timeout=300)["wall_pages_per_s"]
                 for _ in range(RUNS)]
            self.results[f"extract_wall{threads}"] = v
            log(f"   extraction on {threads} thread(s), pages per wall s: {spread(v)}")

    # --- 8. sitemap parsing -----------------------------------------------------
    def stage_sitemap(self):
        """The cleaner's sitemap reader alone (tests/bench/sitemap_bench.c):
        a 50,000-URL sitemap written to a file, read back in 64 KiB pieces."""
        check_deadline("sitemap")
        prog = str(BENCH_BIN / "sitemap_bench")
        for key, args in (("sm_ext", []), ("sm_ext_gz", ["--gzip"]),
                          ("sm_bare", ["--pad", "0"]), ("sm_bare_gz", ["--gzip", "--pad", "0"])):
            rates, added, mib = [], [], []
            for _ in range(RUNS):
                r = run_json([prog] + args, timeout=300)
                rates.append(r["urls_per_cpu_second"])
                added.append((r["max_rss_kib"] - r["max_rss_kib_before"]) / 1024)
                mib.append(r["bytes"] / (1024 * 1024))
            self.results[key] = rates
            self.results[key + "_rss"] = added
            self.results[key + "_mib"] = mib
            log(f"   sitemap {key}: {spread(rates)} URLs per CPU s, "
                f"{spread(added)} MiB added")

    # --- 5. politeness --------------------------------------------------------
    def stage_politeness(self):
        check_deadline("politeness")
        per_host = POLITE_RATE * POLITE_SECONDS
        log(f"5. politeness: {POLITE_HOSTS} hosts x {per_host} URLs at --host-rate "
            f"{POLITE_RATE}")
        help_text = subprocess.run([self.fetcher, "--help"], capture_output=True,
                                   text=True).stdout
        if "--host-rate" not in help_text:
            self.notes.append("politeness: not available (the fetcher has no --host-rate)")
            return
        maxes, means = [], []
        for run in range(RUNS):
            t = self.topics(f"p{run}")
            prefix = f"polite{run}-"
            urls = []
            for i in range(per_host):
                for h in range(POLITE_HOSTS):
                    urls.append(f"http://{prefix}{h:02d}.bench.test/"
                                f"{self.files[(i * POLITE_HOSTS + h) % len(self.files)]}")
            offset = self.polite_log.stat().st_size if self.polite_log.exists() else 0
            self.publish_urls(t["urls"], urls)
            proc = Proc(self, "fetcher", self.fetcher_args(
                t, f"{self.id}-p{run}", ["--host-rate", str(POLITE_RATE), "--host-burst", "1"]))
            self.wait_count([t["pages"], t["errors"]], len(urls), [proc],
                            timeout=POLITE_SECONDS * 4 + 60)
            proc.stop()
            self.delete_topics(t.values())
            times = {}
            with open(self.polite_log) as f:
                f.seek(offset)
                for line in f:
                    parts = line.split()
                    if len(parts) >= 2 and parts[1].startswith(prefix):
                        times.setdefault(parts[1], []).append(float(parts[0]))
            if len(times) != POLITE_HOSTS:
                raise BenchError(f"politeness: requests seen for {len(times)} hosts")
            run_max, run_means = 0, []
            for ts in times.values():
                ts.sort()
                j = 0
                for i in range(len(ts)):       # the most requests in any [t, t+1 s)
                    while ts[i] - ts[j] >= 1.0:
                        j += 1
                    run_max = max(run_max, i - j + 1)
                if len(ts) > 1:
                    run_means.append((len(ts) - 1) / (ts[-1] - ts[0]))
            maxes.append(run_max)
            means.append(max(run_means))
            log(f"   run {run + 1}: max {run_max} requests in a 1-s window, "
                f"highest mean rate {means[-1]:.2f}/s")
        self.results.update(polite_max=maxes, polite_mean=means)

    # --- 6. end-to-end latency ---------------------------------------------------
    def stage_latency(self):
        check_deadline("latency")
        log(f"6. end to end: {LAT_RATE} URLs/s for {LAT_SECONDS} s, fetcher + cleaner x2")
        t = self.topics("l")
        fetch = Proc(self, "fetcher", self.fetcher_args(t, f"{self.id}-lf", self.FAST))
        clean = Proc(self, "cleaner", [self.cleaner, "--brokers", self.brokers,
                                       "--group", f"{self.id}-lc", "--urls-topic", t["urls"],
                                       "--pages-topic", t["pages"], "--records-topic", t["records"],
                                       "--errors-topic", t["errors"], "--workers", "2",
                                       "--log-level", "warn"])
        prod = Producer({"bootstrap.servers": self.brokers, "partitioner": "murmur2_random",
                         "linger.ms": 0, "enable.idempotence": True})
        cons = Consumer({"bootstrap.servers": self.brokers, "group.id": self.id + "-lat",
                         "enable.auto.commit": False, "auto.offset.reset": "latest",
                         "fetch.wait.max.ms": 10, "enable.partition.eof": False})
        cons.assign([TopicPartition(t["records"], p, 0) for p in range(4)])
        p50s, p99s, lost = [], [], []
        try:
            # Warm-up: one URL per host, until its record arrives (joins done).
            warm = self.vhost_urls(VHOSTS, query="warm")
            self.exchange(prod, cons, t, warm, rate=None, timeout=120, procs=[fetch, clean])
            for run in range(RUNS):
                urls = self.vhost_urls(LAT_RATE * LAT_SECONDS, query=f"r{run}-")
                lat = self.exchange(prod, cons, t, urls, rate=LAT_RATE,
                                    timeout=LAT_SECONDS + 60, procs=[fetch, clean])
                lat.sort()
                p50s.append(lat[len(lat) // 2] * 1000)
                p99s.append(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000)
                lost.append(len(urls) - len(lat))
                log(f"   run {run + 1}: p50 {p50s[-1]:.0f} ms, p99 {p99s[-1]:.0f} ms, "
                    f"{lost[-1]} without a record")
        finally:
            cons.close()
            fetch.stop()
            clean.stop()
            self.delete_topics(t.values())
        self.results.update(lat_p50=p50s, lat_p99=p99s, lat_lost=lost)

    def exchange(self, prod, cons, t, urls, rate, timeout, procs):
        """Publishes `urls` (at `rate` per second, or at once) and reads
        records until each has one; returns the latencies (seconds) from
        produce to the record's arrival at our consumer."""
        sent = {}
        lat = []
        start = time.monotonic()
        deadline = start + timeout
        i = 0
        while len(lat) < len(urls):
            now = time.monotonic()
            while i < len(urls) and (rate is None or now >= start + i / rate):
                u = urls[i]
                sent[u] = time.monotonic()
                prod.produce(t["urls"], value=u.encode(), key=u.split("/", 3)[2].encode())
                i += 1
            prod.poll(0)
            m = cons.poll(0.005)
            if m is not None and not m.error():
                key = (m.key() or b"").decode("utf-8", "replace")
                t0 = sent.pop(key, None)
                if t0 is None:
                    try:
                        t0 = sent.pop(json.loads(m.value()).get("url"), None)
                    except ValueError:
                        t0 = None
                if t0 is not None:
                    lat.append(time.monotonic() - t0)
            if now > deadline:
                break
            if int(now * 4) != int((now - 0.005) * 4):
                for p in procs:
                    p.check()
        prod.flush(10)
        return lat

    # --- 7. memory at scale -------------------------------------------------------
    @staticmethod
    def proc_status_kb(pid):
        """VmRSS and VmHWM of `pid` in kB ({} if gone)."""
        out = {}
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(("VmRSS:", "VmHWM:")):
                        out[line.split(":")[0]] = int(line.split()[1])
        except OSError:
            pass
        return out

    @staticmethod
    def scrape_metrics(port):
        """The unlabelled samples of a Prometheus text page ({} on failure)."""
        out = {}
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                text = r.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return out
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2 and not line.startswith("#") and "{" not in parts[0]:
                try:
                    out[parts[0]] = float(parts[1])
                except ValueError:
                    pass
        return out

    def stage_memory(self):
        check_deadline("memory")
        log(f"7. fetcher memory at scale: {MEM_URLS} URLs over {MEM_HOSTS} hosts "
            f"({MEM_PER_HOST} each), --host-idle-timeout {MEM_IDLE}")
        help_text = subprocess.run([self.fetcher, "--help"], capture_output=True,
                                   text=True).stdout
        if "--host-idle-timeout" not in help_text or "--metrics-addr" not in help_text:
            self.notes.append("memory: not available (the fetcher has no "
                              "--host-idle-timeout or --metrics-addr)")
            return
        cfg = subprocess.run([self.fetcher, "--print-config"], capture_output=True,
                             text=True, env=clean_env()).stdout
        defaults = {}
        for opt in ("max-queued", "max-hosts", "seen-max", "max-host-queued"):
            m = re.search(rf"^\s*{opt}\s*[=:]?\s*(\d+)", cfg, re.M)
            defaults[opt] = int(m.group(1)) if m else None
        self.mem_defaults = defaults
        keep = {"retention.ms": str(6 * 3600 * 1000), "retention.bytes": "-1"}
        p = f"{self.id}.m"
        t = {"urls": p + ".urls", "delayed": p + ".urls.delayed", "pages": p + ".pages",
             "records": p + ".records", "errors": p + ".errors"}
        self.create_topics(list(t.values()), config={n: keep for n in t.values()})
        try:
            # Each host's URLs one after the other, as a site's seed list
            # would come: hosts come, are served and go idle, so eviction
            # shows within the run.
            urls = [f"http://h{i // MEM_PER_HOST:05d}.bench.test/p{i % MEM_PER_HOST}"
                    for i in range(MEM_URLS)]
            t0 = time.monotonic()
            self.publish_urls(t["urls"], urls, conf={
                "linger.ms": 100, "batch.size": 1000000, "compression.type": "lz4",
                "queue.buffering.max.messages": 1000000})
            del urls
            pub_s = time.monotonic() - t0
            log(f"   published {MEM_URLS} URL messages in {pub_s:.1f} s "
                f"({MEM_URLS / pub_s:,.0f}/s)")
            self.results["mem_publish_rate"] = [MEM_URLS / pub_s]
            main = self._memory_run(t, "m", MEM_URLS, [], MEM_TIMEOUT, tail=MEM_IDLE + 3)
            self._memory_record(main)
            self._memory_per_url(t, defaults.get("max-queued"))
        finally:
            self.delete_topics(t.values())

    def _memory_per_url(self, t, maxq):
        """Memory per URL held: the same first MEM_PAIR_URLS URLs run twice
        more, at the default --max-queued and at 10 times it; the difference
        in peak resident memory over the difference in URLs held at peak."""
        if not maxq:
            return
        n = min(MEM_URLS, MEM_PAIR_URLS)
        runs = []
        for q in (maxq, maxq * 10):
            check_deadline("memory per URL")
            extra = self.topics_for(t, f"q{q}")
            r = self._memory_run(extra, f"q{q}", n, ["--max-queued", str(q)] + MEM_PAIR_X,
                                 MEM_TIMEOUT / 2, tail=0, urls_topic=t["urls"])
            self.delete_topics([extra["pages"], extra["errors"], extra["delayed"]])
            runs.append(r)
            log(f"   --max-queued {q}: peak RSS {r['hwm'] / 1024:.1f} MB, "
                f"{r['queued_peak']:.0f} URLs held at peak, hosts peak {r['hosts_peak']:.0f}")
        lo, hi = runs
        dq = (hi["queued_peak"] or 0) - (lo["queued_peak"] or 0)
        if dq < maxq or not lo["hwm"] or not hi["hwm"] or hi["done"] < n or lo["done"] < n:
            self.notes.append("memory per URL held: not derived (the --max-queued "
                              f"{maxq * 10} run did not hold markedly more URLs, or a run "
                              "did not finish)")
            return
        per = (hi["hwm"] - lo["hwm"]) * 1024 / dq
        self.results["mem_per_url"] = [per]
        self.mem_pair = (n, maxq, lo, hi)
        self.mem_per_url_how = (
            f"(VmHWM {hi['hwm'] / 1024:.0f} − {lo['hwm'] / 1024:.0f} MB) / "
            f"({hi['queued_peak']:,.0f} − {lo['queued_peak']:,.0f} URLs held at peak), "
            f"`--max-queued` {maxq * 10:,} vs {maxq:,} on the first {n:,} URLs, consumer "
            f"prefetch cut in both ({' '.join(MEM_PAIR_X[1::2])}); includes "
            f"their hosts' state (hosts at peak {hi['hosts_peak']:,.0f} vs "
            f"{lo['hosts_peak']:,.0f})")
        log(f"   memory per URL held: {per:.0f} bytes")

    def topics_for(self, t, tag):
        """Fresh pages/errors/delay topics for another run on t's URL topic."""
        keep = {"retention.ms": str(6 * 3600 * 1000), "retention.bytes": "-1"}
        x = {"urls": t["urls"], "pages": f"{t['pages']}.{tag}",
             "errors": f"{t['errors']}.{tag}", "delayed": f"{t['delayed']}.{tag}"}
        names = [x["pages"], x["errors"], x["delayed"]]
        self.create_topics(names, config={n: keep for n in names})
        return x

    def _memory_run(self, t, tag, n, extra, timeout, tail, urls_topic=None):
        """One fetcher over the first `n` URLs of t["urls"] (all of them when
        n is the topic's size; else stopped once n outcomes are out), with
        VmRSS/VmHWM and the gauges sampled every second; `tail` seconds of
        idling after the last outcome. Returns what it saw."""
        mport = free_port()
        args = [self.fetcher, "--brokers", self.brokers, "--group", f"{self.id}-{tag}",
                "--urls-topic", urls_topic or t["urls"], "--pages-topic", t["pages"],
                "--errors-topic", t["errors"], "--delay-topic", t["delayed"],
                "--delay-tiers", "",  # no tier topics: waits here are short
                "--state-topic", "",  # throughput and memory without crawl state
                "--connect-to", f"::127.0.0.1:{self.tiny_port}",
                "--max-inflight", str(CONC),
                "--host-rate", "100000", "--host-burst", "100000", "--host-concurrency", "64",
                "--host-idle-timeout", str(MEM_IDLE),
                "--metrics-addr", f"127.0.0.1:{mport}", "--log-level", "warn"] + extra
        proc = Proc(self, f"fetcher-{tag}", args)
        start = time.monotonic()
        deadline = start + timeout
        samples = []       # (t, rss kB, hwm kB, metrics, outcomes)
        # Start-up: resident memory once the metrics endpoint answers (the
        # configuration read, clients created, the group not yet joined).
        startup_rss = None
        while time.monotonic() < start + 10:
            proc.check()
            if self.scrape_metrics(mport):
                startup_rss = self.proc_status_kb(proc.pid).get("VmRSS")
                break
            time.sleep(0.02)
        done = 0
        t_done = t_first = None
        final_st, final_mt = {}, {}
        try:
            while True:
                now = time.monotonic()
                st = self.proc_status_kb(proc.pid)
                mt = self.scrape_metrics(mport)
                done = self.count(t["pages"]) + self.count(t["errors"])
                if done and t_first is None:
                    t_first = now
                samples.append((now - start, st.get("VmRSS"), st.get("VmHWM"), mt, done))
                if t_done is None and done >= n:
                    t_done = now
                    if tail:
                        log(f"   all {n} outcomes after {now - start:.1f} s; "
                            f"idling {tail} s for eviction")
                if t_done is not None and now - t_done >= tail:
                    break
                if now > deadline:
                    msg = (f"memory ({tag}): deadline ({timeout:.0f} s) reached with {done} of "
                           f"{n} URLs done; figures are for the part done")
                    log("   " + msg)
                    self.notes.append(msg)
                    break
                proc.check()
                if tail and len(samples) % 15 == 0:
                    log(f"   {now - start:5.0f} s: {done} done, RSS "
                        f"{st.get('VmRSS', 0) / 1024:.0f} MB, hosts "
                        f"{mt.get('kcrawl_fetcher_hosts', -1):.0f}, held "
                        f"{mt.get('kcrawl_fetcher_queued_urls', -1):.0f}")
                time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))
            final_st = self.proc_status_kb(proc.pid)
            final_mt = self.scrape_metrics(mport)
        finally:
            proc.stop()
        (self.dir / f"memory-samples-{tag}.json").write_text(json.dumps(samples))

        def peak(name):
            v = [x[3][name] for x in samples if name in x[3]]
            return max(v) if v else None
        hwm = max([x[2] for x in samples if x[2]] + [final_st.get("VmHWM") or 0]) or None
        end = t_done if t_done is not None else time.monotonic()
        return dict(n=n, done=done, hwm=hwm, startup_rss=startup_rss,
                    end_rss=final_st.get("VmRSS"), hosts_peak=peak("kcrawl_fetcher_hosts"),
                    hosts_end=final_mt.get("kcrawl_fetcher_hosts"),
                    active_peak=peak("kcrawl_fetcher_hosts_active"),
                    queued_peak=peak("kcrawl_fetcher_queued_urls"),
                    seen_end=final_mt.get("kcrawl_fetcher_seen_urls"),
                    parked=final_mt.get("kcrawl_fetcher_parked_total"),
                    errors=self.count(t["errors"]),
                    rate=done / (end - start),
                    rate_ff=done / (end - t_first) if t_first and end > t_first else None,
                    secs=end - start)

    def _memory_record(self, r):
        R = self.results

        def one(v, scale=1.0):
            return [v / scale] if v is not None else None
        R["mem_urls_done"] = [r["done"]]
        R["mem_peak_rss"] = one(r["hwm"], 1024)
        R["mem_startup_rss"] = one(r["startup_rss"], 1024)
        R["mem_end_rss"] = one(r["end_rss"], 1024)
        R["mem_hosts_peak"] = one(r["hosts_peak"])
        R["mem_hosts_end"] = one(r["hosts_end"])
        R["mem_active_peak"] = one(r["active_peak"])
        R["mem_queued_peak"] = one(r["queued_peak"])
        R["mem_seen_end"] = one(r["seen_end"])
        R["mem_rate"] = one(r["rate"])
        R["mem_errors"] = [r["errors"]]
        R["mem_parked"] = one(r["parked"])
        R["mem_secs"] = [r["secs"]]
        log(f"   peak RSS {(r['hwm'] or 0) / 1024:.0f} MB, end RSS "
            f"{(r['end_rss'] or 0) / 1024:.0f} MB, start-up {(r['startup_rss'] or 0) / 1024:.0f}"
            f" MB, hosts peak {r['hosts_peak']}, after {r['hosts_end']}, held peak "
            f"{r['queued_peak']}, {r['rate']:.0f} URLs/s in {r['secs']:.0f} s, "
            f"{r['errors']} errors")

    # --- 8. crawl state -------------------------------------------------------
    def stage_state(self):
        check_deadline("crawl state")
        n, hosts = STATE_URLS, STATE_HOSTS
        log(f"8. crawl state: {n:,} URLs of {hosts:,} hosts, in process and "
            "loaded from a state topic")
        tb = run_json([self.state_bench, "table", "--urls", str(n), "--hosts", str(hosts)],
                      timeout=300)
        if tb["count"] != n or tb["evicted"]:
            raise BenchError(f"state table holds {tb['count']} of {n} URLs")
        self.results.update(state_table_bpu=[tb["bytes_per_url"]],
                            state_table_mb=[(tb["rss_after_kb"] - tb["rss_before_kb"]) / 1024],
                            state_puts=[tb["puts_per_s"]],
                            state_decodes=[tb["decodes_per_s"]],
                            state_json=[tb["json_bytes_avg"]])
        log(f"   table: {tb['bytes_per_url']:.0f} bytes/URL, RSS +"
            f"{(tb['rss_after_kb'] - tb['rss_before_kb']) / 1024:.0f} MB, "
            f"{tb['puts_per_s']:,.0f} puts/s, {tb['decodes_per_s']:,.0f} decodes/s "
            f"({tb['json_bytes_avg']:.0f}-byte messages)")
        t = self.topics("s")
        state = f"{self.id}.s.state"
        self.create_topics([state], config={state: {"cleanup.policy": "compact"}})
        try:
            pr = run_json([self.state_bench, "produce", "--urls", str(n), "--hosts", str(hosts),
                           "--brokers", self.brokers, "--topic", state], timeout=600)
            if pr["messages"] != n or self.count(state) != n:
                raise BenchError(f"only {pr['messages']} of {n} state messages produced")
            log(f"   produced {n:,} state messages ({pr['bytes'] / 1e6:.0f} MB) in "
                f"{pr['seconds']:.1f} s")
            self.results["state_produce"] = [n / pr["seconds"]]
            loads = [self._state_load(t, state, run) for run in range(RUNS)]
        finally:
            self.delete_topics(list(t.values()) + [state])
        for k in ("secs", "rate", "rss", "hwm", "growth", "startup", "wall", "cpu", "runq"):
            self.results[f"state_load_{k}"] = [x[k] for x in loads]
        self.results["state_load_own"] = [x["secs"] - x["runq"] for x in loads
                                          if x["runq"] is not None]

    def _state_load(self, t, state, run):
        """One fetcher started on an empty URL topic with `state` as its
        state topic: the time its assignment took to load the state (its log
        line and gauge) and its memory once loaded."""
        mport = free_port()
        args = [self.fetcher, "--brokers", self.brokers, "--group", f"{self.id}-s{run}",
                "--urls-topic", t["urls"], "--pages-topic", t["pages"],
                "--errors-topic", t["errors"], "--delay-topic", t["delayed"],
                "--delay-tiers", "", "--state-topic", state,
                "--state-max", str(STATE_URLS), "--state-load-timeout", str(int(STATE_TIMEOUT)),
                "--metrics-addr", f"127.0.0.1:{mport}", "--log-level", "info"]
        proc = Proc(self, f"fetcher-s{run}", args)
        start = time.monotonic()
        startup = None
        loaded = None
        cpu = runq = None
        try:
            while time.monotonic() < start + STATE_TIMEOUT + 30:
                proc.check()
                if startup is None and self.scrape_metrics(mport):
                    startup = self.proc_status_kb(proc.pid).get("VmRSS")
                for line in proc.log_path.read_text(errors="replace").splitlines():
                    if '"crawl state loaded"' in line:
                        loaded = json.loads(line)
                        break
                if loaded:
                    # The load runs on the main thread (the rebalance
                    # callback): its CPU, and how long it waited for one.
                    cpu = cpu_seconds(proc.pid)
                    runq = self.runqueue_wait(proc.pid)
                    break
                time.sleep(0.05)
            wall = time.monotonic() - start
            if not loaded:
                raise BenchError(f"crawl state not loaded after {wall:.0f} s:\n{proc.tail()}")
            time.sleep(2)     # settled: the URL consumer joined, nothing to fetch
            st = self.proc_status_kb(proc.pid)
            mt = self.scrape_metrics(mport)
        finally:
            proc.stop()
        if loaded.get("urls") != STATE_URLS or loaded.get("messages") != STATE_URLS:
            raise BenchError(f"crawl state loaded {loaded.get('urls')} URLs of "
                             f"{STATE_URLS} ({loaded.get('messages')} messages)")
        secs = loaded["ms"] / 1000
        gauge = mt.get("kcrawl_fetcher_state_load_seconds")
        if gauge is None or abs(gauge - secs) > 0.01:
            raise BenchError(f"kcrawl_fetcher_state_load_seconds {gauge} is not the logged "
                             f"{secs} s")
        r = dict(secs=secs, rate=STATE_URLS / max(secs, 1e-3), rss=st["VmRSS"] / 1024,
                 hwm=st["VmHWM"] / 1024, startup=(startup or 0) / 1024,
                 growth=(st["VmRSS"] - (startup or 0)) / 1024, wall=wall, cpu=cpu,
                 runq=runq)
        log(f"   load {run + 1}: {STATE_URLS:,} URLs in {secs:.1f} s "
            f"({r['rate']:,.0f}/s; {wall:.1f} s from start; fetcher CPU {cpu or 0:.1f} s, "
            f"main thread waited {runq or 0:.1f} s for a core), RSS {r['rss']:.0f} MB "
            f"(start-up {r['startup']:.0f}), VmHWM {r['hwm']:.0f} MB")
        return r

    @staticmethod
    def runqueue_wait(pid):
        """Seconds the main thread of `pid` spent runnable but waiting for a
        core (/proc/PID/task/PID/schedstat), None if not available."""
        try:
            with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
                return int(f.read().split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    # --- profiles -------------------------------------------------------------
    def perf_start(self, pid, name):
        if not shutil.which("perf"):
            self.profiles[name] = "perf not installed"
            return None
        out = self.dir / f"perf-{name}.data"
        p = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(pid), "-o", str(out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return p, out

    def perf_stop(self, handle, name):
        if handle is None:
            return
        p, out = handle
        p.send_signal(signal.SIGINT)
        try:
            _, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            self.profiles[name] = "perf did not stop"
            return
        rows = []
        for sort, limit, top in (("comm", "2", 8), ("dso", "2", 8), ("dso,sym", "1.5", 14)):
            r = subprocess.run(["perf", "report", "-i", str(out), "--no-children", "--stdio",
                                "--sort", sort, "-g", "none", "--percent-limit", limit],
                               capture_output=True, text=True, timeout=120)
            lines = [re.sub(r"(\s+-)+\s*$", "", ln.strip()) for ln in r.stdout.splitlines()
                     if ln.strip() and not ln.startswith("#") and "%" in ln]
            if lines:
                label = {"comm": "thread", "dso": "library",
                         "dso,sym": "library and symbol"}[sort]
                rows += [f"by {label}:"]
                rows += ["  " + ln for ln in lines[:top]]
        self.profiles[name] = rows if rows else (f"perf not supported: {err.decode()[-300:]}"
                                                 if err else "perf: no samples")

    # --- the report -------------------------------------------------------------
    def versions(self):
        def cmd(args, pattern=None):
            try:
                r = subprocess.run(args, capture_output=True, text=True, timeout=30)
                s = (r.stdout + r.stderr).strip()
            except (OSError, subprocess.TimeoutExpired):
                return "?"
            if pattern:
                m = re.search(pattern, s)
                return m.group(1) if m else "?"
            return s.splitlines()[0] if s else "?"

        def pymod(mod):
            return cmd([PYTHON, "-c", f"import {mod}; print({mod}.__version__)"])

        def pkgc(p):
            return cmd(["pkg-config", "--modversion", p])

        commit = cmd(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
        dirty = cmd(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
        return {
            "kcrawl": cmd([self.fetcher, "--version"]) + f" (commit {commit}"
                      + (", with uncommitted changes" if dirty not in ("", "?") else "") + ")",
            "libcurl": pkgc("libcurl"), "librdkafka": pkgc("rdkafka"),
            "libxml2": pkgc("libxml-2.0"), "Apache Kafka": "4.1.1 (KRaft, one node, tools/kafka.sh)",
            "Java": cmd(["java", "-version"], r'version "([^"]+)"'),
            "nginx": cmd(["nginx", "-v"], r"nginx/(\S+)"),
            "wrk": cmd(["wrk", "--version"], r"wrk (\S+)"),
            "Python": cmd([PYTHON, "--version"], r"Python (\S+)"),
            "lxml": pymod("lxml"), "BeautifulSoup": pymod("bs4"),
            "Scrapy": pymod("scrapy") + " (Debian python3-scrapy)",
            "Twisted": pymod("twisted"),
        }

    def machine(self):
        model = "?"
        try:
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        mem = "?"
        try:
            for line in open("/proc/meminfo"):
                if line.startswith("MemTotal"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
        except OSError:
            pass
        deb = "?"
        try:
            deb = "Debian " + open("/etc/debian_version").read().strip()
        except OSError:
            pass
        return f"{os.cpu_count()} cores ({model}), {mem} RAM, {deb}, Linux {platform.release()}"

    def report(self):
        R = self.results

        def fmt(v, unit="", digits=0):
            s = spread(v) if isinstance(v, list) else None
            if s is None:
                return "n/a", ""
            med, lo, hi = s
            f = f"{{:,.{digits}f}}"
            sp = "" if len(v) == 1 else f"{f.format(lo)}–{f.format(hi)}"
            return f.format(med) + (f" {unit}" if unit else ""), sp

        def med(key, sub=None):
            v = R.get(key)
            if sub is not None and isinstance(v, dict):
                v = v.get(sub)
            s = spread(v) if isinstance(v, list) else None
            return s[0] if s else None

        def ratio(a, b, digits=2):
            if a is None or b is None or b == 0:
                return "n/a"
            return f"{a / b:.{digits}f}×"

        rows = []

        def row(num, what, key, unit="", digits=0, rat="", target="", sub=None):
            v = R.get(key)
            if sub is not None:
                v = v.get(sub) if isinstance(v, dict) else None
            val, sp = fmt(v, unit, digits)
            rows.append(f"| {num} | {what} | {val} | {sp} | {rat} | {target} |")

        bare_v, bare_d = med("bare_vhost"), med("bare_direct")
        fr = med("fetch_rate")
        row("1", f"wrk, keep-alive, {CONC} connections (req/s)", "wrk",
            rat=ratio(med("wrk"), bare_d) + " of bare loop")
        row("1", f"bare libcurl multi loop, 1 host, {CONC} in flight (pages/s)", "bare_direct")
        row("1", f"bare libcurl multi loop, the fetcher's {VHOSTS} virtual hosts (pages/s)",
            "bare_vhost", rat=ratio(bare_v, bare_d) + " of 1 host")
        row("1", "Kafka produce ceiling: librdkafka producer loop, the fetcher's settings, "
            "corpus pages with page headers (pages/s)", "produce",
            rat=ratio(med("produce"), bare_v) + " of bare loop")
        row("2", f"fetcher, Kafka → HTTP → Kafka, {VHOSTS} virtual hosts (pages/s)", "fetch_rate",
            rat=f"{ratio(fr, bare_v)} of bare loop (same URLs); {ratio(fr, bare_d)} of 1-host loop; "
                f"{ratio(fr, med('produce'))} of produce ceiling",
            target="≥ 0.5× bare loop")
        row("2", "fetcher CPU per 1,000 pages (s)", "fetch_cpu", digits=3,
            rat=(f"bare loop {self.bare_cpu_per_k:.3f} s + produce loop "
                 f"{self.produce_cpu_per_k:.3f} s") if hasattr(self, "produce_cpu_per_k") else "")
        row("2", "fetcher peak resident memory (MB)", "fetch_rss", digits=1)
        row("2", "broker CPU during the fetcher run (cores)", "fetch_broker", digits=2)
        row("2", f"whole machine busy during the fetcher run (cores of {os.cpu_count()})",
            "fetch_busy", digits=2, rat="fetcher + broker + nginx + other work")
        se, sf = med("scrapy_extract"), med("scrapy_fetch")
        row("3", "Scrapy, fetch + title/links (pages/s)", "scrapy_extract",
            rat=f"fetcher is {ratio(fr, se, 1)} Scrapy")
        row("3", "Scrapy, fetch only (pages/s)", "scrapy_fetch",
            rat=f"fetcher is {ratio(fr, sf, 1)} Scrapy")
        lx, lxu = med("parse_lxml"), med("parse_lxml_urljoin")
        c1, c2 = med("clean1", "rate"), med("clean2", "rate")
        pc1 = med("clean1", "per_core")
        ex = med("parse_extract")
        row("4", "cleaner's extraction alone, in memory, 1 thread (pages per CPU s)",
            "parse_extract", rat=f"{ratio(ex, lx)} lxml; {ratio(ex, med('parse_libxml2_sax'))} "
            f"of libxml2's bare SAX parse", target="≥ 1× lxml per core (aim: 2×)")
        w1, w2 = med("extract_wall1"), med("extract_wall2")
        row("4", "cleaner's extraction alone, 1 thread (pages per wall s)", "extract_wall1")
        row("4", "cleaner's extraction alone, 2 threads as 2 workers (pages per wall s)",
            "extract_wall2", rat=f"scaling {ratio(w2, w1)} of 1 thread",
            target="≥ 1.8× (no broker on these cores)")
        for v, label in (("", "defaults (records uncompressed)"),
                         ("_lz4", "--compression lz4")):
            c1, c2 = med("clean1" + v, "rate"), med("clean2" + v, "rate")
            pc1 = med("clean1" + v, "per_core")
            row("4", f"cleaner --workers 1, {label}, Kafka → records (pages/s)", "clean1" + v,
                sub="rate")
            row("4", f"cleaner --workers 1, {label}, pages per CPU second (per core)",
                "clean1" + v, sub="per_core",
                rat=f"{ratio(pc1, lx)} lxml; {ratio(pc1, med('parse_libxml2_dom'))} libxml2 DOM",
                target="≥ 1× lxml per core" if not v else "")
            if not v:
                row("4", "cleaner --workers 1, MB/s per core", "clean1", sub="mbs", digits=1)
            row("4", f"cleaner --workers 1, {label}, librdkafka threads' CPU per CPU of "
                "the cleaner's own threads", "clean1" + v, sub="rdk", digits=3,
                rat="fetch, page decompression, produce batching (and compression)")
            row("4", f"cleaner --workers 1, {label}, its CPU (cores)", "clean1" + v, sub="cores",
                digits=2)
            row("4", f"broker CPU during --workers 1, {label} (cores)", "clean1" + v,
                sub="broker", digits=2)
            row("4", f"whole machine busy during --workers 1, {label} (cores of "
                f"{os.cpu_count()})", "clean1" + v, sub="busy", digits=2,
                rat="cleaner + broker + other work")
            row("4", f"cleaner --workers 2, {label}, Kafka → records (pages/s)", "clean2" + v,
                sub="rate", rat=f"scaling {ratio(c2, c1)} of --workers 1",
                target="≥ 1.8× with the broker elsewhere" if not v else "")
            row("4", f"cleaner --workers 2, {label}, pages per CPU second (per core)",
                "clean2" + v, sub="per_core", rat=f"{ratio(med('clean2' + v, 'per_core'), lx)} lxml")
            row("4", f"cleaner --workers 2, {label}, its CPU (cores)", "clean2" + v, sub="cores",
                digits=2, rat=f"{ratio(med('clean2' + v, 'cores'), med('clean1' + v, 'cores'))} "
                "the CPU of --workers 1")
            row("4", f"broker CPU during --workers 2, {label} (cores)", "clean2" + v,
                sub="broker", digits=2)
            row("4", f"whole machine busy during --workers 2, {label} (cores of "
                f"{os.cpu_count()})", "clean2" + v, sub="busy", digits=2,
                rat="cleaner + broker + other work")
        row("4", "libxml2 SAX parse, no tree (pages per CPU s)", "parse_libxml2_sax",
            rat=f"{ratio(med('parse_libxml2_sax'), lx)} lxml")
        row("4", "libxml2 DOM parse (pages per CPU s)", "parse_libxml2_dom",
            rat=f"{ratio(med('parse_libxml2_dom'), lx)} lxml")
        row("4", "libxml2 DOM + XPath title/links (pages per CPU s)", "parse_libxml2_xpath",
            rat=f"{ratio(med('parse_libxml2_xpath'), lx)} lxml")
        row("4", "lxml parse + links (pages per CPU s)", "parse_lxml", rat="1.00×")
        row("4", "lxml parse + links resolved with urljoin (pages per CPU s)",
            "parse_lxml_urljoin", rat=f"{ratio(lxu, lx)} lxml")
        row("4", "BeautifulSoup (html.parser), comparable extraction (pages per CPU s)", "parse_bs4",
            rat=f"{ratio(med('parse_bs4'), lx)} lxml; cleaner is "
                f"{ratio(med('clean1', 'per_core'), med('parse_bs4'), 1)}")
        row("4", "BeautifulSoup (lxml parser), comparable extraction (pages per CPU s)",
            "parse_bs4_lxml", rat=f"{ratio(med('parse_bs4_lxml'), lx)} lxml")
        if R.get("polite_max"):
            row("5", f"politeness: most requests to one host in any 1-s window "
                f"({POLITE_HOSTS} hosts, --host-rate {POLITE_RATE}, --host-burst 1, "
                f"{POLITE_SECONDS} s)", "polite_max",
                rat=f"{ratio(med('polite_max'), POLITE_RATE)} of the rate",
                target=f"≤ {POLITE_RATE} + burst 1")
            row("5", "politeness: highest mean request rate of one host (req/s)", "polite_mean",
                digits=2, rat=f"{ratio(med('polite_mean'), POLITE_RATE)} of the limit",
                target=f"≤ {POLITE_RATE}")
        else:
            rows.append(f"| 5 | politeness | not available | | | |")
        row("6", f"end to end URL → record, p50 at {LAT_RATE} URLs/s (ms)", "lat_p50")
        row("6", f"end to end URL → record, p99 at {LAT_RATE} URLs/s (ms)", "lat_p99")
        if R.get("mem_urls_done"):
            d = getattr(self, "mem_defaults", {})

            def dflt(k):
                return f"{d[k]:,}" if d.get(k) is not None else "?"
            done = R["mem_urls_done"][0]
            ran = (f"{done:,} of {MEM_URLS:,}" if done < MEM_URLS else f"{MEM_URLS:,}")
            rows.append(f"| 7 | fetcher memory at scale: URL messages run ({MEM_HOSTS:,} hosts, "
                        f"{MEM_PER_HOST} URLs each, tiny page; BENCH_MEM_URLS) | {ran} | | "
                        f"{R['mem_errors'][0]} errors | |")
            rows.append(f"| 7 | settings: `--max-queued` / `--max-hosts` / `--seen-max` "
                        f"(fetcher defaults), `--host-idle-timeout` | {dflt('max-queued')} / "
                        f"{dflt('max-hosts')} / {dflt('seen-max')}, {MEM_IDLE} s | | | |")
            row("7", "fetcher peak resident memory, VmHWM (MB)", "mem_peak_rss", digits=1,
                rat=f"{ratio(med('mem_peak_rss'), med('mem_startup_rss'), 1)} start-up RSS",
                target="bounded: not growing with the backlog")
            row("7", "fetcher resident memory at the end, VmRSS after the idle timeout (MB)",
                "mem_end_rss", digits=1)
            row("7", "fetcher resident memory at start-up, before the group join (MB)",
                "mem_startup_rss", digits=1)
            row("7", "URLs held in memory at peak (`kcrawl_fetcher_queued_urls`)",
                "mem_queued_peak", target=f"≤ --max-queued {dflt('max-queued')}")
            row("7", "hosts known at peak (`kcrawl_fetcher_hosts`)", "mem_hosts_peak",
                rat=f"of {MEM_HOSTS:,} hosts seen", target=f"≤ --max-hosts {dflt('max-hosts')}")
            row("7", f"hosts known {MEM_IDLE + 3} s after the last URL (idle ones evicted)",
                "mem_hosts_end", target="0")
            row("7", "fetched URLs remembered at the end (`kcrawl_fetcher_seen_urls`)",
                "mem_seen_end", target=f"≤ --seen-max {dflt('seen-max')}")
            row("7", "URLs/s overall, fetcher start to last outcome (robots.txt included)",
                "mem_rate", rat=f"{ratio(med('mem_rate'), fr)} of figure 2's pages/s (30 KB pages)")
            if R.get("mem_per_url"):
                row("7", "memory per URL held (bytes, see below)", "mem_per_url",
                    rat=getattr(self, "mem_per_url_how", ""))

        for key, label in (("sm_ext", "50,000 URLs with ~900 B of image extension each"),
                           ("sm_ext_gz", "the same, gzip"),
                           ("sm_bare", "50,000 bare URLs with lastmod"),
                           ("sm_bare_gz", "the same, gzip")):
            if R.get(key):
                size = med(key + "_mib")
                row("8", f"sitemap reader, {label} ({size:.1f} MiB inflated), "
                    "URLs per CPU second", key, target="≥ 50,000 (issue #13)")
                row("8", f"sitemap reader, {label}: peak resident memory added (MiB)",
                    key + "_rss", digits=1, target="bounded: not the file's size")
        if R.get("state_table_bpu"):
            sn = f"{STATE_URLS:,}"
            row("9", f"crawl state in process: bytes per URL, {sn} URLs of {STATE_HOSTS:,} "
                "hosts in the table (`--state-max` " + sn + "; VmRSS growth / URLs)",
                "state_table_bpu", rat="validators, digest, input, counts; no URL kept")
            row("9", f"crawl state in process: VmRSS growth for {sn} URLs (MB)",
                "state_table_mb", digits=1, target=f"≤ {STATE_MEM_TARGET_MB} MB")
            row("9", "crawl state in process: puts per second", "state_puts")
            row("9", "crawl state: state messages decoded per second (one thread)",
                "state_decodes", rat=f"{med('state_json') or 0:.0f}-byte messages")
            row("9", f"state messages produced per second ({sn}, C producer, lz4)",
                "state_produce")
            row("9", f"fetcher: crawl state load on assignment, {sn} URLs from a 4-partition "
                "state topic (s; `kcrawl_fetcher_state_load_seconds`)", "state_load_secs",
                digits=1, target=f"≤ {STATE_LOAD_TARGET_S} s (aim)")
            row("9", "fetcher: state loaded per second (URLs)", "state_load_rate")
            row("9", "fetcher: CPU used from start to the load's end, all threads (s)",
                "state_load_cpu", digits=1, rat="what the load costs without other work "
                "on the cores")
            row("9", "fetcher: time its main thread (the load) waited for a core (s)",
                "state_load_runq", digits=1, rat="/proc schedstat: the machine's other "
                "work (broker included)")
            row("9", "fetcher: load time less its main thread's wait for a core (s)",
                "state_load_own", digits=1, rat="roughly what the load takes with cores "
                "free for it", target=f"≤ {STATE_LOAD_TARGET_S} s (aim)")
            row("9", "fetcher: from process start to the load's end (s)", "state_load_wall",
                digits=1, rat="start-up and group join included")
            row("9", f"fetcher: VmRSS after loading {sn} URLs (MB)", "state_load_rss",
                digits=1, rat=f"{ratio(med('state_load_rss'), med('state_load_startup'), 1)} "
                "start-up RSS")
            row("9", "fetcher: VmRSS growth from start-up to loaded (MB)", "state_load_growth",
                digits=1, target=f"≤ {STATE_MEM_TARGET_MB} MB")
            row("9", "fetcher: VmHWM after the load (MB)", "state_load_hwm", digits=1,
                rat="librdkafka's prefetch of the state topic included")

        v = self.versions()
        load_end = os.getloadavg()
        out = []
        w = out.append
        w("# Benchmarks\n")
        w("Generated by `make bench` (tests/bench/run.sh) — do not edit by hand; "
          "run it again to refresh.\n")
        w(f"- Date: {self.started.strftime('%Y-%m-%d %H:%M UTC')}"
          f"{' — BENCH_QUICK=1 smoke run' if QUICK else ''}")
        w(f"- Machine: {self.machine()}")
        w(f"- Load average at start {self.load_start[0]:.2f}, at end {load_end[0]:.2f}: "
          "the machine was shared with other work, so absolute figures are noisy; "
          "ratios measured in the same run are what to compare.")
        w("- Versions: " + "; ".join(f"{k} {val}" for k, val in v.items()))
        w(f"- Corpus: {self.corpus_desc}; served by nginx on 127.0.0.1 "
          "(sendfile, keep-alive).")
        w(f"- Settings: concurrency {CONC} everywhere (wrk connections, bare loop and "
          f"fetcher `--max-inflight`, Scrapy CONCURRENT_REQUESTS); {RUNS} run(s) per figure: "
          "the value is the median, the spread is min–max; fetcher runs of "
          f"{FETCH_PAGES} URLs, Scrapy runs of {SCRAPY_PAGES}, cleaner runs of {CLEAN_PAGES} "
          f"pages, parser runs of {PARSE_SECONDS:g} CPU s; figure 7 is one run of "
          f"{MEM_URLS:,} URLs (gauges sampled once a second, so peaks are of those "
          "samples; VmHWM is the kernel's exact peak).\n")
        w("| # | figure | median | spread | ratio | target |")
        w("|---|---|---:|---:|---|---|")
        out.extend(rows)
        w("")
        if self.notes:
            w("Notes from this run:\n")
            for n in self.notes:
                w(f"- {n}")
            w("")
        w("## How each figure is measured\n")
        w(METHOD.format(conc=CONC, vhosts=VHOSTS, prate=POLITE_RATE, phosts=POLITE_HOSTS,
                        lrate=LAT_RATE, murls=MEM_URLS, mper=MEM_PER_HOST, mhosts=MEM_HOSTS,
                        midle=MEM_IDLE, mpair=min(MEM_URLS, MEM_PAIR_URLS),
                        surls=STATE_URLS, shosts=STATE_HOSTS))
        if self.profiles:
            w("## Where the time goes (perf, one run each)\n")
            for name, prof in self.profiles.items():
                w(f"{name} (self time, all threads):\n")
                w("```")
                if isinstance(prof, list):
                    out.extend(prof)
                else:
                    w(prof)
                w("```\n")
        return "\n".join(out) + "\n"


METHOD = """\
1. **Fetch ceiling.** `wrk -t 2 -c {conc}` cycles through every corpus path
   for a few seconds (keep-alive). `tests/bench/curl_loop.c` is a bare libcurl
   multi loop (one thread, `curl_multi_poll`, {conc} transfers in flight,
   connections reused, bodies kept in memory then dropped), built with the
   project's flags; it runs once against `127.0.0.1` directly and once on the
   exact URL list the fetcher gets ({vhosts} virtual hosts through
   `CURLOPT_CONNECT_TO`, as the fetcher's `--connect-to`). The Kafka produce
   ceiling is `tests/bench/produce_loop.c`: one librdkafka producer with the
   fetcher's producer settings (idempotence, lz4, `linger.ms` 5) sending the
   corpus pages with a fetcher's headers to the same broker, as fast as it
   can, timed to the last delivery report — the fetcher's produce path
   without HTTP.
2. **Fetcher.** The URLs are published first (keyed by host, murmur2); then
   `fetcher --max-inflight {conc} --host-rate 100000 --host-burst 100000
   --host-concurrency 64 --robots=false --connect-to ::127.0.0.1:PORT` starts
   with a new group. Pages/s is counted from the first page on the pages topic
   to the last (end offsets polled every 100 ms), so start-up and group join are
   left out; CPU per 1,000 pages is all the CPU the process used (user +
   system, all threads, from /proc, start-up included) over all the pages;
   peak resident memory is VmHWM.
3. **Scrapy** fetches the same pages from `127.0.0.1` with
   CONCURRENT_REQUESTS = CONCURRENT_REQUESTS_PER_DOMAIN = {conc}, no robots,
   no delay, no AutoThrottle, no cookies; with extraction each response yields
   its title and every link resolved (`response.css`, `response.urljoin`).
4. **Cleaner.** The pages are loaded once into a 4-partition pages topic
   (lz4, the fetcher's headers); each run is a new group and a new records
   topic, `cleaner --workers 1` or `2`, counted from the first record to the
   last; first with the defaults (records produced uncompressed), then with
   `--compression lz4`. "Per core" divides every page by all the CPU seconds
   the cleaner process used (all its threads, librdkafka's included; idle,
   it uses none), so it compares with the single-threaded parsers below,
   which run in memory on the same pages (every fifth page and two big
   ones) for a fixed CPU time: `tests/bench/extract_bench.c` (the
   cleaner's own `extract_record()`, the whole record built and freed, no
   Kafka), `tests/bench/xml_parse.c` (libxml2 2.9 HTML parser: SAX with no
   tree, DOM, DOM + XPath for title and links), `tests/bench/pyparse.py`
   (lxml parse + links; the same with every link resolved by `urljoin`;
   BeautifulSoup doing what the cleaner extracts: title, description,
   canonical, lang, headings, links, images, text). "librdkafka threads'
   CPU per CPU of the cleaner's own threads" splits the process's CPU by
   thread name (/proc/PID/task: `rdk:*` against the rest) at the end of
   each run. The broker shares the two cores: its CPU over the same window
   is reported, and so is the whole machine's (/proc/stat), which shows how
   much other work took. The extraction on 2 threads runs
   `extract_bench --threads 2` (two threads, each going through the pages
   as a worker does, sharing nothing but the read-only input) for the same
   wall time as 1 thread: what two workers do when no broker shares their
   cores.

   **Reading the scaling rows.** With one worker, librdkafka's threads
   (fetching, decompressing pages, batching and compressing records) run
   on the second core beside the worker; with two workers on two cores
   that work, and the broker's, come out of the workers' share. So
   `--workers 2` over `--workers 1` is at most 2 / (1 + librdkafka's share)
   with the broker elsewhere, and lower again by the broker's cores when it
   runs here; the CPU rows show where the second core went.
5. **Politeness.** {phosts} hosts, each given enough URLs for the run, and
   `fetcher --host-rate {prate} --host-burst 1` (robots.txt on; its request
   counts). nginx logs each request's time (`$msec`) and host; for every host
   the most requests in any sliding 1-second window and the mean rate from
   its first request to its last. A token bucket of rate r and burst b allows
   at most r + b requests in a 1-s window.
6. **End to end.** Fetcher (as in 2) and `cleaner --workers 2` run
   together; after a warm-up (one URL per host) URLs are published at
   {lrate} per second and each latency runs from the URL's produce call to
   its record's arrival at a consumer of the records topic.
7. **Fetcher memory at scale.** {murls:,} URL messages, {mper} for each of
   {mhosts:,} hosts (`http://h00000.bench.test/p0` ...; each host's URLs one
   after the other, keyed by host, murmur2), are published to a 4-partition
   URL topic (lz4, batched; retention 6 h). nginx answers `/robots.txt` with
   404 (allow all) and every other path with a 38-byte page, so the run is
   about URL and host state, not bodies. One fetcher with its memory
   defaults (`--max-queued`, `--max-hosts`, `--seen-max`, `--max-host-queued`)
   and `--host-idle-timeout {midle}`, robots.txt on, politeness set aside as
   in 2 (`--host-rate 100000 --host-burst 100000 --host-concurrency 64`,
   `--max-inflight {conc}`), `--connect-to ::127.0.0.1:PORT`. Every second
   VmRSS and VmHWM (/proc/PID/status) and the gauges of `--metrics-addr`
   (`kcrawl_fetcher_hosts`, `_hosts_active`, `_queued_urls`,
   `_seen_urls`) are sampled; it stops when every URL has a page or an error,
   or at a deadline (`BENCH_MEM_TIMEOUT`; then the table says how many
   were done), after idling {midle} + 3 s so that idle hosts are evicted.
   Start-up RSS is taken when the metrics endpoint first answers. URLs/s
   runs from the process start (group join and robots.txt fetches
   included) to the last outcome. `BENCH_MEM_URLS` sets the count
   (1,000,000; 100,000 with BENCH_QUICK). **Memory per URL held** is a
   difference, not a division of the total (most of the resident memory is
   librdkafka's buffers and the seen set, not URLs): the first
   {mpair:,} URLs run twice more, at the default `--max-queued` and at ten
   times it, with librdkafka's consumer prefetch cut in both
   (`-X queued.min.messages=1000 -X queued.max.messages.kbytes=4096`);
   (VmHWM of the large run − VmHWM of the default run) / (URLs held at peak
   in the large run − in the default run). It includes the state of the
   extra hosts those URLs bring (one per {mper} URLs) and malloc's overhead;
   one pair of runs, and its VmHWM moves by tens of MB from run to run
   (three runs on this machine gave 1.1, 1.2 and 1.7 KB), so read it as
   about 1–2 KB per URL held, its host's share included.
8. **Sitemap parsing.** `tests/bench/sitemap_bench.c` (the cleaner's own
   `cleaner/sitemap.c`, no Kafka) writes a sitemap of 50,000 URLs — the
   protocol's most — to a temporary file, gzip-compressed or not, and reads
   it back in 64 KiB pieces through `sitemap_feed()`, never whole in
   memory: URLs per CPU second of the process (`CLOCK_PROCESS_CPUTIME_ID`)
   and the peak resident memory added by the read (`ru_maxrss` after −
   before). With ~900 B of image extension per URL the file is 49 MiB, just
   under the protocol's 50 MiB; bare URLs make the per-URL cost show.

9. **Crawl state.** `tests/bench/state_bench.c` makes {surls:,} URLs' states
   of {shosts:,} hosts (10 each) as a crawl leaves them: 200 pages (some 304
   and 404) with the body's SHA-256, 70% with an ETag (nginx's
   `"mtime-length"`, a quoted MD5 or a weak one), 80% with a
   Last-Modified, 5% dead letters with their code, each naming its input
   message. *In process* it puts them all into the fetcher's table
   (`crawlstate_new({surls})`, as `--state-max {surls}`) and reports the
   growth of its own VmRSS over the URLs (the states are made on the fly,
   nothing else is allocated), reads a sample back to check it, and times
   `crawlstate_decode()` alone on the first 200,000 messages (the load's
   per-message work). *Through Kafka* it produces every state's message
   (`crawlstate_encode()`, keyed by URL, in the partition of murmur2 of the
   host key, as the fetcher writes them) to a compacted 4-partition state
   topic; then a fetcher starts with that `--state-topic`, `--state-max
   {surls}` and an empty 4-partition URL topic, joins a new group, and on
   assignment loads the four state partitions. The load time is the
   fetcher's own (its `crawl state loaded` log line, `ms`, which
   `kcrawl_fetcher_state_load_seconds` must match), and the run fails
   unless it loaded every URL. The load runs on the fetcher's main thread
   (the rebalance callback) while librdkafka's threads fetch and
   decompress: the CPU the process used up to the load's end (all threads,
   start-up included) and the time the main thread spent runnable but
   waiting for a core (/proc/PID/task/PID/schedstat) say how much of the
   load time was this machine's other work. VmRSS is read 2 s after the
   load; start-up RSS when the metrics endpoint first answers, before the
   group join.
   VmHWM includes what librdkafka had fetched ahead (the loader's queue is
   capped at 32 MB, and its fetch buffers); the fetcher gives the freed
   buffers back after the load (`malloc_trim`), so VmRSS after it is
   about the table's.
"""


TABLE_ROW = re.compile(r"^\| (\d+) \|")


HEADER_KEYS = ("- Date: ", "- Machine: ", "- Load average", "- Versions: ")
PARTIAL = re.compile(r"^- Figure\(s\) ([\d, ]+) from a later run")


def merge_partial(old, new, only):
    """A BENCH_ONLY run's report with the rows of the figures it did not
    run taken from the report it replaces (`old`), so that `make
    bench-state` refreshes figure 9 without dropping figures 1-8. The
    header keeps the old run's date, machine, load and versions and adds
    this run's for the figures it measured."""
    def rows(text):
        return [ln for ln in text.splitlines() if TABLE_ROW.match(ln)]

    def fig(ln):
        return TABLE_ROW.match(ln).group(1)

    def measured(ln):
        return ln.split("|")[3].strip() not in ("n/a", "not available")
    # The figures this run measured (a stage not run still writes its
    # rows, as n/a): theirs from this run, the others from the old report.
    ran = {fig(ln) for ln in rows(new) if measured(ln)}
    new_rows = [ln for ln in rows(new) if fig(ln) in ran]
    kept = [ln for ln in rows(old) if fig(ln) not in ran]
    if not kept:
        return new
    merged = sorted(kept + new_rows, key=lambda ln: int(fig(ln)))
    # The old header, less an earlier partial run's line for these figures.
    old_head = [ln for ln in old.splitlines()
                if ln.startswith(HEADER_KEYS) or
                (PARTIAL.match(ln) and not
                 {x.strip() for x in PARTIAL.match(ln).group(1).split(",")} <= ran)]
    this = {k: ln[len(k):].lstrip(": ") for ln in new.splitlines()
            for k in HEADER_KEYS if ln.startswith(k)}
    figs = ", ".join(sorted(ran, key=int))
    partial = (f"- Figure(s) {figs} from a later run (BENCH_ONLY={only}), "
               f"{this.get('- Date: ', '?')}: {this.get('- Machine: ', '?')}; load "
               f"average {this.get('- Load average', '?')} Versions: "
               f"{this.get('- Versions: ', '?')}")
    out, head_done, rows_done = [], False, False
    for ln in new.splitlines():
        if TABLE_ROW.match(ln):
            if not rows_done:
                out.extend(merged)
                rows_done = True
            continue
        if ln.startswith(HEADER_KEYS):
            if not head_done:
                out.extend(old_head + [partial])
                head_done = True
            continue
        out.append(ln)
    if "## Where the time goes" not in new and "## Where the time goes" in old:
        out.append(old[old.index("## Where the time goes"):].rstrip("\n"))
    return "\n".join(out) + "\n"


def main():
    bench = Bench()
    stop = {"sig": None}

    def on_signal(signum, frame):
        stop["sig"] = signum
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    rc = 0
    text = None
    try:
        bench.setup()
        stages = [bench.stage_ceiling, bench.stage_fetcher, bench.stage_scrapy,
                  bench.stage_cleaner, bench.stage_parsers, bench.stage_politeness,
                  bench.stage_latency, bench.stage_memory, bench.stage_sitemap,
                  bench.stage_state]
        only = os.environ.get("BENCH_ONLY")
        for st in stages:
            if only and st.__name__.replace("stage_", "") not in only.split(","):
                continue
            try:
                st()
            except BenchError as e:
                rc = 1
                msg = f"{st.__name__.replace('stage_', '')} failed: {e}"
                log(msg)
                bench.notes.append(msg.splitlines()[0])
        text = bench.report()
    except KeyboardInterrupt:
        log("interrupted")
        rc = 130
    except BenchError as e:
        log(str(e))
        rc = 1
    finally:
        bench.teardown()
    if text is not None:
        sys.stdout.write(text)
        out = os.environ.get("BENCH_OUT", str(ROOT / "docs" / "benchmarks.md"))
        if out != "-":
            only = os.environ.get("BENCH_ONLY")
            if only and os.path.exists(out):
                with open(out) as f:
                    text = merge_partial(f.read(), text, only)
            tmp = out + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, out)
            log(f"wrote {out}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
