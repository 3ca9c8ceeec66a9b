"""Several URL topics in one fetcher: --urls-topic takes a comma-separated
list or a ^regex (librdkafka's subscription syntax); every page names the
topic its URL came from (source_topic)."""
import uuid

import pytest

from conftest import consume, create_topics, delete_topics, publish
from fetcher_helpers import start_fetcher


@pytest.mark.parametrize("form", ["list", "regex"])
def test_several_url_topics(brokers, admin, topics, site, tmp_path, form):
    prefix = "j" + uuid.uuid4().hex[:10]
    jobs = [f"{prefix}.a.urls", f"{prefix}.b.urls"]
    create_topics(admin, jobs, brokers=brokers)
    try:
        urls = {jobs[0]: [site.url(f"page-0{i}.html?{prefix}a") for i in (1, 2, 3)],
                jobs[1]: [site.url(f"page-0{i}.html?{prefix}b") for i in (4, 5)]}
        for topic, batch in urls.items():
            publish(brokers, topic, batch)
        spec = ",".join(jobs) if form == "list" else rf"^{prefix}\.(a|b)\.urls$"
        fetcher = start_fetcher(brokers, topics, tmp_path, "--urls-topic", spec,
                                "--allow-private", "--host-rate", "50")
        try:
            pages = consume(brokers, topics.pages, 5, procs=(fetcher,))
        finally:
            fetcher.stop()
        got = {p.headers["url"]: p.headers["source_topic"] for p in pages}
        want = {u: t for t, batch in urls.items() for u in batch}
        assert got == want
    finally:
        delete_topics(admin, jobs)
