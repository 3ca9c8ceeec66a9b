#!/usr/bin/python3
"""Cleaner throughput: pages already in Kafka -> records, with --workers 1
and then --workers 2, in one run, on the same pages.

    KAFKA_BROKERS=127.0.0.1:9092 /usr/bin/python3 tests/bench/cleaner/bench.py \
        [--pages 4000] [--size 30000] [--workers 1,2] [--repeat 1]

Publishes the pages once (a 4-partition topic), then for each worker count
runs build/cleaner in a fresh consumer group with its own records topic and
reads the records back. The rate is measured from the first record to the
last (polling the records topic's high watermarks, which costs the reader
next to nothing), so start-up and the group join are not counted; the cleaner's CPU time (from /proc) and the machine's busy time over
the same interval show what limits it. Topics are deleted at the end.
Not a test: it asserts nothing and is not part of `make test`.
"""

import argparse
import os
import pathlib
import subprocess
import sys
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = pathlib.Path(__file__).resolve().parents[3]
BUILD = pathlib.Path(os.environ.get("KCRAWL_BUILD", ROOT / "build"))
TICK = os.sysconf("SC_CLK_TCK")

WORDS = ("kafka partition consumer group record extraction parallel worker "
         "throughput latency crawler politeness robots sitemap heading anchor "
         "paragraph document element attribute charset encoding").split()


def page(i, size):
    """A ~size-byte article page: head metadata, JSON-LD, headings,
    paragraphs, links and images, as a news or shop page has."""
    head = (f"<meta charset=utf-8><title>Article {i}: {WORDS[i % len(WORDS)]}</title>"
            f"<meta name=description content='About {WORDS[(i * 7) % len(WORDS)]}'>"
            f"<link rel=canonical href='/a/{i}'>"
            f"<meta property='og:title' content='Article {i}'>"
            "<script type='application/ld+json'>{\"@context\":\"https://schema.org\","
            f"\"@type\":\"Product\",\"name\":\"P{i}\",\"offers\":{{\"price\":{i}.99,"
            "\"priceCurrency\":\"EUR\"}}</script>"
            "<style>body{font-family:sans-serif}</style>")
    parts, n, k = [], 0, 0
    while n < size:
        k += 1
        w = " ".join(WORDS[(i + k + j) % len(WORDS)] for j in range(40))
        block = (f"<h2>Section {k}</h2><p>{w} <a href='/a/{i + k}'>more {k}</a> "
                 f"<b>{w[:60]}</b></p><ul><li><a href='https://ex{k % 5}.test/x/{k}'>"
                 f"ext {k}</a></li></ul><img src='/img/{k}.png' alt='image {k}'>"
                 "<script>var x = 1;</script>")
        parts.append(block)
        n += len(block)
    return (f"<!DOCTYPE html><html lang=en><head>{head}</head><body><h1>Article {i}</h1>"
            + "".join(parts) + "</body></html>").encode()


def create(admin, names, partitions=4):
    fs = admin.create_topics([NewTopic(n, num_partitions=partitions, replication_factor=1,
                                       config={"max.message.bytes": str(16 << 20)})
                              for n in names])
    for f in fs.values():
        f.result(60)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        md = admin.list_topics(timeout=10)
        if all(n in md.topics and len(md.topics[n].partitions) == partitions
               and all(p.leader >= 0 for p in md.topics[n].partitions.values())
               for n in names):
            return
        time.sleep(0.1)
    sys.exit(f"topics {names} not ready")


