"""Make the attachment files of fixtures/tj_fzgg (tools/attachment_fixtures.py says which) with
real tools, once; the files are committed.

    .venv/bin/python tools/build_attachment_fixtures.py [W0….ext]...

Needs, for generation only (not for the tests): Chromium and Noto CJK fonts (scripts/system-deps.sh
installs them), LibreOffice Writer and Calc (`apt-get install --no-install-recommends
libreoffice-writer-nogui libreoffice-calc-nogui`), python-docx and openpyxl (the venv has both).
Chromium and LibreOffice stamp creation times into their files, so a second run gives other
bytes with the same text: after one, run `tjcrawl goldens tj_fzgg` and
`python tools/attachment_goldens.py` again. Then `python tools/build_real_fixtures.py tj_fzgg`
keeps these files (it writes only placeholders for PDFs that do not exist).
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from html import escape
from pathlib import Path

import attachment_fixtures as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SITE = ROOT / "fixtures" / "tj_fzgg" / "site"
FONT = "'Noto Sans CJK SC', 'Noto Serif CJK SC', sans-serif"


def _text_lines(f: dict[str, str]) -> list[str]:
    return [F.TITLE, F.INTRO, *("　".join(r) for r in [F.HEADER, *F.rows_for(f)])]


def html_page(f: dict[str, str]) -> str:
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in F.rows_for(f)
    )
    head = "".join(f"<th>{escape(c)}</th>" for c in F.HEADER)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(F.TITLE)}</title>
<style>body {{ font-family: {FONT}; font-size: 14pt; margin: 2cm; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #000; padding: 4pt; }}
h1 {{ font-size: 20pt; text-align: center; }}</style></head>
<body><h1>{escape(F.TITLE)}</h1>
<p>{escape(F.INTRO)}</p>
<table><thead><tr>{head}</tr></thead><tbody>
{rows}
</tbody></table>
<p>天津市发展和改革委员会　2025年8月15日</p>
</body></html>
"""


def scan_page() -> str:
    paras = "\n".join(f"<p>{escape(p)}</p>" for p in F.SCAN_PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(F.SCAN_TITLE)}</title>
