#!/usr/bin/env python3
"""sitemap_eval.py — `make sitemap-eval`: the URLs the cleaner's sitemap
reader finds in a folder of sitemaps and feeds, against what reference
parsers from PyPI find in the same files.

    sitemap_eval.py --dump BUILD/bench/sitemap_dump [--out FILE]
                    [--min-agreement F] [DIR]

DIR (default: $SITEMAP_EVAL_DIR, else tests/data/sitemaps) holds the
files, any names; gzip-compressed ones are read as they are by the
cleaner and inflated here for the references. An optional DIR/MANIFEST.tsv
gives each file's URL ("FILE<TAB>URL" a line; relative Atom links resolve
against it); a file it does not name is taken to be at
https://sitemap-eval.invalid/FILE, a host no sitemap lists.

The references, pinned in tests/bench/sitemap-eval-requirements.txt:
  - ultimate-sitemap-parser (usp), the sitemap library of Python crawlers:
    every file (urlset, sitemapindex, text, RSS, Atom);
  - feedparser, the reference feed reader: RSS and Atom files, each
    entry's `link` (its alternate link).
Both sides' URLs are put in one form before they are compared — the
cleaner's own WHATWG serialisation, fragment removed (sitemap_dump
--normalise) — so that what is compared is what each parser found, not
how it spells a URL. Per file: the URLs both found, only the cleaner,
only the reference; overall agreement = |both| / |union| over all files
(a micro-averaged Jaccard index). The cleaner applies no scope rule here
(sitemap_dump: any host), as the references apply none.

A file *agrees* when the cleaner found exactly the URLs of at least one
reference that reads its format (usp doesn't read RSS 1.0, for one).
Exit status 1 when a file disagrees with every reference and --strict is
on (the default for the default folder, whose files were written for
this: a test), or when the agreement with usp is under --min-agreement
(default 0: for a held-out folder the result is a report).
"""

import argparse
import gzip
import html
import json
import logging
import os
import pathlib
import subprocess
import sys
import warnings
from importlib import metadata

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / "tests" / "data" / "sitemaps"
DEFAULT_BASE = "https://sitemap-eval.invalid/"


def ours(dump, path, url):
    """(set of URLs, statistics) the cleaner's reader finds in path."""
    r = subprocess.run([dump, str(path), url], capture_output=True, timeout=300)
    if r.returncode not in (0,):
        raise RuntimeError(f"sitemap_dump {path}: exit {r.returncode}: "
                           f"{r.stderr.decode(errors='replace')}")
    lines = r.stdout.decode("utf-8", errors="replace").split("\n")
    stats = {}
    urls = set()
    for line in lines:
        if line.startswith("#"):
            stats = json.loads(line[1:])
        elif line:
            urls.add(line)
    return urls, stats


def normalise(dump, urls):
    """The URLs in the cleaner's form; those that are no http(s) URL are
    left out (the cleaner drops them too, counted as invalid_url)."""
    urls = [u.replace("\r", " ").replace("\n", " ").strip() for u in urls]
    if not urls:
        return set()
    r = subprocess.run([dump, "--normalise"], input="\n".join(urls).encode() + b"\n",
                       capture_output=True, timeout=300, check=True)
    out = r.stdout.decode("utf-8", errors="replace").split("\n")
    return {u for u in out if u}


