"""Scope tokens: each article's source and publish day, indexed beside its text, so that a query
filtered by source or date is one FTS5 intersection instead of a join of every match.

An article's index rows (in ``articles_search`` and ``articles_search_chars``) end with:

* ``zzzzzs`` + the hex of its source's UTF-8 bytes (one token, whatever the slug holds);
* for a ``published_at`` whose first ten characters are a calendar date ``YYYY-MM-DD``, the
  year ``zzzzzyYYYY``, the month ``zzzzzmYYYYMM`` and the day ``zzzzzdYYYYMMDD``; for any
  other non-NULL ``published_at``, ``zzzzzdx``.

They never meet a text token: those are four base-36 digits (a character) or eight (a
bigram), and only END (``zzzz``) starts with ``z``, while a scope token starts with five.

A source or date filter is exact SQL on ``articles`` (``published_at >= since``, string
order). It maps onto the tokens as whole years, months and days that lie wholly inside it
(their articles need no further test) and *edge* days that the bounds cut (a bound with a
time of day), plus ``zzzzzdx``: the articles under edge tokens are joined to ``articles`` and
tested by the SQL filter. The count of 天津 in one source at a million articles is then
FTS5's intersection of two doclists (~10 ms), not a join of its 941,958 matches (~250 ms).

The tokens are read from each article's row when it is indexed and when it is unindexed, so
an article is unindexed before its row changes or goes (as `Archive` does) and indexed
after. ``tjcrawl_meta`` key ``search_scope_tokens`` says every row of the index holds them
(`create_index` sets it; migration 25 indexes an older archive again); without it search
joins the filter as before.
"""

from __future__ import annotations

import sqlite3
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

SCOPES_KEY = "search_scope_tokens"
_PREFIX = "zzzzz"
_YEAR, _MONTH = _PREFIX + "y", _PREFIX + "m"
ODD_DATE = _PREFIX + "dx"
SCOPE_GLOB = _PREFIX + "[dmsy]*"  # every scope token, as a GLOB over index terms
# A filter whose dates span more years than this is joined as before (a cover of thousands
# of year tokens costs more than it saves).
MOST_YEARS = 400


def source_token(source: str) -> str:
    return f"{_PREFIX}s{source.encode('utf-8', 'surrogatepass').hex()}"


def _day(published_at: str) -> date | None:
    head = published_at[:10]
    try:
        day = date.fromisoformat(head)
    except ValueError:
        return None
    return day if day.isoformat() == head else None


def _year(y: int) -> str:
    return f"{_YEAR}{y:04d}"


def _month(y: int, m: int) -> str:
    return f"{_MONTH}{y:04d}{m:02d}"


def _day_token(d: date) -> str:
    return f"{_PREFIX}d{d.year:04d}{d.month:02d}{d.day:02d}"


def scope_tokens(source: str | None, published_at: str | None) -> str:
    """The scope tokens of an article with this source and publish date, space-separated."""
    tokens = [source_token(source)] if source is not None else []
    if published_at is not None:
        day = _day(published_at)
        if day is None:
            tokens.append(ODD_DATE)
        else:
            tokens += [_year(day.year), _month(day.year, day.month), _day_token(day)]
    return " ".join(tokens)


def scoped(conn: sqlite3.Connection) -> bool:
    """Whether every row of this archive's index holds its article's scope tokens."""
    try:
        row = conn.execute("SELECT value FROM tjcrawl_meta WHERE key = ?", (SCOPES_KEY,)).fetchone()
    except sqlite3.OperationalError:
        return False
    return row is not None and row[0] == "1"


def scopes_of(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str]:
    """The scope tokens of these articles as their rows hold them now, by id ({} when the
    index holds none)."""
    if not ids or not scoped(conn):
        return {}
    found: dict[int, str] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for article_id, source, published_at in conn.execute(
            f"SELECT id, source, published_at FROM articles WHERE id IN ({marks})", chunk
        ):
            found[article_id] = scope_tokens(source, published_at)
    return found


def with_scopes(
    rows: Sequence[tuple[int, str, str]], scopes: dict[int, str]
) -> list[tuple[int, str, str]]:
    """(id, bigrams, chars) rows with each article's scope tokens added to both streams."""
    if not scopes:
        return list(rows)
    out = []
    for rowid, bigrams, chars in rows:
        scope = scopes.get(rowid)
        if scope:
            bigrams = f"{bigrams} {scope}" if bigrams else scope
            chars = f"{chars} {scope}" if chars else scope
        out.append((rowid, bigrams, chars))
    return out


