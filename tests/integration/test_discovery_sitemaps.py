"""Sitemaps and feeds end to end: fetcher --sitemaps reads robots.txt's
Sitemap: lines, the cleaner reads the sitemaps (index, gzip, plain text,
Atom) and publishes the URLs they list, the fetcher fetches each once.
Hostile sitemaps (a gzip bomb, an entity bomb, one listing itself, an
endless chain of indexes) end bounded: dead-lettered or recorded, never a
hang.

A site of its own (a local HTTP server on 127.0.0.1, port 0) serves the
sitemaps, counting requests per path."""

import gzip
import json
import threading
import time
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fetcher_helpers import committed_behind
from conftest import (CONSUME_DEADLINE, assert_valid, check_error, check_page,
                      check_record, consume, host_key, murmur2_partition,
                      publish, read_all)

LONG = "x" * 70000  # a loc over the URL module's 64 KiB


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        with self.server.lock:
            self.server.hits[path] = self.server.hits.get(path, 0) + 1
        status = self.server.statuses.get(path, 200)
        delay = self.server.delays.get(path.rsplit("/", 1)[0] + "/", 0)
        if delay:
            time.sleep(delay)  # a slow page: its fetch stays in flight
        item = self.server.routes.get(path)
        if item is None and path.startswith("/nest/"):
            n = int(path[len("/nest/"):-len(".xml")])
            item = ("application/xml", sitemapindex(self.server.base,
                                                    [f"/nest/{n + 1}.xml"]))
        if item is None:
            body = f"<!DOCTYPE html><title>{path}</title><p>{path}".encode()
            item = ("text/html; charset=utf-8", body)
        ctype, body, *extra = item
        self.send_response(status)
        for name, value in (extra[0] if extra else ()):
            self.send_header(name, value)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def sitemapindex(base, paths):
    locs = "".join(f"<sitemap><loc>{p if '://' in p else base + p}</loc></sitemap>\n"
                   for p in paths)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{locs}</sitemapindex>\n").encode()


def urlset(entries):
    body = "".join(f"<url><loc>{loc}</loc>" +
                   (f"<lastmod>{lm}</lastmod>" if lm else "") + "</url>\n"
                   for loc, lm in entries)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{body}</urlset>\n").encode()


@pytest.fixture
def sitemap_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.hits = {}
    host, port = server.server_address[:2]
    server.base = f"http://{host}:{port}"
    server.routes = {}
    server.statuses = {}  # path -> HTTP status (default 200)
    server.delays = {}    # directory ("/p/") -> seconds before answering
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True)
    t.start()
    yield server
    server.shutdown()
    server.server_close()


def hits(server):
    with server.lock:
        return dict(server.hits)


