"""The end-to-end path under valgrind: fetcher and cleaner run under
memcheck (--leak-check=full, tests/valgrind.supp) on a real broker, fetch
a few pages (including hostile ones: a redirect, a 404, a too-large body,
a bad message), and must report no leaks and no invalid accesses
(--error-exitcode=99: the processes' exit status after SIGTERM must be 0).

Slow (valgrind is ~20-50x), so it runs only with KCRAWL_VALGRIND=1:

  KCRAWL_VALGRIND=1 KAFKA_BROKERS=... python3 -m pytest \
      tests/integration/test_faults_valgrind.py -v
"""

import os
import pathlib
import shutil
import subprocess
import uuid

import pytest

from conftest import (ROOT, Proc, binary, check_error, check_record, clean_env, publish,
                      read_all)
from hostile_server import HostileServer
from test_faults_pipeline import wait_outcomes

pytestmark = pytest.mark.skipif(os.environ.get("KCRAWL_VALGRIND") != "1",
                                reason="set KCRAWL_VALGRIND=1 (slow)")

VALGRIND = ["valgrind", "--tool=memcheck", "--leak-check=full",
            "--show-leak-kinds=definite,indirect,possible", "--errors-for-leak-kinds=definite,indirect,possible",
            "--error-exitcode=99", "--track-origins=yes", "--num-callers=30",
            f"--suppressions={ROOT}/tests/valgrind.supp"]


class VgProc(Proc):
    """A binary under valgrind; valgrind's own report lands in the log."""

    def __init__(self, name, args, log_dir):  # noqa: super().__init__ would start it bare
        self.name = name
        self.vg_log = f"{log_dir}/{name}-{uuid.uuid4().hex[:6]}.valgrind"
        self.args = VALGRIND + [f"--log-file={self.vg_log}", binary(name)] + list(args)
        self.log_path = pathlib.Path(log_dir) / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self._log = open(self.log_path, "wb")
        self.p = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=self._log,
                                  stderr=subprocess.STDOUT, env=clean_env())
        self.stopped = False

    def log_tail(self, n=60):
        try:
            return open(self.vg_log, errors="replace").read()[-8000:]
        except OSError:
            return super().log_tail(n)


def test_valgrind_end_to_end(brokers, topics, tmp_path):
    if not shutil.which("valgrind"):
        pytest.fail("valgrind not installed (apt-get install valgrind)")
    srv = HostileServer("127.0.0.1")
    try:
        hosts = [f"v{i}.valgrind.test" for i in range(4)]
        urls = [f"http://{h}/ok/{h}" for h in hosts] + [
            f"http://{hosts[0]}/redirect-to?u=/ok/after-redirect",
            f"http://{hosts[1]}/status/404",
            f"http://{hosts[2]}/big",
            f"http://{hosts[3]}/gzip-bomb",
        ]
        publish(brokers, topics.urls, urls + [("bad", b"\xff not a url")])
        common = ["--brokers", brokers]
        f = VgProc("fetcher", [*common, "--group", "g" + uuid.uuid4().hex[:8],
                               "--urls-topic", topics.urls, "--pages-topic", topics.pages,
                               "--errors-topic", topics.errors, "--delay-topic", topics.delayed,
            "--state-topic", topics.state,
                               "--connect-to", f"::127.0.0.1:{srv.port}", "--retries", "0",
                               "--host-rate", "100", "--max-body", "1M", "--timeout", "60",
                               "--drain-timeout", "20"], tmp_path)
        c = VgProc("cleaner", [*common, "--group", "g" + uuid.uuid4().hex[:8],
                               "--pages-topic", topics.pages, "--records-topic", topics.records,
                               "--errors-topic", topics.errors, "--workers", "2",
                               "--drain-timeout", "20"], tmp_path)
        try:
            n = len(urls) + 1
            got = wait_outcomes(brokers, topics, n, (f, c), deadline=600)
            assert got >= n, f"{got} outcomes of {n} under valgrind within 600 s"
            f.stop(deadline=180)   # asserts exit 0: valgrind found nothing
            c.stop(deadline=180)
        finally:
            f.kill()
            c.kill()
        for m in read_all(brokers, topics.records):
            check_record(m)
        for m in read_all(brokers, topics.errors):
            check_error(m)
        for pr in (f, c):
            report = open(pr.vg_log, errors="replace").read()
            summary = [x for x in report.splitlines() if "ERROR SUMMARY" in x
                       or "definitely lost" in x or "indirectly lost" in x]
            print(f"\n{pr.name} under valgrind: " + "; ".join(s.split("== ")[-1] for s in summary))
            assert "ERROR SUMMARY: 0 errors" in report, f"{pr.name}:\n{report[-8000:]}"
    finally:
        srv.stop()
