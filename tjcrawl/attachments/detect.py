"""What kind of file some bytes are, from their magic bytes and inner structure, never from a
file name or a Content-Type (portals serve .pdf error pages and mislabel Word files)."""

from __future__ import annotations

import io
import zipfile

PDF = "pdf"
DOCX = "docx"
XLSX = "xlsx"
OFD = "ofd"
ZIP = "zip"
DOC = "doc"  # Word 97-2003, and WPS 文字 files in the same OLE container
XLS = "xls"  # Excel 97-2003, and WPS 表格 (ET) files in the same container
OLE = "ole"  # an OLE container holding neither
HTML = "html"
TEXT = "text"
EMPTY = "empty"
BINARY = "binary"

#: Kinds that are attachment files rather than web pages or plain text.
FILE_KINDS = frozenset({PDF, DOCX, XLSX, OFD, ZIP, DOC, XLS, OLE})

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<script")


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _zip_kind(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return ZIP  # a zip by its magic, too broken to list: the zip reader says how
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    if "OFD.xml" in names:
        return OFD
    return ZIP


def _ole_kind(data: bytes) -> str:
    # Directory entries hold stream names in UTF-16LE; they sit after the header sectors.
    if _utf16("WordDocument") in data:
        return DOC
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return XLS
    return OLE


def _looks_textual(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut at the end of the sample
                return True
    return False


def detect(data: bytes) -> str:
    """One of the kinds above."""
    if not data.strip():
        return EMPTY
    head = data[:1024]
    # Magic at the start first: a zip whose first member is a PDF stored uncompressed (as zip
    # tools store files that do not compress) has "%PDF-" in its first kilobyte too.
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _zip_kind(data)
    if data.startswith(_OLE_MAGIC):
        return _ole_kind(data)
    if b"%PDF-" in head:
        return PDF
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith(_HTML_STARTS) or (lowered.startswith(b"<") and b"<html" in lowered):
        return HTML
    if _looks_textual(data[:8192]):
        return TEXT
    return BINARY


def is_file_head(head: bytes) -> bool:
    """Whether the first bytes are those of an attachment file (PDF, a zip-based or an OLE
    office file) rather than a web page or plain text."""
    return (
        b"%PDF-" in head[:1024]
        or head.startswith((b"PK\x03\x04", b"PK\x05\x06"))
        or head.startswith(_OLE_MAGIC)
    )
