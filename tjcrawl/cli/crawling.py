"""`tjcrawl crawl` and `tjcrawl demo`: choosing sources, running Scrapy, reporting."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from tjcrawl.cli.archive_commands import _stats_text
from tjcrawl.cli.common import (
    DB_OPTION,
    EXIT_CRAWL_PROBLEM,
    _archive,
    _lock_archive,
    _output_file,
    _profile_set,
    _profiles,
    _proxy_pairs,
    _read,
)
from tjcrawl.local_config import ConfigError, LocalConfig, load_config
from tjcrawl.profiles import Profile


def _pick(
    slugs: tuple[str, ...],
    serve_fixtures: bool,
    proxies: dict[str, str] | None = None,
) -> list[Profile]:
    """The named sources; with none named, every enabled web source (or, with
    --serve-fixtures, every fixture source). A web source nobody has checked is crawled too:
    its first crawl is its live check (tjcrawl.verification). Sources are disabled in the local
    config (tjcrawl.local_config), never in the profiles."""
    profiles = _profiles(slugs)
    unknown = [s for s in slugs if s not in profiles]
    if unknown:
        raise click.BadParameter(
            f"unknown source {', '.join(unknown)} (see `tjcrawl sources`)", param_hint="SOURCE"
        )
    if slugs:
        chosen = [profiles[s] for s in slugs]
    else:
        chosen = [p for p in profiles.values() if p.fixture == serve_fixtures]
        config = _local_config()
        if not serve_fixtures and config.disabled:
            if stray := sorted(set(config.disabled) - set(profiles)):
                click.echo(
                    f"Warning: {config.path}: disabled names no source {', '.join(stray)}"
                    " (ignored)",
                    err=True,
                )
            chosen = [p for p in chosen if p.slug not in config.disabled]
            if not chosen:
                raise click.UsageError(
                    f"no source to crawl: {config.path} disables every web source"
                )
    if not serve_fixtures:
        # A fixture site is reachable only when served here or through a given proxy.
        fixtures = [p.slug for p in chosen if p.fixture and not set(p.hosts) <= set(proxies or {})]
        if fixtures:
            raise click.UsageError(
                f"{', '.join(fixtures)}: fixture site(s), not on the web; add --serve-fixtures"
            )
    if not chosen:
        raise click.UsageError("no sources to crawl; name one (see `tjcrawl sources`)")
    return chosen


def _local_config() -> LocalConfig:
    try:
        return load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@dataclass
class CrawlRequest:
    profiles: list[Profile]
    db_path: Path
    serve_fixtures: bool = False
    proxies: dict[str, str] = field(default_factory=dict)
    full: bool = False
    log_level: str = "INFO"
    log_file: Path | None = None
    attachments: bool = True
    ocr: bool = False


def _settings_from_env() -> dict[str, Any]:
    """Extra Scrapy settings as JSON in TJCRAWL_SETTINGS (used by tests and deployments)."""
    raw = os.environ.get("TJCRAWL_SETTINGS")
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise click.ClickException(f"TJCRAWL_SETTINGS is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise click.ClickException("TJCRAWL_SETTINGS must be a JSON object")
    _check_setting_types(value)
    return value


# Numeric settings read by the pipelines that have no default in tjcrawl.settings.
PIPELINE_SETTING_TYPES: dict[str, type] = {
    "TJCRAWL_INCREMENTAL_OVERLAP": int,
    "TJCRAWL_REVISIT_FIRST_DAYS": int,
    "TJCRAWL_REVISIT_MAX_INTERVAL_DAYS": int,
    "TJCRAWL_REVISIT_WINDOW_DAYS": int,
}


def _check_setting_types(overrides: dict[str, Any]) -> None:
    """A number or flag given as something else fails here in one line, not as a traceback in
    the crawl log of a crawl that then fetches nothing."""
    from scrapy.settings import Settings, default_settings

    from tjcrawl import settings as defaults

    probe = Settings()
    for key, value in overrides.items():
        default = getattr(defaults, key, getattr(default_settings, key, None))
        kind = PIPELINE_SETTING_TYPES.get(key, type(default))
        getter = {bool: probe.getbool, int: probe.getint, float: probe.getfloat}.get(kind)
        if getter is None:
            continue
        probe.set(key, value)
        try:
            getter(key)
        except (TypeError, ValueError):
            raise click.ClickException(
                f"TJCRAWL_SETTINGS: {key} must be {kind.__name__}, not {value!r}"
            ) from None


def _fixture_date_bases(profiles: list[Profile], fixtures_dir: Path) -> dict[str, str]:
    """Each served fixture's capture time, which its relative dates (昨天, 3天前) mean."""
    from tjcrawl.fixtures import fixture_date_bases

    try:
        bases = fixture_date_bases(profiles, fixtures_dir)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    return {slug: at.isoformat() for slug, at in bases.items()}


