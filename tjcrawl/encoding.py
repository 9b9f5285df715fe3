"""Decide a page's encoding from its bytes, not from what it claims.

Tianjin sites declare charsets that lie in both directions (a page declaring gb2312 that is
really UTF-8 or Big5, and the reverse), so a declaration is only trusted when it decodes the
bytes strictly and, between the two Chinese double-byte encodings, reads as plausible Chinese;
a single-byte charset (a server's default ISO-8859-1) over the multi-byte runs of a Chinese
page is overruled. gb2312 and gbk are read as gb18030, their superset, because real "gb2312"
pages use characters outside GB2312.

A page that no encoding decodes strictly is not lost for a few bad bytes: when one Chinese
encoding decodes all but a small share of them, the page is decoded with replacement characters
and marked lossy. Beyond that share it is undecodable and refused. A statistical guess is the
last resort, and is never allowed to read a page of Chinese multi-byte runs as Latin or
Cyrillic text.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import threading
from dataclasses import dataclass, field, replace
from functools import cache

from w3lib.encoding import http_content_type_encoding, read_bom

GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "csgb2312", "gb_2312-80", "euc-cn", "cp936"}
# What a Tianjin page can really be in; tried in this order when the declaration fails.
CHINESE_CODECS = ("utf-8", "gb18030", "big5")
# Share of a page's non-ASCII bytes that may be replaced before the page is refused. Measured
# against the non-ASCII bytes, not the whole page, so that ASCII markup cannot dilute it.
LOSSY_LIMIT = 0.005
# The Big5 reading must be this much more plausible than the GB one to overrule a declaration:
# news texts score 1.0 in their own encoding and 0.28-0.58 in the other (tests/reposts/seed.txt).
PLAUSIBILITY_MARGIN = 0.25
# Characters read to judge a text: a page's first few thousand say what it is made of.
PLAUSIBILITY_SAMPLE = 5000
# Below this share of common Chinese characters, a text is not read as Chinese at all.
MIN_PLAUSIBILITY = 0.5
# Share of the 128 high bytes a codec must read one at a time to count as single-byte (code
# pages leave a few undefined; multi-byte codecs read none or, like Shift-JIS, half).
SINGLE_BYTE_SHARE = 0.75
# Fewer Chinese characters than this say too little to overrule a declaration.
MIN_CHARS_JUDGED = 20
# A page whose non-ASCII bytes mostly have a non-ASCII neighbour is written in a multi-byte
# encoding; Latin text has its accented letters one at a time between ASCII ones.
MULTIBYTE_RUN_SHARE = 0.5

_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_HIGH_BYTES = bytes(range(0x80, 0x100))
_ISOLATED_HIGH_BYTE_RE = re.compile(rb"(?<![\x80-\xff])[\x80-\xff](?![\x80-\xff])")


@dataclass(frozen=True)
class EncodingChoice:
    used: str
    declared: str | None
    how: str  # bom | declared | detected | ascii | forced | <codec> despite declaration
    lossy: bool = False  # some bytes did not decode and became U+FFFD
    bad_bytes: int = 0
    undecodable: bool = False  # too many did: the page is refused, not archived
    #: The body decoded strictly in `used`, when the choice decoded it whole already (so
    #: that the response need not decode it again); None otherwise.
    text: str | None = field(default=None, compare=False, repr=False)


def _codec_name(label: str) -> str | None:
    label = label.strip().lower()
    if label in GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _decodes(body: bytes, encoding: str) -> bool:
    return _decoded(body, encoding) is not None


def _decoded(body: bytes, encoding: str) -> str | None:
    """The body decoded strictly, or None."""
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


# -- decoding with a budget of bad bytes ----------------------------------------------------
class _TooManyBadBytes(Exception):
    pass


_budget = threading.local()


def _count_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    if _budget.gb18030 and exc.object[exc.start] == 0x80:
        # The WHATWG gb18030 decoder (and so Scrapy, through w3lib) reads a lone 0x80 as the
        # euro sign of cp936, which Python's codec rejects: nothing is lost there.
        return "\u20ac", exc.start + 1
    _budget.bad += exc.end - exc.start
    if _budget.bad > _budget.limit:
        raise _TooManyBadBytes
    return "\ufffd", exc.end


codecs.register_error("tjcrawl_count_bad_bytes", _count_bad_bytes)


def decode_with_budget(body: bytes, codec: str, max_bad: int) -> tuple[str, int] | None:
    """The text and how many bytes were replaced, or None past `max_bad` replaced bytes."""
    _budget.bad, _budget.limit = 0, max_bad
    _budget.gb18030 = codec == "gb18030"
    try:
        text = body.decode(codec, "tjcrawl_count_bad_bytes")
    except (_TooManyBadBytes, LookupError):
        return None
    return text, _budget.bad


def _non_ascii_bytes(body: bytes) -> int:
    return len(body) - len(body.translate(None, _HIGH_BYTES))


def _bad_byte_budget(body: bytes) -> int:
    return int(_non_ascii_bytes(body) * LOSSY_LIMIT)


# -- how Chinese a text reads ---------------------------------------------------------------
@cache
def _common_chinese_re() -> re.Pattern[str]:
    """Characters real Chinese pages are made of: the 6,763 hanzi of GB2312, the 5,401 frequent
    hanzi of Big5 (A440-C67E), and CJK and general punctuation. Both sets come from the codecs
    themselves. A Big5 page read as GB (or the reverse) turns into rare hanzi, kana, Greek,
    box drawing and private-use characters instead."""
    gb2312 = [(lead, trail) for lead in range(0xB0, 0xF8) for trail in range(0xA1, 0xFF)]
    big5 = [
        (lead, trail)
        for lead in range(0xA4, 0xC7)
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF))
    ]
    chars = {bytes(pair).decode("gb2312", "replace") for pair in gb2312}
    chars |= {bytes(pair).decode("big5", "replace") for pair in big5}
    hanzi = "".join(sorted(c for c in chars if "\u4e00" <= c <= "\u9fff"))
    return re.compile(f"[{hanzi}\u2010-\u206f\u3000-\u303f\uff01-\uff5e\u00b7\u00d7]")


@cache
def _uncommon_re() -> re.Pattern[str]:
    """The non-ASCII characters that `_common_chinese_re` does not match: on a Chinese page
    they are few, and finding them is cheaper than finding every common one (~20 against
    ~32 µs a 5,000-character sample), for the same count."""
    return re.compile("[^\x00-\x7f" + _common_chinese_re().pattern[1:])


def chinese_plausibility(text: str) -> tuple[float, int]:
    """Share of the text's non-ASCII characters that common Chinese is made of, and their count."""
    text = text[:PLAUSIBILITY_SAMPLE]
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if not non_ascii:
        return 0.0, 0
    return (non_ascii - len(_uncommon_re().findall(text))) / non_ascii, non_ascii


