#!/usr/bin/env bash
# tests/bench/record_identity.sh — are the records of a build byte for byte
# those of another? For refactorings and speed work that must not change
# any record.
#
#   tests/bench/record_identity.sh save DIR    # this build's records -> DIR
#   tests/bench/record_identity.sh check DIR   # this build's against DIR
#
# Every page of the two evaluation sets (article-benchmark, wcxb-dev, in
# KCRAWL_TESTDATA) through build/bench/extract_dump: each page twice (with
# and without a charset in the headers), with the links it follows
# (--links), and the article set once more with --tree (the path a page
# with rules takes). check cmp's every file and prints the first page that
# differs. Takes some 45 s of CPU.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${KCRAWL_BUILD:-$ROOT/build}
DATA=${KCRAWL_TESTDATA:-$ROOT/../../shared/testdata}
[[ -d $DATA ]] || DATA=/work/shared/testdata
mode=${1:-}
dir=${2:-}
if [[ ($mode != save && $mode != check) || -z $dir ]]; then
        echo "usage: $0 save|check DIR" >&2
        exit 2
fi
make -s -C "$ROOT" BUILD="$BUILD" "$BUILD/bench/extract_dump"
out=$dir
if [[ $mode == check ]]; then
        out=$(mktemp -d)
        trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
dump=$BUILD/bench/extract_dump
"$dump" --links "$DATA"/article-benchmark/html/*.html.gz >"$out/article-benchmark.dump"
"$dump" --links "$DATA"/wcxb-dev/html/*.html.gz >"$out/wcxb-dev.dump"
"$dump" --tree "$DATA"/article-benchmark/html/*.html.gz >"$out/tree.dump"
[[ $mode == save ]] && exit 0
rc=0
for f in article-benchmark wcxb-dev tree; do
        if cmp -s "$dir/$f.dump" "$out/$f.dump"; then
                echo "$f: identical"
        else
                rc=1
                line=$(cmp "$dir/$f.dump" "$out/$f.dump" | sed 's/.*line //')
                page=$(head -n "$line" "$out/$f.dump" | grep -v '^ ' | tail -1)
                echo "$f: differs first at line $line (page $page)"
        fi
done
exit $rc
