"""招商引资 facts in the archive: the `article_facts` table and its `fact_projects` view, the
places' containment (a functional zone lies in a district), and writing an article's facts.

Facts belong to an article's current version: they are replaced whenever the article is
written new or changed, and whenever an attachment of it gets its text, and `tjcrawl reextract`
recomputes those whose finder or text changed (the digest of `tjcrawl.storage.facts_digest`).
Finding them (`tjcrawl.extract.facts`) is never allowed to cost the article: a finder that
raises leaves the article stored, a `facts_failed` fault row and a count.

Place codes (docs/facts.md): Tianjin's districts by their 6-digit administrative code, a
functional zone by the code of the district it lies in plus ``-NN`` (天津港保税区 120116-02), so
that a question about 滨海新区 also finds what was signed in 天津港保税区; `ZONES` names them
and says which zone lies in which.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlite_utils

from tjcrawl.extract.facts.terms import places_table
from tjcrawl.storage import facts_digest as digests

logger = logging.getLogger(__name__)

#: Tianjin's 16 districts by administrative code (GB/T 2260), from the finder's places.toml.
DISTRICTS: dict[str, str] = {
    place["code"]: place["name"] for place in places_table()["place"] if place["kind"] == "district"
}
#: Other names of the districts the finder knows (东丽湖, 西青): code -> names.
DISTRICT_ALIASES: dict[str, tuple[str, ...]] = {
    place["code"]: tuple(place["aliases"])
    for place in places_table()["place"]
    if place["kind"] == "district"
}
#: Functional zones as docs/facts.md codes them, from the finder's places.toml (one list, so a
#: zone added there is found and queried alike): the code of the district they lie in plus
#: "-NN"; code -> (name, other names, the zone it lies in, if any). 空港 and 临港 are
#: administered by 天津港保税区, the 自贸试验区's 片区 lie within it.
ZONES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    place["code"]: (
        place["name"],
        tuple(alias for alias in place["aliases"] if alias != place["name"]),
        place.get("parent"),
    )
    for place in places_table()["place"]
    if place["kind"] == "zone"
}

#: The kinds the `fact_projects` view lists; places and industries are its columns.
PROJECT_KINDS = ("money", "project_count", "project", "party")
#: Amount ranges of the view's `amount_range` (yuan, lower bound, label), for Datasette facets.
AMOUNT_RANGES = (
    (10_000_000_000, "≥100亿"),
    (1_000_000_000, "10亿–100亿"),
    (100_000_000, "1亿–10亿"),
    (10_000_000, "1000万–1亿"),
    (0, "<1000万"),
)


def district_of(code: str | None) -> str | None:
    """The district code holding a place code (a zone's code starts with its district's);
    None for a place outside Tianjin's districts (a province, another city, Tianjin as a
    whole)."""
    if not code:
        return None
    district, _, rest = code.partition("-")
    if district in DISTRICTS and (not rest or code == district + "-" + rest):
        return district
    return None


def zone_and_parts(code: str) -> list[str]:
    """A zone's code and those of the zones inside it (保税区: 空港, 临港)."""
    found = [code]
    for zone, (_, _, parent) in ZONES.items():
        if parent is not None and parent in found and zone not in found:
            found.append(zone)
    return found


def resolve_place(text: str) -> tuple[str | None, str | None]:
    """A district or zone given by code or name: (district code, zone code); (None, None) when
    it is neither. A district's name may leave out 区 (滨海新, 和平)."""
    text = text.strip()
    if text in DISTRICTS:
        return text, None
    if text in ZONES or ("-" in text and district_of(text) is not None):
        return None, text
    for code, name in DISTRICTS.items():
        if text in (name, name.removesuffix("区"), name.removesuffix("新区")):
            return code, None
        if text in DISTRICT_ALIASES[code]:
            return code, None
    for code, (name, others, _) in ZONES.items():
        if text == name or text in others:
            return None, code
    return None, None


def extractor_version() -> str:
    """`facts-` and a hash of the finder's own files: facts computed by another finder are
    told apart without anyone having to remember to bump a number."""
    return f"facts-{digests.finder_fingerprint()[:12]}"


# -- the schema ---------------------------------------------------------------------------------
def _amount_range_sql(column: str) -> str:
    cases = " ".join(f"WHEN {column} >= {low} THEN '{label}'" for low, label in AMOUNT_RANGES)
    return f"CASE WHEN {column} IS NULL THEN NULL {cases} END"


