#!/usr/bin/env bash
# make demo: the whole pipeline on the embedded development broker and a
# local sample site. Records go to stdout as JSON lines; a one-line summary
# goes to stderr; everything started here is stopped here.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-/usr/bin/python3}
DEADLINE=${DEMO_TIMEOUT:-120}
work=$(mktemp -d)
pids=()

# Stops what was started, newest first: the stages before the broker they
# commit to, so they stop cleanly rather than against a vanished broker.
cleanup() {
        local i
        for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
                kill -TERM "${pids[i]}" 2>/dev/null || true
                wait "${pids[i]}" 2>/dev/null || true
        done
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "demo: $*" >&2; }

# Waits until file $1 has a first line, for at most $2 seconds.
wait_line() {
        local i
        for ((i = 0; i < $2 * 10; i++)); do
                [ -s "$1" ] && return 0
                sleep 0.1
        done
        return 1
}

build/devbroker --partitions 4 >"$work/broker.out" 2>"$work/broker.log" &
pids+=($!)
wait_line "$work/broker.out" 30 || { say "broker did not start"; cat "$work/broker.log" >&2; exit 1; }
brokers=$(head -1 "$work/broker.out")

"$PYTHON" -u -m http.server --bind 127.0.0.1 --directory tests/site 0 \
        >"$work/site.out" 2>"$work/site.log" &
pids+=($!)
wait_line "$work/site.out" 30 || { say "site did not start"; exit 1; }
port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/site.out" | head -1)
host="127.0.0.1:$port"
say "broker $brokers, sample site http://$host/"

# The site's pages, one missing page (a 404 is a page too) and one bad
# message (it ends on the errors topic), keyed by host key.
{
        for f in tests/site/*.html; do
                printf '%s\thttp://%s/%s\n' "$host" "$host" "$(basename "$f")"
        done
        printf '%s\t{"url":"http://%s/missing.html","id":"demo-404"}\n' "$host" "$host"
        printf 'bad\tnot a url\n'
} >"$work/urls.txt"
total=$(wc -l <"$work/urls.txt")
kcat -P -q -b "$brokers" -t crawl.urls -K $'\t' \
        -X topic.partitioner=murmur2_random -l "$work/urls.txt"
say "published $total URL messages to crawl.urls"

# The site is on loopback, which the fetcher refuses by default, and one
# host at the polite default of 1 request/s would make the demo slow.
build/fetcher --brokers "$brokers" --allow-net 127.0.0.0/8 --host-rate 50 \
        2>"$work/fetcher.log" &
pids+=($!)
build/cleaner --brokers "$brokers" --workers 2 2>"$work/cleaner.log" &
pids+=($!)

count() {
        kcat -C -q -b "$brokers" -t "$1" -o beginning -e -f '%o\n' 2>/dev/null | wc -l
}
start=$SECONDS
while :; do
        records=$(count crawl.records)
        errors=$(count crawl.errors)
        [ $((records + errors)) -ge "$total" ] && break
        if [ $((SECONDS - start)) -ge "$DEADLINE" ]; then
                say "timed out: $records records and $errors errors of $total"
                tail -5 "$work/fetcher.log" "$work/cleaner.log" >&2
                exit 1
        fi
        sleep 0.5
done

kcat -C -q -b "$brokers" -t crawl.records -o beginning -e -f '%s\n'
codes=$(kcat -C -q -b "$brokers" -t crawl.errors -o beginning -e -f '%s\n' |
        sed -n 's/.*"code":"\([a-z_]*\)".*/\1/p' | sort | uniq -c |
        awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')
say "$total URLs: $records records, $errors errors${codes:+ ($codes)} in $((SECONDS - start)) s"
