"""Commands that read (or re-derive) the archive: stats, history, dups, runs, health, failures,
schema, reextract and serve (search: tjcrawl.cli.searching)."""

from __future__ import annotations

import json
import sqlite3
import sys
import zlib
from pathlib import Path

import click
import sqlite_utils

from tjcrawl.cli.common import (
    DB_OPTION,
    EXIT_CRAWL_PROBLEM,
    EXIT_LOCKED,
    _archive,
    _lock_archive,
    _output_file,
    _profiles,
    _read,
)
from tjcrawl.storage.archive import ArchiveError


@click.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@DB_OPTION
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Extraction processes per source; more pay only on idle cores.",
)
@click.option(
    "--generic",
    is_flag=True,
    help="Read every detail field with the generic extractor, not the profiles' selectors.",
)
@click.option(
    "--no-attachments",
    "skip_attachments",
    is_flag=True,
    help="Do not read the stored attachment files again.",
)
def reextract(
    sources: tuple[str, ...], db_path: Path, workers: int, generic: bool, skip_attachments: bool
) -> None:
    """Rebuild articles from the stored pages with the current profiles (no network).

    Every source with stored pages when none is named. Where an article's text changes, the
    earlier version goes to revisions and search follows; pages that extract for the first
    time become articles; unchanged articles are not touched. Exits 3 when stored articles no
    longer extract (nothing is deleted) or a detail selector matched nothing on them (the
    generic extractor filled the field), 4 when another run holds the archive. --generic reads
    the detail pages without selectors (articles.field_sources says "generic"). The stored
    attachment files (of the named sources' articles) are read again with the current
    readers: a file whose state or text comes out different gets its new reading, and search
    follows.

    \b
    Examples:
      tjcrawl reextract --db archive.db
      TJCRAWL_SOURCES_DIR=profiles-next tjcrawl reextract demo_trs --db archive.db
      tjcrawl reextract --generic demo_trs --db archive.db
    """
    from tjcrawl.reextract import ReextractError
    from tjcrawl.reextract import reextract as run_reextract
    from tjcrawl.storage.compression import PageUnreadable
    from tjcrawl.storage.lock import ArchiveLocked, LockUnavailable

    _profiles(sources)  # a broken profile is one line, not a traceback
    with _read(db_path, allow_older=True):
        pass  # no archive, an empty file, another program's database: one line, untouched
    try:
        report = run_reextract(
            db_path,
            list(sources) or None,
            workers=workers,
            generic=generic,
            attachments=not skip_attachments,
        )
    except ReextractError as exc:
        raise click.BadParameter(str(exc), param_hint="SOURCE") from None
    except PageUnreadable as exc:
        raise click.ClickException(str(exc)) from None
    except ArchiveLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    except (ArchiveError, LockUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    for line in report.lines():
        click.echo(line)
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(EXIT_CRAWL_PROBLEM if report.problems else 0)


@click.command()
@DB_OPTION
def schema(db_path: Path) -> None:
    """Print the archive's schema as Markdown (tables, views, every column described).

    docs/schema.md is this output for a new archive.

    \b
    Example:
      tjcrawl schema --db no-such.db > docs/schema.md
    """
    from tjcrawl.storage.schema_doc import render

    if not db_path.exists():
        # No archive there: describe a new one in memory rather than create a file.
        with _archive(Path(":memory:"), must_exist=False) as db:
            click.echo(render(db.conn), nl=False)
        return
    # An older archive is described as it is: that is what it holds.
    with _read(db_path, allow_older=True) as db:
        click.echo(render(db.conn), nl=False)


@click.command()
@DB_OPTION
@click.option(
    "--recompress",
    is_flag=True,
    help="Also rewrite stored pages with their source's zstd dictionary (training one for a"
    " source with 200 pages and none): pages of older versions are zlib. In batches, each"
    " page checked against its SHA-256; `sqlite3 archive.db VACUUM` then returns the space.",
)
def upgrade(db_path: Path, recompress: bool) -> None:
    """Migrate an archive written by an older tjcrawl to this version's schema.

    Any writing command (crawl, reextract, export of articles) does the same first; the
    read-only commands refuse an older archive instead of changing it. Exits 4 when another
    run holds the archive.

    \b
    Example:
      tjcrawl upgrade --db archive.db
      tjcrawl upgrade --recompress --db archive.db
    """
    from tjcrawl.storage.migrations import SCHEMA_VERSION

    with _read(db_path, allow_older=True) as db:
        before = db.execute("PRAGMA user_version").fetchone()[0]
    if before == SCHEMA_VERSION:
        click.echo(f"{db_path}: already at schema {SCHEMA_VERSION}")
    else:
        lock = _lock_archive(db_path)
        try:
            with _archive(db_path):
                pass
        finally:
            lock.release()
        click.echo(f"{db_path}: schema {before} -> {SCHEMA_VERSION}")
    if recompress:
        _recompress(db_path)


def _recompress(db_path: Path) -> None:
    from tjcrawl.storage.archive import Archive
    from tjcrawl.storage.lock import ArchiveLocked, LockUnavailable
    from tjcrawl.storage.recompress import recompress

    try:
        archive = Archive(db_path)
    except ArchiveLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    except (ArchiveError, LockUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        done = recompress(archive)
    except (sqlite3.Error, ValueError, zlib.error) as exc:  # earlier batches stay rewritten
        raise click.ClickException(f"recompression stopped: {exc}") from None
    finally:
        archive.close()
    click.echo(f"{db_path}: {done.line()}")
    for problem in done.unreadable:
        click.echo(f"unreadable, left as stored: {problem}", err=True)
    if done.unreadable:
        sys.exit(1)


def _stats_text(db: sqlite_utils.Database) -> str:
    lines = ["source               articles  revisions  pages  last run"]
    rows = db.query(
        """
        SELECT s.slug,
               (SELECT count(*) FROM articles a WHERE a.source = s.slug) AS articles,
               (SELECT count(*) FROM revisions r JOIN articles a ON a.id = r.article_id
                 WHERE a.source = s.slug) AS revisions,
               (SELECT count(*) FROM pages p WHERE p.source = s.slug) AS pages,
               (SELECT started_at FROM crawl_runs c WHERE c.source = s.slug
                 ORDER BY c.id DESC LIMIT 1) AS last_run
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


@click.command()
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

    with _read(db_path) as db:
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


@click.command()
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
    from tjcrawl.progress import StepProgress
    from tjcrawl.reposts import list_groups, update_groups

    if update:
        with _archive(db_path) as db:
            lock = _lock_archive(db_path)
            try:
                progress = StepProgress(log=lambda line: click.echo(line, err=True))
                report = update_groups(db.conn, progress)
                progress.close()
                click.echo(report.summary(), err=True)
            finally:
                lock.release()
    with _read(db_path) as db:
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


@click.command()
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

    with _read(db_path) as db:
        click.echo(health.format_runs(health.runs(db.conn, source=source, limit=limit)))


@click.command(name="health")
@DB_OPTION
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_output_file,
    help="Also write a self-contained HTML report with charts here.",
)
def health_command(db_path: Path, html_path: Path | None) -> None:
    """Print each source's state (ok, degraded, failing, interrupted, stale, never-run) and why.

    Exits 3 when a source is not healthy (degraded too: its last run lost articles), so a
    monitor can run it.

    \b
    Examples:
      tjcrawl health
      tjcrawl health --html report.html
    """
    from tjcrawl import health, report

    known = [p.slug for p in _profiles().values() if not p.fixture]
    with _read(db_path) as db:
        states = health.source_states(db.conn, known_sources=known)
        click.echo(health.format_states(states))
        if html_path:
            report.write_html_report(db.conn, html_path, known_sources=known)
            click.echo(f"report written to {html_path}")
    sys.exit(EXIT_CRAWL_PROBLEM if any(not s.healthy for s in states) else 0)


@click.command()
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

    with _read(db_path) as db:
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


@click.command()
@DB_OPTION
def stats(db_path: Path) -> None:
    """Count articles, revisions and pages per source, with each source's last run.

    \b
    Example:
      tjcrawl stats --db archive.db
    """
    with _read(db_path) as db:
        click.echo(_stats_text(db))


@click.command(name="serve")
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
