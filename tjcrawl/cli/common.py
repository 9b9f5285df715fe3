"""What the commands share: the --db option, exit statuses, opening the archive, parsers."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
import sqlite_utils

from tjcrawl.profiles import Profile, ProfileError, ProfileSet, load_profile_set
from tjcrawl.storage.archive import ArchiveError, open_database
from tjcrawl.storage.lock import ArchiveLocked, LockUnavailable, RunLock
from tjcrawl.storage.readonly import ArchiveUnreadable, read_archive

DB_OPTION = click.option(
    "--db",
    "db_path",
    default="archive.db",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The SQLite archive.",
)
EXIT_CRAWL_PROBLEM = 3
EXIT_LOCKED = 4


def _profile_set() -> ProfileSet:
    try:
        return load_profile_set()
    except ProfileError as exc:  # a profile folder that does not exist
        raise click.ClickException(str(exc)) from None


def _profiles(named: tuple[str, ...] = ()) -> dict[str, Profile]:
    """The profiles that load. A broken one named here ends the command in its one-line
    error; any other broken one is a warning, so that it does not stop unrelated work."""
    loaded = _profile_set()
    for slug in named:
        if slug in loaded.broken:
            raise click.ClickException(str(loaded.broken[slug]))
    for error in loaded.broken.values():
        click.echo(f"Warning: {error} (source skipped)", err=True)
    return loaded.profiles


@contextmanager
def _archive(db_path: Path, must_exist: bool = True) -> Iterator[sqlite_utils.Database]:
    """The archive for a command that writes to it (created when must_exist is False)."""
    if must_exist and not db_path.exists():
        raise click.ClickException(
            f"{db_path}: no archive here; run `tjcrawl demo` or `tjcrawl crawl` first"
        )
    if must_exist and db_path.is_file() and db_path.stat().st_size == 0:
        raise click.ClickException(
            f"{db_path}: an empty file, not an archive; run `tjcrawl demo` or `tjcrawl crawl` first"
        )
    try:
        db = open_database(db_path)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with _damage_is_one_line(db_path):
            yield db
    finally:
        db.close()


@contextmanager
def _read(db_path: Path, allow_older: bool = False) -> Iterator[sqlite_utils.Database]:
    """The archive for a command that only reads it: opened read-only, left as it was."""
    try:
        with read_archive(db_path, allow_older=allow_older) as db, _damage_is_one_line(db_path):
            yield db
    except ArchiveUnreadable as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def _damage_is_one_line(db_path: Path) -> Iterator[None]:
    # A damaged file often opens fine and fails on the first page a query reaches.
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"{db_path}: cannot read the archive ({exc})") from None


def _output_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """An output file's folder must exist: refused before any work, not after it."""
    if value is None or str(value) == "-":
        return value
    folder = value.absolute().parent
    if not folder.is_dir():
        raise click.BadParameter(f"{value}: the folder {folder} does not exist")
    if value.is_dir():
        raise click.BadParameter(f"{value}: is a folder, not a file")
    if not os.access(folder, os.W_OK):
        raise click.BadParameter(f"{value}: the folder {folder} is not writable")
    return value


def _lock_archive(db_path: Path) -> RunLock:
    """The archive's run lock; exit 4 when another run holds it, 1 when it cannot be made."""
    try:
        return RunLock.acquire(db_path)
    except ArchiveLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    except LockUnavailable as exc:
        raise click.ClickException(str(exc)) from None


def _iso_day(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2025-08-22") from None


def _proxy_pairs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict:
    pairs = {}
    for value in values:
        host, sep, url = value.partition("=")
        if not sep or not host or not url.startswith(("http://", "https://")):
            raise click.BadParameter(f"{value!r} is not HOST=http://PROXY:PORT")
        pairs[host.lower()] = url
    return pairs


PROXY_OPTION = click.option(
    "--proxy",
    "proxies",
    multiple=True,
    callback=_proxy_pairs,
    metavar="HOST=URL",
    help="Fetch HOST through this HTTP proxy (a local mirror, a test server); repeatable.",
)
TIMEOUT_OPTION = click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="Seconds to wait for each live page.",
)
