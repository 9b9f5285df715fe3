"""`tjcrawl facts`: the archive's 招商引资 facts by district (its zones included), industry,
amount and date, as a table or JSON; bad arguments are one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import run_cli
from facts_archive import BSQ, make_facts_archive

from tjcrawl.cli import main
from tjcrawl.storage.fact_queries import parse_amount


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_facts_archive(tmp_path_factory.mktemp("facts") / "archive.db")


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
    assert "4 facts" in result.stdout
    assert "滨海新区/天津港保税区  航空航天  30亿元  总投资" in result.stdout
    assert BSQ in result.stdout and "和平区" not in result.stdout


@pytest.mark.parametrize(
    ("args", "values"),
    [
        ((), ["12", "6000000000", "航空发动机维修项目", "3000000000", "50000000"]),
        (("--district", "120116"), ["12", "6000000000", "航空发动机维修项目", "3000000000"]),
        (("--district", "保税区"), ["航空发动机维修项目", "3000000000"]),
        (("--district", "和平"), ["50000000"]),
        (("--industry", "航空航天"), ["航空发动机维修项目", "3000000000"]),
        (("--industry", "aerospace"), ["航空发动机维修项目", "3000000000"]),
        (("--min-amount", "1亿"), ["6000000000", "3000000000"]),
        (("--min-amount", "5000万"), ["6000000000", "3000000000", "50000000"]),
        (("--since", "2025-01-01"), ["12", "6000000000", "航空发动机维修项目", "3000000000"]),
        (("--kind", "project_count"), ["12"]),
        (("--district", "120116-01", "--kind", "money"), ["6000000000"]),
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


def test_the_jsonl_export_carries_each_articles_facts_and_csv_stays_as_it_was(
    tmp_path: Path,
) -> None:
    db = make_facts_archive(tmp_path / "archive.db")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["export", "--db", str(db), "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    by_body = {line["body"]: line["facts"] for line in lines}
    money = [f for f in by_body[BSQ] if f["kind"] == "money"]
    assert money == [
        {
            "kind": "money",
            "value": "3000000000",
            "name": None,
            "role": "总投资",
            "amount": 30.0,
            "unit": "亿元",
            "currency": None,
            "qualifier": None,
            "field": "body",
            "start": BSQ.index("30亿元"),
            "end": BSQ.index("30亿元") + 4,
            "confidence": 0.9,
        }
    ]
    assert [f["kind"] for f in by_body[BSQ]] == ["place", "industry", "project", "money"]
    csv = CliRunner().invoke(main, ["export", "--db", str(db), "--format", "csv"])
    assert csv.exit_code == 0 and "facts" not in csv.stdout.splitlines()[0]
