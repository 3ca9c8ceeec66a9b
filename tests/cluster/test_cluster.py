"""The pipeline on a three-broker KRaft cluster while brokers fail.

One cluster per session (tools/kafka.sh start-cluster, 400 MB heaps),
restored to whole (every node up, every replica in its ISR) before each
test. Each test creates its topics with replication 3 and
min.insync.replicas=2, publishes N unique ids on a few virtual hosts of one
local HTTP server, runs the real fetcher and an --exactly-once cleaner at a
modest host rate, and breaks the cluster mid-run:

  leader kill      kill -9 of a node leading URL and pages partitions,
                   restarted after the pipeline moved on without it
  pause            SIGSTOP of a node (the one leading most) for 20 s
  controller kill  kill -9 of the active controller (the metadata quorum's
                   leader), a new one elected, the node restarted
  two down         kill -9 of two of three nodes for 30 s: below
                   min.insync.replicas and below the controller quorum, so
                   producers wait; one comes back, work resumes
  isolated         a node cut off from the other two (network namespaces,
                   blackhole routes both ways; clients still reach it) for
                   30 s, then reconnected

Then every id is accounted for as a read_committed reader sees the records
and errors topics: 0 lost (each id a record or a dead letter), 0 duplicates,
no outcome for an id never published, and both stages still running at the
end (then they stop on SIGTERM with exit 0).

Sizes: KCRAWL_CLUSTER_N ids (default 300) on KCRAWL_CLUSTER_HOSTS virtual
hosts (default 10) at --host-rate KCRAWL_CLUSTER_RATE (default 1/s each).
KCRAWL_CLUSTER_NETNS: auto (default: network namespaces when the machine
allows them, else loopback ports), 1 (required), 0 (loopback ports; the
isolated-broker test is skipped).
"""

import collections
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))

from conftest import (Proc, Topics, create_topics, delete_topics, publish,  # noqa: E402
                      read_all)
from hostile_server import HostileServer  # noqa: E402
from test_faults_pipeline import account  # noqa: E402

from cluster import NODES, Cluster, ClusterError  # noqa: E402

N = int(os.environ.get("KCRAWL_CLUSTER_N", "300"))
HOSTS = int(os.environ.get("KCRAWL_CLUSTER_HOSTS", "10"))
RATE = os.environ.get("KCRAWL_CLUSTER_RATE", "1")
# From the end of the fault until every id has its outcome.
FINISH_DEADLINE = float(os.environ.get("KCRAWL_CLUSTER_DEADLINE", "240"))
PARTITIONS = 4
PAUSE_S = 20
TWO_DOWN_S = 30
# How long each stage's producer retries a message before its delivery
# fails: librdkafka's message.timeout.ms (300 s) for the fetcher; for the
# --exactly-once cleaner its transaction.timeout.ms (60 s), which also
# caps message.timeout.ms of a transactional producer, and after which the
# transaction coordinator aborts the transaction and fences the producer.
DELIVERY_TIMEOUT_S = {"fetcher": 300, "cleaner": 60}
# test_two_down's fetcher group session: longer than its outage (30 s plus
# a node's start-up), see there.
FETCHER_SESSION_MS = 180000
ISOLATE_S = 30


# ---------------------------------------------------------------- fixtures --

def _netns_wanted():
    v = os.environ.get("KCRAWL_CLUSTER_NETNS", "auto")
    if v not in ("auto", "0", "1"):
        pytest.fail(f"KCRAWL_CLUSTER_NETNS must be auto, 0 or 1, got {v!r}")
    return v


