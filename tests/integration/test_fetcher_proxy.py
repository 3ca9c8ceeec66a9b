"""The address guard through a proxy (design.md, No SSRF): the fetcher
resolves and checks the target before the request goes to the proxy,
redirects included, and a target resolving to a refused address ends as
blocked_address without the proxy ever being asked for it.

The proxy is a tiny local CONNECT proxy (fetcher_helpers.ConnectProxy)
tunnelling every target to the local sites server, so a public address
such as 93.184.215.14 can be used as a target: the fetcher's check only
resolves it (no packet leaves), the proxy carries the request to the local
server. The proxy itself, on 127.0.0.1, is the operator's and trusted.
"""

import ipaddress
import pathlib
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest

from conftest import check_error, check_page, clean_env, consume, publish, run_cli
from fetcher_helpers import ConnectProxy, Sites, free_port, start_fetcher

PUBLIC = "93.184.215.14"
PUBLIC2 = "93.184.215.15"


def test_proxy_target_checked_before_the_request(brokers, topics, tmp_path):
    sites = Sites()
    proxy = ConnectProxy(("127.0.0.1", sites.port))
    fx = None
    try:
        port = sites.port
        ok = f"http://{PUBLIC}/page/ok"
        literal = f"http://127.0.0.1:{port}/page/x"
        name = f"http://localhost:{port}/page/y"
        redirect_bad = f"http://{PUBLIC}/redirect?to=http://localhost:{port}/page/z"
        redirect_ok = f"http://{PUBLIC}/redirect?to=http://{PUBLIC2}/page/r"
        publish(brokers, topics.urls, [ok, literal, name, redirect_bad, redirect_ok])
        fx = start_fetcher(brokers, topics, tmp_path, "--proxy", proxy.url,
                           "--host-rate", "100", "--retries", "0")
        pages = {m.key.decode(): m for m in consume(brokers, topics.pages, 2, procs=[fx])}
        errors = {m.key.decode(): m for m in consume(brokers, topics.errors, 3, procs=[fx])}
        fx.stop()
        assert set(pages) == {ok, redirect_ok}, (sorted(pages), fx.log_tail())
        assert check_page(pages[ok])["status"] == "200"
        h = check_page(pages[redirect_ok])
        assert h["status"] == "200" and h["final_url"] == f"http://{PUBLIC2}/page/r", h
        codes = {u: check_error(m)["code"] for u, m in errors.items()}
        assert codes == {literal: "blocked_address", name: "blocked_address",
                         redirect_bad: "blocked_address"}, (codes, fx.log_tail())
        for m in errors.values():
            assert check_error(m)["proxy"] == proxy.url
        # The proxy was asked for the public targets only.
        targets = proxy.seen()
        assert f"{PUBLIC}:80" in targets and f"{PUBLIC2}:80" in targets, targets
        assert not [t for t in targets if t.startswith(("127.", "localhost", "["))], targets
        assert not sites.requests(path_prefix="/page/x")
        assert not sites.requests(path_prefix="/page/y")
        assert not sites.requests(path_prefix="/page/z")
    finally:
        if fx is not None:
            fx.kill()
        proxy.close()
        sites.close()


# ------------------------------------------ trust through a proxy ---

def test_proxy_trust_follows_what_libcurl_connects_to(brokers, topics, tmp_path):
    """Through a proxy, a redirect whose URL a browser reads as a trusted
    host but libcurl as a loopback one is checked as libcurl reads it, and
    the proxy is never asked for the loopback target."""
    from test_ssrf import spellings, trust_options
    trusted, secret = Sites(), Sites()
    proxy = ConnectProxy(("127.0.0.1", trusted.port))
    fx = None
    try:
        T, S = trusted.port, secret.port
        targets = spellings(S, T)
        bad = {f"http://trusted.test/redirect?to={quote(t, safe='')}": k
               for k, t in targets.items()}
        good = ["http://trusted.test/page/direct", "http://anything.test:9999/page/wild"]
        publish(brokers, topics.urls, list(bad) + good)
        fx = start_fetcher(brokers, topics, tmp_path, "--proxy", proxy.url,
                           *trust_options(T), "--host-rate", "100",
                           "--retries", "0", "--connect-timeout", "3")
        errors = consume(brokers, topics.errors, len(bad), procs=[fx])
        pages = consume(brokers, topics.pages, len(good), procs=[fx])
        fx.stop()
        codes = {}
        for m in errors:
            err = check_error(m)
            codes[bad.get(err["input"], err["input"])] = err["code"]
        assert codes == {k: "blocked_address" for k in targets}, (codes, fx.log_tail())
        assert sorted(m.key.decode() for m in pages) == sorted(good)
        seen = proxy.seen()
        assert not [t for t in seen if t.endswith(f":{S}") or "localhost" in t
                    or t.startswith("[")], seen
    finally:
        if fx is not None:
            fx.kill()
        proxy.close()
        trusted.close()
        secret.close()


