"""The generic extractor's output on every page of some folders, as JSON: to prove a speed-up
changed nothing, and to time the extractor alone.

    .venv/bin/python bench/extraction_identity.py DIR [DIR …] --out digest.json
    .venv/bin/python bench/extraction_identity.py DIR [DIR …] --compare before.json
    .venv/bin/python bench/extraction_identity.py DIR [DIR …] --time 3 [--tjcrawl OTHER_CHECKOUT]

A benchmark helper, not a test. A folder with ``ground_truth.jsonl`` (the extraction-dev
layout) gives the files it names, with their URLs; any other folder gives every file under it
(HTML or not: the extractor takes any bytes). The pages are read where they are and never
copied anywhere.

Each page is extracted twice, the two ways tjcrawl calls the extractor: from the raw bytes
(``tjcrawl extract``, source new) and, as a crawl does, from the text a Scrapy ``HtmlResponse``
decodes together with that response's already parsed tree. Every field of both articles is
written (title, date, precision, date text, paragraphs, origin, author, attachments, how,
no_article), so ``--compare`` names the page and the field that changed; and a hash of the
blocks the extractor weighed (their text, counts, flags and weights, the elements' spans), so
that a change inside that happens to leave these pages' articles alone shows as well.

``--time N`` runs the crawl's way N times over all pages and prints pages per second of wall
time and of CPU time inside the extractor (the tree is built outside the timing, as Scrapy's
parse is outside it in a crawl). ``--tjcrawl PATH`` imports tjcrawl from another checkout
(``git worktree add /tmp/base COMMIT``) to time the old code under the same load: run the two
alternately and quote the ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != _HERE]

# A fixed fetch time: relative dates ("3 days ago") read the same on every run.
FETCHED_AT = datetime(2026, 12, 1, 12, 0, tzinfo=timezone(timedelta(hours=8)))
MAX_FILE_BYTES = 5_000_000


def pages_of(folder: Path) -> list[tuple[str, Path, str]]:
    """(key, file, url) for every page of a folder."""
    truth = folder / "ground_truth.jsonl"
    if truth.is_file():
        out = []
        with open(truth, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    out.append((f"{folder.name}/{row['file']}", folder / row["file"], row["url"]))
        return out
    out = []
    for path in sorted(folder.rglob("*")):
        wanted = path.is_file() and "__pycache__" not in path.parts
        if wanted and path.stat().st_size <= MAX_FILE_BYTES:
            rel = path.relative_to(folder).as_posix()
            out.append((f"{folder.name}/{rel}", path, f"http://fixture.test/{rel}"))
    return out


def article_fields(article: Any) -> dict[str, Any]:
    return {
        "title": article.title,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "date_precision": article.date_precision,
        "date_text": article.date_text,
        "paragraphs": article.paragraphs,
        "origin": article.origin,
        "author": article.author,
        "attachments": article.attachments,
        "how": article.how,
        "no_article": article.no_article,
    }


def crawl_inputs(raw: bytes, url: str) -> tuple[str, Any]:
    """The decoded text and parsed tree a crawl's HtmlResponse hands the extractor."""
    from scrapy.http import HtmlResponse

    response = HtmlResponse(url=url, body=raw)
    return response.text, response.selector.root


