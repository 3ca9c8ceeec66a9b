"""No SSRF: every spelling of a loopback, private, link-local, CGNAT,
unspecified or IPv4-embedding IPv6 address — and a host name that resolves
to one — ends as blocked_address, with no request reaching the address;
--allow-net opens exactly the range it names.

The refusal happens in the fetcher's open-socket callback, before a socket
exists, so the private and link-local targets below never see a packet."""
import json
import uuid
from urllib.parse import quote

from conftest import consume, publish, read_all, check_error
from fetcher_helpers import Sites, start_fetcher


def blocked_urls(port, tag):
    loop = [  # the local site's port: a request would be visible in its hits
        f"http://127.0.0.1:{port}/{tag}/a",
        f"http://127.1:{port}/{tag}/b",
        f"http://0x7f.1:{port}/{tag}/c",
        f"http://2130706433:{port}/{tag}/d",
        f"http://localhost:{port}/{tag}/e",
        f"http://[::1]:{port}/{tag}/f",
        f"http://[::ffff:127.0.0.1]:{port}/{tag}/g",
        f"http://0.0.0.0:{port}/{tag}/h",
    ]
    other = [  # refused before any socket exists: no packet leaves
        "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.0.1/",
        "http://100.64.0.1/", "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]/", "http://[fe80::1]/", "http://[64:ff9b::a00:1]/",
        "http://[2002:a00:1::]/",
    ]
    return loop + other


def test_blocked_addresses(brokers, topics, site, tmp_path):
    tag = "ssrf-" + uuid.uuid4().hex[:8]
    port = site.host_key.split(":")[1]
    urls = blocked_urls(port, tag)
    fetcher = start_fetcher(brokers, topics, tmp_path, "--host-rate", "100",
                            "--connect-timeout", "3")
    try:
        publish(brokers, topics.urls, urls)
        errors = consume(brokers, topics.errors, len(urls), procs=(fetcher,))
    finally:
        fetcher.stop()
    got = {}
    for m in errors:
        err = json.loads(m.value)
        check_error(m)
        got[err["input"].strip()] = err["code"]
    assert sorted(got) == sorted(urls), f"missing outcomes: {set(urls) - set(got)}"
    wrong = {u: c for u, c in got.items() if c != "blocked_address"}
    assert not wrong, f"not refused as blocked_address: {wrong}"
    assert read_all(brokers, topics.pages) == []
    leaked = {p: n for p, n in site.hits.items() if tag in p}
    assert not leaked, f"requests reached the loopback site: {leaked}"


def test_allow_net_opens_only_its_range(brokers, topics, site, tmp_path):
    tag = "allow-" + uuid.uuid4().hex[:8]
    port = site.host_key.split(":")[1]
    allowed = f"http://127.1:{port}/page-01.html?{tag}"
    refused = f"http://[::1]:{port}/page-02.html?{tag}"
    fetcher = start_fetcher(brokers, topics, tmp_path, "--host-rate", "100",
                            "--allow-net", "127.0.0.0/8")
    try:
        publish(brokers, topics.urls, [allowed, refused])
        pages = consume(brokers, topics.pages, 1, procs=(fetcher,))
        errors = consume(brokers, topics.errors, 1, procs=(fetcher,))
    finally:
        fetcher.stop()
    assert [p.headers.get("status") for p in pages] == ["200"]
    assert pages[0].headers.get("url") == f"http://127.0.0.1:{port}/page-01.html?{tag}"
    err = json.loads(errors[0].value)
    assert err["code"] == "blocked_address" and err["input"] == refused


# --------------------------------------------------- trusted targets ---
#
# The operator's --resolve/--connect-to targets are trusted. What is
# trusted is decided on what libcurl connects to: the socket's address and
# port, for the host and port libcurl itself read from the URL it fetches.
# A browser-style reading of a redirect's URL would disagree with libcurl
# on spellings like "http://trusted.test\@127.0.0.1:PORT/": the browser
# sees host trusted.test, libcurl (RFC 3986) the user name "trusted.test\"
# and host 127.0.0.1.

def spellings(secret, trusted):
    """Redirect targets that name a trusted host to a browser but send
    libcurl to the secret server (or, for the last ones, to another loopback
    spelling of it)."""
    return {
        "bs": f"http://trusted.test\\@127.0.0.1:{secret}/secret/bs",
        "bs-port": f"http://trusted.test:80\\@127.0.0.1:{secret}/secret/bs-port",
        "wild": f"http://x.test:9999\\@127.0.0.1:{secret}/secret/wild",
        "resolved": f"http://resolved.test:{trusted}\\@127.0.0.1:{secret}/secret/resolved",
        "pct": f"http://trusted.test%5C@127.0.0.1:{secret}/secret/pct",
        "short": f"http://trusted.test\\@127.1:{secret}/secret/short",
        "mapped": f"http://trusted.test\\@[::ffff:127.0.0.1]:{secret}/secret/mapped",
        "name": f"http://trusted.test\\@localhost:{secret}/secret/name",
        "user": f"http://trusted.test:x@127.0.0.1:{secret}/secret/user",
        "literal": f"http://127.0.0.1:{secret}/secret/literal",
        # The operator's own target address at another host and port: not
        # what an entry names.
        "target": f"http://127.0.0.1:{trusted}/page/target",
    }


def trust_options(trusted_port):
    return ("--connect-to", f"trusted.test:80:127.0.0.1:{trusted_port}",
            "--connect-to", f":9999:127.0.0.1:{trusted_port}",
            "--resolve", f"resolved.test:{trusted_port}:127.0.0.1")


def test_trust_follows_what_libcurl_connects_to(brokers, topics, tmp_path):
    trusted, secret = Sites(), Sites()
    fx = None
    try:
        T, S = trusted.port, secret.port
        targets = spellings(S, T)
        bad = {f"http://trusted.test/redirect?to={quote(t, safe='')}": k
               for k, t in targets.items()}
        good = ["http://trusted.test/page/direct",
                "http://anything.test:9999/page/wild",
                f"http://resolved.test:{T}/page/resolved",
                "http://trusted.test/redirect?to=" + quote("http://other.test:9999/page/hop", safe="")]
        publish(brokers, topics.urls, list(bad) + good)
        fx = start_fetcher(brokers, topics, tmp_path, *trust_options(T),
                           "--host-rate", "100", "--retries", "0",
                           "--connect-timeout", "3")
        errors = consume(brokers, topics.errors, len(bad), procs=(fx,))
        pages = consume(brokers, topics.pages, len(good), procs=(fx,))
        fx.stop()
        codes = {}
        for m in errors:
            err = check_error(m)
            codes[bad.get(err["input"], err["input"])] = err["code"]
        assert codes == {k: "blocked_address" for k in targets}, (codes, fx.log_tail())
        assert sorted(m.key.decode() for m in pages) == sorted(good)
        assert all(m.headers.get("status") == "200" for m in pages), pages
        assert not secret.requests(), f"the secret server was reached: {secret.requests()}"
        assert not trusted.requests(path_prefix="/page/target")
    finally:
        if fx is not None:
            fx.kill()
        trusted.close()
        secret.close()
