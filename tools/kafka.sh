#!/usr/bin/env bash
# tools/kafka.sh — real Apache Kafka brokers (KRaft) for tests: one node, or
# a cluster of three.
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
#   tools/kafka.sh start-cluster DIR
#                               a cluster of KAFKA_NODES (default 3) combined
#                               broker+controller nodes, node I (1..N, also
#                               its node.id) in DIR/nodeI (the files of
#                               `start`); topics default to replication 3
#                               (or N if fewer) and min.insync.replicas=2
#                               (1 below 3 nodes); prints the
#                               bootstrap list (A:P,A:P,A:P) as the only line
#                               on stdout (also in DIR/bootstrap; node I's
#                               own address in DIR/nodeI/bootstrap)
#   tools/kafka.sh stop-cluster DIR
#                               stop every node (resumed first if stopped),
#                               remove the network namespaces if any
#   tools/kafka.sh node DIR I ACTION
#                               one node of a cluster, ACTION one of:
#                               pid    print its PID
#                               kill   SIGKILL, wait until it is gone
#                               term   SIGTERM (controlled shutdown), wait
#                               pause  SIGSTOP;  resume  SIGCONT
#                               start  start it again on its data; returns
#                                      when the cluster lists it as a broker
#                               isolate / rejoin   (KAFKA_NETNS=1 clusters)
#                                      cut its links to the other nodes, in
#                                      both directions, clients still reach
#                                      it / restore them
#   tools/kafka.sh controller DIR
#                               print the node id of the active controller
#                               (the metadata quorum's leader)
#
# Environment:
#   KCRAWL_CACHE            cache root (default $HOME/.cache/kcrawl); the jars
#                           live in $KCRAWL_CACHE/kafka-<version>/libs, outside
#                           the work tree, so every clone shares them
#   KAFKA_PORT              broker (PLAINTEXT) port; default: a free one
#   KAFKA_CONTROLLER_PORT   KRaft controller port; default: a free one
#   KAFKA_NODES             nodes of start-cluster (default 3)
#   KAFKA_NETNS=1           start-cluster puts each node in a network
#                           namespace of its own (root; `ip netns`), joined
#                           by veth pairs to a bridge; addresses 10.X.Y.1N
#                           instead of loopback ports
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
        sed -n '2,60p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
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


check_start_tools() {
        cache_complete || die "Kafka not fetched: run '$0 fetch' first"
        command -v "$JAVA" >/dev/null || die "java not found"
        command -v kcat >/dev/null || die "kcat not found (apt-get install kcat)"
}

# JVM=(...): the JVM arguments of a node in $1 (its log4j configuration).
jvm_args() {
        JVM=(-Djava.awt.headless=true
             "-Dlog4j2.configurationFile=$1/log4j2.properties"
             -cp "$LIBS/*")
}

# write_node_config DIR NODE_ID HOST PORT CPORT VOTERS REPLICAS
# A combined broker+controller node listening on HOST, DIR/data wiped.
# REPLICAS is the replication of the internal topics and the default for
# new ones: 1 for one node; 3 for a cluster, which also gets
# min.insync.replicas=2.
write_node_config() {
        local dir=$1 id=$2 host=$3 port=$4 cport=$5 voters=$6 rf=$7
        local isr=1
        if ((rf >= 3)); then isr=2; fi
        rm -rf "$dir/data"
        mkdir -p "$dir/data"
        : >"$dir/kafka.log"
        : >"$dir/kafka.out"
        cat >"$dir/server.properties" <<EOF
# Written by tools/kafka.sh: a KRaft broker+controller node for tests.
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$cport
advertised.listeners=PLAINTEXT://$host:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
# Pages up to the fetcher's default --max-body (8 MiB) plus headers.
message.max.bytes=16777216
replica.fetch.max.bytes=16777216
num.network.threads=2
num.io.threads=4
log.retention.hours=2
EOF
        if ((rf >= 3)); then
                cat >>"$dir/server.properties" <<EOF
# A cluster under test: a follower that stops fetching leaves the ISR after
# 10 s (default 30 s), so that a fault's effect shows within a test.
replica.lag.time.max.ms=10000
EOF
        fi
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
}

