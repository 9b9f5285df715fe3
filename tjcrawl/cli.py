"""The `tjcrawl` command: a thin layer over the library.

A user's mistake (an unknown source, a bad date, a file that is not an archive) ends in one
line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import sqlite_utils

from tjcrawl import __version__
from tjcrawl.profiles import Profile, ProfileError, ProfileSet, load_profile_set
from tjcrawl.storage.archive import ArchiveError, open_database
from tjcrawl.storage.descriptions import ARTICLE_COLUMNS

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


def _pick(
    slugs: tuple[str, ...],
    serve_fixtures: bool,
    proxies: dict[str, str] | None = None,
    include_unverified: bool = False,
) -> list[Profile]:
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
        # Unnamed, only profiles a live check has passed: a nightly crawl is not made noisy
        # by profiles nobody has checked against their site.
        unverified = [p.slug for p in chosen if not p.fixture and p.verified == "never"]
        if unverified and not include_unverified:
            chosen = [p for p in chosen if p.slug not in unverified]
            if not chosen:
                raise click.UsageError(
                    f"no verified source to crawl ({len(unverified)} unverified: "
                    "`tjcrawl source check SLUG --live` verifies one); name sources or add "
                    "--include-unverified"
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tjcrawl")
def main() -> None:
    """Crawl Tianjin's government and investment-promotion portals into a SQLite archive.

    \b
    Example:
      tjcrawl demo && tjcrawl search 招商引资
    """


@dataclass
class CrawlRequest:
    profiles: list[Profile]
    db_path: Path
    serve_fixtures: bool = False
    proxies: dict[str, str] = field(default_factory=dict)
    full: bool = False
    log_level: str = "INFO"
    log_file: Path | None = None
    attachments: bool = False


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
    return value


def _crawl(request: CrawlRequest) -> list[Any]:
    from tjcrawl.fixture_server import default_fixtures_dir, serving, site_roots
    from tjcrawl.runner import build_settings, run_crawl
    from tjcrawl.storage.lock import ArchiveLocked, RunLock

    with _archive(request.db_path, must_exist=False):
        pass  # fail early, in one line, on a path that is not an archive
    try:
        lock = RunLock.acquire(request.db_path)
    except ArchiveLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    try:
        overrides: dict[str, Any] = {
            "TJCRAWL_MODE": "full" if request.full else "incremental",
            "TJCRAWL_ATTACHMENTS": request.attachments,
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
        roots = site_roots(request.profiles, default_fixtures_dir())
        missing = [p.slug for p in request.profiles if not set(p.hosts) & set(roots)]
        if missing:
            raise click.ClickException(f"no fixture site for {', '.join(missing)} under fixtures/")
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


def _report(reports: list[Any]) -> int:
    for report in reports:
        click.echo(report.summary())
    problems = [p for r in reports for p in r.problems]
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    return EXIT_CRAWL_PROBLEM if problems else 0


def _proxy_pairs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict:
    pairs = {}
    for value in values:
        host, sep, url = value.partition("=")
        if not sep or not host or not url.startswith(("http://", "https://")):
            raise click.BadParameter(f"{value!r} is not HOST=http://PROXY:PORT")
        pairs[host.lower()] = url
    return pairs


@main.command()
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
    help="With no SOURCE: also the profiles no live check has passed (verified = never).",
)
@click.option(
    "--attachments",
    is_flag=True,
    help="Also store linked files (PDF, DOCX, XLSX, ZIP …) up to TJCRAWL_ATTACHMENT_MAX_BYTES.",
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
    help="Write the crawl log here instead of standard error.",
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
    include_unverified: bool,
) -> None:
    """Crawl sources (every verified web source when none is named) into the archive.

    Incremental by default: listings are read newest first until two pages in a row hold
    nothing new (every listing page, by conditional GET, once a week: a sweep), and article
    pages are fetched only when new, changed on the listing, or due for a revisit. Exits 3,
    naming source and field, when a source's extraction broke; 4 when another run holds the
    archive.

    \b
    Examples:
      tjcrawl crawl --db /srv/tj/archive.db
      tjcrawl crawl demo_trs --serve-fixtures --full --db /tmp/test.db
    """
    profiles = _pick(sources, serve_fixtures, proxies, include_unverified)
    reports = _crawl(
        CrawlRequest(
            profiles, db_path, serve_fixtures, proxies, full, log_level, log_file, attachments
        )
    )
    status = _report(reports)
    broken = _profile_set().broken if not sources else {}
    if broken:
        # A crawl of every source that skipped some is not a clean run.
        names = ", ".join(broken)
        click.echo(f"error: {len(broken)} profile(s) could not be loaded: {names}", err=True)
        status = max(status, EXIT_CRAWL_PROBLEM)
    sys.exit(status)


@main.command()
@DB_OPTION
@click.option("--quiet", is_flag=True, help="Only the summary, no crawl log.")
def demo(db_path: Path, quiet: bool) -> None:
    """Serve the bundled fixture sites on 127.0.0.1 and crawl them all into the archive.

    \b
    Example:
      tjcrawl demo --db archive.db
    """
    profiles = [p for p in _profiles().values() if p.fixture]
    if not profiles:
        raise click.ClickException("no fixture sources found in tjcrawl/sources/")
    level = "ERROR" if quiet else "WARNING"
    reports = _crawl(CrawlRequest(profiles, db_path, serve_fixtures=True, log_level=level))
    status = _report(reports)
    with _archive(db_path) as db:
        from tjcrawl.storage.search import search as run_search

        click.echo(_stats_text(db))
        result = run_search(db.conn, "招商引资", limit=3)
        click.echo(f"\nExample: tjcrawl search 招商引资 --db {db_path}  ({result.total} articles)")
        for hit in result.hits:
            click.echo(f"  {hit.published_at or '':25.25} {hit.source:12} {hit.title}")
    sys.exit(status)


@main.command()
@click.argument("query")
@DB_OPTION
@click.option("--source", help="Only this source (slug).")
@click.option("--since", callback=_iso_day, help="Published on or after this day (2025-08-01).")
@click.option("--until", callback=_iso_day, help="Published before this day.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--order", type=click.Choice(["rank", "newest"]), default="rank", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: total and hits.")
def search(
    query: str,
    db_path: Path,
    source: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    order: str,
    as_json: bool,
) -> None:
    """Find articles whose title or body contains QUERY (any length, Chinese or not).

    Finds exactly what a substring scan finds, one-character queries included.

    \b
    Examples:
      tjcrawl search 天津
      tjcrawl search 招商引资 --source demo_trs --since 2024-01-01 --json
    """
    from tjcrawl.storage.search import search as run_search

    if not query.strip():
        raise click.BadParameter("the query is empty", param_hint="QUERY")
    with _archive(db_path) as db:
        result = run_search(
            db.conn, query, source=source, since=since, until=until, limit=limit, order=order
        )
    if as_json:
        payload = {
            "query": result.query,
            "total": result.total,
            "hits": [hit.__dict__ for hit in result.hits],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.total} articles contain {query!r}")
    for hit in result.hits:
        click.echo(f"\n{hit.published_at or '(no date)'}  {hit.source}  {hit.title}\n  {hit.url}")
        click.echo(f"  {hit.snippet}")


# The current_articles view's columns, as documented, less the internal id.
EXPORT_COLUMNS = [column for column in ARTICLE_COLUMNS if column != "id"]


@main.command()
@click.argument(
    "out", required=False, metavar="[OUT]", type=click.Path(dir_okay=False, path_type=Path)
)
@DB_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "warc"]),
    default="jsonl",
    show_default=True,
    help="jsonl or csv: the articles; warc: the stored raw pages (to OUT or -o, .gz = gzip).",
)
@click.option("--source", help="Only this source (slug).")
@click.option("--since", callback=_iso_day, help="Only articles changed on or after this day.")
@click.option(
    "--changed-since-last-export",
    "incremental",
    is_flag=True,
    help="Only articles new, changed or withdrawn since the previous export.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write here instead of standard output.",
)
def export(
    out: Path | None,
    db_path: Path,
    fmt: str,
    source: str | None,
    since: str | None,
    incremental: bool,
    output: Path | None,
) -> None:
    """Export articles (the current_articles view) as JSON lines or CSV, UTF-8, in change order;
    or the stored raw pages as a WARC file.

    Every article export is recorded, so --changed-since-last-export hands over only what is
    new, changed or withdrawn since the previous one: an unchanged crawl exports nothing.
    --format warc writes every stored page as WARC/1.1 request and response records (exact
    bytes, headers, fetch times) for pywb and other wayback tools; it is not recorded.

    \b
    Examples:
      tjcrawl export --format jsonl -o articles.jsonl
      tjcrawl export --changed-since-last-export -o delta.jsonl
      tjcrawl export --format csv --source demo_trs --since 2025-01-01 > trs.csv
      tjcrawl export --format warc pages.warc.gz
    """
    from tjcrawl import clock

    if out and output and out != output:
        raise click.UsageError("give the output file once: OUT or --output")
    output = output or out
    if fmt == "warc":
        _export_warc(db_path, source, since, incremental, output)
        return
    with _archive(db_path) as db:
        upto = int(
            db.execute("SELECT value FROM tjcrawl_meta WHERE key = 'change_seq'").fetchone()[0]
        )
        start = 0
        if incremental:
            last = db.execute("SELECT max(upto_change_seq) FROM exports").fetchone()[0]
            start = int(last or 0)
        where, params = ["change_seq > ?", "change_seq <= ?"], [start, upto]
        if source:
            where.append("source = ?")
            params.append(source)
        if since:
            where.append("last_changed_at >= ?")
            params.append(since)
        sql = (
            f"SELECT {', '.join(EXPORT_COLUMNS)} FROM current_articles"
            f" WHERE {' AND '.join(where)} ORDER BY change_seq"
        )
        written = 0
        handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS) if fmt == "csv" else None
            if writer:
                writer.writeheader()
            for row in db.query(sql, params):
                if writer:
                    writer.writerow(row)
                else:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                written += 1
        finally:
            if output:
                handle.close()
        with db.atomic():
            db["exports"].insert(
                {
                    "format": fmt,
                    "target": str(output) if output else "stdout",
                    "exported_at": clock.now_iso(),
                    "from_change_seq": start,
                    "upto_change_seq": upto,
                    "articles": written,
                }
            )
    if output:
        click.echo(f"{written} articles -> {output}", err=True)


def _export_warc(
    db_path: Path, source: str | None, since: str | None, incremental: bool, output: Path | None
) -> None:
    from tjcrawl.warc import write_warc

    if since or incremental:
        raise click.UsageError("--since and --changed-since-last-export select articles, not WARC")
    if output is None:
        raise click.UsageError("--format warc needs a file: tjcrawl export --format warc OUT")
    with _archive(db_path) as db:
        pages = write_warc(db.conn, output, source)
    click.echo(f"{pages} pages -> {output}", err=True)


@main.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@DB_OPTION
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Extraction processes per source; more pay only on idle cores.",
)
def reextract(sources: tuple[str, ...], db_path: Path, workers: int) -> None:
    """Rebuild articles from the stored pages with the current profiles (no network).

    Every source with stored pages when none is named. Where an article's text changes, the
    earlier version goes to revisions and search follows; pages that extract for the first
    time become articles; unchanged articles are not touched. Exits 3 when stored articles no
    longer extract (nothing is deleted), 4 when another run holds the archive.

    \b
    Examples:
      tjcrawl reextract --db archive.db
      TJCRAWL_SOURCES_DIR=profiles-next tjcrawl reextract demo_trs --db archive.db
    """
    from tjcrawl.reextract import ReextractError
    from tjcrawl.reextract import reextract as run_reextract
    from tjcrawl.storage.lock import ArchiveLocked

    _profiles(sources)  # a broken profile is one line, not a traceback
    try:
        report = run_reextract(db_path, list(sources) or None, workers=workers)
    except ReextractError as exc:
        raise click.BadParameter(str(exc), param_hint="SOURCE") from None
    except ArchiveLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    for line in report.lines():
        click.echo(line)
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(EXIT_CRAWL_PROBLEM if report.problems else 0)


@main.command()
@DB_OPTION
def schema(db_path: Path) -> None:
    """Print the archive's schema as Markdown (tables, views, every column described).

    docs/schema.md is this output for a new archive.

    \b
    Example:
      tjcrawl schema --db no-such.db > docs/schema.md
    """
    from tjcrawl.storage.schema_doc import render

    # No archive there: describe a new one in memory rather than create a file.
    with _archive(db_path if db_path.exists() else Path(":memory:"), must_exist=False) as db:
        click.echo(render(db.conn), nl=False)


def _stats_text(db: sqlite_utils.Database) -> str:
    lines = ["source               articles  revisions  pages  last run"]
    rows = db.query(
        """
        SELECT s.slug,
               (SELECT count(*) FROM articles a WHERE a.source = s.slug) AS articles,
               (SELECT count(*) FROM revisions r JOIN articles a ON a.id = r.article_id
                 WHERE a.source = s.slug) AS revisions,
               (SELECT count(*) FROM pages p WHERE p.source = s.slug) AS pages,
               (SELECT max(started_at) FROM crawl_runs c WHERE c.source = s.slug) AS last_run
        FROM sources s ORDER BY s.slug
        """
    )
    for row in rows:
        lines.append(
            f"{row['slug']:20} {row['articles']:8} {row['revisions']:10} {row['pages']:6}  "
            f"{row['last_run'] or '-'}"
        )
    total = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    runs = db.execute("SELECT count(DISTINCT run_id) FROM crawl_runs").fetchone()[0]
    lines.append(f"total: {total} articles from {runs} runs")
    return "\n".join(lines)


@main.command()
@click.argument("url")
@DB_OPTION
def history(url: str, db_path: Path) -> None:
    """Show every version of an article and what changed between them.

    Changed paragraphs show removed text as [-…-] and added text as {+…+}.

    \b
    Example:
      tjcrawl history http://gov.tjcrawl.test/sy/tjxw/202411/t20241114_6012345.html
    """
    from tjcrawl.history import article_history, render_diff

    with _archive(db_path) as db:
        found = article_history(db.conn, url)
    if found is None:
        raise click.ClickException(f"{url}: not in the archive (see `tjcrawl search`)")
    click.echo(f"{found.url}  ({found.source}, {len(found.versions)} versions)")
    if found.withdrawn_at:
        click.echo(f"withdrawn: the page was gone on {found.withdrawn_at}")
    previous = None
    for number, version in enumerate(found.versions, 1):
        until = version.seen_until or "now"
        click.echo(f"\n== version {number}: {version.seen_from} .. {until}  {version.title}")
        if previous is not None:
            click.echo(render_diff(previous, version))
        previous = version


@main.command()
@DB_OPTION
@click.option("--source", help="Only groups with a member from this source (slug).")
@click.option("--json", "as_json", is_flag=True, help="A JSON list of groups, members included.")
@click.option(
    "--update",
    is_flag=True,
    help="Recompute the groups first (every crawl does so at its end).",
)
def dups(db_path: Path, source: str | None, as_json: bool, update: bool) -> None:
    """List re-post (转载) groups: one report republished on several sites.

    Each group shows its canonical member (the earliest published) with title, URL and stated
    origin (来源), then the other members with source, origin and similarity to the canonical
    (Jaccard of 5-character shingles, 1.0 = the same text). Different reports on one topic
    are not grouped.

    \b
    Examples:
      tjcrawl dups
      tjcrawl dups --source demo_enorth --json
    """
    from tjcrawl.reposts import list_groups, update_groups
    from tjcrawl.storage.lock import ArchiveLocked, RunLock

    with _archive(db_path) as db:
        if update:
            try:
                lock = RunLock.acquire(db_path)
            except ArchiveLocked as exc:
                click.echo(f"Error: {exc}", err=True)
                sys.exit(EXIT_LOCKED)
            try:
                click.echo(update_groups(db.conn).summary(), err=True)
            finally:
                lock.release()
        groups = list_groups(db.conn, source=source)
    if as_json:
        click.echo(json.dumps([g.as_dict() for g in groups], ensure_ascii=False, indent=2))
        return
    if not groups:
        click.echo("no re-post groups" + (f" with a member from {source}" if source else ""))
        return
    articles = sum(len(g.members) for g in groups)
    click.echo(f"{len(groups)} re-post groups, {articles} articles")
    for group in groups:
        first = group.canonical
        click.echo(f"\n{first.published_at or '(no date)'}  {first.title}")
        click.echo(f"  {first.url}")
        click.echo(f"  canonical        {first.source}  来源：{first.origin or '-'}")
        for member in group.members[1:]:
            click.echo(
                f"  similarity {member.similarity:.2f}  {member.source}  来源："
                f"{member.origin or '-'}  {member.published_at or '(no date)'}\n"
                f"                   {member.url}"
            )


@main.command()
@DB_OPTION
@click.option("--source", help="Only this source (slug).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
def runs(db_path: Path, source: str | None, limit: int) -> None:
    """List crawl runs, newest first: per source, mode, requests, items, faults, outcome.

    \b
    Examples:
      tjcrawl runs
      tjcrawl runs --source demo_trs --limit 5
    """
    from tjcrawl import health

    with _archive(db_path) as db:
        click.echo(health.format_runs(health.runs(db.conn, source=source, limit=limit)))


@main.command(name="health")
@DB_OPTION
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a self-contained HTML report with charts here.",
)
def health_command(db_path: Path, html_path: Path | None) -> None:
    """Print each source's state (ok, failing, interrupted, stale, never-run) and why.

    Exits 3 when a source is not healthy, so a monitor can run it.

    \b
    Examples:
      tjcrawl health
      tjcrawl health --html report.html
    """
    from tjcrawl import health, report

    known = [p.slug for p in _profiles().values() if not p.fixture]
    with _archive(db_path) as db:
        states = health.source_states(db.conn, known_sources=known)
        click.echo(health.format_states(states))
        if html_path:
            report.write_html_report(db.conn, html_path, known_sources=known)
            click.echo(f"report written to {html_path}")
    sys.exit(EXIT_CRAWL_PROBLEM if any(not s.healthy for s in states) else 0)


@main.command()
@click.argument("source", required=False)
@DB_OPTION
@click.option("--run", "run_id", help="This run instead of each source's latest.")
@click.option(
    "--save-fixtures",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the failed pages (and that run's listings) here as fixture sites.",
)
def failures(
    source: str | None, db_path: Path, run_id: str | None, save_fixtures: Path | None
) -> None:
    """List the pages whose extraction failed; optionally save them as new fixtures.

    The raw pages are in the archive, so a broken profile can be fixed and tested against
    exactly what the site served.

    \b
    Examples:
      tjcrawl failures
      tjcrawl failures demo_trs --save-fixtures fixtures/
    """
    from tjcrawl.capture import failed_pages
    from tjcrawl.capture import save_fixtures as save

    with _archive(db_path) as db:
        pages = failed_pages(db.conn, source, run_id)
        for page in pages:
            click.echo(f"{page.source}  {page.url}  ({page.detail})")
        if not pages:
            click.echo("no failed pages")
            return
        if save_fixtures:
            for slug, saved in save(db.conn, pages, save_fixtures).items():
                click.echo(saved.summary(slug))
            click.echo(
                f"next: fix the profile, then TJCRAWL_FIXTURES_DIR={save_fixtures} tjcrawl goldens"
            )


@main.command()
@DB_OPTION
def stats(db_path: Path) -> None:
    """Count articles, revisions and pages per source, with each source's last run.

    \b
    Example:
      tjcrawl stats --db archive.db
    """
    with _archive(db_path) as db:
        click.echo(_stats_text(db))


@main.command()
def sources() -> None:
    """List every source profile: slug, kind, verification state and name.

    \b
    Example:
      tjcrawl sources
    """
    loaded = _profile_set()
    for slug in sorted({*loaded.profiles, *loaded.broken}):
        if slug in loaded.broken:
            click.echo(f"{slug:20} {'broken':8} cannot be loaded (see the error below)")
            continue
        profile = loaded.profiles[slug]
        kind = "fixture" if profile.fixture else "web"
        click.echo(f"{profile.slug:20} {kind:8} verified={profile.verified:12} {profile.name}")
    for error in loaded.broken.values():
        click.echo(f"Error: {error}", err=True)
    if loaded.broken:
        sys.exit(1)


@main.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option("--check", is_flag=True, help="Only compare; exit 1 when a golden file is stale.")
def goldens(sources: tuple[str, ...], check: bool) -> None:
    """Regenerate the golden expected items of fixture sources from their fixture sites.

    Review the diff (git diff fixtures/) before committing.

    \b
    Examples:
      tjcrawl goldens
      tjcrawl goldens demo_trs --check
    """
    from tjcrawl import fixtures

    available = {p.slug: p for p in fixtures.profiles_with_fixtures()}
    unknown = [s for s in sources if s not in available]
    if unknown:
        raise click.BadParameter(f"no fixture site for {', '.join(unknown)}", param_hint="SOURCE")
    stale = []
    for slug in sources or tuple(available):
        profile = available[slug]
        if check:
            items, _ = fixtures.offline_crawl(profile)
            if fixtures.golden_items(items) != fixtures.read_goldens(slug):
                stale.append(slug)
            continue
        count, dropped = fixtures.write_goldens(profile)
        click.echo(f"{slug}: {count} items -> {fixtures.golden_path(slug)}")
        for reason in dropped:
            click.echo(f"  dropped: {reason}")
    if stale:
        raise click.ClickException(f"stale goldens: {', '.join(stale)} (run `tjcrawl goldens`)")


@main.command(name="serve")
@DB_OPTION
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0 serves every network interface).",
)
@click.option(
    "--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the archive in a web browser.")
def serve_command(db_path: Path, host: str, port: int, open_browser: bool) -> None:
    """Browse and search the archive in Datasette, read-only, until Ctrl-C.

    Tables and columns are described; articles are faceted by source and by month and
    searchable in Chinese (the search box, or the search query); canned queries list the
    latest articles per source, re-post groups, withdrawn articles and failed pages.

    \b
    Example:
      tjcrawl serve --db archive.db --port 8001
    """
    from tjcrawl.serve import ServeError, serve

    try:
        serve(db_path, host=host, port=port, open_browser=open_browser)
    except ServeError as exc:
        raise click.ClickException(str(exc)) from None


# -- source profiles: check, capture, propose ------------------------------------------------
@main.group()
def source() -> None:
    """Check a profile, save live pages as fixtures, or propose a profile for a new site.

    \b
    Examples:
      tjcrawl source check                        every source against its fixtures
      tjcrawl source check tj_gov_tjxw --live     a few live pages; records verified = DATE
      tjcrawl source capture tj_gov_tjxw          live pages -> fixtures/, goldens diff
      tjcrawl source new https://www.tj.gov.cn/sy/tjxw/
    """


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


def _live_reachable(profile: Profile, proxies: dict[str, str]) -> None:
    """A fixture profile's hosts are not on the web: only through a given proxy."""
    if profile.fixture and not set(profile.hosts) <= set(proxies):
        raise click.UsageError(
            f"{profile.slug}: a fixture site, not on the web; map its host with --proxy"
            f" ({', '.join(profile.hosts)}=http://127.0.0.1:PORT)"
        )


