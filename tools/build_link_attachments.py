"""Make the .docx and .xls files that real-source fixture pages link (the list and their text:
tools/link_attachment_fixtures.py) with real tools, once; the files are committed.

    .venv/bin/python tools/build_link_attachments.py [slug]...

A .docx is written by python-docx; an .xls by openpyxl, then converted by LibreOffice Calc
(`soffice --headless --convert-to xls`, as tools/build_attachment_fixtures.py does). LibreOffice
stamps creation times into its files, so a second run gives other bytes with the same text.
`python tools/build_real_fixtures.py` keeps these files as they are.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path
from typing import Any

from build_attachment_fixtures import libreoffice
from link_attachment_fixtures import FILES

ROOT = Path(__file__).resolve().parent.parent


def docx(f: dict[str, Any]) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_heading(f["title"], level=1)
    for para in f["paras"]:
        document.add_paragraph(para)
    if table := f.get("table"):
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx(f: dict[str, Any]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append([f["title"]])
    sheet.append(list(f["header"]))
    for row in f["rows"]:
        # numbers as numbers, as a clerk's spreadsheet holds them
        sheet.append([int(v) if v.isdigit() else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    only = set(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="tjcrawl-link-attachments-") as tmp:
        for number, f in enumerate(FILES):
            if only and f["slug"] not in only:
                continue
            if f["kind"] == "docx":
                data = docx(f)
            else:
                work = Path(tmp) / str(number)
                work.mkdir()
                data = libreoffice(xlsx(f), "xlsx", "xls", work)
            path = ROOT / "fixtures" / f["slug"] / "site" / f["path"].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"{path.relative_to(ROOT)}: {len(data):,} bytes ({f['kind']})")


if __name__ == "__main__":
    main()
