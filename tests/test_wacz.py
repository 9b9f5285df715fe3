"""`tjcrawl export --format wacz`: a package py-wacz validates, listing every article page."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from conftest import DemoArchive, run_cli
from warcio.archiveiterator import ArchiveIterator

from tjcrawl import wacz
from tjcrawl.warc import warc_date

# py-wacz (the test extra) installs its command beside this interpreter.
WACZ_COMMAND = Path(sys.executable).parent / "wacz"


def validate(package: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WACZ_COMMAND), "validate", "-f", str(package)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_wacz(demo_archive: DemoArchive, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wacz") / "demo.wacz"
    result = run_cli("export", "--format", "wacz", str(out), "--db", str(demo_archive.path))
    assert result.returncode == 0, result.stderr
    assert "article pages ->" in result.stderr
    return out


def test_py_wacz_validates_the_demo_export(demo_wacz: Path, tmp_path: Path) -> None:
    result = validate(demo_wacz)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout
    # The validator does fail a package whose contents no longer match its datapackage.
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(demo_wacz) as source, zipfile.ZipFile(tampered, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "pages/pages.jsonl":
                data += b'{"url": "http://x.test/", "ts": "2025-01-01T00:00:00Z"}\n'
            target.writestr(entry, data)
    assert validate(tampered).returncode != 0


def pages_jsonl(package: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(package) as archive:
        lines = archive.read("pages/pages.jsonl").decode("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_pages_list_every_article_page_with_title_and_date(
    demo_archive: DemoArchive, demo_wacz: Path
) -> None:
    header, *pages = pages_jsonl(demo_wacz)
    assert header["format"] == "json-pages-1.0"
    with sqlite3.connect(demo_archive.path) as conn:
        articles = {
            url: (page_url, title, published_at, warc_date(fetched_at))
            for url, page_url, title, published_at, fetched_at in conn.execute(
                "SELECT a.url, p.url, a.title, a.published_at, p.fetched_at FROM articles a"
                " JOIN pages p ON p.id = a.page_id"
            )
        }
        total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert len(articles) == total > 0
    assert len(pages) == total
    listed = {
        p.get("article_url", p["url"]): (p["url"], p["title"], p["published_at"], p["ts"])
        for p in pages
    }
    assert listed == articles
    assert any("article_url" in p for p in pages) and any("article_url" not in p for p in pages)


def test_each_listed_page_is_indexed_and_its_record_is_where_the_index_says(
    demo_wacz: Path,
) -> None:
    _, *pages = pages_jsonl(demo_wacz)
    with zipfile.ZipFile(demo_wacz) as archive:
        assert archive.getinfo("archive/data.warc.gz").compress_type == zipfile.ZIP_STORED
        warc = archive.read("archive/data.warc.gz")
        index = archive.read("indexes/index.cdx").decode("utf-8").splitlines()
    assert index == sorted(index)
    entries = {}
    for line in index:
        key, stamp, fields = line.split(" ", 2)
        entry = json.loads(fields)
        assert key == wacz.surt(entry["url"])
        entries[(entry["url"], stamp)] = entry
    for page in pages:
        url = page["url"]
        stamp = page["ts"][:19].replace("-", "").replace("T", "").replace(":", "")
        entry = entries[(url, stamp)]
        start, length = int(entry["offset"]), int(entry["length"])
        record = next(iter(ArchiveIterator(BytesIO(warc[start : start + length]))))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == url


def test_surt_keys() -> None:
    assert wacz.surt("http://www.Gov.tjcrawl.test/A/b.html?z=1&a=2") == (
        "test,tjcrawl,gov)/a/b.html?a=2&z=1"
    )
    assert wacz.surt("http://gov.tjcrawl.test:8080") == "test,tjcrawl,gov:8080)/"


def test_an_interrupted_export_leaves_the_previous_package(
    demo_archive: DemoArchive, demo_wacz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "kept.wacz"
    out.write_bytes(demo_wacz.read_bytes())

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    # The WARC, index and page list are in the package's .part file by then.
    monkeypatch.setattr(zipfile.ZipFile, "writestr", disk_full)
    with sqlite3.connect(demo_archive.path) as conn, pytest.raises(OSError):
        wacz.write_wacz(conn, out)
    assert out.read_bytes() == demo_wacz.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.wacz"]
