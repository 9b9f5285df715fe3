"""Serve fixture sites on 127.0.0.1 as an HTTP proxy, so crawls keep the sites' real URLs.

A crawler pointed at this server as its proxy asks for ``GET http://gov.tjcrawl.test/…``;
the server answers from ``fixtures/<slug>/site/…`` of the profile whose host that is.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tjcrawl.fixture_paths import UnsavableURL, find_fixture_file, fixture_relpath, served_suffix
from tjcrawl.profiles import Profile

# Old Chinese CMSes send no charset in Content-Type, which is what makes meta tags matter.
# Server-side script pages (ShowAnnounce.asp?…) answer HTML too.
CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".shtml": "text/html",
    ".asp": "text/html",
    ".aspx": "text/html",
    ".jsp": "text/html",
    ".php": "text/html",
    ".do": "text/html",
}


FIXTURES_DIR_ENV = "TJCRAWL_FIXTURES_DIR"
#: Beside a fixture site's ``site/`` folder: each saved page's response headers as its server
#: sent them ({url: {header: [values]}}, written by `source capture` and by benchmarks).
HEADERS_FILE = "headers.json"


def recorded_content_types(site: Path) -> dict[str, str]:
    """The Content-Type recorded for each page of ``site`` (keyed by its fixture file's path
    relative to ``site``, so an https page served over plain HTTP is found too); {} when the
    folder records none. A headers file that cannot be read is an error, not silence."""
    path = site.parent / HEADERS_FILE
    if not path.is_file():
        return {}
    try:
        recorded = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a headers file ({exc})") from None
    types: dict[str, str] = {}
    for url, headers in recorded.items() if isinstance(recorded, dict) else ():
        values = {k.lower(): v for k, v in (headers or {}).items()}.get("content-type")
        if not values:
            continue
        try:
            types[fixture_relpath(url).as_posix()] = (
                values[0] if isinstance(values, list) else values
            )
        except UnsavableURL:
            continue
    return types


def served_content_type(url: str, site: Path, target: Path, recorded: Mapping[str, str]) -> str:
    """The Content-Type ``target`` (a file of ``site``) is served with for ``url``: the one its
    server sent when the folder records it (a GBK page's ``text/html; charset=GBK``), else
    one from the URL's extension, with no charset, so that the page's meta tag decides."""
    key = target.relative_to(site).as_posix()
    if key in recorded:
        return recorded[key]
    suffix = served_suffix(url, target)
    return CONTENT_TYPES.get(suffix) or (
        mimetypes.guess_type("page" + suffix)[0] or "application/octet-stream"
    )


def default_fixtures_dir() -> Path:
    """$TJCRAWL_FIXTURES_DIR, else fixtures/ of the source checkout, else of the working folder."""
    if override := os.environ.get(FIXTURES_DIR_ENV):
        return Path(override)
    checkout = Path(__file__).resolve().parent.parent / "fixtures"
    return checkout if checkout.is_dir() else Path.cwd() / "fixtures"


Roots = Mapping[str, Path | Sequence[Path]]


def site_roots(profiles: Iterable[Profile], fixtures_dir: Path) -> dict[str, tuple[Path, ...]]:
    """Host name -> folders served for it, for every profile that has a fixture site.

    Several sources may crawl sections of one host (www.tj.gov.cn's columns and its JSON API):
    each keeps its own folder, and a request is answered from the first folder holding it.
    """
    roots: dict[str, tuple[Path, ...]] = {}
    for profile in profiles:
        site = fixtures_dir / profile.slug / "site"
        if site.is_dir():
            for host in profile.hosts:
                roots[host] = (*roots.get(host, ()), site)
    return roots


def _find_in(folders: tuple[Path, ...], path: str) -> tuple[Path, Path] | None:
    for folder in folders:
        if (target := find_fixture_file(folder, path)) is not None:
            return folder, target
    return None


class _Handler(BaseHTTPRequestHandler):
    server: FixtureServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _resolve(self) -> tuple[str, tuple[Path, Path] | None]:
        parts = urlsplit(self.path)
        host = (parts.hostname or self.headers.get("Host", "").split(":")[0]).lower()
        folders = self.server.roots.get(host)
        if folders is None:
            return host, None
        return host, _find_in(folders, self.path)

    def _answer(self, with_body: bool) -> None:
        if self.server.delay:
            time.sleep(self.server.delay)
        host, found = self._resolve()
        self.server.record(host, self.path)
        validators: dict[str, str] = {}
        if found is None:
            body = b"<html><body><h1>404 Not Found</h1></body></html>"
            status, content_type = 404, "text/html"
        else:
            site, target = found
            body = target.read_bytes()
            status = 200
            content_type = served_content_type(
                self.path, site, target, self.server.content_types[site]
            )
            validators = {
                "ETag": '"' + hashlib.sha1(body).hexdigest()[:16] + '"',
                "Last-Modified": formatdate(target.stat().st_mtime, usegmt=True),
            }
            # Like most servers: an ETag match wins; otherwise the date decides.
            if self.headers.get("If-None-Match") == validators["ETag"] or (
                "If-None-Match" not in self.headers
                and self.headers.get("If-Modified-Since") == validators["Last-Modified"]
            ):
                status, body = 304, b""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in validators.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, roots: Roots, port: int = 0, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.roots = {
            host: (folders,) if isinstance(folders, Path) else tuple(folders)
            for host, folders in roots.items()
        }
        self.delay = delay  # seconds per request: a deliberately slow site for crash tests
        # Read once, before serving: a bad headers file stops the server from starting.
        self.content_types = {
            folder: recorded_content_types(folder)
            for folders in self.roots.values()
            for folder in folders
        }
        self.requests: list[tuple[str, str]] = []
        self._log_lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        # A crawler that hangs up (a killed test crawl, a cancelled download) is not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def record(self, host: str, path: str) -> None:
        with self._log_lock:
            self.requests.append((host, path))

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def proxy_map(self) -> dict[str, str]:
        return {host: self.proxy_url for host in self.roots}


@contextmanager
def serving(roots: Roots, port: int = 0, delay: float = 0.0) -> Iterator[FixtureServer]:
    server = FixtureServer(roots, port, delay)
    thread = threading.Thread(target=server.serve_forever, name="fixture-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
