"""OCR of scanned PDFs (tjcrawl.attachments.ocr): a scan rendered from a fixture PDF whose text
is known is read by `extract --ocr` (Tesseract, chi_sim+eng); without --ocr it is needs_ocr."""

import json
from pathlib import Path

from conftest import run_cli

from tjcrawl.attachments.ocr import char_accuracy, clean, scan_pdf
from tjcrawl.attachments.pdf import extract_pdf
from tjcrawl.runner import SourceReport

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "fixtures" / "tj_fzgg"
#: 附件13: Chromium's print of a page of Chinese text, rendered at 150 dpi into an image-only
#: PDF (tools/build_attachment_fixtures.py); its golden row holds the text it shows.
SCAN = "W020250815396120457793.pdf"
#: Character accuracy at least (docs/benchmarks.md, "OCR": 0.996 measured on this scan).
THRESHOLD = 0.95


def _scan() -> tuple[Path, str]:
    rows = json.loads((FIXTURE / "expected_attachments.json").read_text("utf-8"))
    (row,) = [r for r in rows if r["url"].endswith(SCAN)]
    return FIXTURE / "site/xxfb/tzggx/202508" / SCAN, row["scanned_text"]


def test_a_scan_is_needs_ocr_and_read_with_ocr() -> None:
    scan, text = _scan()
    plain = run_cli("extract", str(scan), "--json", timeout=60)
    assert plain.returncode == 3
    assert json.loads(plain.stdout) == {
        "state": "needs_ocr",
        "text": "",
        "pages": 1,
        "method": "pdfium",
    }
    assert "1 of 1 pages have no text layer" in plain.stderr

    read = run_cli("extract", str(scan), "--ocr", "--json", timeout=120)
    assert read.returncode == 0, read.stderr
    got = json.loads(read.stdout)
    assert (got["state"], got["pages"], got["method"]) == ("ok", 1, "pdfium+tesseract")
    assert char_accuracy(got["text"], text) >= THRESHOLD, got["text"]
    assert "招商引资" in got["text"]


def test_a_rendered_scan_of_a_text_pdf_is_needs_ocr_without_ocr() -> None:
    """scan_pdf leaves no text: what PDFium reads of the page is nothing."""
    pdf = FIXTURE / "site/xxfb/tzggx/202508/W020250815396120457781.pdf"
    assert extract_pdf(pdf.read_bytes()).state == "ok"
    got = extract_pdf(scan_pdf(pdf.read_bytes(), dpi=72))
    assert (got.state, got.text, got.pages) == ("needs_ocr", "", 1)


def test_without_tesseract_ocr_says_what_to_install_in_one_line() -> None:
    scan, _ = _scan()
    done = run_cli("extract", str(scan), "--ocr", env={"PATH": "/nonexistent"}, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "Error: OCR needs the tesseract program:"
        " apt-get install tesseract-ocr tesseract-ocr-chi-sim"
    )
    assert done.stdout == ""


def test_ocr_text_loses_the_spaces_tesseract_puts_between_chinese_characters() -> None:
    assert clean("签 约 项目 清单\n\nTianjin Port 2025\x0c") == "签约项目清单\nTianjin Port 2025"
    assert char_accuracy("签约项目", "签约项目") == 1.0
    assert char_accuracy("签钓项目", "签约 项目") == 0.75
    assert char_accuracy("", "签约") == 0.0


def test_the_run_summary_counts_attachments_left_for_ocr() -> None:
    stats = {"tjcrawl/faults/attachment_needs_ocr": 2, "tjcrawl/faults/attachment_damaged": 1}
    assert "2 attachments need OCR: crawl --ocr reads scans" in SourceReport("s", stats).summary()
    assert "OCR" not in SourceReport("s", {"tjcrawl/faults/attachment_damaged": 1}).summary()


def test_crawl_ocr_without_tesseract_stops_before_the_crawl(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    done = run_cli(
        "crawl", "tj_fzgg", "--serve-fixtures", "--attachments", "--ocr", "--db", str(db),
        env={"PATH": "/nonexistent"},
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: OCR needs the tesseract program:"
        " apt-get install tesseract-ocr tesseract-ocr-chi-sim"
    ]
    assert not db.exists()


def test_ocr_reaches_a_scan_inside_a_zip_and_keeps_page_order(monkeypatch) -> None:
    """In-process, Tesseract stood in for: the flag goes through the zip reader to each PDF,
    and a scanned page's text takes that page's place between text pages."""
    import io
    import zipfile

    import pypdfium2 as pdfium

    from tjcrawl.attachments import ocr
    from tjcrawl.attachments.reader import read

    monkeypatch.setattr(ocr, "ocr_page", lambda page, dpi, limit: "扫描页文字")
    pdf = (FIXTURE / "site/xxfb/tzggx/202508/W020250815396120457781.pdf").read_bytes()
    mixed = pdfium.PdfDocument.new()
    mixed.import_pages(pdfium.PdfDocument(pdf))
    mixed.import_pages(pdfium.PdfDocument(scan_pdf(pdf, dpi=36)))
    mixed.import_pages(pdfium.PdfDocument(pdf))
    out = io.BytesIO()
    mixed.save(out)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("mixed.pdf", out.getvalue())
        archive.writestr("scan.pdf", scan_pdf(pdf, dpi=36))

    plain = read(packed.getvalue(), "a.zip")
    assert plain.state == "needs_ocr"
    got = read(packed.getvalue(), "a.zip", ocr=True)
    assert (got.state, got.pages) == ("ok", 4)
    mixed_text = got.text.split("== scan.pdf ==")[0]
    pieces = mixed_text.split("扫描页文字")
    assert len(pieces) == 2 and "签约项目清单" in pieces[0] and "签约项目清单" in pieces[1]
    assert got.text.rstrip().endswith("== scan.pdf ==\n扫描页文字")
