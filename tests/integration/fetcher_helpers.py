"""Helpers for the fetcher's integration tests: a local HTTP server that
plays many "sites" (chosen by the Host header, reached through the
fetcher's --connect-to or --resolve), with controllable behaviour, and a
log of every request it saw with its time.

Routes (any host):
  /robots.txt            per host: Sites.robots[host] = (status, body) or
                         (status, body, [(header, value), ...]), default
                         404; body may be a callable
  /page/NAME             200, a small HTML page
  /status/NNN            that status
  /flaky/NAME/K          503 for the first K requests of (host, path), then 200
  /ra/SECONDS/NAME/K     429 with Retry-After: SECONDS for the first K
                         requests of (host, path), then 200
  /redirect?to=URL       302 to URL
  /big/BYTES             a body of BYTES bytes
  /gzipbomb/BYTES        gzip-encoded zeros, BYTES once decoded
"""

import gzip
import json
import re
import socket
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from confluent_kafka import Consumer, Producer, TopicPartition

import pytest

from conftest import CONSUME_DEADLINE, Proc, host_key


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _send(self, code, body=b"", ctype="text/html; charset=utf-8", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        srv = self.server
        host = (self.headers.get("Host") or "").lower()
        path = urllib.parse.urlsplit(self.path).path
        with srv.lock:
            srv.log.append((host, self.path, time.monotonic()))
            n = srv.counts.get((host, self.path), 0) + 1
            srv.counts[(host, self.path)] = n
        if path == "/robots.txt":
            entry = srv.robots.get(host, (404, ""))
            status, body = entry[0], entry[1]
            if callable(body):
                body = body()
            if isinstance(body, str):
                body = body.encode()
            return self._send(status, body, "text/plain",
                              headers=entry[2] if len(entry) > 2 else ())
        m = re.fullmatch(r"/status/(\d{3})", path)
        if m:
            return self._send(int(m.group(1)), b"<html><title>s</title></html>")
        m = re.fullmatch(r"/flaky/[^/]+/(\d+)", path)
        if m:
            if n <= int(m.group(1)):
                return self._send(503, b"busy")
            return self._send(200, b"<html><title>ok</title></html>")
        m = re.fullmatch(r"/ra/(\d+)/[^/]+/(\d+)", path)
        if m:
            if n <= int(m.group(2)):
                return self._send(429, b"slow down", headers=[("Retry-After", m.group(1))])
            return self._send(200, b"<html><title>ok</title></html>")
        if path == "/redirect":
            to = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["to"][0]
            return self._send(302, b"", headers=[("Location", to)])
        m = re.fullmatch(r"/big/(\d+)", path)
        if m:
            return self._send(200, b"x" * int(m.group(1)), "text/plain")
        m = re.fullmatch(r"/gzipbomb/(\d+)", path)
        if m:
            body = gzip.compress(b"\0" * int(m.group(1)), 9)
            return self._send(200, body, "text/plain", headers=[("Content-Encoding", "gzip")])
        if path.startswith("/page/"):
            name = path[len("/page/"):]
            body = f"<html><head><title>{host} {name}</title></head><body>{name}</body></html>"
            return self._send(200, body.encode())
        return self._send(404, b"not found")


class Sites:
    """One local server for many virtual hosts."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.lock = threading.Lock()
        self.server.log = []
        self.server.counts = {}
        self.server.robots = {}
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    @property
    def robots(self):
        return self.server.robots

    def connect_to(self):
        """--connect-to sending every host and port to this server."""
        return f"::127.0.0.1:{self.port}"

    def requests(self, host=None, path_prefix=None):
        """(host, path, time) of requests seen, optionally filtered."""
        with self.server.lock:
            log = list(self.server.log)
        return [r for r in log
                if (host is None or r[0] == host)
                and (path_prefix is None or r[1].startswith(path_prefix))]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def max_per_window(times, window=1.0):
    """The most request times within any `window`-second span."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - window + 1e-9:
            j += 1
        best = max(best, i - j + 1)
    return best


def wait_until(cond, deadline=CONSUME_DEADLINE, procs=(), what="condition"):
    """Polls `cond()` every 50 ms until it is true; fails the test when
    `deadline` seconds pass first or one of `procs` exits."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if cond():
            return
        for p in procs:
            p.assert_running()
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def start_fetcher(brokers, topics, log_dir, *extra, group=None, env=None):
    """The fetcher on a test's topics (with its delay topic), no
    --allow-private: tests reach their sites through trusted
    --connect-to/--resolve targets. `env`: its environment (default
    conftest.clean_env())."""
    group = group or "gf" + uuid.uuid4().hex[:10]
    return Proc("fetcher", ["--brokers", brokers, "--group", group,
                            "--urls-topic", topics.urls, "--pages-topic", topics.pages,
                            "--errors-topic", topics.errors,
                            "--delay-topic", topics.delayed,
                            "--state-topic", topics.state, *extra], log_dir,
                env=env)


def publish_with_headers(brokers, topic, messages):
    """Publishes (url_or_dict, headers) pairs keyed by the URL's host key
    with the murmur2 partitioner, as the cleaner produces followed links;
    waits for every delivery report."""
    p = Producer({"bootstrap.servers": brokers, "partitioner": "murmur2_random",
                  "enable.idempotence": True})
    failures = []

    def report(err, msg):
        if err is not None:
            failures.append(err)

    for value, headers in messages:
        url = value["url"] if isinstance(value, dict) else value
        data = json.dumps(value) if isinstance(value, dict) else value
        p.produce(topic, value=data.encode(), key=host_key(url).encode(),
                  headers=list(headers.items()), on_delivery=report)
        p.poll(0)
    assert p.flush(30) == 0, f"URL messages not delivered to {topic}"
    assert not failures, f"delivery failed: {failures}"


def committed_behind(brokers, group, topic):
    """Messages of `topic` not yet covered by `group`'s committed offsets
    (0 when the group committed everything)."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": group,
                  "enable.auto.commit": False})
    try:
        md = c.list_topics(topic, timeout=10)
        parts = [TopicPartition(topic, p) for p in sorted(md.topics[topic].partitions)]
        behind = 0
        for tp in c.committed(parts, timeout=10):
            _, high = c.get_watermark_offsets(tp, timeout=10)
            behind += high - max(tp.offset, 0)
        return behind
    finally:
        c.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric_value(addr, name):
    """metric(), or None while the endpoint is not up yet."""
    try:
        return metric(addr, name)
    except Exception:  # noqa: BLE001 - endpoint not up yet
        return None


def metric(addr, name):
    """The value of an unlabelled series from a /metrics endpoint, or None."""
    with urllib.request.urlopen(f"http://{addr}/metrics", timeout=5) as r:
        text = r.read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


class ConnectProxy:
    """A tiny HTTP CONNECT proxy: it records each CONNECT target and tunnels
    every one of them to `upstream` (host, port) whatever it names, so a
    test can use any target host while the bytes go to a local server.
    `route(target)`, when given, picks the (host, port) per CONNECT target
    instead: the proxy's own resolving of the name."""

    def __init__(self, upstream, route=None):
        self.upstream = upstream
        self.route = route
        self.targets = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        c.settimeout(30)
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = c.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            if len(line) < 2 or line[0] != "CONNECT":
                c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            with self.lock:
                self.targets.append(line[1])
            up = socket.create_connection(
                self.route(line[1]) if self.route else self.upstream, timeout=30)
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
            if rest:
                up.sendall(rest)
            t = threading.Thread(target=self._pipe, args=(up, c), daemon=True)
            t.start()
            self._pipe(c, up)
            t.join(30)
        except OSError:
            pass
        finally:
            c.close()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def seen(self):
        with self.lock:
            return list(self.targets)

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()
