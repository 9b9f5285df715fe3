"""Where a URL's page lives in a fixture site, for the savers and the servers alike.

A fixture site (``fixtures/<slug>/site/``) mirrors URL paths; this module is the one mapping
from a URL to its file, used by whoever writes a site (``failures --save-fixtures``,
``source capture``) and whoever reads one (the fixture server, the offline crawl of the
goldens, ``source check``), so that every saved page is served back at its URL:

* each path segment is percent-decoded into a folder or file name; the characters a file name
  cannot hold (or that a Windows checkout cannot) and ``%`` itself are percent-encoded again,
  so ``/附件/a%2Fb.html`` is ``附件/a%2Fb.html``;
* a path ending in ``/`` is that folder's ``index.html``;
* a query string is kept in the file name after ``%3F`` (an encoded ``?``), as the URL has it
  but for those same characters: ``ShowAnnounce.asp?boardID=2&RootID=65`` is the file
  ``ShowAnnounce.asp%3FboardID=2&RootID=65`` and ``list/?page=2`` is
  ``list/index.html%3Fpage=2``; the fragment is dropped;
* a name longer than 255 bytes (the limit of common file systems) is cut at a character
  boundary and ends in ``~`` + 16 hex digits of the SHA-256 of the full name + the URL's file
  extension, so it stays unique, stable and typed;
* a URL that is a file where another URL needs a folder of the same name (``/x`` beside
  ``/x/`` or ``/x/y``) is stored inside that folder as ``x/%self``, a name no URL segment can
  map to (a ``%`` of a URL is stored as ``%25``). A request for ``/x`` is answered from
  ``x/%self``, else ``x/index.html``;
* a dot segment (``.``, ``..``, also as ``%2e%2e``) or a NUL byte in the path cannot be saved:
  the savers skip such a URL and say so, and the servers answer 404.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import unquote_to_bytes, urlsplit

#: The longest file or folder name written, in bytes (ext4, APFS, NTFS: 255).
MAX_NAME_BYTES = 255
#: The name, inside folder ``x``, of the page of URL ``…/x`` (no URL segment maps to it).
SELF_NAME = "%self"
#: Stands for the ``?`` before a query string in a file name.
QUERY_MARK = "%3F"
INDEX_NAME = "index.html"
_DIGEST_CHARS = 16
_LONGEST_KEPT_SUFFIX = 16
# Not in a file name on Linux (/ NUL), macOS or Windows (\ : * ? " < > |), and no controls.
_UNSAFE = frozenset('/\\:*?"<>|') | {chr(c) for c in range(32)} | {"\x7f"}


class UnsavableURL(ValueError):
    """A URL that no fixture file can stand for; the message names the URL and why."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(f"{url}: {why}")
        self.url, self.why = url, why


def _escape(text: str, also: frozenset[str] = frozenset()) -> str:
    out = []
    for char in text:
        if char in _UNSAFE or char in also:
            out.append(f"%{ord(char):02X}")
        elif "\udc80" <= char <= "\udcff":  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"%{ord(char) - 0xDC00:02X}")
        else:
            out.append(char)
    return "".join(out)


def _segment_name(url: str, segment: str) -> str:
    raw = unquote_to_bytes(segment)
    if b"\0" in raw:
        raise UnsavableURL(url, "a NUL byte in the path")
    text = raw.decode("utf-8", "surrogateescape")
    if text in (".", ".."):
        raise UnsavableURL(url, f"a {text!r} segment in the path (it would leave its folder)")
    return _escape(text, also=frozenset("%"))


def _suffix(name: str) -> str:
    suffix = PurePosixPath(name).suffix
    return suffix if len(suffix.encode()) <= _LONGEST_KEPT_SUFFIX else ""


def shorten(name: str, suffix: str = "") -> str:
    """``name`` if it fits in MAX_NAME_BYTES, else its head, ``~``, a digest and ``suffix``."""
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) <= MAX_NAME_BYTES:
        return name
    digest = hashlib.sha256(encoded).hexdigest()[:_DIGEST_CHARS]
    tail = f"~{digest}{suffix}"
    budget = MAX_NAME_BYTES - len(tail.encode())
    head = encoded[:budget].decode("utf-8", "ignore")  # never half a character
    return head + tail


