"""The worst case of the search index without positions: a phrase whose bigrams are each in
many articles but which is itself rare (not a kept phrase), so that every article holding
all of its bigrams is read and tested.

    .venv/bin/python bench/search_worst_case.py --db /tmp/tjcrawl-bench-search/archive-1000000.db

Takes an archive built by ``bench/search.py --keep``. Joins common bigrams (kept token
counts) into 3- and 4-character phrases, keeps the ones with the most candidates (articles
holding every bigram) among those that are not kept phrases, and times ``search()`` (best and
newest first) and the count alone for the ``--top`` of them, next to a LIKE count.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tjcrawl.storage import search  # noqa: E402
from tjcrawl.storage.search.query import _Query  # noqa: E402
from tjcrawl.storage.search.tokens import match_expression  # noqa: E402


def _char(code: str) -> str:
    return chr(int(code, 36))


def phrases(conn: sqlite3.Connection, tries: int, rng: random.Random) -> list[tuple[str, int]]:
    """(phrase, candidates) of joined common bigrams that are not kept phrases."""
    bigrams = [
        _char(t[:4]) + _char(t[4:])
        for (t,) in conn.execute(f"SELECT token FROM {search.COUNTS} WHERE length(token) = 8")
        if "zzzz" not in t
    ]
    by_first: dict[str, list[str]] = {}
    for b in bigrams:
        by_first.setdefault(b[0], []).append(b)
    kept = {p for (p,) in conn.execute(f"SELECT phrase FROM {search.PHRASES}")}
    found: dict[str, int] = {}
    for _ in range(tries):
        phrase = rng.choice(bigrams)
        for _ in range(rng.choice((1, 2))):
            nexts = by_first.get(phrase[-1])
            if not nexts:
                break
            phrase += rng.choice(nexts)[1]
        if len(phrase) < 3 or phrase in kept or phrase in found:
            continue
        sql = f"SELECT count(*) FROM {search.BIGRAMS} WHERE {search.BIGRAMS} MATCH ?"
        found[phrase] = conn.execute(sql, (match_expression(phrase),)).fetchone()[0]
    return sorted(found.items(), key=lambda x: -x[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--tries", type=int, default=300)
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20250822)
    args = parser.parse_args()
    conn = sqlite3.connect(args.db, isolation_level=None)
    print(f"load {os.getloadavg()}")
    t0 = time.perf_counter()
    ranked = phrases(conn, args.tries, random.Random(args.seed))
    print(f"{len(ranked)} phrases of common bigrams tried in {time.perf_counter() - t0:.0f} s")
    report = []
    for phrase, candidates in ranked[: args.top]:
        times: dict[str, list[float]] = {"rank": [], "newest": [], "count": []}
        total = 0
        for _ in range(args.repeat):
            for order in ("rank", "newest"):
                t0 = time.perf_counter()
                total = search.search(conn, phrase, order=order).total
                times[order].append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            _Query(conn, phrase, None, None, None).count()
            times["count"].append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        like = conn.execute(
            "SELECT count(*) FROM articles WHERE title LIKE ?1 OR body LIKE ?1", (f"%{phrase}%",)
        ).fetchone()[0]
        like_ms = 1000 * (time.perf_counter() - t0)
        row = {"phrase": phrase, "candidates": candidates, "matches": total}
        row |= {"like": like, "like_ms": like_ms}
        row |= {k: statistics.median(v) for k, v in times.items()}
        report.append(row)
        print(json.dumps(row, ensure_ascii=False))
    print(f"load {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