def _crawl(request: CrawlRequest) -> list[Any]:
    from tjcrawl.fixture_server import default_fixtures_dir, serving, site_roots
    from tjcrawl.pipelines.normalise import DATE_BASES_SETTING
    from tjcrawl.runner import build_settings, run_crawl

    _settings_from_env()  # a bad setting is refused before the archive is touched
    with _archive(request.db_path, must_exist=False):
        pass  # fail early, in one line, on a path that is not an archive
    lock = _lock_archive(request.db_path)
    try:
        overrides: dict[str, Any] = {
            "TJCRAWL_MODE": "full" if request.full else "incremental",
            "TJCRAWL_ATTACHMENTS": request.attachments,
            "TJCRAWL_OCR": request.ocr,
        }
        if request.log_file:
            overrides["LOG_FILE"] = str(request.log_file)
        overrides.update(_settings_from_env())
        proxies = dict(request.proxies)
        if not request.serve_fixtures:
            # A proxy on this machine may well forward to the real site: the polite defaults.
            settings = build_settings(
                str(request.db_path),
                proxy_map=proxies,
                log_level=request.log_level,
                overrides=overrides,
            )
            return run_crawl(request.profiles, settings)
        fixtures_dir = default_fixtures_dir()
        roots = site_roots(request.profiles, fixtures_dir)
        missing = [p.slug for p in request.profiles if not set(p.hosts) & set(roots)]
        if missing:
            raise click.ClickException(f"no fixture site for {', '.join(missing)} under fixtures/")
        overrides.setdefault(
            DATE_BASES_SETTING, _fixture_date_bases(request.profiles, fixtures_dir)
        )
        with serving(roots) as server:
            proxy_map = {**server.proxy_map(), **proxies}
            # No delays only when every host of these sources is served here, by us.
            ours = all(
                proxy_map.get(h) == server.proxy_url for p in request.profiles for h in p.hosts
            )
            settings = build_settings(
                str(request.db_path),
                proxy_map=proxy_map,
                loopback_fast=ours,
                log_level=request.log_level,
                overrides=overrides,
            )
            return run_crawl(request.profiles, settings)
    finally:
        lock.release()


def _report(reports: list[Any], web: frozenset[str] = frozenset()) -> int:
    for report in reports:
        click.echo(report.summary())
    for report in reports:
        # A web source's first crawl (its live check), or a change of its state.
        verdict = report.verdict if report.slug in web else None
        if verdict is not None and (line := verdict.line(report.slug)):
            click.echo(line)
    problems = [p for r in reports for p in r.problems]
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    return EXIT_CRAWL_PROBLEM if problems else 0


