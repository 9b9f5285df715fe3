"""OCR accuracy and speed: PDFs whose text is known, scanned at 150 and 300 dpi, read by Tesseract
as `--ocr` reads them (tjcrawl.attachments.ocr), side by side in one run.

    .venv/bin/python bench/ocr.py fixtures/tj_fzgg/site/xxfb/tzggx/202508 \
        ../shared/attachments-dev --prose ../shared/extraction-dev/magic-article/ground_truth.jsonl

A benchmark, not a test. Each DIR is searched for PDFs (an expected.json beside them, as in
../shared/attachments-dev, adds its must-contain strings). The known text of a PDF with a text
layer is what tjcrawl reads from it; a scan of it is made per dpi (each page rendered grey at
that dpi by PDFium and stored as the only thing on its page: tjcrawl.attachments.ocr.scan_pdf),
and each scanned page is read by Tesseract (chi_sim+eng), its image rendered at `--read-dpi`
(tjcrawl's DPI unless told). An image-only PDF with a
golden row in expected_attachments.json (`scanned_text`) is read as it is, its own resolution
being what it is. Printed per file and dpi: character accuracy (1 - edit distance / length,
both without whitespace; reading order counts, so a table read across its rows scores lower
than its characters would), order-free character recall (the share of the known characters
found, as a multiset), must-contain strings found, and seconds per page (wall clock, one
Tesseract thread). Encrypted and damaged files are skipped (no known text). `--prose` adds
pages of real Chinese news text (a labelled set's bodies) printed by Chromium (which it needs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tjcrawl.attachments.ocr import DPI, char_accuracy, ocr_page, scan_pdf  # noqa: E402
from tjcrawl.attachments.pdf import extract_pdf  # noqa: E402


def recall(got: str, want: str) -> float:
    have, need = Counter("".join(got.split())), Counter("".join(want.split()))
    total = sum(need.values())
    return sum((have & need).values()) / total if total else 1.0


def squeeze(text: str) -> str:
    return "".join(text.split())


def ocr_pdf(data: bytes, dpi: int) -> tuple[str, int, float]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    texts, started = [], time.perf_counter()
    try:
        for index in range(len(doc)):
            texts.append(ocr_page(doc[index], dpi))
    finally:
        pages = len(doc)
        doc.close()
    return "\n".join(texts), pages, time.perf_counter() - started


def cases(dirs: list[Path]) -> list[tuple[str, bytes, str, list[str], bool]]:
    """(name, bytes, known text, must-contain strings, is already a scan)."""
    found = []
    for folder in dirs:
        expected: dict = {}
        for path in [folder / "expected.json", *folder.glob("*/expected.json")]:
            if path.is_file():
                expected.update(json.loads(path.read_text("utf-8")))
        scanned = {}
        golden = next(
            (
                p / "expected_attachments.json"
                for p in [folder, *folder.parents]
                if (p / "expected_attachments.json").is_file()
            ),
            None,
        )
        if golden is not None and golden.is_file():
            for row in json.loads(golden.read_text("utf-8")):
                if "scanned_text" in row:
                    scanned[row["url"].rsplit("/", 1)[1]] = row["scanned_text"]
        for path in sorted(folder.rglob("*.pdf")):
            data = path.read_bytes()
            contains = expected.get(path.name, {}).get("contains", [])
            if path.name in scanned:
                found.append((path.name, data, scanned[path.name], contains, True))
                continue
            got = extract_pdf(data)
            if got.state != "ok" or not squeeze(got.text):
                print(f"skipped {path.name}: {got.state}, no known text", file=sys.stderr)
                continue
            found.append((path.name, data, got.text, contains, False))
    return found


def printed(jsonl: Path, limit: int, chars: int, work: Path) -> list[Path]:
    """The first `limit` Chinese bodies of a ground_truth.jsonl (../shared/extraction-dev's
    format: `lang`, `body`), `chars` characters of each, printed to PDF by Chromium in Noto Sans
    CJK SC: PDFs of real Chinese prose, whose text layer is the known text."""
    from html import escape

    made = []
    for line in jsonl.read_text("utf-8").splitlines():
        record = json.loads(line)
        if record.get("lang") != "zh" or len(squeeze(record.get("body") or "")) < chars // 2:
            continue
        paras, total = [], 0
        for para in (record["body"] or "").splitlines():
            if para.strip() and total < chars:
                paras.append(f"<p>{escape(para.strip()[: chars - total])}</p>")
                total += len(para.strip())
        page = work / f"prose-{len(made)}.html"
        page.write_text(
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>body {'
            " font-family: 'Noto Sans CJK SC'; font-size: 12pt; margin: 2cm; line-height: 1.6 }"
            f"</style></head><body>{''.join(paras)}</body></html>",
            "utf-8",
        )
        pdf = work / f"prose-{len(made)}.pdf"
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        made.append(pdf)
        if len(made) >= limit:
            break
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path)
    parser.add_argument(
        "--prose",
        type=Path,
        metavar="JSONL",
        help="Also print Chinese bodies of this ground_truth.jsonl to PDF with Chromium"
        " (e.g. ../shared/extraction-dev/magic-article/ground_truth.jsonl).",
    )
    parser.add_argument("--limit", type=int, default=6, help="Pages of --prose (default 6).")
    parser.add_argument("--chars", type=int, default=500, help="Characters per --prose page.")
    parser.add_argument(
        "--dpi", default="150,300", help="Resolutions to make the scans at (default 150,300)."
    )
    parser.add_argument(
        "--read-dpi",
        default=str(DPI),
        help=f"Resolutions Tesseract's page images are rendered at (default {DPI}, tjcrawl's).",
    )
    args = parser.parse_args()
    combos = [
        (int(scan), int(read)) for scan in args.dpi.split(",") for read in args.read_dpi.split(",")
    ]
    work = Path(tempfile.mkdtemp(prefix="tjcrawl-bench-ocr-"))
    if args.prose:
        folder = work / "prose"
        folder.mkdir()
        for pdf in printed(args.prose, args.limit, args.chars, folder):
            pdf.rename(folder / pdf.name)
        args.dirs.append(folder)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"commit {commit}; {platform.platform()}; {os.cpu_count()} cores")
    print(f"load before: {Path('/proc/loadavg').read_text().strip()}")
    print(
        f"{'file':36} {'scan':>4} {'read':>4} {'chars':>6} {'accuracy':>8} {'recall':>7}"
        f" {'found':>6} {'s/page':>7}"
    )
    totals: dict[tuple[int, int], list[float]] = {c: [0, 0, 0, 0, 0] for c in combos}
    for name, data, known, contains, is_scan in cases(args.dirs):
        for dpi, read_dpi in combos:
            if is_scan and dpi != combos[0][0]:
                continue  # already a scan: made at one resolution only
            scan = data if is_scan else scan_pdf(data, dpi)
            text, pages, seconds = ocr_pdf(scan, read_dpi)
            accuracy, share = char_accuracy(text, known), recall(text, known)
            hits = sum(squeeze(c) in squeeze(text) for c in contains)
            chars = len(squeeze(known))
            print(
                f"{name[:36]:36} {'-' if is_scan else dpi:>4} {read_dpi:>4} {chars:>6}"
                f" {accuracy:>8.3f} {share:>7.3f} {f'{hits}/{len(contains)}':>6}"
                f" {seconds / pages:>7.2f}"
            )
            t = totals[(dpi, read_dpi)]
            t[0] += accuracy * chars
            t[1] += share * chars
            t[2] += chars
            t[3] += seconds
            t[4] += pages
    for (dpi, read_dpi), (acc, share, chars, seconds, pages) in totals.items():
        if chars:
            print(
                f"{'all (weighted by characters)':36} {dpi:>4} {read_dpi:>4} {int(chars):>6}"
                f" {acc / chars:>8.3f} {share / chars:>7.3f} {'':>6} {seconds / pages:>7.2f}"
            )
    print(f"load after: {Path('/proc/loadavg').read_text().strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
