"""The crawl's own per-page work on the reactor thread, without Scrapy's engine or a server:
every page of a generated bench site through the encoding and block middlewares, the spider's
callbacks and the validate/normalise/dedup pipelines. Its output as JSON (to show a speed-up
changed nothing) and its CPU time a page.

    .venv/bin/python bench/reactor_pages.py SITE_ROOT --out items.json [--time 5]
        [--tjcrawl OTHER_CHECKOUT]

SITE_ROOT is a folder written by ``bench/crawl_throughput.py``'s ``generate_site`` (``site/``
and ``profiles/``; ``crawl_throughput.py --keep`` prints one). ``--tjcrawl PATH`` imports
tjcrawl from another checkout (``git archive COMMIT | tar -x -C PATH``), so that old and new
code run alternately under the same load; compare their ``--out`` files with ``cmp``. A
benchmark helper, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != _HERE]

FETCHED_AT = "2026-12-01T12:00:00+08:00"
HOST = "http://bench.tjcrawl.test"


class _Crawler:
    """What the middlewares read of a crawler: no stats, no signals (nothing is recorded)."""

    spider: Any = None
    stats: Any = None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="a generated bench site (site/, profiles/)")
    parser.add_argument("--out", type=Path, help="write every item and request as JSON")
    parser.add_argument("--time", type=int, default=0, metavar="N", help="time N passes")
    parser.add_argument("--tjcrawl", type=Path, help="import tjcrawl from this checkout")
    args = parser.parse_args()
    checkout = (args.tjcrawl or _HERE.parent).resolve()
    sys.path.insert(0, str(checkout))

    from scrapy import Request
    from scrapy.http import Response

    import tjcrawl
    from tjcrawl.blocking import BlockedPageMiddleware
    from tjcrawl.items import ArticleItem
    from tjcrawl.middlewares import EncodingMiddleware, IncompletePageMiddleware
    from tjcrawl.pipelines.dedup import DeduplicatePipeline
    from tjcrawl.pipelines.normalise import NormalisePipeline
    from tjcrawl.pipelines.validate import ValidatePipeline
    from tjcrawl.profiles import parse_profile
    from tjcrawl.spiders import spider_class

    print(f"tjcrawl from {Path(tjcrawl.__file__).parent}")
    profile = parse_profile(next((args.root / "profiles").glob("*.toml")))
    spider = spider_class(profile)()
    crawler = _Crawler()
    crawler.spider = spider
    middlewares = [
        BlockedPageMiddleware(crawler),  # type: ignore[arg-type]
        IncompletePageMiddleware(crawler),  # type: ignore[arg-type]
        EncodingMiddleware(crawler),  # type: ignore[arg-type]
    ]
    site = args.root / "site"
    pages = [
        (f"{HOST}/{p.relative_to(site)}", p.read_bytes()) for p in sorted(site.rglob("*.html"))
    ]

    def one_pass(keep: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        pipelines = (
            ValidatePipeline(),
            NormalisePipeline({profile.slug: profile}),
            DeduplicatePipeline(),
        )
        for url, body in pages:
            listing = url.rsplit("/", 1)[1].startswith("index")
            request = Request(
                url,
                meta={"page_kind": "listing" if listing else "detail", "fetched_at": FETCHED_AT},
            )
            response: Any = Response(
                url, status=200, headers={"Content-Type": "text/html"}, body=body, request=request
            )
            for middleware in middlewares:
                response = middleware.process_response(request, response)
            if listing:
                results = spider.parse_listing(response, page=1, first_url=url)
            else:
                results = spider.parse_detail(
                    response, listing_url=None, listing_title="t", listing_date=None
                )
            for result in results:
                if isinstance(result, ArticleItem):
                    for pipeline in pipelines:
                        result = pipeline.process_item(result)
                    if keep:
                        out.append(dict(result))
                elif keep:
                    out.append(
                        {"request": result.url, "kwargs": result.cb_kwargs, "meta": result.meta}
                    )
        return out

    results = one_pass(keep=True)
    if args.out:
        text = json.dumps(results, ensure_ascii=False, sort_keys=True, indent=0, default=str)
        args.out.write_text(text, encoding="utf-8")
        print(f"{len(results)} items and requests written to {args.out}")
    for n in range(args.time):
        start = time.process_time()
        one_pass(keep=False)
        cpu = time.process_time() - start
        print(f"pass {n + 1}: {len(pages)} pages, {cpu / len(pages) * 1e3:.3f} ms of CPU a page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
