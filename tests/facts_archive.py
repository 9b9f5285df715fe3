"""A small archive with hand-made 招商引资 facts (places and industries included, which the
finder of the day may not find): for `tjcrawl facts` and Datasette tests."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from tjcrawl.extract.facts import Fact
from tjcrawl.storage import facts as stored_facts
from tjcrawl.storage.archive import open_database

BSQ = "天津港保税区迎来航空发动机维修项目，总投资30亿元。"
HEPING = "和平区签约商业综合体项目，总投资5000万元。"
TEDA = "经开区集中签约项目12个，总投资60亿元。"


def article_item(url: str, title: str, body: str) -> dict[str, Any]:
    """An article as the pipelines hand it to the archive (source "one", a listing date)."""
    return {
        "url": url,
        "source": "one",
        "title": title,
        "body": body,
        "published_at": "2025-08-22T00:00:00+08:00",
        "date_source": "listing",
        "content_hash": hashlib.sha256((title + body).encode()).hexdigest(),
    }


def fact(kind: str, value: str, text: str, word: str, **extra: Any) -> Fact:
    start = text.index(word)
    return Fact(
        kind=kind,
        value=value,
        surface=word,
        field="body",
        start=start,
        end=start + len(word),
        sentence_start=0,
        sentence_end=len(text),
        method="test",
        confidence=0.9,
        **extra,
    )


def add_article(db: Any, article_id: int, body: str, day: str, found: list[Fact]) -> None:
    url = f"http://gov.tjcrawl.test/{article_id}.html"
    db["articles"].insert(
        {
            "id": article_id,
            "url": url,
            "source": "one",
            "title": body[:8],
            "body": body,
            "published_at": f"{day}T00:00:00+08:00",
            "content_hash": str(article_id),
            "change_seq": article_id,
            "first_seen_at": f"{day}T00:00:00+08:00",
        }
    )
    rows = stored_facts.fact_rows(article_id, url, found, {"body": body})
    db.conn.executemany(stored_facts.INSERT_SQL, rows)


def make_facts_archive(path: Path) -> Path:
    db = open_database(path)
    add_article(
        db,
        1,
        BSQ,
        "2025-03-01",
        [
            fact("place", "120116-02", BSQ, "天津港保税区", name="天津港保税区"),
            fact("industry", "aerospace", BSQ, "航空", name="航空航天"),
            fact("project", "航空发动机维修项目", BSQ, "航空发动机维修项目"),
            fact("money", "3000000000", BSQ, "30亿元", role="总投资", amount=30.0, unit="亿元"),
        ],
    )
    add_article(
        db,
        2,
        HEPING,
        "2024-06-01",
        [
            fact("place", "120101", HEPING, "和平区", name="和平区"),
            fact("money", "50000000", HEPING, "5000万元", role="总投资", amount=5000, unit="万元"),
        ],
    )
    add_article(
        db,
        3,
        TEDA,
        "2025-05-01",
        [
            fact("place", "120116-01", TEDA, "经开区", name="天津经济技术开发区"),
            fact("project_count", "12", TEDA, "项目12个", role="签约"),
            fact("money", "6000000000", TEDA, "60亿元", role="总投资", amount=60.0, unit="亿元"),
        ],
    )
    db.execute("UPDATE tjcrawl_meta SET value = '3' WHERE key = 'change_seq'")
    db.close()
    return path
