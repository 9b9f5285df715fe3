"""Decide a page's encoding from its bytes, not from what it claims.

Tianjin sites declare charsets that lie in both directions (a page declaring gb2312 that is
really UTF-8, and the reverse), so a declaration is only trusted when it decodes the bytes
strictly. gb2312 and gbk are read as gb18030, their superset, because real "gb2312" pages use
characters outside GB2312.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from w3lib.encoding import http_content_type_encoding, read_bom

GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "csgb2312", "gb_2312-80", "euc-cn", "cp936"}
_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)


@dataclass(frozen=True)
class EncodingChoice:
    used: str
    declared: str | None
    how: str  # bom | declared | utf-8 despite declaration | detected | forced
    lossy: bool = False


def _codec_name(label: str) -> str | None:
    label = label.strip().lower()
    if label in GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset the page claims: the HTTP header first, else a <meta> in the first 4 KB."""
    if content_type and (label := http_content_type_encoding(content_type)):
        header = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
        return header.group(1).lower() if header else label
    match = _META_CHARSET_RE.search(body[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def choose_encoding(
    body: bytes, content_type: str | None = None, forced: str | None = None
) -> EncodingChoice:
    declared = declared_charset(body, content_type)
    if forced:
        codec = _codec_name(forced) or forced
        return EncodingChoice(codec, declared, "forced", lossy=not _decodes(body, codec))
    bom_encoding, _ = read_bom(body)
    if bom_encoding:
        return EncodingChoice(_codec_name(bom_encoding) or bom_encoding, declared, "bom")
    codec = _codec_name(declared) if declared else None
    is_ascii = body.isascii()
    # UTF-8 is so constrained that non-ASCII GB bytes almost never decode as UTF-8; the reverse
    # is not true (UTF-8 bytes often decode as gb18030 into mojibake), so UTF-8 is tried first.
    if not is_ascii and codec != "utf-8" and _decodes(body, "utf-8"):
        return EncodingChoice(
            "utf-8", declared, "declared" if codec is None else "utf-8 despite declaration"
        )
    if codec and _decodes(body, codec):
        return EncodingChoice(codec, declared, "declared")
    if is_ascii:
        return EncodingChoice(codec or "utf-8", declared, "declared" if codec else "ascii")
    if _decodes(body, "gb18030"):
        return EncodingChoice("gb18030", declared, "detected")
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is not None and (name := _codec_name(best.encoding)):
        return EncodingChoice(name, declared, "detected", lossy=not _decodes(body, name))
    return EncodingChoice(codec or "utf-8", declared, "detected", lossy=True)