@source.command(name="check")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option(
    "--live",
    is_flag=True,
    help="Fetch a few live pages (2 listing, 3 detail) politely instead of the fixtures.",
)
@PROXY_OPTION
@TIMEOUT_OPTION
@click.option("--no-record", is_flag=True, help="Do not write verified = DATE into the profile.")
def source_check(
    sources: tuple[str, ...],
    live: bool,
    proxies: dict[str, str],
    timeout: float,
    no_record: bool,
) -> None:
    """Run profiles over their fixtures (default) or a few live pages; report per field.

    Every field gets a line: on how many pages or entries it matched. Fixture checks also
    compare the items with the goldens. A passing --live check writes today's date into the
    profile's verified line (the rest of the file is left as it is). Exits 3, one line per
    failing field on stderr, when a required field (entries, link, title, body) does not
    match everywhere.

    \b
    Examples:
      tjcrawl source check
      tjcrawl source check tj_gov_tjxw --live
      tjcrawl source check demo_trs --live --proxy gov.tjcrawl.test=http://127.0.0.1:8000
    """
    from tjcrawl import source_check as checks
    from tjcrawl.fixtures import fixture_dir

    profiles = _profiles()
    unknown = [s for s in sources if s not in profiles]
    if unknown:
        raise click.BadParameter(
            f"unknown source {', '.join(unknown)} (see `tjcrawl sources`)", param_hint="SOURCE"
        )
    if live and not sources:
        raise click.UsageError("--live fetches from the web: name the source(s) to check")
    chosen = [profiles[s] for s in sources] if sources else list(profiles.values())
    problems: list[str] = []
    for profile in chosen:
        if live:
            _live_reachable(profile, proxies)
            report = checks.check_live(profile, proxies=proxies, timeout=timeout)
        elif not (fixture_dir(profile.slug) / "site").is_dir():
            problems.append(f"{profile.slug}: no fixture site (fixtures/{profile.slug}/site)")
            continue
        else:
            report = checks.check_fixtures(profile)
        click.echo(report.text())
        problems += report.problems
        if live and report.ok and not no_record:
            day = checks.record_verified(profile.path)
            click.echo(f"{profile.slug}: verified = {day} written to {profile.path}")
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(EXIT_CRAWL_PROBLEM)


