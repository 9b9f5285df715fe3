"""The real attachment files of fixtures/tj_fzgg (one per format, made by real tools: see its
README) read as their golden rows say, through the worker as the crawl reads them."""

import json
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from tjcrawl.attachments import Worker

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "fixtures" / "tj_fzgg"
GOLDENS = json.loads((FIXTURE / "expected_attachments.json").read_text("utf-8"))
ARTICLE = "https://fzgg.tj.gov.cn/xxfb/tzggx/202508/t20250815_7005790.html"
FORMATS = {"pdf", "docx", "xlsx", "doc", "xls", "wps", "et", "ofd", "csv", "txt", "html", "zip"}


def _file(url: str) -> Path:
    return FIXTURE / "site" / urlsplit(url).path.lstrip("/")


def _squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def readings() -> dict[str, tuple]:
    with Worker() as worker:
        items = [(_file(row["url"]).read_bytes(), row["url"]) for row in GOLDENS]
        return {row["url"]: got for row, got in zip(GOLDENS, worker.read_many(items), strict=True)}


def test_every_format_has_a_file_linked_from_the_article() -> None:
    suffixes = {row["url"].rsplit(".", 1)[1] for row in GOLDENS}
    assert suffixes == FORMATS
    page = lxml.html.fromstring(_file(ARTICLE).read_bytes())
    links = {urljoin(ARTICLE, a.get("href")): a.text_content() for a in page.iter("a")}
    for row in GOLDENS:
        assert links.get(row["url"]) == row["link_text"], row["url"]


def test_each_file_reads_as_its_golden_row(readings: dict) -> None:
    import hashlib

    for row in GOLDENS:
        got = readings[row["url"]]
        assert got.state == row["state"], row["url"]
        assert got.pages == row["pages"], row["url"]
        assert got.method == row["method"], row["url"]
        assert got.detail == row["detail"], row["url"]
        assert got.text == row["text"], row["url"]
        assert hashlib.sha256(got.text.encode()).hexdigest() == row["text_sha256"]
        for wanted in row["must_contain"]:
            assert _squeeze(wanted) in _squeeze(got.text), (row["url"], wanted)
    scans = [row for row in GOLDENS if row["state"] != "ok"]
    assert [(r["state"], r["url"].rsplit(".", 1)[1]) for r in scans] == [("needs_ocr", "pdf")]
    assert all(row["must_contain"] for row in GOLDENS if row["state"] == "ok")


def test_each_files_own_company_is_on_no_html_page() -> None:
    """A search that finds one of them found it in that attachment, nowhere else."""
    own = {row["must_contain"][0] for row in GOLDENS if row["must_contain"]}
    attachments = {_file(row["url"]) for row in GOLDENS}
    for page in (REPO / "fixtures").glob("*/site/**/*.htm*"):
        if page in attachments:
            continue
        text = page.read_bytes().decode("utf-8", "replace")
        assert not [name for name in own if name in text], page


def test_a_word_table_row_stays_on_one_line(readings: dict) -> None:
    """catdoc, not antiword, reads DOC/WPS first: antiword wraps a long table cell onto the
    next line, and 海河智能装备产业园运营有限公司 was found by no search."""
    for row in GOLDENS:
        if row["url"].endswith((".doc", ".wps")):
            lines = readings[row["url"]].text.splitlines()
            assert any("海河智能装备产业园运营有限公司" in line for line in lines), row["url"]


def test_a_zip_whose_first_member_is_a_stored_pdf_is_a_zip() -> None:
    """附件12 stores its PDF uncompressed first, so "%PDF-" is in its first kilobyte: it was
    read as one damaged PDF, and its other members were lost."""
    from tjcrawl.attachments.detect import ZIP, detect

    (row,) = [row for row in GOLDENS if row["url"].endswith(".zip")]
    data = _file(row["url"]).read_bytes()
    assert b"%PDF-" in data[:1024]
    assert detect(data) == ZIP
