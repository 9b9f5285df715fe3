"""`tjcrawl facts`: the archive's 招商引资 facts by district (its zones included), industry,
amount and date, as a table or JSON; bad arguments are one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import run_cli

from tjcrawl.cli import main
from tjcrawl.extract.facts import Fact
from tjcrawl.storage import facts as stored_facts
from tjcrawl.storage.archive import open_database
from tjcrawl.storage.fact_queries import parse_amount

BSQ = "天津港保税区迎来航空发动机维修项目，总投资30亿元。"
HEPING = "和平区签约商业综合体项目，总投资5000万元。"


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
            "first_seen_at": f"{day}T00:00:00+08:00",
        }
    )
    rows = stored_facts.fact_rows(article_id, url, found, {"body": body})
    db.conn.executemany(stored_facts.INSERT_SQL, rows)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("facts") / "archive.db"
    db = open_database(path)
    add_article(
        db,
        1,
        BSQ,
        "2025-03-01",
        [
            fact("place", "TJ-BSQ", BSQ, "天津港保税区", name="天津港保税区"),
            fact("industry", "aerospace", BSQ, "航空", name="航空航天"),
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
    db.close()
    return path


def invoke(*args: str) -> Any:
    """In this process: a subprocess per case would cost the suite seconds."""
    return CliRunner().invoke(main, ["facts", *args])


def facts_json(archive: Path, *args: str) -> list[dict[str, Any]]:
    result = invoke("--db", str(archive), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["facts"]


def test_a_district_takes_in_its_zones_and_the_table_shows_the_sentence(archive: Path) -> None:
    result = run_cli("facts", "--district", "滨海新区", "--db", str(archive))
    assert result.returncode == 0, result.stderr
    assert "1 facts" in result.stdout
    assert "滨海新区/天津港保税区  航空航天  30亿元  总投资" in result.stdout
    assert BSQ in result.stdout and "和平区" not in result.stdout


@pytest.mark.parametrize(
    ("args", "values"),
    [
        ((), ["3000000000", "50000000"]),
        (("--district", "120116"), ["3000000000"]),
        (("--district", "保税区"), ["3000000000"]),
        (("--district", "和平"), ["50000000"]),
        (("--industry", "航空航天"), ["3000000000"]),
        (("--industry", "aerospace"), ["3000000000"]),
        (("--min-amount", "1亿"), ["3000000000"]),
        (("--min-amount", "5000万"), ["3000000000", "50000000"]),
        (("--since", "2025-01-01"), ["3000000000"]),
        (("--kind", "project_count"), []),
    ],
)
def test_filters(archive: Path, args: tuple[str, ...], values: list[str]) -> None:
    assert [row["value"] for row in facts_json(archive, *args)] == values


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--min-amount", "lots"), "is not an amount like"),
        (("--district", "上海"), "unknown district or zone '上海'"),
        (("--industry", "钢铁"), "no industry '钢铁' among the archive's facts (known: 航空航天)"),
        (("--since", "2025-13-01"), "is not a date"),
        (("--kind", "place"), "Invalid value for '--kind'"),
    ],
)
def test_bad_arguments_are_one_line(archive: Path, args: tuple[str, ...], says: str) -> None:
    result = invoke("--db", str(archive), *args)
    assert result.exit_code in (1, 2)
    assert isinstance(result.exception, SystemExit)  # click's own exit: no traceback
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and says in errors[0], result.stderr


@pytest.mark.parametrize(
    ("text", "yuan"),
    [("100000000", 1e8), ("1亿", 1e8), ("1.5亿元", 1.5e8), ("5000万", 5e7), ("3千万", 3e7)],
)
def test_amounts_read_as_yuan(text: str, yuan: float) -> None:
    assert parse_amount(text) == yuan
