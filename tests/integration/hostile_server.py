"""An adversarial HTTP server on loopback, for the hostile-HTTP and fault
tests (test_hostile_*.py, test_faults_*.py).

It speaks HTTP/1.1 by hand over raw sockets (http.server would sanitise what
we want to get wrong), one thread per connection, and answers by path:

  /robots.txt          404 (= allow all), so robots never gets in the way
  /ok/NAME             a small valid HTML page whose title is NAME
  /id/ID               the same, for the fault tests: the page's title and
                       a <meta name=id> carry ID
  /slow/ID             /id/ID after `slow_delay` seconds (holds a partition's
                       commit point while it runs)
  /etag/NAME           a page with an ETag ("v-NAME-<version>") and a
                       Last-Modified; 304 with no body when If-None-Match
                       names the current ETag. `versions[NAME]` changes it
  /doc/NAME            200 with the HTML `docs[NAME]` holds (a test changes
                       it between fetches); 404 when it holds none
  /drip                200, Content-Length 100000, then one byte a second
  /endless             200 text/html without a length, bytes as fast as the
                       client reads, until it hangs up
  /gzip-bomb           Content-Encoding: gzip of 1 GiB of zeros, compressed
                       on the fly (about 1 MiB on the wire)
  /brotli-bomb         Content-Encoding: br of 1 GiB of zeros (a fixed
                       841-byte stream, BROTLI_BOMB below)
  /huge-headers        HEADER_COUNT response headers of 100 bytes each
                       (about 1 MiB of header block), then a small page
  /redirect-loop       302 to itself
  /redirect-file       302 to file:///etc/passwd
  /redirect-ftp        302 to ftp://127.0.0.1:21/pub/x
  /redirect-to?u=URL   302 to URL (percent-decoded)
  /bad-chunked         Transfer-Encoding: chunked with a chunk size of "zz"
  /never               reads the request, never answers (until the client
                       hangs up or the server stops)
  /big                 200, Content-Length 30 MiB, then 30 MiB of text
  /binary              200 text/html, 256 KiB of random bytes (seeded)
  /status/NNN          that status with a small page
  anything else        404

With `tls=(certfile, keyfile)` the same routes are served over TLS (the
test generates a self-signed certificate, so a verifying client must
refuse it). Counts requests per path (`hits`) and connections still open
per path (`active`), so a test can tell that a slow case is still hanging
while other hosts are being served.

Every long answer stops when the client hangs up or when stop() is called;
stop() closes every connection and joins the threads (bounded).
"""

import base64
import collections
import random
import socket
import ssl
import threading
import time
import urllib.parse
import zlib

DRIP_LENGTH = 100_000
BIG_LENGTH = 30 * 1024 * 1024
BOMB_BYTES = 1024 * 1024 * 1024
HEADER_COUNT = 10_000
BINARY_LENGTH = 256 * 1024

# 1 GiB of zeros, brotli quality 11, window 24: the output of
#   head -c 1073741824 /dev/zero | brotli -q 11 -w 24 | base64
# (841 bytes on the wire; `brotli -dc` gives back 1073741824 zeros).
BROTLI_BOMB = base64.b64decode(
    "z///f/gnAOKxQCD3/p/////wTwDEYQGA7v0/////4Z8AiMMiAN37f/7//8M/ARCHBQC69//8//+H"
    "fwIgDgsAdO//+f//D/8EQBwWAOje//P//x/+CYA4LADQvf/n//8//BMAcVgAoHv/z///f/gnAOKw"
    "AED3/p/////wTwDEYQGA7v0/////4Z8AiMMCAN37f/7//8M/ARCHBQC69//8//+HfwIgDgsAdO//"
    "+f//D/8EQBwWAOje//P//x/+CYA4LADQvf/n//8//BMAcVgAoHv/z///f/gnAOKwAED3/p/////w"
    "TwDEYQGA7v0/////4Z8AiMMCAN37f/7//8M/ARCHBQC69//8//+HfwIgDgsAdO//+f//D/8EQBwW"
    "AOje//P//x/+CYA4LADQvf/n//8//BMAcVgAoHv/z///f/gnAOKwAED3/p/////wTwDEYQGA7v0/"
    "////4Z8AiMMCAN37f/7//8M/ARCHBQC69//8//+HfwIgDgsAdO//+f//D/8EQBwWAOje//P//x/+"
    "CYA4LADQvf/n//8//BMAcVgAoHv/z///f/gnAOKwAED3/p/////wTwDEYQGA7v0/////4Z8AiMMC"
    "AN37f/7//8M/ARCHBQC69//8//+HfwIgDgsAdO//+f//D/8EQBwWAOje//P//x/+CYA4LADQvf/n"
    "//8//BMAcVgAoHv/z///f/gnAOKwAED3/p/////wTwDEYQGA7v0/////4Z8AiMMCAN37f/7//8M/"
    "ARCHBQC69//8//+HfwIgDgsAdO//+f//D/8EQBwWAOje//P//x/+CYA4LADQvf/n//8//BMAcVgA"
    "oHv/z///f/gnAOKwAED3/p/////wTwDEYQGA7v0/////4Z8AiMMCAN37f/7//8M/ARCHBQC69//8"
    "//+HfwIgDgsAdO//+f//D/8EQBwWAOje//P//x/+CYA4LADQvf/n//8//BMAcVgAoHv/z///f/gn"
    "AOKwAED3/p/////wTwDEYQGA7v0/////4Z8AiMMCAN37f/7//8M/ARCHBQC69//8//+HfwIgDgsA"
    "dO//+f//D/8EQBwWAOje//P//x/+CYA4LADQvf/n//8//BMAcVgAoHv/Pw==")


