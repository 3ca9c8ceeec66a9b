"""A three-node KRaft cluster for the cluster tests: a thin layer over
`tools/kafka.sh start-cluster / stop-cluster / node / controller`.

Node I (1..3) is also Kafka's node.id, so a partition's leader id is the
index to kill. Every wait polls the cluster until a condition or a deadline.
"""

import os
import pathlib
import subprocess
import time

from confluent_kafka.admin import AdminClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
KAFKA_SH = str(ROOT / "tools" / "kafka.sh")
NODES = (1, 2, 3)
START_TIMEOUT = 240


class ClusterError(AssertionError):
    pass


def kafka_sh(*args, env=None, timeout=START_TIMEOUT):
    """Runs tools/kafka.sh; returns its stdout stripped; raises with its
    stderr when it fails."""
    p = subprocess.run([KAFKA_SH, *args], capture_output=True, text=True,
                       timeout=timeout, env=env)
    if p.returncode != 0:
        raise ClusterError(f"kafka.sh {' '.join(args)} exited {p.returncode}:\n"
                           f"{p.stderr[-3000:]}")
    return p.stdout.strip()


class Cluster:
    def __init__(self, dir_, netns):
        self.dir = pathlib.Path(dir_)
        self.netns = netns          # nodes in network namespaces (isolate works)
        self.bootstrap = None
        self.env = dict(os.environ)
        self.env.setdefault("KAFKA_HEAP_OPTS", "-Xmx400m -Xms400m")
        self.env.setdefault("KAFKA_START_TIMEOUT", "200")
        if netns:
            self.env["KAFKA_NETNS"] = "1"
        else:
            self.env.pop("KAFKA_NETNS", None)
        self._admin = None

    # ----------------------------------------------------------- lifecycle --

    def start(self):
        t0 = time.monotonic()
        self.bootstrap = kafka_sh("start-cluster", str(self.dir), env=self.env)
        self.start_s = time.monotonic() - t0
        return self.bootstrap

    def stop(self):
        kafka_sh("stop-cluster", str(self.dir), env=self.env, timeout=120)

    def node(self, i, action, timeout=START_TIMEOUT):
        return kafka_sh("node", str(self.dir), str(i), action, env=self.env,
                        timeout=timeout)

    def pid(self, i):
        """Node i's PID, or None when it is not running."""
        try:
            return int(self.node(i, "pid", timeout=30))
        except ClusterError:
            return None

    def paused(self, i):
        pid = self.pid(i)
        if pid is None:
            return False
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as f:
                return any(line.split()[1:2] == ["T"] for line in f
                           if line.startswith("State:"))
        except OSError:
            return False

    def controller(self):
        """The active controller's node id, from the metadata quorum
        (admin client describeMetadataQuorum, as kafka-metadata-quorum)."""
        return int(kafka_sh("controller", str(self.dir), env=self.env, timeout=120))

    # ------------------------------------------------------------ metadata --

    @property
    def admin(self):
        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap})
        return self._admin

    def leaders(self, topic):
        """{partition: leader node id} (-1 when it has none)."""
        md = self.admin.list_topics(topic, timeout=20)
        return {p: pm.leader for p, pm in md.topics[topic].partitions.items()}

    def unhealthy(self):
        """What keeps the cluster from being whole: brokers missing from the
        metadata, partitions (internal topics included) without a leader or
        with a replica out of the ISR. Empty when whole."""
        try:
            md = self.admin.list_topics(timeout=10)
        except Exception as e:  # noqa: BLE001 - any failure means "not yet"
            return [f"metadata: {e}"]
        bad = []
        missing = set(NODES) - set(md.brokers)
        if missing:
            bad.append(f"brokers {sorted(missing)} not in the metadata")
        for name, t in md.topics.items():
            if t.error is not None:
                bad.append(f"{name}: {t.error}")
                continue
            for p, pm in t.partitions.items():
                if pm.leader < 0 or set(pm.isrs) != set(pm.replicas):
                    bad.append(f"{name}[{p}] leader {pm.leader} replicas {pm.replicas} "
                               f"isr {pm.isrs}")
        return bad

    def wait_healthy(self, deadline=180):
        end = time.monotonic() + deadline
        while True:
            bad = self.unhealthy()
            if not bad:
                return
            if time.monotonic() > end:
                raise ClusterError(f"cluster not whole after {deadline} s: {bad[:8]}")
            time.sleep(0.5)

    def restore(self):
        """Every node running, resumed and connected; the cluster whole
        (all brokers listed, every partition's replicas in its ISR)."""
        for i in NODES:
            if self.netns:
                self.node(i, "rejoin", timeout=30)
            if self.pid(i) is None:
                self.node(i, "start")
            elif self.paused(i):
                self.node(i, "resume", timeout=30)
        self.wait_healthy()
