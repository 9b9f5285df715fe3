"""招商引资 facts: precision and recall of tjcrawl.extract.facts on hand-labelled articles, and
the finder's time per article (the crawl-cost input).

    .venv/bin/python bench/facts.py FIXTURES_DIR SEED_DIR [--extraction-dev DIR] [--repeat N]

A benchmark, not a test. The labels are in bench/labels/facts.jsonl (docs/facts.md says how
they were made): one object per article, ``id`` and, per fact kind, the labelled values —
``money`` as ``[value, role]`` or ``[value, role, currency]``, ``place`` codes, ``industry``
keys, ``project_count`` values, ``party`` and ``project`` names. ``split`` is ``dev`` (seen
while the rules were written) or ``heldout`` (labelled after the rules were frozen).

Articles:
  seed:N          the N-th article of the seed page (SEED_DIR/*.txt: blocks of "-", title,
                  body, date)
  fx:SLUG:N       the N-th article of FIXTURES_DIR/SLUG/expected.json (title + body); a fixture
                  article whose text is a seed article's is scored once, as the seed's
  ma:ID           a page of extraction-dev's magic-article set: the text is the set's own
                  human-made ``body`` of that page (ground_truth.jsonl), read from the folder
                  given, never copied into the repository; there is no title

Scoring, per fact kind, over each group of articles: a predicted (kind, value) is a true
positive if the article's labels hold it; money matches within 0.5 % of the value and in the
same currency. Facts are counted once per article (a set), not per mention. ``role ok`` is the
share of matched amounts whose role is the labelled one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

LABELS = _HERE / "labels" / "facts.jsonl"
KINDS = ("money", "place", "industry", "project_count", "party", "project")
MONEY_TOLERANCE = 0.005


def seed_articles(seed_dir: Path) -> list[tuple[str, str]]:
    """(title, body) of every article of the seed page(s)."""
    articles = []
    for path in sorted(seed_dir.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if line.strip() == "-" and i + 2 < len(lines) and lines[i + 1].strip():
                articles.append((lines[i + 1].strip(), lines[i + 2].strip()))
    return articles


def _key(title: str, body: str) -> str:
    return "".join((title + body).split())


def load_articles(fixtures: Path, seed: Path, extraction_dev: Path | None) -> dict[str, tuple]:
    """id → (title, body) of every article the labels can name."""
    articles: dict[str, tuple[str, str]] = {}
    seen: set[str] = set()
    for i, (title, body) in enumerate(seed_articles(seed)):
        articles[f"seed:{i}"] = (title, body)
        seen.add(_key(title, body))
    for path in sorted(fixtures.glob("*/expected.json")):
        for i, art in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            title, body = art.get("title") or "", art.get("body") or ""
            if _key(title, body) not in seen:
                articles[f"fx:{path.parent.name}:{i}"] = (title, body)
    if extraction_dev:
        truth = extraction_dev / "magic-article" / "ground_truth.jsonl"
        for line in truth.read_text(encoding="utf-8").splitlines():
            page = json.loads(line)
            articles[f"ma:{page['id']}"] = ("", page["body"] or "")
    return articles


def label_sets(label: dict[str, Any]) -> dict[str, list]:
    out: dict[str, list] = {k: [] for k in KINDS}
    for kind in KINDS:
        for item in label.get(kind, []):
            if kind == "money":
                value, role = item[0], item[1]
                currency = item[2] if len(item) > 2 else "CNY"
                out[kind].append((float(value), currency, role))
            else:
                out[kind].append(str(item))
    return out


def predicted_sets(facts: list) -> dict[str, list]:
    out: dict[str, list] = {k: [] for k in KINDS}
    for f in facts:
        if f.kind == "money":
            item = (float(f.value), f.currency, f.role)
            # exact duplicates only: two amounts 0.3 % apart (6.559元, 6.5654元) are two facts
            if not any(item[:2] == o[:2] for o in out["money"]):
                out["money"].append(item)
        elif f.value not in out[f.kind]:
            out[f.kind].append(f.value)
    return out


def _same_money(a: tuple, b: tuple) -> bool:
    if a[1] != b[1]:
        return False
    return abs(a[0] - b[0]) <= MONEY_TOLERANCE * max(abs(a[0]), abs(b[0]))


def score(truth: dict[str, list], predicted: dict[str, list]) -> dict[str, dict[str, int]]:
    """Per kind: tp, fp, fn (and for money, role_ok among the matched)."""
    result = {}
    for kind in KINDS:
        t, p = list(truth.get(kind, [])), list(predicted.get(kind, []))
        tp = role_ok = 0
        unmatched = list(t)
        for item in p:
            if kind == "money":
                hit = next((u for u in unmatched if _same_money(item, u)), None)
            else:
                hit = item if item in unmatched else None
            if hit is not None:
                unmatched.remove(hit)
                tp += 1
                if kind == "money" and hit[2] == item[2]:
                    role_ok += 1
        result[kind] = {"tp": tp, "fp": len(p) - tp, "fn": len(unmatched), "role_ok": role_ok}
    return result


def add(total: dict, one: dict) -> None:
    for kind, counts in one.items():
        for k, v in counts.items():
            total.setdefault(kind, {}).setdefault(k, 0)
            total[kind][k] += v


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "–"


def table(name: str, total: dict, n: int) -> str:
    lines = [f"\n{name} ({n} articles)",
             "| kind | tp | fp | fn | precision | recall | role ok |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for kind in KINDS:
        c = total.get(kind, {"tp": 0, "fp": 0, "fn": 0, "role_ok": 0})
        role = ratio(c["role_ok"], c["tp"]) if kind == "money" else ""
        lines.append(
            f"| {kind} | {c['tp']} | {c['fp']} | {c['fn']} | {ratio(c['tp'], c['tp'] + c['fp'])}"
            f" | {ratio(c['tp'], c['tp'] + c['fn'])} | {role} |"
        )
    return "\n".join(lines)


def crawl_body_times(n: int, repeat: int) -> str:
    """The finder on bodies like bench/crawl_throughput.py's (same generator and seed), the
    figure to set against that benchmark's time per page."""
    import importlib.util
    import random
    import re
    from datetime import datetime

    from tjcrawl.extract.facts import extract_facts

    spec = importlib.util.spec_from_file_location("crawl_throughput", _HERE / "crawl_throughput.py")
    assert spec and spec.loader
    crawl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(crawl)
    rng = random.Random(20241114)
    times, chars, facts = [], 0, 0
    for _ in range(n):
        html = "".join(crawl.article_paragraphs(rng, datetime(2025, 8, 1), "滨海新区", "招商引资"))
        body = re.sub("<[^>]+>", "\n", html).strip()
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            found = extract_facts("滨海新区重点项目集中签约_天津政务网", body)
            best = min(best, time.perf_counter() - t0)
        times.append(best)
        chars += len(body)
        facts += len(found)
    ms = [t * 1000 for t in times]
    return (
        f"crawl_throughput-like bodies: {n} articles, mean {chars / n:.0f} characters, "
        f"{facts / n:.1f} facts each; finder mean {statistics.mean(ms):.3f} ms, median "
        f"{statistics.median(ms):.3f} ms per article (best of {repeat})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fixtures", type=Path, help="the fixtures/ folder")
    parser.add_argument("seed", type=Path, help="the seed folder (…/shared/seed)")
    parser.add_argument("--extraction-dev", type=Path, help="the extraction-dev folder")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--repeat", type=int, default=20, help="timing runs per article")
    parser.add_argument("--errors", action="store_true", help="list every fp and fn")
    parser.add_argument(
        "--crawl-bodies",
        type=int,
        default=300,
        help="also time the finder on N bodies made as bench/crawl_throughput.py makes its "
        "detail pages (the crawl-cost input); 0 to skip",
    )
    args = parser.parse_args(argv)

    from tjcrawl.extract.facts import extract_facts

    articles = load_articles(args.fixtures, args.seed, args.extraction_dev)
    extract_facts("天津", "warm-up: term lists loaded and regexes compiled before timing")
    labels = [json.loads(x) for x in args.labels.read_text(encoding="utf-8").splitlines() if x]
    groups: dict[str, dict] = {}
    counts: dict[str, int] = {}
    times: list[float] = []
    chars = 0
    missing = []
    for label in labels:
        if label["id"] not in articles:
            missing.append(label["id"])
            continue
        title, body = articles[label["id"]]
        group = (
            "real pages, " + label.get("split", "dev")
            if label["id"].startswith("ma:")
            else ("fixtures + seed")
        )
        # best of N: on a loaded machine the mean measures the neighbours as much as the finder
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            facts = extract_facts(title, body)
            best = min(best, time.perf_counter() - t0)
        times.append(best)
        chars += len(title) + len(body)
        truth, pred = label_sets(label), predicted_sets(facts)
        one = score(truth, pred)
        add(groups.setdefault(group, {}), one)
        add(groups.setdefault("all", {}), one)
        counts[group] = counts.get(group, 0) + 1
        counts["all"] = counts.get("all", 0) + 1
        if args.errors:
            for kind in KINDS:
                fp = [
                    x for x in pred[kind] if not score({kind: truth[kind]}, {kind: [x]})[kind]["tp"]
                ]
                fn = [
                    x for x in truth[kind] if not score({kind: [x]}, {kind: pred[kind]})[kind]["tp"]
                ]
                if fp or fn:
                    print(f"{label['id']} {kind} fp={fp} fn={fn}")
    if missing:
        print(f"{len(missing)} labelled articles not found (folder not given?): {missing[:3]} …")
    for name in sorted(groups, key=lambda g: (g == "all", g)):
        print(table(name, groups[name], counts[name]))
    ms = [t * 1000 for t in times]
    print(
        f"\nfinder time per article: mean {statistics.mean(ms):.3f} ms, median "
        f"{statistics.median(ms):.3f} ms, max {max(ms):.3f} ms over {len(ms)} articles "
        f"(mean {chars / len(ms):.0f} characters; best of {args.repeat} runs each); "
        f"{sum(times) * 1e6 / chars:.2f} µs per character"
    )
    if args.crawl_bodies:
        print(crawl_body_times(args.crawl_bodies, args.repeat))
    with open("/proc/loadavg", encoding="ascii") as fh:
        print("load:", fh.read().strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
