"""CSV exports safe to open in a spreadsheet (issue 19, "Safe exports").

A cell a spreadsheet would run as a formula is neutralised with a leading ' (OWASP's
CSV-injection rule) unless --csv-raw asks for the cells as stored.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import run_cli

from tjcrawl.csv_safety import neutralise_cell
from tjcrawl.storage.archive import Archive

# Each starts with one of OWASP's triggers (=, +, -, @, tab, CR), or with one behind spaces.
HOSTILE_TITLES = [
    '=HYPERLINK("http://evil.example/","点击")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    '\u3000=HYPERLINK("http://evil.example/")',
]
HARMLESS_TITLES = ["天津市召开招商推介会", "a=b+c", "京津冀-协同", "'已引用"]
SLUG = "safe_exports"


def _archive_with_titles(db: Path, titles: list[str]) -> None:
    archive = Archive.acquire(db)
    try:
        archive.start_run("run1", SLUG, "sha", "full")
        for n, title in enumerate(titles):
            article = {
                "url": f"http://safe.tjcrawl.test/news/{n}.html",
                "source": SLUG,
                "title": title,
                "body": f"{title}\n正文第{n}段",
                "origin": "=1+1" if n == 0 else "天津市商务局",
                "content_hash": f"hash{n}",
                "published_at": "2025-08-20T00:00:00+08:00",
            }
            archive.store_article(article, None, "run1")
        archive.commit()
    finally:
        archive.release()


def _exported_csv(db: Path, *flags: str) -> list[dict[str, str]]:
    # To a file, read back without newline translation: a cell may begin with a CR.
    out = db.with_suffix(".csv")
    result = run_cli("export", "--format", "csv", "--db", str(db), "-o", str(out), *flags)
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def hostile_archive(tmp_path: Path) -> Path:
    db = tmp_path / "a.db"
    _archive_with_titles(db, HOSTILE_TITLES + HARMLESS_TITLES)
    return db


def test_csv_export_neutralises_every_cell_a_spreadsheet_would_run(hostile_archive: Path) -> None:
    rows = _exported_csv(hostile_archive)
    assert [r["title"] for r in rows] == ["'" + t for t in HOSTILE_TITLES] + HARMLESS_TITLES
    # Every text column, not only the title: the origin and the body of the first article.
    assert rows[0]["origin"] == "'=1+1" and rows[1]["origin"] == "天津市商务局"
    assert rows[0]["body"] == "'" + HOSTILE_TITLES[0] + "\n正文第0段"
    # No cell of the file begins with a trigger any more.
    for row in rows:
        for cell in row.values():
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), cell
            assert not cell.startswith(("\t", "\r")), cell


def test_csv_raw_writes_the_cells_as_stored(hostile_archive: Path) -> None:
    rows = _exported_csv(hostile_archive, "--csv-raw")
    assert [r["title"] for r in rows] == HOSTILE_TITLES + HARMLESS_TITLES
    assert rows[0]["origin"] == "=1+1"


def test_csv_raw_is_refused_outside_csv(hostile_archive: Path) -> None:
    result = run_cli("export", "--format", "jsonl", "--csv-raw", "--db", str(hostile_archive))
    assert result.returncode == 2
    assert "--csv-raw applies to --format csv only" in result.stderr
    assert "Traceback" not in result.stderr


def test_jsonl_export_keeps_the_text_as_stored(hostile_archive: Path) -> None:
    result = run_cli("export", "--db", str(hostile_archive))
    titles = [json.loads(line)["title"] for line in result.stdout.splitlines()]
    assert titles == HOSTILE_TITLES + HARMLESS_TITLES


def test_neutralise_cell_leaves_numbers_and_empty_cells_alone() -> None:
    assert neutralise_cell(-5) == -5
    assert neutralise_cell(None) is None
    assert neutralise_cell("") == ""
    assert neutralise_cell("\t") == "'\t"
