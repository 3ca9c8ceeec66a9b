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

from conftest import check_error, check_page, consume
from fetcher_helpers import ConnectProxy, Sites, start_fetcher
from conftest import publish

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
