"""Each article's facts digest (tjcrawl.storage.facts_digest): `tjcrawl reextract` recomputes
only the facts whose finder, title, body or attachment text changed, with the same facts and
counts a full recompute gives; a failed finder leaves no digest and is tried again; an
attachment re-read by the same run reaches its articles' facts."""

from __future__ import annotations

import ast
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from attachment_archive import add_article, add_attachment, text_only
from facts_archive import article_item

from tjcrawl.attachments.states import Extracted
from tjcrawl.pipelines.archive_writes import store_item
from tjcrawl.reextract import reextract
from tjcrawl.storage import facts as stored_facts
from tjcrawl.storage import facts_digest as digests
from tjcrawl.storage.archive import Archive, WriteLedger
from tjcrawl.storage.attachments import store_attachment_text

BODIES = ("本次签约项目31个，总投资120.5亿元。", "和平区签约商业项目，总投资2亿元。", "天气晴。")
LINK = "http://gov.tjcrawl.test/list.pdf"


def article(n: int, body: str) -> dict[str, Any]:
    return article_item(f"http://gov.tjcrawl.test/{n}.html", f"滨海新区集中签约{n}", body)


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    archive = build(tmp_path / "a.db")
    yield archive
    archive.close()


def build(path: Path) -> Archive:
    """Three articles stored as a crawl stores them, the first linking a file with text."""
    archive = Archive(path)
    ledger = WriteLedger()
    for n, body in enumerate(BODIES):
        links = [{"url": LINK, "text": "清单"}] if n == 0 else []
        store_item(archive, ledger, "r1", article(n, body), None, links)
    archive.store_attachment_file(
        url=LINK, status=200, content_type="application/pdf", body=b"%PDF", run_id="r1"
    )
    set_text(archive, "甲项目总投资3亿元。")
    archive.commit()
    return archive


def set_text(archive: Archive, text: str) -> None:
    """The file's text, arriving as in a crawl: its articles get their facts again."""
    store_attachment_text(archive, url=LINK, sha256="x", got=text_only(text))
    for article_id in stored_facts.articles_linking(archive.conn, LINK):
        stored_facts.store_facts(archive, None, "r1", article_id, "one", LINK)


