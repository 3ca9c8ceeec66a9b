#!/usr/bin/env bash
# tools/kafka.sh — a real Apache Kafka broker (KRaft, one node) for tests.
#
#   tools/kafka.sh fetch        resolve Kafka and its runtime jars from Maven
#                               Central into the cache (once; reused after)
#   tools/kafka.sh start DIR    configure, format (DIR/data is wiped) and
#                               start a broker in DIR; prints its bootstrap
#                               address (127.0.0.1:PORT) as the only line on
#                               stdout; logs in DIR/kafka.log, PID in
#                               DIR/kafka.pid
#   tools/kafka.sh stop DIR     stop the broker whose PID is in DIR/kafka.pid
#   tools/kafka.sh libs         print the cache's libs directory
#
# Environment:
#   KCRAWL_CACHE            cache root (default $HOME/.cache/kcrawl); the jars
#                           live in $KCRAWL_CACHE/kafka-<version>/libs, outside
#                           the work tree, so every clone shares them
#   KAFKA_PORT              broker (PLAINTEXT) port; default: a free one
#   KAFKA_CONTROLLER_PORT   KRaft controller port; default: a free one
#   KAFKA_START_TIMEOUT     seconds to wait for the broker (default 120)
#   KAFKA_HEAP_OPTS         JVM heap options (default -Xmx512m -Xms256m)
#   JAVA, MVN               the java and mvn commands (default: from PATH)
#
# Everything but the bootstrap address goes to stderr. Exit status non-zero
# on any failure (with the tail of DIR/kafka.log on stderr for `start`).
set -euo pipefail

KAFKA_VERSION=4.1.1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POM="$HERE/kafka/pom.xml"
CACHE_ROOT=${KCRAWL_CACHE:-${HOME:-/root}/.cache/kcrawl}
KAFKA_HOME="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
MARKER="$KAFKA_HOME/.complete"
JAVA=${JAVA:-java}
MVN=${MVN:-mvn}
POLL=0.25

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
usage() {
        sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
        exit "${1:-2}"
}

# The marker holds the pom's checksum: a changed pom means a new fetch.
pom_sum() { sha256sum "$POM" | cut -d' ' -f1; }
cache_complete() {
        [[ -f "$MARKER" && -d "$LIBS" ]] && [[ "$(cat "$MARKER")" == "$(pom_sum)" ]]
}

cmd_fetch() {
        [[ -f "$POM" ]] || die "missing $POM"
        if cache_complete; then
                log "Kafka $KAFKA_VERSION already in $LIBS"
                return 0
        fi
        command -v "$MVN" >/dev/null || die "mvn not found (apt-get install maven)"
        mkdir -p "$KAFKA_HOME"
        # One fetch at a time per cache (parallel runs, several clones).
        exec 9>"$KAFKA_HOME/.lock"
        flock 9
        if cache_complete; then
                log "Kafka $KAFKA_VERSION already in $LIBS"
                exec 9>&-
                return 0
        fi
        local tmp="$KAFKA_HOME/libs.tmp.$$"
        rm -rf "$tmp"
        log "resolving Kafka $KAFKA_VERSION from Maven Central into $LIBS"
        local t0=$SECONDS
        if ! "$MVN" -B -q -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
                -DincludeScope=runtime -DoutputDirectory="$tmp" \
                >"$KAFKA_HOME/mvn.log" 2>&1; then
                tail -n 40 "$KAFKA_HOME/mvn.log" >&2
                rm -rf "$tmp"
                die "mvn dependency:copy-dependencies failed (log: $KAFKA_HOME/mvn.log)"
        fi
        ls "$tmp"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1 ||
                { rm -rf "$tmp"; die "kafka_2.13-$KAFKA_VERSION.jar not resolved"; }
        rm -rf "$LIBS" "$MARKER"
        mv "$tmp" "$LIBS"
        pom_sum >"$MARKER.tmp" && mv "$MARKER.tmp" "$MARKER"   # last
        log "$(ls "$LIBS" | wc -l) jars in $((SECONDS - t0)) s"
        exec 9>&-
}

free_port() {
        # Bind port 0 on loopback and report what the kernel chose. Two calls
        # may race with other processes; start() fails clearly if so.
        local py
        for py in /usr/bin/python3 python3; do
                if command -v "$py" >/dev/null 2>&1; then
                        "$py" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
                        return
                fi
        done
        die "python3 needed to pick a free port (or set KAFKA_PORT and KAFKA_CONTROLLER_PORT)"
}

