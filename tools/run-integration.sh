#!/usr/bin/env bash
# tools/run-integration.sh — the integration tests on a real Kafka broker.
#
#   tools/run-integration.sh [pytest args...]
#
# With KAFKA_BROKERS set, the tests use that cluster (they create and delete
# their own uniquely named topics). Otherwise this fetches Apache Kafka once
# into the cache (tools/kafka.sh fetch), starts a one-node KRaft broker in a
# fresh temporary directory and stops it on exit — also when tests fail or
# on Ctrl-C. Then runs "$PYTHON -m pytest tests/integration -v" with
# KAFKA_BROKERS exported and exits with pytest's status; pytest's 5 (no
# tests collected) counts as a failure (exit 1).
#
# Environment: PYTHON (default /usr/bin/python3, whose Debian packages
# provide pytest, jsonschema and confluent-kafka), KAFKA_BROKERS,
# KCRAWL_KEEP_BROKER_DIR=1 to keep the broker's directory (logs) afterwards,
# and what tools/kafka.sh reads (KCRAWL_CACHE, KAFKA_PORT, ...).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-/usr/bin/python3}

broker_dir=""
cleanup() {
        local rc=$?
        trap - EXIT INT TERM
        if [[ -n "$broker_dir" ]]; then
                tools/kafka.sh stop "$broker_dir" || true
                if [[ "${KCRAWL_KEEP_BROKER_DIR:-}" == 1 || $rc -ne 0 ]]; then
                        echo "run-integration: broker files kept in $broker_dir" >&2
                else
                        rm -rf "$broker_dir"
                fi
        fi
        exit "$rc"
}

if [[ -z "${KAFKA_BROKERS:-}" ]]; then
        tools/kafka.sh fetch
        broker_dir=$(mktemp -d "${TMPDIR:-/tmp}/kcrawl-kafka.XXXXXX")
        trap cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        KAFKA_BROKERS=$(tools/kafka.sh start "$broker_dir")
        echo "run-integration: broker on $KAFKA_BROKERS ($broker_dir)" >&2
fi
export KAFKA_BROKERS

rc=0
"$PYTHON" -m pytest tests/integration -v -p no:cacheprovider "$@" || rc=$?
if [[ $rc -eq 5 ]]; then
        echo "run-integration: pytest collected no tests: failing" >&2
        rc=1
fi
exit "$rc"
