"""A re-crawled article's date: a corrected stated date replaces the archived one, with a
revision; a date resolved from "3天前" never does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tjcrawl.dates import is_absolute
from tjcrawl.storage.archive import Archive

URL = "http://gov.tjcrawl.test/xw/t20250822_1.html"


def _article(body: str, published_at: str, date_text: str, **extra: object) -> dict:
    return {
        "url": URL,
        "source": "s",
        "title": "滨海新区招商引资签约",
        "body": body,
        "content_hash": body,
        "published_at": published_at,
        "date_source": "detail",
        "date_precision": "minute",
        "date_text": date_text,
    } | extra


def _current(archive: Archive) -> tuple:
    return archive.conn.execute(
        "SELECT published_at, date_source, body FROM articles WHERE url = ?", (URL,)
    ).fetchone()


@pytest.fixture
def archive(tmp_path: Path):
    opened = Archive(tmp_path / "a.db")
    yield opened
    opened.close()


def test_a_corrected_date_with_the_same_text_is_a_change_with_a_revision(archive) -> None:
    first = _article("正文", "2025-08-21T10:30:00+08:00", "发布时间：2025-08-21 10:30")
    corrected = _article("正文", "2025-08-22T10:30:00+08:00", "发布时间：2025-08-22 10:30")
    assert archive.store_article(first, None, "r1") == "new"
    assert archive.store_article(corrected, None, "r2") == "changed"
    assert _current(archive)[0] == "2025-08-22T10:30:00+08:00"
    revisions = archive.conn.execute("SELECT published_at, body FROM revisions").fetchall()
    assert revisions == [("2025-08-21T10:30:00+08:00", "正文")]
    assert archive.store_article(corrected, None, "r3") == "unchanged"


def test_a_changed_text_brings_its_new_stated_date(archive) -> None:
    archive.store_article(
        _article("旧文", "2025-08-21T00:00:00+08:00", "2025年8月21日"), None, "r1"
    )
    changed = _article("新文", "2025-08-23T00:00:00+08:00", "")
    changed |= {"date_source": "listing", "listing_date": "2025年8月23日"}
    assert archive.store_article(changed, None, "r2") == "changed"
    assert _current(archive) == ("2025-08-23T00:00:00+08:00", "listing", "新文")


def test_a_relative_date_resolved_on_another_day_changes_nothing(archive) -> None:
    seen = _article("正文", "2025-08-19T00:00:00+08:00", "3天前")
    seen_later = _article("正文", "2025-08-24T00:00:00+08:00", "3天前")
    assert archive.store_article(seen, None, "r1") == "new"
    assert archive.store_article(seen_later, None, "r2") == "unchanged"
    edited_later = _article("正文（更正）", "2025-08-25T00:00:00+08:00", "昨天 10:30")
    assert archive.store_article(edited_later, None, "r3") == "changed"
    assert _current(archive)[:1] == ("2025-08-19T00:00:00+08:00",)


def test_a_date_from_the_url_is_a_stated_date(archive) -> None:
    archive.store_article(_article("正文", None, None, date_source=None), None, "r1")
    dated = _article("正文", "2025-08-22T00:00:00+08:00", None, date_source="url")
    assert archive.store_article(dated, None, "r2") == "changed"
    assert _current(archive)[:2] == ("2025-08-22T00:00:00+08:00", "url")


@pytest.mark.parametrize(
    ("text", "absolute"),
    [
        ("发布时间：2025-08-22 10:30", True),
        ("２０２５年８月２２日", True),
        ("24-11-14", True),
        ("昨天 10:30", False),
        ("3天前", False),
        ("", False),
        (None, False),
    ],
)
def test_is_absolute(text, absolute) -> None:
    assert is_absolute(text) is absolute