def _district_name_sql(column: str) -> str:
    cases = " ".join(f"WHEN '{code}' THEN '{name}'" for code, name in DISTRICTS.items())
    return f"CASE {column} {cases} END"


def _nearest(kind: str, where: str = "") -> str:
    """The id of the article's fact of `kind` in the same sentence as f, else its first.
    (Two lookups: SQLite does not let a subquery's ORDER BY name the outer row.)"""
    first = (
        f"SELECT x.id FROM article_facts x WHERE x.article_id = f.article_id"
        f" AND x.kind = '{kind}'{where}"
    )
    same = " AND x.field = f.field AND x.sentence_start = f.sentence_start"
    return f"coalesce(({first}{same} ORDER BY x.id LIMIT 1), ({first} ORDER BY x.id LIMIT 1))"


# A money fact's value is in its currency's base unit (docs/facts.md: no exchange rate is
# invented), so only an amount in yuan is one in yuan.
_YUAN = (
    "CASE WHEN f.kind = 'money' AND coalesce(f.currency, 'CNY') = 'CNY'"
    " THEN CAST(f.value AS REAL) END"
)
FACT_PROJECTS_VIEW = f"""CREATE VIEW fact_projects AS
    SELECT f.id AS fact_id, f.article_id, a.title, a.url, a.source, a.published_at,
           substr(a.published_at, 1, 4) AS year, f.kind, f.role, f.value,
           {_YUAN} AS amount_yuan, {_amount_range_sql(_YUAN)} AS amount_range,
           f.amount, f.unit, f.currency, f.qualifier,
           p.name AS place, p.value AS place_code,
           {_district_name_sql("p.district")} AS district, p.district AS district_code,
           i.name AS industry, i.value AS industry_key,
           f.sentence, f.field, f.confidence
    FROM (
      SELECT f.*, {_nearest("place", " AND x.district IS NOT NULL")} AS place_id,
             {_nearest("industry")} AS industry_id
      FROM article_facts f
      WHERE f.kind IN ({", ".join(f"'{k}'" for k in PROJECT_KINDS)})
    ) f
    JOIN articles a ON a.id = f.article_id
    LEFT JOIN article_facts p ON p.id = f.place_id
    LEFT JOIN article_facts i ON i.id = f.industry_id"""


def create_fact_tables(db: sqlite_utils.Database) -> None:
    """The migration: `article_facts` and the `fact_projects` view (re-runnable)."""
    if "article_facts" not in db.table_names():
        db["article_facts"].create(
            {
                "id": int,
                "article_id": int,
                "url": str,
                "kind": str,
                "value": str,
                "name": str,
                "role": str,
                "unit": str,
                "currency": str,
                "amount": float,
                "qualifier": str,
                "surface": str,
                "field": str,
                "start": int,
                "end": int,
                "sentence_start": int,
                "sentence_end": int,
                "sentence": str,
                "district": str,
                "method": str,
                "confidence": float,
                "extractor": str,
            },
            pk="id",
            not_null={"article_id", "url", "kind", "value", "field"},
            foreign_keys=[("article_id", "articles", "id")],
        )
        db["article_facts"].create_index(["kind", "value"])
        db["article_facts"].create_index(["article_id", "kind"])
    if "fact_projects" not in db.view_names():
        db.execute(FACT_PROJECTS_VIEW)


# -- writing ------------------------------------------------------------------------------------
INSERT_SQL = (
    "INSERT INTO article_facts (article_id, url, kind, value, name, role, unit, currency,"
    ' amount, qualifier, surface, field, start, "end", sentence_start, sentence_end,'
    " sentence, district, method, confidence, extractor)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def fact_rows(
    article_id: int, url: str, facts: Iterable[Any], texts: Mapping[str, str]
) -> list[tuple[Any, ...]]:
    """Rows of article_facts; `texts` holds each field's text, for the sentence."""
    version = extractor_version()
    rows = []
    for fact in facts:
        text = texts.get(fact.field, "")
        sentence = text[fact.sentence_start : fact.sentence_end].strip()
        district = district_of(fact.value) if fact.kind == "place" else None
        rows.append(
            (
                article_id,
                url,
                fact.kind,
                str(fact.value),
                fact.name,
                fact.role,
                fact.unit,
                fact.currency,
                fact.amount,
                fact.qualifier,
                fact.surface,
                fact.field,
                fact.start,
                fact.end,
                fact.sentence_start,
                fact.sentence_end,
                sentence,
                district,
                fact.method,
                fact.confidence,
                version,
            )
        )
    return rows


