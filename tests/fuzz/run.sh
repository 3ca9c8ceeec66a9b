#!/usr/bin/env bash
# tests/fuzz/run.sh — build the libFuzzer targets and run each for a while.
#
#   tests/fuzz/run.sh [TARGET...]       (default: every tests/fuzz/fuzz_*.c)
#
# Builds build-fuzz/fuzz_<target> with clang (-fsanitize=fuzzer,address,
# undefined, every sanitizer finding fatal), linking the project's own
# sources (shared/, fetcher/, cleaner/ less the mains) compiled the same
# way. Then for each target:
#   1. replays tests/fuzz/regressions/<target>/* (inputs that once crashed:
#      each must now pass) and the deep JSON inputs generated into
#      build-fuzz/regressions-generated/<target>/ (too large to commit), and
#   2. fuzzes for FUZZ_SECONDS, starting from the committed seed corpus
#      tests/fuzz/corpus/<target>/ (read only: new inputs go to
#      build-fuzz/corpus/<target>/, which is kept between runs).
# A crash leaves its input in build-fuzz/crashes/<target>-crash-<sha1>;
# copy it into tests/fuzz/regressions/<target>/ once the bug is fixed.
# Prints one summary line per target (executions, corpus size) and exits
# non-zero when any target found a crash or a regression fails.
#
# Environment: FUZZ_SECONDS (default 60), FUZZ_CC (default clang-14, else
# clang), FUZZ_BUILD (default build-fuzz), FUZZ_JOBS (parallel compiles,
# default nproc), FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
OUT=${FUZZ_BUILD:-build-fuzz}
JOBS=${FUZZ_JOBS:-$(nproc)}
CC=${FUZZ_CC:-}
if [[ -z "$CC" ]]; then
        if command -v clang-14 >/dev/null; then CC=clang-14; else CC=clang; fi
fi
command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }

PKGS="rdkafka libcurl yajl libxml-2.0 libidn2 libpsl libcrypto libmicrohttpd zlib"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer $SAN \
-Ishared -Ifetcher -Icleaner -DKCRAWL_VERSION=\"$(cat VERSION)\" $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lpthread -lm"

