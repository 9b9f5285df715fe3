"""Attachment text in the exact search: its index against the substring scan it must equal.

    .venv/bin/python bench/attachment_search.py ../shared/attachments-dev
    .venv/bin/python bench/attachment_search.py DIR --copies 500 --queries 40

A benchmark, not a test; it exits non-zero only when the index and the scan disagree.

1. Reads every file under DIR with tjcrawl's attachment readers (in this process) and keeps
   the texts that are not empty.
2. Stores ``--copies`` attachments per text (each copy with a distinct prefix line, so the
   texts differ) through the storage API into a fresh archive under /tmp, each linked from an
   article of its own: `store_attachment_text` indexes each text as the crawl does. Times
   that, per MB of text.
3. Samples ``--queries`` substrings of 1, 2, 4 and 8 characters from the texts (seed 20250822)
   plus words that are in none, and for each compares `search_attachments` (total and the
   first page of 20) with `attachment_substring_scan` (a fold of every text): the same URLs,
   and the time of each, side by side in one run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tjcrawl.attachments.reader import read  # noqa: E402
from tjcrawl.attachments.states import Extracted  # noqa: E402
from tjcrawl.storage.archive import Archive  # noqa: E402
from tjcrawl.storage.attachments import store_attachment_text  # noqa: E402
from tjcrawl.storage.search.attachments import (  # noqa: E402
    attachment_substring_scan,
    matching_urls,
    search_attachments,
)


def texts_of(folder: Path) -> list[str]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix.lower() in (".json", ".md"):
            continue
        got = read(path.read_bytes(), path.name)
        if got.text.strip():
            found.append(got.text)
    return found


def build(path: Path, texts: list[str], copies: int) -> tuple[int, float]:
    archive = Archive(path)
    chars, started = 0, time.perf_counter()
    n = 0
    for copy in range(copies):
        for number, text in enumerate(texts):
            n += 1
            article = f"http://bench.test/{n}.html"
            archive.store_article(
                {"url": article, "source": "bench", "title": f"附件{n}", "body": "详见附件",
                 "content_hash": str(n)},
                None,
                "bench",
            )  # fmt: skip
            url = f"http://bench.test/{copy}/P0{number}.pdf"
            archive.store_attachment_links(article, [{"url": url, "text": f"附件{number}"}])
            body = f"第{copy}份\n{text}"
            chars += len(body)
            archive.store_attachment_file(
                url=url, status=200, content_type="application/pdf", body=body.encode(),
                run_id="bench",
            )  # fmt: skip
            got = Extracted("ok", body, 1, "bench")
            store_attachment_text(archive, url=url, sha256=str(n), got=got)
    archive.commit()
    seconds = time.perf_counter() - started
    archive.close()
    return chars, seconds


def queries(texts: list[str], count: int, rng: random.Random) -> list[str]:
    chosen = []
    for length in (1, 2, 4, 8):
        for _ in range(count // 4):
            text = rng.choice(texts)
            start = rng.randrange(0, max(1, len(text) - length))
            word = text[start : start + length]
            if word.strip():
                chosen.append(word)
    return [*chosen, "不存在的词语", "zzqx"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    texts = texts_of(args.folder)
    if not texts:
        print(f"{args.folder}: no file with text", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tjcrawl-att-bench-") as work:
        db = Path(work) / "a.db"
        chars, seconds = build(db, texts, args.copies)
        files = len(texts) * args.copies
        print(
            f"{files} attachment texts ({len(texts)} read from {args.folder} x {args.copies}),"
            f" {chars / 1e6:.1f} M characters stored and indexed in {seconds:.1f} s"
            f" ({chars / 1e6 / seconds:.2f} M chars/s)"
        )
        archive = Archive(db)
        conn = archive.conn
        index_times, scan_times, wrong = [], [], []
        for word in queries(texts, args.queries, random.Random(20250822)):
            started = time.perf_counter()
            result = search_attachments(conn, word, limit=20)
            found = set(matching_urls(conn, word))
            index_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            expected = attachment_substring_scan(conn, word)
            scan_times.append(time.perf_counter() - started)
            if found != expected or result.total != len(expected):
                wrong.append(word)
        archive.close()
    median_index, median_scan = statistics.median(index_times), statistics.median(scan_times)
    print(
        f"{len(index_times)} queries: index (search + every match)"
        f" p50 {median_index * 1000:.1f} ms,"
        f" max {max(index_times) * 1000:.1f} ms; substring scan p50 {median_scan * 1000:.1f} ms,"
        f" max {max(scan_times) * 1000:.1f} ms; scan/index {median_scan / median_index:.1f}x"
    )
    print(f"results equal to the scan: {len(index_times) - len(wrong)}/{len(index_times)}")
    for word in wrong:
        print(f"DIFFERS: {word!r}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