@click.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@DB_OPTION
@click.option(
    "--full",
    is_flag=True,
    help="Backfill: every listing page and every article page, without conditional GETs.",
)
@click.option(
    "--include-unverified",
    is_flag=True,
    hidden=True,
    help="Deprecated, no effect: with no SOURCE, every enabled web source is crawled.",
)
@click.option(
    "--attachments/--no-attachments",
    default=True,
    help="Linked files (PDF, DOCX, XLSX, ZIP …) are fetched and read with their article, up to"
    " TJCRAWL_ATTACHMENT_MAX_BYTES each and TJCRAWL_ATTACHMENTS_PER_ARTICLE per article;"
    " --no-attachments turns that off. --attachments is the default, still accepted (old"
    " scripts and Scrapyd jobs) and changes nothing.",
)
@click.option(
    "--ocr",
    is_flag=True,
    help="Read scanned PDF pages of attachments with Tesseract (else they are needs_ocr).",
)
@click.option(
    "--serve-fixtures",
    is_flag=True,
    help="Serve the sources' fixture sites on 127.0.0.1 and crawl those (no delays).",
)
@click.option(
    "--proxy",
    "proxies",
    multiple=True,
    callback=_proxy_pairs,
    metavar="HOST=URL",
    help="Fetch HOST through this HTTP proxy (a local mirror, a test server); repeatable.",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
    help="How much of the crawl log to print.",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_output_file,
    help="Write the crawl log here instead of standard error.",
)
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    help="Run as one worker of a distributed crawl (redis://HOST:PORT/DB): frontier (seeded"
    " from the archive by `tjcrawl writer`, incremental unless --full) and politeness in"
    " Redis, pages and articles to the writer (--db unused).",
)
@click.option(
    "--new-run",
    is_flag=True,
    help="With --redis: start a new distributed run (clears the previous run's frontier).",
)
@click.option(
    "--wait",
    "wait_s",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="With --redis: then wait up to SECONDS for the writer to judge the run; print its"
    " report and exit with its status.",
)
def crawl(
    sources: tuple[str, ...],
    db_path: Path,
    full: bool,
    serve_fixtures: bool,
    proxies: dict[str, str],
    log_level: str,
    log_file: Path | None,
    attachments: bool,
    ocr: bool,
    include_unverified: bool,
    redis_url: str | None,
    new_run: bool,
    wait_s: float | None,
) -> None:
    """Crawl sources (every enabled web source when none is named) into the archive.

    Incremental by default: listings are read newest first until two pages in a row hold
    nothing new (every listing page, by conditional GET, once a week: a sweep), and article
    pages are fetched only when new, changed on the listing, or due for a revisit. Exits 3,
    naming source and field, when a source's extraction broke or its pages were blocked; 4
    when another run holds the archive. A source's first crawl is its live check: it leaves
    the source verified, failing or blocked in the archive (`tjcrawl sources --db`). Sources
    are disabled in the local config ($TJCRAWL_CONFIG or ~/.config/tjcrawl/config.toml,
    `disabled = ["slug"]`; see docs/nightly.md).

    \b
    Examples:
      tjcrawl crawl --db /srv/tj/archive.db
      tjcrawl crawl demo_trs --serve-fixtures --full --db /tmp/test.db
      tjcrawl crawl tj_fzgg --serve-fixtures --ocr --db /tmp/test.db
      tjcrawl crawl tj_fzgg --no-attachments   # pages only, no linked files
      tjcrawl crawl --redis redis://10.0.0.5:6379/0   # a worker (docs/distributed.md)
      tjcrawl crawl --redis redis://10.0.0.5:6379/0 --wait 3600
      tjcrawl crawl --redis redis://10.0.0.5:6379/0 --full   # a distributed backfill
    """
    if new_run and not redis_url:
        raise click.UsageError("--new-run needs --redis")
    if wait_s is not None and not redis_url:
        raise click.UsageError("--wait needs --redis")
    if ocr:
        from tjcrawl.attachments.ocr import missing

        if why := missing():
            raise click.ClickException(why)
    profiles = _pick(sources, serve_fixtures, proxies)
    if redis_url:
        from tjcrawl.cli.distributed_commands import crawl_worker

        ctx = click.get_current_context()
        explicit = ctx.get_parameter_source("attachments") is ParameterSource.COMMANDLINE
        if serve_fixtures or ocr or (attachments and explicit):
            # Workers fetch no attachments (tjcrawl.distributed.worker): an explicit ask for
            # them is refused rather than ignored.
            raise click.UsageError(
                "--redis workers crawl web sources or --proxy sites"
                " (no --serve-fixtures, --attachments or --ocr yet)"
            )
        _settings_from_env()  # a bad setting is refused before Redis is touched
        sys.exit(
            crawl_worker(
                profiles,
                redis_url,
                new_run=new_run,
                proxies=proxies,
                log_level=log_level,
                log_file=log_file,
                overrides={
                    **_settings_from_env(),
                    "TJCRAWL_MODE": "full" if full else "incremental",
                },
                wait_s=wait_s,
            )
        )
    reports = _crawl(
        CrawlRequest(
            profiles, db_path, serve_fixtures, proxies, full, log_level, log_file, attachments, ocr
        )
    )
    status = _report(reports, frozenset(p.slug for p in profiles if not p.fixture))
    broken = _profile_set().broken if not sources else {}
    if broken:
        # A crawl of every source that skipped some is not a clean run.
        names = ", ".join(broken)
        click.echo(f"error: {len(broken)} profile(s) could not be loaded: {names}", err=True)
        status = max(status, EXIT_CRAWL_PROBLEM)
    sys.exit(status)


