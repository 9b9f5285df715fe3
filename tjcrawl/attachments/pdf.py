"""PDF text: PDFium (pypdfium2) first, for speed; pdfminer.six for a page whose PDFium text fails
a plausibility check (glyphs dropped, or characters no real document is made of: 黎荣 read
as 哾㦓 in a byte-mapped CMap, control characters from a non-Unicode CMap)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from tjcrawl.attachments.ocr import OcrPages
from tjcrawl.attachments.pdfminer_pages import PdfminerPages, quiet_pdfminer_debug
from tjcrawl.attachments.states import DAMAGED, ENCRYPTED, NEEDS_OCR, OK, Extracted

#: Share of a page's characters that are implausible above which PDFium's text is not trusted.
IMPLAUSIBLE_SHARE = 0.02
_WS = re.compile(r"\s+")
#: A cross-reference entry in use: 10-digit offset, 5-digit generation, "n".
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) n")
_OBJ_AT = re.compile(rb"\s*\d+\s+\d+\s+obj")
_XREF_CHECK_LIMIT = 20000
_STREAM_START = re.compile(rb"stream\r?\n")
#: Streams that hold no text (images, embedded font programs): not inflated to check them.
_NOT_TEXT = re.compile(rb"/Image|/Length[123]\b|/Type1C|/CIDFontType0C|/OpenType|/Metadata")
#: Compressed bytes checked for corruption per file, at most.
_FLATE_CHECK_BYTES = 64 * 1024 * 1024

logging.getLogger("pdfminer").setLevel(logging.ERROR)
__all__ = ["extract_pdf", "pdfium_without_system_fonts", "quiet_pdfminer_debug"]


#: Characters no real document is made of, met where PDFium misreads a font: CJK Extension A
#: and beyond (rare characters), private use, U+FFFD, control characters.
_IMPLAUSIBLE = re.compile(
    "[\u3400-\u4dbf\U00020000-\U0010ffff\ue000-\uf8ff\ufffd\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]"
)


def implausible_share(text: str) -> float:
    chars = sum(map(len, text.split()))
    if not chars:
        return 0.0
    return len(_IMPLAUSIBLE.findall(text)) / chars


def structure_problem(data: bytes) -> str | None:
    """One line naming what is wrong with the file's structure, or None: a missing end, a
    startxref or cross-reference entries pointing at no object. PDFium repairs such files
    silently; the archive must still say that the file it keeps is damaged."""
    tail = data[-2048:]
    if b"%%EOF" not in tail:
        return "truncated: no %%EOF at the end"
    found = list(re.finditer(rb"startxref\s+(\d+)", tail))
    if not found:
        return "no startxref: the cross-reference table is missing"
    offset = int(found[-1].group(1))
    if offset >= len(data):
        return f"startxref {offset} points past the end of the file"
    at = data[offset : offset + 40]
    if not at.startswith(b"xref") and not _OBJ_AT.match(at):
        return f"startxref {offset} points at no cross-reference table"
    if at.startswith(b"xref"):
        end = data.find(b"trailer", offset)
        table = data[offset : end if end > 0 else offset + 20 * _XREF_CHECK_LIMIT]
        wrong = 0
        for match in list(_XREF_ENTRY.finditer(table))[:_XREF_CHECK_LIMIT]:
            obj_offset = int(match.group(1))
            if obj_offset >= len(data) or not _OBJ_AT.match(data[obj_offset : obj_offset + 40]):
                wrong += 1
        if wrong:
            return f"cross-reference table: {wrong} entries point at no object"
    return _prev_loop(data, offset) or _corrupt_stream(data)


def _prev_loop(data: bytes, offset: int) -> str | None:
    """A chain of cross-reference sections (/Prev) that comes back on itself."""
    seen = {offset}
    for _ in range(64):
        trailer = data.find(b"trailer", offset, offset + 64 * 1024 * 1024)
        if trailer < 0:
            return None
        found = re.search(rb"/Prev\s+(\d+)", data[trailer : trailer + 4096].split(b">>\n", 1)[0])
        if not found:
            return None
        offset = int(found.group(1))
        if offset in seen:
            return f"cross-reference sections loop (/Prev {offset} again)"
        if offset >= len(data):
            return f"/Prev {offset} points past the end of the file"
        seen.add(offset)
    return "cross-reference sections chained more than 64 deep"


def _corrupt_stream(data: bytes) -> str | None:
    """A Flate stream whose data fails zlib's checks (PDFium skips what it cannot inflate and
    says nothing). Encrypted files are not checked: their streams are ciphertext."""
    import zlib

    if b"/Encrypt" in data:
        return None
    checked = 0
    for match in _STREAM_START.finditer(data):
        if data[match.start() - 3 : match.start()] == b"end":
            continue
        head = data[max(0, match.start() - 400) : match.start()]
        head = head[head.rfind(b"obj") :]
        if b"FlateDecode" not in head or _NOT_TEXT.search(head):
            continue
        end = data.find(b"endstream", match.end())
        if end < 0:
            return "a stream without its end"
        checked += end - match.end()
        if checked > _FLATE_CHECK_BYTES:
            return None
        try:
            zlib.decompressobj().decompress(data[match.end() : end])
        except zlib.error as exc:
            return f"corrupt compressed stream at byte {match.end()} ({exc})"
    return None


_NO_FONTS: Any = None


def pdfium_without_system_fonts() -> None:
    """For the worker process alone: PDFium given no system fonts. Reading text needs no
    font program, but PDFium loads a substitute for every font a PDF does not embed, and
    with CJK fonts installed that is a 20-30 MB collection per document (jo.pdf: 0.6 ms
    before Noto CJK was installed, 20 ms after). Without them, the text no longer depends on
    the fonts of the machine that reads it (reextract gives the same text anywhere), and a
    page whose glyphs PDFium then cannot map is caught by the dropped-glyph check and read
    by pdfminer.six, which needs no font program (jo.pdf: 8 ms)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    global _NO_FONTS
    if _NO_FONTS is not None:
        return
    kinds = dict(pdfium_c.FPDF_SYSFONTINFO._fields_)
    info = pdfium_c.FPDF_SYSFONTINFO()
    info.version = 1
    info.Release = kinds["Release"](lambda this: None)
    info.EnumFonts = kinds["EnumFonts"](lambda this, mapper: None)
    info.MapFont = kinds["MapFont"](lambda this, weight, italic, charset, pitch, face, exact: None)
    info.GetFont = kinds["GetFont"](lambda this, face: None)
    info.GetFontData = kinds["GetFontData"](lambda this, font, table, buffer, size: 0)
    info.GetFaceName = kinds["GetFaceName"](lambda this, font, buffer, size: 0)
    info.GetFontCharset = kinds["GetFontCharset"](lambda this, font: 0)
    info.DeleteFont = kinds["DeleteFont"](lambda this, font: None)
    pdfium_c.FPDF_SetSystemFontInfo(ctypes.byref(info))
    _NO_FONTS = info  # PDFium keeps the pointer: the structure and its callbacks must live


