"""Generic article extraction: tjcrawl's extractor next to trafilatura and readability-lxml.

    .venv/bin/python bench/extraction.py DATASET_DIR [DATASET_DIR …] [--extractors LIST]

A benchmark, not a test. A dataset folder holds ``ground_truth.jsonl`` (one object per page:
``id``, ``file`` — the raw, undecoded bytes relative to the folder —, ``url``, ``body``, ``lang``,
optionally ``date``) and the files it names, the layout of the extraction-dev sets. The pages
are read from that folder and never copied anywhere.

Every extractor runs on every page in one process, the extractors taking turns page by page, so
that other load on the machine falls on all of them alike; the ratios between them are the
figures to quote. Each gets the raw bytes and the URL; trafilatura, readability and jusText get
the text as tjcrawl decodes it (decoding time counted for all), since their own sniffing is not
what is measured here.

Scores, per extractor, over all pages and over the ``lang = "zh"`` pages:

  body P/R/F1   the article-extraction-benchmark metric, as in extraction-dev's ``score.py``:
                multisets of 4-token shingles, per-page precision and recall normalised by page,
                averaged over pages, F1 of the two means; a CJK character is one token, other
                word runs one token each
  date          share of date-labelled pages whose predicted day is the labelled day (labels from
                the dataset's own ``date`` or from ``--dates`` files, see bench/labels/; a
                label of null means the page states no date, and only "no date" is right)
  pages/s       pages per second of wall time inside the extractor; pages/CPU-s per CPU second
  max s         the slowest single call
  errors        calls that raised (scored as empty output)

The 10,000-document robustness run (no exception, no call over 1 s) is the hypothesis test in
tests/test_generic_extractor.py under ``TJCRAWL_HYPOTHESIS_PROFILE=long``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

# This script's folder must not shadow installed packages (see crawl_throughput.py).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))  # this checkout's tjcrawl, not an installed one

LABELS_DIR = _HERE / "labels"

# ------------------------------------------------------------------ the metric
# Re-implemented from the article-extraction-benchmark metric as extraction-dev/score.py states
# it (CJK character = one token), so that a user's own dataset needs no score.py beside it.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_DAY_RES = (
    re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN_RE.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_tp_fp_fn(true: str, predicted: str) -> tuple[float, float, float]:
    """True/false positives and false negatives of one page, normalised to sum to 1."""
    truth, found = shingles(true), shingles(predicted)
    tp = sum((truth & found).values())
    fp = sum((found - truth).values())
    fn = sum((truth - found).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def body_prf(pages: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Mean precision and recall over pages (as the AEB averages them), and their F1."""
    ps = [_precision(*x) for x in pages if x[0] + x[1] > 0] or [0.0]
    rs = [_recall(*x) for x in pages if x[0] + x[2] > 0] or [0.0]
    p, r = sum(ps) / len(ps), sum(rs) / len(rs)
    return p, r, _f1(p, r)


def to_day(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value))
    for pattern in _DAY_RES:
        if match := pattern.search(text):
            try:
                return date(*map(int, match.groups())).isoformat()
            except ValueError:
                continue
    return None


# ------------------------------------------------------------------ the extractors
Extractor = Callable[[bytes, str | None], dict[str, Any]]


def _decoded(raw: bytes) -> str:
    from tjcrawl.extract.generic import decode_page

    return decode_page(raw)


def tjcrawl_generic(raw: bytes, url: str | None) -> dict[str, Any]:
    from tjcrawl.extract.generic import extract_article

    article = extract_article(raw, url)
    return {
        "title": article.title,
        "date": article.published_at,
        "body": article.body_text,
        "no_article": article.no_article,
    }


def trafilatura_extract(raw: bytes, url: str | None) -> dict[str, Any]:
    import trafilatura

    doc = trafilatura.bare_extraction(_decoded(raw), url=url, with_metadata=True)
    if doc is None:
        return {}
    return {"title": doc.title, "date": doc.date, "body": doc.text}


def readability_extract(raw: bytes, url: str | None) -> dict[str, Any]:
    import lxml.html
    from readability import Document

    doc = Document(_decoded(raw), url=url)
    summary = lxml.html.fromstring(doc.summary(html_partial=True))
    from tjcrawl.text import element_paragraphs

    return {
        "title": doc.short_title(),
        "date": None,
        "body": "\n".join(element_paragraphs(summary)),
    }


