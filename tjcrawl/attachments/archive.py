"""ZIP archives of attachments: each member read as an attachment of its own, within caps on
the expansion ratio, the total size and the count of members (zip bombs)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from tjcrawl.attachments.states import DAMAGED, OK, TOO_LARGE, Extracted, worst

MAX_RATIO = 100
MAX_TOTAL = 200 * 1024 * 1024
MAX_MEMBERS = 1000
MAX_DEPTH = 2

Reader = Callable[[bytes, str, int], Extracted]


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """The member's bytes, or None when it inflates past `limit` (a lying header included)."""
    chunks, size = [], 0
    with archive.open(info) as handle:
        while True:
            chunk = handle.read(1024 * 1024)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)


def extract_zip(data: bytes, read: Reader, depth: int) -> Extracted:
    if depth >= MAX_DEPTH:
        return Extracted(TOO_LARGE, "", None, "zip", f"zip nested deeper than {MAX_DEPTH}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        return Extracted(DAMAGED, "", None, "zip", f"damaged zip: {exc}")
    if len(infos) > MAX_MEMBERS:
        return Extracted(TOO_LARGE, "", None, "zip", f"zip of {len(infos)} files")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_TOTAL:
        return Extracted(TOO_LARGE, "", None, "zip", f"zip inflates to {declared} bytes")
    parts, states, pages, total = [], [], 0, 0
    for info in infos:
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
            return Extracted(
                TOO_LARGE,
                "",
                None,
                "zip",
                f"zip bomb: {info.filename} expands {info.compress_size} bytes to"
                f" {info.file_size} (over {MAX_RATIO}:1)",
            )
        try:
            member = _read_capped(archive, info, min(MAX_TOTAL - total, max(info.file_size, 0)))
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
            states.append(DAMAGED)
            parts.append(f"== {info.filename} ==\n(damaged: {exc})")
            continue
        if member is None:
            return Extracted(TOO_LARGE, "", None, "zip", f"{info.filename} inflates past its size")
        total += len(member)
        got = read(member, info.filename, depth + 1)
        states.append(got.state)
        pages += got.pages or 0
        parts.append(f"== {info.filename} ==\n{got.text}".rstrip())
    state = worst(states)
    text = "\n\n".join(parts)
    detail = "" if state == OK else f"worst member: {state}"
    return Extracted(state, text, pages or None, "zip", detail)
