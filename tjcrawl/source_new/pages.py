"""Where the sample pages come from: a fetch (live, a fixture site, a saved file), each page
parsed once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from tjcrawl import clock
from tjcrawl.extract.infer_common import Doc
from tjcrawl.source_check import FetchError, Page, page_response

Fetch = Callable[[str], Page]


def load_doc(fetch: Fetch, url: str) -> Doc | None:
    try:
        page = fetch(url)
    except FetchError:
        return None
    if page.status != 200 or not page.body:
        return None
    response = page_response(page)
    return Doc(response.url, response.selector, page.fetched_at)


# -- where the pages come from --------------------------------------------------------------------
def fixture_source(slug: str, fixtures_dir: Path | None = None) -> tuple[str, Fetch]:
    """A saved fixture site: its first listing URL and a fetch that never leaves the disk.

    The URL is the profile's first start URL or, for a site captured before it had a profile,
    ``start_url`` in fixture.toml.
    """
    import tomllib

    from tjcrawl.fixture_server import FIXTURES_DIR_ENV
    from tjcrawl.fixtures import fixture_dir
    from tjcrawl.profiles import load_profiles
    from tjcrawl.source_check import FixtureFetcher

    folder = fixture_dir(slug, fixtures_dir)
    if not (folder / "site").is_dir():
        raise ValueError(
            f"{slug}: no fixture site at {folder / 'site'} (fixture folders are read from "
            f"${FIXTURES_DIR_ENV} when it is set, else from fixtures/ of the checkout)"
        )
    meta_path = folder / "fixture.toml"
    meta = tomllib.loads(meta_path.read_text("utf-8")) if meta_path.is_file() else {}
    profile = load_profiles().get(slug)
    start_url = meta.get("start_url") or (profile.start_urls[0] if profile else None)
    if not start_url:
        raise ValueError(f"{slug}: no profile and no start_url in {meta_path}")
    hosts = {urlsplit(start_url).hostname or ""} | set(profile.hosts if profile else ())
    headers_path = folder / "headers.json"
    if headers_path.is_file():
        hosts |= {urlsplit(u).hostname or "" for u in json.loads(headers_path.read_text("utf-8"))}
    fetched_at = (
        datetime.fromisoformat(meta["fetched_at"]) if meta.get("fetched_at") else clock.now()
    )
    return start_url, FixtureFetcher(folder / "site", hosts - {""}, fetched_at).fetch


def file_source(path: Path, base_url: str, fallback: Fetch | None = None) -> Fetch:
    """A listing saved as a file, read as if fetched from ``base_url``. Other pages come from
    the folder the file sits in when its path ends with the URL's path (a saved site), else
    from ``fallback`` (a polite live fetcher), else not at all."""
    from tjcrawl.fixture_server import CONTENT_TYPES
    from tjcrawl.source_check import FixtureFetcher

    body = path.read_bytes()
    now = clock.now()
    url_path = urlsplit(base_url).path.lstrip("/")
    resolved = path.resolve()
    root = None
    if url_path and not url_path.endswith("/") and resolved.as_posix().endswith("/" + url_path):
        root = Path(resolved.as_posix()[: -len(url_path) - 1])
    elif (
        (url_path.endswith("/") or not url_path)
        and resolved.name == "index.html"
        and resolved.parent.as_posix().endswith("/" + url_path.rstrip("/"))
    ):
        root = Path(resolved.parent.as_posix()[: -len(url_path.rstrip("/")) - 1] or "/")
    site = FixtureFetcher(root, {urlsplit(base_url).hostname or ""}, now) if root else None
    content_type = CONTENT_TYPES.get(path.suffix, "text/html")

    def fetch(url: str) -> Page:
        if url == base_url:
            return Page(url, url, 200, {"Content-Type": [content_type]}, body, now)
        if site is not None:
            return site.fetch(url)
        if fallback is not None:
            return fallback(url)
        raise FetchError(url, "offline", "only the saved listing page is available")

    return fetch