# True when something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Alive and not a zombie (the broker is our child during start-up).
pid_alive() {
        [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
        local state
        state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
        [[ "$state" != Z ]]
}

# The PID in DIR/kafka.pid, when it is alive and still our broker.
broker_pid() {
        local dir=$1 pid
        [[ -f "$dir/kafka.pid" ]] || return 1
        pid=$(cat "$dir/kafka.pid")
        [[ "$pid" =~ ^[0-9]+$ ]] || return 1
        pid_alive "$pid" || return 1
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
                grep -qF "$dir/server.properties" || return 1
        echo "$pid"
}

log_tail() {
        local dir=$1 f
        for f in "$dir/kafka.out" "$dir/kafka.log"; do
                [[ -s "$f" ]] || continue
                printf -- '--- tail of %s ---\n' "$f" >&2
                tail -n 40 "$f" >&2
        done
}

cmd_start() {
        [[ $# -eq 1 ]] || usage
        mkdir -p "$1"
        local dir
        dir=$(cd "$1" && pwd)
        cache_complete || die "Kafka not fetched: run '$0 fetch' first"
        command -v "$JAVA" >/dev/null || die "java not found"
        command -v kcat >/dev/null || die "kcat not found (apt-get install kcat)"
        if broker_pid "$dir" >/dev/null; then
                die "a broker is already running from $dir (pid $(cat "$dir/kafka.pid"))"
        fi

        local port=${KAFKA_PORT:-} cport=${KAFKA_CONTROLLER_PORT:-}
        [[ -n "$port" ]] || port=$(free_port)
        [[ -n "$cport" ]] || cport=$(free_port)
        while [[ "$cport" == "$port" ]]; do cport=$(free_port); done
        [[ "$port" =~ ^[0-9]+$ && "$cport" =~ ^[0-9]+$ ]] ||
                die "bad port: KAFKA_PORT=$port KAFKA_CONTROLLER_PORT=$cport"
        local p
        for p in "$port" "$cport"; do
                port_in_use "$p" && die "port $p on 127.0.0.1 is already in use"
        done

        rm -rf "$dir/data"
        mkdir -p "$dir/data"
        : >"$dir/kafka.log"
        : >"$dir/kafka.out"
        cat >"$dir/server.properties" <<EOF
# Written by tools/kafka.sh: a one-node KRaft broker for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Pages up to the fetcher's default --max-body (8 MiB) plus headers.
message.max.bytes=16777216
replica.fetch.max.bytes=16777216
num.network.threads=2
num.io.threads=4
log.retention.hours=2
EOF
        cat >"$dir/log4j2.properties" <<EOF
# Written by tools/kafka.sh: INFO to $dir/kafka.log.
status = warn
name = kcrawl-test-broker
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $dir/kafka.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
EOF
        local jvm=(-Djava.awt.headless=true
                   "-Dlog4j2.configurationFile=$dir/log4j2.properties"
                   -cp "$LIBS/*")
        local cluster_id
        cluster_id=$("$JAVA" "${jvm[@]}" kafka.tools.StorageTool random-uuid 2>>"$dir/kafka.out") ||
                { log_tail "$dir"; die "StorageTool random-uuid failed"; }
        cluster_id=$(printf '%s' "$cluster_id" | tail -n 1 | tr -d '[:space:]')
        if ! "$JAVA" "${jvm[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
                -c "$dir/server.properties" >>"$dir/kafka.out" 2>&1; then
                log_tail "$dir"
                die "StorageTool format failed"
        fi

        # The broker runs in its own session so that a Ctrl-C meant for the
        # test runner does not kill it before the runner's cleanup stops it.
        # shellcheck disable=SC2086
        ( exec setsid "$JAVA" ${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} -XX:+UseG1GC \
                "${jvm[@]}" kafka.Kafka "$dir/server.properties" \
                </dev/null >>"$dir/kafka.out" 2>&1 ) &
        local pid=$!
        echo "$pid" >"$dir/kafka.pid"

        local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-120}))
        local bootstrap="127.0.0.1:$port"
        while :; do
                if ! pid_alive "$pid"; then
                        log_tail "$dir"
                        rm -f "$dir/kafka.pid"
                        die "broker exited during start-up"
                fi
                # Ours is up (its log says so: another process on the port
                # cannot fake that) and answers metadata requests.
                if grep -q 'Kafka Server started' "$dir/kafka.log" &&
                        kcat -L -b "$bootstrap" -m 5 -J 2>/dev/null |
                        grep -q '"brokers":\[{"id":1,'; then
                        break
                fi
                if ((SECONDS >= deadline)); then
                        log_tail "$dir"
                        kill -KILL "$pid" 2>/dev/null || true
                        rm -f "$dir/kafka.pid"
                        die "broker not answering on $bootstrap after ${KAFKA_START_TIMEOUT:-120} s"
                fi
                sleep "$POLL"
        done
        echo "$bootstrap" >"$dir/bootstrap"
        log "broker pid $pid up on $bootstrap (logs in $dir/kafka.log)"
        echo "$bootstrap"
}

cmd_stop() {
        [[ $# -eq 1 ]] || usage
        local dir pid
        if [[ ! -d "$1" ]]; then
                log "no such directory: $1 (nothing to stop)"
                return 0
        fi
        dir=$(cd "$1" && pwd)
        if ! pid=$(broker_pid "$dir"); then
                log "no broker running from $dir"
                rm -f "$dir/kafka.pid"
                return 0
        fi
        kill -TERM "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + 30))
        while pid_alive "$pid" && ((SECONDS < deadline)); do
                sleep "$POLL"
        done
        if pid_alive "$pid"; then
                log "broker pid $pid still running after 30 s: SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
                while pid_alive "$pid"; do sleep 0.1; done
        fi
        rm -f "$dir/kafka.pid"
        log "broker pid $pid stopped"
}

case "${1:-}" in
fetch) shift; cmd_fetch "$@" ;;
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
libs) echo "$LIBS" ;;
-h|--help|help) usage 0 ;;
*) usage ;;
esac