def page(title, extra_head=""):
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            f"<title>{title}</title>{extra_head}</head><body><h1>{title}</h1>"
            f"<p>A page of the hostile server.</p></body></html>").encode()


class _Closed(Exception):
    """The client hung up or the server is stopping."""


class HostileServer:
    def __init__(self, host="127.0.0.1", port=0, tls=None):
        self.host = host
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(512)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.scheme = "https" if tls else "http"
        self.ctx = None
        if tls:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(*tls)
        self.lock = threading.Lock()
        self.hits = collections.Counter()      # path (no query) -> requests
        self.full_hits = collections.Counter()  # path with query -> requests
        self.active = collections.Counter()    # path -> open connections
        self.tls_failures = 0
        self.id_delay = 0.0   # seconds /id/ID waits before answering
        self.slow_delay = 5.0  # seconds /slow/ID waits before answering
        self.versions = collections.Counter()  # /etag/NAME -> version
        self.conditional = []  # (path, If-None-Match, If-Modified-Since)
        self.docs = {}         # /doc/NAME -> the HTML it serves (bytes)
        self.stopping = threading.Event()
        self.conns = set()
        self.threads = []
        self.accepter = threading.Thread(target=self._accept_loop, daemon=True,
                                         name=f"hostile-{host}:{self.port}")
        self.accepter.start()

    # ----------------------------------------------------------- public --

    @property
    def base(self):
        return f"{self.scheme}://{self.host}:{self.port}"

    def url(self, path):
        return self.base + path

    def hits_snapshot(self):
        with self.lock:
            return collections.Counter(self.hits)

    def active_snapshot(self):
        with self.lock:
            return collections.Counter({k: v for k, v in self.active.items() if v})

    def stop(self):
        self.stopping.set()
        self.accepter.join(5)
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass
        for t in list(self.threads):
            t.join(5)
        self.sock.close()

    # ---------------------------------------------------------- serving --

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self.lock:
                self.conns.add(conn)
                self.threads = [x for x in self.threads if x.is_alive()]
                self.threads.append(t)
            t.start()

    def _serve(self, conn):
        try:
            conn.settimeout(1.0)
            if self.ctx is not None:
                try:
                    conn = self._tls_wrap(conn)
                except (ssl.SSLError, OSError, _Closed):
                    with self.lock:
                        self.tls_failures += 1
                    return
            while not self.stopping.is_set():
                req = self._read_head(conn)
                if req is None:
                    return
                keep = self._dispatch(conn, req)
                if not keep:
                    return
        except (_Closed, OSError):
            pass
        finally:
            with self.lock:
                self.conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _tls_wrap(self, conn):
        deadline = time.monotonic() + 30
        while True:
            try:
                return self.ctx.wrap_socket(conn, server_side=True)
            except socket.timeout:
                if self.stopping.is_set() or time.monotonic() > deadline:
                    raise _Closed()

    def _recv(self, conn, n=65536):
        while True:
            if self.stopping.is_set():
                raise _Closed()
            try:
                return conn.recv(n)
            except socket.timeout:
                continue

    def _read_head(self, conn):
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = self._recv(conn)
            if not data:
                return None
            buf += data
            if len(buf) > 1024 * 1024:
                return None
        head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        line = head.split("\r\n", 1)[0]
        parts = line.split(" ")
        if len(parts) != 3:
            return None
        headers = {}
        for h in head.split("\r\n")[1:]:
            k, _, v = h.partition(":")
            headers[k.strip().lower()] = v.strip()
        return {"method": parts[0], "target": parts[1], "headers": headers}

    def _send(self, conn, data):
        view = memoryview(data)
        while view:
            if self.stopping.is_set():
                raise _Closed()
            try:
                n = conn.send(view)
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                raise _Closed()
            view = view[n:]

    def _respond(self, conn, status, headers, body=b"", head_only=False):
        reason = {200: "OK", 302: "Found", 404: "Not Found"}.get(status, "Status")
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{k}: {v}" for k, v in headers]
        self._send(conn, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
                   + (b"" if head_only else body))

    def _dispatch(self, conn, req):
        split = urllib.parse.urlsplit(req["target"])
        path = split.path
        with self.lock:
            self.hits[path] += 1
            self.full_hits[req["target"]] += 1
            self.active[path] += 1
        try:
            return self._route(conn, req, path, split)
        finally:
            with self.lock:
                self.active[path] -= 1

    def _html(self, conn, status, body, extra=()):
        self._respond(conn, status, [("Content-Type", "text/html; charset=utf-8"),
                                     ("Content-Length", str(len(body))), *extra], body)
        return True

    def _route(self, conn, req, path, split):
        if path == "/robots.txt":
            return self._html(conn, 404, page("no robots.txt"))
        if path.startswith("/ok/"):
            return self._html(conn, 200, page(path[4:]))
        if path.startswith("/id/"):
            ident = path[4:]
            if self.id_delay and self.stopping.wait(self.id_delay):
                raise _Closed()
            return self._html(conn, 200, page(ident, f'<meta name=id content="{ident}">'))
        if path.startswith("/slow/"):
            ident = path[6:]
            if self.stopping.wait(self.slow_delay):
                raise _Closed()
            return self._html(conn, 200, page(ident, f'<meta name=id content="{ident}">'))
        if path.startswith("/etag/"):
            name = path[6:]
            with self.lock:
                tag = f'"v-{name}-{self.versions[name]}"'
            inm = req["headers"].get("if-none-match")
            ims = req["headers"].get("if-modified-since")
            with self.lock:
                self.conditional.append((path, inm, ims))
            validators = [("ETag", tag), ("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT")]
            if inm == tag:
                self._respond(conn, 304, validators)
                return True
            return self._html(conn, 200, page(f"{name} {tag}"), validators)
        if path.startswith("/doc/"):
            with self.lock:
                body = self.docs.get(path[5:])
            if body is None:
                return self._html(conn, 404, page(path))
            return self._html(conn, 200, body)
        if path.startswith("/status/"):
            return self._html(conn, int(path[8:11]), page(path))
        if path == "/drip":
            self._respond(conn, 200, [("Content-Type", "text/html"),
                                      ("Content-Length", str(DRIP_LENGTH))])
            for _ in range(DRIP_LENGTH):
                self._send(conn, b"a")
                if self.stopping.wait(1.0):
                    raise _Closed()
            return False
        if path == "/endless":
            self._respond(conn, 200, [("Content-Type", "text/html"),
                                      ("Connection", "close")])
            chunk = b"<p>" + b"endless " * 8190 + b"</p>\n"
            while True:
                self._send(conn, chunk)
        if path == "/gzip-bomb":
            self._respond(conn, 200, [("Content-Type", "text/html"),
                                      ("Content-Encoding", "gzip"),
                                      ("Connection", "close")])
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)
            zeros = bytes(1024 * 1024)
            for _ in range(BOMB_BYTES // len(zeros)):
                out = comp.compress(zeros)
                if out:
                    self._send(conn, out)
            self._send(conn, comp.flush())
            return False
        if path == "/brotli-bomb":
            bomb = BROTLI_BOMB
            self._respond(conn, 200, [("Content-Type", "text/html"),
                                      ("Content-Encoding", "br"),
                                      ("Content-Length", str(len(bomb)))], bomb)
            return True
        if path == "/huge-headers":
            body = page("huge headers")
            hdrs = [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
            hdrs += [(f"X-Filler-{i:05d}", "f" * 84) for i in range(HEADER_COUNT)]
            self._respond(conn, 200, hdrs, body)
            return True
        if path == "/redirect-loop":
            return self._redirect(conn, "/redirect-loop")
        if path == "/redirect-file":
            return self._redirect(conn, "file:///etc/passwd")
        if path == "/redirect-ftp":
            return self._redirect(conn, "ftp://127.0.0.1:21/pub/x")
        if path == "/redirect-to":
            target = urllib.parse.parse_qs(split.query).get("u", ["/"])[0]
            return self._redirect(conn, target)
        if path == "/bad-chunked":
            self._respond(conn, 200, [("Content-Type", "text/html"),
                                      ("Transfer-Encoding", "chunked")],
                          b"zz\r\n<html>not a chunk</html>\r\n0\r\n\r\n")
            return False
        if path == "/never":
            while self._recv(conn):
                pass
            return False
        if path == "/big":
            self._respond(conn, 200, [("Content-Type", "text/html"),
                                      ("Content-Length", str(BIG_LENGTH))])
            chunk = b"<p>" + b"big page " * 7280 + b"</p>"
            sent = 0
            while sent < BIG_LENGTH:
                piece = chunk[:BIG_LENGTH - sent]
                self._send(conn, piece)
                sent += len(piece)
            return True
        if path == "/binary":
            body = random.Random(6).randbytes(BINARY_LENGTH)
            return self._html(conn, 200, body)
        return self._html(conn, 404, page("not found"))

    def _redirect(self, conn, location):
        self._respond(conn, 302, [("Location", location), ("Content-Length", "0")])
        return True
