"""The cleaner's structured data against extruct's own test samples.

Each case of extruct_cases.json names a sample page of
../shared/testdata/extruct-samples, the file with extruct's expected output,
the base URL and options extruct's tests (tests/test_*.py of
scrapinghub/extruct) give it, and the syntax compared. The page goes
through the cleaner's extraction (build/structured_dump --record, which
calls extract_record()) and the record's field for the syntax is compared
with the expected value as extruct's tests compare them (assertEqual of the
JSON values), with two mappings the record's shape needs:

- json_ld holds one value per block; a block holding an array is counted
  as its items (extruct lists them);
- extruct's strict microdata (the W3C cases) has types and property values
  always as arrays; the record has extruct's default form, which maps to
  the strict one without loss (a single value becomes a one-element array).
- rdfa (expanded JSON-LD) is compared as extruct's tests/test_rdfa.py
  compares it: every list as a multiset (neither rdflib nor the record
  orders nodes or values the same way), blank node ids relabelled, and an
  XML literal's value in canonical XML (C14N 2.0: attribute and namespace
  order do not count). Relabelling here is canonical (by each blank
  node's content, refined through its neighbours), where extruct's test
  numbers the ids in set order.

A case without a base URL is run as the page about:blank: no http(s) base,
so URL values are kept as written, as extruct keeps them without a base.
Syntaxes the cleaner does not extract (none now) are reported as skipped,
not passed.

Run as a script to print the pass counts per syntax:
    python3 tests/structured/test_extruct_samples.py
"""

import collections
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMPLES = os.environ.get(
    "KCRAWL_EXTRUCT_SAMPLES",
    os.path.join(ROOT, "..", "..", "shared", "testdata", "extruct-samples",
                 "samples"))
if not os.path.isdir(SAMPLES):
    SAMPLES = "/work/shared/testdata/extruct-samples/samples"
BUILD = os.environ.get("KCRAWL_BUILD", os.path.join(ROOT, "build"))
DUMP = os.path.join(BUILD, "structured_dump")

NOT_EXTRACTED = set()

with open(os.path.join(HERE, "extruct_cases.json"), encoding="utf-8") as f:
    CASES = json.load(f)


def case_id(c):
    return "%s:%s->%s" % (c["syntax"], c["html"], os.path.basename(c["expected"]))


_records = {}


def record_of(html, base):
    key = (html, base)
    if key not in _records:
        if os.environ.get("KCRAWL_STRUCTURED_MODULES"):
            # The modules alone, on libxml2's DOM (development).
            argv = [DUMP, os.path.join(SAMPLES, html), base or "-"]
        else:
            argv = [DUMP, "--record", os.path.join(SAMPLES, html),
                    base or "about:blank"]
        out = subprocess.run(argv, check=True, capture_output=True, timeout=60)
        _records[key] = json.loads(out.stdout)
    return _records[key]


def strictify(items):
    """extruct's default microdata form to its strict form."""
    def item(it):
        if not isinstance(it, dict):
            return it
        out = dict(it)
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"]]
        if "properties" in out:
            props = {}
            for k, v in out["properties"].items():
                vs = v if isinstance(v, list) else [v]
                props[k] = [item(x) for x in vs]
            out["properties"] = props
        return out
    return [item(i) for i in items]


XMLLITERAL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral"


def _canon_xml(v):
    import xml.etree.ElementTree as ET
    try:
        return ET.canonicalize(v)
    except ET.ParseError:
        return v


def _bnodes(x, out):
    if isinstance(x, dict):
        for k, v in x.items():
            if k == "@id" and isinstance(v, str) and v.startswith("_:"):
                out.add(v)
            _bnodes(v, out)
    elif isinstance(x, list):
        for v in x:
            _bnodes(v, out)
    return out


def _relabel(x, names):
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            if k == "@id" and isinstance(v, str) and v in names:
                out[k] = names[v]
            elif (k == "@value" and isinstance(v, str)
                  and x.get("@type") == XMLLITERAL):
                out[k] = _canon_xml(v)
            else:
                out[k] = _relabel(v, names)
        return out
    if isinstance(x, list):
        return [_relabel(v, names) for v in x]
    return x


def tupleize(d):
    """extruct's test_rdfa.tupleize: lists as sorted multisets."""
    if isinstance(d, list):
        return tuple(sorted((tupleize(e) for e in d), key=repr))
    if isinstance(d, dict):
        return tuple(sorted(((k, tupleize(v)) for k, v in d.items()),
                            key=repr))
    return d


def rdfa_normal(nodes):
    """Expanded JSON-LD with blank nodes named by what they hold."""
    ids = sorted(_bnodes(nodes, set()))
    names = {b: "_:" for b in ids}
    by_id = {n.get("@id"): n for n in nodes if isinstance(n, dict)}
    for _ in range(4):  # refine: a node's label holds its neighbours'
        sig = {}
        for b in ids:
            node = dict(by_id.get(b, {}))
            node.pop("@id", None)
            sig[b] = repr(tupleize(_relabel(node, names)))
        order = sorted(ids, key=lambda b: sig[b])
        names = {b: "_:%s" % abs(hash(sig[b])) for b in order}
    return tupleize(_relabel(nodes, names))


def actual_for(c, rec):
    s = c["syntax"]
    if s == "json_ld":
        vals = []
        for v in rec.get("json_ld", []):
            vals.extend(v if isinstance(v, list) else [v])
        return [v for v in vals if v]  # extruct drops empty items
    if s == "microdata":
        md = rec.get("microdata", [])
        return strictify(md) if c.get("strict") else md
    if s == "opengraph":
        return rec.get("opengraph_full", [])
    if s == "rdfa":
        return rdfa_normal(rec.get("rdfa", []))
    if s == "microformats":
        return rec.get("microformats", [])
    if s == "dublincore":
        return rec.get("dublincore",
                       [{"namespaces": {}, "elements": [], "terms": []}])
    raise AssertionError("no such syntax " + s)


def expected_for(c):
    with open(os.path.join(SAMPLES, c["expected"]), encoding="utf-8") as f:
        exp = json.load(f)
    if "key" in c:
        exp = exp[c["key"]]
    if c["syntax"] == "rdfa":
        exp = rdfa_normal(exp)
    return exp


def check(c):
    rec = record_of(c["html"], c.get("base"))
    return actual_for(c, rec), expected_for(c)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_extruct_sample(case):
    if case["syntax"] in NOT_EXTRACTED:
        pytest.skip("the cleaner does not extract %s" % case["syntax"])
    actual, expected = check(case)
    assert actual == expected


def main():
    counts = collections.OrderedDict()
    for c in CASES:
        ok = False
        if c["syntax"] not in NOT_EXTRACTED:
            try:
                actual, expected = check(c)
                ok = actual == expected
            except Exception as e:  # a crash counts as a failure
                print("error:", case_id(c), e, file=sys.stderr)
        n = counts.setdefault(c["syntax"], [0, 0])
        n[0] += ok
        n[1] += 1
        if not ok and "-v" in sys.argv:
            print("FAIL", case_id(c))
    total = [0, 0]
    for s, (p, n) in counts.items():
        print("%-13s %2d of %2d" % (s, p, n))
        total[0] += p
        total[1] += n
    print("%-13s %2d of %2d" % ("all", total[0], total[1]))


if __name__ == "__main__":
    main()
