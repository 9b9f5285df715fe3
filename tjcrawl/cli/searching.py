"""`tjcrawl search`: articles and attachment files whose text contains a query."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from tjcrawl.cli.common import DB_OPTION, _iso_day, _read


@click.command()
@click.argument("query")
@DB_OPTION
@click.option("--source", help="Only this source (slug).")
@click.option("--since", callback=_iso_day, help="Published on or after this day (2025-08-01).")
@click.option("--until", callback=_iso_day, help="Published before this day.")
@click.option(
    "--in",
    "where",
    type=click.Choice(["all", "articles", "attachments"]),
    default="all",
    show_default=True,
    help="Search articles' title and body, attachment files' text, or both.",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--order", type=click.Choice(["rank", "newest"]), default="rank", show_default=True)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object: total and hits (articles), and attachments: {total, hits}.",
)
@click.option(
    "--sql",
    "as_sql",
    is_flag=True,
    help="Print an SQL statement for plain sqlite3 that finds every article match (with --in"
    " attachments: every attachment match); search nothing.",
)
def search(
    query: str,
    db_path: Path,
    source: str | None,
    since: str | None,
    until: str | None,
    where: str,
    limit: int,
    order: str,
    as_json: bool,
    as_sql: bool,
) -> None:
    """Find articles whose title or body, and attachment files (PDF, Word, Excel …) whose
    text, contains QUERY (any length, Chinese or not).

    Finds exactly what a substring scan finds, one-character queries included. A hit inside
    an attachment shows the file's name and the article that links it; --source, --since and
    --until keep attachments linked from such an article.

    \b
    Examples:
      tjcrawl search 天津
      tjcrawl search 招商引资 --source demo_trs --since 2024-01-01 --json
      tjcrawl search 华东重工 --in attachments
      tjcrawl search 天津 --sql | sqlite3 archive.db
    """
    from tjcrawl.storage.search import search as run_search
    from tjcrawl.storage.search import search_sql
    from tjcrawl.storage.search.attachments import attachment_search_sql, search_attachments

    if not query.strip():
        raise click.BadParameter("the query is empty", param_hint="QUERY")
    filters: dict[str, Any] = {"source": source, "since": since, "until": until}
    with _read(db_path) as db:
        if as_sql:  # the archive's own fold table spells the query
            make = attachment_search_sql if where == "attachments" else search_sql
            click.echo(make(db.conn, query, order=order, **filters))
            return
        result = attached = None
        if where != "attachments":
            result = run_search(db.conn, query, limit=limit, order=order, **filters)
        if where != "articles":
            attached = search_attachments(db.conn, query, limit=limit, order=order, **filters)
    if as_json:
        payload: dict[str, Any] = {
            "query": query,
            "total": result.total if result else 0,
            "hits": [hit.__dict__ for hit in result.hits] if result else [],
        }
        if attached is not None:
            payload["attachments"] = {
                "total": attached.total,
                "hits": [
                    hit.__dict__ | {"articles": [a.__dict__ for a in hit.articles]}
                    for hit in attached.hits
                ],
            }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if result is not None:
        click.echo(f"{result.total} articles contain {query!r}")
        for hit in result.hits:
            click.echo(
                f"\n{hit.published_at or '(no date)'}  {hit.source}  {hit.title}\n  {hit.url}"
            )
            click.echo(f"  {hit.snippet}")
    if attached is not None:
        if result is not None:
            click.echo("")
        click.echo(f"{attached.total} attachments contain {query!r}")
        for found in attached.hits:
            click.echo(f"\n附件 {found.name}  ({found.state})\n  {found.url}")
            for article in found.articles[:3]:
                click.echo(
                    f"  in: {article.published_at or '(no date)'}  {article.source}"
                    f"  {article.title}  {article.url}"
                )
            if len(found.articles) > 3:
                click.echo(f"  … and {len(found.articles) - 3} more articles")
            click.echo(f"  {found.snippet}")


#: A word in the demo's attachment (fixtures/demo_trs, tools/make_demo_attachments.py) only.
DEMO_ATTACHMENT_WORD = "投资服务专员"


def demo_search_lines(conn: Any, db_path: Path) -> list[str]:
    """The demo summary's searches: 招商引资 in the articles, and a word that only an
    attachment file holds, found with the file's name and its article."""
    from tjcrawl.storage.search import search as run_search
    from tjcrawl.storage.search.attachments import search_attachments

    result = run_search(conn, "招商引资", limit=3)
    lines = [f"\nExample: tjcrawl search 招商引资 --db {db_path}  ({result.total} articles)"]
    lines += [f"  {h.published_at or '':25.25} {h.source:12} {h.title}" for h in result.hits]
    word = DEMO_ATTACHMENT_WORD
    in_articles = run_search(conn, word, limit=1).total
    attached = search_attachments(conn, word, limit=3)
    lines.append(
        f"\nInside attachments: tjcrawl search {word} --db {db_path}"
        f"  ({in_articles} articles, {attached.total} attachment files)"
    )
    for hit in attached.hits:
        article = hit.articles[0].title if hit.articles else "(no article)"
        lines.append(f"  附件 {hit.name}  in: {article}")
        lines.append(f"    {hit.snippet}")
    return lines
