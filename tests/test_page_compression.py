"""Raw pages in zstd with per-source dictionaries (tjcrawl.storage.compression): exact bytes
back whatever the compression, zlib pages of older archives still read after `upgrade`, and a
missing dictionary a clear error, never garbage."""

from __future__ import annotations

import hashlib
import logging
import os
import random
import sqlite3
import threading
import zlib
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import run_cli
from warcio.archiveiterator import ArchiveIterator

from tjcrawl.pipelines.archive_session import ArchiveSession
from tjcrawl.pipelines.page_packing import PagePacking
from tjcrawl.reextract import reextract
from tjcrawl.storage import compression, migrations
from tjcrawl.storage.archive import Archive, WriteLedger
from tjcrawl.storage.compression import (
    TRAIN_AFTER,
    MissingDictionary,
    PackedBody,
    page_body,
)
from tjcrawl.storage.migrations import SCHEMA_VERSION

#: Headers that differ between two exports of the same pages (fresh ids, the export's time).
PER_EXPORT = {"WARC-Record-ID", "WARC-Warcinfo-ID", "WARC-Concurrent-To"}


PHRASES = (
    "市委常委会召开会议",
    "研究部署重点工作",
    "滨海新区",
    "推动高质量发展",
    "优化营商环境",
    "和平区",
    "召开专题会议",
    "项目建设",
)
OTHER = ("lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit")


def page(rng: random.Random, number: int, shape: str = "trs") -> bytes:
    """A made-up article page of one site's template: the same frame, different text."""
    if shape == "trs":
        words = [rng.choice(PHRASES) + str(rng.randrange(100)) for _ in range(80)]
        head = (
            '<html><head><meta charset="utf-8"><title>{t}</title><link rel="stylesheet"'
            ' href="/css/trs.css"></head><body><div class="header"><ul class="nav"><li>首页</li>'
            '<li>政务</li><li>新闻</li><li>服务</li></ul></div><div class="article">'
        )
        tail = '</div><div class="footer">天津市人民政府办公厅 主办 版权所有</div></body></html>'
        text = "".join(f"<p>{w}</p>" for w in words)
    else:  # another site's template, another language, another markup
        words = [rng.choice(OTHER) + str(rng.randrange(1000)) for _ in range(300)]
        head = "<!DOCTYPE html><section id=main data-kind=story><h1>{t}</h1><article>"
        tail = "</article></section>"
        text = "<br>".join(" ".join(words[i : i + 12]) for i in range(0, 300, 12))
    return (head.format(t=f"标题{number}") + text + tail).encode("utf-8")


def store_detail(
    archive: Archive,
    url: str,
    body: bytes,
    *,
    source: str = "demo_trs",
    run_id: str = "r",
    headers: dict[str, list[str]] | None = None,
    packed: PackedBody | None = None,
) -> int:
    """A detail page stored as a crawl of the bench's fixed fetch time stores it."""
    return archive.store_page(
        url=url,
        source=source,
        kind="detail",
        status=200,
        headers=headers or {},
        body=body,
        encoding=None,
        fetched_at="2025-01-01T08:00:00+08:00",
        run_id=run_id,
        packed=packed,
    )


@pytest.fixture
def archive(demo_archive: Any, tmp_path: Path) -> Path:
    copy = tmp_path / "archive.db"
    with (
        closing(sqlite3.connect(demo_archive.path)) as source,
        closing(sqlite3.connect(copy)) as dest,
    ):
        source.backup(dest)
    return copy


def as_previous_release(db: Path) -> None:
    """What the release before zstd wrote: every page zlib-6, no dictionary table, the schema
    from before the migration that made that table (later migrations run again too)."""
    before_zstd = migrations.MIGRATIONS.index(migrations._compression_dicts)
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT id, body, compression FROM pages").fetchall()
        for page_id, body, how in rows:
            raw = page_body(body, how, conn)
            conn.execute(
                "UPDATE pages SET body = ?, compression = 'zlib' WHERE id = ?",
                (zlib.compress(raw, 6), page_id),
            )
        conn.execute("DROP TABLE compression_dicts")
        conn.execute(f"PRAGMA user_version = {before_zstd}")
        conn.execute(
            "UPDATE tjcrawl_meta SET value = ? WHERE key = 'schema_version'",
            (str(before_zstd),),
        )
        conn.commit()


