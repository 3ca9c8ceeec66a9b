"""Step 2: the cleaner's microformats (build/structured_dump --record, each
page with its URL as base) against the stored extruct output: counts of
exact matches (JSON equality); the differing files go to
build/mfcmp/differ.txt. python3 tests/bench/microformats_compare.py"""
import gzip, json, os, subprocess, sys, tempfile, glob, collections
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "mfcmp")
DUMP = os.path.join(HERE, "..", "structured_dump")
tmp = os.environ.get("TMPDIR", "/tmp")
res = collections.Counter(); bad = []
for f in sorted(glob.glob(os.path.join(HERE, "out", "*", "*.json"))):
    d = json.load(open(f))
    d["url"] = d["url"] or "about:blank"
    if isinstance(d["items"], dict):
        res["extruct-error"] += 1; continue
    with tempfile.NamedTemporaryFile(dir=tmp, suffix=".html") as t:
        t.write(gzip.open(d["path"]).read()); t.flush()
        out = subprocess.run([DUMP, "--record", t.name, d["url"]], capture_output=True, timeout=120)
    try:
        rec = json.loads(out.stdout)
    except Exception:
        res["crash"] += 1; bad.append(f); continue
    mine = rec.get("microformats", [])
    set_ = f.split("/")[-2]
    nonempty = bool(d["items"])
    key = (set_, "with-items" if nonempty else "empty")
    if mine == d["items"]:
        res[key + ("match",)] += 1
    else:
        res[key + ("differ",)] += 1; bad.append(f)
for k, v in sorted(res.items(), key=str): print(k, v)
with open(os.path.join(HERE, "differ.txt"), "w") as o:
    o.write("\n".join(bad) + "\n")
