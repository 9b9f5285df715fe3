"""Questions to the archive's 招商引资 facts (`tjcrawl facts`): which projects, where, in which
industry, for how much, since when; read from the `fact_projects` view."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tjcrawl.storage.facts import PROJECT_KINDS, resolve_place, zone_and_parts

_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(千万|百万|十万|万|亿)?\s*元?")
_SCALE = {None: 1, "十万": 100_000, "万": 10_000, "百万": 1_000_000, "千万": 10**7, "亿": 10**8}


class FactQueryError(ValueError):
    """A question that cannot be asked (an unknown district or industry); one line."""


def parse_amount(text: str) -> float:
    """Yuan from 120000000, 1亿, 1.5亿元, 5000万, 3千万; ValueError otherwise."""
    match = _AMOUNT.fullmatch(text.strip().replace(",", ""))
    if match is None:
        raise ValueError(f"{text!r} is not an amount like 100000000, 1亿 or 5000万")
    return float(match.group(1)) * _SCALE[match.group(2)]


@dataclass
class FactQuery:
    district: str | None = None
    industry: str | None = None
    min_amount: float | None = None
    since: str | None = None
    kinds: Sequence[str] = PROJECT_KINDS
    limit: int = 100
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)


def _district_clause(conn: sqlite3.Connection, text: str) -> tuple[str, list[Any]]:
    """A district takes in its functional zones (they are in its `district_code`); a zone takes
    in the zones inside it (天津港保税区: 空港经济区, 临港经济区)."""
    district, zone = resolve_place(text)
    if district is not None:
        return "district_code = ?", [district]
    if zone is not None:
        zones = zone_and_parts(zone)
        return f"place_code IN ({', '.join('?' for _ in zones)})", zones
    known = conn.execute(
        "SELECT value FROM article_facts WHERE kind = 'place' AND district IS NOT NULL"
        " AND (name = ? OR value = ?) LIMIT 1",
        (text, text),
    ).fetchone()
    if known is None:
        raise FactQueryError(
            f"unknown district or zone {text!r}: give a district (滨海新区, 120116) or a"
            " functional zone (天津港保税区, 120116-02) of Tianjin"
        )
    return "place_code = ?", [known[0]]


def _industry_clause(conn: sqlite3.Connection, text: str) -> tuple[str, list[Any]]:
    found = conn.execute(
        "SELECT 1 FROM article_facts WHERE kind = 'industry' AND (value = ? OR name = ?) LIMIT 1",
        (text, text),
    ).fetchone()
    if found is None:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT coalesce(name, value) FROM article_facts"
                " WHERE kind = 'industry' ORDER BY 1 LIMIT 12"
            )
        ]
        known = f"known: {', '.join(names)}" if names else "the archive has no industry facts"
        raise FactQueryError(f"no industry {text!r} among the archive's facts ({known})")
    return "(industry_key = ? OR industry = ?)", [text, text]


def find(conn: sqlite3.Connection, query: FactQuery) -> list[dict[str, Any]]:
    """The facts answering `query`, newest article first, in reading order within one."""
    where = [f"kind IN ({', '.join('?' for _ in query.kinds)})"]
    params: list[Any] = list(query.kinds)
    if query.district:
        clause, values = _district_clause(conn, query.district)
        where.append(clause)
        params += values
    if query.industry:
        clause, values = _industry_clause(conn, query.industry)
        where.append(clause)
        params += values
    if query.min_amount is not None:
        where.append("amount_yuan >= ?")
        params.append(query.min_amount)
    if query.since:
        where.append("published_at >= ?")
        params.append(query.since)
    sql = (
        f"SELECT * FROM fact_projects WHERE {' AND '.join(where)}"
        " ORDER BY published_at DESC, article_id DESC, fact_id LIMIT ?"
    )
    cursor = conn.execute(sql, [*params, query.limit])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def shown_amount(row: dict[str, Any]) -> str:
    """The fact's figure as an archivist reads it: 约120.5亿元, 31个, or the name."""
    if row["kind"] == "money":
        if row["amount"] is not None and row["unit"]:
            number = f"{row['amount']:g}"
            return f"{row['qualifier'] or ''}{number}{row['unit']}"
        return f"{row['qualifier'] or ''}{float(row['value']):,.0f}元"
    if row["kind"] == "project_count":
        return f"{row['value']}个"
    return str(row["value"])


def shown_place(row: dict[str, Any]) -> str:
    if not row["place"]:
        return "-"
    if row["district"] and row["district"] != row["place"]:
        return f"{row['district']}/{row['place']}"
    return str(row["place"])
