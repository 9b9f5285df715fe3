"""Exports carry the attachments: JSON lines their metadata (and with --attachment-text their
text), WARC the stored files as response records with their exact bytes."""

import hashlib
import json
from pathlib import Path

from attachment_archive import add_article, add_attachment
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from tjcrawl.attachments.states import Extracted
from tjcrawl.cli import main
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.attachments import attachment_bytes

PDF_URL = "http://x.test/202503/P020250301.pdf"
DATA = b"%PDF-1.4 not really\n" + bytes(range(256))


def _archive(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    archive = Archive(path)
    article = add_article(archive, 1, "关于签约项目的通知", "详见附件")
    add_article(archive, 2, "无附件", "正文")
    add_attachment(
        archive,
        article,
        PDF_URL,
        DATA,
        link_text="附件1：签约项目清单",
        got=Extracted("ok", "华东重工", 2, "pdfium"),
    )
    archive.store_attachment_links(article, [{"url": "http://x.test/not-fetched.xls", "text": ""}])
    archive.commit()
    archive.close()
    return path


def test_jsonl_carries_attachment_metadata_and_on_request_text(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    out = CliRunner().invoke(main, ["export", "--db", str(path)])
    assert out.exit_code == 0, out.output
    rows = {row["url"]: row for row in map(json.loads, out.output.splitlines())}
    assert rows["http://x.test/2.html"]["attachments"] == []
    first, second = rows["http://x.test/1.html"]["attachments"]
    assert first == {
        "url": PDF_URL,
        "name": "附件1：签约项目清单",
        "type": "application/pdf",
        "size": len(DATA),
        "sha256": hashlib.sha256(DATA).hexdigest(),
        "state": "ok",
        "pages": 2,
        "method": "pdfium",
    }
    assert second["name"] == "not-fetched.xls" and second["sha256"] is None

    with_text = CliRunner().invoke(main, ["export", "--attachment-text", "--db", str(path)])
    rows = {row["url"]: row for row in map(json.loads, with_text.output.splitlines())}
    assert rows["http://x.test/1.html"]["attachments"][0]["text"] == "华东重工"

    refused = CliRunner().invoke(main, ["export", "--format", "csv", "--attachment-text",
                                        "--db", str(path)])  # fmt: skip
    assert refused.exit_code == 2 and "--attachment-text" in refused.output


def test_warc_holds_each_attachment_file_with_its_exact_bytes(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    out = tmp_path / "a.warc.gz"
    result = CliRunner().invoke(main, ["export", "--format", "warc", str(out), "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 attachment files" in result.output
    responses = {}
    with out.open("rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response":
                uri = record.rec_headers.get_header("WARC-Target-URI")
                responses[uri] = (record.http_headers, record.content_stream().read())
    headers, body = responses[PDF_URL]
    archive = Archive(path)
    assert body == attachment_bytes(archive.conn, PDF_URL) == DATA  # as stored, as served
    archive.close()
    assert headers.get_header("Content-Type") == "application/pdf"
    assert headers.get_header("Content-Length") == str(len(DATA))
    assert "http://x.test/not-fetched.xls" not in responses
