"""fold_space and element_paragraphs fold whitespace by str.split(); the regex they replaced
is kept here as the reference they must agree with, character for character."""

from __future__ import annotations

import random
import re

from lxml import html

from tjcrawl.text import BLOCK_TAGS, element_paragraphs, fold_space

REFERENCE_SPACE = re.compile(r"\s+")
EVERY_SPACE = [chr(c) for c in range(0x110000) if REFERENCE_SPACE.fullmatch(chr(c))]


def reference_fold(text: str) -> str:
    return REFERENCE_SPACE.sub(" ", text).strip()


def reference_paragraphs(node: html.HtmlElement) -> list[str]:
    from tjcrawl.text import _BREAK, _walk

    parts: list[str] = []
    _walk(node, parts.append)
    text = REFERENCE_SPACE.sub(" ", "".join(parts))
    return [p for p in (chunk.strip() for chunk in text.split(_BREAK)) if p]


def test_every_unicode_space_folds_as_the_regex_folds_it() -> None:
    assert len(EVERY_SPACE) > 20  # tabs, no-break, ideographic (U+3000), the U+2000 block …
    for space in EVERY_SPACE:
        text = f"{space}发布时间{space}{space}2024-01-02{space}"
        assert fold_space(text) == reference_fold(text) == "发布时间 2024-01-02"


def test_random_text_folds_as_the_regex_folds_it() -> None:
    rng = random.Random(20261207)
    alphabet = [*EVERY_SPACE, "a", "中", "\x00", "\u200b", "\ufeff", "\xad"]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert fold_space(text) == reference_fold(text), repr(text)


def test_random_pages_give_the_paragraphs_the_regex_gave() -> None:
    rng = random.Random(7)
    tags = [*sorted(BLOCK_TAGS)[:12], "span", "b", "td", "script", "font"]
    words = ["天津", " ", "\u3000", "\n\t", "\xa0", "招商", "a b", ""]
    for _ in range(500):
        pieces = ["<div>"]
        for _ in range(rng.randint(1, 25)):
            tag = rng.choice(tags)
            pieces.append(f"{rng.choice(words)}<{tag}>{rng.choice(words)}{rng.choice(words)}")
            if rng.random() < 0.7:
                pieces.append(f"</{tag}>{rng.choice(words)}")
        pieces.append("</div>")
        node = html.fragment_fromstring("".join(pieces))
        assert element_paragraphs(node) == reference_paragraphs(node)