def _dropped_glyphs(page: Any, textpage: Any) -> bool:
    """A text object that covers an area but yields no characters: PDFium found no Unicode
    for its glyphs (CID fonts without ToUnicode, as in vertical Japanese), and dropped them.
    One exception, so that such a page is not read a second time for nothing: an object of
    at most one glyph in a font that PDFium reads elsewhere on the page is a space PDFium
    leaves out (jo.pdf's blank lines), not a glyph it cannot read. Walks the page's objects
    through PDFium's C API (no Python object per page object), and one level into form
    XObjects."""
    import ctypes
    import math

    import pypdfium2.raw as pdfium_c

    text_type, form_type = pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_FORM
    left, bottom = ctypes.c_float(), ctypes.c_float()
    right, top = ctypes.c_float(), ctypes.c_float()
    boxes = (ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top))
    size, matrix = ctypes.c_float(), pdfium_c.FS_MATRIX()
    read_fonts: set[int | None] = set()
    lone: set[int | None] = set()  # fonts of one-glyph objects that yield nothing

    def font_of(obj: Any) -> int | None:
        return ctypes.cast(pdfium_c.FPDFTextObj_GetFont(obj), ctypes.c_void_p).value

    def dropped(obj: Any) -> bool:
        if pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, None, 0) > 2:
            read_fonts.add(font_of(obj))
            return False
        pdfium_c.FPDFPageObj_GetBounds(obj, *boxes)
        extent = max(right.value - left.value, top.value - bottom.value)
        if extent <= 1:
            return False
        pdfium_c.FPDFTextObj_GetFontSize(obj, ctypes.byref(size))
        pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix))
        glyph = size.value * math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
        if extent <= glyph * 1.5:
            lone.add(font_of(obj))
            return False
        return True

    raw = page.raw
    for index in range(pdfium_c.FPDFPage_CountObjects(raw)):
        obj = pdfium_c.FPDFPage_GetObject(raw, index)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == text_type and dropped(obj):
            return True
        if kind == form_type:
            for inner in range(pdfium_c.FPDFFormObj_CountObjects(obj)):
                child = pdfium_c.FPDFFormObj_GetObject(obj, inner)
                if pdfium_c.FPDFPageObj_GetType(child) == text_type and dropped(child):
                    return True
    return not lone <= read_fonts