@click.command()
@DB_OPTION
@click.option("--quiet", is_flag=True, help="Only the summary, no crawl log.")
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    help="Crawl as a distributed run on this Redis: --workers worker processes and one"
    " writer on this machine (docs/distributed.md).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=32),
    default=3,
    show_default=True,
    help="With --redis: how many worker processes.",
)
def demo(db_path: Path, quiet: bool, redis_url: str | None, workers: int) -> None:
    """Serve the bundled fixture sites on 127.0.0.1 and crawl them all into the archive.

    \b
    Examples:
      tjcrawl demo --db archive.db
      tjcrawl demo --db archive.db --redis redis://127.0.0.1:6379/0 --workers 3
    """
    profiles = [p for p in _profiles().values() if p.fixture]
    if not profiles:
        raise click.ClickException("no fixture sources found in tjcrawl/sources/")
    level = "ERROR" if quiet else "WARNING"
    if redis_url:
        from tjcrawl.cli.distributed_commands import demo_workers

        _settings_from_env()  # a bad setting is refused before Redis is touched
        reports = demo_workers(profiles, db_path, redis_url, workers, quiet)
    else:
        # Attachments asked for explicitly: the summary searches a word only a file holds.
        request = CrawlRequest(
            profiles, db_path, serve_fixtures=True, log_level=level, attachments=True
        )
        reports = _crawl(request)
    status = _report(reports)
    with _read(db_path) as db:
        from tjcrawl.cli.searching import demo_search_lines

        click.echo(_stats_text(db))
        click.echo("\n".join(demo_search_lines(db.conn, db_path)))
        _example_facts(db, db_path)
    sys.exit(status)


def _example_facts(db: Any, db_path: Path) -> None:
    """One 招商引资 fact query of the demo's summary: what was signed in 滨海新区 (its zones,
    天津港保税区 among them, included); the large amounts when the finder named no place."""
    from tjcrawl.storage.fact_queries import FactQuery, find, shown_amount, shown_place

    shown = 5
    args, query = "--district 滨海新区", FactQuery(district="滨海新区", limit=10000)
    rows = find(db.conn, query)
    if not rows:
        args, query = "--min-amount 1亿", FactQuery(min_amount=1e8, limit=10000)
        rows = find(db.conn, query)
    click.echo(f"\nExample: tjcrawl facts {args} --db {db_path}  ({len(rows)} facts)")
    for row in rows[:shown]:
        day = (row["published_at"] or "")[:10]
        click.echo(
            f"  {day:10} {shown_place(row)}  {shown_amount(row)}  {row['role'] or row['kind']}"
            f"  {row['title']}"
        )