# --------------------------------------- the proxy gets the checked address ---

def test_proxy_is_asked_for_the_address_checked(brokers, topics, tmp_path):
    """The proxy is asked for the address the fetcher checked, never for a
    name it would resolve again: a second answer (DNS rebinding,
    split-horizon DNS) could send it anywhere. The proxy here resolves
    every name to the secret server (its DNS answering loopback) and every
    address to the public site; --resolve gives the fetcher's own resolve
    of pub.test a public answer. A name that does not resolve here has no
    address to check and is not passed to the proxy."""
    sites, secret = Sites(), Sites()

    def route(target):
        host = target.rsplit(":", 1)[0].strip("[]")
        try:
            ipaddress.ip_address(host)
            return ("127.0.0.1", sites.port)
        except ValueError:
            return ("127.0.0.1", secret.port)

    proxy = ConnectProxy(None, route=route)
    fx = None
    try:
        pinned = "http://pub.test/page/pinned"
        redirected = f"http://{PUBLIC}/redirect?to=" + quote("http://pub.test/page/hop", safe="")
        nowhere = "http://nowhere.invalid/page/nowhere"
        publish(brokers, topics.urls, [pinned, redirected, nowhere])
        fx = start_fetcher(brokers, topics, tmp_path, "--proxy", proxy.url,
                           "--resolve", f"pub.test:80:{PUBLIC}",
                           "--host-rate", "100", "--retries", "0",
                           "--connect-timeout", "3")
        pages = {m.key.decode(): m for m in consume(brokers, topics.pages, 2, procs=[fx])}
        errors = {m.key.decode(): m for m in consume(brokers, topics.errors, 1, procs=[fx])}
        fx.stop()
        assert not secret.requests(), (secret.requests(), proxy.seen())
        assert set(pages) == {pinned, redirected}, (sorted(pages), fx.log_tail())
        assert all(check_page(m)["status"] == "200" for m in pages.values())
        assert {u: check_error(m)["code"] for u, m in errors.items()} == \
            {nowhere: "dns_failure"}, fx.log_tail()
        seen = proxy.seen()
        # Only the checked address (robots.txt and pages may share a tunnel).
        assert seen and set(seen) == {f"{PUBLIC}:80"}, seen
        assert sorted(r[1] for r in sites.requests(path_prefix="/page/")) == \
            ["/page/hop", "/page/pinned"], sites.requests()
    finally:
        if fx is not None:
            fx.kill()
        proxy.close()
        sites.close()
        secret.close()


# ------------------------------------------- proxies from the environment ---

class RecordingProxy:
    """An HTTP proxy that forwards nothing: it records every request line
    (GET http://..., CONNECT host:port) and answers 200 "via proxy"."""

    def __init__(self, host):
        outer = self
        self.lines = []
        self.lock = threading.Lock()

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                with outer.lock:
                    outer.lines.append(self.requestline)
                body = b"<html><title>via proxy</title></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_CONNECT = do_HEAD = _any

        self.server = ThreadingHTTPServer((host, 0), H)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever,
                         kwargs={"poll_interval": 0.1}, daemon=True).start()

    def seen(self):
        with self.lock:
            return list(self.lines)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
              "all_proxy", "ALL_PROXY")