@pytest.fixture
def finder_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The title of each article the finder is run on."""
    from tjcrawl.extract import facts as finder

    calls: list[str] = []
    real = finder.extract_facts

    def counted(title: str, body: str, **kwargs: Any) -> Any:
        calls.append(title)
        return real(title, body, **kwargs)

    monkeypatch.setattr(finder, "extract_facts", counted)
    return calls


def all_facts(archive: Archive) -> list[tuple[Any, ...]]:
    return archive.conn.execute(
        "SELECT article_id, kind, value, field, sentence FROM article_facts ORDER BY article_id, id"
    ).fetchall()


def stored_digests(archive: Archive) -> dict[int, str]:
    return dict(archive.conn.execute(f"SELECT article_id, digest FROM {digests.TABLE}"))


def change_seqs(archive: Archive) -> list[int]:
    return [r[0] for r in archive.conn.execute("SELECT change_seq FROM articles ORDER BY id")]


def test_every_write_of_facts_stores_the_digest_of_its_inputs(archive: Archive) -> None:
    titles = dict(archive.conn.execute("SELECT id, title FROM articles"))
    bodies = dict(archive.conn.execute("SELECT id, body FROM articles"))
    expected = {
        i: digests.facts_digest(
            titles[i], bodies[i], {LINK: "甲项目总投资3亿元。"} if i == 1 else {}
        )
        for i in titles
    }
    assert stored_digests(archive) == expected
    # The attachment's text is part of its article's inputs; a finder that changes its files
    # gives every digest anew.
    assert expected[1] != digests.facts_digest(titles[1], bodies[1], {})
    assert len(set(expected.values())) == 3


def test_an_unchanged_reextract_runs_no_finder_and_counts_as_a_full_one(
    archive: Archive, finder_calls: list[str]
) -> None:
    facts, seqs = all_facts(archive), change_seqs(archive)
    assert any(f[3] == f"attachment:{LINK}" for f in facts)
    quick = stored_facts.recompute_source(archive, "r2", "one")
    assert finder_calls == []
    assert all_facts(archive) == facts and change_seqs(archive) == seqs
    archive.conn.execute(f"DELETE FROM {digests.TABLE}")  # a full recompute
    full = stored_facts.recompute_source(archive, "r3", "one")
    assert len(finder_calls) == 3
    assert quick == full == (3, len(facts), 0)
    assert all_facts(archive) == facts
    assert change_seqs(archive) == seqs  # recomputed, the same facts: no news downstream


def test_a_changed_body_recomputes_that_article_only(
    archive: Archive, finder_calls: list[str]
) -> None:
    archive.conn.execute("UPDATE articles SET body = '总投资9亿元。' WHERE id = 2")
    seqs = change_seqs(archive)
    assert stored_facts.recompute_source(archive, "r2", "one")[0] == 3
    assert finder_calls == ["滨海新区集中签约1"]
    money = archive.conn.execute(
        "SELECT value FROM article_facts WHERE article_id = 2 AND kind = 'money'"
    ).fetchall()
    assert money == [("900000000",)]
    after = change_seqs(archive)
    assert after[1] > seqs[1] and (after[0], after[2]) == (seqs[0], seqs[2])
    stored_facts.recompute_source(archive, "r3", "one")
    assert finder_calls == ["滨海新区集中签约1"]  # its new digest holds


def test_a_changed_title_recomputes_that_article_only(
    archive: Archive, finder_calls: list[str]
) -> None:
    archive.conn.execute("UPDATE articles SET title = '和平区签约' WHERE id = 3")
    stored_facts.recompute_source(archive, "r2", "one")
    assert finder_calls == ["和平区签约"]


def test_a_changed_attachment_text_recomputes_its_articles_only(
    archive: Archive, finder_calls: list[str]
) -> None:
    # Changed under the facts, as a re-read does, without the crawl's recompute.
    store_attachment_text(archive, url=LINK, sha256="y", got=text_only("乙项目总投资7亿元。"))
    stored_facts.recompute_source(archive, "r2", "one")
    assert finder_calls == ["滨海新区集中签约0"]
    attached = archive.conn.execute(
        "SELECT value FROM article_facts WHERE field = ? AND kind = 'money'",
        (f"attachment:{LINK}",),
    ).fetchall()
    assert attached == [("700000000",)]


def test_another_finder_recomputes_every_article(
    archive: Archive, finder_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = all_facts(archive)
    monkeypatch.setattr(digests, "finder_fingerprint", lambda: "another finder")
    assert stored_facts.recompute_source(archive, "r2", "one") == (3, len(facts), 0)
    assert sorted(finder_calls) == [f"滨海新区集中签约{n}" for n in range(3)]
    assert all_facts(archive) == facts
    stored_facts.recompute_source(archive, "r3", "one")
    assert len(finder_calls) == 3


def test_a_failing_finder_leaves_no_digest_and_is_tried_again(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tjcrawl.extract import facts as finder

    real = finder.extract_facts

    def broken_on_the_second(title: str, body: str, **kwargs: Any) -> Any:
        if title.endswith("1"):
            raise ValueError("bad rule")
        return real(title, body, **kwargs)

    monkeypatch.setattr(finder, "extract_facts", broken_on_the_second)
    monkeypatch.setattr(digests, "finder_fingerprint", lambda: "a broken finder")
    articles, found, failed = stored_facts.recompute_source(archive, "r2", "one")
    assert (articles, failed) == (3, 1)
    assert found == len(all_facts(archive)) and 2 not in {f[0] for f in all_facts(archive)}
    assert set(stored_digests(archive)) == {1, 3}
    # The next run tries it again (and only it), and counts its failure again.
    assert stored_facts.recompute_source(archive, "r3", "one")[2] == 1
    faults = archive.conn.execute("SELECT run_id, kind, url FROM faults ORDER BY id").fetchall()
    url = "http://gov.tjcrawl.test/1.html"
    assert faults == [("r2", "facts_failed", url), ("r3", "facts_failed", url)]
    monkeypatch.setattr(finder, "extract_facts", real)
    assert stored_facts.recompute_source(archive, "r4", "one")[2] == 0
    assert set(stored_digests(archive)) == {1, 2, 3}
    assert 2 in {f[0] for f in all_facts(archive)}


def test_an_archive_written_before_digests_recomputes_once(
    tmp_path: Path, finder_calls: list[str]
) -> None:
    archive = build(tmp_path / "a.db")
    finder_calls.clear()
    path, facts, seqs = archive.path, all_facts(archive), change_seqs(archive)
    archive.close()
    with closing(sqlite3.connect(path)) as conn:  # as the current release leaves it
        conn.execute(f"DROP TABLE {digests.TABLE}")
        conn.execute("PRAGMA user_version = 23")
        conn.execute("UPDATE tjcrawl_meta SET value = '23' WHERE key = 'schema_version'")
        conn.commit()
    upgraded = Archive(path)
    try:
        assert stored_digests(upgraded) == {}
        digests.create_digest_table(sqlite_utils.Database(upgraded.conn))  # again: harmless
        assert stored_facts.recompute_source(upgraded, "r2", "one") == (3, len(facts), 0)
        assert len(finder_calls) == 3
        assert all_facts(upgraded) == facts and change_seqs(upgraded) == seqs
        stored_facts.recompute_source(upgraded, "r3", "one")
        assert len(finder_calls) == 3
    finally:
        upgraded.close()


def test_the_finder_imports_nothing_else_of_tjcrawl() -> None:
    # Its fingerprint hashes its own files only: code it imported from elsewhere in tjcrawl
    # could change its facts without changing their digest.
    folder = Path(digests.__file__).parents[1] / "extract" / "facts"
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else ["tjcrawl.extract.facts"]
            for name in names:
                if name == "tjcrawl" or name.startswith("tjcrawl."):
                    assert name.startswith("tjcrawl.extract.facts"), (path.name, name)


# -- attachments re-read by `tjcrawl reextract` -------------------------------------------------
def copy_of(path: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "archive.db"
    with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(copy)) as dest:
        source.backup(dest)
    return copy


def attachment_facts(db: Path) -> set[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT article_id, field, kind, value FROM article_facts WHERE field LIKE 'attach%'"
        )
        return set(rows)


def test_a_reextract_that_rereads_an_attachment_gives_its_articles_the_new_facts(
    demo_archive: Any, tmp_path: Path
) -> None:
    db = copy_of(demo_archive.path, tmp_path)
    expected = attachment_facts(db)
    assert expected  # the demo's spreadsheet and document hold places and industries
    # Read by an older reader that failed on them: the articles' facts lack theirs.
    archive = Archive(db)
    urls = sorted({field.removeprefix("attachment:") for _, field, _, _ in expected})
    for url in urls:
        failed = Extracted("damaged", "", None, "none", "damaged: an old reader's bug")
        store_attachment_text(archive, url=url, sha256="old", got=failed)
        for article_id in stored_facts.articles_linking(archive.conn, url):
            stored_facts.store_facts(archive, None, "old", article_id, "demo_trs", url)
    archive.close()
    assert attachment_facts(db) == set()

    report = reextract(db, ["demo_trs"])
    assert report.attachments is not None and report.attachments.changed == len(urls)
    assert attachment_facts(db) == expected
    assert report.sources[0].facts_failed == 0


def test_articles_of_sources_not_reextracted_follow_their_attachments_too(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.db"
    archive = Archive(path)
    page = add_article(archive, 1, "关于签约项目的通知", "详见附件")
    old = Extracted("damaged", "", None, "none", "damaged: an old reader's bug")
    data = "甲项目总投资3亿元。".encode()
    add_attachment(archive, page, "http://x.test/a.txt", data, content_type="text/plain", got=old)
    archive.commit()
    archive.close()
    # Source "s" has neither a profile nor stored pages: only its attachment is re-read.
    report = reextract(path, profiles={})
    assert report.attachments is not None and report.attachments.changed == 1
    facts = attachment_facts(path)
    assert "money" in {kind for _, _, kind, _ in facts}, facts
    assert report.attachments.facts_failed == 0 and report.problems == []
