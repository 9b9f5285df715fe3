"""The attachments of fixtures/tj_fzgg's t20250815_7005790 (2025年民营企业重点项目推介活动): one
file per format tjcrawl reads, each a signed-projects list with a company name ("marker") found
in that file only and on no HTML page of any fixture, so that a search for it proves the file
was read. tools/build_attachment_fixtures.py makes the files with real tools;
tools/real_fixture_articles.py links them from the article (LINKS)."""

from __future__ import annotations

#: The folder of the article on fzgg.tj.gov.cn, where TRS puts its attachments.
FOLDER = "/xxfb/tzggx/202508/"
ARTICLE = FOLDER + "t20250815_7005790.html"

TITLE = "2025年民营企业重点项目推介活动签约项目清单"
INTRO = (
    "经各区推荐、市发展改革委审核，下列项目已在推介活动上完成签约，"
    "现将签约项目清单公布如下。金额单位：亿元。"
)

#: Shared by every file: (project, district, amount in 亿元, industry).
PROJECTS = [
    ("海河智能装备产业园", "滨海新区", "36.5", "先进制造"),
    ("津南新能源汽车零部件基地", "津南区", "18.2", "汽车"),
    ("西青集成电路封装测试中心", "西青区", "22.8", "集成电路"),
]


def _file(
    name: str, suffix: str, label: str, tool: str, marker: str, district: str, amount: str
) -> dict[str, str]:
    return dict(
        name=name,
        suffix=suffix,
        href=f"./{name}.{suffix}",
        label=label,
        tool=tool,
        marker=marker,
        district=district,
        amount=amount,
    )


#: One row per file: TRS-style W0… name, the link text, what made it, its own company name.
FILES = [
    _file(
        "W020250815396120457781",
        "pdf",
        "附件1：签约项目清单（PDF版）.pdf",
        "Chromium headless print-to-PDF of an HTML page set in Noto Sans CJK SC",
        "澜屿芯材科技（天津）有限公司",
        "东丽区",
        "12.6",
    ),
    _file(
        "W020250815396120457782",
        "docx",
        "附件2：签约项目情况说明.docx",
        "python-docx",
        "沽澄储能科技有限公司",
        "宁河区",
        "9.4",
    ),
    _file(
        "W020250815396120457783",
        "xlsx",
        "附件3：签约项目明细表.xlsx",
        "openpyxl",
        "津渤氢途能源有限公司",
        "滨海新区",
        "27.3",
    ),
    _file(
        "W020250815396120457784",
        "doc",
        "附件4：签约项目情况说明（Word 97-2003）.doc",
        "python-docx, then LibreOffice Writer `soffice --headless --convert-to doc` (MS Word 97)",
        "蓟澜精工机械有限公司",
        "蓟州区",
        "6.8",
    ),
    _file(
        "W020250815396120457785",
        "xls",
        "附件5：签约项目明细表（Excel 97-2003）.xls",
        "openpyxl, then LibreOffice Calc `soffice --headless --convert-to xls` (MS Excel 97)",
        "静海翎航物流有限公司",
        "静海区",
        "15.1",
    ),
    _file(
        "W020250815396120457786",
        "wps",
        "附件6：签约项目情况说明（WPS文字）.wps",
        "python-docx, then LibreOffice Writer to Word 97 (no WPS Office here: a .wps that WPS"
        " 文字 writes is an OLE container of this Word 97 format)",
        "汉沽穗禾农业科技有限公司",
        "滨海新区",
        "4.2",
    ),
    _file(
        "W020250815396120457787",
        "et",
        "附件7：签约项目明细表（WPS表格）.et",
        "openpyxl, then LibreOffice Calc to Excel 97 (no WPS Office here: an .et that WPS"
        " 表格 writes is an OLE container of this Excel 97 format)",
        "宝坻锦岚新材料有限公司",
        "宝坻区",
        "8.9",
    ),
    _file(
        "W020250815396120457788",
        "ofd",
        "附件8：签约项目清单（OFD版式文件）.ofd",
        "tools/build_attachment_fixtures.py itself, following GB/T 33190-2016's package layout"
        " (OFD.xml, Doc_0/Document.xml, PublicRes.xml, Pages/Page_N/Content.xml); no open tool"
        " writes OFD",
        "武清瀚墨文化传媒有限公司",
        "武清区",
        "3.7",
    ),
    _file(
        "W020250815396120457789",
        "csv",
        "附件9：签约项目数据（CSV）.csv",
        "Python's csv module, encoded GBK as Excel on Chinese Windows saves CSV",
        "宁河沛川生物医药有限公司",
        "宁河区",
        "11.3",
    ),
    _file(
        "W020250815396120457790",
        "txt",
        "附件10：签约项目简表.txt",
        "Python, UTF-8",
        "西青栎华电子科技有限公司",
        "西青区",
        "5.5",
    ),
    _file(
        "W020250815396120457791",
        "html",
        "附件11：签约项目清单（网页版）.html",
        "Python, the HTML page Chromium printed to the PDF, with its own company row",
        "东丽曜辰光电有限公司",
        "东丽区",
        "7.2",
    ),
    _file(
        "W020250815396120457792",
        "zip",
        "附件12：签约项目材料（打包下载）.zip",
        "Python's zipfile: a PDF (Chromium) stored uncompressed first, as zip tools store files"
        " that do not compress, then a DOCX (python-docx), a GBK CSV and a TXT, deflated; each"
        " with its own company",
        "北辰澄砚装备制造有限公司",
        "北辰区",
        "10.4",
    ),
    _file(
        "W020250815396120457793",
        "pdf",
        "附件13：签约仪式纪要（扫描件）.pdf",
        "Chromium print-to-PDF as 附件1 (of SCAN_PARAGRAPHS), then rendered at 150 dpi by PDFium"
        " (pypdfium2) and put back into a PDF as one image per page, no text layer: a scan",
        "红桥璟泰商贸有限公司",
        "红桥区",
        "2.6",
    ),
]

