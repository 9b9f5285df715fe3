"""Attachment text: per file its state, the expected strings found and pages/s, for tjcrawl's
choice (PDFium with a per-page plausibility check and pdfminer.six for the pages it fails,
in the persistent worker process with its limits, handed up to 8 files ahead; in the worker
PDFium has no system fonts, and pdfminer's parsing goes through tjcrawl's tokenizer) next to
pdfminer.six alone and pypdfium2 alone (the library as installed, system fonts included), in
one run.

    .venv/bin/python bench/attachments.py ../shared/attachments-dev [--generated] [--rounds 9]

A benchmark, not a test. DIR holds the files (its pdf/ folder and any other files below it)
and may hold an expected.json ({"file": {"expect": "text"|"encrypted", "contains": [...]}},
or be a fixture's folder below an expected_attachments.json (its must_contain strings),
compared with all whitespace removed), as ../shared/attachments-dev does. `--generated` adds
a set made here of every format tjcrawl reads (PDF, DOCX, XLSX, OFD, CSV in GBK, HTML, ZIP),
with their known strings. Every side reads the same bytes (read from disk beforehand); one
untimed round warms every side up (PDFium's fonts, pdfminer's CMaps, the worker's imports),
then `--rounds` rounds alternate the sides and the median round counts. pages/CPU-s (this
process and the worker, from /proc, over all rounds) moves less than wall-clock time when
other work shares the machine. Speed is compared on
PDF pages only (the other formats have no second reader here); the other formats are timed for
tjcrawl alone. Exits 1 when tjcrawl misses an expected string.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from tjcrawl.attachments import Worker  # noqa: E402
from tjcrawl.attachments.detect import PDF, detect  # noqa: E402


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdfminer_alone(data: bytes) -> str:
    from pdfminer.high_level import extract_text

    try:
        return extract_text(io.BytesIO(data))
    except Exception:
        return ""


def pypdfium2_alone(data: bytes) -> str:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return ""
    texts = []
    for index in range(len(doc)):
        page = doc[index]
        textpage = page.get_textpage()
        texts.append(textpage.get_text_bounded())
        textpage.close()
        page.close()
    doc.close()
    return "\n".join(texts)


def generated() -> dict[str, tuple[bytes, list[str]]]:
    from attachment_files import make_docx, make_ofd, make_pdf, make_xlsx, make_zip

    lines = [[f"Tianjin project {p}-{i} signed 2025" for i in range(45)] for p in range(40)]
    docx = make_docx(
        [f"天津市招商引资签约项目第{i}项，总投资{i}亿元。" for i in range(300)],
        [["企业", "金额"], ["滨海某科技有限公司", "12亿元"]],
    )
    xlsx = make_xlsx(
        {"签约项目": [["企业", "金额"]] + [[f"天津第{i}公司", i] for i in range(3000)]}
    )
    ofd = make_ofd([[f"第{p}页第{i}行" for i in range(40)] for p in range(20)])
    csv = "\n".join(f"天津港{i},{i}" for i in range(5000)).encode("gbk")
    html = ("<html><body>" + "".join(f"<p>政策第{i}条</p>" for i in range(2000))).encode("gbk")
    return {
        "gen-40-pages.pdf": (make_pdf(lines), ["Tianjin project 0-0 signed", "project 39-44"]),
        "gen.docx": (docx, ["第299项，总投资299亿元", "滨海某科技有限公司"]),
        "gen.xlsx": (xlsx, ["天津第2999公司\t2999"]),
        "gen.ofd": (ofd, ["第19页第39行"]),
        "gen-gbk.csv": (csv, ["天津港4999,4999"]),
        "gen-gbk.html": (html, ["政策第1999条"]),
        "gen.zip": (make_zip({"a.docx": docx, "b.csv": csv}), ["滨海某科技有限公司", "天津港0,0"]),
    }


def load(folder: Path) -> dict[str, tuple[bytes, list[str] | None, str]]:
    expected_path = folder / "expected.json"
    expected = json.loads(expected_path.read_text("utf-8")) if expected_path.exists() else {}
    # A fixture's attachment folder: the must-contain strings of its golden rows
    # (fixtures/<slug>/expected_attachments.json, tools/attachment_goldens.py).
    for parent in [folder, *folder.parents]:
        if (goldens := parent / "expected_attachments.json").is_file():
            for row in json.loads(goldens.read_text("utf-8")):
                name = row["url"].rsplit("/", 1)[1]
                expected.setdefault(name, {"contains": row["must_contain"] or None})
            break
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p != expected_path):
        if path.suffix in (".md", ".json"):
            continue
        want = expected.get(path.name, {})
        files[path.name] = (path.read_bytes(), want.get("contains"), want.get("expect", ""))
    return files


def worker_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) the worker process has used, from /proc."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(read: Callable[[bytes], object], data: bytes) -> tuple[object, float]:
    started = time.perf_counter()
    got = read(data)
    return got, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--generated", action="store_true")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    files = load(args.dir)
    if args.generated:
        for name, (data, strings) in generated().items():
            files[name] = (data, strings, "text")
    worker = Worker()
    sides: dict[str, Callable[[bytes], str]] = {
        "tjcrawl": lambda data: "",
        "pdfminer.six": pdfminer_alone,
        "pypdfium2": pypdfium2_alone,
    }
    results: dict[str, dict[str, object]] = {}
    times: dict[tuple[str, str], list[float]] = {}
    cpu = dict.fromkeys(sides, 0.0)
    for round_no in range(args.rounds + 1):
        for side in sides:
            cpu_before = time.process_time() + (
                worker_cpu(worker.pid) if side == "tjcrawl" else 0.0
            )
            if side == "tjcrawl":
                # The worker is handed the next file while it reads one (read_many), as
                # `reextract` and a crawl's batch of attachments use it; each file's time is
                # from the previous file's text to its own. PDFs first, on their own, so
                # that the CPU time compared is theirs alone.
                for want_pdf in (True, False):
                    names = [n for n in files if (detect(files[n][0]) == PDF) == want_pdf]
                    last = time.perf_counter()
                    items = [(files[n][0], n) for n in names]
                    for name, got in zip(names, worker.read_many(items), strict=True):
                        now = time.perf_counter()
                        seconds, last = now - last, now
                        if round_no == 0:
                            results[f"{side}:{name}"] = got
                        else:
                            times.setdefault((side, name), []).append(seconds)
                    if round_no and want_pdf:
                        cpu[side] += time.process_time() + worker_cpu(worker.pid) - cpu_before
                continue
            for name, (data, _, _) in files.items():
                if detect(data) != PDF:
                    continue
                got, seconds = timed(sides[side], data)
                if round_no == 0:
                    results[f"{side}:{name}"] = got
                else:
                    times.setdefault((side, name), []).append(seconds)
            if round_no:
                cpu[side] += time.process_time() - cpu_before
    worker.close()

    def found(side: str, name: str) -> tuple[int, int, list[str]]:
        strings = files[name][1] or []
        got = results.get(f"{side}:{name}")
        text = got.text if hasattr(got, "text") else str(got or "")
        missing = [s for s in strings if _flat(s) not in _flat(text)]
        return len(strings) - len(missing), len(strings), missing

    print(
        f"{'file':34} {'state':10} {'pages':>5} {'method':16} "
        f"{'tjcrawl':>14} {'pdfminer.six':>14} {'pypdfium2':>14}"
    )
    totals = {side: [0.0] * args.rounds for side in sides}
    pdf_pages, missed = 0, 0
    for name, (data, _strings, expect) in files.items():
        got = results[f"tjcrawl:{name}"]
        is_pdf = detect(data) == PDF
        cells = []
        for side in sides:
            if (side, name) not in times:
                cells.append(f"{'-':>14}")
                continue
            n, of, _ = found(side, name)
            ms = statistics.median(times[(side, name)]) * 1000
            cells.append(f"{n}/{of} {ms:7.1f}ms".rjust(14))
            if is_pdf:
                for r, seconds in enumerate(times[(side, name)]):
                    totals[side][r] += seconds
        n, of, missing = found("tjcrawl", name)
        missed += len(missing)
        if expect == "encrypted" and got.state != "encrypted":
            missed += 1
        pages = got.pages if got.pages is not None else "-"
        if is_pdf:
            pdf_pages += got.pages or 0
        print(f"{name[:34]:34} {got.state:10} {pages!s:>5} {got.method[:16]:16} {' '.join(cells)}")
        if missing:
            print(f"    tjcrawl missed: {missing}")
    print()
    rates, cpu_rates = {}, {}
    for side in sides:
        rounds = [pdf_pages / t for t in totals[side] if t]
        rates[side] = statistics.median(rounds) if rounds else 0.0
        strings = sum(found(side, n)[0] for n in files if f"{side}:{n}" in results)
        asked = sum(found(side, n)[1] for n in files if f"{side}:{n}" in results)
        cpu_rates[side] = pdf_pages * args.rounds / cpu[side] if cpu[side] else 0.0
        print(
            f"{side:13} {rates[side]:7.1f} PDF pages/s (median of {args.rounds} rounds, "
            f"{pdf_pages} pages) {cpu_rates[side]:7.1f} pages/CPU-s  "
            f"expected strings found {strings}/{asked}"
        )
    if rates["pdfminer.six"] and cpu_rates["pdfminer.six"]:
        print(
            f"tjcrawl / pdfminer.six = {rates['tjcrawl'] / rates['pdfminer.six']:.2f}x wall, "
            f"{cpu_rates['tjcrawl'] / cpu_rates['pdfminer.six']:.2f}x CPU   "
            f"tjcrawl / pypdfium2 = {rates['tjcrawl'] / rates['pypdfium2']:.2f}x wall"
        )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    load1 = os.getloadavg()
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}"
        f"; commit {commit}; load {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