mkdir -p "$OUT/obj" "$OUT/corpus" "$OUT/crashes"
# The project's sources, each compiled for coverage (fuzzer-no-link) when
# its object is older than it or than any header.
srcs=$(ls shared/*.c fetcher/*.c cleaner/*.c | grep -v '/main\.c$')
newest_h=$(ls -t shared/*.h fetcher/*.h cleaner/*.h | head -n1)
export CC CFLAGS OUT newest_h
printf '%s\n' $srcs | xargs -P "$JOBS" -I{} sh -c '
        o="$OUT/obj/$(echo {} | tr / _ | sed "s/\.c$/.o/")"
        if [ ! -f "$o" ] || [ {} -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
                $CC $CFLAGS -fsanitize=fuzzer-no-link -c -o "$o" {} || exit 255
        fi'
rm -f "$OUT/libkcrawl.a"
ar rcs "$OUT/libkcrawl.a" "$OUT"/obj/*.o

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
        for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c | sed 's/^fuzz_//')"); done
fi
for t in "${targets[@]}"; do
        $CC $CFLAGS -fsanitize=fuzzer -o "$OUT/fuzz_$t" "tests/fuzz/fuzz_$t.c" \
                "$OUT/libkcrawl.a" $LIBS
done

# JSON-taking targets get room to nest far past every depth bound (a URL
# message is up to 1 MiB: 450,000 levels fit), not libFuzzer's 4,096.
declare -A maxlen=([extract]=65536 [rules]=65536 [robots]=16384 \
        [urlmsg]=1048577 [jsonread]=1048577 [response]=65536 \
        [sitemap]=65536 [jsonld]=1048577 [structured]=1048577 \
        [rdfa]=1048577 [microformats]=1048577)

# Regression inputs too large to commit, generated here: JSON nested
# 450,000 deep, which once overflowed the stack freeing a yajl tree.
gen="$OUT/regressions-generated"
mkdir -p "$gen/urlmsg" "$gen/jsonread" "$gen/jsonld" "$gen/structured" \
        "$gen/rdfa" "$gen/microformats"
deep() { head -c "$1" /dev/zero | tr '\0' "$2"; }
{ printf '{"url":"http://a.test/","meta":'; deep 450000 '['; deep 450000 ']'; printf '}'; } \
        >"$gen/urlmsg/deep-meta-450000"
{ deep 450000 '['; deep 450000 ']'; } >"$gen/jsonread/deep-array-450000"
cp "$gen/urlmsg/deep-meta-450000" "$gen/jsonread/"
cp "$gen/jsonread/deep-array-450000" "$gen/jsonld/"
# itemscope nested 100,000 deep, and an item referring to itself.
{ for _ in $(seq 100000); do printf '<div itemscope itemprop=p>'; done; } \
        >"$gen/structured/deep-itemscope-100000"
printf '<div itemscope id=a itemref="a b"><p id=b itemprop=x itemscope itemref=a>' \
        >"$gen/structured/itemref-cycle"
# typeof nested 100,000 deep (each with a hanging rel and an inlist), and
# a prefix chain looked up by many CURIEs.
{ for _ in $(seq 100000); do printf '<div typeof=schema:Thing rel=schema:knows inlist property=schema:name>'; done; } \
        >"$gen/rdfa/deep-typeof-100000"
{ for _ in $(seq 3000); do printf '<div prefix="a: http://a/ b: http://b/">'; done
  for _ in $(seq 20000); do printf '<b property=c:x>y</b>'; done; } \
        >"$gen/rdfa/prefix-chain"
# h-* items nested 100,000 deep (each a property of the one above), and
# nested p- properties whose texts overlap.
{ for _ in $(seq 100000); do printf '<div class="h-card p-author e-x"><b class=p-name>n</b>'; done; } \
        >"$gen/microformats/deep-items-100000"
{ printf '<div class=h-entry>'; for _ in $(seq 100000); do printf '<i class="p-a dt-b">7:30pm'; done; } \
        >"$gen/microformats/deep-props-100000"
rc=0
summary=()
for t in "${targets[@]}"; do
        bin="$OUT/fuzz_$t"
        reg="tests/fuzz/regressions/$t"
        regs=()
        for r in "$reg"/* "$gen/$t"/*; do [[ -f "$r" ]] && regs+=("$r"); done
        if [[ ${#regs[@]} -gt 0 ]]; then
                if ! "$bin" -runs=1 -max_len="${maxlen[$t]:-4096}" "${regs[@]}" \
                        >"$OUT/$t.regressions.log" 2>&1; then
                        echo "fuzz: $t: a regression input fails again:" >&2
                        tail -n 30 "$OUT/$t.regressions.log" >&2
                        rc=1
                        summary+=("$t: REGRESSION FAILS (log $OUT/$t.regressions.log)")
                        continue
                fi
        fi
        work="$OUT/corpus/$t"
        mkdir -p "$work"
        # The RDFa edge cases are seeds too (tests/data/rdfa).
        seeds=("tests/fuzz/corpus/$t")
        [[ $t == rdfa ]] && seeds+=(tests/data/rdfa)
        [[ $t == microformats ]] && seeds+=(tests/data/microformats)
        log="$OUT/$t.log"
        echo "fuzz: $t for ${FUZZ_SECONDS}s" >&2
        set +e
        # shellcheck disable=SC2086
        "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=20 -rss_limit_mb=2048 \
                -max_len="${maxlen[$t]:-4096}" -print_final_stats=1 \
                -artifact_prefix="$OUT/crashes/$t-" ${FUZZ_ARGS:-} \
                "$work" "${seeds[@]}" >"$log" 2>&1
        st=$?
        set -e
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
        units=$(ls "$work" | wc -l)
        if [[ $st -ne 0 ]]; then
                rc=1
                summary+=("$t: CRASH after $execs executions (status $st); log $OUT/$t.log; input $(ls -t "$OUT"/crashes/"$t"-* 2>/dev/null | head -n1)")
                grep -m1 -A25 'ERROR:\|runtime error\|==ERROR' "$log" >&2 || tail -n 30 "$log" >&2
        else
                summary+=("$t: ok, $execs executions in ${FUZZ_SECONDS}s, corpus $units new units")
        fi
done
printf 'fuzz: %s\n' "${summary[@]}"
exit $rc