#: The text of the scan (附件13): running text, whose reading order OCR cannot get wrong, so
#: that bench/ocr.py and tests/test_ocr.py measure characters, not the order of table cells.
SCAN_TITLE = "2025年民营企业重点项目推介活动签约仪式纪要"
SCAN_PARAGRAPHS = [
    "2025年民营企业重点项目推介活动签约仪式于8月15日在天津梅江会展中心举行。"
    "市发展改革委主要负责同志出席并致辞，各区发展改革委和签约企业代表共八十余人参加。",
    "仪式上，红桥璟泰商贸有限公司等企业与所在区政府现场签约，签约项目涵盖商贸物流、"
    "先进制造和城市更新等领域，协议投资额合计约一百二十亿元。",
    "会议要求，各区要建立签约项目跟踪服务机制，落实专人对接，推动项目早开工、早投产、"
    "早见效，确保招商引资成果转化为实际投资。",
]

#: Companies of the ZIP's members other than the DOCX (whose company is the ZIP row's).
ZIP_CSV_MARKER = ("河北瑞峤医疗器械有限公司", "河北区", "3.3")
ZIP_TXT_MARKER = ("和平檀舟金融服务有限公司", "和平区", "1.8")
ZIP_PDF_MARKER = ("河东琮越智能科技有限公司", "河东区", "6.1")

#: (href, link text) for tools/real_fixture_articles.py.
LINKS = [(f["href"], f["label"]) for f in FILES]


def rows_for(f: dict[str, str]) -> list[tuple[str, str, str, str, str]]:
    """(序号, 项目, 签约企业, 所在区, 投资额) rows of one file: the shared projects and its own."""
    shared = [
        (str(i + 1), project, f"{project}运营有限公司", district, amount)
        for i, (project, district, amount, _industry) in enumerate(PROJECTS)
    ]
    own = (str(len(shared) + 1), f"{f['district']}招商引资签约项目", f["marker"], f["district"])
    return [*shared, (*own, f["amount"])]


HEADER = ("序号", "项目名称", "签约企业", "所在区", "投资额（亿元）")


def readme_section() -> str:
    """The fixture README's account of which tool made which file."""
    rows = "\n".join(
        f"- `{f['name']}.{f['suffix']}` ({f['label']}): made with {f['tool']}; its own company"
        f" {f['marker']}"
        for f in FILES
    )
    return f"""
## Attachments of every format

`{ARTICLE.rsplit("/", 1)[1]}` (民营企业重点项目推介活动) links {len(FILES)} attachment files in
its `.TRS_Editor` body, TRS-named (`W0….ext` in the article's `YYYYMM/` folder, with TRS's
`OLDSRC`), one per format tjcrawl reads. They are real files made once by
`tools/build_attachment_fixtures.py` (text in `tools/attachment_fixtures.py`) and committed;
`tools/build_real_fixtures.py` keeps them as they are. Each holds the same signed-projects list
(签约项目清单: companies, districts, amounts in 亿元) and one company of its own (named
below), named on no HTML page of any fixture, so that finding it proves the file was read.
What tjcrawl reads from each (state, pages, method, text hash and must-contain strings) is in
`expected_attachments.json`, checked by `tests/test_attachment_fixtures.py`; after a change of
the readers, rewrite it with `.venv/bin/python tools/attachment_goldens.py`.

{rows}

No WPS Office runs here, and LibreOffice cannot save WPS formats: the `.wps` and `.et` files
are LibreOffice's Word 97 and Excel 97 files under WPS names. WPS 文字's `.wps` and WPS 表格's
`.et` of the current versions are OLE containers holding the Word 97 and Excel 97 binary
formats (which is why tjcrawl reads them with the DOC and XLS readers, told by their bytes,
not their names); files WPS itself wrote may differ in details (its own extra streams) that
these do not test, and the older WPS formats of the 1990s are not covered. No open tool
writes OFD either: the `.ofd` is written by the script, in GB/T 33190-2016's package
layout, with its text as `TextCode`.
The scan (附件13) is an image-only PDF: a page printed by Chromium, rendered at 150 dpi by
PDFium and stored as one image per page (`tjcrawl.attachments.ocr.scan_pdf`); it is
`needs_ocr` unless `--ocr` reads it.
"""
