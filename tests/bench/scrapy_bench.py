"""Scrapy on the benchmark site: the baseline a Python user would pick.

    python3 scrapy_bench.py --urls FILE --concurrency N [--extract]

Fetches every URL of FILE (one per line) with Scrapy's defaults for a
crawl of sites one owns: CONCURRENT_REQUESTS and CONCURRENT_REQUESTS_PER_DOMAIN
= N, no robots.txt, no delay, no AutoThrottle, no cookies, logging at
WARNING. With --extract each response yields an item with the title and
every link resolved (response.css + response.urljoin), as a scraping spider
does; without it the body is only received. Items go nowhere (counted).
Prints one JSON object: {"pages", "items", "bytes", "seconds",
"cpu_seconds", "pages_per_s", "errors"}: seconds from the spider's opening
to the last response.
"""

import argparse
import json
import sys
import time

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess


class BenchSpider(scrapy.Spider):
    name = "bench"

    def __init__(self, urls, extract, stats, **kw):
        super().__init__(**kw)
        self.urls = urls
        self.extract = extract
        self.stats_out = stats

    def start_requests(self):
        for u in self.urls:
            yield scrapy.Request(u, callback=self.parse, errback=self.failed,
                                 dont_filter=True)

    def parse(self, response):
        s = self.stats_out
        s["pages"] += 1
        s["bytes"] += len(response.body)
        s["t_last"] = time.monotonic()
        if self.extract:
            s["items"] += 1
            yield {"url": response.url,
                   "title": response.css("title::text").get(),
                   "links": [response.urljoin(h) for h in response.css("a::attr(href)").getall()]}

    def failed(self, failure):
        self.stats_out["errors"] += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urls", required=True)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--extract", action="store_true")
    a = ap.parse_args()
    with open(a.urls) as f:
        urls = [line.strip() for line in f if line.strip()]
    stats = {"pages": 0, "items": 0, "bytes": 0, "errors": 0, "t0": None, "t_last": None}
    proc = CrawlerProcess(settings={
        "CONCURRENT_REQUESTS": a.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": a.concurrency,
        "CONCURRENT_REQUESTS_PER_IP": 0,
        "CONCURRENT_ITEMS": 100,
        "ROBOTSTXT_OBEY": False,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "RETRY_ENABLED": False,
        "REDIRECT_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "USER_AGENT": "kcrawl-bench-scrapy",
    })
    crawler = proc.create_crawler(BenchSpider)

    def opened(spider):
        stats["t0"] = time.monotonic()
    crawler.signals.connect(opened, signal=signals.spider_opened)
    c0 = time.process_time()
    proc.crawl(crawler, urls=urls, extract=a.extract, stats=stats)
    proc.start()
    c1 = time.process_time()
    secs = (stats["t_last"] or time.monotonic()) - (stats["t0"] or time.monotonic())
    json.dump({"pages": stats["pages"], "items": stats["items"], "bytes": stats["bytes"],
               "errors": stats["errors"], "seconds": secs, "cpu_seconds": c1 - c0,
               "pages_per_s": stats["pages"] / secs if secs > 0 else 0.0}, sys.stdout)
    print()
    return 0 if stats["pages"] == len(urls) else 1


if __name__ == "__main__":
    sys.exit(main())