new_cluster_id() {
        local dir=$1 id
        jvm_args "$dir"
        id=$("$JAVA" "${JVM[@]}" kafka.tools.StorageTool random-uuid 2>>"$dir/kafka.out") ||
                { log_tail "$dir"; die "StorageTool random-uuid failed"; }
        printf '%s' "$id" | tail -n 1 | tr -d '[:space:]'
}

format_node() {
        local dir=$1 cluster_id=$2
        jvm_args "$dir"
        if ! "$JAVA" "${JVM[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
                -c "$dir/server.properties" >>"$dir/kafka.out" 2>&1; then
                log_tail "$dir"
                die "StorageTool format failed in $dir"
        fi
}

# launch_node DIR: starts the node configured in DIR on the data it has, in
# the network namespace named in DIR/netns if there is one. PID in
# DIR/kafka.pid; DIR/kafka.log's length at launch in DIR/log.start, so
# that readiness is read from this run's lines only.
launch_node() {
        local dir=$1 pre=()
        if [[ -s "$dir/netns" ]]; then pre=(ip netns exec "$(cat "$dir/netns")"); fi
        jvm_args "$dir"
        wc -l <"$dir/kafka.log" >"$dir/log.start"
        # The broker runs in its own session so that a Ctrl-C meant for the
        # test runner does not kill it before the runner's cleanup stops it.
        # `ip netns exec` and setsid exec in place: the PID is the JVM's.
        # shellcheck disable=SC2086
        ( exec "${pre[@]}" setsid "$JAVA" ${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} -XX:+UseG1GC \
                "${JVM[@]}" kafka.Kafka "$dir/server.properties" \
                </dev/null >>"$dir/kafka.out" 2>&1 ) &
        echo "$!" >"$dir/kafka.pid"
}

# True when node DIR logged, since its launch, that it started.
node_started() {
        local from
        from=$(cat "$1/log.start" 2>/dev/null || echo 0)
        tail -n "+$((from + 1))" "$1/kafka.log" | grep -q 'Kafka Server started'
}

# True when the metadata from BOOTSTRAP lists every broker id in IDS.
brokers_listed() {
        local bootstrap=$1 ids=$2 list id
        list=$(kcat -L -b "$bootstrap" -m 5 -J 2>/dev/null |
                grep -o '"brokers":\[[^]]*\]') || return 1
        for id in $ids; do
                [[ "$list" == *"\"id\":$id,"* ]] || return 1
        done
}

# wait_up BOOTSTRAP "IDS" DIR...: until every node of DIR... is alive and
# logged that it started (another process on the port cannot fake that),
# and the metadata from BOOTSTRAP lists the brokers IDS. On failure, the
# nodes of DIR... are killed.
wait_up() {
        local bootstrap=$1 ids=$2 d pid ready
        shift 2
        local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-120}))
        while :; do
                ready=1
                for d in "$@"; do
                        pid=$(cat "$d/kafka.pid" 2>/dev/null || true)
                        if ! pid_alive "$pid"; then
                                log_tail "$d"
                                rm -f "$d/kafka.pid"
                                kill_nodes "$@"
                                die "broker in $d exited during start-up"
                        fi
                        node_started "$d" || ready=0
                done
                if ((ready)) && brokers_listed "$bootstrap" "$ids"; then
                        return 0
                fi
                if ((SECONDS >= deadline)); then
                        for d in "$@"; do log_tail "$d"; done
                        kill_nodes "$@"
                        die "brokers $ids not answering on $bootstrap after ${KAFKA_START_TIMEOUT:-120} s"
                fi
                sleep "$POLL"
        done
}

kill_nodes() {
        local d pid
        for d in "$@"; do
                pid=$(broker_pid "$d") || continue
                kill -KILL "$pid" 2>/dev/null || true
                rm -f "$d/kafka.pid"
        done
}

