"""`tjcrawl export`: articles as JSON lines or CSV, stored pages as WARC."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import click

from tjcrawl.atomic_write import atomic_output
from tjcrawl.cli.common import (
    DB_OPTION,
    _archive,
    _iso_day,
    _output_file,
    _read,
)
from tjcrawl.csv_safety import neutralised_row
from tjcrawl.storage.descriptions import ARTICLE_COLUMNS
from tjcrawl.storage.export_log import (
    ExportNotRecorded,
    last_exported,
    pending_upto,
    record_export,
)

# The current_articles view's columns, as documented, less the internal id.
EXPORT_COLUMNS = [column for column in ARTICLE_COLUMNS if column != "id"]


@click.command()
@click.argument(
    "out",
    required=False,
    metavar="[OUT]",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_output_file,
)
@DB_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "warc", "wacz"]),
    default="jsonl",
    show_default=True,
    help="jsonl or csv: the articles; warc: the stored raw pages (to OUT or -o, .gz = gzip);"
    " wacz: those pages, their index and the article list in one package (to OUT or -o).",
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
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_output_file,
    help="Write here instead of standard output (whole or not at all: written beside, renamed).",
)
@click.option(
    "--csv-raw",
    is_flag=True,
    help="CSV cells exactly as stored: no ' before cells a spreadsheet would run as formulas.",
)
@click.option(
    "--attachment-text",
    is_flag=True,
    help="jsonl: each attachment's text too (its metadata is always there).",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for a running crawl's write lock to record the export (see below).",
)
def export(
    out: Path | None,
    db_path: Path,
    fmt: str,
    source: str | None,
    since: str | None,
    incremental: bool,
    output: Path | None,
    csv_raw: bool,
    attachment_text: bool,
    lock_timeout: float,
) -> None:
    """Export articles (the current_articles view) as JSON lines or CSV, UTF-8, in change order;
    or the stored raw pages as a WARC file.

    Every article export is recorded, so --changed-since-last-export hands over only what is
    new, changed or withdrawn since the previous one: an unchanged crawl exports nothing.
    --format warc writes every stored page as WARC/1.1 request and response records (exact
    bytes, headers, fetch times) for pywb and other wayback tools; --format wacz packs that
    WARC with its CDXJ index and the list of article pages (title, date, URL) as a WACZ file
    for ReplayWeb.page. Neither is recorded.

    A JSON line carries the article's attachments: url, name, type, size, sha256, state,
    pages and method of each file (and its text with --attachment-text); --format warc has
    the stored attachment files too, as response records with their exact bytes.

    CSV is safe to open in a spreadsheet: a text cell that starts (after any spaces) with
    =, +, -, @, tab or CR gets a leading ' so that it shows as text instead of running as a
    formula (OWASP's CSV-injection rule). --csv-raw writes the cells as stored.

    An export may run while a crawl writes: it reads one snapshot of the archive (the
    articles committed when it began; a crawl commits every few seconds) and never waits for
    the crawl. Only recording the export waits for the crawl's write lock, up to
    --lock-timeout; if the lock is still taken then, the record goes to ARCHIVE.exports-pending
    beside the archive (a warning says so, the exit status is still 0) and the next export
    moves it into the archive, so the next --changed-since-last-export neither repeats nor
    skips an article.

    \b
    Examples:
      tjcrawl export --format jsonl -o articles.jsonl
      tjcrawl export --attachment-text -o articles-and-attachments.jsonl
      tjcrawl export --changed-since-last-export -o delta.jsonl
      tjcrawl export --format csv --source demo_trs --since 2025-01-01 > trs.csv
      tjcrawl export --format warc pages.warc.gz
      tjcrawl export --format wacz archive.wacz
    """
    from tjcrawl import clock

    if out and output and out != output:
        raise click.UsageError("give the output file once: OUT or --output")
    if csv_raw and fmt != "csv":
        raise click.UsageError("--csv-raw applies to --format csv only")
    if attachment_text and fmt != "jsonl":
        raise click.UsageError("--attachment-text applies to --format jsonl only")
    output = output or out
    if fmt in ("warc", "wacz"):
        _export_pages(fmt, db_path, source, since, incremental, output)
        return
    with _archive(db_path):
        pass  # not an archive, a newer one: one line; an older one is migrated first
    # Read before the snapshot begins (see tjcrawl.storage.export_log).
    pending = pending_upto(db_path) if incremental else 0
    with _read(db_path) as db:
        # One snapshot: the change number recorded and the rows written agree, whatever a
        # running crawl commits meanwhile.
        upto = int(
            db.execute("SELECT value FROM tjcrawl_meta WHERE key = 'change_seq'").fetchone()[0]
        )
        start = last_exported(db.conn, pending) if incremental else 0
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
        rows = db.query(sql, params)
        if fmt == "jsonl":
            rows = _with_attachments(db.conn, rows, attachment_text)
        if output:
            # Recorded only once the file is complete under its name: an interrupted export
            # leaves the previous file and the previous export's change_seq.
            with atomic_output(output, "w", encoding="utf-8", newline="") as handle:
                written = _write_rows(handle, fmt, rows, csv_raw, db.conn)
        else:
            written = _write_rows(sys.stdout, fmt, rows, csv_raw, db.conn)
    row = {
        "format": fmt,
        "target": str(output) if output else "stdout",
        "exported_at": clock.now_iso(),
        "from_change_seq": start,
        "upto_change_seq": upto,
        "articles": written,
    }
    if output:
        click.echo(f"{written} articles -> {output}", err=True)
    _record(db_path, row, lock_timeout)


def _record(db_path: Path, row: dict[str, Any], lock_timeout: float) -> None:
    """Record the export in the archive, or beside it when a crawl keeps the write lock."""
    import sqlite3

    from tjcrawl.storage.archive import write_error_text

    not_recorded = (
        "the export is complete but not recorded, so the next --changed-since-last-export"
        " hands over its articles again"
    )
    try:
        pending = record_export(db_path, row, lock_timeout)
    except ExportNotRecorded as exc:
        raise click.ClickException(f"{not_recorded}: {exc}") from None
    except sqlite3.Error as exc:
        raise click.ClickException(f"{not_recorded}: {write_error_text(exc, db_path)}") from None
    if pending is not None:
        click.echo(
            f"Warning: {db_path} stayed locked by a writer for {lock_timeout:g} s; this export"
            f" is recorded in {pending} and moves into the archive at the next export",
            err=True,
        )


def _with_attachments(
    conn: Any, rows: Iterable[dict[str, Any]], with_text: bool
) -> Iterable[dict[str, Any]]:
    from tjcrawl.storage.attachments import article_attachments

    for row in rows:
        yield row | {"attachments": article_attachments(conn, row["url"], with_text)}


def _write_rows(
    handle: IO[str],
    fmt: str,
    rows: Iterable[dict[str, Any]],
    csv_raw: bool = False,
    conn: Any = None,
) -> int:
    """Write the articles; a JSONL line also carries the article's 招商引资 facts (a CSV row
    has no room for a list)."""
    from tjcrawl.storage.facts import exported_facts

    written = 0
    writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for row in rows:
        if writer:
            writer.writerow(row if csv_raw else neutralised_row(row))
        else:
            if conn is not None:
                row = {**row, "facts": exported_facts(conn, row["url"])}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        written += 1
    return written


def _export_pages(
    fmt: str,
    db_path: Path,
    source: str | None,
    since: str | None,
    incremental: bool,
    output: Path | None,
) -> None:
    if since or incremental:
        raise click.UsageError(
            f"--since and --changed-since-last-export select articles, not {fmt.upper()}"
        )
    if output is None:
        raise click.UsageError(f"--format {fmt} needs a file: tjcrawl export --format {fmt} OUT")
    from tjcrawl.storage.compression import PageUnreadable

    with _read(db_path) as db:
        try:
            _write_pages(fmt, db.conn, output, source)
        except PageUnreadable as exc:  # never garbage bytes in a WARC; nothing written
            raise click.ClickException(f"{output} not written: {exc}") from None


def _write_pages(fmt: str, conn: Any, output: Path, source: str | None) -> None:
    if fmt == "wacz":
        from tjcrawl.wacz import write_wacz

        summary = write_wacz(conn, output, source)
        click.echo(f"{summary.pages} pages, {summary.articles} article pages -> {output}", err=True)
        return
    from tjcrawl.warc import write_warc

    counts: dict[str, int] = {}
    pages = write_warc(conn, output, source, counts=counts)
    click.echo(f"{pages} pages, {counts['attachments']} attachment files -> {output}", err=True)