def test_environment_proxy_is_not_used(brokers, topics, tmp_path):
    """A proxy in the environment is not the fetcher's: it is not used (for
    pages or robots.txt), so the guard checks the target itself. The
    environment's proxy is on 127.0.0.2, allowed by --allow-net, so that a
    request sent to it would not be refused for the proxy's address."""
    trusted, secret = Sites(), Sites()
    envproxy = RecordingProxy("127.0.0.2")
    fx = None
    try:
        S = secret.port
        refused = [f"http://127.0.0.1:{S}/secret/env", f"https://127.0.0.1:{S}/secret/tls"]
        ok = "http://trusted.test/page/env"
        publish(brokers, topics.urls, refused + [ok])
        env = clean_env(**{v: envproxy.url for v in PROXY_VARS})
        fx = start_fetcher(brokers, topics, tmp_path, "--allow-net", "127.0.0.2/32",
                           "--connect-to", f"trusted.test:80:127.0.0.1:{trusted.port}",
                           "--host-rate", "100", "--retries", "0",
                           "--connect-timeout", "3", env=env)
        errors = consume(brokers, topics.errors, 2, procs=[fx])
        pages = consume(brokers, topics.pages, 1, procs=[fx])
        fx.stop()
        codes = {check_error(m)["input"]: check_error(m)["code"] for m in errors}
        assert codes == {u: "blocked_address" for u in refused}, (codes, fx.log_tail())
        assert [m.key.decode() for m in pages] == [ok]
        assert b"via proxy" not in pages[0].value
        assert envproxy.seen() == []
        assert trusted.requests(path_prefix="/page/env")
        assert not secret.requests()
    finally:
        if fx is not None:
            fx.kill()
        envproxy.close()
        trusted.close()
        secret.close()


def test_no_proxy_in_the_environment_does_not_bypass_the_proxy(brokers, topics, tmp_path):
    """no_proxy/NO_PROXY from the environment do not turn the operator's
    --proxy off: the request still goes through it."""
    sites = Sites()
    proxy = ConnectProxy(("127.0.0.1", sites.port))
    fx = None
    try:
        url = "http://pub.test/page/np"
        publish(brokers, topics.urls, [url])
        fx = start_fetcher(brokers, topics, tmp_path, "--proxy", proxy.url,
                           "--connect-to", f"pub.test:80:127.0.0.1:{sites.port}",
                           "--host-rate", "100", "--retries", "0",
                           env=clean_env(no_proxy="*", NO_PROXY="*"))
        pages = consume(brokers, topics.pages, 1, procs=[fx])
        fx.stop()
        assert [check_page(m)["status"] for m in pages] == ["200"], fx.log_tail()
        assert proxy.seen(), "the request did not go through --proxy"
    finally:
        if fx is not None:
            fx.kill()
        proxy.close()
        sites.close()


# ---------------------------------------------------------- secrets ---

SECRET = "s3cr"


@pytest.mark.parametrize("spelling", [
    "http://user:s3cr#et@127.0.0.1:3128",
    "http://user:s3cr?et@127.0.0.1:3128",
    "http://user:s3cr/et@127.0.0.1:3128",
    "http://user:s3cr@et@127.0.0.1:3128",
    "HTTP://user:s3cr#et@127.0.0.1:3128",
    "user:s3cret@127.0.0.1:3128",
    "ftp://user:s3cret@127.0.0.1:3128",
    "file:s3cret.txt",
])
@pytest.mark.parametrize("where", ["--proxy", "--proxy-file"])
def test_unusable_proxy_url_is_refused_without_its_secret(brokers, tmp_path, spelling, where):
    """A proxy URL libcurl would not read as written (a '#', '?', '/' or '@'
    not percent-encoded in the password, no scheme, a scheme that is not a
    proxy's) is a start-up error, exit 2, that does not show the password."""
    if where == "--proxy-file":
        f = tmp_path / "proxies.txt"
        f.write_text(f"# pool\nhttp://127.0.0.1:3128\n{spelling}\n")
        arg = str(f)
    else:
        arg = spelling
    r = run_cli("fetcher", "--brokers", brokers, where, arg, timeout=10)
    out = (r.stdout + r.stderr).decode(errors="replace")
    assert r.returncode == 2, out
    assert SECRET not in out, out
    assert len(r.stderr.decode().strip().splitlines()) == 1, out
    assert where in out, out