def fixture_relpath(url: str) -> PurePosixPath:
    """The file of ``url`` relative to its site's folder; UnsavableURL if there can be none."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    if segments[0] == "":
        segments = segments[1:]
    *folders, leaf = segments or [""]
    # Empty segments (a//b) collapse, as they always have in fixture folders.
    names = [_segment_name(url, s) for s in folders if s]
    leaf_name = _segment_name(url, leaf) if leaf else INDEX_NAME
    suffix = _suffix(leaf_name)
    if parts.query:
        leaf_name += QUERY_MARK + _escape(parts.query)
    names = [shorten(n) for n in names] + [shorten(leaf_name, suffix)]
    return PurePosixPath(*names)


def served_suffix(url: str, file: Path) -> str:
    """The extension that types ``file`` served for ``url`` (the URL's, not the encoded name's)."""
    if file.name == INDEX_NAME:
        return file.suffix
    leaf = urlsplit(url).path.rsplit("/", 1)[-1]
    return _suffix(unquote_to_bytes(leaf).decode("utf-8", "replace")) if leaf else ".html"


def find_fixture_file(site: Path, url: str) -> Path | None:
    """The saved file that answers ``url`` in the fixture site ``site``, if there is one."""
    try:
        target = site / fixture_relpath(url)
    except UnsavableURL:
        return None
    if target.is_dir():
        target = next(
            (target / n for n in (SELF_NAME, INDEX_NAME) if (target / n).is_file()), target
        )
    # A symbolic link inside a hand-made site must not lead out of it either.
    if not target.is_file() or not target.resolve().is_relative_to(site.resolve()):
        return None
    return target


class SiteWriter:
    """Writes pages into a (staging) fixture folder, one URL at a time, as the readers find them.

    ``add`` raises UnsavableURL for a URL that cannot be saved (the caller skips and reports
    it) and never leaves the folder half-written for the URLs already added.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._owner: dict[PurePosixPath, str] = {}  # canonical path -> the URL saved there

    def add(self, url: str, body: bytes) -> Path:
        relative = fixture_relpath(url)
        if self._owner.get(relative, url) != url:
            raise UnsavableURL(url, f"same fixture file as {self._owner[relative]}")
        try:
            folder = self.root
            for name in relative.parts[:-1]:
                folder = folder / name
                if folder.is_file():  # a page saved for …/x: it moves to x/%self
                    moved = folder.with_name(folder.name + ".~moving")
                    folder.rename(moved)
                    folder.mkdir()
                    moved.rename(folder / SELF_NAME)
                folder.mkdir(exist_ok=True)
            target = folder / relative.name
            if target.is_dir():
                target = target / SELF_NAME
            target.write_bytes(body)
        except OSError as exc:
            raise UnsavableURL(url, f"cannot be written ({exc.strerror or exc})") from exc
        self._owner[relative] = url
        return target

    def path_of(self, url: str) -> Path | None:
        """Where ``url``'s page is now (a page may have moved into a folder since ``add``)."""
        return find_fixture_file(self.root, url)


def _clear_stale_staging(parent: Path, site_name: str) -> None:
    # Left by a save that was killed; ".capture-site" by the savers before this module.
    for stale in [*parent.glob(f".{site_name}.staging-*"), parent / ".capture-site"]:
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def staged_site(site: Path, *, keep: bool = False) -> Iterator[SiteWriter]:
    """A SiteWriter on a staging folder that becomes ``site`` when the block ends normally.

    With ``keep`` the staging folder starts as a copy of the old site. If the block raises, the
    staging folder is removed and the old site is left as it was: a site is whole, old or new.
    """
    parent = site.parent
    parent.mkdir(parents=True, exist_ok=True)
    _clear_stale_staging(parent, site.name)
    staging = Path(tempfile.mkdtemp(prefix=f".{site.name}.staging-", dir=parent))
    retired = staging.with_name(staging.name + "-old")
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would become the site's
        if keep and site.is_dir():
            shutil.copytree(site, staging, dirs_exist_ok=True)
        yield SiteWriter(staging)
        if site.exists():
            site.rename(retired)
        try:
            staging.rename(site)
        except OSError:
            if retired.exists():
                retired.rename(site)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)
