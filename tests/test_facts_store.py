"""招商引资 facts in the archive: computed on write, replaced with the article's version, never
costing the article, attachments' text included, and the fact_projects view's places."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from facts_archive import article_item

from tjcrawl.extract.facts import Fact, extract_facts
from tjcrawl.pipelines.archive_writes import store_item
from tjcrawl.storage import facts as stored_facts
from tjcrawl.storage import facts_digest as digests
from tjcrawl.storage.archive import Archive, WriteLedger, open_database

SIGNED = "本次签约项目31个，总投资120.5亿元。"
URL = "http://gov.tjcrawl.test/a.html"


def article(body: str, title: str = "滨海新区集中签约") -> dict[str, Any]:
    return article_item(URL, title, body)


def facts_of(archive: Archive) -> list[dict[str, Any]]:
    rows = archive.conn.execute(
        "SELECT kind, value, field, sentence, extractor FROM article_facts ORDER BY id"
    )
    names = ("kind", "value", "field", "sentence", "extractor")
    return [dict(zip(names, r, strict=True)) for r in rows]


@pytest.fixture
def archive(tmp_path: Path):
    archive = Archive(tmp_path / "a.db")
    yield archive
    archive.close()


def test_the_migration_runs_again_harmlessly(tmp_path: Path) -> None:
    db = open_database(tmp_path / "a.db")
    stored_facts.create_fact_tables(db)  # a user_version set back: nothing breaks
    assert "article_facts" in db.table_names() and "fact_projects" in db.view_names()
    indexes = {tuple(i.columns) for i in db["article_facts"].indexes}
    assert ("kind", "value") in indexes
    db.close()


def test_a_new_article_gets_its_facts_with_their_sentence(archive: Archive) -> None:
    ledger = WriteLedger()
    assert store_item(archive, ledger, "r1", article("前言。" + SIGNED), None, []) == "new"
    archive.commit()
    money = [f for f in facts_of(archive) if f["kind"] == "money"]
    assert money and money[0]["value"] == "12050000000"
    assert money[0]["field"] == "body" and money[0]["sentence"] == SIGNED
    assert money[0]["extractor"] == stored_facts.extractor_version()


def test_a_changed_article_has_the_facts_of_its_new_version_only(archive: Archive) -> None:
    ledger = WriteLedger()
    store_item(archive, ledger, "r1", article(SIGNED), None, [])
    assert store_item(archive, ledger, "r2", article("总投资8亿元。"), None, []) == "changed"
    archive.commit()
    values = {f["value"] for f in facts_of(archive) if f["kind"] == "money"}
    assert values == {"800000000"}


def test_an_unchanged_article_keeps_its_facts_untouched(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = WriteLedger()
    store_item(archive, ledger, "r1", article(SIGNED), None, [])
    before = facts_of(archive)
    calls = []
    monkeypatch.setattr(
        "tjcrawl.extract.facts.extract_facts", lambda *a, **k: calls.append(a) or []
    )
    assert store_item(archive, ledger, "r2", article(SIGNED), None, []) == "unchanged"
    assert calls == [] and facts_of(archive) == before


def test_facts_off_computes_none(archive: Archive) -> None:
    store_item(archive, WriteLedger(), "r1", article(SIGNED), None, [], facts=False)
    assert facts_of(archive) == []


def test_a_finder_that_raises_keeps_the_article_with_a_fault_and_a_count(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = WriteLedger()
    store_item(archive, ledger, "r1", article(SIGNED), None, [])

    def broken(*args: Any, **kwargs: Any) -> list[Fact]:
        raise ValueError("bad rule")

    monkeypatch.setattr("tjcrawl.extract.facts.extract_facts", broken)
    assert store_item(archive, ledger, "r2", article("总投资8亿元。"), None, []) == "changed"
    archive.commit()
    assert ledger.committed["changed"] == 1 and ledger.committed["facts_failed"] == 1
    body = archive.conn.execute("SELECT body FROM articles").fetchone()[0]
    assert body == "总投资8亿元。"
    # The old version's facts are not passed off as the new one's.
    assert facts_of(archive) == []
    fault = archive.conn.execute("SELECT kind, url, detail FROM faults").fetchone()
    assert fault == ("facts_failed", URL, "facts: ValueError: bad rule")


def test_attachment_text_gives_facts_of_its_own_field(archive: Archive) -> None:
    ledger = WriteLedger()
    link = "http://gov.tjcrawl.test/list.pdf"
    store_item(archive, ledger, "r1", article("详见附件。"), None, [{"url": link, "text": "清单"}])
    archive.store_attachment_file(
        url=link, status=200, content_type="application/pdf", body=b"%PDF", run_id="r1"
    )
    archive.conn.execute(
        "INSERT INTO attachment_texts (url, sha256, state, text) VALUES (?, 'x', 'ok', ?)",
        (link, "甲项目总投资3亿元；乙项目总投资2亿元。"),
    )
    for article_id in stored_facts.articles_linking(archive.conn, link):
        stored_facts.store_facts(archive, ledger, "r1", article_id, "one", link)
    rows = [f for f in facts_of(archive) if f["kind"] == "money"]
    assert {r["value"] for r in rows} == {"300000000", "200000000"}
    assert {r["field"] for r in rows} == {f"attachment:{link}"}
    assert rows[0]["sentence"] == "甲项目总投资3亿元；"


def new_finder(monkeypatch: pytest.MonkeyPatch, finder: Any) -> None:
    """Another finder, as an edit of the facts package gives one: other code, other files."""
    monkeypatch.setattr("tjcrawl.extract.facts.extract_facts", finder)
    monkeypatch.setattr(digests, "finder_fingerprint", lambda: "another finder")


def test_recomputing_a_source_replaces_every_articles_facts(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_item(archive, WriteLedger(), "r1", article(SIGNED), None, [], facts=False)
    expected = extract_facts("滨海新区集中签约", SIGNED)
    assert stored_facts.recompute_source(archive, "r2", "one")[:2] == (1, len(expected))
    assert [f["value"] for f in facts_of(archive)] == [f.value for f in expected]
    assert "12050000000" in [f["value"] for f in facts_of(archive)]
    new_finder(monkeypatch, lambda *a, **k: 1 / 0)
    assert stored_facts.recompute_source(archive, "r3", "one") == (1, 0, 1)
    assert facts_of(archive) == []
    faults = archive.conn.execute("SELECT run_id, kind FROM faults").fetchall()
    assert faults == [("r3", "facts_failed")]


def test_facts_that_a_new_finder_changes_make_the_article_news_again(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_item(archive, WriteLedger(), "r1", article(SIGNED), None, [])
    archive.commit()

    def change() -> int:
        return archive.conn.execute("SELECT change_seq FROM articles").fetchone()[0]

    first = change()
    stored_facts.recompute_source(archive, "r2", "one")
    archive.commit()
    assert change() == first  # the same facts: nothing to hand downstream again
    new_finder(monkeypatch, lambda *a, **k: [])
    stored_facts.recompute_source(archive, "r3", "one")
    archive.commit()
    assert change() > first
    meta = archive.conn.execute("SELECT value FROM tjcrawl_meta WHERE key = 'change_seq'")
    assert int(meta.fetchone()[0]) == change()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("滨海新区", ("120116", None)),
        ("120116", ("120116", None)),
        ("和平", ("120101", None)),
        ("保税区", (None, "120116-02")),
        ("天津港保税区", (None, "120116-02")),
        ("120116-01", (None, "120116-01")),
        ("泰达", (None, "120116-01")),
        ("上海", (None, None)),
    ],
)
def test_places_resolve_by_name_or_code(text: str, expected: tuple) -> None:
    assert stored_facts.resolve_place(text) == expected


def test_zones_lie_in_their_district() -> None:
    assert stored_facts.district_of("120116-02") == "120116"
    assert stored_facts.district_of("120116-99") == "120116"  # a zone not listed: by its code
    assert stored_facts.district_of("120101") == "120101"
    assert stored_facts.district_of("120000") is None  # Tianjin as a whole
    assert stored_facts.district_of("310000") is None  # 上海: a partner, not a district
    # 空港 and 临港 are administered by 天津港保税区: a question about it takes them in.
    assert stored_facts.zone_and_parts("120116-02") == ["120116-02", "120116-06", "120116-07"]


def fact(kind: str, value: str, start: int, sentence: tuple[int, int], **extra: Any) -> Fact:
    return Fact(
        kind=kind,
        value=value,
        surface=value,
        field="body",
        start=start,
        end=start + 1,
        sentence_start=sentence[0],
        sentence_end=sentence[1],
        method="test",
        confidence=0.9,
        **extra,
    )


def test_the_view_places_each_fact_by_its_sentence_else_the_article(tmp_path: Path) -> None:
    db = open_database(tmp_path / "a.db")
    body = "保税区签约航空项目，总投资30亿元。和平区签约商业项目，总投资2亿元。全年产值100亿元。"
    db["articles"].insert({**article(body), "id": 1, "first_seen_at": "2025-08-22T10:00:00+08:00"})
    first, second, third = (0, 18), (18, 35), (35, len(body))
    found = [
        fact("place", "120116-02", 0, first, name="天津港保税区"),
        fact("industry", "aviation", 4, first, name="航空航天"),
        fact("money", "3000000000", 12, first, role="总投资"),
        fact("place", "120101", 18, second, name="和平区"),
        fact("money", "200000000", 30, second, role="总投资"),
        fact("money", "10000000000", 38, third, role="产值"),
        # In dollars, not yuan: no exchange rate is invented (docs/facts.md).
        fact("money", "5000000", 40, third, role="合同外资", currency="USD"),
    ]
    db.conn.executemany(
        stored_facts.INSERT_SQL, stored_facts.fact_rows(1, URL, found, {"body": body})
    )
    rows = list(
        sqlite_utils.Database(db.conn).query(
            "SELECT value, place, district, district_code, industry, amount_range, year,"
            " amount_yuan"
            " FROM fact_projects ORDER BY fact_id"
        )
    )
    assert [(r["value"], r["place"], r["district"]) for r in rows] == [
        ("3000000000", "天津港保税区", "滨海新区"),
        ("200000000", "和平区", "和平区"),
        ("10000000000", "天津港保税区", "滨海新区"),  # no place in its sentence: the first
        ("5000000", "天津港保税区", "滨海新区"),
    ]
    assert [r["amount_range"] for r in rows] == ["10亿–100亿", "1亿–10亿", "≥100亿", None]
    assert rows[-1]["amount_yuan"] is None
    assert {r["industry"] for r in rows} == {"航空航天"} and rows[0]["year"] == "2025"
    db.close()


def test_a_crawl_counts_its_facts_failures_among_its_faults() -> None:
    from collections import Counter

    from scrapy.utils.test import get_crawler

    from tjcrawl.faults import summarise
    from tjcrawl.pipelines.archive import ArchivePipeline

    crawler = get_crawler(settings_dict={"TJCRAWL_FACTS": False})
    pipeline = ArchivePipeline(crawler)
    assert pipeline.facts is False  # the bench's switch reaches the pipeline
    pipeline._settled(Counter({"new": 3, "facts_failed": 2}), committed=True)
    assert summarise(crawler.stats.get_stats()) == {"facts_failed": 2}
    pipeline._settled(Counter({"facts_failed": 1}), committed=False)  # rolled back: not stored
    assert summarise(crawler.stats.get_stats()) == {"facts_failed": 2}


def test_every_place_the_finder_knows_in_tianjin_is_queryable_by_each_of_its_names() -> None:
    # The finder's list (places.toml) and the archive's queries are one list: a zone the finder
    # tags by an alias (天津经济开发区, 渤龙湖科技园) must be found when asked for by that alias.
    from tjcrawl.extract.facts.terms import places_table

    for place in places_table()["place"]:
        if place["kind"] not in ("district", "zone"):
            continue
        wanted = (place["code"], None) if place["kind"] == "district" else (None, place["code"])
        for name in place["aliases"]:
            assert stored_facts.resolve_place(name) == wanted, (name, place["code"])
        if place.get("parent"):
            assert place["code"] in stored_facts.zone_and_parts(place["parent"])
