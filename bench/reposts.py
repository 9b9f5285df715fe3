"""Re-post grouping at scale: time and peak memory of ``reposts.update_groups``.

    .venv/bin/python bench/reposts.py                      # 10,000 near-identical, 100,000 distinct
    .venv/bin/python bench/reposts.py --near 2000 --distinct 0 --baseline 2000
    .venv/bin/python bench/reposts.py --baseline 2000 --baseline-rev ad08150 --timeout 900

A benchmark, not a test. It builds archives under a temp dir with the project's own storage code
(``Archive.store_article``, so the search index and every column are as a crawl leaves them):

  near      ``--near`` copies of one long Chinese article (the seed portal's three longest
            reports run together, ~4,800 characters) with small random edits each: one to four
            characters replaced, a short span deleted, a phrase inserted, another 来源 line, now
            and then a "转载" title; every copy a re-post of every other (Jaccard ~0.9).
  distinct  ``--distinct`` ordinary articles: bodies of random government-news clauses (the
            generator of bench/crawl_throughput.py), so that two share few 5-character shingles.

Then, each in a fresh subprocess (so that its peak resident set, VmHWM, is that run's alone),
it runs ``update_groups`` twice: *first* (every signature computed) and *again* (signatures read
from ``repost_signatures``, nothing new: what a nightly crawl pays with no new articles). It
prints wall and CPU seconds (the machine is shared: CPU seconds move less under load), the peak
resident set of the process and its peak before grouping (Python, numpy, sqlite, datasketch),
the 1-minute load when the run started, and the report's counts.

``--baseline N`` also runs the code of ``--baseline-rev`` (``git show REV:tjcrawl/reposts.py``,
loaded as a module) and today's code on an N-article near-identical archive, each bounded by
``--timeout`` seconds, and prints the ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SEED_FILE = REPO / "tests" / "reposts" / "seed.txt"
SOURCES = [f"site{n:02d}" for n in range(20)]
ORIGINS = ("天津日报", "今晚报", "北方网", "津云", "天津政务网", "滨海新区融媒体中心")
INSERTS = ("记者了解到，", "据悉，", "与此同时，", "另据介绍，", "值得一提的是，", "（完）")


def seed_records() -> list[tuple[str, str]]:
    """The seed portal's (title, body) records: "-", title, body, date."""
    lines = SEED_FILE.read_text("utf-8").split("\n")
    found = []
    for i in range(len(lines) - 3):
        if lines[i] == "-" and lines[i + 3][:2] == "20":
            found.append((lines[i + 1], lines[i + 2]))
    return found


def long_article() -> tuple[str, str]:
    records = sorted(seed_records(), key=lambda r: -len(r[1]))[:3]
    return records[0][0], "\n".join(body for _, body in records)