def _has_text_objects(page: Any) -> bool:
    import pypdfium2.raw as pdfium_c

    return any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT], max_depth=2))


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n").strip()


def _pdfminer_whole(data: bytes, problem: str) -> Extracted:
    """PDFium could not open the file at all: what pdfminer.six can read of it."""
    try:
        pages = PdfminerPages(data)
        texts = []
        unreadable = 0
        for i in range(len(pages)):
            try:
                texts.append(_clean(pages.text(i)))
            except Exception:  # counted in the detail line below
                texts.append("")
                unreadable += 1
    except Exception as exc:
        if "password" in type(exc).__name__.lower() or "encrypt" in str(exc).lower():
            return Extracted(ENCRYPTED, "", None, "pdfminer", "encrypted: needs a password")
        return Extracted(DAMAGED, "", None, "none", f"damaged: {problem}; unreadable")
    text = "\n\n".join(t for t in texts if t)
    lost = f"; {unreadable} of {len(texts)} pages unreadable" if unreadable else ""
    if pages.undecodable:
        lost += f"; {_undecodable_note(pages.undecodable)}"
    return Extracted(DAMAGED, text, len(texts), "pdfminer", f"damaged: {problem}{lost}")


def _undecodable_note(count: int) -> str:
    return f"{count} characters left out: their font maps them to no Unicode"


def _pages(doc: Any) -> Iterator[tuple[int, Any]]:
    for index in range(len(doc)):
        yield index, doc[index]


def extract_pdf(data: bytes, ocr: bool = False) -> Extracted:
    """The file's text. With `ocr`, pages without a text layer are read by Tesseract
    (tjcrawl.attachments.ocr); without, they leave the file needs_ocr (or noted, when other
    pages have text)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    problem = structure_problem(data)
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if (
            getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD
            or "password" in str(exc).lower()
        ):
            return Extracted(ENCRYPTED, "", None, "pdfium", "encrypted: needs a password")
        return _pdfminer_whole(data, problem or f"PDFium cannot open it ({exc})")
    texts: list[str] = []
    methods: set[str] = set()
    scanned = 0
    unchecked = 0  # pages PDFium read implausibly and pdfminer.six could not read at all
    fallback: PdfminerPages | None = None
    reader = OcrPages() if ocr else None
    try:
        for index, page in _pages(doc):
            textpage = page.get_textpage()
            text = textpage.get_text_bounded()
            suspicious = implausible_share(text) > IMPLAUSIBLE_SHARE or _dropped_glyphs(
                page, textpage
            )
            if suspicious:
                try:
                    if fallback is None:
                        fallback = PdfminerPages(data)
                    text = fallback.text(index)
                    methods.add("pdfminer")
                except Exception:  # pdfminer cannot read it: PDFium's text stands, said below
                    methods.add("pdfium")
                    unchecked += 1
            else:
                methods.add("pdfium")
            text = _clean(text)
            if not text and not _has_text_objects(page):
                read = reader.read(page) if reader is not None else None
                if read is None:
                    scanned += 1
                else:
                    text = read
            texts.append(text)
            textpage.close()
            page.close()
    finally:
        doc.close()
    if reader is not None and reader.read_pages:
        methods.add("tesseract")
    method = "+".join(sorted(methods, key=("pdfium", "pdfminer", "tesseract").index)) or "pdfium"
    text = "\n\n".join(t for t in texts if t)
    pages = len(texts)
    undecodable = fallback.undecodable if fallback is not None else 0
    if problem:
        lost = f"; {_undecodable_note(undecodable)}" if undecodable else ""
        return Extracted(DAMAGED, text, pages, method, f"damaged: {problem}{lost}")
    ocr_note = reader.note() if reader is not None else ""
    if scanned and not text:
        why = f"{scanned} of {pages} pages have no text layer"
        return Extracted(NEEDS_OCR, "", pages, method, "; ".join(filter(None, [why, ocr_note])))
    notes = [ocr_note] if ocr_note else []
    if scanned:
        notes.append(f"{scanned} of {pages} pages need OCR")
    if unchecked:
        notes.append(f"{unchecked} of {pages} pages as PDFium read them: pdfminer.six failed")
    if undecodable:
        notes.append(_undecodable_note(undecodable))
    return Extracted(OK, text, pages, method, "; ".join(notes))
