"""Step 1 of the microformats comparison on real pages: extruct 0.18.0's
microformat output for every page of ../shared/testdata/wcxb-dev and
article-benchmark whose bytes hold a class that may name a root, one JSON
file per page under build/mfcmp/out/<set>/<id>.json. Run with the venv's
python (extruct==0.18.0 pinned): build/venv/bin/python tests/bench/microformats_extruct.py"""
import gzip, json, os, sys, re
import extruct
T = "/work/shared/testdata"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "mfcmp", "out")
pages = []
for line in gzip.open(T + "/wcxb-dev/ground-truth.jsonl.gz", "rt"):
    r = json.loads(line)
    pages.append(("wcxb", r["id"], T + "/wcxb-dev/html/%s.html.gz" % r["id"], r["url"]))
gt = json.load(open(T + "/article-benchmark/ground-truth.json"))
for k, v in gt.items():
    pages.append(("article", k, T + "/article-benchmark/html/%s.html.gz" % k, v["url"]))
rx = re.compile(rb'class\s*=\s*["\']?[^"\'>]*\b(h-[a-z]|vcard|hentry|hfeed|vevent|hproduct|hreview|adr|geo|hrecipe|hresume)')
for s, i, path, url in pages:
    b = gzip.open(path).read()
    if not rx.search(b):
        continue
    os.makedirs(os.path.join(OUT, s), exist_ok=True)
    try:
        items = extruct.extract(b, base_url=url, syntaxes=["microformat"])["microformat"]
    except Exception as e:
        items = {"error": repr(e)}
    with open(os.path.join(OUT, s, i + ".json"), "w") as f:
        json.dump({"url": url, "path": path, "items": items}, f)
