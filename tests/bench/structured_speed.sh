#!/usr/bin/env bash
# tests/bench/structured_speed.sh — the cleaner's extraction (every
# structured-data syntax on) against extruct 0.18.0 on the same pages, in
# one run: extruct's own test samples and wcxb-dev's product pages.
#
#   tests/bench/structured_speed.sh [SECONDS]
#
# Both in-process, CPU time: build/bench/extract_bench (extract_record(),
# the records freed) and tests/bench/extruct_bench.py (extruct.extract(),
# every syntax) in a virtual environment build/extruct-venv, created with
# extruct pinned to 0.18.0 when missing. Prints pages per CPU second of
# each and the ratio.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
SECONDS_EACH=${1:-10}
BUILD=${KCRAWL_BUILD:-build}
DATA=${KCRAWL_TESTDATA:-$ROOT/../../shared/testdata}
[[ -d $DATA ]] || DATA=/work/shared/testdata
VENV=$BUILD/extruct-venv
if [[ ! -x $VENV/bin/python ]]; then
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q extruct==0.18.0
fi
make -s BUILD="$BUILD" "$BUILD/bench/extract_bench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/samples" "$work/products"
i=0
while IFS= read -r -d '' f; do
        i=$((i + 1))
        cp "$f" "$work/samples/s$i.html"
done < <(find "$DATA/extruct-samples/samples" -name '*.html' -print0 | sort -z)
python3 - "$DATA/wcxb-dev" "$work/products" <<'PY'
import gzip, json, os, sys
src, dst = sys.argv[1], sys.argv[2]
with gzip.open(os.path.join(src, "ground-truth.jsonl.gz"), "rt") as f:
    for line in f:
        row = json.loads(line)
        if row["page_type"] == "product":
            with gzip.open(os.path.join(src, "html", row["id"] + ".html.gz")) as g:
                open(os.path.join(dst, row["id"] + ".html"), "wb").write(g.read())
PY
printf '| pages | files | kcrawl pages/CPU s | extruct pages/CPU s | ratio |\n|---|---|---|---|---|\n'
for set in samples products; do
        k=$("$BUILD/bench/extract_bench" --seconds "$SECONDS_EACH" "$work/$set"/*.html |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["pages_per_s"])')
        e=$("$VENV/bin/python" tests/bench/extruct_bench.py --seconds "$SECONDS_EACH" \
                "$work/$set"/*.html 2>/dev/null |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["pages_per_s"])')
        n=$(ls "$work/$set" | wc -l)
        printf '| %s | %s | %s | %s | %.0fx |\n' "$set" "$n" "$k" "$e" \
                "$(python3 -c "print($k / $e)")"
done
