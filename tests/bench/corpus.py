"""Deterministic benchmark corpus: realistic HTML pages from a seed.

    python3 corpus.py DIR [--pages N] [--big M] [--seed S]

Writes DIR/page-NNNN.html (about 30 KB each: a head with meta tags,
OpenGraph and a JSON-LD block, a navigation bar, an article of headings and
paragraphs with inline links and images, a footer), DIR/big-NN.html (about
300 KB each: the same shape, ten times the article), DIR/robots.txt and
DIR/manifest.json (file names and sizes, in order). The same seed gives the
same bytes on every machine (Python's random.Random is specified to be
reproducible for a given seed and version 2 seeding).
"""

import argparse
import json
import os
import random

SYLLABLES = ("ka ri to me sa lo vi ne du pa ter ion al en ro ma li ta co re "
             "na tu si mo ga de bi la fo ru ca pe ni ve so mi").split()
# A few non-ASCII words, as real pages have (the cleaner validates UTF-8).
EXTRA = ["café", "naïve", "Zürich", "façade", "smörgåsbord", "résumé",
         "São", "Ångström", "jalapeño", "crème"]


class Words:
    def __init__(self, rng, n=4000):
        seen = set()
        self.words = []
        while len(self.words) < n:
            w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))
            if w not in seen:
                seen.add(w)
                self.words.append(w)
        self.words += EXTRA
        # Zipf-like weights: a few words are common, most are rare.
        self.cum = []
        acc = 0.0
        for i in range(len(self.words)):
            acc += 1.0 / (i + 1)
            self.cum.append(acc)
        self.rng = rng

    def some(self, n):
        return self.rng.choices(self.words, cum_weights=self.cum, k=n)

    def sentence(self, lo=6, hi=18):
        ws = self.some(self.rng.randint(lo, hi))
        ws[0] = ws[0].capitalize()
        return " ".join(ws) + "."

    def title(self, lo=2, hi=6):
        return " ".join(w.capitalize() for w in self.some(self.rng.randint(lo, hi)))


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def page(rng, words, idx, name, npages, target):
    """One page of about `target` bytes."""
    title = words.title()
    desc = words.sentence(12, 24)
    slug = name.rsplit(".", 1)[0]
    out = []
    size = [0]

    def w(s):
        out.append(s)
        size[0] += len(s)
    w("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
    w(f"<title>{esc(title)} | Bench Site</title>\n")
    w(f"<meta name=\"description\" content=\"{esc(desc)}\">\n")
    w("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
    w("<meta name=\"robots\" content=\"index, follow\">\n")
    w(f"<link rel=\"canonical\" href=\"/{name}\">\n")
    w("<link rel=\"stylesheet\" href=\"/static/site.css\">\n")
    w(f"<meta property=\"og:title\" content=\"{esc(title)}\">\n")
    w(f"<meta property=\"og:description\" content=\"{esc(desc)}\">\n")
    w("<meta property=\"og:type\" content=\"article\">\n")
    w(f"<meta property=\"og:image\" content=\"/img/{slug}-cover.jpg\">\n")
    ld = {"@context": "https://schema.org", "@type": "Article",
          "headline": title, "description": desc,
          "author": {"@type": "Person", "name": words.title(2, 3)},
          "datePublished": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
          "keywords": words.some(6)}
    w("<script type=\"application/ld+json\">" + json.dumps(ld, ensure_ascii=False)
      + "</script>\n")
    w("<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
      "</script>\n<style>body{font-family:sans-serif}nav a{margin:0 .5em}</style>\n")
    w("</head>\n<body>\n<header><nav class=\"top\"><ul>\n")
    for _ in range(40):
        j = rng.randrange(npages)
        w(f"<li><a href=\"/page-{j:04d}.html\">{esc(words.title(1, 3))}</a></li>\n")
    w("</ul></nav></header>\n<main><article>\n")
    w(f"<h1>{esc(title)}</h1>\n")
    section = 0
    while size[0] < target - 2500:
        if rng.random() < 0.18:
            section += 1
            w(f"<h2 id=\"s{section}\">{esc(words.title())}</h2>\n")
        if rng.random() < 0.08:
            w(f"<figure><img src=\"/img/{slug}-{section}.png\" alt=\"{esc(words.title(2, 4))}\" "
              f"width=\"640\" height=\"360\"><figcaption>{esc(words.sentence(4, 8))}</figcaption>"
              "</figure>\n")
        parts = []
        for _ in range(rng.randint(2, 6)):
            s = esc(words.sentence())
            if rng.random() < 0.35:
                j = rng.randrange(npages)
                href = (f"/page-{j:04d}.html" if rng.random() < 0.8
                        else f"https://ext{rng.randrange(50)}.example/{words.some(1)[0]}")
                cut = s.find(" ", len(s) // 2)
                if cut > 0:
                    s = (s[:cut] + f" <a href=\"{href}\">{esc(' '.join(words.some(2)))}</a>"
                         + s[cut:])
            if rng.random() < 0.1:
                s = f"<strong>{s}</strong>"
            parts.append(s)
        w("<p>" + " ".join(parts) + "</p>\n")
    w("</article></main>\n<footer><ul>\n")
    for k in range(12):
        w(f"<li><a href=\"/about-{k}.html\" rel=\"nofollow\">{esc(words.title(1, 2))}</a></li>\n")
    w(f"</ul><p>&copy; 2024 Bench Site, page {idx}.</p></footer>\n</body>\n</html>\n")
    return "".join(out)


def generate(d, pages=1000, big=10, seed=20240601, size=30_000, big_size=300_000):
    rng = random.Random(seed)
    words = Words(rng)
    os.makedirs(d, exist_ok=True)
    manifest = []
    specs = [(f"page-{i:04d}.html", size) for i in range(pages)]
    specs += [(f"big-{i:02d}.html", big_size) for i in range(big)]
    for idx, (name, target) in enumerate(specs):
        html = page(rng, words, idx, name, pages, target).encode("utf-8")
        with open(os.path.join(d, name), "wb") as f:
            f.write(html)
        manifest.append({"name": name, "bytes": len(html)})
    with open(os.path.join(d, "robots.txt"), "w") as f:
        f.write("User-agent: *\nAllow: /\n")
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"seed": seed, "files": manifest}, f)
    return manifest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--big", type=int, default=10)
    ap.add_argument("--seed", type=int, default=20240601)
    a = ap.parse_args()
    m = generate(a.dir, a.pages, a.big, a.seed)
    total = sum(x["bytes"] for x in m)
    print(f"{len(m)} files, {total / 1e6:.1f} MB in {a.dir}")


if __name__ == "__main__":
    main()