def text_of(raw):
    """The file's text as the references want it: inflated, decoded."""
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    for enc in ("utf-8-sig", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def usp_urls(url, text):
    """The page URLs (or, for an index, the sitemap URLs) usp finds."""
    from usp.fetch_parse import SitemapFetcher
    from usp.objects.sitemap import AbstractIndexSitemap, InvalidSitemap
    from usp.web_client.abstract_client import (LocalWebClient,
                                                LocalWebClientSuccessResponse)

    class Fetcher(SitemapFetcher):
        """usp's own SitemapStrParser, with the file's URL instead of a
        dummy one (relative links, robots.txt detection)."""

        def __init__(self, u, content):
            super().__init__(url=u, recursion_level=0, web_client=LocalWebClient())
            self._content = content

        def _fetch(self):
            return LocalWebClientSuccessResponse(url=self._url, data=self._content)

    sm = Fetcher(url, text).sitemap()
    if isinstance(sm, InvalidSitemap):
        return set(), "InvalidSitemap"
    if isinstance(sm, AbstractIndexSitemap):
        return {s.url for s in sm.sub_sitemaps}, type(sm).__name__
    return {p.url for p in sm.pages}, type(sm).__name__


def feedparser_urls(url, text):
    import feedparser
    d = feedparser.parse(text, response_headers={"content-location": url})
    found = set()
    for e in d.entries:
        link = e.get("link")
        if link:
            found.add(html.unescape(link))
    return found, d.get("version") or "?"


def manifest(folder):
    m = {}
    p = folder / "MANIFEST.tsv"
    if p.exists():
        for line in p.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                name, u = line.split("\t", 1)
                m[name.strip()] = u.strip()
    return m


def compare(a, b):
    return len(a & b), len(a - b), len(b - a)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dump", required=True, help="build/bench/sitemap_dump")
    ap.add_argument("--out", help="write the Markdown report here too")
    ap.add_argument("--min-agreement", type=float, default=0.0)
    ap.add_argument("--strict", action="store_true", default=None)
    ap.add_argument("--show", type=int, default=5,
                    help="differing URLs listed per file (default 5)")
    ap.add_argument("dir", nargs="?", default=os.environ.get("SITEMAP_EVAL_DIR"))
    args = ap.parse_args()
    # The references' own logs and date warnings are not the report.
    logging.getLogger("usp").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")
    folder = pathlib.Path(args.dir) if args.dir else DEFAULT_DIR
    default_folder = folder.resolve() == DEFAULT_DIR.resolve()
    strict = default_folder if args.strict is None else args.strict
    names = manifest(folder)
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.name not in ("MANIFEST.tsv", "README.md"))
    if not files:
        sys.exit(f"sitemap_eval: no files in {folder}")

    rows, diffs, disagree = [], [], []
    tot = {"usp": [0, 0, 0], "feedparser": [0, 0, 0]}
    for path in files:
        url = names.get(path.name, DEFAULT_BASE + path.name)
        mine, st = ours(args.dump, path, url)
        text = text_of(path.read_bytes())
        try:
            ref, kind = usp_urls(url, text)
        except Exception as e:  # a reference that fails is reported, not fatal
            ref, kind = set(), f"usp error: {type(e).__name__}"
        ref = normalise(args.dump, ref)
        b, o, r = compare(mine, ref)
        for i, v in enumerate((b, o, r)):
            tot["usp"][i] += v
        fp = ""
        agrees = not (o or r)
        if st.get("format") in ("rss", "atom"):
            fref, fver = feedparser_urls(url, text)
            fref = normalise(args.dump, fref)
            fb, fo, fr = compare(mine, fref)
            for i, v in enumerate((fb, fo, fr)):
                tot["feedparser"][i] += v
            fp = f"{fb} / {fo} / {fr}"
            agrees = agrees or not (fo or fr)
            if fo or fr:
                diffs.append((path.name, "feedparser", sorted(mine - fref),
                              sorted(fref - mine)))
        if o or r:
            diffs.append((path.name, "usp", sorted(mine - ref), sorted(ref - mine)))
        if not agrees:
            disagree.append(path.name)
        rows.append((path.name, st.get("format", "?"), "yes" if st.get("gzip") else "",
                     len(mine), kind, f"{b} / {o} / {r}", fp,
                     st.get("invalid_url", 0) + st.get("not_http", 0),
                     "yes" if st.get("malformed") else "", "yes" if agrees else "**no**"))

    def agreement(t):
        union = sum(t)
        return t[0] / union if union else 1.0

    vers = {p: metadata.version(p) for p in ("ultimate-sitemap-parser", "feedparser")}
    out = ["# Sitemap and feed parsing: the cleaner against reference parsers", "",
           f"Folder: `{os.path.relpath(folder, ROOT) if default_folder else folder}` "
           f"({len(files)} files). References: ultimate-sitemap-parser "
           f"{vers['ultimate-sitemap-parser']} (all files), feedparser "
           f"{vers['feedparser']} (RSS and Atom). Written by `make sitemap-eval` "
           "(tests/bench/sitemap_eval.py).", "",
           "Each cell *both / cleaner only / reference only* counts URLs, both "
           "sides in the cleaner's URL form (WHATWG serialisation, no fragment).", "",
           "| file | format | gzip | cleaner URLs | usp read it as | vs usp | vs feedparser "
           "| cleaner dropped (not a URL) | malformed | agrees |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        out.append("| " + " | ".join(str(c) for c in row) + " |")
    out += ["",
            f"**Files agreeing with a reference: {len(files) - len(disagree)} of "
            f"{len(files)}.**", "",
            f"**Agreement with usp: {agreement(tot['usp']):.4f}** "
            f"({tot['usp'][0]} URLs both, {tot['usp'][1]} cleaner only, "
            f"{tot['usp'][2]} usp only).", ""]
    if sum(tot["feedparser"]):
        out += [f"**Agreement with feedparser (feeds): {agreement(tot['feedparser']):.4f}** "
                f"({tot['feedparser'][0]} both, {tot['feedparser'][1]} cleaner only, "
                f"{tot['feedparser'][2]} feedparser only).", ""]
    if diffs:
        out += ["## Differences", ""]
        for name, who, only_mine, only_ref in diffs:
            out.append(f"- `{name}` vs {who}: cleaner only "
                       f"{only_mine[:args.show]}{' …' if len(only_mine) > args.show else ''}; "
                       f"{who} only {only_ref[:args.show]}"
                       f"{' …' if len(only_ref) > args.show else ''}")
        out.append("")
    report = "\n".join(out)
    print(report)
    if args.out:
        pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(args.out).write_text(report)
    a = agreement(tot["usp"])
    rc = 0
    if a < args.min_agreement:
        print(f"sitemap_eval: agreement with usp {a:.4f} under {args.min_agreement}",
              file=sys.stderr)
        rc = 1
    if strict and disagree:
        print(f"sitemap_eval: no reference agrees on {', '.join(disagree)}",
              file=sys.stderr)
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
