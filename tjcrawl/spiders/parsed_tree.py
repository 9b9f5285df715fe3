"""A page's parsed tree freed as soon as its callback is done with it.

Scrapy caches a response's selector on the response, and the selector refers back to the
response: every page's tree (and its body) is a reference cycle that only the garbage
collector frees. By then the page has usually been promoted to an older generation, so the
trees pile up there and each middle and full collection walks them all: 1.2–2.1 s of a
5,250-page bench crawl went to the collector, against 0.4–0.5 s with the cycle broken when
the callback ends (docs/benchmarks.md, "crawl_throughput").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from scrapy.http import Response, TextResponse

Callback = Callable[..., Iterator[Any]]


def release_parsed_tree(response: Response) -> None:
    """Drops the response's cached selector: the tree goes when the response goes. Anything
    that asks for `response.selector` later gets it parsed afresh."""
    if isinstance(response, TextResponse):
        response._cached_selector = None


def releases_parsed_tree(callback: Callback) -> Callback:
    """A spider callback that releases its response's tree when its output has been taken
    (or abandoned: an exception, a closed generator)."""

    @functools.wraps(callback)
    def wrapper(self: Any, response: Response, *args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            yield from callback(self, response, *args, **kwargs)
        finally:
            release_parsed_tree(response)

    return wrapper