@pytest.fixture(scope="session")
def cluster():
    want = _netns_wanted()
    dir_ = tempfile.mkdtemp(prefix="kcrawl-cluster.")
    c = None
    why_not_netns = "KCRAWL_CLUSTER_NETNS=0"
    if want in ("auto", "1"):
        c = Cluster(dir_, netns=True)
        try:
            c.start()
        except ClusterError as e:
            msg = str(e)
            if want == "1" or "KAFKA_NETNS=1:" not in msg:
                c.stop()
                raise
            why_not_netns = next(line for line in msg.splitlines() if "KAFKA_NETNS=1:" in line)
            c.stop()
            c = None
    if c is None:
        c = Cluster(dir_, netns=False)
        c.start()
    c.why_not_netns = None if c.netns else why_not_netns
    print(f"\ncluster: {c.bootstrap} ({'network namespaces' if c.netns else 'loopback'}), "
          f"started in {c.start_s:.1f} s, files in {dir_}")
    ok = False
    try:
        yield c
        ok = True
    finally:
        c.stop()
        if ok and os.environ.get("KCRAWL_KEEP_BROKER_DIR") != "1":
            shutil.rmtree(dir_, ignore_errors=True)
        else:
            print(f"cluster files kept in {dir_}")


@pytest.fixture
def whole(cluster):
    """The cluster as a test finds it: whole, whatever the last one did."""
    cluster.restore()
    return cluster


@pytest.fixture
def topics(whole):
    t = Topics("c" + uuid.uuid4().hex[:12])
    cfg = {"min.insync.replicas": "2"}
    create_topics(whole.admin, t.all(), partitions=PARTITIONS, replication=3,
                  brokers=whole.bootstrap,
                  config={n: dict(cfg, **({"max.message.bytes": str(16 << 20)}
                                          if n == t.pages else {}))
                          for n in t.all()})
    yield t
    try:
        delete_topics(whole.admin, t.all())
    except AssertionError as e:  # a node may still be down after a failure
        print(f"topics not deleted: {e}")


@pytest.fixture
def server():
    s = HostileServer("127.0.0.1")
    s.id_delay = 0.02
    yield s
    s.stop()


# ---------------------------------------------------------------- pipeline --

class Outcomes:
    """Counts outcomes (records and dead letters, read_committed) as they
    arrive, with one consumer for the whole run that is only polled.
    Not offset queries: librdkafka 2.0.2's watermark query waits past its
    timeout, without end, when it was sent to a broker that then died."""

    def __init__(self, brokers, topics):
        self.c = Consumer({"bootstrap.servers": brokers,
                           "group.id": "kcrawl-test-count-" + uuid.uuid4().hex[:8],
                           "enable.auto.commit": False,
                           "auto.offset.reset": "earliest",
                           "isolation.level": "read_committed"})
        self.c.assign([TopicPartition(t, p, 0) for t in (topics.records, topics.errors)
                       for p in range(PARTITIONS)])
        self.n = 0

    def wait(self, want, deadline, check):
        end = time.monotonic() + deadline
        while self.n < want and time.monotonic() < end:
            for m in self.c.consume(100, 0.2):
                if m.error() is None:
                    self.n += 1
            check()
        return self.n

    def close(self):
        self.c.close()


