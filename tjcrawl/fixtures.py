"""Fixture sites without a server: a fixture file as the response its real URL would give.

Golden items come from walking a profile's fixture site this way, with the clock frozen at the
fixture's `fetched_at`, through the same spider callbacks and pipelines as a real crawl.
"""

from __future__ import annotations

import json
import tomllib
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Response, TextResponse

from tjcrawl.fixture_paths import find_fixture_file
from tjcrawl.fixture_server import (
    default_fixtures_dir,
    recorded_content_types,
    served_content_type,
)
from tjcrawl.middlewares import apply_encoding
from tjcrawl.pipelines import DeduplicatePipeline, NormalisePipeline, ValidatePipeline
from tjcrawl.profiles import Profile, load_profiles

GOLDEN_FIELDS = (
    "url",
    "title",
    "published_at",
    "date_source",
    "date_precision",
    "date_conflict",
    "origin",
    "author",
    "body",
)


def fixture_dir(slug: str, fixtures_dir: Path | None = None) -> Path:
    return (fixtures_dir or default_fixtures_dir()) / slug


def fixture_fetched_at(slug: str, fixtures_dir: Path | None = None) -> datetime:
    meta = tomllib.loads((fixture_dir(slug, fixtures_dir) / "fixture.toml").read_text("utf-8"))
    return datetime.fromisoformat(meta["fetched_at"])


def fixture_date_bases(
    profiles: Iterable[Profile], fixtures_dir: Path | None = None
) -> dict[str, datetime]:
    """Each fixture site's capture time, which its relative dates (昨天, 3天前) mean: a frozen
    site served or re-extracted today still means the day before its capture by 昨天.

    Raises ValueError naming the fixture.toml whose fetched_at cannot be read."""
    bases = {}
    for profile in profiles:
        meta = fixture_dir(profile.slug, fixtures_dir) / "fixture.toml"
        if not (profile.fixture and meta.is_file()):
            continue
        try:
            bases[profile.slug] = fixture_fetched_at(profile.slug, fixtures_dir)
        except (KeyError, ValueError, OSError, tomllib.TOMLDecodeError) as exc:
            why = f"{type(exc).__name__}: {exc}"
            raise ValueError(f"{meta}: no usable fetched_at ({why})") from None
    return bases


def fixture_path(profile: Profile, url: str, fixtures_dir: Path | None = None) -> Path | None:
    parts = urlsplit(url)
    if parts.hostname not in profile.hosts:
        return None
    return find_fixture_file(fixture_dir(profile.slug, fixtures_dir) / "site", url)


def fixture_response(
    profile: Profile,
    url: str,
    *,
    request: Request | None = None,
    fetched_at: datetime | None = None,
    fixtures_dir: Path | None = None,
) -> Response | None:
    """The response a crawl would get for ``url``, decoded as the middleware would decode it."""
    path = fixture_path(profile, url, fixtures_dir)
    if path is None:
        return None
    request = request or Request(url)
    request.meta["fetched_at"] = (
        fetched_at or fixture_fetched_at(profile.slug, fixtures_dir)
    ).isoformat()
    site = fixture_dir(profile.slug, fixtures_dir) / "site"
    content_type = served_content_type(url, site, path, recorded_content_types(site))
    response = HtmlResponse(
        url=url,
        body=path.read_bytes(),
        headers={"Content-Type": content_type},
        request=request,
    )
    return (
        apply_encoding(request, response, profile)
        if isinstance(response, TextResponse)
        else response
    )


def offline_crawl(
    profile: Profile, fixtures_dir: Path | None = None, max_requests: int = 2000
) -> tuple[list[dict[str, Any]], list[str]]:
    """Items (normalised, as archived) and drop reasons from a profile's fixture site."""
    from tjcrawl.spiders import spider_class

    spider = spider_class(profile)()
    fetched_at = fixture_fetched_at(profile.slug, fixtures_dir)
    validate, dedup = ValidatePipeline(), DeduplicatePipeline()
    normalise = NormalisePipeline({profile.slug: profile})
    queue: deque[Request] = deque(spider.initial_requests())
    seen = {r.url for r in queue}
    items: list[dict[str, Any]] = []
    dropped: list[str] = []
    for _ in range(max_requests):
        if not queue:
            break
        request = queue.popleft()
        response = fixture_response(
            profile, request.url, request=request, fetched_at=fetched_at, fixtures_dir=fixtures_dir
        )
        if response is None or request.callback is None:
            continue
        for result in request.callback(response, **request.cb_kwargs) or ():
            if isinstance(result, Request):
                host = urlsplit(result.url).hostname or ""
                allowed = any(host == d or host.endswith("." + d) for d in profile.allowed_domains)
                if allowed and result.url not in seen:
                    seen.add(result.url)
                    queue.append(result)
                continue
            try:
                for stage in (validate, normalise, dedup):
                    result = stage.process_item(result)
            except DropItem as exc:
                dropped.append(str(exc))
                continue
            items.append(dict(result))
    return items, dropped


#: What a golden item says of each of its 招商引资 facts (tjcrawl.extract.facts).
GOLDEN_FACT_FIELDS = ("kind", "value", "role", "surface")


def golden_facts(title: str, body: str) -> list[dict[str, Any]]:
    """The article's facts as its golden item lists them, in reading order."""
    from tjcrawl.extract.facts import extract_facts

    return [
        {name: getattr(fact, name) for name in GOLDEN_FACT_FIELDS}
        for fact in extract_facts(title or "", body or "")
    ]


def golden_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [
        {
            **{name: item.get(name) for name in GOLDEN_FIELDS},
            "facts": golden_facts(item.get("title") or "", item.get("body") or ""),
        }
        for item in items
    ]
    return sorted(rows, key=lambda row: row["url"])


def fact_differences(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> list[str]:
    """Golden facts against the finder's, fact by fact: what is missing, what is new."""

    def shown(fact: dict[str, Any]) -> str:
        role = f" ({fact.get('role')})" if fact.get("role") else ""
        return f"{fact.get('kind')} {fact.get('value')}{role} from {fact.get('surface')!r}"

    def key(fact: dict[str, Any]) -> tuple:
        return tuple(str(fact.get(name)) for name in GOLDEN_FACT_FIELDS)

    missing = list(expected)
    new = []
    for fact in actual:
        match = next((f for f in missing if key(f) == key(fact)), None)
        if match is None:
            new.append(fact)
        else:
            missing.remove(match)
    problems = [f"fact expected but not found: {shown(f)}" for f in missing]
    problems += [f"fact found but not expected: {shown(f)}" for f in new]
    if not problems and [key(f) for f in expected] != [key(f) for f in actual]:
        problems.append("facts found in another order")
    return problems


def golden_path(slug: str, fixtures_dir: Path | None = None) -> Path:
    return fixture_dir(slug, fixtures_dir) / "expected.json"


def read_goldens(slug: str, fixtures_dir: Path | None = None) -> list[dict[str, Any]]:
    return json.loads(golden_path(slug, fixtures_dir).read_text(encoding="utf-8"))


def write_goldens(profile: Profile, fixtures_dir: Path | None = None) -> tuple[int, list[str]]:
    items, dropped = offline_crawl(profile, fixtures_dir)
    text = json.dumps(golden_items(items), ensure_ascii=False, indent=2) + "\n"
    golden_path(profile.slug, fixtures_dir).write_text(text, encoding="utf-8")
    return len(items), dropped


def profiles_with_fixtures(fixtures_dir: Path | None = None) -> list[Profile]:
    return [
        p for p in load_profiles().values() if (fixture_dir(p.slug, fixtures_dir) / "site").is_dir()
    ]