def test_proxy_credentials_never_leave(brokers, topics, tmp_path):
    """Percent-encoded credentials (an '@', '#' and '?' in them) work, and
    appear in no error object, log line, metrics scrape or --print-config."""
    sites = Sites()
    proxy = ConnectProxy(("127.0.0.1", sites.port))
    fx = None
    try:
        P = proxy.port
        creds = "us%40er:s3cr%23et%3F%40x"
        live = f"http://{creds}@127.0.0.1:{P}"
        maddr = f"127.0.0.1:{free_port()}"
        opts = ["--proxy", live, "--connect-to", f"pub.test:80:127.0.0.1:{sites.port}",
                "--metrics-addr", maddr, "--host-rate", "100", "--retries", "0",
                "--connect-timeout", "3"]
        cfg = run_cli("fetcher", "--brokers", brokers, *opts, "--print-config")
        assert cfg.returncode == 0, cfg
        assert SECRET not in (cfg.stdout + cfg.stderr).decode(), cfg.stdout
        urls = ["http://pub.test/page/ok", f"http://127.0.0.1:{sites.port}/page/no"]
        publish(brokers, topics.urls, urls)
        fx = start_fetcher(brokers, topics, tmp_path, *opts)
        pages = consume(brokers, topics.pages, 1, procs=[fx])
        errors = consume(brokers, topics.errors, 1, procs=[fx])
        deadline = time.monotonic() + 30
        scrape = ""
        while time.monotonic() < deadline and not scrape:
            try:
                with urllib.request.urlopen(f"http://{maddr}/metrics", timeout=5) as r:
                    scrape = r.read().decode()
            except OSError:
                time.sleep(0.2)
        fx.stop()
        assert [check_page(m)["status"] for m in pages] == ["200"], fx.log_tail()
        err = check_error(errors[0])
        assert err["code"] == "blocked_address" and err["proxy"] == f"http://127.0.0.1:{P}", err
        assert scrape, "no metrics scrape"
        for text in [m.value.decode() for m in errors] + [scrape, fx.log_path.read_text()]:
            assert SECRET not in text and "us%40er" not in text and "us@er" not in text, text
        assert proxy.seen(), "the proxy with percent-encoded credentials was not used"
    finally:
        if fx is not None:
            fx.kill()
        proxy.close()
        sites.close()


def test_tls_session_keys_are_not_written_out(brokers, topics, tmp_path):
    """SSLKEYLOGFILE in the environment (libcurl's OpenSSL back end would
    write every TLS session's keys there, so anyone with a capture could
    read the pages and an HTTPS proxy's credentials) is ignored: an HTTPS
    fetch leaves no key log behind."""
    from hostile_server import HostileServer
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1",
                    "-subj", "/CN=tls.keylog.test",
                    "-addext", "subjectAltName=DNS:tls.keylog.test"],
                   check=True, capture_output=True, timeout=60)
    tls = HostileServer("127.0.0.1", tls=(str(cert), str(key)))
    keylog = tmp_path / "keys.log"
    fx = None
    try:
        url = "https://tls.keylog.test/ok/keylog"
        publish(brokers, topics.urls, [url])
        fx = start_fetcher(brokers, topics, tmp_path, "--ca-file", str(cert),
                           "--connect-to", f"tls.keylog.test:443:127.0.0.1:{tls.port}",
                           "--retries", "0", "--robots=false",
                           env=clean_env(SSLKEYLOGFILE=str(keylog)))
        pages = consume(brokers, topics.pages, 1, procs=[fx])
        fx.stop()
        assert [check_page(m)["status"] for m in pages] == ["200"], fx.log_tail()
        assert not keylog.exists(), keylog.read_text()[:300]
    finally:
        if fx is not None:
            fx.kill()
        tls.stop()


def test_secrets_on_the_command_line_are_wiped(brokers, topics, tmp_path):
    """A proxy password or a Kafka secret given as a flag is wiped from
    the process's arguments once read, so `ps` and /proc/PID/cmdline show
    other users no secret; the proxy still works with it."""
    sites = Sites()
    proxy = ConnectProxy(("127.0.0.1", sites.port))
    fx = None
    try:
        url = "http://pub.test/page/argv"
        publish(brokers, topics.urls, [url])
        fx = start_fetcher(brokers, topics, tmp_path,
                           "--proxy", f"http://user:{SECRET}et1@127.0.0.1:{proxy.port}",
                           f"--proxy=http://user:{SECRET}et2@127.0.0.1:{proxy.port}",
                           "-X", f"sasl.password={SECRET}et3",
                           "--connect-to", f"pub.test:80:127.0.0.1:{sites.port}",
                           "--retries", "0", "--robots=false")
        pages = consume(brokers, topics.pages, 1, procs=[fx])
        cmdline = pathlib.Path(f"/proc/{fx.p.pid}/cmdline").read_bytes()
        fx.stop()
        assert [check_page(m)["status"] for m in pages] == ["200"], fx.log_tail()
        assert proxy.seen(), "the proxy was not used"
        assert SECRET.encode() not in cmdline, cmdline
        args = cmdline.split(b"\0")
        assert b"--proxy" in args and b"-X" in args, args
    finally:
        if fx is not None:
            fx.kill()
        proxy.close()
        sites.close()