@source.command(name="capture")
@click.argument("target", metavar="SOURCE|URL")
@click.option(
    "--as",
    "as_slug",
    metavar="SLUG",
    help="With a URL: the source to save it under (a new slug is fine: no profile needed).",
)
@PROXY_OPTION
@TIMEOUT_OPTION
@click.option(
    "--listing-pages",
    type=click.IntRange(1, 10),
    default=2,
    show_default=True,
    help="Listing pages to fetch.",
)
@click.option(
    "--details",
    "detail_pages",
    type=click.IntRange(0, 30),
    default=3,
    show_default=True,
    help="Detail pages to fetch, spread over the listing.",
)
@click.option("--keep", is_flag=True, help="Add to the fixture site instead of replacing it.")
@click.option(
    "--fixtures-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Fixture folder (default: $TJCRAWL_FIXTURES_DIR, else fixtures/).",
)
def source_capture(
    target: str,
    as_slug: str | None,
    proxies: dict[str, str],
    timeout: float,
    listing_pages: int,
    detail_pages: int,
    keep: bool,
    fixtures_dir: Path | None,
) -> None:
    """Save a few live pages of a source as its fixture site and regenerate its goldens.

    Pages are saved as raw bytes under fixtures/SLUG/site/ with their response headers in
    fixtures/SLUG/headers.json; fixture.toml gets the fetch time. The difference between the
    old and new golden items is printed for review. `capture URL --as SLUG` starts from
    another listing URL, or saves a site that has no profile yet (for `source new`).

    \b
    Examples:
      tjcrawl source capture tj_gov_tjxw
      tjcrawl source capture https://www.tj.gov.cn/sy/tzgg/ --as tj_gov_tzgg
    """
    from tjcrawl.profiles import SLUG_RE
    from tjcrawl.source_capture import capture
    from tjcrawl.source_check import LiveFetcher

    profiles = _profiles()
    if target.startswith(("http://", "https://")):
        if not as_slug:
            raise click.UsageError("capture URL needs --as SLUG")
        if not SLUG_RE.match(as_slug):
            raise click.BadParameter("lower-case letters, digits and _", param_hint="--as")
        slug, url, profile = as_slug, target, profiles.get(as_slug)
        host = (urlsplit(url).hostname or "").lower()
        if profile is not None and not any(
            host == d or host.endswith("." + d) for d in profile.allowed_domains
        ):
            raise click.BadParameter(f"{url} is outside {slug}'s allowed_domains")
        domains = profile.allowed_domains if profile else (host,)
    else:
        if as_slug:
            raise click.UsageError("--as is only for capture URL")
        if target not in profiles:
            raise click.BadParameter(
                f"unknown source {target} (see `tjcrawl sources`)", param_hint="SOURCE"
            )
        slug, url, profile = target, None, profiles[target]
        domains = profile.allowed_domains
    if profile is not None:
        _live_reachable(profile, proxies)
    fetcher = LiveFetcher(allowed_domains=domains, proxies=proxies, timeout=timeout)
    try:
        result = capture(
            slug,
            fetcher,
            profile=profile,
            start_url=url,
            fixtures_dir=fixtures_dir,
            listing_pages=listing_pages,
            detail_pages=detail_pages,
            keep=keep,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(result.summary())
    if result.diff:
        click.echo(result.diff, nl=False)
    if profile is None:
        click.echo(f"next: tjcrawl source new --from-fixtures {slug}")
    else:
        click.echo(f"next: review git diff {result.folder}; then tjcrawl source check {slug}")


@source.command(name="new")
@click.argument("target", required=False, metavar="URL|FILE")
@click.option(
    "--from-fixtures",
    "from_fixtures",
    metavar="SOURCE",
    help="Read the saved first listing page of this fixture site (and its saved detail pages).",
)
@click.option("--base-url", help="With FILE: the URL the listing was saved from.")
@click.option("--slug", help="Slug of the proposed profile (default: from the host).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the TOML (default proposals/SLUG.toml; - for standard output).",
)
@click.option("--force", is_flag=True, help="Overwrite the output file.")
@click.option(
    "--compare",
    is_flag=True,
    help="With --from-fixtures: compare the proposal's items with the source's profile's.",
)
@click.option(
    "--details",
    "detail_pages",
    type=click.IntRange(1, 10),
    default=3,
    show_default=True,
    help="Detail pages to learn from.",
)
@PROXY_OPTION
@TIMEOUT_OPTION
def source_new(
    target: str | None,
    from_fixtures: str | None,
    base_url: str | None,
    slug: str | None,
    output: Path | None,
    force: bool,
    compare: bool,
    detail_pages: int,
    proxies: dict[str, str],
    timeout: float,
) -> None:
    """Propose a profile from a listing page: entries, link, title, date, pagination, and
    from a few detail pages title, date, body, 来源 and boilerplate.

    The TOML is written for review, with comments where a choice was uncertain, and tried on
    the pages it was drawn from. Nothing is added to tjcrawl/sources/ until you move it there.

    \b
    Examples:
      tjcrawl source new https://www.tj.gov.cn/sy/tjxw/
      tjcrawl source new --from-fixtures demo_trs --compare
      tjcrawl source new saved/index.html --base-url https://fzgg.tj.gov.cn/dtzx/tzgg/index.shtml
    """
    from tjcrawl import source_new as inference
    from tjcrawl.profiles import SLUG_RE
    from tjcrawl.source_check import LiveFetcher

    if slug and not SLUG_RE.match(slug):
        raise click.BadParameter("lower-case letters, digits and _", param_hint="--slug")
    if compare and not from_fixtures:
        raise click.UsageError("--compare needs --from-fixtures SOURCE")
    try:
        if from_fixtures:
            if target:
                raise click.UsageError("give URL|FILE or --from-fixtures, not both")
            start_url, fetch = inference.fixture_source(from_fixtures)
            slug = slug or from_fixtures
        elif target and target.startswith(("http://", "https://")):
            start_url = target
            host = (urlsplit(target).hostname or "").lower()
            fetch = LiveFetcher(allowed_domains=[host], proxies=proxies, timeout=timeout).fetch
        elif target:
            path = Path(target)
            if not path.is_file():
                raise click.BadParameter(f"{target}: no such file", param_hint="URL|FILE")
            if not base_url:
                raise click.UsageError("a saved listing FILE needs --base-url URL")
            start_url = base_url
            host = (urlsplit(base_url).hostname or "").lower()
            live = LiveFetcher(allowed_domains=[host], proxies=proxies, timeout=timeout)
            fetch = inference.file_source(path, base_url, live.fetch)
        else:
            raise click.UsageError("give a listing URL, a saved FILE or --from-fixtures SOURCE")
        proposal = inference.propose(start_url, fetch, slug=slug, detail_pages=detail_pages)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    text = proposal.toml()
    to_stdout = output is not None and str(output) == "-"
    report = click.echo if not to_stdout else (lambda line="": click.echo(line, err=True))
    if to_stdout:
        click.echo(text, nl=False)
    else:
        output = output or Path("proposals") / f"{proposal.slug}.toml"
        if output.exists() and not force:
            raise click.ClickException(f"{output} exists; add --force to overwrite it")
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        report(f"{proposal.slug}: proposal written to {output}")
    report("tried on the sample pages:")
    for row in proposal.trial:
        report(row.line())
    for item in proposal.unsure:
        report(f"unsure: {item}")
    if compare:
        profiles = _profiles()
        if from_fixtures not in profiles:
            raise click.ClickException(f"{from_fixtures}: no profile to compare with")
        result = inference.compare_with_profile(proposal, profiles[from_fixtures])
        fields = ", ".join(f"{n} {result.field_share(n):.0%}" for n in inference.COMPARED_FIELDS)
        report(
            f"{from_fixtures}: {result.share:.1%} of fields equal to the hand-written profile's"
            f" items ({result.reference_items} items; proposal {result.proposed_items}): {fields}"
        )


if __name__ == "__main__":
    main()
