#!/usr/bin/env python3
"""eval.py — `make eval`: the cleaner's extraction and trafilatura's on the
same pages, each benchmark's own metric, side by side; writes a Markdown
report (docs/quality.md for the development sets).

  eval.py --build BUILD --out FILE [--cache DIR] DIR...

Each DIR is an evaluation folder (eval_score.load_ground_truth: the
wcxb-dev or the article-benchmark layout). Ours: BUILD/bench/eval_extract
(one thread, CPU time of the extraction per page). trafilatura: in this
process (the virtual environment `make eval` makes), CPU time by
time.process_time() around each call; its outputs and times are cached in
--cache by the page file's SHA-256, its URL, trafilatura's version and the
call options, so a re-run scores from the cache (the report says which
timings came from it). Runs on one core; nothing here is parallel.
"""

import argparse
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import eval_score  # noqa: E402

TRAF_OPTIONS = {
    # text: trafilatura's defaults (favor_precision/favor_recall off,
    # comments and tables in) -- its documented extract() behaviour.
    "text": {},
    "markdown": {"output_format": "markdown", "include_links": True},
}
CACHE_FORMAT = 1  # bump when what is cached changes


def run_ours(build, folder, out_path):
    """Runs eval_extract over folder; returns ({id: line}, wall seconds)."""
    exe = pathlib.Path(build) / "bench" / "eval_extract"
    t0 = time.monotonic()
    with open(out_path, "wb") as out:
        subprocess.run([str(exe), str(folder)], stdout=out, check=True)
    wall = time.monotonic() - t0
    return {o["id"]: o for o in eval_score.read_jsonl(out_path)}, wall


def traf_page(trafilatura, html, url):
    """trafilatura's text, Markdown and metadata of one page with the CPU
    time of each call."""
    from trafilatura.metadata import extract_metadata
    res = {}
    t0 = time.process_time()
    try:
        res["text"] = trafilatura.extract(html, url=url,
                                          **TRAF_OPTIONS["text"]) or ""
    except Exception as e:  # a crash on one page scores as empty
        res["text"], res["error_text"] = "", repr(e)[:200]
    t1 = time.process_time()
    try:
        res["markdown"] = trafilatura.extract(
            html, url=url, **TRAF_OPTIONS["markdown"]) or ""
    except Exception as e:
        res["markdown"], res["error_markdown"] = "", repr(e)[:200]
    t2 = time.process_time()
    try:
        meta = extract_metadata(html, default_url=url)
        res["author"] = meta.author if meta else None
        res["published_at"] = meta.date if meta else None
        res["site_name"] = meta.sitename if meta else None
    except Exception as e:
        res["author"] = res["published_at"] = res["site_name"] = None
        res["error_metadata"] = repr(e)[:200]
    t3 = time.process_time()
    res["cpu_text"], res["cpu_markdown"], res["cpu_metadata"] = \
        t1 - t0, t2 - t1, t3 - t2
    return res


def run_trafilatura(folder, rows, cache_dir):
    """({id: output}, pages taken from the cache)."""
    import trafilatura
    version = trafilatura.__version__
    salt = json.dumps([CACHE_FORMAT, version, TRAF_OPTIONS], sort_keys=True)
    cache_dir = pathlib.Path(cache_dir) / f"trafilatura-{version}"
    cache_dir.mkdir(parents=True, exist_ok=True)
    outputs, cached = {}, 0
    for n, row in enumerate(rows, 1):
        raw = eval_score.page_path(folder, row["id"]).read_bytes()
        key = hashlib.sha256(salt.encode() + b"\0"
                             + (row.get("url") or "").encode() + b"\0"
                             + raw).hexdigest()
        path = cache_dir / f"{key}.json"
        if path.exists():
            res = json.loads(path.read_text(encoding="utf-8"))
            cached += 1
        else:
            html = eval_score.read_page(folder, row["id"]).decode(
                "utf-8", "replace")
            res = traf_page(trafilatura, html, row.get("url"))
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(res), encoding="utf-8")
            os.replace(tmp, path)
        outputs[row["id"]] = res
        if n % 200 == 0:
            print(f"eval: trafilatura {folder.name}: {n}/{len(rows)}",
                  file=sys.stderr)
    return outputs, cached


