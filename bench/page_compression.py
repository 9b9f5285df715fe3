"""Raw-page compression side by side: zlib-6 (before), zstd-3 without a dictionary, zstd-3 with a
dictionary trained per source on its own pages (tjcrawl.storage.compression).

    .venv/bin/python bench/page_compression.py [--db ARCHIVE] [--repeat 5]
    .venv/bin/python bench/page_compression.py --bench-site 2000

A benchmark, not a test. Without ``--db`` it builds the demo archive (``tjcrawl demo``) in a temp
dir. Each source's pages are split by position: the dictionary is trained on the even ones and
every figure is measured on the odd ones (pages it never saw, as a crawl's next pages are).
(The labelled real pages of extraction-dev are one or two per host: no per-source figure.)
Sizes are compressed bytes over raw bytes; speeds are raw MB per second of one thread, the best
of ``--repeat`` passes. ``--bench-site N`` measures the pages of crawl_throughput.py's synthetic
site (N detail pages and their listings) as one source instead. ``--db`` takes any archive.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))  # this checkout's tjcrawl, not an installed one

import zstandard  # noqa: E402

from tjcrawl.storage import compression  # noqa: E402


def pages_by_source(db: Path) -> dict[str, list[bytes]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        found: dict[str, list[bytes]] = {}
        for source, body, how in conn.execute(
            "SELECT source, body, compression FROM pages WHERE status = 200 ORDER BY id"
        ):
            found.setdefault(source, []).append(compression.page_body(body, how, conn))
        return found
    finally:
        conn.close()


def best_seconds(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def measure(
    name: str,
    pages: list[bytes],
    compress: Callable[[bytes], bytes],
    decompress: Callable[[bytes], bytes],
    repeat: int,
) -> tuple[str, int, float, float]:
    packed = [compress(page) for page in pages]
    assert [decompress(p) for p in packed] == pages, f"{name} does not round-trip"
    raw_mb = sum(map(len, pages)) / 1e6
    c_s = best_seconds(lambda: [compress(page) for page in pages], repeat)
    d_s = best_seconds(lambda: [decompress(p) for p in packed], repeat)
    return name, sum(map(len, packed)), raw_mb / c_s, raw_mb / d_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an archive (default: the demo archive, built)")
    parser.add_argument("--bench-site", type=int, metavar="N", help="crawl_throughput's site")
    parser.add_argument(
        "--small-pages",
        action="store_true",
        help="with --bench-site: its ~4 KB pages of before issue 16, item 2 (default: the "
        "same articles in a real page's shell, as crawl_throughput.py crawls them)",
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if args.bench_site:
            sys.path.insert(0, str(_HERE))
            from crawl_throughput import SLUG, generate_site

            generate_site(Path(tmp), args.bench_site, 20, 20241114, small_pages=args.small_pages)
            files = sorted((Path(tmp) / "site").rglob("*.html"))
            by_source = {SLUG: [path.read_bytes() for path in files]}
        elif db is None:
            db = Path(tmp) / "demo.db"
            tjcrawl = Path(sys.executable).with_name("tjcrawl")
            subprocess.run(
                [str(tjcrawl), "demo", "--db", str(db)], check=True, stdout=subprocess.DEVNULL
            )
        if not args.bench_site:
            by_source = pages_by_source(db)
    totals: dict[str, list[float]] = {}
    raw_total = 0
    for source, pages in sorted(by_source.items()):
        # As a crawl does: at most TRAIN_AFTER pages train the dictionary.
        train_on, test_on = pages[0::2][: compression.TRAIN_AFTER], pages[1::2]
        if not test_on:
            continue
        started = time.perf_counter()
        try:
            data = compression.train(train_on)
        except zstandard.ZstdError as exc:
            print(f"{source}: {len(train_on)} pages train no dictionary ({exc}); left out")
            continue
        trained_s = time.perf_counter() - started
        zdict = zstandard.ZstdCompressionDict(data)
        plain_c = zstandard.ZstdCompressor(level=compression.LEVEL, write_checksum=True)
        plain_d = zstandard.ZstdDecompressor()
        dict_c = zstandard.ZstdCompressor(
            level=compression.LEVEL, dict_data=zdict, write_checksum=True
        )
        dict_d = zstandard.ZstdDecompressor(dict_data=zdict)
        raw = sum(map(len, test_on))
        raw_total += raw
        print(
            f"{source}: {len(train_on)} pages train a {len(data) / 1024:.0f} KB dictionary in"
            f" {trained_s:.2f} s; measured on the other {len(test_on)} ({raw / 1e6:.2f} MB)"
        )
        # What the crawl's reactor thread pays per page: SHA-256 + zstd with the dictionary.
        packer = compression.Packer(compression.Dictionary(1, data))
        per_page = best_seconds(
            partial(lambda pk, ps: [compression.PackedBody.of(p, pk) for p in ps], packer, test_on),
            args.repeat,
        )
        print(
            f"  reactor thread, SHA-256 + zstd-3 with the dictionary: "
            f"{per_page / len(test_on) * 1e6:.0f} µs a page"
            f" (mean page {raw / len(test_on) / 1024:.1f} KB)"
        )
        for name, size, c_mbs, d_mbs in (
            measure("zlib-6", test_on, lambda b: zlib.compress(b, 6), zlib.decompress, args.repeat),
            measure("zstd-3", test_on, plain_c.compress, plain_d.decompress, args.repeat),
            measure("zstd-3+dict", test_on, dict_c.compress, dict_d.decompress, args.repeat),
        ):
            print(
                f"  {name:12} {size / raw:6.1%} of the bytes   compress {c_mbs:7.1f} MB/s"
                f"   decompress {d_mbs:7.1f} MB/s"
            )
            total = totals.setdefault(name, [0, 0.0, 0.0])
            total[0] += size
            total[1] += raw / c_mbs  # seconds-ish, for a weighted speed
            total[2] += raw / d_mbs
    if raw_total:
        print(f"all sources ({raw_total / 1e6:.2f} MB measured):")
        for name, (size, c_t, d_t) in totals.items():
            print(
                f"  {name:12} {size / raw_total:6.1%} of the bytes   compress"
                f" {raw_total / c_t:7.1f} MB/s   decompress {raw_total / d_t:7.1f} MB/s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