class Run:
    """N ids through fetcher + --exactly-once cleaner on the cluster."""

    def __init__(self, cluster, topics, server, log_dir, tag):
        self.cluster, self.topics, self.server = cluster, topics, server
        self.log_dir = log_dir
        self.group = "g" + uuid.uuid4().hex[:10]
        self.ids = [f"{tag}-{i:05d}" for i in range(N)]
        self.msgs = [{"url": f"http://h{i % HOSTS:02d}.cluster.test/id/{ident}", "id": ident}
                     for i, ident in enumerate(self.ids)]
        self.procs = []
        self.fetcher = self.cleaner = None
        self.outcomes = None
        self.faults = []
        # Set after an outage of that many seconds: a stage that exits is
        # restarted when the outage outlasted its delivery timeout.
        self.outage = None

    def start(self, fetcher_extra=()):
        b, t = self.cluster.bootstrap, self.topics
        self.fetcher = Proc("fetcher", [
            "--brokers", b, "--group", self.group + "-f",
            "--urls-topic", t.urls, "--pages-topic", t.pages,
            "--errors-topic", t.errors, "--delay-topic", t.delayed,
            "--state-topic", t.state,
            "--connect-to", f"::127.0.0.1:{self.server.port}", "--allow-private",
            "--host-rate", RATE, "--host-burst", "2", "--host-concurrency", "2",
            "--retries", "5", "--retry-backoff-ms", "200", "--timeout", "20",
            "--drain-timeout", "10", *fetcher_extra], self.log_dir)
        self.cleaner = Proc("cleaner", [
            "--brokers", b, "--group", self.group + "-c",
            "--pages-topic", t.pages, "--records-topic", t.records,
            "--errors-topic", t.errors, "--workers", "1", "--drain-timeout", "10",
            "--exactly-once", "--txn-messages", "50", "--txn-ms", "500",
            "--transactional-id", self.group + "-c"], self.log_dir)
        self.procs = [self.fetcher, self.cleaner]
        self.outcomes = Outcomes(b, t)
        publish(b, t.urls, self.msgs)

    def _args(self, name):
        pr = self.fetcher if name == "fetcher" else self.cleaner
        return pr.args[1:]

    def assert_running(self):
        if self.outage is not None:
            self.restart_exited()
        for pr in self.procs:
            pr.assert_running()

    def restart_exited(self):
        """After an outage longer than a stage's delivery timeout the stage
        may stop (never lose): that is checked, and it is started again, so
        that the accounting shows whether anything was committed past what
        was delivered. A stage that exits after a shorter outage fails."""
        for idx, pr in enumerate(self.procs):
            rc = pr.p.poll()
            if rc is None or pr.stopped:
                continue
            limit = DELIVERY_TIMEOUT_S[pr.name]
            # +2 s: the cleaner's transaction may have begun up to
            # --txn-ms before the outage did.
            if self.outage + 2 < limit:
                pr.assert_running()   # fails, with the log
            pr.stopped = True
            self.faults.append(f"{pr.name} exited {rc} after a {self.outage:.0f} s outage "
                               f"(its delivery timeout {limit} s): started again")
            print(f"\n{pr.name} exited {rc} after the outage; last log lines:\n"
                  f"{pr.log_tail(8)}")
            new = Proc(pr.name, pr.args[1:], self.log_dir)
            self.procs[idx] = new
            if pr is self.fetcher:
                self.fetcher = new
            else:
                self.cleaner = new

    def wait_progress(self, frac, deadline=120):
        """Until a fraction of the ids has an outcome; fails if a stage
        died."""
        want = int(N * frac)
        got = self.outcomes.wait(want, deadline, self.assert_running)
        assert got >= want, f"only {got} of {want} outcomes within {deadline} s"
        return got

    def hold(self, seconds, what):
        """The fault lasts `seconds` (the outage is the point, so a fixed
        time), checking every 0.5 s that both stages are still running."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.assert_running()
            time.sleep(0.5)
        self.faults.append(f"{what} for {seconds} s")

    def finish(self, deadline=FINISH_DEADLINE):
        """Until every id has an outcome, then the accounting: 0 lost,
        0 duplicates, nothing unknown, both stages alive; then SIGTERM
        (exit 0)."""
        end = time.monotonic() + deadline
        while True:
            self.assert_running()
            lost = account(self.cluster.bootstrap, self.topics, self.ids, "waiting")[0]
            if not lost:
                break
            assert time.monotonic() < end, (
                f"{len(lost)} ids without an outcome {deadline} s after the fault "
                f"({self.faults}): {lost[:10]}\n--- fetcher ---\n{self.fetcher.log_tail()}"
                f"\n--- cleaner ---\n{self.cleaner.log_tail()}")
            time.sleep(2)
        self.assert_running()
        for pr in self.procs:
            pr.stop()
        lost, dups, unknown, records, errors = account(
            self.cluster.bootstrap, self.topics, self.ids, f"faults {self.faults}")
        pages = self.pages_per_id()
        outcomes = collections.Counter(json.loads(m.value).get("id") for m in records)
        more = {i: (c, pages[i]) for i, c in outcomes.items() if c > pages[i]}
        paged_twice = sum(1 for c in pages.values() if c > 1)
        print(f"pages: {sum(pages.values())}, ids with more than one page {paged_twice}")
        assert not lost, f"lost {len(lost)}: {lost[:10]}"
        assert not more, (f"the --exactly-once cleaner made more records than pages for "
                          f"{len(more)} ids (id: (records, pages)): {list(more.items())[:10]}")
        assert not dups, (f"{len(dups)} ids with more than one outcome: "
                          f"{list(dups.items())[:10]}; {paged_twice} ids with more "
                          f"than one page (the fetcher fetched them again)")
        assert not unknown, f"outcomes for ids never published: {unknown[:10]}"
        assert len(records) + len(errors) == N

    def pages_per_id(self):
        """Pages per id on the pages topic: where a duplicate comes from
        (the fetcher is at-least-once; the cleaner makes one outcome per
        page)."""
        pages = read_all(self.cluster.bootstrap, self.topics.pages, deadline=120)
        return collections.Counter(m.headers.get("url", "").rsplit("/", 1)[-1]
                                   for m in pages)

    def kill_all(self):
        for pr in self.procs:
            pr.kill()
        if self.outcomes is not None:
            self.outcomes.close()


@pytest.fixture
def run(request, whole, topics, server, tmp_path):
    r = Run(whole, topics, server, tmp_path, request.node.name.split("[")[0][5:])
    yield r
    r.kill_all()


def busiest(cluster, topics):
    """The node leading the most partitions of the URL and pages topics,
    among those leading at least one of each."""
    urls, pages = cluster.leaders(topics.urls), cluster.leaders(topics.pages)
    both = set(urls.values()) & set(pages.values())
    assert both, f"no node leads partitions of both topics: urls {urls} pages {pages}"
    count = {n: list(urls.values()).count(n) + list(pages.values()).count(n) for n in both}
    return max(sorted(count), key=count.get), urls, pages


def wait_leaders_move(cluster, topics, gone, deadline=120):
    """Until no partition of the test's topics is led by node `gone`, and
    every one has a leader."""
    end = time.monotonic() + deadline
    while True:
        try:
            ls = {t: cluster.leaders(t) for t in topics.all()}
        except Exception:  # noqa: BLE001 - metadata from a broker going away
            ls = None
        if ls and all(l not in (gone, -1) for m in ls.values() for l in m.values()):
            return ls
        assert time.monotonic() < end, f"leaders still on node {gone} or none: {ls}"
        time.sleep(0.5)


# ------------------------------------------------------------------- tests --

def test_cluster_tooling(whole):
    """kafka.sh's cluster commands do what the tests rely on: three nodes
    listed with node ids 1..3, pause/resume visible in the process state,
    a bad node index refused."""
    md = whole.admin.list_topics(timeout=20)
    assert sorted(md.brokers) == list(NODES)
    pid = whole.pid(2)
    assert pid is not None
    whole.node(2, "pause", timeout=30)
    try:
        # SIGSTOP takes effect asynchronously: the state is looked at for
        # up to 5 s, not once.
        end = time.monotonic() + 5
        while not whole.paused(2) and time.monotonic() < end:
            time.sleep(0.1)
        assert whole.paused(2)
    finally:
        whole.node(2, "resume", timeout=30)
    assert not whole.paused(2)
    out = subprocess.run([str(pathlib.Path(__file__).resolve().parents[2] / "tools" / "kafka.sh"),
                          "node", str(whole.dir), "7", "kill"], capture_output=True, text=True)
    assert out.returncode != 0 and "no node 7" in out.stderr


def test_leader_kill(run, whole, topics):
    """kill -9 of a node leading partitions of both the URL and the pages
    topic mid-run; the others take over; the node restarts and rejoins."""
    run.start()
    run.wait_progress(0.2)
    victim, urls, pages = busiest(whole, topics)
    whole.node(victim, "kill", timeout=30)
    run.faults.append(f"kill -9 node {victim} (leads urls {sorted(p for p, l in urls.items() if l == victim)}, "
                      f"pages {sorted(p for p, l in pages.items() if l == victim)})")
    wait_leaders_move(whole, topics, victim)
    before = run.wait_progress(0.5)
    run.assert_running()
    whole.node(victim, "start")
    run.faults.append(f"node {victim} restarted at {before} outcomes")
    run.finish()


def test_broker_pause(run, whole, topics):
    """SIGSTOP of the busiest node for 20 s (longer than the broker session
    timeout, so it is fenced and its partitions move), then SIGCONT."""
    run.start()
    run.wait_progress(0.2)
    victim, _, _ = busiest(whole, topics)
    whole.node(victim, "pause", timeout=30)
    try:
        run.hold(PAUSE_S, f"SIGSTOP node {victim}")
    finally:
        whole.node(victim, "resume", timeout=30)
    run.finish()


def test_controller_kill(run, whole):
    """kill -9 of the active controller mid-run; the quorum elects another;
    the node restarts."""
    run.start()
    run.wait_progress(0.2)
    victim = whole.controller()
    assert victim in NODES, f"controller {victim} is not a node of the cluster"
    whole.node(victim, "kill", timeout=30)
    run.faults.append(f"kill -9 controller node {victim}")
    end = time.monotonic() + 120
    while True:
        run.assert_running()
        try:
            now = whole.controller()
        except ClusterError:
            now = None
        if now is not None and now != victim:
            break
        assert time.monotonic() < end, f"no new controller after 120 s (got {now})"
    run.faults.append(f"node {now} elected controller")
    run.wait_progress(0.5)
    whole.node(victim, "start")
    run.finish()


def test_two_down(run, whole, topics):
    """Two of three nodes killed for 30 s: below min.insync.replicas and
    below the controller quorum. Producers wait; nothing is lost; work
    resumes when one returns. The outage lasts until the restarted node is
    back (30 s plus its start-up): when that outlasts a stage's delivery
    timeout (DELIVERY_TIMEOUT_S) the stage may stop, and is started again;
    nothing may be lost or doubled either way.

    The fetcher is at-least-once: when an outage outlasts its consumer
    group session (librdkafka's session.timeout.ms, 45 s) its partitions
    are revoked and the URLs in flight are fetched again once they come
    back, a second page each (with the default, 110 of 300 ids here). So
    the fetcher runs with a session timeout longer than the outage, as a
    deployment that must ride out such an outage would."""
    run.start(fetcher_extra=["-X", f"session.timeout.ms={FETCHER_SESSION_MS}"])
    run.wait_progress(0.2)
    victim, _, _ = busiest(whole, topics)
    other = next(n for n in NODES if n != victim)
    down = time.monotonic()
    whole.node(victim, "kill", timeout=30)
    whole.node(other, "kill", timeout=30)
    run.hold(TWO_DOWN_S, f"kill -9 nodes {victim} and {other}")
    whole.node(victim, "start")
    run.outage = time.monotonic() - down
    run.faults.append(f"node {victim} restarted: {run.outage:.0f} s below min.insync")
    run.wait_progress(0.6, deadline=FINISH_DEADLINE)
    whole.node(other, "start")
    run.faults.append(f"node {other} restarted")
    run.finish()


def test_isolated_broker(run, whole, topics):
    """The busiest node cut off from the other two (both directions) for
    30 s while clients can still reach it: it loses the controller quorum
    and is fenced, the others take over its partitions; then reconnected."""
    if not whole.netns:
        pytest.skip("needs one network namespace per broker (tools/kafka.sh with "
                    f"KAFKA_NETNS=1), not available here: {whole.why_not_netns}")
    run.start()
    run.wait_progress(0.2)
    victim, _, _ = busiest(whole, topics)
    whole.node(victim, "isolate", timeout=30)
    try:
        run.hold(ISOLATE_S, f"node {victim} cut off from the others")
    finally:
        whole.node(victim, "rejoin", timeout=30)
    run.finish()