def warc_records(path: Path) -> list[tuple[list[tuple[str, str]], bytes]]:
    """Each record's headers (less the per-export ones) and its whole block, raw."""
    records = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            headers = [(k, v) for k, v in record.rec_headers.headers if k not in PER_EXPORT]
            if record.rec_type == "warcinfo":
                headers = [(k, v) for k, v in headers if k != "WARC-Date"]
            records.append((headers, record.raw_stream.read()))
    return records


def articles(db: Path) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT * FROM articles ORDER BY id").fetchall()


def test_a_zlib_archive_upgrades_and_exports_and_reextracts_the_same(
    archive: Path, tmp_path: Path
) -> None:
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    before_warc = tmp_path / "before" / "pages.warc"
    assert (
        run_cli("export", "--format", "warc", str(before_warc), "--db", str(archive)).returncode
        == 0
    )
    before_articles = articles(archive)

    as_previous_release(archive)
    refused = run_cli("export", "--format", "warc", str(tmp_path / "x.warc"), "--db", str(archive))
    assert refused.returncode != 0 and "tjcrawl upgrade" in refused.stderr
    upgraded = run_cli("upgrade", "--db", str(archive))
    assert upgraded.returncode == 0, upgraded.stderr
    with closing(sqlite3.connect(archive)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert {row[0] for row in conn.execute("SELECT compression FROM pages")} == {"zlib"}
        assert conn.execute("SELECT count(*) FROM compression_dicts").fetchone()[0] == 0

    after_warc = tmp_path / "after" / "pages.warc"
    exported = run_cli("export", "--format", "warc", str(after_warc), "--db", str(archive))
    assert exported.returncode == 0, exported.stderr
    before, after = warc_records(before_warc), warc_records(after_warc)
    assert len(after) > 40 and after == before  # payloads, digests and dates, record by record

    report = reextract(archive)
    assert report.total("unchanged") == len(before_articles)
    assert report.total("changed") == report.total("errors") == report.total("failed") == 0
    assert articles(archive) == before_articles


def test_pages_compressed_with_a_dictionary_come_back_exactly(tmp_path: Path) -> None:
    rng = random.Random(7)
    pages = [page(rng, n) for n in range(TRAIN_AFTER + 20)]
    archive = Archive(tmp_path / "a.db")
    try:
        data = compression.train(pages[:TRAIN_AFTER])
        packer = archive.store_dictionary("demo_trs", data, TRAIN_AFTER, 1, 0.1)
        assert archive.packer("demo_trs") is packer
        assert packer.compression == "zstd:dict:1"
        ids = []
        for n, body in enumerate(pages[TRAIN_AFTER:]):
            ids.append(store_detail(archive, f"http://gov.test/{n}.html", body))
        archive.commit()
    finally:
        archive.close()
    with closing(sqlite3.connect(tmp_path / "a.db")) as conn:
        rows = conn.execute(
            "SELECT body, compression, body_sha256, body_size FROM pages ORDER BY id"
        ).fetchall()
        assert {row[1] for row in rows} == {"zstd:dict:1"}
        for (body, how, digest, size), original in zip(rows, pages[TRAIN_AFTER:], strict=True):
            assert page_body(body, how, conn) == original
            assert hashlib.sha256(original).hexdigest() == digest and size == len(original)
        stored = sum(len(row[0]) for row in rows)
        raw = sum(len(p) for p in pages[TRAIN_AFTER:])
        plain = sum(len(PackedBody.of(p).compressed) for p in pages[TRAIN_AFTER:])
        zlib_size = sum(len(zlib.compress(p, 6)) for p in pages[TRAIN_AFTER:])
        # The dictionary carries the template: a fraction of what zstd or zlib alone keep.
        assert stored < plain * 0.75 and stored < zlib_size * 0.75 and stored < raw * 0.3


def test_a_missing_dictionary_is_a_clear_error_never_garbage(archive: Path, tmp_path: Path) -> None:
    rng = random.Random(3)
    pages = [page(rng, n) for n in range(TRAIN_AFTER)]
    data = compression.train(pages)
    with closing(sqlite3.connect(archive)) as conn:
        page_id, url, body, how = conn.execute(
            "SELECT id, url, body, compression FROM pages WHERE status = 200 LIMIT 1"
        ).fetchone()
        raw = page_body(body, how, conn)
        zdict = compression.Dictionary(1, data)
        packed = compression.Packer(zdict).compress(raw)
        conn.execute(
            "INSERT INTO compression_dicts (id, source, created_at, dictionary)"
            " VALUES (1, 'demo_trs', 'now', ?)",
            (data,),
        )
        conn.execute(
            "UPDATE pages SET body = ?, compression = 'zstd:dict:1' WHERE id = ?",
            (packed, page_id),
        )
        conn.commit()
        assert page_body(packed, "zstd:dict:1", conn) == raw
        # Another dictionary under the same id: zstd's dictionary id check refuses it.
        other = compression.train([page(rng, n, "other") for n in range(TRAIN_AFTER)])
        conn.execute("UPDATE compression_dicts SET dictionary = ? WHERE id = 1", (other,))
        conn.commit()
    with closing(sqlite3.connect(archive)) as conn, pytest.raises(MissingDictionary):
        page_body(packed, "zstd:dict:1", conn)
    with closing(sqlite3.connect(archive)) as conn:
        conn.execute("DELETE FROM compression_dicts")
        conn.commit()
    with closing(sqlite3.connect(archive)) as conn, pytest.raises(MissingDictionary) as caught:
        page_body(packed, "zstd:dict:1", conn)
    assert "dictionary 1" in str(caught.value)

    out = tmp_path / "pages.warc"
    result = run_cli("export", "--format", "warc", str(out), "--db", str(archive))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"page {page_id} ({url})" in result.stderr and "dictionary 1" in result.stderr
    assert not out.exists() and not list(tmp_path.glob("pages.warc*"))
    result = run_cli("reextract", "--db", str(archive))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "dictionary 1" in result.stderr


def test_a_source_gets_a_dictionary_and_a_new_one_when_its_pages_change(
    tmp_path: Path,
) -> None:
    rng = random.Random(11)
    archive = Archive(tmp_path / "a.db")  # no writer: packing runs here, the connection's owner
    try:
        packing = PagePacking(archive, "demo_trs")
        first = [packing.pack(page(rng, n)) for n in range(TRAIN_AFTER)]
        packing.finish()
        assert {p.compression for p in first} == {"zstd"}  # before its dictionary
        assert packing.packer.compression == "zstd:dict:1" and packing.failed is None
        after = [packing.pack(page(rng, n)) for n in range(TRAIN_AFTER)]
        assert {p.compression for p in after} == {"zstd:dict:1"}
        # The site's template changes: the recent pages compress badly, a new one is trained.
        changed = [packing.pack(page(rng, n, "other")) for n in range(TRAIN_AFTER)]
        packing.finish()
        assert changed[0].compression == "zstd:dict:1"
        assert packing.packer.compression == "zstd:dict:2"
        assert packing.pack(page(rng, 0, "other")).compression == "zstd:dict:2"
        archive.call(archive.commit)
    finally:
        archive.close()
    with closing(sqlite3.connect(tmp_path / "a.db")) as conn:
        rows = conn.execute(
            "SELECT id, source, samples, sample_ratio FROM compression_dicts ORDER BY id"
        ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, "demo_trs", TRAIN_AFTER)] * 1 + [
        (2, "demo_trs", TRAIN_AFTER)
    ]
    assert all(0 < r[3] < 0.3 for r in rows)