def justext_extract(raw: bytes, url: str | None) -> dict[str, Any]:
    import justext

    # jusText needs one language's stop words; English is the fair default for a mixed set
    # (it has no Chinese list, so its Chinese figure shows what it does without one).
    paragraphs = justext.justext(_decoded(raw), justext.get_stoplist("English"))
    return {"body": "\n".join(p.text for p in paragraphs if not p.is_boilerplate)}


def htmldate_extract(raw: bytes, url: str | None) -> dict[str, Any]:
    from htmldate import find_date

    return {"date": find_date(_decoded(raw), url=url, original_date=True)}


EXTRACTORS: dict[str, tuple[Extractor, tuple[str, ...]]] = {
    "tjcrawl": (tjcrawl_generic, ("title", "date", "body")),
    "trafilatura": (trafilatura_extract, ("title", "date", "body")),
    "readability": (readability_extract, ("title", "body")),
    "justext": (justext_extract, ("body",)),
    "htmldate": (htmldate_extract, ("date",)),
}
DEFAULT_EXTRACTORS = "tjcrawl,trafilatura,readability"


# ------------------------------------------------------------------ running
class _CallTimeout(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _CallTimeout


def load_rows(dataset: Path, date_files: list[Path]) -> list[dict[str, Any]]:
    with open(dataset / "ground_truth.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    labels: dict[str, str | None] = {}
    for path in date_files:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    label = json.loads(line)
                    labels[label["id"]] = label["date"]
    for row in rows:
        if row["id"] in labels:
            row["date"] = labels[row["id"]]
            # A label of null says the page states no publish date: right is to give none.
            row["no_date"] = labels[row["id"]] is None
    return rows


def default_date_files(dataset: Path) -> list[Path]:
    return sorted(LABELS_DIR.glob(f"{dataset.name}-*dates.jsonl"))


def run(
    dataset: Path,
    names: list[str],
    date_files: list[Path],
    limit: int | None,
    timeout: int,
    per_page: Path | None,
) -> dict[str, dict[str, dict[str, Any]]]:
    rows = load_rows(dataset, date_files)[:limit]
    signal.signal(signal.SIGALRM, _on_alarm)
    stats = {
        name: {"wall": 0.0, "cpu": 0.0, "max": 0.0, "errors": 0, "pages": []} for name in names
    }
    for row in rows:
        raw = (dataset / row["file"]).read_bytes()
        for name in names:
            func, fields = EXTRACTORS[name]
            error = None
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                signal.alarm(timeout)
                predicted = func(raw, row.get("url")) or {}
            except _CallTimeout:
                predicted, error = {}, "timeout"
            except Exception as exc:  # an extractor's failure is a data point here
                predicted, error = {}, f"{type(exc).__name__}: {exc}"[:200]
            finally:
                signal.alarm(0)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            s = stats[name]
            s["wall"] += wall
            s["cpu"] += cpu
            s["max"] = max(s["max"], wall)
            s["errors"] += error is not None
            page: dict[str, Any] = {"id": row["id"], "lang": row.get("lang"), "error": error}
            if "body" in fields and row.get("body"):
                page["prf"] = page_tp_fp_fn(row["body"], predicted.get("body") or "")
                p, r = _precision(*page["prf"]), _recall(*page["prf"])
                page["body_f1"] = round(_f1(p, r), 4)
            if "date" in fields and (to_day(row.get("date")) or row.get("no_date")):
                page["date_true"] = to_day(row.get("date")) or "none"
                page["date_pred"] = to_day(predicted.get("date")) or "none"
            if predicted.get("no_article"):
                page["no_article"] = predicted["no_article"]
            s["pages"].append(page)
    if per_page:
        with open(per_page, "w", encoding="utf-8") as f:
            for name in names:
                for page in stats[name]["pages"]:
                    f.write(json.dumps({"extractor": name, **page}, ensure_ascii=False) + "\n")
    return {name: summarise(stats[name]) for name in names}


def _subset_scores(pages: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [p["prf"] for p in pages if "prf" in p]
    dated = [p for p in pages if "date_true" in p]
    out: dict[str, Any] = {"n": len(pages)}
    if scored:
        out["body_p"], out["body_r"], out["body_f1"] = body_prf(scored)
    if dated:
        out["date_acc"] = sum(p["date_pred"] == p["date_true"] for p in dated) / len(dated)
        out["n_date"] = len(dated)
    return out


def summarise(s: dict[str, Any]) -> dict[str, dict[str, Any]]:
    pages = s["pages"]
    n = len(pages)
    common = {
        "pages_per_s": n / s["wall"] if s["wall"] else float("inf"),
        "pages_per_cpu_s": n / s["cpu"] if s["cpu"] else float("inf"),
        "max_s": s["max"],
        "errors": s["errors"],
        "no_article": sum("no_article" in p for p in pages),
    }
    result = {"all": {**_subset_scores(pages), **common}}
    zh = [p for p in pages if p.get("lang") == "zh"]
    if zh:
        result["zh"] = _subset_scores(zh)
    return result


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(dataset: Path, results: dict[str, dict[str, dict[str, Any]]]) -> None:
    has_zh = any("zh" in r for r in results.values())
    head = ["extractor", "body P", "body R", "body F1"]
    if has_zh:
        head += ["zh F1", "zh date"]
    head += ["date", "pages/s", "pages/CPU-s", "max s", "errors", "no article"]
    print(f"\n{dataset.name} ({next(iter(results.values()))['all']['n']} pages)")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join([" --- "] + [" ---: "] * (len(head) - 1)) + "|")
    for name, r in results.items():
        a, z = r["all"], r.get("zh", {})
        cells = [name, _fmt(a.get("body_p")), _fmt(a.get("body_r")), _fmt(a.get("body_f1"))]
        if has_zh:
            zd = z.get("date_acc")
            cells += [
                _fmt(z.get("body_f1")),
                f"{_fmt(zd)} ({z['n_date']})" if zd is not None else "–",
            ]
        d = a.get("date_acc")
        cells += [
            f"{_fmt(d)} ({a['n_date']})" if d is not None else "–",
            _fmt(a["pages_per_s"], 1),
            _fmt(a["pages_per_cpu_s"], 1),
            _fmt(a["max_s"], 2),
            str(a["errors"]),
            str(a["no_article"]),
        ]
        print("| " + " | ".join(cells) + " |")
    if "tjcrawl" in results and "trafilatura" in results:
        t, f = results["tjcrawl"]["all"], results["trafilatura"]["all"]
        print(
            f"speed tjcrawl / trafilatura: {t['pages_per_s'] / f['pages_per_s']:.1f}x wall, "
            f"{t['pages_per_cpu_s'] / f['pages_per_cpu_s']:.1f}x CPU"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("datasets", nargs="+", type=Path, help="folders with ground_truth.jsonl")
    parser.add_argument(
        "--extractors",
        default=DEFAULT_EXTRACTORS,
        help=f"comma-separated, of {', '.join(EXTRACTORS)} (default {DEFAULT_EXTRACTORS})",
    )
    parser.add_argument(
        "--dates",
        type=Path,
        action="append",
        help="JSONL date labels (id, date); default bench/labels/<dataset name>-*dates.jsonl",
    )
    parser.add_argument("--limit", type=int, help="only the first N pages of each dataset")
    parser.add_argument("--timeout", type=int, default=60, help="seconds per call")
    parser.add_argument("--per-page", type=Path, help="write per-page scores (JSONL) here")
    parser.add_argument("--json", type=Path, help="write the summary as JSON here")
    args = parser.parse_args(argv)
    if not args.datasets:
        parser.error("give at least one DATASET_DIR")
    names = [n.strip() for n in args.extractors.split(",") if n.strip()]
    unknown = [n for n in names if n not in EXTRACTORS]
    if unknown:
        parser.error(f"unknown extractor(s): {', '.join(unknown)}")
    summary = {}
    print(f"load before: {Path('/proc/loadavg').read_text().split()[:3]}")
    for dataset in args.datasets:
        if not (dataset / "ground_truth.jsonl").is_file():
            parser.error(f"{dataset}: no ground_truth.jsonl")
        date_files = args.dates if args.dates is not None else default_date_files(dataset)
        per_page = args.per_page
        if per_page and len(args.datasets) > 1:
            per_page = per_page.with_name(f"{per_page.stem}-{dataset.name}{per_page.suffix}")
        results = run(dataset, names, date_files, args.limit, args.timeout, per_page)
        print_table(dataset, results)
        if date_files:
            print("date labels: " + ", ".join(str(p) for p in date_files))
        summary[dataset.name] = results
    print(f"load after: {Path('/proc/loadavg').read_text().split()[:3]}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
