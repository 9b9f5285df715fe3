"""`tjcrawl reextract` reads the stored attachment files again with the current readers: a
reading that comes out different replaces the stored one (search follows) and is counted."""

from pathlib import Path

from attachment_archive import add_article, add_attachment
from attachment_files import make_docx
from click.testing import CliRunner

from tjcrawl.attachments.states import Extracted
from tjcrawl.cli import main
from tjcrawl.reextract.attachments import reread_attachments
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.search.attachments import matching_urls


def test_reextract_refreshes_attachment_texts_and_counts_the_changes(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    archive = Archive(path)
    article = add_article(archive, 1, "关于签约项目的通知", "详见附件")
    docx = make_docx(["签约项目：华东重工"])
    # Read by an older reader that failed on it, and one whose reading holds.
    add_attachment(
        archive,
        article,
        "http://x.test/a.docx",
        docx,
        got=Extracted("damaged", "", None, "none", "damaged: an old reader's bug"),
    )
    add_attachment(archive, article, "http://x.test/b.docx", make_docx(["不变的文字"]))
    archive.commit()
    assert matching_urls(archive.conn, "华东重工") == {}

    report = reread_attachments(archive)
    archive.commit()
    assert (report.files, report.changed, report.state_changed) == (2, 1, 1)
    state, text = archive.conn.execute(
        "SELECT state, text FROM attachment_texts WHERE url = 'http://x.test/a.docx'"
    ).fetchone()
    assert state == "ok" and "华东重工" in text
    assert set(matching_urls(archive.conn, "华东重工")) == {"http://x.test/a.docx"}
    archive.close()

    out = CliRunner().invoke(main, ["reextract", "--db", str(path)])
    assert "attachments: 2 files re-read, 0 changed" in out.output, out.output