def edited(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        chars[rng.randrange(len(chars))] = rng.choice(text)
    start = rng.randrange(len(chars) - 12)
    del chars[start : start + rng.randint(1, 10)]
    at = rng.randrange(len(chars))
    chars[at:at] = rng.choice(INSERTS)
    return "".join(chars)


def article_row(n: int, source: str, title: str, body: str, when: datetime) -> dict:
    import hashlib

    return {
        "url": f"http://{source}.bench.test/a/{n}.html",
        "source": source,
        "title": title,
        "body": body,
        "published_at": when.isoformat(),
        "origin": None,
        "content_hash": hashlib.sha256(f"{title}\n{body}".encode()).hexdigest(),
    }


def near_articles(count: int, seed: int):
    rng = random.Random(seed)
    title, body = long_article()
    start = datetime.fromisoformat("2025-06-01T08:00:00+08:00")
    for n in range(count):
        copy_title = ("转载：" + title) if rng.random() < 0.1 else title
        copy_body = edited(rng, body) + f"\n来源：{rng.choice(ORIGINS)}"
        when = start + timedelta(minutes=rng.randrange(60 * 24 * 60))
        yield article_row(n, rng.choice(SOURCES), copy_title, copy_body, when)


def distinct_articles(count: int, seed: int):
    sys.path.insert(0, str(REPO / "bench"))
    from crawl_throughput import PLACES, TOPICS, article_paragraphs

    rng = random.Random(seed)
    start = datetime.fromisoformat("2015-01-01T08:00:00+08:00")
    for n in range(count):
        when = start + timedelta(minutes=rng.randrange(60 * 24 * 3650))
        place, topic = rng.choice(PLACES), rng.choice(TOPICS)
        body = "\n".join(p[3:-4] for p in article_paragraphs(rng, when, place, topic))
        title = f"{place}{rng.choice(('推进', '部署', '召开', '加快'))}{topic}{n}"
        yield article_row(n, rng.choice(SOURCES), title, body, when)


def build(path: Path, articles) -> tuple[int, float]:
    from tjcrawl.storage.archive import Archive

    started = time.monotonic()
    archive = Archive(path, commit_every=2000)
    stored = 0
    try:
        for article in articles:
            archive.store_article(article, None, "bench-run")
            stored += 1
        archive.commit()
    finally:
        archive.close()
    return stored, time.monotonic() - started


def baseline_module(rev: str, folder: Path):
    source = subprocess.run(
        ["git", "show", f"{rev}:tjcrawl/reposts.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = folder / f"reposts_{rev}.py"
    path.write_text(source, "utf-8")
    spec = importlib.util.spec_from_file_location(f"reposts_{rev}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def rss_mb() -> float:
    """The peak resident set of this process so far, in MiB.

    VmHWM rather than ``getrusage().ru_maxrss``: Linux carries ru_maxrss over an exec, so a
    child started by a parent that once held 400 MB would report at least that.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    """One grouping run in this process; prints one JSON line."""
    import datasketch  # noqa: F401 - imported before the "before" figure, as the code does
    import numpy  # noqa: F401

    from tjcrawl.storage.archive import open_database

    if args.rev:
        module = baseline_module(args.rev, Path(args.db).parent)
    else:
        from tjcrawl import reposts as module
    db = open_database(args.db)
    if args.drop_signatures:
        db.conn.execute("DELETE FROM repost_signatures")
        db.conn.commit()
    before = rss_mb()
    started = time.monotonic()
    cpu = time.process_time()
    report = module.update_groups(db.conn)
    db.conn.commit()
    result = {
        "seconds": time.monotonic() - started,
        "cpu": time.process_time() - cpu,
        "peak_mb": rss_mb(),
        "before_mb": before,
        "report": {k: v for k, v in vars(report).items()},
    }
    db.close()
    print(json.dumps(result))


def load() -> str:
    with open("/proc/loadavg", encoding="utf-8") as found:
        return " ".join(found.read().split()[:3])


def run_child(db: Path, timeout: float, rev: str | None = None, fresh: bool = False) -> dict:
    command = [sys.executable, __file__, "--child", "--db", str(db)]
    if rev:
        command += ["--rev", rev]
    if fresh:
        command.append("--drop-signatures")
    started_at = load()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout, "load": started_at}
    if done.returncode != 0:
        raise SystemExit(f"grouping failed ({' '.join(command)}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"load": started_at}


def show(label: str, result: dict) -> None:
    if "timeout" in result:
        print(
            f"  {label:<24} did not finish within {result['timeout']:.0f} s (killed;"
            f" load {result['load']})"
        )
        return
    r = result["report"]
    print(
        f"  {label:<24} {result['seconds']:8.1f} s  {result['cpu']:8.1f} CPU-s"
        f"  peak {result['peak_mb']:7.0f} MB (before grouping {result['before_mb']:.0f} MB)"
        f"  load {result['load']}\n  {'':<24} {r['articles']} articles, signed {r['signed']},"
        f" {r['candidates']} proposals,"
        f" {r['checked']} checked, {r['pairs']} confirmed, {r['groups']} groups of"
        f" {r['grouped']}",
        flush=True,
    )


def machine() -> str:
    model = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "tjcrawl"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return (
        f"nproc {os.cpu_count()}, {model}, Python {sys.version.split()[0]}, commit {commit}"
        f"{' (+ uncommitted changes)' if dirty else ''}, load {load()}"
    )


def scenario(root: Path, name: str, articles, timeout: float, rev: str | None = None) -> None:
    db = root / f"{name}.db"
    stored, seconds = build(db, articles)
    size = db.stat().st_size >> 20
    print(f"{name}: {stored:,} articles stored in {seconds:.0f} s ({size} MB)", flush=True)
    if rev:
        show(f"baseline {rev}", run_child(db, timeout, rev=rev, fresh=True))
        show("today, first run", run_child(db, timeout, fresh=True))
        return
    show("first run", run_child(db, timeout, fresh=True))
    show("again, nothing new", run_child(db, timeout))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--near", type=int, default=10_000, help="near-identical articles")
    parser.add_argument("--distinct", type=int, default=100_000, help="ordinary articles")
    parser.add_argument("--baseline", type=int, default=0, help="near-identical, old vs new")
    parser.add_argument("--baseline-rev", default="ad08150")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per grouping run")
    parser.add_argument("--seed", type=int, default=20250823)
    parser.add_argument("--keep", action="store_true", help="keep the temp archives")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--rev", help=argparse.SUPPRESS)
    parser.add_argument("--drop-signatures", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0
    print(machine(), flush=True)
    root = Path(tempfile.mkdtemp(prefix="tjcrawl-bench-reposts-"))
    try:
        if args.baseline:
            scenario(
                root,
                f"baseline{args.baseline}",
                near_articles(args.baseline, args.seed),
                args.timeout,
                rev=args.baseline_rev,
            )
        if args.near:
            scenario(root, f"near{args.near}", near_articles(args.near, args.seed), args.timeout)
        if args.distinct:
            scenario(
                root,
                f"distinct{args.distinct}",
                distinct_articles(args.distinct, args.seed),
                args.timeout,
            )
    finally:
        if args.keep:
            print(f"archives kept in {root}")
        else:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
    print(f"load after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
