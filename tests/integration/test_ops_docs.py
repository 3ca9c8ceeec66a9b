"""Generated documentation is current: docs/configuration.md and the man
pages are what the option tables print now (regenerate with `make docs`),
and the operator's documents exist with what they must cover."""

import subprocess

import pytest

from conftest import BUILD, ROOT, binary, run_cli


def _generated(*cmd):
    r = subprocess.run([str(ROOT / "tools" / cmd[0]), *cmd[1:]], capture_output=True,
                       timeout=60, cwd=ROOT)
    assert r.returncode == 0, f"{cmd}: {r.stderr.decode()}"
    return r.stdout.decode()


def test_configuration_md_is_current():
    binary("fetcher"), binary("cleaner")
    want = _generated("gen-config-doc.sh", str(BUILD))
    have = (ROOT / "docs" / "configuration.md").read_text()
    assert have == want, ("docs/configuration.md is stale: the option tables "
                          "changed; run `make docs` and commit the result")


@pytest.mark.parametrize("name", ["fetcher", "cleaner"])
def test_man_page_is_current(name):
    binary(name)
    want = _generated("gen-man.sh", name, str(BUILD))
    have = (ROOT / "man" / f"{name}.1").read_text()
    assert have == want, (f"man/{name}.1 is stale; run `make docs` and commit "
                          "the result")


@pytest.mark.parametrize("name", ["fetcher", "cleaner"])
def test_every_option_documented(name):
    """Each option --help lists appears in the configuration page and in
    the man page (roff escapes '-' as '\\-')."""
    helptext = run_cli(name, "--help").stdout.decode()
    opts = {line.split()[0] for line in helptext.splitlines()
            if line.startswith("  --")}
    assert len(opts) > 5
    conf = (ROOT / "docs" / "configuration.md").read_text()
    man = (ROOT / "man" / f"{name}.1").read_text().replace("\\-", "-")
    for opt in opts:
        assert f"`{opt}" in conf or opt in ("--print-config", "--version", "--help"), \
            f"{opt} missing from docs/configuration.md"
        assert opt in man, f"{opt} missing from man/{name}.1"


@pytest.mark.parametrize("doc,needles", [
    ("architecture.md", ["crawl.urls", "crawl.pages", "crawl.records", "crawl.errors",
                         "murmur2", "politeness", "rebalance", "crash", "at-least-once"]),
    ("operations.md", ["SASL", "SSL", "-X", "partitions", "--workers", "--scale",
                       "kcrawl_kafka_consumer_lag", "upgrad"]),
    ("scaling.md", ["1 billion", "measured", "assumed", "partitions", "bandwidth",
                    "memory"]),
])
def test_operator_docs(doc, needles):
    text = (ROOT / "docs" / doc).read_text()
    for n in needles:
        assert n.lower() in text.lower(), f"docs/{doc} does not cover {n!r}"
