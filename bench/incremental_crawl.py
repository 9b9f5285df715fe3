"""Incremental crawling: requests of a second, unchanged run over requests of a full first run.

    .venv/bin/python bench/incremental_crawl.py [--pages 5000]

A benchmark, not a test. It generates the synthetic TRS site of bench/crawl_throughput.py
(--pages detail pages, 20 entries per listing page), serves it on 127.0.0.1 with tjcrawl's
fixture server (which answers conditional GETs like a real web server: ETag, Last-Modified,
304), and runs `tjcrawl crawl` five times into one archive:

  1. the first run: everything is new (listing walk to the end, every detail page);
  2. again, the site unchanged, stopping at the first quiet listing page
     (TJCRAWL_INCREMENTAL_OVERLAP=1: the nightly as it was before the overlap page);
  3. again, unchanged, as a nightly runs now: two quiet listing pages (the overlap page);
  4. again, unchanged, as the weekly sweep (TJCRAWL_SWEEP_DAYS=0 makes it due now): a
     conditional GET of every listing page;
  5. the next night, one new article on top of the first listing page; this run also makes
     the revisits that have fallen due (young articles are re-checked on a widening schedule)
     and re-fetches up to two of the detail pages answered 304 to check them.

It prints each run's requests from crawl_runs and the unchanged nightly's cost, amortised over
the sweep's cadence of 7 nights, (6 x run 3 + run 4) / 7, over run 1 (goal <= 2%), next to
run 2 / run 1 (the nightly before the overlap page and the sweep).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crawl_throughput import HOST, SECTION, SLUG, generate_site

from tjcrawl.clock import SHANGHAI
from tjcrawl.fixture_server import serving
from tjcrawl.runner import LOOPBACK_FAST_SETTINGS

REPO = Path(__file__).resolve().parents[1]


SWEEP_CADENCE = 7  # nights; tjcrawl.frontier.DEFAULT_SWEEP_DAYS


def crawl(root: Path, proxy: str, now: datetime, **settings: int) -> dict:
    env = {
        **os.environ,
        "TJCRAWL_SOURCES_DIR": str(root / "profiles"),
        "TJCRAWL_NOW": now.isoformat(),
        # The site behind the proxy is ours: no delays, said explicitly (--proxy keeps them).
        "TJCRAWL_SETTINGS": json.dumps({**LOOPBACK_FAST_SETTINGS, **settings}),
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "tjcrawl.cli", "crawl", SLUG, "--db", str(root / "archive.db"),
         "--proxy", f"{HOST}={proxy}", "--log-level", "WARNING"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"crawl failed ({result.returncode}):\n{result.stderr[-3000:]}")
    with sqlite3.connect(root / "archive.db") as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone())
    row["wall_s"] = round(time.monotonic() - started, 1)
    return row


def add_article(root: Path) -> None:
    """A new article on top of the first listing page, as a portal would publish it."""
    section = root / "site" / SECTION.strip("/")
    first = section / "index.html"
    listing = first.read_bytes().decode("gbk")
    href = "./202412/t20241229_6999999.html"
    row = (
        f'<div class="list-item"><a href="{href}" title="新签约项目">新签约项目</a>'
        '<span class="list-item-date">2024-12-29</span></div>\n'
    )
    at = listing.index('<div class="list-item">')
    first.write_bytes((listing[:at] + row + listing[at:]).encode("gbk"))
    template = next(section.glob("202412/*.html")).read_bytes().decode("gbk")
    title_start = template.index("<title>") + len("<title>")
    title_end = template.index("_", title_start)
    page = template.replace(template[title_start:title_end], "新签约项目")
    (section / href[2:]).write_bytes(page.encode("gbk"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000, help="detail pages (default 5000)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tjcrawl-incremental-") as tmp:
        root = Path(tmp)
        info = generate_site(root, pages=args.pages, per_page=20, seed=20261127)
        night = datetime(2025, 1, 1, 2, 30, tzinfo=SHANGHAI)
        with serving({HOST: root / "site"}) as server:
            proxy = server.proxy_url
            first = crawl(root, proxy, night)
            before = crawl(root, proxy, night + timedelta(hours=1), TJCRAWL_INCREMENTAL_OVERLAP=1)
            nightly = crawl(root, proxy, night + timedelta(hours=2))
            sweep = crawl(root, proxy, night + timedelta(hours=3), TJCRAWL_SWEEP_DAYS=0)
            add_article(root)
            next_night = crawl(root, proxy, night + timedelta(days=1))
    rows = [("first (everything new)", first), ("unchanged, overlap 1 (before)", before),
            ("unchanged nightly (overlap 2)", nightly), ("unchanged, weekly sweep", sweep),
            ("next night (1 new + due)", next_night)]  # fmt: skip
    print(f"site: {info['details']} articles on {info['listings']} listing pages")
    print(f"{'run':30} {'mode':>11} {'requests':>8} {'new':>5} {'listings':>8} {'wall s':>7}")
    for name, row in rows:
        print(
            f"{name:30} {row['mode']:>11} {row['requests']:>8} {row['items_new']:>5} "
            f"{row['listing_pages'] or 0:>8} {row['wall_s']:>7}"
        )
    total = first["requests"]
    amortised = ((SWEEP_CADENCE - 1) * nightly["requests"] + sweep["requests"]) / SWEEP_CADENCE
    ratio, ratio_before = amortised / total, before["requests"] / total
    print(f"before: {before['requests']} requests a night; / {total} = {ratio_before:.3%}")
    print(
        f"now: ({SWEEP_CADENCE - 1} x {nightly['requests']} + {sweep['requests']}) / "
        f"{SWEEP_CADENCE} = {amortised:.2f} requests a night; / {total} = {ratio:.3%}"
    )
    print(json.dumps({"first": total, "before": before["requests"],
                      "nightly": nightly["requests"], "sweep": sweep["requests"],
                      "next_night": next_night["requests"], "amortised": amortised,
                      "ratio": ratio, "ratio_before": ratio_before}))  # fmt: skip
    modes = (nightly["mode"], sweep["mode"]) == ("incremental", "sweep")
    return 0 if ratio <= 0.02 and modes and next_night["items_new"] == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
