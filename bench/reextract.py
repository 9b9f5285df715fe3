"""Re-extraction throughput: pages/s of `tjcrawl reextract` over a synthetic archive.

    .venv/bin/python bench/reextract.py [--pages 5000] [--rounds 3] [--workers 1,2]
                                        [--cprofile DIR]

A benchmark, not a test. It generates the synthetic GBK TRS site of bench/crawl_throughput.py
(``--pages`` detail pages plus a listing page per ``--per-page`` entries), stores every page in
a fresh archive through ``Archive.store_page`` exactly as the crawler's archive pipeline does
(zstd-compressed bytes, the headers a server sends, a fetch time each), and times
``tjcrawl.reextract.reextract`` on it three ways (``--workers 1,2`` alternates one process with
two forked extraction processes; CPU seconds count this process and its workers):

  first      the archive holds pages but no articles: every detail page becomes a new article
             (INSERT + search index per article);
  unchanged  the same profile again, ``--rounds`` times: every article re-extracted and found
             unchanged (the common case: a re-extraction after an unrelated profile edit);
  changed    a profile variant whose boilerplate also cuts each article's first paragraph: every
             article gets a revision and its search-index entry replaced.

"pages" are the stored pages re-extracted (listing + detail), over the wall-clock time of the
whole ``reextract()`` call (lock, profile, queries, decompression, decoding, parsing, pipelines,
writes, commit). The goal is at least 1,000 pages/s for the unchanged pass.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crawl_throughput import (  # the synthetic site of the crawl benchmark
    HOST,
    SECTION,
    SLUG,
    code_version,
    generate_site,
)

from tjcrawl.profiles import Profile, parse_profile
from tjcrawl.reextract import Report, reextract
from tjcrawl.storage.archive import Archive

FETCHED = datetime.fromisoformat("2024-12-28T20:00:00+08:00")
CUT_FIRST_PARAGRAPH = '"xpath:(.//p)[1]", '


def build_archive(root: Path, db: Path) -> tuple[Profile, int, int]:
    """Every page of the generated site, stored as a crawl stores it; no articles yet."""
    profile = parse_profile(root / "profiles" / f"{SLUG}.toml")
    section = root / "site" / SECTION.strip("/")
    files = sorted(section.rglob("*.html"))
    archive = Archive.acquire(db, commit_every=2000)
    listings = details = 0
    try:
        archive.record_source(profile)
        for n, path in enumerate(files):
            body = path.read_bytes()
            relative = path.relative_to(section).as_posix()
            kind = "listing" if path.parent == section else "detail"
            fetched = FETCHED + timedelta(milliseconds=20 * n)
            archive.store_page(
                url=f"http://{HOST}{SECTION}{relative}",
                source=SLUG,
                kind=kind,
                status=200,
                headers={
                    "Content-Length": [str(len(body))],
                    "Server": ["bench"],
                    "Date": [format_datetime(fetched, usegmt=False)],
                    "Content-Type": ["text/html"],
                    "Etag": [f'"{n:016x}"'],
                },
                body=body,
                encoding={"declared": "gb2312", "used": "gb18030", "how": "declared"},
                fetched_at=fetched.isoformat(),
                run_id="bench-store",
            )
            listings += kind == "listing"
            details += kind == "detail"
        archive.commit()
    finally:
        archive.release()
    return profile, listings, details


def variant(root: Path, profile: Profile) -> Profile:
    """The same profile with one more boilerplate rule: each article's first paragraph goes."""
    text = profile.path.read_text(encoding="utf-8")
    rule = 'boilerplate = ["div.article-tools"'
    if rule not in text:
        raise SystemExit(f"bench profile changed: no {rule!r} in {profile.path}")
    folder = root / "variant"
    folder.mkdir(exist_ok=True)
    path = folder / profile.path.name
    path.write_text(text.replace(rule, rule.replace("[", "[" + CUT_FIRST_PARAGRAPH)), "utf-8")
    return parse_profile(path)


