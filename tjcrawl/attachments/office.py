"""Office files: DOCX and OFD (zip + XML), XLSX (openpyxl), XLS and WPS 表格 (xlrd), DOC and
WPS 文字 (catdoc, else antiword: GPL programs, run as separate processes)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile

from tjcrawl.attachments.states import DAMAGED, ENCRYPTED, OK, UNSUPPORTED, Extracted

#: Seconds one antiword/catdoc run may take.
TOOL_TIMEOUT = 20.0
#: Rows read per sheet at most: a sheet of a million rows is not text anyone searches.
MAX_ROWS = 200_000
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DIGITS = re.compile(r"(\d+)")
INSTALL_HINT = "install them with: apt-get install antiword catdoc"


def _xml(data: bytes):  # type: ignore[no-untyped-def]
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(data, parser)


def _docx_part_text(data: bytes) -> list[str]:
    paragraphs = []
    for para in _xml(data).iter(f"{_W}p"):
        parts = []
        for node in para.iter(f"{_W}t", f"{_W}tab", f"{_W}br"):
            if node.tag == f"{_W}t":
                parts.append(node.text or "")
            else:
                parts.append("\t" if node.tag == f"{_W}tab" else "\n")
        paragraphs.append("".join(parts))
    return paragraphs


def extract_docx(data: bytes) -> Extracted:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            parts = ["word/document.xml"]
            parts += sorted(n for n in names if re.fullmatch(r"word/(header|footer)\d*\.xml", n))
            paragraphs: list[str] = []
            for part in parts:
                paragraphs += _docx_part_text(archive.read(part))
    except Exception as exc:
        return Extracted(DAMAGED, "", None, "docx", f"damaged DOCX: {_one_line(exc)}")
    text = "\n".join(p for p in paragraphs if p.strip())
    return Extracted(OK, text, None, "docx")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_text(rows) -> list[str]:  # type: ignore[no-untyped-def]
    lines = []
    for count, row in enumerate(rows):
        if count >= MAX_ROWS:
            break
        cells = [_cell(v) for v in row]
        if any(cells):
            lines.append("\t".join(cells).rstrip("\t"))
    return lines


def extract_xlsx(data: bytes) -> Extracted:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        return Extracted(DAMAGED, "", None, "openpyxl", f"damaged XLSX: {_one_line(exc)}")
    try:
        sheets = []
        for sheet in book.worksheets:
            lines = _rows_text(sheet.iter_rows(values_only=True))
            sheets.append("\n".join([sheet.title, *lines]))
        return Extracted(OK, "\n\n".join(sheets), len(sheets), "openpyxl")
    except Exception as exc:
        return Extracted(DAMAGED, "", None, "openpyxl", f"damaged XLSX: {_one_line(exc)}")
    finally:
        book.close()


def extract_xls(data: bytes) -> Extracted:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:
        message = _one_line(exc)
        if "encrypt" in message.lower() or "password" in message.lower():
            return Extracted(ENCRYPTED, "", None, "xlrd", f"encrypted XLS: {message}")
        tool = _run_tool(data, "xls2csv", ["xls2csv", "-d", "utf-8"])
        if tool is not None:
            return tool
        return Extracted(DAMAGED, "", None, "xlrd", f"damaged XLS: {message}")
    try:
        sheets = []
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            rows = (sheet.row_values(r) for r in range(min(sheet.nrows, MAX_ROWS)))
            sheets.append("\n".join([sheet.name, *_rows_text(rows)]))
        return Extracted(OK, "\n\n".join(sheets), len(sheets), "xlrd")
    finally:
        book.release_resources()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _run_tool(data: bytes, method: str, argv: list[str]) -> Extracted | None:
    """The text a command-line converter prints for the file, or None when it is not there
    or failed (so that the next converter is tried)."""
    if shutil.which(argv[0]) is None:
        return None
    fd, path = tempfile.mkstemp(prefix="tjcrawl-attachment-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        done = subprocess.run(
            [*argv, path], capture_output=True, timeout=TOOL_TIMEOUT, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return None
    finally:
        os.unlink(path)
    if done.returncode != 0:
        return None
    text = done.stdout.decode("utf-8", errors="replace").replace("\x0c", "\n").strip()
    return Extracted(OK, text, None, method)


def extract_doc(data: bytes) -> Extracted:
    """Word 97-2003 and WPS 文字: catdoc first, antiword for what catdoc gives no text of.
    catdoc prints a table row as one line of tab-separated cells; antiword draws tables in
    fixed-width columns and wraps a long cell onto the next line, cutting a company name in
    two (海河智能装备产业园运营有 / 限公司 in fixtures/tj_fzgg's LibreOffice .doc), which no
    search then finds."""
    tools = [("catdoc", ["catdoc", "-d", "utf-8", "-w"])]
    tools.append(("antiword", ["antiword", "-m", "UTF-8.txt", "-w", "0"]))
    if not any(shutil.which(argv[0]) for _, argv in tools):
        return Extracted(
            UNSUPPORTED, "", None, "none", f"DOC/WPS files need antiword or catdoc: {INSTALL_HINT}"
        )
    for method, argv in tools:
        result = _run_tool(data, method, argv)
        if result is not None and result.text:
            return result
    return Extracted(
        DAMAGED, "", None, "antiword/catdoc", "neither antiword nor catdoc can read it"
    )


def _page_number(name: str) -> tuple[int, ...]:
    return tuple(int(d) for d in _DIGITS.findall(name))


def extract_ofd(data: bytes) -> Extracted:
    """OFD (GB/T 33190, China's fixed-layout format): each page's Content.xml holds its text in
    TextCode elements."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            pages = sorted(
                (n for n in archive.namelist() if re.search(r"Pages/Page_\d+/Content\.xml$", n)),
                key=_page_number,
            )
            texts = []
            for name in pages:
                root = _xml(archive.read(name))
                codes = [
                    node.text or ""
                    for node in root.iter()
                    if isinstance(node.tag, str) and node.tag.rsplit("}", 1)[-1] == "TextCode"
                ]
                texts.append("\n".join(c for c in codes if c.strip()))
    except Exception as exc:
        return Extracted(DAMAGED, "", None, "ofd", f"damaged OFD: {_one_line(exc)}")
    return Extracted(OK, "\n\n".join(t for t in texts if t), len(pages), "ofd")
