"""Crawl memory: the RSS of `tjcrawl crawl` on a synthetic site of N pages, and how it grows.

    .venv/bin/python bench/crawl_memory.py [--pages 100000] [--pages 10000 20000 50000 100000]

A benchmark, not a test. For each size it generates the synthetic TRS site of
bench/crawl_throughput.py (imported from there, not copied: the same pages, the same profile),
serves it from that script's asyncio server on 127.0.0.1, and runs

    tjcrawl crawl bench_trs --db archive.db --proxy bench.tjcrawl.test=http://127.0.0.1:PORT

as a user runs it: a subprocess, with the profile folder in TJCRAWL_SOURCES_DIR and the loopback
settings (no delays, 16 requests at once) in TJCRAWL_SETTINGS, as the project's own tests do for
their loopback sites. Every 0.5 s it sums the RSS of the crawl's process tree (the command and
every descendant, e.g. an attachment worker) from /proc, and reads how many pages the archive
holds (max(pages.id), cheap at any size). It prints the peak RSS, the RSS when the archive held
10 %, 25 %, 50 % and 100 % of the pages, the peak after the last page was stored (re-post
grouping, search counts, health checks: the crawl command's peak is what a user sees),
pages/s and the archive's size on disk.

Every wait is bounded: a crawl is killed after --timeout seconds (default: 60 s + 40 ms a page).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_CHECKOUT = _HERE.parent
SAMPLE_SECONDS = 0.5
MARKS = (0.10, 0.25, 0.50, 1.00)


def _load_throughput_bench():
    """bench/crawl_throughput.py as a module, loaded by path: bench/ is no package, and putting
    it on sys.path could let a sibling script shadow a library."""
    spec = importlib.util.spec_from_file_location("crawl_throughput", _HERE / "crawl_throughput.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


site_bench = _load_throughput_bench()


def _children() -> dict[int, list[int]]:
    """Every live process's children, from /proc/*/stat (ppid is field 4)."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:  # gone since the scan
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss(pid: int) -> int:
    """Bytes resident in pid and all its descendants (VmRSS of each, from /proc)."""
    tree = _children()
    total, todo, seen = 0, [pid], set()
    while todo and len(seen) < 10_000:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
        todo.extend(tree.get(current, ()))
    return total


def stored_pages(db: Path) -> int:
    """Pages the archive holds now (0 before the crawl created it)."""
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)
        try:
            return conn.execute("SELECT coalesce(max(id), 0) FROM pages").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or locked for a moment: next sample
        return 0


