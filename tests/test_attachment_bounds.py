"""Attachment text: each format read from files made here, and each kind of bad input of
issue 20 item 5 ending in its state, in bounded time, through the worker process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from attachment_files import make_docx, make_ofd, make_pdf, make_xlsx, make_zip, make_zip_bomb
from conftest import run_cli

from tjcrawl.attachments import Extracted, Worker

SHARED = Path(__file__).resolve().parents[2] / "shared" / "attachments-dev" / "pdf"
#: Seconds any one bad input may take, the worker's start included.
BOUND = 20.0


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    with Worker(time_limit=10.0) as running:
        yield running


def timed(worker: Worker, data: bytes, name: str) -> Extracted:
    started = time.monotonic()
    got = worker.read(data, name)
    assert time.monotonic() - started < BOUND
    return got


def test_a_pdf_is_read_page_by_page(worker: Worker) -> None:
    got = timed(worker, make_pdf([["Tianjin Binhai 2025", "second line"], ["page two"]]), "a.pdf")
    assert (got.state, got.pages, got.method) == ("ok", 2, "pdfium")
    assert got.text == "Tianjin Binhai 2025\nsecond line\n\npage two"


def test_a_docx_gives_its_paragraphs_and_table_cells(worker: Worker) -> None:
    data = make_docx(
        ["天津市招商引资签约项目", "详见下表"], [["企业", "金额"], ["滨海某科技", "12亿元"]]
    )
    got = timed(worker, data, "W020250903.docx")
    assert (got.state, got.method) == ("ok", "docx")
    assert got.text.splitlines() == [
        "天津市招商引资签约项目",
        "详见下表",
        "企业",
        "金额",
        "滨海某科技",
        "12亿元",
    ]


def test_an_xlsx_gives_every_sheet_row_by_row(worker: Worker) -> None:
    data = make_xlsx(
        {
            "签约项目": [["企业", "金额"], ["天津某某有限公司", 1.5], [None, None], ["乙", 3]],
            "二": [["备注"]],
        }
    )
    got = timed(worker, data, "list.xlsx")
    assert (got.state, got.pages, got.method) == ("ok", 2, "openpyxl")
    assert got.text == "签约项目\n企业\t金额\n天津某某有限公司\t1.5\n乙\t3\n\n二\n备注"


def test_an_ofd_gives_its_text_codes_in_page_order(worker: Worker) -> None:
    pages = [[f"第{i}页", f"内容{i}"] for i in range(12)]
    got = timed(worker, make_ofd(pages), "notice.ofd")
    assert (got.state, got.pages, got.method) == ("ok", 12, "ofd")
    assert got.text == "\n\n".join(f"第{i}页\n内容{i}" for i in range(12))


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_text_and_csv_are_decoded_gbk_included(worker: Worker, encoding: str) -> None:
    got = timed(worker, "名称,金额\n天津港,100\n".encode(encoding), "a.csv")
    assert got.state == "ok"
    assert got.text == "名称,金额\n天津港,100"


def test_html_gives_its_text_without_scripts(worker: Worker) -> None:
    page = (
        "<html><head><script>var x=1;</script></head>"
        "<body><p>政策原文</p><p>第二条</p></body></html>"
    )
    got = timed(worker, page.encode("gbk"), "policy.html")
    assert (got.state, got.method, got.text) == ("ok", "html", "政策原文\n第二条")


def test_a_zip_of_attachments_reads_each_member(worker: Worker) -> None:
    data = make_zip(
        {
            "说明.txt": "附件说明".encode("gbk"),
            "b.docx": make_docx(["压缩包内文件"]),
            "c.pdf": make_pdf([["inside the zip"]]),
        }
    )
    got = timed(worker, data, "files.zip")
    assert (got.state, got.pages, got.method) == ("ok", 1, "zip")
    assert "== 说明.txt ==\n附件说明" in got.text
    assert "== b.docx ==\n压缩包内文件" in got.text
    assert "== c.pdf ==\ninside the zip" in got.text


def test_a_zip_bomb_is_too_large_unread(worker: Worker) -> None:
    got = timed(worker, make_zip_bomb(), "bomb.zip")
    assert (got.state, got.text) == ("too_large", "")
    assert "zip bomb" in got.detail


def test_a_zip_bomb_inside_a_zip_is_too_large_too(worker: Worker) -> None:
    got = timed(worker, make_zip({"ok.txt": b"fine", "inner.zip": make_zip_bomb()}), "outer.zip")
    assert got.state == "too_large"


@pytest.mark.parametrize(
    ("broken", "why"),
    [({"prev_loop": True}, "loop"), ({"bad_offsets": True}, "point at no object")],
    ids=["xref-prev-loop", "evil-xref-offsets"],
)
def test_a_broken_cross_reference_table_is_damaged_but_read(
    worker: Worker, broken: dict[str, bool], why: str
) -> None:
    got = timed(worker, make_pdf([["still readable"]], **broken), "P0.pdf")
    assert got.state == "damaged"
    assert why in got.detail
    assert got.text == "still readable"


def test_a_truncated_download_is_damaged_and_invents_no_text(worker: Worker) -> None:
    whole = make_pdf([[f"line {i}" for i in range(40)]])
    got = timed(worker, whole[: len(whole) * 2 // 3], "P0.pdf")
    assert got.state == "damaged"
    assert "truncated" in got.detail
    assert all(line.startswith("line ") for line in got.text.splitlines())


def test_an_html_error_page_served_as_pdf_is_not_a_file(worker: Worker) -> None:
    page = "<!DOCTYPE html><html><head><title>404</title></head><body>页面不存在</body></html>"
    got = timed(worker, page.encode("utf-8"), "P020250903.pdf")
    assert (got.state, got.text) == ("not_a_file", "")
    assert "HTML" in got.detail


def test_an_empty_download_is_not_a_file(worker: Worker) -> None:
    assert timed(worker, b"", "P0.pdf").state == "not_a_file"


def test_a_wrong_type_is_read_by_its_bytes_not_its_name(worker: Worker) -> None:
    got = timed(worker, make_docx(["其实是Word文件"]), "P020250903.pdf")
    assert (got.state, got.method, got.text) == ("ok", "docx", "其实是Word文件")
    assert timed(worker, bytes(range(256)) * 8, "P0.pdf").state == "unsupported"


def test_an_encrypted_pdf_is_encrypted_with_no_text(worker: Worker) -> None:
    got = timed(worker, (SHARED / "aes-128.pdf").read_bytes(), "aes-128.pdf")
    assert (got.state, got.text) == ("encrypted", "")


def test_a_file_over_the_time_limit_is_too_large_and_the_worker_recovers() -> None:
    many = make_pdf([[f"page {p} line {i}" for i in range(40)] for p in range(300)])
    with Worker(time_limit=0.05) as slow:
        slow.read(b"warm up", "a.txt")
        started = time.monotonic()
        got = slow.read(many, "many.pdf")
        assert time.monotonic() - started < BOUND
        assert got.state == "too_large"
        assert "over 0.05s" in got.detail
        assert slow.restarts == 1
        assert slow.read(b"after", "a.txt").text == "after"


def test_a_worker_that_dies_is_damaged_for_that_file_and_replaced(worker: Worker) -> None:
    worker.read(b"warm", "a.txt")
    process = worker._process
    # As a parser crash would: the worker dies while it reads the file.
    many = make_pdf([[f"page {p} line {i}" for i in range(40)] for p in range(1500)])
    killer = threading.Timer(0.05, process.kill)
    killer.start()
    got = timed(worker, many, "a.pdf")
    killer.join()
    assert got.state == "damaged"
    assert "died" in got.detail or "crashed" in got.detail
    assert timed(worker, make_pdf([["back"]]), "a.pdf").text == "back"


def test_a_200_mb_file_is_too_large_without_being_read(tmp_path: Path) -> None:
    huge = tmp_path / "P020250903.pdf"
    with huge.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        handle.truncate(200 * 1024 * 1024)  # sparse: no 200 MB written
    started = time.monotonic()
    shown = run_cli("extract", str(huge), "--json", timeout=60)
    assert time.monotonic() - started < BOUND
    assert shown.returncode == 3
    assert '"state": "too_large"' in shown.stdout
    assert shown.stderr.strip().count("\n") == 0
    assert "too_large" in shown.stderr and "209715200 bytes" in shown.stderr


def test_files_handed_ahead_keep_their_order_and_their_own_limits() -> None:
    """read_many hands the worker the next file while it reads one: a file that runs out of
    time, or is over the size cap, is that file's state alone; the files around it are read."""
    slow = make_pdf([[f"page {p} line {i}" for i in range(40)] for p in range(3000)])
    assert len(slow) < 5_000_000
    items = [
        (b"first", "a.txt"),
        (slow, "slow.pdf"),
        (make_docx(["after the slow one"]), "b.docx"),
        (b"x" * 6_000_000, "big.txt"),
        (make_pdf([["last"]]), "c.pdf"),
    ]
    with Worker(time_limit=0.3, max_bytes=5_000_000) as worker:
        worker.read(b"warm up", "a.txt")
        started = time.monotonic()
        got = list(worker.read_many(items))
        assert time.monotonic() - started < BOUND
    assert [g.state for g in got] == ["ok", "too_large", "ok", "too_large", "ok"]
    assert [got[0].text, got[2].text, got[4].text] == ["first", "after the slow one", "last"]
    assert "over 0.3s" in got[1].detail and "6000000 bytes" in got[3].detail


