"""Attachment files made in the tests: PDFs written object by object (so that their structure
can be broken on purpose), DOCX by python-docx, XLSX by openpyxl, OFD and ZIP by zipfile."""

from __future__ import annotations

import io
import zipfile


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(
    pages: list[list[str]], *, prev_loop: bool = False, bad_offsets: bool = False
) -> bytes:
    """A PDF with one Helvetica text line per entry of each page. `prev_loop` makes the
    cross-reference table's /Prev point at itself; `bad_offsets` points its entries at
    nothing."""
    objects: list[bytes] = []
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    font = 3 + 2 * count
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    for index, lines in enumerate(pages):
        content = "BT /F1 12 Tf 72 760 Td 14 TL " + " ".join(
            f"({_escape(line)}) Tj T*" for line in lines
        )
        stream = (content + " ET").encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * index} 0 R"
            f" /Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % (offset + 7 if bad_offsets else offset))
    prev = f" /Prev {xref}" if prev_loop else ""
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{prev} >>\n".encode())
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_ofd(pages: list[list[str]]) -> bytes:
    out = io.BytesIO()
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", f'<ofd:OFD {ns} Version="1.0"><ofd:DocBody/></ofd:OFD>')
        archive.writestr("Doc_0/Document.xml", f"<ofd:Document {ns}/>")
        # Page_10 before Page_2 in the archive: pages are ordered by number, not by name.
        for index in sorted(range(len(pages)), key=str):
            codes = "".join(
                f'<ofd:TextObject ID="{i}"><ofd:TextCode X="0" Y="{i * 5}">{line}</ofd:TextCode>'
                "</ofd:TextObject>"
                for i, line in enumerate(pages[index])
            )
            archive.writestr(
                f"Doc_0/Pages/Page_{index}/Content.xml",
                f"<ofd:Page {ns}><ofd:Content><ofd:Layer>{codes}</ofd:Layer>"
                "</ofd:Content></ofd:Page>",
            )
    return out.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def make_zip_bomb(inflated: int = 64 * 1024 * 1024) -> bytes:
    """One member of `inflated` zero bytes, compressed about a thousand to one."""
    out = io.BytesIO()
    block = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.txt", "w", force_zip64=True) as member,
    ):
        for _ in range(inflated // len(block)):
            member.write(block)
    return out.getvalue()
