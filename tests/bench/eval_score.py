"""eval_score — the metrics `make eval` and the quality test score with.

Each benchmark is scored with its own metric, as its README (and its
evaluate.py) defines it; this is a re-implementation from those
definitions:

- article-benchmark (scrapinghub/article-extraction-benchmark):
  the extracted text's 4-word shingles (runs of \\w+ tokens, case kept)
  against articleBody's, counted as multisets; each page's tp/fp/fn are
  normalised to sum to 1; precision is the mean over pages that extracted
  anything, recall the mean over pages with a reference; F1 is the
  harmonic mean of those two means.
- wcxb-dev (WCXB): lower-case \\w+ tokens as multisets; per page
  precision = overlap / extracted, recall = overlap / reference, F1;
  a page with an empty reference scores 1 when nothing was extracted,
  else 0; everything is averaged over pages. Snippets: the share of a
  page's `with` snippets found and of its `without` snippets present,
  case-insensitive substring tests (1.0 for a page without snippets),
  averaged over pages.

Only the standard library, so the quality test needs no virtual
environment; the Markdown metrics import markdown-it-py when called.
"""

import collections
import gzip
import json
import pathlib
import re

_WORD = re.compile(r"\w+")


# --------------------------------------------------------------- loading --

def load_ground_truth(folder):
    """Returns (layout, rows) of an evaluation folder: layout "wcxb"
    (ground-truth.jsonl[.gz]: one object a line) or "article"
    (ground-truth.json: {id: {...}}); rows are dicts in file order, each
    with at least "id" and "url"."""
    folder = pathlib.Path(folder)
    for name in ("ground-truth.jsonl.gz", "ground-truth.jsonl"):
        path = folder / name
        if path.exists():
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as f:
                rows = [json.loads(line) for line in f if line.strip()]
            return "wcxb", rows
    path = folder / "ground-truth.json"
    if path.exists():
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return "article", [dict(v, id=k) for k, v in data.items()]
    raise FileNotFoundError(f"{folder}: no ground-truth.jsonl.gz, "
                            "ground-truth.jsonl or ground-truth.json")


def page_path(folder, page_id):
    """The page's HTML file: html/<id>.html.gz, else html/<id>.html."""
    folder = pathlib.Path(folder)
    gz = folder / "html" / f"{page_id}.html.gz"
    return gz if gz.exists() else folder / "html" / f"{page_id}.html"


def read_page(folder, page_id):
    """The page's bytes, unpacked."""
    path = page_path(folder, page_id)
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def read_jsonl(path):
    """The objects of a JSON-lines file (lines end at "\n" only)."""
    with open(path, encoding="utf-8", newline="") as f:
        return [json.loads(line) for line in f if line.strip()]


def text_of(out, fields=("main_text", "text")):
    """(text, field) for an extraction output line: the first of `fields`
    it has (a missing or null field falls through), or ("", None)."""
    for name in fields:
        value = out.get(name)
        if isinstance(value, str):
            return value, name
    return "", None


# ------------------------------------------------ article-benchmark metric --

def _shingles(text, n=4):
    tokens = _WORD.findall(text or "")
    grams = collections.Counter()
    for i in range(max(1, len(tokens) - n + 1)):
        gram = tuple(tokens[i:i + n])
        if gram:
            grams[gram] += 1
    return grams


def article_page(reference, extracted):
    """(tp, fp, fn) of one page, normalised to sum to 1 (or all 0)."""
    ref, ext = _shingles(reference), _shingles(extracted)
    tp = sum((ref & ext).values())
    fp = sum((ext - ref).values())
    fn = sum((ref - ext).values())
    total = tp + fp + fn
    if total:
        return tp / total, fp / total, fn / total
    return 0.0, 0.0, 0.0


def article_scores(pages):
    """{"precision", "recall", "f1", "pages"} over (tp, fp, fn) triples."""
    def prec(tp, fp, fn):
        if fp == 0 and fn == 0:
            return 1.0
        return tp / (tp + fp) if tp + fp else 0.0

    def rec(tp, fp, fn):
        if fp == 0 and fn == 0:
            return 1.0
        return tp / (tp + fn) if tp + fn else 0.0

    ps = [prec(*t) for t in pages if t[0] + t[1] > 0]
    rs = [rec(*t) for t in pages if t[0] + t[2] > 0]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "pages": len(pages)}


