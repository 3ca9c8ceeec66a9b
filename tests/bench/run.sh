#!/usr/bin/env bash
# tests/bench/run.sh — `make bench`: kcrawl against the tools users would
# otherwise pick, side by side on this machine. Not part of
# `make test`.
#
# Installs what it needs (Debian packages; as root via apt-get, otherwise it
# prints the apt-get line), builds the C baselines (curl_loop, xml_parse,
# produce_loop) and extract_bench (the cleaner's extraction alone)
# into $KCRAWL_BUILD/bench with the project's flags, then runs bench.py:
# a deterministic corpus served by its own nginx on 127.0.0.1, its own Kafka
# broker (tools/kafka.sh, free ports, temporary directory), every process it
# started stopped by PID at the end. The Markdown report goes to stdout and
# to docs/benchmarks.md.
#
# Environment: BENCH_QUICK=1 for a smoke run (about 3 minutes); see
# tests/bench/bench.py for the rest (BENCH_RUNS, BENCH_CONCURRENCY,
# BENCH_OUT, BENCH_KEEP, BENCH_ONLY, BENCH_PROFILE, KAFKA_PORT, ...).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-/usr/bin/python3}
BUILD=${KCRAWL_BUILD:-$ROOT/build}
export KCRAWL_BUILD=$BUILD PYTHON

# Debian's own packages: nginx, wrk, lxml, BeautifulSoup and Scrapy 2.8
# (bookworm's python3-scrapy works with its Twisted 22.4), perf for the
# profiles; the Kafka tooling the integration tests use.
PKGS="build-essential pkg-config libcurl4-openssl-dev libxml2-dev librdkafka-dev
      nginx wrk python3 python3-lxml python3-bs4 python3-scrapy
      python3-confluent-kafka kcat maven default-jre-headless linux-perf"

# Installing nginx runs its init script, which would start the system nginx
# on port 80; a temporary policy-rc.d (the Debian way to say "do not start
# services") prevents that when none is in place.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [[ $(id -u) -eq 0 && ! -e $policy ]] &&
        ! dpkg-query -W -f='${Status}' nginx 2>/dev/null | grep -q 'install ok installed'; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        added_policy=1
fi
rc=0
# shellcheck disable=SC2086
tools/deps.sh $PKGS || rc=$?
[[ $added_policy -eq 1 ]] && rm -f "$policy"
[[ $rc -eq 0 ]] || exit "$rc"

CFLAGS="-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2
        -Wno-unused-parameter ${CFLAGS:--O2 -g}"
mkdir -p "$BUILD/bench"
build() { # name pkg-config-module
        local out="$BUILD/bench/$1" src="tests/bench/$1.c"
        if [[ ! -x $out || $src -nt $out ]]; then
                # shellcheck disable=SC2046,SC2086
                ${CC:-cc} $CFLAGS $(pkg-config --cflags "$2") -o "$out" "$src" \
                        $(pkg-config --libs "$2")
        fi
}
build curl_loop libcurl
build xml_parse libxml-2.0
build produce_loop rdkafka
# The cleaner's extraction alone links the project's own objects.
make -s BUILD="$BUILD" "$BUILD/bench/extract_bench" "$BUILD/bench/sitemap_bench"
# Figure 9 (crawl state) links the fetcher's table and codec.
make -s BUILD="$BUILD" "$BUILD/bench/state_bench"

export BENCH_BIN="$BUILD/bench"
exec "$PYTHON" tests/bench/bench.py