SPEED_SAMPLE = int(os.environ.get("EVAL_SPEED_SAMPLE", "60"))


def time_ours(build, folder, layout, rows, sample_dir):
    """Our outputs of rows' pages, extracted again now (right before
    trafilatura's are timed, so both see the same machine): a folder of
    links to the pages with a ground truth of their ids and URLs."""
    shutil.rmtree(sample_dir, ignore_errors=True)
    (sample_dir / "html").mkdir(parents=True)
    for row in rows:
        src = eval_score.page_path(folder, row["id"])
        (sample_dir / "html" / src.name).symlink_to(src)
    if layout == "article":
        gt = {r["id"]: {"url": r.get("url")} for r in rows}
        (sample_dir / "ground-truth.json").write_text(json.dumps(gt))
    else:
        (sample_dir / "ground-truth.jsonl").write_text("".join(
            json.dumps({"id": r["id"], "url": r.get("url")}) + "\n"
            for r in rows))
    out, _ = run_ours(build, sample_dir, sample_dir / "kcrawl.jsonl")
    return out


def time_trafilatura(folder, rows):
    """trafilatura's three calls on rows' pages, timed now (not cached)."""
    import trafilatura
    out = {}
    for row in rows:
        html = eval_score.read_page(folder, row["id"]).decode("utf-8",
                                                               "replace")
        out[row["id"]] = traf_page(trafilatura, html, row.get("url"))
    return out


def write_pages(path, layout, rows, ours, traf):
    """Each page's F1, ours and trafilatura's, the biggest loss first: where
    to look when tuning (id, page type, F1s, our P and R, URL)."""
    a = eval_score.page_scores(layout, rows, ours)
    t = eval_score.page_scores(layout, rows, traf, fields=("text",))
    order = sorted(rows, key=lambda r: (a[r["id"]]["f1"] - t[r["id"]]["f1"],
                                        r["id"]))
    with open(path, "w", encoding="utf-8") as f:
        f.write("id\tpage_type\tf1_kcrawl\tf1_trafilatura\tp_kcrawl\t"
                "r_kcrawl\turl\n")
        for r in order:
            x, y = a[r["id"]], t[r["id"]]
            f.write(f"{r['id']}\t{r.get('page_type') or ''}\t{x['f1']:.3f}\t"
                    f"{y['f1']:.3f}\t{x['precision']:.3f}\t"
                    f"{x['recall']:.3f}\t{r.get('url') or ''}\n")


def fmt(x, digits=3):
    return "–" if x is None else f"{x:.{digits}f}"


def pct(x):
    return "–" if x is None else f"{100 * x:.1f}%"


def report_article(name, rows, ours, traf, ours_field):
    a = eval_score.score_article(rows, ours)
    t = eval_score.score_article(rows, traf, fields=("text",))
    return [
        f"## {name} ({len(rows)} pages, article-benchmark metric)", "",
        "Token 4-gram shingles against `articleBody`; precision and recall "
        "are means over pages, F1 their harmonic mean.", "",
        "| extractor | F1 | precision | recall |",
        "| --- | ---: | ---: | ---: |",
        f"| kcrawl (`{ours_field}`) | {fmt(a['f1'])} | {fmt(a['precision'])}"
        f" | {fmt(a['recall'])} |",
        f"| trafilatura {traf_version()} | {fmt(t['f1'])} | "
        f"{fmt(t['precision'])} | {fmt(t['recall'])} |", ""], a, t


TYPE_ORDER = ["all", "article", "forum", "product", "collection", "listing",
              "documentation", "service"]


