"""`tjcrawl source capture`: save a few live pages of a source as its fixture site.

The pages are the ones a live check reads (the first listing pages and a few detail pages
spread over them), fetched politely by tjcrawl.source_check.LiveFetcher. Each is saved as the
raw bytes the server sent (after content-coding) under ``fixtures/<slug>/site/<URL path>``
(query strings, long names and the like as tjcrawl.fixture_paths maps them; a URL that no file
can stand for is skipped and named in the summary), with its response headers in
``fixtures/<slug>/headers.json`` ({url: {header: [values]}}).
For a source with a profile the golden items are regenerated from the new fixture site and
the difference from the old goldens is returned for review; for a site without a profile yet
(``capture URL --as SLUG``) the listing's next page and detail links come from
tjcrawl.source_new's inference, so that ``source new --from-fixtures SLUG`` can work offline.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from tjcrawl import clock
from tjcrawl.fixture_paths import UnsavableURL, staged_site
from tjcrawl.fixture_server import default_fixtures_dir
from tjcrawl.profiles import Profile
from tjcrawl.source_check import (
    DROPPED_HEADERS,
    LIVE_DETAIL_PAGES,
    LIVE_LISTING_PAGES,
    FetchError,
    LiveFetcher,
    Page,
    walk,
)

ALLOW_ALL = "User-agent: *\nAllow: /\n"


@dataclass
class CaptureResult:
    slug: str
    folder: Path
    saved: list[tuple[str, Path]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "URL: why", not saved
    items: int | None = None
    dropped: list[str] = field(default_factory=list)
    diff: str = ""
    goldens_changed: bool = False

    def summary(self) -> str:
        lines = [f"{self.slug}: {len(self.saved)} pages saved under {self.folder / 'site'}"]
        lines += [f"  {url}" for url, _ in self.saved]
        lines += [f"skipped {s}" for s in self.skipped]
        lines += [f"warning: {w}" for w in self.warnings]
        if self.items is not None:
            state = "changed" if self.goldens_changed else "unchanged"
            lines.append(f"{self.slug}: {self.items} golden items ({state})")
            lines += [f"  dropped: {d}" for d in self.dropped]
        return "\n".join(lines)


def _recording(fetch: Callable[[str], Page], pages: list[Page]) -> Callable[[str], Page]:
    def recorded(url: str) -> Page:
        page = fetch(url)
        pages.append(page)
        return page

    return recorded


def _fixture_meta(folder: Path) -> dict:
    path = folder / "fixture.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        return {}


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def write_fixture_toml(folder: Path, meta: dict) -> None:
    """fixture.toml: the keys this module writes first, whatever else the file held after."""
    first = ("fetched_at", "articles", "description", "start_url")
    keys = [k for k in first if meta.get(k) is not None] + [k for k in meta if k not in first]
    text = "".join(f"{key} = {_toml_value(meta[key])}\n" for key in keys)
    (folder / "fixture.toml").write_text(text, encoding="utf-8")


def fetch_pages(
    slug: str,
    fetcher: LiveFetcher,
    *,
    profile: Profile | None,
    start_url: str | None,
    listing_pages: int,
    detail_pages: int,
) -> tuple[list[Page], list[str], int]:
    """The pages to save, fetched politely, the problems met and how many are articles."""
    pages: list[Page] = []
    fetch = _recording(fetcher.fetch, pages)
    if profile is not None:
        walked = replace(profile, start_urls=(start_url,)) if start_url else profile
        result = walk(walked, fetch, max_listing_pages=listing_pages, max_detail_pages=detail_pages)
        return pages, list(result.errors), len(result.details)
    if not start_url:
        raise ValueError(f"{slug}: no profile; give the listing URL (capture URL --as {slug})")
    from tjcrawl.source_new import propose

    try:
        proposal = propose(start_url, fetch, slug=slug, detail_pages=detail_pages, trial=False)
    except (ValueError, FetchError) as exc:
        return pages, [f"inference stopped: {exc}"], 0
    return pages, [], len(proposal.sample_urls) if proposal.mode == "links" else 0


def capture(
    slug: str,
    fetcher: LiveFetcher,
    *,
    profile: Profile | None = None,
    start_url: str | None = None,
    fixtures_dir: Path | None = None,
    listing_pages: int = LIVE_LISTING_PAGES,
    detail_pages: int = LIVE_DETAIL_PAGES,
    keep: bool = False,
) -> CaptureResult:
    """Fetch and save the pages; regenerate the goldens when there is a profile.

    The old fixture site is replaced (a consistent snapshot) unless ``keep`` is set, in which
    case the new pages are added to it and overwrite pages at the same paths.
    """
    fixtures_dir = fixtures_dir or default_fixtures_dir()
    folder = fixtures_dir / slug
    result = CaptureResult(slug, folder)
    fetched_at = clock.now()
    pages, problems, articles = fetch_pages(
        slug,
        fetcher,
        profile=profile,
        start_url=start_url,
        listing_pages=listing_pages,
        detail_pages=detail_pages,
    )
    result.warnings += problems
    good = [p for p in pages if p.status == 200]
    if not good:
        raise ValueError(f"{slug}: nothing could be fetched ({'; '.join(problems) or 'no pages'})")

    headers_path = folder / "headers.json"
    headers: dict[str, dict[str, list[str]]] = {}
    if keep and headers_path.is_file():
        headers = json.loads(headers_path.read_text(encoding="utf-8"))
    first = start_url or (profile.start_urls[0] if profile else "")
    origin = f"{urlsplit(first).scheme}://{urlsplit(first).netloc}"
    robots = fetcher.robots_pages.get(origin)
    saved_urls: list[str] = []
    with staged_site(folder / "site", keep=keep) as writer:
        for page in good:
            for url in dict.fromkeys((page.url, page.final_url)):
                try:
                    writer.add(url, page.body)
                except UnsavableURL as exc:
                    result.skipped.append(str(exc))
                    continue
                saved_urls.append(url)
                headers[url] = {
                    k: v for k, v in page.headers.items() if k.lower() not in DROPPED_HEADERS
                }
        robots_body = robots.body if robots is not None else ALLOW_ALL.encode()
        (writer.root / "robots.txt").write_bytes(robots_body)
        # Where each page is once all are written (a page may have moved into a folder).
        result.saved = [
            (url, folder / "site" / path.relative_to(writer.root))
            for url in dict.fromkeys(saved_urls)
            if (path := writer.path_of(url)) is not None
        ]
    headers_path.write_text(
        json.dumps(dict(sorted(headers.items())), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    meta = _fixture_meta(folder)
    meta["fetched_at"] = fetched_at.isoformat(timespec="seconds")
    meta.setdefault(
        "description",
        f"Captured from the live site by `tjcrawl source capture` ({first})",
    )
    if start_url and (profile is None or start_url not in profile.start_urls):
        meta["start_url"] = start_url
    meta["articles"] = articles
    write_fixture_toml(folder, meta)
    readme = folder / "README.md"
    if not readme.exists():
        readme.write_text(
            f"# {slug}\n\nPages of {first} saved by `tjcrawl source capture` on "
            f"{fetched_at.date().isoformat()}: raw bytes under `site/`, response headers in "
            "`headers.json`. Regenerate the goldens with `tjcrawl goldens` after a profile "
            "change and review the diff.\n",
            encoding="utf-8",
        )

    if profile is not None:
        from tjcrawl.fixtures import golden_path, write_goldens

        path = golden_path(slug, fixtures_dir)
        before = path.read_text(encoding="utf-8") if path.is_file() else ""
        count, dropped = write_goldens(profile, fixtures_dir)
        after = path.read_text(encoding="utf-8")
        result.items, result.dropped = count, dropped
        result.goldens_changed = before != after
        result.diff = "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                f"{slug}/expected.json (before)",
                f"{slug}/expected.json (after)",
            )
        )
        meta["articles"] = count
        write_fixture_toml(folder, meta)
    return result