@cache
def _is_single_byte(codec: str) -> bool:
    """Whether the codec reads (nearly) every high byte on its own: latin-1, cp1251, koi8-r..."""
    alone = 0
    for byte in range(0x80, 0x100):
        with contextlib.suppress(UnicodeDecodeError):
            bytes((byte,)).decode(codec)
            alone += 1
    return alone >= SINGLE_BYTE_SHARE * 0x80


def _looks_multibyte(body: bytes) -> bool:
    high = _non_ascii_bytes(body)
    isolated = len(_ISOLATED_HIGH_BYTE_RE.findall(body))
    return high > 0 and (high - isolated) / high >= MULTIBYTE_RUN_SHARE


# -- the decision ---------------------------------------------------------------------------
def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset the page claims: the HTTP header first, else a <meta> in the first 4 KB."""
    if content_type and (label := http_content_type_encoding(content_type)):
        header = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
        return header.group(1).lower() if header else label
    match = _META_CHARSET_RE.search(body[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def _other_double_byte_reading(body: bytes, codec: str, text: str) -> tuple[str, int] | None:
    """Big5 behind a GB declaration (or GB behind a Big5 one): both decode most such pages,
    so the reading that is plausible Chinese wins, by a clear margin only.

    Returns the other codec and its replaced-byte count when it wins."""
    # Judged before the other reading is decoded: a text that reads as Chinese already (most
    # pages) is kept without decoding the body a second time.
    score, chars = chinese_plausibility(text)
    if chars < MIN_CHARS_JUDGED or score + PLAUSIBILITY_MARGIN > 1.0:
        return None  # no reading scores above 1: the other one cannot win
    other = "big5" if codec == "gb18030" else "gb18030"
    decoded = decode_with_budget(body, other, _bad_byte_budget(body))
    if decoded is None:
        return None
    other_score, _ = chinese_plausibility(decoded[0])
    if chars >= MIN_CHARS_JUDGED and other_score >= score + PLAUSIBILITY_MARGIN:
        return other, decoded[1]
    return None


def _checked(choice: EncodingChoice, body: bytes, text: str | None = None) -> EncodingChoice:
    """`choice`, or the other double-byte encoding if it reads as Chinese where `choice` does
    not; `text` is the body already decoded in `choice.used`, kept with a choice that stands."""
    if choice.used not in ("gb18030", "big5"):
        return replace(choice, text=text)
    if text is None:
        text = body.decode(choice.used)
    other = _other_double_byte_reading(body, choice.used, text)
    if other is None:
        return replace(choice, text=text)
    codec, bad = other
    how = f"{codec} despite declaration" if choice.how == "declared" else choice.how
    return EncodingChoice(codec, choice.declared, how, lossy=bad > 0, bad_bytes=bad)


def _lossy_choice(body: bytes, codec: str | None, declared: str | None) -> EncodingChoice | None:
    """The Chinese encoding that decodes all but a few bytes, read with replacement."""
    budget = _bad_byte_budget(body)
    candidates = [codec] if codec else []
    candidates += [c for c in CHINESE_CODECS if c != codec]
    readings = []
    for rank, candidate in enumerate(candidates):
        decoded = decode_with_budget(body, candidate, budget)
        if decoded is not None:
            text, bad = decoded
            readings.append((-chinese_plausibility(text)[0], bad, rank, candidate))
    if not readings:
        return None
    _, bad, _, best = min(readings)
    how = "declared" if best == codec else "detected"
    return EncodingChoice(best, declared, how, lossy=True, bad_bytes=bad)


def _guess(body: bytes, codec: str | None, declared: str | None) -> EncodingChoice:
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    name = _codec_name(best.encoding) if best is not None else None
    # A guess of a single-byte codec for multi-byte runs is a CJK page read as Latin or
    # Cyrillic mojibake (ptcp154, cp1251, latin-1...): refused rather than stored.
    if name and _decodes(body, name) and not (_is_single_byte(name) and _looks_multibyte(body)):
        return EncodingChoice(name, declared, "detected")
    return EncodingChoice(codec or "utf-8", declared, "detected", lossy=True, undecodable=True)


def _chinese_reading(body: bytes, codec: str | None, declared: str | None) -> EncodingChoice | None:
    for candidate in ("gb18030", "big5"):
        if _decodes(body, candidate):
            return _checked(EncodingChoice(candidate, declared, "detected"), body)
    return _lossy_choice(body, codec, declared)


def _reads_as_chinese(body: bytes, codec: str) -> bool:
    return chinese_plausibility(body.decode(codec, "replace"))[0] >= MIN_PLAUSIBILITY


def choose_encoding(
    body: bytes, content_type: str | None = None, forced: str | None = None
) -> EncodingChoice:
    declared = declared_charset(body, content_type)
    if forced:
        codec = _codec_name(forced) or forced
        decoded = decode_with_budget(body, codec, _bad_byte_budget(body))
        bad = decoded[1] if decoded else 0
        return EncodingChoice(
            codec,
            declared,
            "forced",
            lossy=decoded is None or bad > 0,
            bad_bytes=bad,
            undecodable=decoded is None,
        )
    bom_encoding, _ = read_bom(body)
    if bom_encoding:
        return EncodingChoice(_codec_name(bom_encoding) or bom_encoding, declared, "bom")
    codec = _codec_name(declared) if declared else None
    is_ascii = body.isascii()
    # UTF-8 is so constrained that non-ASCII GB bytes almost never decode as UTF-8; the reverse
    # is not true (UTF-8 bytes often decode as gb18030 into mojibake), so UTF-8 is tried first.
    if not is_ascii and codec != "utf-8" and (text := _decoded(body, "utf-8")) is not None:
        how = "declared" if codec is None else "utf-8 despite declaration"
        return EncodingChoice("utf-8", declared, how, text=text)
    if codec and (text := _decoded(body, codec)) is not None:
        if not (_is_single_byte(codec) and _looks_multibyte(body)):
            return _checked(EncodingChoice(codec, declared, "declared"), body, text)
        # A single-byte charset over multi-byte runs, most often a server's default
        # ISO-8859-1 in front of a GB page: the bytes decode, into Latin mojibake.
        chinese = _chinese_reading(body, None, declared)
        if chinese is not None and _reads_as_chinese(body, chinese.used):
            return replace(chinese, how=f"{chinese.used} despite declaration")
        return EncodingChoice(codec, declared, "declared")
    if is_ascii:
        return EncodingChoice(codec or "utf-8", declared, "declared" if codec else "ascii")
    return _chinese_reading(body, codec, declared) or _guess(body, codec, declared)