def timed(
    db: Path, profile: Profile, workers: int | None, prof: Path | None = None
) -> tuple[Report, float, float]:
    """The report, wall-clock seconds and CPU seconds (this process + its workers) of a pass."""
    profiler = cProfile.Profile() if prof else None
    started, cpu = time.perf_counter(), _cpu()
    if profiler:
        profiler.enable()
    report = reextract(db, [SLUG], profiles={SLUG: profile}, workers=workers)
    if profiler:
        profiler.disable()
        profiler.dump_stats(prof)
    return report, time.perf_counter() - started, _cpu() - cpu


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the worker processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=5000, help="detail pages (default 5000)")
    parser.add_argument("--per-page", type=int, default=20, help="entries per listing page")
    parser.add_argument("--rounds", type=int, default=3, help="unchanged passes (default 3)")
    parser.add_argument("--seed", type=int, default=20241114)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and print it")
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1],
        metavar="N[,N…]",
        help="extraction processes per pass; several (1,2) alternate (default 1)",
    )
    parser.add_argument(
        "--shell-pages",
        action="store_true",
        help="the same articles in a real page's shell (~25 KB a page, as crawl_throughput.py "
        "crawls them by default) instead of the ~4 KB pages of the recorded figures",
    )
    parser.add_argument(
        "--cprofile", metavar="DIR", help="also profile one unchanged and one changed pass"
    )
    args = parser.parse_args(argv)
    if min(args.pages, args.per_page, args.rounds, *args.workers) < 1:
        parser.error("--pages, --per-page, --rounds and --workers must be at least 1")

    root = Path(tempfile.mkdtemp(prefix="tjcrawl-bench-reextract-"))
    db = root / "archive.db"
    failures: list[str] = []
    try:
        started = time.perf_counter()
        generate_site(root, args.pages, args.per_page, args.seed, small_pages=not args.shell_pages)
        profile, listings, details = build_archive(root, db)
        pages = listings + details
        size = db.stat().st_size / 2**20
        print(
            f"archive: {pages} stored pages ({details} detail + {listings} listing, "
            f"{'shell' if args.shell_pages else 'small'} pages, GBK, "
            f"zstd), {size:.1f} MB, built in {time.perf_counter() - started:.1f} s"
        )
        print(f"machine: {machine()}")
        print(f"code: {code_version()}; load average before: {os.getloadavg()[0]:.2f}\n")
        modes = list(dict.fromkeys(args.workers))
        print(
            f"{'pass':<10} {'procs':>5} {'pages':>6} {'seconds':>8} {'pages/s':>8} "
            f"{'CPU-s':>6} {'pages/CPU-s':>11} {'new':>6} {'changed':>8} {'unchanged':>10}"
        )

        def show(name: str, workers: int, run: tuple[Report, float, float], expect: str) -> float:
            report, seconds, cpu = run
            rate = report.pages / seconds
            print(
                f"{name:<10} {workers:>5} {report.pages:>6} {seconds:>8.2f} {rate:>8.0f} "
                f"{cpu:>6.1f} {report.pages / cpu:>11.0f} {report.total('new'):>6} "
                f"{report.total('changed'):>8} {report.total('unchanged'):>10}",
                flush=True,
            )
            if report.pages != pages:
                failures.append(f"{name}: {report.pages} pages re-extracted, expected {pages}")
            if report.total(expect) != details:
                failures.append(f"{name}: {report.total(expect)} {expect}, expected {details}")
            failures.extend(f"{name}: {p}" for p in report.problems)
            return rate

        show("first", modes[-1], timed(db, profile, modes[-1]), "new")
        rates: dict[int, list[float]] = {w: [] for w in modes}
        for _ in range(args.rounds):
            for w in modes:  # alternating, so that a burst of other work hits both alike
                rates[w].append(show("unchanged", w, timed(db, profile, w), "unchanged"))
        cut = variant(root, profile)
        changed = [
            show("changed", w, timed(db, p, w), "changed")
            for w, p in zip(modes, [cut, profile, cut][: len(modes)], strict=False)
        ]
        print()
        for w in modes:
            print(
                f"unchanged, {w} extraction process{'es' if w > 1 else ''}: median "
                f"{statistics.median(rates[w]):,.0f} pages/s over {args.rounds} passes"
            )
        print(f"changed: {', '.join(f'{r:,.0f}' for r in changed)} pages/s; goal >= 1,000 pages/s")
        print(f"load average after: {os.getloadavg()[0]:.2f}")

        if args.cprofile:  # in one process, so that the profile sees the extraction
            out = Path(args.cprofile)
            out.mkdir(parents=True, exist_ok=True)
            last = cut if len(changed) % 2 else profile
            for name, used in (
                ("unchanged", last),
                ("changed", cut if last is profile else profile),
            ):
                prof = out / f"reextract-{name}.prof"
                report, seconds, _cpu_s = timed(db, used, 1, prof)
                print(f"\n--- cProfile, {name} pass: {report.pages / seconds:,.0f} pages/s ---")
                pstats.Stats(str(prof), stream=sys.stdout).sort_stats("tottime").print_stats(25)
        if failures:
            print("\nFAILED:\n  " + "\n  ".join(failures))
            return 1
        return 0
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
