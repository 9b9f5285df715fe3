"""A changed attachment file is a revision of the articles that link it; the stored bytes are
read back exactly through one accessor, raw or compressed."""

import hashlib
import json
import zlib
from pathlib import Path

from attachment_archive import add_article, add_attachment, text_only
from click.testing import CliRunner

from tjcrawl.cli import main
from tjcrawl.history import article_history
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.attachments import attachment_bytes


def test_a_new_file_at_the_same_link_is_a_revision(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    url = add_article(archive, 1, "关于签约项目的通知", "详见附件")
    other = add_article(archive, 2, "无附件", "正文")
    file_url = "http://x.test/202503/P020250301.pdf"
    add_attachment(archive, url, file_url, b"first", got=text_only("一"))
    archive.commit()
    seq = archive.conn.execute("SELECT change_seq FROM articles WHERE url = ?", (url,)).fetchone()
    assert archive.conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 0

    add_attachment(archive, url, file_url, b"first", got=text_only("一"))  # the same file
    archive.commit()
    assert archive.conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 0

    add_attachment(archive, url, file_url, b"second", got=text_only("二"))
    archive.commit()
    [(article_id, change, title)] = archive.conn.execute(
        "SELECT article_id, attachment_change, title FROM revisions"
    ).fetchall()
    assert title == "关于签约项目的通知"
    assert json.loads(change) == {
        "url": file_url,
        "old_sha256": hashlib.sha256(b"first").hexdigest(),
        "new_sha256": hashlib.sha256(b"second").hexdigest(),
    }
    new_seq = archive.conn.execute(
        "SELECT change_seq FROM articles WHERE id = ?", (article_id,)
    ).fetchone()
    assert new_seq[0] > seq[0]  # exports since the last one hand it over again
    found = article_history(archive.conn, url)
    assert found is not None and len(found.versions) == 2
    assert article_history(archive.conn, other).versions[0].attachment_change is None
    archive.close()

    out = CliRunner().invoke(main, ["history", url, "--db", str(tmp_path / "a.db")])
    assert out.exit_code == 0, out.output
    assert f"~ attachment {file_url}: sha256 {hashlib.sha256(b'first').hexdigest()[:12]}" in (
        out.output
    )


def test_attachment_bytes_reads_raw_and_compressed_rows(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    url = add_article(archive, 1, "t", "b")
    data = bytes(range(256)) * 50
    add_attachment(archive, url, "http://x.test/a.pdf", data, got=text_only(""))
    archive.commit()
    assert attachment_bytes(archive.conn, "http://x.test/a.pdf") == data
    assert attachment_bytes(archive.conn, "http://x.test/none.pdf") is None
    # A row stored raw by an older tjcrawl (no compression) and one compressed with zlib like
    # older pages read the same.
    archive.conn.execute("UPDATE attachment_files SET body = ?, compression = NULL", (data,))
    assert attachment_bytes(archive.conn, "http://x.test/a.pdf") == data
    archive.conn.execute(
        "UPDATE attachment_files SET body = ?, compression = 'zlib'", (zlib.compress(data),)
    )
    assert attachment_bytes(archive.conn, "http://x.test/a.pdf") == data
    archive.close()


def test_a_link_added_to_an_article_is_a_revision_once(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    url = add_article(archive, 1, "通知", "详见附件")
    archive.store_attachment_links(url, [{"url": "http://x.test/1.pdf", "text": "附件1"}])
    archive.commit()

    def revisions() -> list[tuple[str, str]]:
        return archive.conn.execute(
            "SELECT attachment_change, body FROM revisions ORDER BY id"
        ).fetchall()

    assert revisions() == []  # its first links are no change
    archive.store_attachment_links(url, [{"url": "http://x.test/1.pdf", "text": "附件1"}])
    archive.commit()
    assert revisions() == []  # the same links again
    archive.store_attachment_links(
        url,
        [
            {"url": "http://x.test/1.pdf", "text": "附件1"},
            {"url": "http://x.test/2.xls", "text": ""},
        ],
    )
    archive.commit()
    [(change, body)] = revisions()
    assert json.loads(change) == {"added": ["http://x.test/2.xls"]} and body == "详见附件"

    # Text and links changed in one store (as the crawl stores an item): one revision.
    add_article(archive, 1, "通知", "详见附件（已更新）")
    archive.store_attachment_links(url, [{"url": "http://x.test/3.doc", "text": ""}])
    archive.commit()
    assert [c for c, _ in revisions()] == [change, None]
    found = article_history(archive.conn, url)
    assert found is not None and len(found.versions) == 3
    archive.close()
    out = CliRunner().invoke(main, ["history", url, "--db", str(tmp_path / "a.db")])
    assert "+ attachment link http://x.test/2.xls" in out.output, out.output