def blocks_digest(raw: bytes) -> str:
    """A hash of the blocks as the extractor sees them (text, counts, heading, continues,
    weight, furniture), so that a change inside that leaves this page's article alone shows
    too. Uses the stages' own functions, whose signatures are the same before and after."""
    from lxml import etree

    from tjcrawl.extract import generic
    from tjcrawl.extract.blocks import segment
    from tjcrawl.extract.body import weigh
    from tjcrawl.extract.meta import find_title, read_meta

    root = generic.parse_html(generic.decode_page(raw))
    if root is None:
        return "no tree"
    meta = read_meta(root)
    etree.strip_elements(root, *generic._DROPPED_TAGS, with_tail=False)
    seg = segment(root)
    title, title_index = find_title(seg.blocks, meta)
    headline = title_index if title is not None and title.how == "headline" else None
    prefix = weigh(seg, headline)
    rows = [
        (b.text, b.chars, b.link_chars, b.punct, b.heading, b.continues, b.weight, b.furniture)
        for b in seg.blocks
    ]
    spans = [seg.spans.get(el) for el in seg.order]
    text = repr((rows, spans, prefix, title_index))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def digest(pages: list[tuple[str, Path, str]]) -> dict[str, Any]:
    from tjcrawl.extract.generic import extract_article

    out: dict[str, Any] = {}
    for key, path, url in pages:
        raw = path.read_bytes()
        entry: dict[str, Any] = {}
        entry["bytes"] = article_fields(extract_article(raw, url, fetched_at=FETCHED_AT))
        entry["blocks"] = blocks_digest(raw)
        try:
            text, tree = crawl_inputs(raw, url)
        except Exception as exc:  # a page Scrapy cannot read is no crawl's
            entry["crawl"] = f"no response: {type(exc).__name__}"
        else:
            entry["crawl"] = article_fields(
                extract_article(text, url, fetched_at=FETCHED_AT, tree=tree)
            )
        out[key] = entry
    return out


def compare(before: dict[str, Any], after: dict[str, Any]) -> int:
    differences = 0
    for key in sorted(set(before) | set(after)):
        if key not in before or key not in after:
            print(f"{key}: only {'after' if key in after else 'before'}")
            differences += 1
            continue
        for mode in ("bytes", "crawl", "blocks"):
            old, new = before[key].get(mode), after[key].get(mode)
            if old == new:
                continue
            differences += 1
            if isinstance(old, dict) and isinstance(new, dict):
                for name in old:
                    if old[name] != new.get(name):
                        print(f"{key} [{mode}] {name}: {str(old[name])[:150]!r}")
                        print(f"{' ' * len(key)}  -> {str(new.get(name))[:150]!r}")
            else:
                print(f"{key} [{mode}]: {old!r} -> {new!r}")
    compared = len(set(before) & set(after))
    print(
        f"{compared} pages compared (each from bytes, as a crawl, and their blocks), "
        f"{differences} differences"
    )
    return differences


def timing(pages: list[tuple[str, Path, str]], rounds: int) -> None:
    from tjcrawl.extract.generic import extract_article

    inputs = []
    for _key, path, url in pages:
        raw = path.read_bytes()
        try:
            crawl_inputs(raw, url)
        except Exception:
            continue
        inputs.append((raw, url))
    for n in range(1, rounds + 1):
        # A fresh tree per call (extraction changes it), built outside the timing.
        wall = cpu = 0.0
        for raw, url in inputs:
            text, tree = crawl_inputs(raw, url)
            w0, c0 = time.perf_counter(), time.process_time()
            extract_article(text, url, fetched_at=FETCHED_AT, tree=tree)
            wall += time.perf_counter() - w0
            cpu += time.process_time() - c0
        print(
            f"round {n}: {len(inputs)} pages, {wall:.2f} s wall, {len(inputs) / wall:.1f} pages/s, "
            f"{len(inputs) / cpu:.1f} pages/CPU-s",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, help="write the digest here")
    parser.add_argument("--compare", type=Path, help="compare with this earlier digest")
    parser.add_argument("--time", type=int, default=0, metavar="N", help="time N rounds")
    parser.add_argument("--tjcrawl", type=Path, help="import tjcrawl from this checkout")
    args = parser.parse_args(argv)
    sys.path.insert(0, str((args.tjcrawl or _HERE.parent).resolve()))
    import tjcrawl

    print(f"tjcrawl from {Path(tjcrawl.__file__).parent}", file=sys.stderr)
    pages = []
    for folder in args.folders:
        if not folder.is_dir():
            parser.error(f"{folder}: not a folder")
        pages += pages_of(folder)
    if args.time:
        timing(pages, args.time)
        return 0
    result = digest(pages)
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=0, sort_keys=True))
        print(f"{len(result)} pages written to {args.out}")
    if args.compare:
        return 1 if compare(json.loads(args.compare.read_text()), result) else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