# stop_nodes DIR...: SIGTERM (after SIGCONT, in case one is stopped) to
# every running node at once, then waits for all with one deadline and
# SIGKILLs what is left. Together, because a node's controlled shutdown
# waits for a controller quorum that stopping them one by one would end.
stop_nodes() {
        local d pid pids=() dirs=()
        for d in "$@"; do
                if ! pid=$(broker_pid "$d"); then
                        rm -f "$d/kafka.pid"
                        continue
                fi
                kill -CONT "$pid" 2>/dev/null || true
                kill -TERM "$pid" 2>/dev/null || true
                pids+=("$pid")
                dirs+=("$d")
        done
        local deadline=$((SECONDS + 30)) i left
        while :; do
                left=0
                for pid in "${pids[@]}"; do
                        if pid_alive "$pid"; then left=1; fi
                done
                ((left && SECONDS < deadline)) || break
                sleep "$POLL"
        done
        for i in "${!pids[@]}"; do
                pid=${pids[$i]}
                if pid_alive "$pid"; then
                        log "broker pid $pid still running after 30 s: SIGKILL"
                        kill -KILL "$pid" 2>/dev/null || true
                        while pid_alive "$pid"; do sleep 0.1; done
                fi
                rm -f "${dirs[$i]}/kafka.pid"
                log "broker pid $pid stopped"
        done
}