def test_an_archive_with_enough_pages_and_no_dictionary_trains_one_from_them(
    tmp_path: Path,
) -> None:
    rng = random.Random(5)
    archive = Archive(tmp_path / "a.db")
    try:
        for n in range(TRAIN_AFTER):
            store_detail(archive, f"http://gov.test/{n}.html", page(rng, n))
        archive.conn.execute(
            "INSERT INTO crawl_runs (run_id, source, started_at, pages_stored)"
            " VALUES ('r', 'demo_trs', '2025-01-01T08:00:00+08:00', ?)",
            (TRAIN_AFTER,),
        )
        archive.commit()
        archive.start_writer()
        packing = PagePacking(archive, "demo_trs")
        archive.call(packing.start)  # trains from the stored pages at once
        archive.call(packing.finish)
        assert packing.packer.compression == "zstd:dict:1" and packing.failed is None
    finally:
        archive.close()


def test_upgrade_recompress_rewrites_zlib_pages_with_a_dictionary_exactly(
    tmp_path: Path,
) -> None:
    rng = random.Random(13)
    db = tmp_path / "a.db"
    pages = [page(rng, n) for n in range(TRAIN_AFTER + 50)]
    archive = Archive(db)
    try:
        for n, body in enumerate(pages):  # as the release before zstd stored them
            store_detail(
                archive,
                f"http://gov.test/{n}.html",
                body,
                headers={"Content-Type": ["text/html"]},
                packed=PackedBody(hashlib.sha256(body).hexdigest(), zlib.compress(body, 6), "zlib"),
            )
        archive.commit()
    finally:
        archive.close()
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    before = tmp_path / "before" / "p.warc"
    assert run_cli("export", "--format", "warc", str(before), "--db", str(db)).returncode == 0
    with closing(sqlite3.connect(db)) as conn:
        zlib_bytes = conn.execute("SELECT sum(length(body)) FROM pages").fetchone()[0]

    result = run_cli("upgrade", "--recompress", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert f"{len(pages)} pages recompressed" in result.stdout and "demo_trs" in result.stdout

    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT body, compression, body_sha256 FROM pages ORDER BY id")
        stored = 0
        for (body, how, digest), original in zip(rows, pages, strict=True):
            assert how == "zstd:dict:1" and page_body(body, how, conn) == original
            assert hashlib.sha256(original).hexdigest() == digest
            stored += len(body)
    assert stored < zlib_bytes * 0.6
    after = tmp_path / "after" / "p.warc"
    assert run_cli("export", "--format", "warc", str(after), "--db", str(db)).returncode == 0
    assert warc_records(after) == warc_records(before)
    again = run_cli("upgrade", "--recompress", "--db", str(db))
    assert again.returncode == 0 and "0 pages recompressed" in again.stdout


def test_damaged_or_unknown_compressions_are_errors_not_bytes() -> None:
    body = b"<html><body>" + "天津".encode() * 500 + b"</body></html>"
    packed = PackedBody.of(body)
    assert packed.compression == "zstd" and page_body(packed.compressed, "zstd") == body
    damaged = packed.compressed[:-6] + bytes(6)  # its checksum no longer matches
    with pytest.raises(compression.PageUnreadable):
        page_body(damaged, "zstd")
    with pytest.raises(MissingDictionary):  # no archive to read the dictionary from
        page_body(packed.compressed, "zstd:dict:4")
    with pytest.raises(ValueError, match="not one tjcrawl knows"):
        page_body(packed.compressed, "brotli")
    assert page_body(zlib.compress(body), "zlib") == body and page_body(body, None) == body


def snapshot(db: Path, tmp_path: Path, name: str) -> tuple[Any, ...]:
    """What a user gets back from an archive: the WARC records (bytes), every page's bytes
    by id, the articles' rows and each article's history."""
    from tjcrawl.history import article_history
    from tjcrawl.warc import write_warc

    (tmp_path / name).mkdir()
    warc = tmp_path / name / "pages.warc"
    with closing(sqlite3.connect(db)) as conn:
        write_warc(conn, warc, gzip=False)
        bodies = {
            row[0]: page_body(row[1], row[2], conn)
            for row in conn.execute("SELECT id, body, compression FROM pages")
        }
        urls = [row[0] for row in conn.execute("SELECT url FROM articles ORDER BY id")]
        histories = [article_history(conn, url) for url in urls]
    return warc_records(warc), bodies, articles(db), histories


def test_zlib_zstd_and_dictionary_pages_side_by_side_give_back_the_same_bytes(
    archive: Path, tmp_path: Path
) -> None:
    """One archive holding all three forms, as an archive upgraded from a zlib release and
    crawled since holds them: WARC export, page bytes, re-extraction and history equal the
    all-zstd original's, before and after `upgrade --recompress`."""
    before = snapshot(archive, tmp_path, "before")
    with closing(sqlite3.connect(archive)) as conn:
        rows = conn.execute("SELECT id, body, compression FROM pages ORDER BY id").fetchall()
        raws = [page_body(body, how, conn) for _id, body, how in rows]
        dictionary = compression.train(raws)
        conn.execute(
            "INSERT INTO compression_dicts (source, created_at, dictionary) VALUES (?,?,?)",
            ("demo_trs", "2025-01-01T08:00:00+08:00", dictionary),
        )
        dict_id = conn.execute("SELECT max(id) FROM compression_dicts").fetchone()[0]
        with_dict = compression.Packer(compression.Dictionary(dict_id, dictionary))
        forms = []
        for n, ((page_id, _body, _how), raw) in enumerate(zip(rows, raws, strict=True)):
            if n % 3 == 0:  # as the release before zstd wrote them
                packed, how = zlib.compress(raw, 6), "zlib"
            elif n % 3 == 1:
                packed, how = PackedBody.of(raw).compressed, "zstd"
            else:
                packed, how = with_dict.compress(raw), with_dict.compression
            forms.append(how)
            conn.execute(
                "UPDATE pages SET body = ?, compression = ? WHERE id = ?", (packed, how, page_id)
            )
        conn.commit()
    assert {"zlib", "zstd", f"zstd:dict:{dict_id}"} <= set(forms)

    assert snapshot(archive, tmp_path, "mixed") == before
    report = reextract(archive)
    assert report.total("unchanged") == len(before[2]) > 10
    assert report.total("changed") == report.total("errors") == report.total("failed") == 0
    assert snapshot(archive, tmp_path, "reextracted") == before

    def with_its_dictionary() -> int:
        with closing(sqlite3.connect(archive)) as conn:
            return conn.execute(
                "SELECT count(*) FROM pages WHERE source = 'demo_trs' AND compression = ?",
                (with_dict.compression,),
            ).fetchone()[0]

    mixed = with_its_dictionary()
    result = run_cli("upgrade", "--recompress", "--db", str(archive))
    assert result.returncode == 0, result.stderr
    assert with_its_dictionary() > mixed  # its zlib and plain pages rewritten
    assert snapshot(archive, tmp_path, "recompressed") == before


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


class RunSession(ArchiveSession):
    """A crawl's session, with what a test needs to look into it on the writer."""

    def store_plain(self, url: str, source: str, body: bytes) -> None:
        """A page stored as another run or source would: packed by the archive itself."""
        store_detail(self.archive, url, body, source=source, run_id="earlier")

    def trained(self) -> bool:
        """Wait for the training running, if any; whether a dictionary waits to be stored."""
        if self.packing.thread is not None:
            self.packing.thread.join(30)
        return self.packing.trained is not None

    def commit(self) -> None:
        self.archive.try_commit()


def open_run(archive: Archive, stats: Stats, source: str = "demo_trs") -> Any:
    return archive.open_session(
        RunSession,
        {"run_id": "r", "source": source, "facts": False},
        lambda *settled: None,
        stats,
    )


def fetched(archive: Archive, session: Any, url: str, body: bytes, source: str = "demo_trs") -> Any:
    """A page handed to the writer as the crawl's archive pipeline hands it: as fetched."""
    at = "2025-01-01T08:00:00+08:00"
    return archive.submit(session.store_response, "detail", url, 200, {}, body, None, at, source)


@pytest.mark.parametrize("writer", ["thread", "process"])
@pytest.mark.parametrize("when", ["next page", "end of the crawl"])
def test_pages_packed_before_the_dictionary_are_recompressed_with_it_on_the_writer(
    tmp_path: Path, when: str, writer: str
) -> None:
    rng = random.Random(17)
    db = tmp_path / "a.db"
    archive = Archive.acquire(db)
    archive.start_writer(process=writer == "process")
    assert archive.writes_elsewhere == (writer == "process")
    stats = Stats()
    sent: dict[str, bytes] = {}
    try:
        earlier = open_run(archive, Stats())
        # A page of an earlier run: not this run's to rewrite.
        archive.submit(
            earlier.store_plain, "http://gov.test/earlier.html", "demo_trs", page(rng, 0)
        )
        archive.call(earlier.commit)
        session = open_run(archive, stats)
        archive.submit(session.start_pages)
        other_source = open_run(archive, Stats(), "other")
        for n in range(TRAIN_AFTER):
            body = page(rng, n)
            sent[f"http://gov.test/{n}.html"] = body
            fetched(archive, session, f"http://gov.test/{n}.html", body)
            # Another source's pages, fewer than it needs for a dictionary: left plain.
            other = page(rng, n, "other")
            fetched(archive, other_source, f"http://other.test/{n}.html", other, "other")
        if when == "next page":
            assert archive.call(session.trained)  # stored when the next page is packed
            for n in range(TRAIN_AFTER, TRAIN_AFTER + 20):
                body = page(rng, n)
                sent[f"http://gov.test/{n}.html"] = body
                fetched(archive, session, f"http://gov.test/{n}.html", body)
            archive.call(session.commit)
            assert stats.values["tjcrawl/compression_dicts_trained"] == 1
        archive.submit(session.finish_pages)
        archive.call(session.commit)
    finally:
        archive.release()
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT url, source, body, compression, body_sha256 FROM pages")
        forms: dict[tuple[str, str], int] = {}
        for url, source, body, how, digest in rows:
            raw = page_body(body, how, conn)
            assert hashlib.sha256(raw).hexdigest() == digest
            assert raw == sent.get(url, raw)
            key = (source if "earlier" not in url else "earlier", how)
            forms[key] = forms.get(key, 0) + 1
    assert forms == {
        ("demo_trs", "zstd:dict:1"): len(sent),
        ("other", "zstd"): TRAIN_AFTER,
        ("earlier", "zstd"): 1,
    }
    # Counted where the writer runs, in the crawl's stats.
    assert stats.values["tjcrawl/compression_dicts_trained"] == 1
    assert stats.values["tjcrawl/pages_recompressed"] == TRAIN_AFTER
    assert stats.values["tjcrawl/pages_recompressed_bytes_saved"] > 0


def test_a_dictionary_trained_in_the_run_is_judged_by_pages_it_did_not_see(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dictionary does better on its own training sample than on the pages after it (more so
    when a crawl's first pages are its listings): pages of the same shape must not make a
    second dictionary. Here its own-sample ratio is made far better than any page gets."""
    monkeypatch.setattr(compression, "ratio", lambda packer, samples: 0.01)
    rng = random.Random(23)
    archive = Archive(tmp_path / "a.db")  # no writer: packing runs here, the connection's owner
    try:
        packing = PagePacking(archive, "demo_trs")
        for n in range(TRAIN_AFTER):
            packing.pack(page(rng, n))
        assert packing.thread is not None
        packing.finish()
        assert packing.packer.compression == "zstd:dict:1"
        same = [packing.pack(page(rng, n)) for n in range(3 * TRAIN_AFTER)]
        packing.finish()
        assert {p.compression for p in same} == {"zstd:dict:1"}
        assert packing.trainings == 1 and not packing.retrained
        # Then the site's template changes: judged against those unseen pages, it retrains.
        changed = [packing.pack(page(rng, n, "other")) for n in range(TRAIN_AFTER)]
        packing.finish()
        assert changed[0].compression == "zstd:dict:1" and packing.retrained
        assert packing.packer.compression == "zstd:dict:2"
    finally:
        archive.close()


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_a_crawl_packs_and_trains_on_its_writer_never_on_the_reactor_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    """The crawl's pipeline hands pages over as fetched: hashing, compression and the
    dictionary's training run where the writes do (in a writer process: not in the crawl's
    process at all), and what they count reaches the crawl's stats."""
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from tjcrawl.pipelines.archive import ArchivePipeline
    from tjcrawl.profiles import load_profiles

    where = tmp_path / "where.txt"

    def noted(what: str) -> None:  # a file: a writer process's notes must reach the test too
        with where.open("a") as out:
            out.write(f"{what} {os.getpid()} {threading.current_thread().name}\n")

    real_of, real_train = PackedBody.of.__func__, compression.train  # type: ignore[attr-defined]

    def packed_of(cls: type, body: bytes, packer: Any = None) -> PackedBody:
        noted("pack")
        return real_of(cls, body, packer)

    def trained(samples: list[bytes], size: int = compression.DICT_SIZE) -> bytes:
        noted("train")
        return real_train(samples, size)

    monkeypatch.setattr(PackedBody, "of", classmethod(packed_of))
    monkeypatch.setattr(compression, "train", trained)
    db = tmp_path / "a.db"
    crawler = get_crawler(
        settings_dict={"TJCRAWL_DB": str(db), "TJCRAWL_WRITER_PROCESS": writer == "process"}
    )
    spider = SimpleNamespace(name="demo_trs", profile=load_profiles()["demo_trs"])
    pipeline = ArchivePipeline(crawler)
    pipeline.open_spider(spider)  # type: ignore[arg-type]
    assert pipeline.archive is not None
    assert pipeline.archive.writes_elsewhere == (writer == "process")
    rng = random.Random(29)
    sent = {}
    for n in range(TRAIN_AFTER):
        url = f"http://gov.test/{n}.html"
        sent[url] = page(rng, n)
        response = HtmlResponse(url, body=sent[url], headers={"Content-Type": "text/html"})
        request = Request(url, meta={"page_kind": "detail", "fetched_at": "2025-01-01T08:00"})
        pipeline.response_received(response, request, spider)  # type: ignore[arg-type]
    pipeline.spider_closed(spider, "finished")  # type: ignore[arg-type]

    notes = [line.split(" ", 2) for line in where.read_text().splitlines()]
    here = (str(os.getpid()), threading.current_thread().name)
    packs = [(pid, thread) for what, pid, thread in notes if what == "pack"]
    trainings = [(pid, thread) for what, pid, thread in notes if what == "train"]
    assert len(packs) >= TRAIN_AFTER and here not in packs
    assert len(trainings) == 1 and trainings[0][1].startswith("zstd-dict-demo_trs")
    if writer == "process":
        assert here[0] not in {pid for pid, _ in packs + trainings}
    stats = crawler.stats.get_stats()
    assert stats["tjcrawl/compression_dicts_trained"] == 1
    assert stats["tjcrawl/pages_recompressed"] == TRAIN_AFTER
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT url, body, compression FROM pages").fetchall()
        assert {how for _url, _body, how in rows} == {"zstd:dict:1"}
        assert {url: page_body(body, how, conn) for url, body, how in rows} == sent
        assert conn.execute("SELECT finish_reason FROM crawl_runs").fetchall() == [("finished",)]


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_a_failed_training_is_logged_and_counted_and_the_pages_stored_all_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, writer: str
) -> None:
    def broken(samples: list[bytes], size: int = 0) -> bytes:
        raise MemoryError("no room to train")

    monkeypatch.setattr(compression, "train", broken)  # in a writer process too: it is forked
    rng = random.Random(31)
    db = tmp_path / "a.db"
    archive = Archive.acquire(db)
    archive.start_writer(process=writer == "process")
    stats = Stats()
    try:
        session = open_run(archive, stats)
        for n in range(TRAIN_AFTER + 10):
            fetched(archive, session, f"http://gov.test/{n}.html", page(rng, n))
        archive.submit(session.finish_pages)
        with caplog.at_level(logging.WARNING):
            archive.call(session.commit)
    finally:
        archive.release()
    assert stats.values == {"tjcrawl/compression_dict_failed": 1}
    assert "demo_trs: no zstd dictionary trained: MemoryError: no room to train" in caplog.text
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT compression, count(*) FROM pages GROUP BY 1").fetchall() == [
            ("zstd", TRAIN_AFTER + 10)
        ]


def test_a_dictionary_that_cannot_be_stored_rolls_its_transaction_back_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the writer's loop does with any write that fails: the open transaction's writes are
    counted failed (the run is then not `finished`), and the crawl goes on packing plain."""
    rng = random.Random(37)
    archive = Archive(tmp_path / "a.db", commit_every=10_000, commit_seconds=3600)
    stats, ledger = Stats(), WriteLedger()

    def full(*args: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(archive, "store_dictionary", full)
    try:
        packing = PagePacking(archive, "demo_trs", stats)
        for n in range(TRAIN_AFTER):
            body = page(rng, n)
            archive.tally(ledger, "pages")
            store_detail(archive, f"http://gov.test/{n}.html", body, packed=packing.pack(body))
        packing.finish()
        assert ledger.failed["pages"] == TRAIN_AFTER and ledger.errors
        assert stats.values == {"tjcrawl/compression_dict_failed": 1}
        assert packing.failed is not None and packing.packer is compression.PLAIN
        assert packing.pack(page(rng, 0)).compression == "zstd"
    finally:
        archive.close()
