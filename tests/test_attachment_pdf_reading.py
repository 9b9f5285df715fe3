"""PDF reading details (tjcrawl.attachments.pdf): what the fast path trusts, what it hands to
pdfminer.six, and that nothing is left out without being counted. In-process: these are
about the reading logic, the worker's limits are tested in test_attachment_bounds.py."""

from __future__ import annotations

import io
from pathlib import Path

from attachment_files import make_pdf

from tjcrawl.attachments import Worker
from tjcrawl.attachments.pdf import extract_pdf

SHARED = Path(__file__).resolve().parents[2] / "shared" / "attachments-dev" / "pdf"
HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
#: A CID font without ToUnicode, not embedded, in the Identity ordering: no table anywhere
#: maps its codes to Unicode.
NO_UNICODE_TYPE0 = (
    b"<< /Type /Font /Subtype /Type0 /BaseFont /Mystery /Encoding /Identity-H"
    b" /DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Mystery"
    b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>] >>"
)


def pdf(content: bytes, fonts: dict[str, bytes], extra: list[bytes] | None = None) -> bytes:
    """One page showing `content`, with `fonts` (resource name → font dictionary) as objects
    5, 6, …; `extra` objects follow them (for XObjects the content names)."""
    names = list(fonts)
    extra = extra or []
    font_refs = " ".join(f"/{n} {5 + i} 0 R" for i, n in enumerate(names))
    xobjects = " ".join(f"/X{i} {5 + len(names) + i} 0 R" for i in range(len(extra)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        f" /Resources << /Font << {font_refs} >> /XObject << {xobjects} >> >> >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        *fonts.values(),
        *extra,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode())
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def test_characters_no_font_maps_to_unicode_are_counted_not_dropped_silently() -> None:
    content = (
        b"BT /F1 12 Tf 72 700 Td (Hello visible) Tj ET "
        b"BT /F2 12 Tf 72 650 Td <0011002200330044005500660077> Tj ET"
    )
    got = extract_pdf(pdf(content, {"F1": HELVETICA, "F2": NO_UNICODE_TYPE0}))
    assert got.state == "ok"
    assert "Hello visible" in got.text
    assert "7 characters left out: their font maps them to no Unicode" in got.detail
    assert not any(ord(c) < 32 and c not in "\n\t" for c in got.text)


def test_a_lone_unreadable_glyph_in_a_font_read_nowhere_else_still_goes_to_pdfminer() -> None:
    content = b"BT /F1 12 Tf 72 700 Td (Hello visible) Tj ET BT /F2 12 Tf 72 650 Td <0011> Tj ET"
    got = extract_pdf(pdf(content, {"F1": HELVETICA, "F2": NO_UNICODE_TYPE0}))
    assert got.method == "pdfminer"
    assert "1 characters left out" in got.detail


def test_blank_glyphs_of_a_font_pdfium_reads_do_not_send_the_page_to_pdfminer() -> None:
    """jo.pdf's blank lines are one-glyph text objects PDFium reads as nothing, in the font
    it reads everywhere else on the page: the page is PDFium's, read once. (Whether PDFium
    reads jo.pdf's non-embedded font at all depends on the fonts installed, in this process:
    where it cannot, the page is pdfminer's, for its dropped glyphs.)"""
    import pypdfium2 as pdfium

    data = (SHARED / "jo.pdf").read_bytes()
    doc = pdfium.PdfDocument(data)
    pdfium_reads_it = "みんなのおのおの" in doc[0].get_textpage().get_text_bounded()
    doc.close()
    got = extract_pdf(data)
    assert got.state == "ok"
    assert got.method == ("pdfium" if pdfium_reads_it else "pdfminer")
    assert "みんなのおのおののなかのすべてですから" in "".join(got.text.split())


def test_the_worker_reads_without_system_fonts_so_the_text_is_the_same_on_any_machine() -> None:
    """jo.pdf does not embed its Japanese font: PDFium maps its glyphs only when the machine
    has a CJK font to substitute (loading a 20-30 MB collection each time). The worker gives
    PDFium no system fonts, so the page goes to pdfminer.six, which needs no font program,
    and reads the same wherever it runs."""
    with Worker(time_limit=20.0) as worker:
        got = worker.read((SHARED / "jo.pdf").read_bytes(), "jo.pdf")
        plain = worker.read(make_pdf([["Tianjin Binhai 2025"]]), "a.pdf")
    assert (got.state, got.method) == ("ok", "pdfminer")
    assert "みんなのおのおののなかのすべてですから" in "".join(got.text.split())
    assert (plain.method, plain.text) == ("pdfium", "Tianjin Binhai 2025")


def test_text_inside_a_form_xobject_is_read_on_a_page_sent_to_pdfminer() -> None:
    """Forms that can show no text are skipped by the fallback; a form that shows text (and a
    drawing-only one next to it) still gives its text."""
    form_text = b"BT /F1 12 Tf 72 500 Td (Inside the form) Tj ET"
    form_rules = b"0 0 m 100 100 l S"

    def form(content: bytes) -> bytes:
        return (
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Length %d >>\nstream\n"
            % len(content)
            + content
            + b"\nendstream"
        )

    content = b"BT /F2 12 Tf 72 650 Td <0011002200330044> Tj ET /X0 Do /X1 Do"
    got = extract_pdf(
        pdf(content, {"F1": HELVETICA, "F2": NO_UNICODE_TYPE0}, [form(form_text), form(form_rules)])
    )
    assert got.method == "pdfminer"
    assert "Inside the form" in got.text
    assert "4 characters left out" in got.detail
