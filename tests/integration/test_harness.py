"""The harness itself, on the real broker, without the binaries: the schemas
are valid 2020-12 schemas that accept the design's examples and reject
violations; topics are created as asked; the URL helper partitions by
murmur2 of the host key; the test site serves its pages."""

import json
import urllib.error
import urllib.request

import jsonschema
import pytest

from conftest import (PARTITIONS, SITE_DIR, assert_valid, host_key, load_schema,
                      murmur2, murmur2_partition, publish, read_all, consume,
                      validator)

SCHEMAS = ["url", "page", "record", "error"]


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_valid_2020_12(name):
    s = load_schema(name)
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s.get("$id") and s.get("description")
    jsonschema.Draft202012Validator.check_schema(s)


def invalid(name, instance):
    return not validator(name).is_valid(instance)


def test_url_schema():
    assert_valid("url", {"url": "https://example.com/"})
    assert_valid("url", {"url": "http://a/", "depth": 0, "id": "x", "meta": {"k": [1]}})
    assert_valid("url", {"url": "http://a/", "meta": None})
    assert invalid("url", {"depth": 1})
    assert invalid("url", {"url": 5})
    assert invalid("url", {"url": "http://a/", "depth": -1})
    assert invalid("url", {"url": "http://a/", "depth": 1.5})
    assert invalid("url", {"url": "http://a/", "id": 7})
    assert invalid("url", {"url": "http://a/", "dpeth": 1})
    assert invalid("url", "http://a/")
    assert_valid("url", {"url": "http://a/", "recrawl": 86400})
    assert_valid("url", {"url": "http://a/", "recrawl": 0})
    assert_valid("url", {"url": "http://a/", "recrawl": False})
    assert invalid("url", {"url": "http://a/", "recrawl": True})
    assert invalid("url", {"url": "http://a/", "recrawl": -1})
    assert invalid("url", {"url": "http://a/", "recrawl": "1d"})
    assert invalid("url", {"url": "http://a/", "recrawl": 31622401})


PAGE = {"url": "http://a/", "final_url": "http://a/", "status": "200",
        "content_type": "text/html", "fetched_at": "2025-01-31T12:34:56.789Z",
        "elapsed_ms": "12", "attempts": "1", "source_topic": "crawl.urls"}


def test_page_schema():
    assert_valid("page", PAGE)
    assert_valid("page", {**PAGE, "depth": "2", "id": "x", "meta": '{"a":1}'})
    assert_valid("page", {"url": "u", "status": "404", "fetched_at": "2025-01-31T12:34:56.000Z"})
    for k in ("url", "status", "fetched_at"):
        assert invalid("page", {x: v for x, v in PAGE.items() if x != k}), k
    assert invalid("page", {**PAGE, "status": 200})
    assert invalid("page", {**PAGE, "status": "2OO"})
    assert invalid("page", {**PAGE, "elapsed_ms": "-1"})
    assert invalid("page", {**PAGE, "attempts": "0"})
    assert invalid("page", {**PAGE, "depth": "1.0"})
    assert invalid("page", {**PAGE, "fetched_at": "2025-01-31T12:34:56Z"})
    assert invalid("page", {**PAGE, "fetched_at": "2025-01-31T12:34:56.789+01:00"})
    assert invalid("page", {**PAGE, "x-extra": 1})


RECORD = {"url": "http://a/", "final_url": "http://a/", "status": 200,
          "fetched_at": "2025-01-31T12:34:56.789Z", "content_type": None,
          "source_topic": "crawl.urls", "title": "T", "description": None,
          "canonical": None, "lang": "en",
          "headings": [{"level": 1, "text": "H"}], "text": "H body", "word_count": 2,
          "links": [{"url": "https://b/x", "text": "x", "rel": None}],
          "images": [{"src": "http://a/i.png", "alt": None}],
          "opengraph": {"og:title": "T"}, "json_ld": [{"@type": "Thing"}],
          "json_ld_errors": 0, "meta_robots": None, "id": "i", "meta": [1],
          "depth": 0, "fields": {"price": "3"}, "later_field": True}


def test_record_schema():
    assert_valid("record", RECORD)
    assert_valid("record", {k: RECORD[k] for k in ("url", "final_url", "status", "fetched_at")})
    for k in ("url", "final_url", "status", "fetched_at"):
        assert invalid("record", {x: v for x, v in RECORD.items() if x != k}), k
    assert invalid("record", {**RECORD, "status": "200"})
    assert invalid("record", {**RECORD, "headings": [{"level": 7, "text": "H"}]})
    assert invalid("record", {**RECORD, "links": [{"url": "/relative", "text": "", "rel": None}]})
    assert invalid("record", {**RECORD, "links": [{"url": "mailto:a@b", "text": "", "rel": None}]})
    assert invalid("record", {**RECORD, "links": [{"url": "http://b/"}]})
    assert invalid("record", {**RECORD, "json_ld": "[]"})
    assert invalid("record", {**RECORD, "json_ld_errors": -1})
    assert invalid("record", {**RECORD, "depth": "0"})
    assert invalid("record", {**RECORD, "title": 5})
    assert invalid("record", {**RECORD, "fields": []})


