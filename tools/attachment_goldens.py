"""(Re)write fixtures/tj_fzgg/expected_attachments.json: what tjcrawl reads from each attachment
file of tools/attachment_fixtures.py, read as the crawl reads it (tjcrawl.attachments.Worker).

    .venv/bin/python tools/attachment_goldens.py

Per file: its URL on the fixture host, state, pages, method, the text and its sha256, and the
strings it must contain (from tools/attachment_fixtures.py, not from the reading: the writer
refuses a reading that lacks one). tests/test_attachment_fixtures.py compares field by field.
Run it after a change of the readers, and look at the diff.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import attachment_fixtures as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "https://fzgg.tj.gov.cn"
SITE = ROOT / "fixtures" / "tj_fzgg" / "site"
GOLDEN = ROOT / "fixtures" / "tj_fzgg" / "expected_attachments.json"


def must_contain(f: dict[str, str]) -> list[str]:
    """Strings the file's text holds, compared with all whitespace removed: its own company
    (none for the scan, which holds no text until OCR) and the list's title (a CSV has only
    the table: its last heading)."""
    if f["label"].endswith("（扫描件）.pdf"):
        return []
    found = [f["marker"], F.HEADER[-1] if f["suffix"] == "csv" else F.TITLE]
    if f["suffix"] == "zip":
        found += [F.ZIP_CSV_MARKER[0], F.ZIP_TXT_MARKER[0], F.ZIP_PDF_MARKER[0]]
    return found


def squeeze(text: str) -> str:
    return "".join(text.split())


def rows() -> list[dict[str, object]]:
    from tjcrawl.attachments import Worker

    out = []
    with Worker() as worker:
        for f in F.FILES:
            url = HOST + F.FOLDER + f["name"] + "." + f["suffix"]
            data = (SITE / F.FOLDER.strip("/") / f"{f['name']}.{f['suffix']}").read_bytes()
            got = worker.read(data, url)
            wanted = must_contain(f)
            missing = [s for s in wanted if squeeze(s) not in squeeze(got.text)]
            if missing:
                raise SystemExit(f"{url}: its text lacks {missing}; not written")
            out.append(
                {
                    "url": url,
                    "link_text": f["label"],
                    "made_with": f["tool"],
                    "state": got.state,
                    "pages": got.pages,
                    "method": got.method,
                    "detail": got.detail,
                    "must_contain": wanted,
                    "text_sha256": hashlib.sha256(got.text.encode("utf-8")).hexdigest(),
                    "text": got.text,
                }
            )
            if f["label"].endswith("（扫描件）.pdf"):
                # what the scan shows, for the OCR test and bench/ocr.py
                out[-1]["scanned_text"] = "\n".join([F.SCAN_TITLE, *F.SCAN_PARAGRAPHS])
    return out


def main() -> None:
    text = json.dumps(rows(), ensure_ascii=False, indent=2) + "\n"
    GOLDEN.write_text(text, encoding="utf-8")
    print(f"{GOLDEN.relative_to(ROOT)}: {len(F.FILES)} attachments")


if __name__ == "__main__":
    main()
