"""OCR of PDF pages without a text layer (scans): each page rendered by PDFium (pypdfium2) to a
grey image and read by Tesseract (`tesseract`, Apache-2.0, run as a separate process with a
time limit per page) with its simplified-Chinese model and English (Debian: tesseract-ocr,
tesseract-ocr-chi-sim). Only with `--ocr`: without it such pages leave the file `needs_ocr`.

Also `scan_pdf`, which turns a PDF into an image-only one (a scan of it), for the OCR test,
bench/ocr.py and the fixture scan."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import zlib
from typing import Any

#: Resolution pages are rendered at for Tesseract. Measured (docs/benchmarks.md, "OCR") on
#: scans of Chinese running text: 150 dpi 0.960 character accuracy, 200 dpi 0.951, 300 dpi
#: 0.946, with 150 the fastest (0.76x the seconds per page of 300): Tesseract's LSTM model
#: reads 10-14 pt characters best at 20-30 px, and 300 dpi renders them past that.
DPI = 150
#: Seconds Tesseract may take on one page.
PAGE_TIME_LIMIT = 60.0
#: Pages of one file read by OCR at most; the rest stay unread and are counted.
MAX_PAGES = 20
LANGUAGES = "chi_sim+eng"
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
#: Tesseract puts a space between CJK characters (its word boxes are single characters).
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) +(?=[{_CJK}])")


class OcrUnavailable(RuntimeError):
    """Tesseract or its Chinese model is not installed: one line saying what to install."""


def missing() -> str | None:
    """Why OCR cannot run here (one line), or None when it can."""
    if shutil.which("tesseract") is None:
        return f"OCR needs the tesseract program: {INSTALL_HINT}"
    try:
        done = subprocess.run(
            ["tesseract", "--list-langs"],
            capture_output=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"OCR: tesseract does not run ({type(exc).__name__}): {INSTALL_HINT}"
    langs = set((done.stdout + done.stderr).decode("utf-8", "replace").split())
    if "chi_sim" not in langs:
        return f"OCR needs Tesseract's simplified-Chinese model chi_sim: {INSTALL_HINT}"
    return None


def _pgm(page: Any, dpi: int) -> bytes:
    """The page as a binary PGM (which Tesseract reads without any image library)."""
    bitmap = page.render(scale=dpi / 72, grayscale=True)
    try:
        pixels = bitmap.to_numpy()
        height, width = pixels.shape[:2]
        return f"P5 {width} {height} 255\n".encode() + pixels.reshape(height, width).tobytes()
    finally:
        bitmap.close()


def clean(text: str) -> str:
    lines = [_CJK_GAP.sub("", line).strip() for line in text.replace("\x0c", "\n").splitlines()]
    return "\n".join(line for line in lines if line)


def ocr_page(page: Any, dpi: int = DPI, time_limit: float = PAGE_TIME_LIMIT) -> str:
    """The text Tesseract reads on one pypdfium2 page. Raises OcrUnavailable when Tesseract
    is missing, TimeoutError past `time_limit`, RuntimeError when it fails."""
    if shutil.which("tesseract") is None:
        raise OcrUnavailable(f"OCR needs the tesseract program: {INSTALL_HINT}")
    fd, path = tempfile.mkstemp(prefix="tjcrawl-ocr-", suffix=".pgm")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_pgm(page, dpi))
        # One thread: the crawl's other work (and the other files) share the cores.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        done = subprocess.run(
            ["tesseract", path, "stdout", "-l", LANGUAGES, "--dpi", str(dpi)],
            capture_output=True,
            timeout=time_limit,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"OCR of a page took over {time_limit:g}s") from None
    finally:
        os.unlink(path)
    if done.returncode != 0:
        error = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if any("chi_sim" in line for line in error):
            raise OcrUnavailable(f"OCR needs Tesseract's chi_sim model: {INSTALL_HINT}")
        raise RuntimeError(f"tesseract failed: {error[-1] if error else done.returncode}")
    return clean(done.stdout.decode("utf-8", "replace"))


def scan_pdf(data: bytes, dpi: int = 150) -> bytes:
    """An image-only PDF of `data`: each page rendered grey at `dpi` and stored as one
    Flate-compressed image filling a page of the same size, with no text at all."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    images = []
    try:
        for index in range(len(doc)):
            page = doc[index]
            width, height = page.get_size()
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            pixels = bitmap.to_numpy()
            images.append((width, height, pixels.shape[1], pixels.shape[0], pixels.tobytes()))
            bitmap.close()
            page.close()
    finally:
        doc.close()
    return _image_pdf(images)


def _image_pdf(images: list[tuple[float, float, int, int, bytes]]) -> bytes:
    objects: list[bytes] = []
    kids = []
    for width, height, px_w, px_h, pixels in images:
        base = 3 + len(objects)
        picture = zlib.compress(pixels, 9)
        draw = f"q {width:.2f} 0 0 {height:.2f} 0 0 cm /Im0 Do Q".encode()
        resources = f"<< /XObject << /Im0 {base + 1} 0 R >> >>"
        box = f"[0 0 {width:.2f} {height:.2f}]"
        page = f"<< /Type /Page /Parent 2 0 R /MediaBox {box} /Resources {resources}"
        objects.append(f"{page} /Contents {base + 2} 0 R >>".encode())
        objects.append(
            f"<< /Type /XObject /Subtype /Image /Width {px_w} /Height {px_h}"
            f" /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode"
            f" /Length {len(picture)} >>\nstream\n".encode()
            + picture
            + b"\nendstream"
        )
        objects.append(f"<< /Length {len(draw)} >>\nstream\n".encode() + draw + b"\nendstream")
        kids.append(f"{base} 0 R")
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(head + objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


class OcrPages:
    """OCR of the scanned pages of one file, within MAX_PAGES, remembering why pages were
    left unread (Tesseract missing, a page over its time limit, a failure)."""

    def __init__(self, dpi: int = DPI, time_limit: float = PAGE_TIME_LIMIT) -> None:
        self.dpi = dpi
        self.time_limit = time_limit
        self.read_pages = 0
        self.skipped = 0
        self.problem = ""

    def read(self, page: Any) -> str | None:
        """The page's text (maybe ""), or None when it could not be read."""
        if self.problem.startswith("OCR needs") or self.read_pages >= MAX_PAGES:
            self.skipped += 1
            return None
        try:
            text = ocr_page(page, self.dpi, self.time_limit)
        except (OcrUnavailable, TimeoutError, RuntimeError, OSError) as exc:
            self.problem = str(exc)
            self.skipped += 1
            return None
        self.read_pages += 1
        return text

    def note(self) -> str:
        parts = []
        if self.read_pages:
            parts.append(
                f"{self.read_pages} pages read by OCR (Tesseract {LANGUAGES}, {self.dpi} dpi)"
            )
        if self.skipped:
            why = self.problem or f"over the limit of {MAX_PAGES} OCR pages per file"
            parts.append(f"{self.skipped} pages not read by OCR: {why}")
        return "; ".join(parts)


def char_accuracy(got: str, want: str) -> float:
    """1 - edit distance / length of `want`, both without whitespace (OCR's measure in
    bench/ocr.py and the OCR test); 0 at worst."""
    a, b = "".join(got.split()), "".join(want.split())
    if not b:
        return 1.0 if not a else 0.0
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        previous = current
    return max(0.0, 1 - previous[-1] / len(b))
