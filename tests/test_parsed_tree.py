"""A page's parsed tree is freed when the spider's callback is done with it, by reference
counting alone: no page waits for the garbage collector (tjcrawl.spiders.parsed_tree)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
import scrapy

from tjcrawl.fixtures import fixture_response
from tjcrawl.items import ArticleItem
from tjcrawl.profiles import load_profiles
from tjcrawl.spiders import spider_class

SLUG = "demo_trs"


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _run(request: scrapy.Request, profile: Any) -> tuple[list[Any], weakref.ref[Any]]:
    """The callback's output for the fixture page, and a weak reference to the page's
    selector (the tree), taken before the callback parses with it."""
    response = fixture_response(profile, request.url, request=request)
    assert response is not None
    tree = weakref.ref(response.selector)
    assert request.callback is not None
    outputs = list(request.callback(response, **request.cb_kwargs))
    return outputs, tree


def test_listing_and_detail_pages_free_their_trees_without_the_collector(
    collector_off: None,
) -> None:
    profile = load_profiles()[SLUG]
    spider = spider_class(profile)()
    [listing] = list(spider.initial_requests())

    outputs, listing_tree = _run(listing, profile)

    details = [o for o in outputs if isinstance(o, scrapy.Request) and o.meta.get("page_kind")]
    details = [d for d in details if d.meta["page_kind"] == "detail"]
    assert details, "the listing page gave no detail requests"
    assert listing_tree() is None, "the listing page's tree outlived its response"

    outputs, detail_tree = _run(details[0], profile)

    assert any(isinstance(o, ArticleItem) and o.get("title") for o in outputs)
    assert detail_tree() is None, "the detail page's tree outlived its response"


def test_a_callback_that_fails_still_frees_its_tree(
    collector_off: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = load_profiles()[SLUG]
    spider = spider_class(profile)()
    [listing] = list(spider.initial_requests())
    outputs, _ = _run(listing, profile)
    detail = next(
        o for o in outputs if isinstance(o, scrapy.Request) and o.meta.get("page_kind") == "detail"
    )

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("a selector that fails at run time")

    monkeypatch.setattr("tjcrawl.spiders.detail.field_text", broken)
    response = fixture_response(profile, detail.url, request=detail)
    assert response is not None
    tree = weakref.ref(response.selector)
    with pytest.raises(RuntimeError, match="fails at run time"):
        list(spider.parse_detail(response, **detail.cb_kwargs))
    del response

    assert tree() is None