ERROR = {"stage": "fetcher", "code": "connect_failed", "message": "refused",
         "url": "http://127.0.0.1:1/", "topic": "crawl.urls", "partition": 0,
         "offset": 5, "at": "2025-01-31T12:34:56.789Z", "attempts": 3,
         "input": "http://127.0.0.1:1/"}


def test_error_schema():
    assert_valid("error", ERROR)
    assert_valid("error", {k: ERROR[k] for k in ("stage", "code", "message", "at")})
    b64 = {k: v for k, v in ERROR.items() if k != "input"}
    assert_valid("error", {**b64, "input_base64": "/w==", "input_truncated": True})
    for k in ("stage", "code", "message", "at"):
        assert invalid("error", {x: v for x, v in ERROR.items() if x != k}), k
    assert invalid("error", {k: v for k, v in ERROR.items() if k != "input"})   # input known
    assert invalid("error", {**ERROR, "input_base64": "aA=="})                  # both
    assert invalid("error", {**b64, "input_base64": "not base64!"})
    assert invalid("error", {"stage": "fetcher", "code": "x", "message": "m",
                             "at": ERROR["at"], "input_truncated": True})
    assert invalid("error", {**ERROR, "stage": "router"})
    assert invalid("error", {**ERROR, "code": "ConnectFailed"})
    assert invalid("error", {**ERROR, "partition": "0"})
    assert invalid("error", {**ERROR, "offset": -1})
    assert invalid("error", {**ERROR, "proxy": "http://user:pw@proxy:3128"})
    assert_valid("error", {**ERROR, "proxy": "http://proxy:3128"})
    assert invalid("error", {**ERROR, "at": "yesterday"})


def test_topics_created(admin, topics):
    md = admin.list_topics(timeout=10)
    for name in topics.all():
        assert name in md.topics
        assert len(md.topics[name].partitions) == PARTITIONS


def test_auto_creation_is_off(brokers):
    # Producing to a topic that does not exist must fail, not create it.
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": brokers, "message.timeout.ms": 3000})
    errs = []
    p.produce("tnosuchtopic.urls", b"x", on_delivery=lambda e, m: errs.append(e))
    p.flush(10)
    assert len(errs) == 1 and errs[0] is not None


def test_murmur2_matches_kafka():
    # Kafka's Java murmur2 results, as librdkafka's rdmurmur2.c unit test
    # lists them (java_murmur2_results).
    vectors = {b"kafka": 0xD067CF64, b"giberish123456789": 0x8F552B0C,
               b"1234": 0x9FC97B14, b"234": 0xE7C009CA, b"34": 0x873930DA,
               b"4": 0x5A4B5CA1,
               b"PreAmbleWillBeRemoved,ThePrePartThatIs": 0x78424F1C,
               b"reAmbleWillBeRemoved,ThePrePartThatIs": 0x4A62B377,
               b"eAmbleWillBeRemoved,ThePrePartThatIs": 0xE0E4E09E,
               b"AmbleWillBeRemoved,ThePrePartThatIs": 0x62B8B43F,
               b"": 0x106E08D9}
    for k, want in vectors.items():
        assert murmur2(k) == want, k


def test_publish_partitions_by_host_key(brokers, topics):
    urls = [f"http://host{i}.example/page" for i in range(12)] + ["HTTP://Host0.Example:80/x",
                                                                  "http://host1.example:8080/"]
    pub = publish(brokers, topics.urls, urls + [{"url": "http://host2.example/", "id": "a"}])
    assert [p.key for p in pub[-3:]] == ["host0.example", "host1.example:8080", "host2.example"]
    for p in pub:
        assert p.partition == murmur2_partition(p.key.encode(), PARTITIONS), p
    got = read_all(brokers, topics.urls)
    assert len(got) == len(pub)
    assert sorted(m.value.decode() for m in got) == sorted(
        p.value if isinstance(p.value, str) else p.value.decode() for p in pub)
    assert len(consume(brokers, topics.urls, len(pub), deadline=30)) == len(pub)


def test_host_key():
    assert host_key("http://WWW.Example.COM./a") == "www.example.com"
    assert host_key("https://example.org:8443/") == "example.org:8443"
    assert host_key("https://example.org:443/") == "example.org"
    assert host_key("http://127.0.0.1:8080/") == "127.0.0.1:8080"


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def test_site_serves(site):
    status, ctype, body = fetch(site.url("/index.html"))
    assert status == 200 and ctype.startswith("text/html")
    assert body == (SITE_DIR / "index.html").read_bytes()
    assert body.count(b'<a href="page-') == 20
    for i in range(1, 21):
        status, _, body = fetch(site.url(f"/page-{i:02d}.html"))
        assert status == 200
        assert b"<title>" in body and b'name="description"' in body
        assert b"application/ld+json" in body
    assert fetch(site.url("/missing.html"))[0] == 404
    assert fetch(site.url("/status/503"))[0] == 503
    assert fetch(site.url("/robots.txt"))[0] == 200
    status, _, body = fetch(site.url("/redirect/page-03.html"))
    assert status == 200 and body == (SITE_DIR / "page-03.html").read_bytes()
    assert site.hits.get("/redirect/page-03.html") == 1


def test_site_json_ld_blocks_parse():
    for i in range(1, 21):
        html = (SITE_DIR / f"page-{i:02d}.html").read_text()
        block = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
        assert json.loads(block)["position"] == i