def start_server(root: Path, lifetime: float) -> tuple[subprocess.Popen, str]:
    """crawl_throughput's server, living `lifetime` seconds at most (its own default, 900 s,
    is shorter than a 100,000-page crawl)."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(root / "site"), "--lifetime", str(lifetime)],
        stdout=subprocess.PIPE,
        stderr=(root / "server.log").open("wb"),
    )
    assert server.stdout is not None
    line = server.stdout.readline().decode().strip()  # the server prints its port or dies
    if not line.startswith("PORT "):
        server.kill()
        raise SystemExit(f"server did not start: {line!r} (see {root / 'server.log'})")
    return server, f"http://127.0.0.1:{line.split()[1]}"


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def crawl(
    root: Path, proxy: str, expected: int, timeout: float, settings: dict | None = None
) -> dict:
    """Run `tjcrawl crawl` and sample it until it exits; what it used, when."""
    db = root / "archive.db"
    tjcrawl = Path(sys.executable).with_name("tjcrawl")
    command = [
        str(tjcrawl) if tjcrawl.exists() else sys.executable,
        *([] if tjcrawl.exists() else ["-m", "tjcrawl.cli"]),
        "crawl",
        site_bench.SLUG,
        "--db",
        str(db),
        "--proxy",
        f"{site_bench.HOST}={proxy}",
    ]
    loopback = {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": site_bench.CONCURRENCY,
        "CONCURRENT_REQUESTS_PER_DOMAIN": site_bench.CONCURRENCY,
        "RETRY_BACKOFF_BASE": 0.05,
        "RETRY_BACKOFF_MAX": 0.5,
        "TJCRAWL_PROGRESS": False,
        **(settings or {}),
    }
    env = {
        **os.environ,
        "TJCRAWL_SOURCES_DIR": str(root / "profiles"),
        "TJCRAWL_SETTINGS": json.dumps(loopback),
    }
    log = root / "crawl.log"
    samples: list[tuple[float, int, int]] = []  # seconds, RSS bytes, pages stored
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            while process.poll() is None:
                now = time.monotonic() - started
                if now > timeout:
                    stop(process)
                    raise SystemExit(f"crawl took over {timeout:.0f} s; killed (log: {log})")
                samples.append((now, tree_rss(process.pid), stored_pages(db)))
                time.sleep(SAMPLE_SECONDS)
        finally:
            stop(process)
    wall = time.monotonic() - started
    problems = []
    if process.returncode != 0:  # measured all the same; the run fails at the end
        tail = log.read_text(encoding="utf-8", errors="replace")[-1500:]
        problems.append(f"crawl exited {process.returncode}; log tail:\n{tail}")
    final = stored_pages(db)
    marks = {}
    for share in MARKS:
        hit = next((s for s in samples if s[2] >= share * expected), None)
        marks[share] = hit
    done_at = marks[1.0][0] if marks[1.0] else wall
    after = [s[1] for s in samples if s[0] >= done_at]
    archive_bytes = sum(p.stat().st_size for p in root.glob("archive.db*"))
    return {
        "wall": wall,
        "pages": final,
        "peak": max((s[1] for s in samples), default=0),
        "marks": marks,
        "after_peak": max(after, default=0),
        "crawl_seconds": done_at,
        "archive_bytes": archive_bytes,
        "samples": samples,
        "problems": problems,
    }


def mb(value: float) -> str:
    return f"{value / 1e6:.0f}"


def load() -> str:
    return Path("/proc/loadavg").read_text().strip()


def code_version() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(_CHECKOUT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(_CHECKOUT), "status", "--porcelain", "tjcrawl"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return f"tjcrawl at {head}" + (" with uncommitted changes" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--pages",
        type=int,
        nargs="+",
        default=[100_000],
        help="detail pages of each site crawled (default 100000)",
    )
    parser.add_argument("--per-page", type=int, default=20, help="entries per listing page")
    parser.add_argument("--seed", type=int, default=20241114)
    parser.add_argument("--timeout", type=float, help="seconds per crawl before it is killed")
    parser.add_argument("--limit-mb", type=float, default=500.0, help="the goal (default 500)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dirs and print them")
    parser.add_argument("--samples", metavar="FILE", help="write every sample as JSON lines")
    parser.add_argument(
        "--settings",
        type=json.loads,
        default={},
        metavar="JSON",
        help="more Scrapy settings for the crawl, e.g. '{\"TJCRAWL_COMMIT_EVERY\": 500}'",
    )
    # Internal: the server runs as a child process of this script.
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--lifetime", type=float, default=900.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        site_bench.SERVER_LIFETIME = args.lifetime
        site_bench.serve(Path(args.serve))
        return 0
    if any(n < 1 for n in args.pages) or args.per_page < 1:
        parser.error("--pages and --per-page must be at least 1")

    print(f"code: {code_version()}; load average: {load()}")
    header = (
        f"{'pages':>7} {'peak MB':>8} "
        + " ".join(f"{f'at {share:.0%}':>7}" for share in MARKS)
        + f" {'after MB':>9} {'pages/s':>8} {'archive MB':>11} {'B/page':>7}"
    )
    rows, failures = [], []
    if args.samples:
        Path(args.samples).write_text("", encoding="utf-8")
    for n in args.pages:
        root = Path(tempfile.mkdtemp(prefix="tjcrawl-mem-"))
        server = None
        try:
            began = time.monotonic()
            site = site_bench.generate_site(root, n, args.per_page, args.seed)
            expected = site["details"] + site["listings"]
            timeout = args.timeout or 60.0 + 0.04 * expected
            server, proxy = start_server(root, timeout + 60.0)
            print(
                f"{n} pages: site of {expected} pages generated in "
                f"{time.monotonic() - began:.0f} s, served at {proxy}",
                flush=True,
            )
            result = crawl(root, proxy, expected, timeout, args.settings)
            failures.extend(f"{n}: {problem}" for problem in result["problems"])
            if result["pages"] != expected:
                failures.append(f"{n}: archive holds {result['pages']} pages, expected {expected}")
            if result["peak"] > args.limit_mb * 1e6:
                failures.append(f"{n}: peak {mb(result['peak'])} MB > {args.limit_mb:.0f} MB")
            rows.append((n, result))
            if args.samples:
                with Path(args.samples).open("a", encoding="utf-8") as out:
                    for t, rss, pages in result["samples"]:
                        sample = {"site": n, "t": t, "rss": rss, "pages": pages}
                        out.write(json.dumps(sample) + "\n")
            at = " ".join(f"{mb(m[1]) if m else '-':>7}" for m in result["marks"].values())
            print(header)
            print(
                f"{n:>7} {mb(result['peak']):>8} {at} {mb(result['after_peak']):>9} "
                f"{result['pages'] / result['crawl_seconds']:>8.1f} "
                f"{mb(result['archive_bytes']):>11} "
                f"{result['archive_bytes'] / max(1, result['pages']):>7.0f}\n",
                flush=True,
            )
        finally:
            if server is not None:
                stop(server)
            if args.keep:
                print(f"kept {root}")
            else:
                shutil.rmtree(root, ignore_errors=True)
    print("summary (RSS of the crawl's process tree, MB; 'after' = after the last page stored)")
    print(header)
    for n, result in rows:
        at = " ".join(f"{mb(m[1]) if m else '-':>7}" for m in result["marks"].values())
        print(
            f"{n:>7} {mb(result['peak']):>8} {at} {mb(result['after_peak']):>9} "
            f"{result['pages'] / result['crawl_seconds']:>8.1f} "
            f"{mb(result['archive_bytes']):>11} "
            f"{result['archive_bytes'] / max(1, result['pages']):>7.0f}"
        )
    if len(rows) >= 2:
        (n0, r0), (n1, r1) = rows[0], rows[-1]
        slope = (r1["peak"] - r0["peak"]) / (n1 - n0) if n1 != n0 else 0.0
        print(f"peak grows by {slope:.0f} bytes per detail page between {n0} and {n1} pages")
    print(f"load average after: {load()}")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the cleanups on a kill
    sys.exit(main())