def attachment_texts(conn: sqlite3.Connection, article_id: int) -> dict[str, str]:
    """The text read from each of the article's attachments that has some."""
    return attachment_texts_of(conn, [article_id]).get(article_id, {})


def attachment_texts_of(
    conn: sqlite3.Connection, article_ids: Sequence[int]
) -> defaultdict[int, dict[str, str]]:
    """`attachment_texts` of several articles in one query, by article id."""
    texts: defaultdict[int, dict[str, str]] = defaultdict(dict)
    for article_id, url, text in conn.execute(
        "SELECT a.article_id, t.url, t.text FROM attachments a JOIN attachment_texts t"
        f" ON t.url = a.url WHERE a.article_id IN ({','.join('?' * len(article_ids))})"
        " AND t.state = 'ok' AND coalesce(t.text, '') != '' ORDER BY a.article_id, a.url",
        list(article_ids),
    ):
        texts[article_id][url] = text
    return texts


def write_facts(
    conn: sqlite3.Connection,
    article_id: int,
    url: str,
    title: str,
    body: str,
    attachments: Mapping[str, str],
    *,
    replace: bool = True,
    digest: str | None = None,
) -> int:
    """Find the article's facts (title, body, attachments' text) and store them, in place of
    its old ones when `replace`, with the digest of what they were computed from
    (`tjcrawl.storage.facts_digest`; `digest` when the caller has it already); how many.
    Raises what the finder raises, having changed nothing."""
    from tjcrawl.extract.facts import extract_facts

    facts = extract_facts(title, body, attachments=dict(attachments) or None)
    texts = {"title": title, "body": body}
    texts.update({f"attachment:{u}": text for u, text in attachments.items()})
    rows = fact_rows(article_id, url, facts, texts)
    if replace:
        conn.execute("DELETE FROM article_facts WHERE article_id = ?", (article_id,))
    if rows:
        conn.executemany(INSERT_SQL, rows)
    if digest is None:
        digest = digests.facts_digest(title, body, attachments)
    conn.execute(digests.UPSERT_SQL, (article_id, digest))
    return len(rows)


def replace_facts(conn: sqlite3.Connection, article_id: int) -> int:
    """`write_facts` for a stored article, read back from the archive."""
    found = conn.execute(
        "SELECT url, title, body FROM articles WHERE id = ?", (article_id,)
    ).fetchone()
    if found is None:
        return 0
    url, title, body = found
    texts = attachment_texts(conn, article_id)
    return write_facts(conn, article_id, url, title or "", body or "", texts)


def failure_detail(exc: BaseException) -> str:
    return f"facts: {type(exc).__name__}: {exc}"[:500]


def articles_linking(conn: sqlite3.Connection, attachment_url: str) -> list[int]:
    rows = conn.execute("SELECT article_id FROM attachments WHERE url = ?", (attachment_url,))
    return [r[0] for r in rows]


FAULT_KIND = "facts_failed"
#: What `tjcrawl export --format jsonl` gives of each fact, in its "facts" list.
EXPORT_FIELDS = (
    "kind",
    "value",
    "name",
    "role",
    "amount",
    "unit",
    "currency",
    "qualifier",
    "field",
    "start",
    "end",
    "confidence",
)


def exported_facts(conn: sqlite3.Connection, article_url: str) -> list[dict[str, Any]]:
    """The article's facts as the JSONL export lists them, in reading order."""
    columns = ", ".join(f'"{name}"' for name in EXPORT_FIELDS)
    rows = conn.execute(
        f"SELECT {columns} FROM article_facts"
        " WHERE article_id = (SELECT id FROM articles WHERE url = ?) ORDER BY id",
        (article_url,),
    )
    return [dict(zip(EXPORT_FIELDS, row, strict=True)) for row in rows]


