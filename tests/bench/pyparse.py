"""The Python parsers a user would otherwise pick, on the benchmark corpus.

    python3 pyparse.py --mode lxml|lxml-urljoin|bs4|bs4-lxml --seconds S FILE...

Loads the files into memory, then parses them round-robin on one thread
for at least S CPU seconds:
  lxml      lxml.html bare parse + links: //title and every <a href>
            ("parse + links")
  lxml-urljoin  the same, each href resolved against the page's URL with
            urllib.parse.urljoin, as a scraper must
  bs4       BeautifulSoup with Python's html.parser doing the extraction a
            scraper does: title, description, canonical, lang, headings,
            links (resolved, with text and rel), images, visible text and
            word count
  bs4-lxml  the same extraction with BeautifulSoup on lxml's parser
Prints one JSON object: {"mode", "pages", "bytes", "cpu_seconds",
"seconds", "pages_per_s", "links"}; pages_per_s is per CPU second.
"""

import argparse
import json
import sys
import time
from urllib.parse import urljoin

BASE = "http://bench.test/"


def lxml_links(data, url):
    import lxml.html
    doc = lxml.html.document_fromstring(data)
    doc.findtext(".//title")
    return len(doc.xpath("//a/@href"))


def lxml_links_resolved(data, url):
    import lxml.html
    doc = lxml.html.document_fromstring(data)
    doc.findtext(".//title")
    links = [urljoin(url, h) for h in doc.xpath("//a/@href")]
    return len(links)


def bs4_extract(data, url, parser):
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(data, parser)
    rec = {"title": soup.title.get_text(strip=True) if soup.title else None}
    d = soup.find("meta", attrs={"name": "description"})
    rec["description"] = d.get("content") if d else None
    c = soup.find("link", rel="canonical")
    rec["canonical"] = urljoin(url, c["href"]) if c and c.get("href") else None
    rec["lang"] = soup.html.get("lang") if soup.html else None
    rec["headings"] = [{"level": int(h.name[1]), "text": h.get_text(" ", strip=True)}
                       for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
    rec["links"] = [{"url": urljoin(url, a["href"]), "text": a.get_text(" ", strip=True),
                     "rel": " ".join(a.get("rel") or [])}
                    for a in soup.find_all("a", href=True)]
    rec["images"] = [{"src": urljoin(url, i["src"]), "alt": i.get("alt", "")}
                     for i in soup.find_all("img", src=True)]
    for s in soup(["script", "style"]):
        s.extract()
    body = soup.body or soup
    rec["text"] = body.get_text(" ", strip=True)
    rec["word_count"] = len(rec["text"].split())
    return len(rec["links"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("lxml", "lxml-urljoin", "bs4", "bs4-lxml"), required=True)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    pages = []
    for f in a.files:
        with open(f, "rb") as fh:
            pages.append((BASE + f.rsplit("/", 1)[-1], fh.read()))
    if a.mode == "lxml":
        fn = lxml_links
    elif a.mode == "lxml-urljoin":
        fn = lxml_links_resolved
    elif a.mode == "bs4":
        def fn(d, u):
            return bs4_extract(d, u, "html.parser")
    else:
        def fn(d, u):
            return bs4_extract(d, u, "lxml")
    done = nbytes = links = 0
    t0, c0 = time.monotonic(), time.process_time()
    while True:
        for url, data in pages:
            links += fn(data, url)
            done += 1
            nbytes += len(data)
        c1 = time.process_time()
        if c1 - c0 >= a.seconds:
            break
    t1 = time.monotonic()
    json.dump({"mode": a.mode, "pages": done, "bytes": nbytes, "cpu_seconds": c1 - c0,
               "seconds": t1 - t0, "pages_per_s": done / (c1 - c0), "links": links},
              sys.stdout)
    print()


if __name__ == "__main__":
    main()
