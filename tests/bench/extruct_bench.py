"""extruct on the same pages as extract_bench, in-process, CPU time.

    extruct_bench.py --seconds S FILE...

Runs extruct.extract() (every syntax it has: json-ld, microdata,
opengraph, microformat, rdfa, dublincore; errors="ignore") on the files
round-robin for at least S CPU seconds of the process and prints one JSON
object like extract_bench's: {"mode", "pages", "cpu_seconds",
"pages_per_s"}. Meant for extruct 0.18.0 in a virtual environment
(python -m venv build/extruct-venv; build/extruct-venv/bin/pip install
extruct==0.18.0).
"""

import argparse
import json
import time

import extruct


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    pages = []
    for path in args.files:
        with open(path, "rb") as f:
            pages.append(f.read())
    done = 0
    t0 = time.process_time()
    while time.process_time() - t0 < args.seconds:
        for html in pages:
            extruct.extract(html, base_url="http://bench.test/page.html",
                            errors="ignore")
            done += 1
    cpu = time.process_time() - t0
    print(json.dumps({"mode": "extruct", "pages": done,
                      "cpu_seconds": round(cpu, 4),
                      "pages_per_s": round(done / cpu, 1)}))


if __name__ == "__main__":
    main()