def report_wcxb(name, rows, ours, traf, ours_field):
    a = eval_score.score_wcxb(rows, ours)
    t = eval_score.score_wcxb(rows, traf, fields=("text",))
    kinds = [k for k in TYPE_ORDER if k in a] + sorted(
        k for k in a if k not in TYPE_ORDER)
    lines = [
        f"## {name} ({len(rows)} pages, WCXB metric)", "",
        "Word-level F1 of lower-case `\\w+` multisets against "
        "`main_content`, averaged over pages; `with`: share of the snippets "
        "a correct extraction contains that were found (higher is better); "
        "`without`: share of the boilerplate snippets that were present "
        "(lower is better).", "",
        "| page type | pages | F1 kcrawl | F1 trafilatura | P kcrawl | "
        "P traf. | R kcrawl | R traf. | with kcrawl | with traf. | "
        "without kcrawl | without traf. |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        "---: | ---: | ---: |"]
    for k in kinds:
        x, y = a[k], t[k]
        lines.append(
            f"| {'**all**' if k == 'all' else k} | {x['pages']} | "
            f"{fmt(x['f1'])} | {fmt(y['f1'])} | {fmt(x['precision'])} | "
            f"{fmt(y['precision'])} | {fmt(x['recall'])} | "
            f"{fmt(y['recall'])} | {pct(x['with'])} | {pct(y['with'])} | "
            f"{pct(x['without'])} | {pct(y['without'])} |")
    lines.append("")
    return lines, a, t


def report_markdown(rows, ours, traf):
    lines = ["### Markdown", "",
             "Both sides parsed by markdown-it-py (CommonMark, GFM pipe "
             "tables) and compared with `main_content_markdown`: per-page "
             "F1 of the multisets of words, heading texts, list-item texts, "
             "table-cell texts and link texts (texts lower-cased, words "
             "only), averaged over the pages where either side has that "
             "part (n).", ""]
    t = eval_score.score_markdown(rows, traf)
    a = eval_score.score_markdown(rows, ours)
    if a is None:
        lines += ["kcrawl: the records have no `markdown` field yet, so "
                  "only trafilatura is scored.", ""]
    parts = eval_score.MARKDOWN_PARTS
    lines += ["| part | F1 kcrawl | n | F1 trafilatura | n |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for p in parts:
        lines.append(
            f"| {p} | {fmt(a['f1'][p]) if a else '–'} | "
            f"{a['n'][p] if a else '–'} | {fmt(t['f1'][p])} | {t['n'][p]} |")
    lines += ["", f"Pages with a problem in their Markdown (of "
              f"{t['pages']} with a reference):", "",
              "| problem | kcrawl | trafilatura |", "| --- | ---: | ---: |"]
    names = {"unclosed_fence": "unclosed code fence",
             "raw_html": "raw HTML",
             "literal_strong": "literal `**` left over",
             "literal_link": "literal `](` left over",
             "bad_table": "pipe table that does not parse"}
    for p in eval_score.MARKDOWN_PROBLEMS:
        lines.append(f"| {names[p]} | {a['problems'][p] if a else '–'} | "
                     f"{t['problems'][p]} |")
    lines.append("")
    return lines, a, t


def report_metadata(rows, ours, traf):
    a = eval_score.score_metadata(rows, ours)
    t = eval_score.score_metadata(rows, traf)
    lines = ["### Author and publication date", "",
             "Right: the same as WCXB's `author` (lower-cased, words only, "
             "without \"and\" and a leading \"by\") "
             "or `publish_date` (the same day), or both absent. Of those "
             "the ground truth gives: right among the pages that have one.",
             "", "| field | kcrawl right | trafilatura right | kcrawl "
             "right of given | trafilatura right of given | given |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for k, label in (("author", "author"), ("published", "published date")):
        x, y = a[k], t[k]
        if x["field"]:
            ours_cells = f"{x['right']} | {y['right']} | {x['right_given']}"
        else:
            ours_cells = f"– (no field yet) | {y['right']} | –"
        lines.append(f"| {label} | {ours_cells} | {y['right_given']} | "
                     f"{x['given']} |")
    lines.append("")
    return lines, a, t


def article_targets(name, a, t):
    return [(f"{name}: F1 ≥ 0.96", fmt(a["f1"]), fmt(t["f1"]),
             a["f1"] >= 0.96)]


def wcxb_targets(name, a, t):
    rows = [(f"{name}: F1 ≥ 0.86 overall", fmt(a["all"]["f1"]),
             fmt(t["all"]["f1"]), a["all"]["f1"] >= 0.86)]
    for k in TYPE_ORDER[1:] + sorted(set(a) - set(TYPE_ORDER)):
        if k in a:
            rows.append((f"{name}: F1 on {k} pages ≥ trafilatura's",
                         fmt(a[k]["f1"]), fmt(t[k]["f1"]),
                         a[k]["f1"] >= t[k]["f1"]))
    rows.append((f"{name}: `without` snippets present < trafilatura's",
                 pct(a["all"]["without"]), pct(t["all"]["without"]),
                 a["all"]["without"] < t["all"]["without"]))
    return rows


def markdown_targets(name, a, t):
    rows = []
    for p in eval_score.MARKDOWN_PARTS:
        rows.append((f"{name}: Markdown F1 of {p} ≥ trafilatura's",
                     fmt(a["f1"][p]) if a else "–", fmt(t["f1"][p]),
                     a["f1"][p] >= t["f1"][p] if a else None))
    bad = sum(a["problems"].values()) if a else None
    rows.append((f"{name}: Markdown problems (pages × kinds) = 0",
                 "–" if bad is None else str(bad),
                 str(sum(t["problems"].values())),
                 None if bad is None else bad == 0))
    return rows


def metadata_targets(name, a, t):
    rows = []
    for k, label in (("author", "author"), ("published", "published date")):
        x, y = a[k], t[k]
        rows.append((f"{name}: {label} right on more pages than trafilatura",
                     str(x["right"]) if x["field"] else "–", str(y["right"]),
                     x["right"] > y["right"] if x["field"] else None))
    return rows


_TRAF_VERSION = None


def traf_version():
    global _TRAF_VERSION
    if _TRAF_VERSION is None:
        import trafilatura
        _TRAF_VERSION = trafilatura.__version__
    return _TRAF_VERSION


def speed_only(build, dirs):
    """The speed table's rows alone, measured as main() measures them:
    minutes less than a full run (trafilatura's outputs of the whole sets
    are neither computed nor read)."""
    work = build / "eval"
    work.mkdir(parents=True, exist_ok=True)
    print("| set | sample pages | kcrawl pages/CPU s | trafilatura (text) "
          "| ratio | trafilatura (all three) | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for d in dirs:
        folder = pathlib.Path(d).resolve()
        layout, rows = eval_score.load_ground_truth(folder)
        sample = rows[::max(1, len(rows) // SPEED_SAMPLE)]
        ids = [r["id"] for r in sample]
        ours = time_ours(build, folder, layout, sample,
                         work / f"{folder.name}.sample")
        fresh = time_trafilatura(folder, sample)
        oc = sum(ours[i]["cpu_seconds"] for i in ids)
        tt = sum(fresh[i]["cpu_text"] for i in ids)
        ta = sum(fresh[i]["cpu_text"] + fresh[i]["cpu_markdown"]
                 + fresh[i]["cpu_metadata"] for i in ids)
        n = len(sample)
        print(f"| {folder.name} | {n} | {n / oc:.0f} | {n / tt:.1f} | "
              f"{tt / oc:.1f}× | {n / ta:.1f} | {ta / oc:.1f}× |",
              flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cache", help="trafilatura's cache "
                    "(default BUILD/eval-cache)")
    ap.add_argument("--speed-only", action="store_true",
                    help="time the speed sample of each set (ours, then "
                    "trafilatura's, in this run) and print the figures; "
                    "no scoring, no report, no cache")
    ap.add_argument("dirs", nargs="+")
    # Environment: EVAL_SPEED_SAMPLE (pages per set timed afresh, 60).
    args = ap.parse_args()
    if args.speed_only:
        speed_only(pathlib.Path(args.build), args.dirs)
        return
    failures = eval_score.selftest()
    if failures:
        sys.exit("eval: the scorer fails its own checks:\n  "
                 + "\n  ".join(failures))
    build = pathlib.Path(args.build)
    cache = pathlib.Path(args.cache or build / "eval-cache")
    work = build / "eval"
    work.mkdir(parents=True, exist_ok=True)
    t_start = time.monotonic()

    body, speed, notes = [], [], []
    fields_seen = set()
    targets = []
    for d in args.dirs:
        folder = pathlib.Path(d).resolve()
        if not folder.is_dir():
            sys.exit(f"eval: {d}: not a folder")
        layout, rows = eval_score.load_ground_truth(folder)
        name = folder.name
        print(f"eval: {name}: {len(rows)} pages ({layout} layout)",
              file=sys.stderr)
        ours, _ = run_ours(build, folder, work / f"{name}.kcrawl.jsonl")
        missing = [r["id"] for r in rows if r["id"] not in ours]
        if missing:
            sys.exit(f"eval: {name}: no output for {len(missing)} pages")
        errors = sum(1 for o in ours.values() if "error" in o)
        fields = {eval_score.text_of(o)[1] for o in ours.values()} - {None}
        fields_seen |= fields
        ours_field = "main_text" if "main_text" in fields else "text"
        traf, cached = run_trafilatura(folder, rows, cache)
        write_pages(work / f"{name}.pages.tsv", layout, rows, ours, traf)
        if layout == "article":
            lines, a, t = report_article(name, rows, ours, traf, ours_field)
            body += lines
            targets += article_targets(name, a, t)
        else:
            lines, a, t = report_wcxb(name, rows, ours, traf, ours_field)
            body += lines
            targets += wcxb_targets(name, a, t)
            lines, a, t = report_markdown(rows, ours, traf)
            body += lines
            targets += markdown_targets(name, a, t)
            lines, a, t = report_metadata(rows, ours, traf)
            body += lines
            targets += metadata_targets(name, a, t)
        if errors:
            body += [f"kcrawl failed to extract {errors} pages (scored as "
                     "empty).", ""]
        terr = sum(1 for o in traf.values()
                   if any(k.startswith("error") for k in o))
        if terr:
            body += [f"trafilatura raised on {terr} pages (scored as "
                     "empty).", ""]
        # Speed in the same run: trafilatura timed afresh on a sample of
        # the pages (every k-th), next to our times of the same pages.
        step = max(1, len(rows) // SPEED_SAMPLE)
        sample = rows[::step]
        ours_sample = time_ours(build, folder, layout, sample,
                                work / f"{name}.sample")
        fresh = time_trafilatura(folder, sample)
        sample_ids = [r["id"] for r in sample]
        ours_cpu = sum(ours_sample[i]["cpu_seconds"] for i in sample_ids)
        t_text = sum(fresh[i]["cpu_text"] for i in sample_ids)
        t_all = sum(fresh[i]["cpu_text"] + fresh[i]["cpu_markdown"]
                    + fresh[i]["cpu_metadata"] for i in sample_ids)
        all_cpu = sum(o["cpu_seconds"] for o in ours.values())
        all_traf = sum(o["cpu_text"] for o in traf.values())
        ratio = (len(sample) / ours_cpu) / (len(sample) / t_text)
        targets.append((f"{name}: pages per CPU second ≥ 10× trafilatura's "
                        "(text), same run", f"{ratio:.1f}×", "1×",
                        ratio >= 10))
        speed.append((name, len(sample), ours_cpu, t_text, t_all, len(rows),
                      all_cpu, all_traf, cached))

    out = ["# Extraction quality", "",
           "Generated by `make eval` (tests/bench/eval.py); do not edit. "
           "The cleaner's extraction (`extract_record()`, in process, one "
           "thread, as a cleaner worker runs it) and trafilatura "
           f"{traf_version()} (its defaults for text; "
           "`output_format=\"markdown\", include_links=True` for Markdown; "
           "`extract_metadata` for author and date) on the same pages, "
           "scored with each benchmark's own metric.", ""]
    if "main_text" not in fields_seen:
        out += ["The records have no `main_text` yet: kcrawl is scored on "
                "`text`, all the page's visible text (navigation, footers "
                "and the rest included), which is why its precision is "
                "low.", ""]
    out += ["## Targets", "",
            "What the extraction aims at, measured below.", "",
            "| target | kcrawl | trafilatura | met |",
            "| --- | ---: | ---: | :---: |"]
    for what, ours_v, traf_v, met in targets:
        out.append(f"| {what} | {ours_v} | {traf_v} | "
                   f"{'–' if met is None else ('yes' if met else 'no')} |")
    out.append("")
    out += body
    out += ["## Speed", "",
            "Pages per CPU second on one core, in the same run: kcrawl's "
            "is the CPU time of `extract_record()` (which produces every "
            "field of the record at once); trafilatura's of `extract()` for "
            "text alone, and of its three calls (text, Markdown, metadata) "
            "together. Reading and gunzipping the files are not counted; "
            "trafilatura is handed the decoded string.", "",
            f"The sample is every k-th page of the set (at most about "
            f"{SPEED_SAMPLE}), both timed afresh in this run, one right "
            "after the other; CPU time on a loaded, shared "
            "machine moves from run to run, the ratio less. Below the table, "
            "the whole sets.", "",
            "| set | sample pages | kcrawl | trafilatura (text) | ratio | "
            "trafilatura (text + Markdown + metadata) | ratio |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, n, oc, tt, ta, total, all_cpu, all_traf, cached in speed:
        ours_ps, tt_ps, ta_ps = n / oc, n / tt, n / ta
        out.append(f"| {name} | {n} | {ours_ps:.0f} | {tt_ps:.1f} | "
                   f"{ours_ps / tt_ps:.1f}× | {ta_ps:.1f} | "
                   f"{ours_ps / ta_ps:.1f}× |")
        notes.append(
            f"{name}, all {total} pages: kcrawl {total / all_cpu:.0f} pages "
            f"per CPU second; trafilatura (text) {total / all_traf:.1f}"
            + (f" ({cached} pages' timings from the cache, measured in an "
               "earlier run)" if cached else "") + ".")
    out.append("")
    out += notes + ([""] if notes else [])
    out += ["## Reproducing", "",
            "```sh",
            "make eval                          # both development sets; "
            "writes docs/quality.md",
            "EVAL_DIR=/path/to/set make eval    # any folder in the "
            "wcxb-dev layout; writes build/eval/quality.md",
            "```", "",
            "`make eval` builds `build/bench/eval_extract`, makes a virtual "
            "environment in `build/eval-venv` from "
            "`tests/bench/eval-requirements.txt` (exact pins, from PyPI) "
            "and runs `tests/bench/eval.py`. The development sets are "
            "read from `../shared/testdata` (`EVAL_TESTDATA` moves it). "
            "trafilatura's outputs are cached in `build/eval-cache/` by "
            "page file hash, URL, version and options: the first run "
            "takes minutes (24 on two loaded, shared cores), a re-run "
            "some 3 (the speed sample is timed afresh and every Markdown "
            "text parsed anew). Everything but the speed figures is "
            "deterministic. `build/eval/<set>.pages.tsv` lists every "
            "page's F1, ours and trafilatura's, the biggest loss first.",
            "",
            f"This report took {time.monotonic() - t_start:.0f} s of wall "
            f"time, {sum(c for *_, c in speed)} of "
            f"{sum(x[5] for x in speed)} pages' trafilatura outputs from "
            "the cache.", ""]
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(str(args.out) + ".tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    os.replace(tmp, args.out)
    print(f"eval: wrote {args.out} in {time.monotonic() - t_start:.0f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
