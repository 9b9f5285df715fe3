"""`tjcrawl facts`: the archive's 招商引资 facts (signed projects, amounts, places,
industries), read-only."""

from __future__ import annotations

import json

import click

from tjcrawl.cli.common import DB_OPTION, _iso_day, _read
from tjcrawl.storage.facts import PROJECT_KINDS


def _amount(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    from tjcrawl.storage.fact_queries import parse_amount

    if value is None:
        return None
    try:
        return parse_amount(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@DB_OPTION
@click.option(
    "--district",
    metavar="NAME|CODE",
    help="A district (滨海新区, 120116), its functional zones included, or a zone"
    " (保税区, 120116-02).",
)
@click.option("--industry", metavar="NAME|KEY", help="An industry by its name or taxonomy key.")
@click.option(
    "--min-amount",
    callback=_amount,
    metavar="YUAN",
    help="Only money of at least this many yuan: 100000000, 1亿, 5000万.",
)
@click.option("--since", callback=_iso_day, help="Articles published on or after this day.")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(PROJECT_KINDS),
    help="Only facts of this kind (repeatable); default: all of them.",
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the facts, as rows.")
def facts(
    db_path: click.Path,
    district: str | None,
    industry: str | None,
    min_amount: float | None,
    since: str | None,
    kinds: tuple[str, ...],
    limit: int,
    as_json: bool,
) -> None:
    """List the 招商引资 facts of the archive: amounts, signed-project counts, parties and
    projects, each with its article, place, industry and the sentence it came from.

    A place is the one named in the fact's sentence, else the article's first; a district
    takes in its functional zones (滨海新区: 天津港保税区, 经开区, 生态城 …; docs/facts.md).
    Read-only.

    \b
    Examples:
      tjcrawl facts --district 滨海新区
      tjcrawl facts --industry 生物医药 --min-amount 1亿 --since 2025-01-01
      tjcrawl facts --district 保税区 --kind money --json
    """
    from tjcrawl.storage.fact_queries import (
        FactQuery,
        FactQueryError,
        find,
        shown_amount,
        shown_place,
    )

    query = FactQuery(
        district=district,
        industry=industry,
        min_amount=min_amount,
        since=since,
        kinds=kinds or PROJECT_KINDS,
        limit=limit,
    )
    with _read(db_path) as db:  # type: ignore[arg-type]
        try:
            rows = find(db.conn, query)
        except FactQueryError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"facts": rows}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{len(rows)} facts" + (f" (the first {limit})" if len(rows) == limit else ""))
    for row in rows:
        day = (row["published_at"] or "")[:10] or "(no date)"
        click.echo(
            f"\n{day}  {shown_place(row)}  {row['industry'] or '-'}  {shown_amount(row)}"
            f"  {row['role'] or row['kind']}  {row['title']}"
        )
        click.echo(f"  {row['sentence']}")