def test_a_file_over_the_memory_limit_is_too_large_and_the_worker_goes_on() -> None:
    """A zip within the ratio and size caps whose text is larger than the worker may hold: the
    address-space limit (setrlimit) stops it, not the machine."""
    block = b"".join(b"%08d tianjin line\n" % i for i in range(100_000))  # 2.3 MB, no repeats
    data = make_zip({"big.txt": block * 60})  # 138 MB inflated, about 9:1
    with Worker(memory_limit=350 * 1024 * 1024) as worker:
        started = time.monotonic()
        got = worker.read(data, "big.zip")
        assert time.monotonic() - started < BOUND
        assert (got.state, got.text) == ("too_large", "")
        assert "out of memory" in got.detail
        assert worker.read(b"next", "a.txt").text == "next"


def test_without_antiword_and_catdoc_a_word_file_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ole_word = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "WordDocument".encode("utf-16-le")
    monkeypatch.setenv("PATH", "/nonexistent")  # the worker inherits it: no antiword, no catdoc
    with Worker() as worker:
        got = worker.read(ole_word + bytes(1024), "W020250903.doc")
    assert (got.state, got.text) == ("unsupported", "")
    assert got.detail == (
        "DOC/WPS files need antiword or catdoc: install them with: apt-get install antiword catdoc"
    )


def test_only_the_page_pdfium_misreads_goes_to_pdfminer(worker: Worker) -> None:
    """Page 2 shows bytes PDFium reads as control characters: that page alone is read again."""
    data = make_pdf([["first page fine"], ["\x01\x02\x03\x04\x05 odd"], ["third fine"]])
    got = timed(worker, data, "mixed.pdf")
    assert (got.state, got.pages, got.method) == ("ok", 3, "pdfium+pdfminer")
    assert got.text == "first page fine\n\nodd\n\nthird fine"


def test_html_that_lxml_cannot_parse_is_damaged_not_an_empty_ok(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A parser failure was read as "ok, no text": an attachment's words lost without a word."""
    import lxml.html

    from tjcrawl.attachments.textfiles import extract_html

    def refuse(markup: str) -> None:
        raise ValueError("parser broke")

    assert extract_html(b"   ").state == "ok"  # an empty page: nothing there, said as such
    monkeypatch.setattr(lxml.html, "document_fromstring", refuse)
    got = extract_html("<p>天津</p>".encode())
    assert got.state == "damaged" and got.text == "" and "ValueError" in got.detail