def store_facts(
    archive: Any,
    ledger: Any,
    run_id: str,
    article_id: int,
    source: str,
    url: str,
    *,
    article: Mapping[str, Any] | None = None,
    linked: bool = True,
    replace: bool = True,
    texts: Mapping[str, str] | None = None,
    digest: str | None = None,
) -> int | None:
    """The article's facts, in the archive's open transaction: from `article` (its title and
    body as just stored, which saves reading them back) or else from the archive; with the
    text of its attachments unless it has no links (`linked`); in place of its old facts
    when `replace` (a new article has none: one statement fewer on the writer thread).
    `texts` (the attachments' text by URL) and `digest`, when the caller has read them.

    A finder that raises is a `facts_failed` fault row and a count (in `ledger`, when
    given), and the article keeps no facts of an older version and no digest (so that the
    next `reextract` tries it again). How many facts were stored
    (None: the finder failed). A failing write is not caught: it is the transaction's
    failure, counted as such."""
    archive._begin()
    try:
        if article is None:
            return replace_facts(archive.conn, article_id)
        if texts is None:
            texts = attachment_texts(archive.conn, article_id) if linked else {}
        title, body = article.get("title") or "", article.get("body") or ""
        return write_facts(
            archive.conn, article_id, url, title, body, texts, replace=replace, digest=digest
        )
    except sqlite3.Error:
        raise
    except Exception as exc:  # the finder's bug must not cost the article
        if replace:
            archive.conn.execute("DELETE FROM article_facts WHERE article_id = ?", (article_id,))
        archive.conn.execute(digests.DELETE_SQL, (article_id,))
        if ledger is not None:
            archive.tally(ledger, FAULT_KIND)
        archive.record_fault(
            run_id=run_id,
            source=source,
            url=url,
            kind=FAULT_KIND,
            status=None,
            detail=failure_detail(exc),
        )
        logger.warning("facts of %s: %s", url, failure_detail(exc))
        return None
    finally:
        archive._written()


#: What makes two computations of an article's facts the same facts (not the extractor).
_SAME_FACTS_SQL = (
    "SELECT kind, value, name, role, unit, currency, amount, qualifier, surface, field, start,"
    ' "end", confidence FROM article_facts WHERE article_id = ? ORDER BY id'
)


#: Articles whose text is read per query when recomputing (bounds memory on a large source).
RECOMPUTE_BATCH = 500


def recompute_source(archive: Any, run_id: str, source: str) -> tuple[int, int, int]:
    """`recompute_articles` for every article of `source` (`tjcrawl reextract`: the finder may
    have changed even where the text did not); (articles, facts they now have, articles whose
    finder failed in this run)."""
    conn = archive.conn
    ids = [r[0] for r in conn.execute("SELECT id FROM articles WHERE source = ?", (source,))]
    _, failed = recompute_articles(archive, run_id, sorted(ids))
    facts = conn.execute(
        "SELECT count(*) FROM article_facts"
        " WHERE article_id IN (SELECT id FROM articles WHERE source = ?)",
        (source,),
    ).fetchone()[0]
    return len(ids), facts, failed


def recompute_articles(archive: Any, run_id: str, article_ids: Sequence[int]) -> tuple[int, int]:
    """The articles' facts afresh where their digest (tjcrawl.storage.facts_digest: finder,
    title, body, attachments' text) differs from the stored one or is missing; an article
    whose inputs are the digest's is left as it is. (articles recomputed, of them those whose
    finder failed: a fault row each, under the article's source). An article whose facts came
    out different gets a new change number, so that `export --changed-since-last-export`
    hands downstream tools its new facts."""
    conn = archive.conn
    recomputed = failed = 0
    for start in range(0, len(article_ids), RECOMPUTE_BATCH):
        chunk = list(article_ids[start : start + RECOMPUTE_BATCH])
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT a.id, a.url, a.source, a.title, a.body, d.digest FROM articles a"
            f" LEFT JOIN {digests.TABLE} d ON d.article_id = a.id"
            f" WHERE a.id IN ({marks}) ORDER BY a.id",
            chunk,
        ).fetchall()
        attached = attachment_texts_of(conn, chunk)
        for article_id, url, source, title, body, stored in rows:
            title, body, texts = title or "", body or "", attached.get(article_id, {})
            digest = digests.facts_digest(title, body, texts)
            if digest == stored:
                continue
            recomputed += 1
            before = conn.execute(_SAME_FACTS_SQL, (article_id,)).fetchall()
            article = {"title": title, "body": body}
            count = store_facts(
                archive,
                None,
                run_id,
                article_id,
                source,
                url,
                article=article,
                texts=texts,
                digest=digest,
            )
            failed += count is None
            if conn.execute(_SAME_FACTS_SQL, (article_id,)).fetchall() != before:
                conn.execute(
                    "UPDATE articles SET change_seq = ? WHERE id = ?",
                    (archive._next_change(), article_id),
                )
    return recomputed, failed