def score_article(rows, outputs, fields=("main_text", "text")):
    """article-benchmark scores of `outputs` ({id: output line})."""
    triples = []
    for row in rows:
        text, _ = text_of(outputs.get(row["id"], {}), fields)
        triples.append(article_page(row.get("articleBody") or "", text))
    return article_scores(triples)


# ---------------------------------------------------------- wcxb metric --

def words(text):
    return _WORD.findall((text or "").lower())


def multiset_prf(extracted, reference):
    """WCXB's per-page (precision, recall, f1) of two token lists."""
    if not reference:
        return (1.0, 1.0, 1.0) if not extracted else (0.0, 0.0, 0.0)
    if not extracted:
        return 0.0, 0.0, 0.0
    overlap = sum((collections.Counter(extracted)
                   & collections.Counter(reference)).values())
    p, r = overlap / len(extracted), overlap / len(reference)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def snippet_share(text, snippets):
    if not snippets:
        return 1.0
    low = (text or "").lower()
    return sum(1 for s in snippets if s.lower() in low) / len(snippets)


def _mean(values):
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def page_scores(layout, rows, outputs, fields=("main_text", "text")):
    """{id: {"precision", "recall", "f1"}} page by page, with the set's
    metric (for the article benchmark, each page's own P/R/F1 of
    shingles), to find the pages that cost the most."""
    out = {}
    for row in rows:
        text, _ = text_of(outputs.get(row["id"], {}), fields)
        if layout == "article":
            tp, fp, fn = article_page(row.get("articleBody") or "", text)
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
        else:
            p, r, f1 = multiset_prf(words(text), words(row.get("main_content")))
        out[row["id"]] = {"precision": p, "recall": r, "f1": f1}
    return out


def score_wcxb(rows, outputs, fields=("main_text", "text")):
    """{"all": scores, "<page type>": scores, ...}; scores are
    {"pages", "precision", "recall", "f1", "with", "without"}."""
    per_page = collections.defaultdict(list)
    for row in rows:
        text, _ = text_of(outputs.get(row["id"], {}), fields)
        p, r, f1 = multiset_prf(words(text), words(row.get("main_content")))
        res = {"precision": p, "recall": r, "f1": f1,
               "with": snippet_share(text, row.get("with") or []),
               "without": snippet_share(text, row.get("without") or [])}
        per_page["all"].append(res)
        per_page[row.get("page_type") or "unknown"].append(res)
    out = {}
    for kind, results in per_page.items():
        out[kind] = {"pages": len(results)}
        for key in ("precision", "recall", "f1", "with", "without"):
            out[kind][key] = _mean(r[key] for r in results)
    return out


# ------------------------------------------------------------ metadata --

def _norm_name(value):
    """An author as words: lower-cased, punctuation, "and" and a leading
    "by" dropped ("By Ann Lee, and Bo Ng" = "ann lee bo ng")."""
    toks = [w for w in words(value) if w != "and"] \
        if isinstance(value, str) else []
    if toks and toks[0] == "by":
        toks = toks[1:]
    return " ".join(toks)


def _norm_date(value):
    if not isinstance(value, str):
        return ""
    m = re.match(r"\s*(\d{4}-\d{2}-\d{2})", value)
    return m.group(1) if m else ""


