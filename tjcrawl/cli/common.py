"""What the commands share: the --db option, exit statuses, opening the archive, parsers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
import sqlite_utils

from tjcrawl.profiles import Profile, ProfileError, load_profiles
from tjcrawl.storage.archive import ArchiveError, open_database

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


def _profiles() -> dict[str, Profile]:
    try:
        return load_profiles()
    except ProfileError as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def _archive(db_path: Path, must_exist: bool = True) -> Iterator[sqlite_utils.Database]:
    if must_exist and not db_path.exists():
        raise click.ClickException(
            f"{db_path}: no archive here; run `tjcrawl demo` or `tjcrawl crawl` first"
        )
    try:
        db = open_database(db_path)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield db
    finally:
        db.close()


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
