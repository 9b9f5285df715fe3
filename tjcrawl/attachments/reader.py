"""Read one attachment's bytes in this process: detect its kind, hand it to its reader. The
worker (tjcrawl.attachments.worker) runs this under time and memory limits."""

from __future__ import annotations

from functools import partial
from pathlib import PurePosixPath

from tjcrawl.attachments import detect as kinds
from tjcrawl.attachments.states import NOT_A_FILE, UNSUPPORTED, Extracted

#: File name endings that promise a document; HTML under such a name is an error page.
DOCUMENT_SUFFIXES = frozenset(
    ".pdf .doc .docx .xls .xlsx .wps .et .ofd .zip .rar .7z .ppt .pptx .dps".split()
)


def _suffix(name: str) -> str:
    return PurePosixPath(name.split("?")[0]).suffix.lower()


def read(data: bytes, name: str = "", depth: int = 0, ocr: bool = False) -> Extracted:
    """`ocr`: read PDF pages without a text layer with Tesseract (tjcrawl.attachments.ocr)."""
    kind = kinds.detect(data)
    if kind == kinds.EMPTY:
        return Extracted(NOT_A_FILE, "", None, "none", "empty: no bytes to read")
    if kind == kinds.PDF:
        from tjcrawl.attachments.pdf import extract_pdf

        return extract_pdf(data, ocr=ocr)
    if kind in (kinds.DOCX, kinds.XLSX, kinds.OFD, kinds.DOC, kinds.XLS):
        from tjcrawl.attachments import office

        reader = {
            kinds.DOCX: office.extract_docx,
            kinds.XLSX: office.extract_xlsx,
            kinds.OFD: office.extract_ofd,
            kinds.DOC: office.extract_doc,
            kinds.XLS: office.extract_xls,
        }[kind]
        return reader(data)
    if kind == kinds.ZIP:
        from tjcrawl.attachments.archive import extract_zip

        return extract_zip(data, partial(read, ocr=ocr), depth)
    if kind == kinds.HTML:
        if _suffix(name) in DOCUMENT_SUFFIXES:
            return Extracted(
                NOT_A_FILE,
                "",
                None,
                "none",
                f"an HTML page (an error page?) where a {_suffix(name)} file was expected",
            )
        from tjcrawl.attachments.textfiles import extract_html

        return extract_html(data)
    if kind == kinds.TEXT:
        if _suffix(name) in DOCUMENT_SUFFIXES:
            return Extracted(
                NOT_A_FILE,
                "",
                None,
                "none",
                f"plain text where a {_suffix(name)} file was expected",
            )
        from tjcrawl.attachments.textfiles import extract_text_file

        return extract_text_file(data)
    what = "an OLE file that is neither Word nor Excel" if kind == kinds.OLE else "unknown binary"
    return Extracted(UNSUPPORTED, "", None, "none", f"unsupported: {what}")
