"""Extraction quality does not slide back: the cleaner's extraction
(build/bench/eval_extract: extract_record() in process, as a worker runs
it) over the two development sets in ../shared/testdata, scored with each
benchmark's own metric (tests/bench/eval_score.py), stays within TOLERANCE
of the figures below. Our side only: no trafilatura, no virtual
environment, no broker (`make eval` compares with trafilatura).

The text scored is the record's `main_text`, or its `text` (all visible
text) while records have no `main_text`. When the extraction gets better,
raise the figure here to what `make eval` reports (docs/quality.md), so
that the gain is kept.
"""

import gzip
import json
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT

sys.path.insert(0, str(ROOT / "tests" / "bench"))
import eval_score  # noqa: E402

TESTDATA = pathlib.Path(os.environ.get("EVAL_TESTDATA",
                                       ROOT.parent / "shared" / "testdata"))
if "EVAL_TESTDATA" not in os.environ and not TESTDATA.is_dir():
    # A clone made elsewhere (CI's, in a temporary folder) reads the
    # machine's copy, as tests/structured and tests/bench do.
    TESTDATA = pathlib.Path("/work/shared/testdata")
TOLERANCE = 0.01
# The figures reached (F1 with each benchmark's metric; text field:
# `main_text`).
ARTICLE_F1 = 0.963   # article-benchmark, 181 pages
WCXB_F1 = 0.855      # wcxb-dev, 1,497 pages, mean over pages
# An ASan build is some ten times slower; 1,678 pages take ~10 s normally.
RUN_DEADLINE_S = 900


def dev_set(name):
    """The development set's folder; skips the test when it is missing."""
    folder = TESTDATA / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is missing: the quality test needs the "
                    "development sets (../shared/testdata beside the "
                    "repository, or EVAL_TESTDATA=<folder>)")
    return folder


def eval_set(name):
    folder = dev_set(name)
    exe = BUILD / "bench" / "eval_extract"
    assert exe.exists(), f"{exe} is not built (make {exe})"
    proc = subprocess.run([str(exe), str(folder)], capture_output=True,
                          timeout=RUN_DEADLINE_S)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    outputs = {}
    # One object a line; split on "\n" only: the text may hold U+2028.
    for line in proc.stdout.decode("utf-8").split("\n"):
        if not line:
            continue
        o = json.loads(line)
        outputs[o["id"]] = o
    layout, rows = eval_score.load_ground_truth(folder)
    assert set(outputs) == {r["id"] for r in rows}, "a page has no output"
    failed = [i for i, o in outputs.items() if "error" in o]
    assert not failed, f"extraction failed on {len(failed)} pages: " \
        + "; ".join(f"{i}: {outputs[i]['error']}" for i in failed[:5])
    assert all(o["cpu_seconds"] >= 0 for o in outputs.values())
    return rows, outputs


def check_figure(name, got, want):
    assert abs(got - want) <= TOLERANCE, (
        f"{name}: F1 {got:.4f}, the figure is {want:.3f} ± {TOLERANCE}: "
        + ("quality slid back" if got < want else
           "better: raise the figure in tests/integration/test_quality.py "
           "to what make eval reports"))


def test_article_benchmark_f1():
    rows, outputs = eval_set("article-benchmark")
    scores = eval_score.score_article(rows, outputs)
    check_figure("article-benchmark", scores["f1"], ARTICLE_F1)


def test_wcxb_dev_f1():
    rows, outputs = eval_set("wcxb-dev")
    scores = eval_score.score_wcxb(rows, outputs)
    assert scores["all"]["pages"] == len(rows)
    check_figure("wcxb-dev", scores["all"]["f1"], WCXB_F1)


def test_scorer_known_answers():
    """The metrics' known answers (eval_score.selftest; the Markdown checks
    only where markdown-it-py is installed, as in make eval's venv)."""
    assert eval_score.selftest() == []


@pytest.mark.parametrize("name,published", [
    ("trafilatura", 0.958), ("readability", 0.922), ("html-text", 0.665)])
def test_article_metric_gives_the_published_figures(name, published):
    """The scorer is the benchmark's metric: the stored outputs of three
    extractors score what the benchmark published for them (its README)."""
    folder = dev_set("article-benchmark")
    path = folder / "reference-output" / f"{name}.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    data = data.get("output", data)
    _, rows = eval_score.load_ground_truth(folder)
    outputs = {k: {"text": v.get("articleBody", "")} for k, v in data.items()}
    f1 = eval_score.score_article(rows, outputs)["f1"]
    assert round(f1, 3) == published, f"{name}: {f1:.4f}"