def wait_for(pred, what, procs, deadline=CONSUME_DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if pred():
            return
        for pr in procs:
            pr.assert_running()
        time.sleep(0.1)  # polling interval, not a fixed wait
    pytest.fail(f"timed out waiting for {what}")


def test_robots_sitemaps_every_url_once(brokers, topics, pipeline, sitemap_site):
    s = sitemap_site
    b = s.base
    pages = [f"{b}/p/{i}" for i in range(1, 6)]
    s.routes.update({
        "/robots.txt": ("text/plain", (
            "User-agent: *\nAllow: /\n"
            f"Sitemap: {b}/sitemap_index.xml\n"
            f"Sitemap: {b}/feed.atom\n").encode()),
        "/sitemap_index.xml": ("application/xml", sitemapindex(b, [
            "/maps/pages.xml.gz", "/maps/more.txt", "/sitemap_index.xml",
            "http://elsewhere.test/sitemap.xml"])),
        "/maps/pages.xml.gz": ("application/gzip", gzip.compress(urlset(
            [(p, f"2024-05-0{i}") for i, p in enumerate(pages, 1) if i > 1] +
            [(pages[0], "Wed, 01 May 2024 10:00:00 GMT")] +   # RFC 822: normalised
            [(pages[0], None),                       # listed twice
             ("http://elsewhere.test/x", None),      # cross-host
             ("ftp://127.0.0.1/f", None),            # not http(s)
             (f"{b}/{LONG}", None)]))),              # oversize
        "/maps/more.txt": ("text/plain", (
            f"\ufeff{b}/t/1\r\n{b}/t/2\n\nhttp://elsewhere.test/t\n").encode()),
        "/feed.atom": ("application/atom+xml", (
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
            '<entry><link href="/blog/a"/><updated>2024-06-01T02:00:00+02:00</updated></entry>'
            '<entry><link rel="alternate" href="blog/b"/></entry>'
            "</feed>").encode()),
    })
    want = set(pages) | {f"{b}/t/1", f"{b}/t/2", f"{b}/blog/a", f"{b}/blog/b"}
    seed = f"{b}/"
    fx = pipeline.fetcher("--sitemaps")
    cx = pipeline.cleaner("--urls-topic", topics.urls)
    publish(brokers, topics.urls, [seed])
    # seed + 2 robots sitemaps + 2 child sitemaps + 9 pages
    n_pages = 1 + 2 + 2 + len(want)
    got = consume(brokers, topics.records, n_pages, procs=(fx, cx))
    recs = {check_record(m)["url"]: check_record(m) for m in got}
    assert set(recs) == want | {seed, f"{b}/sitemap_index.xml", f"{b}/feed.atom",
                                f"{b}/maps/pages.xml.gz", f"{b}/maps/more.txt"}, \
        sorted(recs)
    pipeline.stop_all()

    h = hits(s)
    for u in want | {seed}:
        assert h.get(urllib.parse.urlsplit(u).path) == 1, (u, h)
    assert h.get("/sitemap_index.xml") == 1, h
    assert "/" + LONG not in h

    idx = recs[f"{b}/sitemap_index.xml"]
    assert idx["kind"] == "sitemap"
    sm = idx["sitemap"]
    assert sm["format"] == "sitemapindex" and sm["found"] == 4, sm
    assert sm["published"] == 2, sm
    assert sm["dropped"]["self"] == 1 and sm["dropped"]["out_of_scope"] == 1, sm

    gz = recs[f"{b}/maps/pages.xml.gz"]["sitemap"]
    assert gz["format"] == "urlset" and gz["gzip"] is True, gz
    assert gz["found"] == 9 and gz["published"] == 5, gz
    assert gz["dropped"]["duplicate"] == 1, gz
    assert gz["dropped"]["out_of_scope"] == 1, gz
    assert gz["dropped"]["not_http"] == 1, gz
    assert gz["dropped"]["invalid_url"] == 1, gz

    txt = recs[f"{b}/maps/more.txt"]["sitemap"]
    assert txt["format"] == "text" and txt["published"] == 2, txt
    assert txt["dropped"]["out_of_scope"] == 1, txt
    assert recs[f"{b}/feed.atom"]["sitemap"]["format"] == "atom"

    # lastmod from the sitemap to the URL message, the page and the record
    heads = {h["url"]: h for h in (check_page(m) for m in read_all(brokers, topics.pages))}
    # in one form: YYYY-MM-DD, or RFC 3339 in UTC when a time was given
    for i, p in enumerate(pages, 1):
        lm = "2024-05-01T10:00:00Z" if i == 1 else f"2024-05-0{i}"
        assert heads[p]["lastmod"] == lm, heads[p]
        assert recs[p]["lastmod"] == lm, recs[p]
        assert recs[p]["depth"] == 2, recs[p]
    assert heads[f"{b}/blog/a"]["lastmod"] == "2024-06-01T00:00:00Z"
    assert recs[f"{b}/blog/a"]["lastmod"] == "2024-06-01T00:00:00Z"
    assert "lastmod" not in recs[f"{b}/blog/b"]
    assert "lastmod" not in heads[f"{b}/blog/b"]
    assert heads[f"{b}/maps/pages.xml.gz"]["kind"] == "sitemap"
    assert heads[f"{b}/maps/pages.xml.gz"]["sitemap_host"] == host_key(b + "/")
    assert recs[f"{b}/t/1"]["depth"] == 2

    # the URL messages: valid, keyed and partitioned by host key
    msgs = read_all(brokers, topics.urls)
    for m in msgs:
        v = m.json() if m.value[:1] == b"{" else {"url": m.value.decode()}
        assert_valid("url", v, f"url message {m}")
        assert m.key == host_key(v["url"]).encode(), m
        assert m.partition == murmur2_partition(m.key, 4), m
    robots_listed = [m.json() for m in msgs
                     if m.value[:1] == b"{" and m.json().get("sitemap_host")
                     and m.json()["depth"] == 0]
    assert {v["url"] for v in robots_listed} == {f"{b}/sitemap_index.xml",
                                                 f"{b}/feed.atom"}
    assert all(v["kind"] == "sitemap" and v["sitemap_host"] == host_key(b + "/")
               for v in robots_listed)


@pytest.mark.parametrize("robots", ["no-sitemap-line", "404", "fallback-off"])
def test_sitemap_xml_fallback(brokers, topics, pipeline, sitemap_site, robots):
    """--sitemaps: a host whose robots.txt lists no Sitemap: line (or that
    has none, 404) gets its /sitemap.xml read; --sitemap-fallback=false
    turns that off."""
    s = sitemap_site
    b = s.base
    if robots == "404":
        s.statuses["/robots.txt"] = 404
        s.routes["/robots.txt"] = ("text/plain", b"not here")
    else:
        s.routes["/robots.txt"] = ("text/plain", b"User-agent: *\nAllow: /\n")
    s.routes["/sitemap.xml"] = ("application/xml", urlset(
        [(f"{b}/p/1", None), (f"{b}/deep/p/2", None)]))
    extra = ["--sitemap-fallback=false"] if robots == "fallback-off" else []
    fx = pipeline.fetcher("--sitemaps", *extra)
    cx = pipeline.cleaner("--urls-topic", topics.urls)
    seed = f"{b}/"
    publish(brokers, topics.urls, [seed])
    if robots == "fallback-off":
        got = consume(brokers, topics.records, 1, procs=(fx, cx))
        assert check_record(got[0])["url"] == seed
        # /sitemap.xml would have been published when robots.txt was read,
        # before the seed was fetched: the URL topic holds the seed alone.
        msgs = read_all(brokers, topics.urls)
        pipeline.stop_all()
        assert [m.value for m in msgs] == [seed.encode()], msgs
        assert "/sitemap.xml" not in hits(s)
        return
    got = consume(brokers, topics.records, 4, procs=(fx, cx))
    pipeline.stop_all()
    recs = {check_record(m)["url"]: check_record(m) for m in got}
    # the guessed sitemap has the host as its sitemap_host, as a listed
    # one: it may list any path of its host
    assert set(recs) == {seed, f"{b}/sitemap.xml", f"{b}/p/1", f"{b}/deep/p/2"}, \
        sorted(recs)
    assert recs[f"{b}/sitemap.xml"]["sitemap"]["published"] == 2
    assert hits(s).get("/sitemap.xml") == 1
    listed = [m.json() for m in read_all(brokers, topics.urls)
              if m.value[:1] == b"{" and m.json().get("kind") == "sitemap"]
    assert listed == [{"url": f"{b}/sitemap.xml", "kind": "sitemap", "depth": 0,
                       "sitemap_host": host_key(seed)}], listed
    for v in listed:
        assert_valid("url", v, "fallback sitemap URL message")


def test_overlapping_sitemaps_each_url_fetched_once(brokers, topics, pipeline,
                                                    sitemap_site):
    """robots.txt -> a sitemap index -> two sitemaps that list 5 URLs in
    common, read at the same moment: each URL is requested once. The pages
    answer slowly, so the first copy of a shared URL is still queued or in
    flight when the second sitemap's copy reaches the fetcher — the case a
    seen set of fetched URLs alone let through."""
    s = sitemap_site
    b = s.base
    s.delays["/p/"] = 0.5
    a = [f"{b}/p/{i}" for i in range(0, 10)]
    c = [f"{b}/p/{i}" for i in range(5, 15)]
    s.routes.update({
        "/robots.txt": ("text/plain",
                        f"User-agent: *\nAllow: /\nSitemap: {b}/index.xml\n".encode()),
        "/index.xml": ("application/xml", sitemapindex(b, ["/maps/a.xml", "/maps/c.xml"])),
        "/maps/a.xml": ("application/xml", urlset([(u, None) for u in a])),
        "/maps/c.xml": ("application/xml", urlset([(u, None) for u in c])),
    })
    want = set(a) | set(c)
    seed = f"{b}/"
    fx = pipeline.fetcher("--sitemaps", "--host-rate", "100")
    cx = pipeline.cleaner("--urls-topic", topics.urls)
    publish(brokers, topics.urls, [seed])
    # seed + index + 2 sitemaps + 15 pages
    got = consume(brokers, topics.records, 4 + len(want), procs=(fx, cx))
    # every URL message (the 5 second copies too) has its outcome
    wait_for(lambda: committed_behind(brokers, pipeline.group + "-fetcher",
                                      topics.urls) == 0,
             "the fetcher to finish every URL message", (fx, cx))
    pipeline.stop_all()
    h = hits(s)
    twice = {p: n for p, n in h.items() if p.startswith("/p/") and n != 1}
    assert not twice, twice
    assert {p for p in h if p.startswith("/p/")} == \
        {urllib.parse.urlsplit(u).path for u in want}
    recs = [check_record(m)["url"] for m in read_all(brokers, topics.records)]
    assert sorted(recs) == sorted(want | {seed, f"{b}/index.xml", f"{b}/maps/a.xml",
                                          f"{b}/maps/c.xml"}), sorted(recs)
    # 20 page URL messages were published for 15 URLs
    listed = [m for m in read_all(brokers, topics.urls)
              if m.value[:1] == b"{" and "/p/" in m.json()["url"]]
    assert len(listed) == 20, len(listed)


def assigned(proc):
    """Partitions each cleaner worker holds, from its log."""
    held = {}
    for line in proc.log_path.read_text(errors="replace").splitlines():
        try:
            v = json.loads(line)
        except ValueError:
            continue
        if v.get("msg") == "partitions assigned":
            held[v["worker"]] = v["count"]
        elif v.get("msg") == "partitions revoked":
            held[v["worker"]] = 0
    return held


def spread_sitemaps(base, n_maps, partitions=4):
    """n_maps sitemap numbers whose pages spread evenly over the pages
    topic's partitions: pages go to the partition of their URL by
    librdkafka's default partitioner (CRC32 of the key), so with n_maps 16
    four on each of 4, and every holder of a partition reads some."""
    names, per_part = [], {}
    for i in range(1000):
        part = zlib.crc32(f"{base}/sm/{i}.xml".encode()) % partitions
        if per_part.get(part, 0) < n_maps // partitions:
            per_part[part] = per_part.get(part, 0) + 1
            names.append(i)
    assert len(names) == n_maps
    return names


def test_discovery_budget_per_host_across_workers(brokers, topics, pipeline,
                                                  sitemap_site):
    """--discovery-budget is the cleaner process's, per host: 16 sitemaps
    of one host, read by two workers (4 partitions each way), publish 20
    URLs together — not 20 a worker."""
    s = sitemap_site
    b = s.base
    n_maps, per_map, budget = 16, 5, 20
    names = spread_sitemaps(b, n_maps)
    for i in names:
        s.routes[f"/sm/{i}.xml"] = ("application/xml", urlset(
            [(f"{b}/sm/p{i}-{j}", None) for j in range(per_map)]))
    fx = pipeline.fetcher()
    cx = pipeline.cleaner("--urls-topic", topics.urls, "--workers", "2",
                          "--discovery-budget", str(budget))
    wait_for(lambda: assigned(cx) == {0: 2, 1: 2}, "both workers assigned",
             (fx, cx))
    publish(brokers, topics.urls, [{"url": f"{b}/sm/{i}.xml", "kind": "sitemap"}
                                   for i in names])
    def sitemap_records():
        return [r for r in (check_record(m) for m in read_all(brokers, topics.records))
                if r.get("kind") == "sitemap"]
    wait_for(lambda: len(sitemap_records()) == n_maps, "the sitemaps' records",
             (fx, cx))
    maps = sitemap_records()
    assert sum(r["sitemap"]["published"] for r in maps) == budget, \
        [(r["url"], r["sitemap"]["published"]) for r in maps]
    assert sum(r["sitemap"]["dropped"]["budget"] for r in maps) == \
        n_maps * per_map - budget
    # both workers read some: the test shows the budget shared, not one
    # worker's (the cleaner logs which worker read each sitemap)
    workers = {json.loads(line).get("worker")
               for line in cx.log_path.read_text(errors="replace").splitlines()
               if '"sitemap read"' in line}
    assert len(workers) == 2, workers
    consume(brokers, topics.records, n_maps + budget, procs=(fx, cx))
    pipeline.stop_all()
    urls = [m for m in read_all(brokers, topics.urls)
            if m.value[:1] == b"{" and "/sm/p" in m.json()["url"]]
    assert len(urls) == budget, len(urls)


def test_discovery_budget_global_at_the_fetcher(brokers, topics, pipeline,
                                                sitemap_site):
    """The fetcher's --discovery-budget holds across cleaner processes: two
    cleaners (no budget of their own) read 16 sitemaps of one host and
    publish all 80 URLs; the fetcher owning the host takes in 20, requests
    only those, and counts the 60 others dropped."""
    from fetcher_helpers import free_port, metric_value
    s = sitemap_site
    b = s.base
    n_maps, per_map, budget = 16, 5, 20
    names = spread_sitemaps(b, n_maps)
    for i in names:
        s.routes[f"/sm/{i}.xml"] = ("application/xml", urlset(
            [(f"{b}/sm/p{i}-{j}", None) for j in range(per_map)]))
    maddr = f"127.0.0.1:{free_port()}"
    fx = pipeline.fetcher("--discovery-budget", str(budget), "--metrics-addr", maddr)
    c1 = pipeline.cleaner("--urls-topic", topics.urls, "--discovery-budget", "0")
    c2 = pipeline.cleaner("--urls-topic", topics.urls, "--discovery-budget", "0")
    wait_for(lambda: sum(assigned(c1).values()) == 2 and sum(assigned(c2).values()) == 2,
             "both cleaners assigned", (fx, c1, c2))
    publish(brokers, topics.urls, [{"url": f"{b}/sm/{i}.xml", "kind": "sitemap"}
                                   for i in names])
    wait_for(lambda: (metric_value(maddr, "kcrawl_fetcher_discovered_over_budget_total")
                      or 0) == n_maps * per_map - budget,
             "the fetcher's drops", (fx, c1, c2))
    consume(brokers, topics.records, n_maps + budget, procs=(fx, c1, c2))
    time.sleep(1)  # a request past the budget would come now
    pages = sum(v for k, v in hits(s).items() if k.startswith("/sm/p"))
    readers = [any('"sitemap read"' in line
                   for line in c.log_path.read_text(errors="replace").splitlines())
               for c in (c1, c2)]
    pipeline.stop_all()
    urls = [m for m in read_all(brokers, topics.urls)
            if m.value[:1] == b"{" and "/sm/p" in m.json()["url"]]
    assert len(urls) == n_maps * per_map, len(urls)  # the cleaners published all
    assert readers == [True, True], readers  # both processes read sitemaps
    assert pages == budget, pages


def test_hostile_sitemaps_bounded(brokers, topics, pipeline, sitemap_site):
    s = sitemap_site
    b = s.base
    lol = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    s.routes.update({
        # 64 MiB of zeros in 64 KiB: reading stops at the protocol's 50 MiB
        "/bomb.xml.gz": ("application/gzip",
                         gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)),
        "/entities.xml": ("application/xml", (
            f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY l0 "lol">{lol}]>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{b}/&l9;</loc></url></urlset>").encode()),
        "/self.xml": ("application/xml", sitemapindex(b, ["/self.xml"])),
    })
    fx = pipeline.fetcher()
    cx = pipeline.cleaner("--urls-topic", topics.urls, "--sitemap-max-depth", "3")
    msgs = [{"url": f"{b}{p}", "kind": "sitemap"}
            for p in ("/bomb.xml.gz", "/entities.xml", "/self.xml", "/nest/1.xml")]
    t0 = time.monotonic()
    publish(brokers, topics.urls, msgs)
    # the chain: /nest/1 (depth 0) .. /nest/4 (depth 3) fetched; 4 lists a
    # fifth at depth 4 > --sitemap-max-depth: dropped, the chain ends.
    wait_for(lambda: hits(s).get("/nest/4.xml") == 1, "/nest/4.xml fetched", (fx, cx))
    errs = consume(brokers, topics.errors, 2, procs=(fx, cx))
    recs = consume(brokers, topics.records, 5, procs=(fx, cx))
    assert time.monotonic() - t0 < CONSUME_DEADLINE
    pipeline.stop_all()

    by_url = {}
    for m in errs:
        e = check_error(m)
        assert e["stage"] == "cleaner", e
        by_url[e["url"]] = e["code"]
    assert by_url == {f"{b}/bomb.xml.gz": "too_large",
                      f"{b}/entities.xml": "parse_failed"}, by_url
    rec = {check_record(m)["url"]: check_record(m) for m in recs}
    assert set(rec) == {f"{b}/self.xml"} | {f"{b}/nest/{i}.xml" for i in range(1, 5)}
    assert rec[f"{b}/self.xml"]["sitemap"]["dropped"]["self"] == 1
    assert rec[f"{b}/self.xml"]["sitemap"]["published"] == 0
    assert rec[f"{b}/nest/4.xml"]["sitemap"]["dropped"]["over_depth"] == 1
    h = hits(s)
    assert "/nest/5.xml" not in h, h
    assert h.get("/self.xml") == 1, h


def test_sitemap_over_max_body_read_compressed(brokers, topics, pipeline, sitemap_site):
    """A sitemap larger than --max-body (the protocol allows 50 MiB) is
    kept gzip-compressed by the fetcher and read whole by the cleaner."""
    s = sitemap_site
    b = s.base
    pad = "y" * (1024 * 1024)
    entries = "".join(
        f"<url><loc>{b}/big/{i}</loc><image:image><image:loc>{b}/i{i}.png</image:loc>"
        f"<image:caption>{pad}</image:caption></image:image></url>\n" for i in range(3))
    body = ('<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">\n'
            f"{entries}</urlset>\n").encode()
    assert len(body) > 3 * 1024 * 1024
    s.routes["/big.xml"] = ("application/xml", body)
    fx = pipeline.fetcher("--max-body", "1M")
    cx = pipeline.cleaner("--urls-topic", topics.urls, "--max-body", "1M")
    publish(brokers, topics.urls, [{"url": f"{b}/big.xml", "kind": "sitemap"}])
    recs = consume(brokers, topics.records, 4, procs=(fx, cx))
    pipeline.stop_all()
    assert not read_all(brokers, topics.errors)
    rec = {check_record(m)["url"]: check_record(m) for m in recs}
    assert set(rec) == {f"{b}/big.xml"} | {f"{b}/big/{i}" for i in range(3)}, sorted(rec)
    sm = rec[f"{b}/big.xml"]["sitemap"]
    assert sm["bytes"] == len(body) and sm["published"] == 3, sm
    page = [m for m in read_all(brokers, topics.pages)
            if check_page(m)["url"] == f"{b}/big.xml"]
    assert len(page) == 1
    assert check_page(page[0])["body_encoding"] == "gzip"
    assert len(page[0].value) < 1024 * 1024
    assert gzip.decompress(page[0].value) == body


def test_x_robots_tag_values_passed_on(brokers, topics, pipeline, sitemap_site):
    """Every X-Robots-Tag value reaches the page, in order, none split at
    its commas, as one header (a JSON array)."""
    s = sitemap_site
    values = ["noindex", "kcrawl: nofollow",
              "unavailable_after: Friday, 25-Jun-2010 15:00:00 PST",
              "googlebot: noarchive, nosnippet"]
    s.routes["/xr.html"] = ("text/html", b"<title>x</title>",
                            [("X-Robots-Tag", v) for v in values])
    s.routes["/plain.html"] = ("text/html", b"<title>p</title>")
    fx = pipeline.fetcher()
    publish(brokers, topics.urls, [s.base + "/xr.html", s.base + "/plain.html"])
    got = consume(brokers, topics.pages, 2, procs=(fx,))
    pipeline.stop_all()
    heads = {h["url"]: h for h in (check_page(m) for m in got)}
    assert json.loads(heads[s.base + "/xr.html"]["x_robots_tag"]) == values
    assert "x_robots_tag" not in heads[s.base + "/plain.html"]


@pytest.mark.parametrize("respect", [False, True])
def test_tdm_reservation_header(brokers, topics, pipeline, sitemap_site, respect):
    """TDMRep headers reach the page; with --respect-tdm a reserved
    response ends as tdm_reserved instead (one outcome per URL)."""
    s = sitemap_site
    s.routes["/tdm-1.html"] = ("text/html", b"<title>r</title>",
                               [("tdm-reservation", " 1 "),
                                ("tdm-policy", "https://example.com/policy.json")])
    s.routes["/tdm-0.html"] = ("text/html", b"<title>o</title>",
                               [("tdm-reservation", "0")])
    s.routes["/tdm-none.html"] = ("text/html", b"<title>n</title>")
    fx = pipeline.fetcher(*(["--respect-tdm"] if respect else []))
    urls = [s.base + p for p in ("/tdm-1.html", "/tdm-0.html", "/tdm-none.html")]
    publish(brokers, topics.urls, urls)
    pages = consume(brokers, topics.pages, 2 if respect else 3, procs=(fx,))
    if respect:
        errs = consume(brokers, topics.errors, 1, procs=(fx,))
    pipeline.stop_all()
    heads = {h["url"]: h for h in (check_page(m) for m in pages)}
    if respect:
        assert set(heads) == set(urls[1:])
        e = check_error(errs[0])
        assert (e["code"], e["url"], e["stage"]) == ("tdm_reserved", urls[0], "fetcher")
        assert not [m for m in read_all(brokers, topics.pages)
                    if check_page(m)["url"] == urls[0]]
    else:
        assert heads[urls[0]]["tdm_reservation"] == "1"
        assert heads[urls[0]]["tdm_policy"] == "https://example.com/policy.json"
        assert not read_all(brokers, topics.errors)
    assert heads[urls[1]]["tdm_reservation"] == "0"
    assert "tdm_reservation" not in heads[urls[2]]


TDMREP = json.dumps([
    {"location": "/private/", "tdm-reservation": 1,
     "tdm-policy": "https://example.com/tdm-policy.json"},
    {"location": "/public/*", "tdm-reservation": 0},
]).encode()


def test_tdmrep_file(brokers, topics, pipeline, sitemap_site):
    """--tdm --respect-tdm: the host's /.well-known/tdmrep.json, read once,
    reserves /private/ (a tdm_reserved dead letter, never requested) and
    frees /public/ (a page whose record's tdm says false); a response's own
    tdm-reservation header wins over the file."""
    s = sitemap_site
    s.routes["/.well-known/tdmrep.json"] = ("application/json", TDMREP)
    s.routes["/public/h"] = ("text/html", b"<title>h</title><p>h",
                             [("tdm-reservation", "1")])
    fx = pipeline.fetcher("--tdm", "--respect-tdm")
    cl = pipeline.cleaner()
    private, public, other, header = (s.base + p for p in
                                      ("/private/x", "/public/y", "/other", "/public/h"))
    publish(brokers, topics.urls, [private, public, other, header])
    recs = consume(brokers, topics.records, 2, procs=(fx, cl))
    errs = consume(brokers, topics.errors, 2, procs=(fx, cl))
    pipeline.stop_all()
    rec = {check_record(m)["url"]: check_record(m) for m in recs}
    assert rec[public]["tdm"] == {"reserved": False, "policy": None}
    assert rec[other]["tdm"] == {"reserved": None, "policy": None}
    got = {(e["code"], e["url"], e["stage"]) for e in map(check_error, errs)}
    assert got == {("tdm_reserved", private, "fetcher"),
                   ("tdm_reserved", header, "fetcher")}, got
    assert s.hits.get("/private/x") is None  # refused before its request
    assert s.hits["/.well-known/tdmrep.json"] == 1
    pages = {check_page(m)["url"]: check_page(m) for m in read_all(brokers, topics.pages)}
    assert set(pages) == {public, other}
    assert pages[public]["tdm_reservation"] == "0"
    assert "tdm_reservation" not in pages[other]


def test_tdmrep_file_off(brokers, topics, pipeline, sitemap_site):
    """Without --tdm the file is never requested and says nothing."""
    s = sitemap_site
    s.routes["/.well-known/tdmrep.json"] = ("application/json", TDMREP)
    fx = pipeline.fetcher("--respect-tdm")
    publish(brokers, topics.urls, [s.base + "/private/x"])
    pages = consume(brokers, topics.pages, 1, procs=(fx,))
    pipeline.stop_all()
    assert "tdm_reservation" not in check_page(pages[0])
    assert "/.well-known/tdmrep.json" not in s.hits