def score_metadata(rows, outputs):
    """Author and publish date against WCXB's: {"author": {...},
    "published": {...}} with "right" (pages where both agree: equal
    as _norm_name's words for an author, the same
    YYYY-MM-DD day for a date, or both absent), "right_given" (of the
    pages whose ground truth has one, how many we got right), "given",
    "pages" and "field" (False when the outputs never have the field)."""
    result = {}
    for name, gt_key, out_key, norm in (
            ("author", "author", "author", _norm_name),
            ("published", "publish_date", "published_at", _norm_date)):
        right = right_given = given = 0
        has_field = any(out_key in o for o in outputs.values())
        for row in rows:
            want = norm(row.get(gt_key))
            got = norm(outputs.get(row["id"], {}).get(out_key))
            if want:
                given += 1
            if want == got:
                right += 1
                if want:
                    right_given += 1
        result[name] = {"right": right, "right_given": right_given,
                        "given": given, "pages": len(rows),
                        "field": has_field}
    return result


# ------------------------------------------------------------ markdown --

def markdown_parser():
    """CommonMark with GFM pipe tables (markdown-it-py). text_join is off
    so that backslash escapes stay tokens of their own (text_special) and
    a literal `**` or `](` in a text token is markup left unparsed."""
    from markdown_it import MarkdownIt
    return MarkdownIt("commonmark").enable("table").disable("text_join")


def _inline_text(token):
    parts = []
    for child in token.children or []:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def _norm_item(text):
    return " ".join(words(text))


def markdown_parts(md, source):
    """The parts of a Markdown text the metrics compare: {"words": [...],
    "headings", "items", "cells", "links": [normalised texts]}."""
    tokens = md.parse(source or "")
    parts = {"words": [], "headings": [], "items": [], "cells": [],
             "links": []}
    stack = []  # open list items, table cells, headings: [kind, texts]
    for tok in tokens:
        if tok.type in ("heading_open", "list_item_open", "th_open",
                        "td_open"):
            kind = {"heading_open": "headings", "list_item_open": "items"
                    }.get(tok.type, "cells")
            stack.append([kind, []])
        elif tok.type in ("heading_close", "list_item_close", "th_close",
                          "td_close"):
            kind, texts = stack.pop()
            text = _norm_item(" ".join(texts))
            if text:
                parts[kind].append(text)
        elif tok.type == "inline":
            text = _inline_text(tok)
            parts["words"].extend(words(text))
            if stack:
                stack[-1][1].append(text)
            link = None
            for child in tok.children or []:
                if child.type == "link_open":
                    link = []
                elif child.type == "link_close" and link is not None:
                    text = _norm_item("".join(link))
                    if text:
                        parts["links"].append(text)
                    link = None
                elif link is not None and child.type in (
                        "text", "text_special", "code_inline", "image"):
                    link.append(child.content)
        elif tok.type in ("fence", "code_block"):
            parts["words"].extend(words(tok.content))
    return parts


# A closing fence line, after its containers' indentation or `>` marks.
_FENCE_LINE = re.compile(r"^[ \t>]*(`{3,}|~{3,})[ \t]*$")
_TABLE_LINE = re.compile(r"^\s*\|.*\|\s*$")


def markdown_problems(md, source):
    """The set of problems of one Markdown text: "unclosed_fence",
    "raw_html", "literal_strong" (`**` left as text), "literal_link"
    (`](` left as text), "bad_table" (a line that looks like a pipe-table
    row outside any table the parser found)."""
    problems = set()
    source = source or ""
    lines = source.split("\n")
    tokens = md.parse(source)
    in_table, in_code = set(), set()
    for tok in tokens:
        if tok.type in ("html_block",):
            problems.add("raw_html")
        if tok.type == "table_open" and tok.map:
            in_table.update(range(tok.map[0], tok.map[1]))
        if tok.type in ("fence", "code_block") and tok.map:
            in_code.update(range(tok.map[0], tok.map[1]))
        if tok.type == "fence" and tok.map:
            last = tok.map[1] - 1
            m = (_FENCE_LINE.match(lines[last])
                 if tok.map[0] < last < len(lines) else None)
            opener = tok.markup
            if not m or m.group(1)[0] != opener[0] \
                    or len(m.group(1)) < len(opener):
                problems.add("unclosed_fence")
        if tok.type == "inline":
            for child in tok.children or []:
                if child.type == "html_inline":
                    problems.add("raw_html")
                elif child.type == "text":
                    if "**" in child.content:
                        problems.add("literal_strong")
                    if "](" in child.content:
                        problems.add("literal_link")
    for i, line in enumerate(lines):
        if i not in in_table and i not in in_code and _TABLE_LINE.match(line) \
                and line.count("|") >= 2:
            problems.add("bad_table")
    return problems