@dataclass(frozen=True)
class ScopeMatch:
    """A filter as scope tokens: its source's (or None), the years, months and days wholly
    inside it (``whole``: their articles need no further test) and the ``edge`` ones whose
    articles the SQL filter must still test. A date filter has at least the edge ODD_DATE."""

    source: str | None
    whole: tuple[str, ...] = ()
    edge: tuple[str, ...] = ()
    dated: bool = False

    def _spelled(self, tokens: tuple[str, ...]) -> str | None:
        if not tokens:
            return self.source if not self.dated else None
        any_of = tokens[0] if len(tokens) == 1 else "(" + " OR ".join(tokens) + ")"
        return f"{self.source} AND {any_of}" if self.source else any_of

    @property
    def whole_match(self) -> str | None:
        """MATCH expression of the articles wholly inside (None: there are none)."""
        return self._spelled(self.whole)

    @property
    def edge_match(self) -> str | None:
        return self._spelled(self.edge) if self.edge else None

    @property
    def either(self) -> str:
        spelled = [e for e in (self.whole_match, self.edge_match) if e]
        return " OR ".join(f"({e})" for e in spelled) or ODD_DATE


def scope_match(
    conn: sqlite3.Connection, source: str | None, since: str | None, until: str | None
) -> ScopeMatch | None:
    """The filter's scope tokens; None when the index holds none, there is no filter, or the
    dates span more than MOST_YEARS years."""
    if not (source or since or until) or not scoped(conn):
        return None
    source_part = source_token(source) if source else None
    if not (since or until):
        return ScopeMatch(source=source_part)
    years = _year_range(conn, since or None, until or None)
    if years is None:
        return None
    whole, edge = _cover(since or None, until or None, *years)
    return ScopeMatch(source_part, tuple(whole), (*edge, ODD_DATE), dated=True)


def _year_range(
    conn: sqlite3.Connection, since: str | None, until: str | None
) -> tuple[int, int] | None:
    """Years that hold every dated article the filter can keep (from the date index)."""
    # A date starts with a digit: strings that do not (sorted apart, two lookups in the
    # date index) are no calendar date and under the edge token ODD_DATE anyway.
    low, high = conn.execute(
        "SELECT (SELECT min(published_at) FROM articles WHERE published_at >= '0'),"
        " (SELECT max(published_at) FROM articles WHERE published_at < ':')"
    ).fetchone()
    if low is None:
        return (1, 0)  # nothing dated: an empty cover
    first = _year_of(low, 1)
    last = _year_of(high, 9999)
    if since:
        first = max(first, _year_of(since, 1))
    if until:
        last = min(last, _year_of(until, 9999))
    if last - first > MOST_YEARS:
        return None
    return first, last


def _year_of(text: str, otherwise: int) -> int:
    # A string that starts with four digits sorts among the dates of that year; anything
    # else gives the widest bound, which only makes the cover larger.
    head = text[:4]
    return max(1, int(head)) if len(head) == 4 and head.isdigit() else otherwise


def _cover(since: str | None, until: str | None, first: int, last: int) -> tuple[list, list]:
    """(whole, edge) tokens: years, months and days wholly inside [since, until) in string
    order, and the days that a bound cuts."""

    def inside(day: str) -> bool:  # every published_at starting with `day` passes
        above_since = since is None or since <= day
        below_until = until is None or (until > day and not until.startswith(day))
        return above_since and below_until

    def outside(first_day: str, last_day: str) -> bool:  # none from first_day to last_day
        before = since is not None and since > last_day and not since.startswith(last_day)
        after = until is not None and until <= first_day
        return before or after

    whole: list[str] = []
    edge: list[str] = []
    for y in range(first, last + 1):
        start, end = date(y, 1, 1).isoformat(), date(y, 12, 31).isoformat()
        if outside(start, end):
            continue
        if inside(start) and inside(end):
            whole.append(_year(y))
            continue
        for m in range(1, 13):
            days = monthrange(y, m)[1]
            start, end = date(y, m, 1).isoformat(), date(y, m, days).isoformat()
            if outside(start, end):
                continue
            if inside(start) and inside(end):
                whole.append(_month(y, m))
                continue
            for d in range(1, days + 1):
                day = date(y, m, d)
                text = day.isoformat()
                if inside(text):
                    whole.append(_day_token(day))
                elif not outside(text, text):
                    edge.append(_day_token(day))
    return whole, edge