cmd_start() {
        [[ $# -eq 1 ]] || usage
        mkdir -p "$1"
        local dir
        dir=$(cd "$1" && pwd)
        check_start_tools
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

        write_node_config "$dir" 1 127.0.0.1 "$port" "$cport" "1@127.0.0.1:$cport" 1
        format_node "$dir" "$(new_cluster_id "$dir")"
        rm -f "$dir/netns"
        launch_node "$dir"
        local bootstrap="127.0.0.1:$port"
        wait_up "$bootstrap" 1 "$dir"
        echo "$bootstrap" >"$dir/bootstrap"
        log "broker pid $(cat "$dir/kafka.pid") up on $bootstrap (logs in $dir/kafka.log)"
        echo "$bootstrap"
}

cmd_stop() {
        [[ $# -eq 1 ]] || usage
        if [[ ! -d "$1" ]]; then
                log "no such directory: $1 (nothing to stop)"
                return 0
        fi
        local dir
        dir=$(cd "$1" && pwd)
        if ! broker_pid "$dir" >/dev/null; then
                log "no broker running from $dir"
                rm -f "$dir/kafka.pid"
                return 0
        fi
        stop_nodes "$dir"
}

# ---------------------------------------------------------------- cluster --

cluster_dir() {
        [[ -d "$1" ]] || die "no such directory: $1"
        (cd "$1" && pwd)
}

# The node directories of cluster DIR, in node order.
cluster_nodes() {
        local n
        for n in $(cat "$1/nodes" 2>/dev/null); do echo "$1/node$n"; done
}

# Network namespaces (KAFKA_NETNS=1): one per node, each with a veth pair
# whose host end is on a bridge of the cluster's own. Names and the /24 are
# derived from DIR, so that clusters of other directories do not collide.
# DIR/netns.list holds what was made, for stop-cluster to remove.
netns_setup() {
        local dir=$1 n=$2 h i ns
        command -v ip >/dev/null || die "KAFKA_NETNS=1: ip (iproute2) not found"
        h=$(printf '%s' "$dir" | cksum | cut -d' ' -f1)
        NET_TAG=$(printf 'kc%05d' $((h % 100000)))
        NET_PREFIX="10.$((200 + h % 50)).$(((h / 50) % 250))"
        if ip -4 -o addr show | grep -qF " $NET_PREFIX."; then
                die "KAFKA_NETNS=1: $NET_PREFIX.0/24 is already in use on this machine"
        fi
        : >"$dir/netns.list"
        ip link add "${NET_TAG}br" type bridge ||
                die "KAFKA_NETNS=1: cannot create a bridge (needs root and CAP_NET_ADMIN)"
        echo "link ${NET_TAG}br" >>"$dir/netns.list"
        ip addr add "$NET_PREFIX.1/24" dev "${NET_TAG}br"
        ip link set "${NET_TAG}br" up
        for ((i = 1; i <= n; i++)); do
                ns="${NET_TAG}n$i"
                ip netns add "$ns" || die "KAFKA_NETNS=1: ip netns add $ns failed"
                echo "netns $ns" >>"$dir/netns.list"
                ip link add "${NET_TAG}h$i" type veth peer name "${NET_TAG}p$i"
                echo "link ${NET_TAG}h$i" >>"$dir/netns.list"
                ip link set "${NET_TAG}p$i" netns "$ns"
                ip link set "${NET_TAG}h$i" master "${NET_TAG}br" up
                ip -n "$ns" addr add "$NET_PREFIX.$((10 + i))/24" dev "${NET_TAG}p$i"
                ip -n "$ns" link set "${NET_TAG}p$i" up
                ip -n "$ns" link set lo up
        done
}

netns_teardown() {
        local dir=$1 kind name
        [[ -f "$dir/netns.list" ]] || return 0
        # Namespaces first (their veth ends go with them), then the links.
        while read -r kind name; do
                if [[ "$kind" == netns ]]; then ip netns del "$name" 2>/dev/null || true; fi
        done <"$dir/netns.list"
        while read -r kind name; do
                if [[ "$kind" == link ]]; then ip link del "$name" 2>/dev/null || true; fi
        done <"$dir/netns.list"
        rm -f "$dir/netns.list"
}

cmd_start_cluster() {
        [[ $# -eq 1 ]] || usage
        mkdir -p "$1"
        local dir
        dir=$(cd "$1" && pwd)
        check_start_tools
        local n=${KAFKA_NODES:-3} i d
        [[ "$n" =~ ^[1-9]$ ]] || die "KAFKA_NODES must be 1..9, got '$n'"
        for d in "$dir"/node*; do
                [[ -d "$d" ]] || continue
                if broker_pid "$d" >/dev/null; then
                        die "a broker is already running from $d (pid $(cat "$d/kafka.pid"))"
                fi
        done
        netns_teardown "$dir"
        rm -rf "$dir"/node*
        local hosts=() ports=() cports=() used=" " p
        if [[ "${KAFKA_NETNS:-}" == 1 ]]; then
                netns_setup "$dir" "$n"
                for ((i = 1; i <= n; i++)); do
                        hosts[i]="$NET_PREFIX.$((10 + i))"
                        ports[i]=9092
                        cports[i]=9093
                done
        else
                for ((i = 1; i <= n; i++)); do
                        hosts[i]=127.0.0.1
                        for _ in port cport; do
                                p=$(free_port)
                                while [[ "$used" == *" $p "* ]]; do p=$(free_port); done
                                used+="$p "
                                if [[ -z "${ports[i]:-}" ]]; then ports[i]=$p; else cports[i]=$p; fi
                        done
                done
        fi
        local voters="" bootstrap="" ids=""
        for ((i = 1; i <= n; i++)); do
                voters+="${voters:+,}$i@${hosts[i]}:${cports[i]}"
                bootstrap+="${bootstrap:+,}${hosts[i]}:${ports[i]}"
                ids+="${ids:+ }$i"
        done
        echo "$ids" >"$dir/nodes"
        local dirs=() cluster_id=""
        for ((i = 1; i <= n; i++)); do
                d="$dir/node$i"
                mkdir -p "$d"
                dirs+=("$d")
                write_node_config "$d" "$i" "${hosts[i]}" "${ports[i]}" "${cports[i]}" \
                        "$voters" $((n < 3 ? n : 3))
                echo "${hosts[i]}:${ports[i]}" >"$d/bootstrap"
                if [[ "${KAFKA_NETNS:-}" == 1 ]]; then
                        echo "${NET_TAG}n$i" >"$d/netns"
                        echo "${hosts[i]}" >"$d/addr"
                fi
                [[ -n "$cluster_id" ]] || cluster_id=$(new_cluster_id "$d")
                format_node "$d" "$cluster_id"
        done
        for d in "${dirs[@]}"; do launch_node "$d"; done
        wait_up "$bootstrap" "$ids" "${dirs[@]}"
        echo "$bootstrap" >"$dir/bootstrap"
        log "cluster of $n nodes up on $bootstrap (logs in $dir/node*/kafka.log)"
        echo "$bootstrap"
}

cmd_stop_cluster() {
        [[ $# -eq 1 ]] || usage
        if [[ ! -d "$1" ]]; then
                log "no such directory: $1 (nothing to stop)"
                return 0
        fi
        local dir dirs=()
        dir=$(cd "$1" && pwd)
        mapfile -t dirs < <(cluster_nodes "$dir")
        ((${#dirs[@]} == 0)) || stop_nodes "${dirs[@]}"
        netns_teardown "$dir"
}

# The blackhole routes that cut node A off from node B, in A's namespace.
route_cut() {
        local dir=$1 a=$2 b=$3 verb=$4
        ip -n "$(cat "$dir/node$a/netns")" route "$verb" blackhole \
                "$(cat "$dir/node$b/addr")/32" 2>/dev/null
}

cmd_node() {
        [[ $# -eq 3 ]] || usage
        local dir i=$2 action=$3 d pid
        dir=$(cluster_dir "$1")
        d="$dir/node$i"
        [[ "$i" =~ ^[1-9]$ && -f "$d/server.properties" ]] || die "no node $i in $dir"
        case "$action" in
        pid)
                broker_pid "$d" || die "node $i is not running"
                ;;
        kill)
                pid=$(broker_pid "$d") || die "node $i is not running"
                kill -KILL "$pid"
                while pid_alive "$pid"; do sleep 0.05; done
                rm -f "$d/kafka.pid"
                log "node $i (pid $pid) killed"
                ;;
        term)
                broker_pid "$d" >/dev/null || die "node $i is not running"
                stop_nodes "$d"
                ;;
        pause)
                pid=$(broker_pid "$d") || die "node $i is not running"
                kill -STOP "$pid"
                log "node $i (pid $pid) stopped (SIGSTOP)"
                ;;
        resume)
                pid=$(broker_pid "$d") || die "node $i is not running"
                kill -CONT "$pid"
                log "node $i (pid $pid) resumed (SIGCONT)"
                ;;
        start)
                check_start_tools
                if broker_pid "$d" >/dev/null; then die "node $i is already running"; fi
                launch_node "$d"
                wait_up "$(cat "$d/bootstrap")" "$i" "$d"
                log "node $i up again, pid $(cat "$d/kafka.pid")"
                ;;
        isolate|rejoin)
                [[ -s "$d/netns" ]] || die "node $i has no network namespace (start the cluster with KAFKA_NETNS=1)"
                local verb=add j
                [[ "$action" == rejoin ]] && verb=del
                for j in $(cat "$dir/nodes"); do
                        [[ "$j" == "$i" ]] && continue
                        route_cut "$dir" "$i" "$j" "$verb" || [[ "$verb" == del ]] ||
                                die "cannot add a route in node $i's namespace"
                        route_cut "$dir" "$j" "$i" "$verb" || [[ "$verb" == del ]] ||
                                die "cannot add a route in node $j's namespace"
                done
                log "node $i $( [[ $verb == add ]] && echo "cut off from" || echo "reconnected to") the other nodes"
                ;;
        *) usage ;;
        esac
}

cmd_controller() {
        [[ $# -eq 1 ]] || usage
        local dir
        dir=$(cluster_dir "$1")
        [[ -s "$dir/bootstrap" ]] || die "no cluster in $dir"
        cache_complete || die "Kafka not fetched: run '$0 fetch' first"
        # Quiet: the admin client's own logging would go to stdout.
        "$JAVA" -Dlog4j2.level=OFF -Dlog4j2.rootLogger.level=OFF \
                -Dlog4j2.configurationFile="$HERE/kafka/quiet-log4j2.properties" \
                -cp "$LIBS/*" "$HERE/kafka/QuorumLeader.java" "$(cat "$dir/bootstrap")"
}

case "${1:-}" in
fetch) shift; cmd_fetch "$@" ;;
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
start-cluster) shift; cmd_start_cluster "$@" ;;
stop-cluster) shift; cmd_stop_cluster "$@" ;;
node) shift; cmd_node "$@" ;;
controller) shift; cmd_controller "$@" ;;
libs) echo "$LIBS" ;;
-h|--help|help) usage 0 ;;
*) usage ;;
esac
