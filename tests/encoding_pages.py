"""Chinese pages in the encodings real portals get wrong, made from the seed news texts.

tests/reposts/seed.txt holds ten real-style Tianjin news reports (records of "-", title, body,
date). From them: Big5 pages (converted to traditional characters with OpenCC) declaring
gb2312, and long GB18030 pages with a few damaged bytes, each with the text the archive should
hold. Used by tests/test_encoding.py and tests/test_encoding_crawl.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import cycle
from pathlib import Path

import opencc

SEED = Path(__file__).parent / "reposts" / "seed.txt"
LONG_ARTICLE_CHARS = 14_000
# Where a long article is damaged: every this many characters, one character is hit.
DAMAGE_EVERY = 3_000


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    paragraphs: tuple[str, ...]
    body: bytes
    content_type: str
    expected_paragraphs: tuple[str, ...]  # as the archive should hold them


@cache
def seed_articles() -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of each seed news text: records of "-", title, body, date."""
    lines = SEED.read_text("utf-8").split("\n")
    articles = []
    for i, line in enumerate(lines[:-3]):
        if line == "-" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", lines[i + 3]):
            articles.append((lines[i + 1], [p for p in lines[i + 2].split(" ") if p.strip()]))
    assert len(articles) >= 5, "the seed texts are where the test's Chinese comes from"
    return articles


def article_html(title: str, paragraphs: list[str], meta: str, furniture: str = "") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="zh">\n<head>\n{meta}<title>{title}</title>\n</head>\n'
        f'<body>\n{furniture}<div class="info">日期：2025-08-22</div>\n<div class="content">\n'
        f"{body}\n</div>\n</body>\n</html>\n"
    )


def navigation(links: int) -> str:
    """ASCII-only site furniture, as portals have plenty of: it dilutes a page's Chinese."""
    return "".join(
        f'<li class="nav"><a href="/channel/{n}/index.html" target="_blank">Item {n}</a></li>\n'
        for n in range(links)
    )


def big5_page(path: str, title: str, paragraphs: list[str], in_header: bool) -> Page:
    to_traditional = opencc.OpenCC("s2t")
    # Keep the characters Big5 has (a handful of rare ones it lacks are left out).
    title, *paragraphs = (
        to_traditional.convert(t).encode("big5", "ignore").decode("big5")
        for t in [title, *paragraphs]
    )
    meta = "" if in_header else '<meta charset="gb2312">\n'
    body = article_html(title, paragraphs, meta).encode("big5")
    content_type = "text/html; charset=gb2312" if in_header else "text/html"
    return Page(path, title, tuple(paragraphs), body, content_type, tuple(paragraphs))


def long_paragraphs(articles: list[tuple[str, list[str]]], start: int) -> list[str]:
    """Seed paragraphs from article `start` on, cycled, until the text is ~14,000 characters."""
    out: list[str] = []
    rotated = articles[start:] + articles[:start]
    for _, paragraphs in cycle(rotated):
        out += paragraphs
        if sum(map(len, out)) >= LONG_ARTICLE_CHARS:
            return out
    raise AssertionError("unreachable")


def damaged_gb_page(
    path: str,
    title: str,
    paragraphs: list[str],
    declared: bool,
    every: int = DAMAGE_EVERY,
    furniture: str = "",
) -> Page:
    """A GB18030 page in which one character in `every` is broken, two ways in turn: both its
    bytes overwritten with 0xFF (two U+FFFD), or its second byte lost before an ASCII
    character (one U+FFFD)."""
    damaged, expected, seen, hits = [], [], 0, 0
    for paragraph in paragraphs:
        raw, text = bytearray(), []
        for i, char in enumerate(paragraph):
            seen += 1
            encoded = char.encode("gb18030")
            nxt = paragraph[i + 1] if i + 1 < len(paragraph) else "<"
            if seen >= every * (hits + 1) and len(encoded) == 2:
                if hits % 2 == 0:
                    raw += b"\xff\xff"
                    text.append("\ufffd\ufffd")
                    hits += 1
                    continue
                if nxt.isascii():
                    raw += encoded[:1]
                    text.append("\ufffd")
                    hits += 1
                    continue
            raw += encoded
            text.append(char)
        damaged.append(bytes(raw))
        expected.append("".join(text))
    assert hits >= 2, "the article is damaged in several places"
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">\n'
    marker = "\x00PARAGRAPHS\x00"
    html = article_html(title, [marker], meta if declared else "", furniture).encode("gb18030")
    before, after = html.split(f"<p>{marker}</p>".encode())
    body = before + b"\n".join(b"<p>" + p + b"</p>" for p in damaged) + after
    return Page(path, title, tuple(paragraphs), body, "text/html", tuple(expected))