<style>body {{ font-family: {FONT}; font-size: 14pt; margin: 2cm; line-height: 1.8; }}
h1 {{ font-size: 20pt; text-align: center; }} p {{ text-indent: 2em; }}</style></head>
<body><h1>{escape(F.SCAN_TITLE)}</h1>
{paras}
</body></html>
"""


def chromium_pdf(f: dict[str, str], work: Path, page: str | None = None) -> bytes:
    source = work / f"{f['name']}.html"
    source.write_text(page or html_page(f), "utf-8")
    out = work / f"{f['name']}.pdf"
    subprocess.run(
        [
            shutil.which("chromium") or "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out.read_bytes()


def docx(f: dict[str, str]) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_heading(F.TITLE, level=1)
    document.add_paragraph(F.INTRO)
    rows = F.rows_for(f)
    table = document.add_table(rows=len(rows) + 1, cols=len(F.HEADER))
    for r, row in enumerate([F.HEADER, *rows]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("天津市发展和改革委员会　2025年8月15日")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx(f: dict[str, str]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "签约项目"
    sheet.append([F.TITLE])
    sheet.append(list(F.HEADER))
    for number, project, company, district, amount in F.rows_for(f):
        sheet.append([int(number), project, company, district, float(amount)])
    notes = book.create_sheet("说明")
    notes.append([F.INTRO])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def libreoffice(data: bytes, suffix: str, target: str, work: Path) -> bytes:
    """`data` (a .docx or .xlsx) converted by LibreOffice to Word 97 (doc) or Excel 97 (xls)."""
    source = work / f"lo-{target}-in.{suffix}"
    source.write_bytes(data)
    outdir = work / f"lo-{target}-out"
    profile = (work / "lo-profile").as_uri()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (outdir / f"{source.stem}.{target}").read_bytes()


OFD_NS = "http://www.ofdspec.org/2016"


def ofd(f: dict[str, str]) -> bytes:
    """An OFD package as GB/T 33190-2016 lays it out: OFD.xml (the entry, with DocInfo), the
    document (Document.xml: page area, resources, page list), a font in PublicRes.xml, and one
    page whose Content.xml holds each line as a TextObject with its TextCode."""
    ns = f'xmlns:ofd="{OFD_NS}"'
    lines = _text_lines(f)
    objects = "".join(
        f'<ofd:TextObject ID="{10 + i}" Boundary="20 {20 + i * 8} 170 7" Font="2" Size="4.2">'
        f'<ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="5">{escape(line)}</ofd:TextCode>'
        "</ofd:TextObject>"
        for i, line in enumerate(lines)
    )
    files = {
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0" '
        'DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>7005790a0815</ofd:DocID>'
        f"<ofd:Title>{escape(F.TITLE)}</ofd:Title><ofd:Author>天津市发展和改革委员会</ofd:Author>"
        "<ofd:CreationDate>2025-08-15</ofd:CreationDate>"
        "<ofd:Creator>tools/build_attachment_fixtures.py</ofd:Creator></ofd:DocInfo>"
        "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}>'
        "<ofd:CommonData><ofd:MaxUnitID>100</ofd:MaxUnitID><ofd:PageArea>"
        "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
        "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
        '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
        "</ofd:Document>",
        "Doc_0/PublicRes.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {ns} '
        'BaseLoc="Res"><ofd:Fonts><ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/>'
        "</ofd:Fonts></ofd:Res>",
        "Doc_0/Pages/Page_0/Content.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}>'
        f'<ofd:Content><ofd:Layer ID="3">{objects}</ofd:Layer></ofd:Content></ofd:Page>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8"))
    return out.getvalue()


def csv_gbk(f: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(F.HEADER)
    writer.writerows(F.rows_for(f))
    return out.getvalue().encode("gbk")


def txt(f: dict[str, str]) -> bytes:
    return ("\n".join(_text_lines(f)) + "\n").encode("utf-8")


def zip_of(f: dict[str, str], work: Path) -> bytes:
    csv_row = dict(f, marker=F.ZIP_CSV_MARKER[0], district=F.ZIP_CSV_MARKER[1])
    csv_row["amount"] = F.ZIP_CSV_MARKER[2]
    txt_row = dict(f, marker=F.ZIP_TXT_MARKER[0], district=F.ZIP_TXT_MARKER[1])
    txt_row["amount"] = F.ZIP_TXT_MARKER[2]
    pdf_row = dict(f, marker=F.ZIP_PDF_MARKER[0], district=F.ZIP_PDF_MARKER[1])
    pdf_row["amount"] = F.ZIP_PDF_MARKER[2]
    pdf_row["name"] = f["name"] + "-member"
    stored = {"签约项目清单.pdf": chromium_pdf(pdf_row, work)}
    members = {
        "签约项目情况说明.docx": docx(f),
        "签约项目数据.csv": csv_gbk(csv_row),
        "签约项目简表.txt": txt(txt_row),
    }
    out = io.BytesIO()
    # UTF-8 member names (flag bit 11), as WinRAR and 7-Zip write them
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in stored.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def make(f: dict[str, str], work: Path) -> bytes:
    suffix = f["suffix"]
    if f["label"].endswith("（扫描件）.pdf"):
        from tjcrawl.attachments.ocr import scan_pdf

        return scan_pdf(chromium_pdf(f, work, scan_page()), dpi=150)
    if suffix == "pdf":
        return chromium_pdf(f, work)
    if suffix == "docx":
        return docx(f)
    if suffix == "xlsx":
        return xlsx(f)
    if suffix in ("doc", "wps"):
        return libreoffice(docx(f), "docx", "doc", work)
    if suffix in ("xls", "et"):
        return libreoffice(xlsx(f), "xlsx", "xls", work)
    if suffix == "ofd":
        return ofd(f)
    if suffix == "csv":
        return csv_gbk(f)
    if suffix == "txt":
        return txt(f)
    if suffix == "html":
        return html_page(f).encode("utf-8")
    if suffix == "zip":
        return zip_of(f, work)
    raise ValueError(suffix)


def main() -> None:
    folder = SITE / F.FOLDER.strip("/")
    folder.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])  # file names (W0….ext) to make again; all when none
    with tempfile.TemporaryDirectory(prefix="tjcrawl-attachments-") as tmp:
        for f in F.FILES:
            if only and f"{f['name']}.{f['suffix']}" not in only:
                continue
            data = make(f, Path(tmp))
            path = folder / f"{f['name']}.{f['suffix']}"
            path.write_bytes(data)
            print(f"{path.relative_to(ROOT)}: {len(data):,} bytes ({f['tool']})")


if __name__ == "__main__":
    main()