MARKDOWN_PARTS = ("words", "headings", "items", "cells", "links")
MARKDOWN_PROBLEMS = ("unclosed_fence", "raw_html", "literal_strong",
                     "literal_link", "bad_table")


def score_markdown(rows, outputs):
    """Markdown against WCXB's main_content_markdown, on the pages whose
    ground truth has one: for each part, the mean per-page F1 of the
    multisets (words: of \\w+ tokens; the others: of normalised texts),
    over the pages where either side has that part; plus the number of
    pages with each problem. None when no output has a markdown field."""
    if not any(isinstance(o.get("markdown"), str) for o in outputs.values()):
        return None
    md = markdown_parser()
    f1s = {k: [] for k in MARKDOWN_PARTS}
    problems = collections.Counter()
    pages = 0
    for row in rows:
        ref_src = row.get("main_content_markdown")
        if not isinstance(ref_src, str) or not ref_src.strip():
            continue
        pages += 1
        got_src = outputs.get(row["id"], {}).get("markdown") or ""
        ref, got = markdown_parts(md, ref_src), markdown_parts(md, got_src)
        for k in MARKDOWN_PARTS:
            if ref[k] or got[k]:
                f1s[k].append(multiset_prf(got[k], ref[k])[2])
        for p in markdown_problems(md, got_src):
            problems[p] += 1
    return {"pages": pages,
            "f1": {k: _mean(v) for k, v in f1s.items()},
            "n": {k: len(v) for k, v in f1s.items()},
            "problems": {p: problems[p] for p in MARKDOWN_PROBLEMS}}


def selftest():
    """Known answers of the metrics and checks (eval.py runs it first, so
    a scorer that went wrong stops the report). Returns a list of
    failures, empty when all hold."""
    bad = []

    def check(what, got, want):
        if got != want:
            bad.append(f"{what}: {got!r}, want {want!r}")

    check("wcxb f1", tuple(round(x, 3) for x in multiset_prf(
        words("the cat the"), words("The cat sat"))), (0.667, 0.667, 0.667))
    check("wcxb empty reference", multiset_prf([], []), (1.0, 1.0, 1.0))
    check("wcxb extra on empty", multiset_prf(["a"], []), (0.0, 0.0, 0.0))
    check("snippets", snippet_share("Hello World", ["hello", "x"]), 0.5)
    check("shingles", article_page("a b c d e", "a b c d"), (0.5, 0.0, 0.5))
    check("author", _norm_name("By Ann Lee, and Bo Ng"), "ann lee bo ng")
    check("date", _norm_date("2025-09-04T10:00:00+02:00"), "2025-09-04")
    try:
        md = markdown_parser()
    except ImportError:
        return bad
    cases = {
        "# T\n\n[a](http://x/) **b**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```py\nx\n```\n\n- i\n  ```\n  y\n  ```\n\n> ```\n> z\n> ```\n": set(),
        "a \\*\\*b\\*\\* c\\](d\n": set(),
        "x\n\n```\ncode\n": {"unclosed_fence"},
        "a <span>b</span>\n": {"raw_html"},
        "<div>\nx\n</div>\n": {"raw_html"},
        "**98%**of\n": {"literal_strong"},
        "[x](y z)\n": {"literal_link"},
        "| a | b |\n| 1 | 2 |\n": {"bad_table"},
    }
    for src, want in cases.items():
        check(f"markdown_problems({src!r})", markdown_problems(md, src), want)
    parts = markdown_parts(md, "## Head *one*\n\n- a [L](u)\n  - b\n\n"
                               "| h |\n|---|\n| c |\n")
    check("headings", parts["headings"], ["head one"])
    check("items", sorted(parts["items"]), ["a l", "b"])
    check("cells", parts["cells"], ["h", "c"])
    check("links", parts["links"], ["l"])
    return bad