def publish(brokers, topic, n, size):
    p = Producer({"bootstrap.servers": brokers, "linger.ms": 20, "compression.type": "lz4",
                  "message.max.bytes": 16 << 20})
    total = 0
    for i in range(n):
        url = f"http://site{i % 16}.test/a/{i}"
        body = page(i, size)
        total += len(body)
        hdrs = [("url", url), ("final_url", url), ("status", "200"),
                ("content_type", "text/html; charset=utf-8"),
                ("fetched_at", "2026-11-25T10:00:00.000Z"), ("source_topic", "crawl.urls")]
        while True:
            try:
                p.produce(topic, value=body, key=url.encode(), headers=hdrs)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    if p.flush(120):
        sys.exit("pages not delivered")
    return total


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def machine_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def run(brokers, pages_topic, records_topic, errors_topic, workers, n, deadline):
    """Runs one cleaner until n records are on records_topic. Progress is
    read from the topic's high watermarks (no record is fetched, so the
    reader costs next to no CPU): the clock starts when the first record
    lands and stops when the n-th has."""
    group = "bench-" + uuid.uuid4().hex[:8]
    log = open(f"/tmp/bench-cleaner-{workers}w.log", "wb")
    proc = subprocess.Popen([str(BUILD / "cleaner"), "--brokers", brokers, "--group", group,
                             "--pages-topic", pages_topic, "--records-topic", records_topic,
                             "--errors-topic", errors_topic, "--workers", str(workers),
                             "--log-level", "warn"],
                            stdout=log, stderr=subprocess.STDOUT)
    c = Consumer({"bootstrap.servers": brokers, "group.id": "bench-r-" + uuid.uuid4().hex[:6]})
    parts = [TopicPartition(records_topic, p) for p in range(4)]
    first = last = None
    done = 0
    end = time.monotonic() + deadline
    try:
        while done < n and time.monotonic() < end:
            done = sum(c.get_watermark_offsets(tp, timeout=10, cached=False)[1] for tp in parts)
            now = (time.monotonic(), cpu_ticks(proc.pid), machine_busy())
            if done > 0 and first is None:
                first = (now, done)
            if done >= n:
                last = now
                break
            if proc.poll() is not None:
                sys.exit(f"cleaner exited with {proc.returncode}; see {log.name}")
            time.sleep(0.02)
    finally:
        c.close()
        proc.terminate()
        proc.wait(30)
        log.close()
    if last is None:
        sys.exit(f"{workers} worker(s): {done} records of {n} in {deadline} s")
    (t0, cpu0, m0), done0 = first
    t1, cpu1, m1 = last
    span = t1 - t0
    rate = (n - done0) / span if span > 0 else float("inf")
    cpu = (cpu1 - cpu0) / TICK
    busy, total = m1[0] - m0[0], m1[1] - m0[1]
    return rate, span, cpu, busy / total if total else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=4000)
    ap.add_argument("--size", type=int, default=30000, help="approximate page bytes")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--deadline", type=float, default=300)
    args = ap.parse_args()
    brokers = os.environ.get("KAFKA_BROKERS")
    if not brokers:
        sys.exit("set KAFKA_BROKERS to a broker you own")
    admin = AdminClient({"bootstrap.servers": brokers})
    prefix = "bench" + uuid.uuid4().hex[:8]
    counts = [int(w) for w in args.workers.split(",")]
    runs = [(w, r) for r in range(args.repeat) for w in counts]
    topics = [f"{prefix}.pages", f"{prefix}.errors"] + \
             [f"{prefix}.records.{w}.{r}" for w, r in runs]
    create(admin, topics)
    try:
        total = publish(brokers, f"{prefix}.pages", args.pages, args.size)
        print(f"{args.pages} pages, {total / args.pages / 1024:.1f} KiB each on average, "
              f"{os.cpu_count()} CPUs, broker {brokers}")
        results = {}
        for w, r in runs:
            rate, span, cpu, busy = run(brokers, f"{prefix}.pages",
                                        f"{prefix}.records.{w}.{r}", f"{prefix}.errors",
                                        w, args.pages, args.deadline)
            results.setdefault(w, []).append(rate)
            print(f"workers={w}: {rate:8.0f} pages/s over {span:6.2f} s; cleaner CPU "
                  f"{cpu / span if span else 0:4.2f} cores, {cpu * 1e3 / (rate * span):5.2f} ms/page;"
                  f" machine busy {busy * 100:3.0f}%", flush=True)
        if len(counts) >= 2:
            base = max(results[counts[0]])
            for w in counts[1:]:
                print(f"ratio workers={w} / workers={counts[0]}: "
                      f"{max(results[w]) / base:.2f}x (best of {args.repeat})")
    finally:
        fs = admin.delete_topics(topics)
        for f in fs.values():
            try:
                f.result(60)
            except Exception:
                pass


if __name__ == "__main__":
    main()
