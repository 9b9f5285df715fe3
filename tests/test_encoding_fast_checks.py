"""The encoding checks made cheaper give the figures and choices they gave before: the
plausibility of a text counts its uncommon characters instead of its common ones, and the
Big5 reading behind a GB declaration is decoded only when the GB reading could lose."""

from __future__ import annotations

import random
from pathlib import Path

from conftest import FIXTURES, REPO

from tjcrawl import encoding
from tjcrawl.encoding import PLAUSIBILITY_SAMPLE, chinese_plausibility, choose_encoding


def reference_plausibility(text: str) -> tuple[float, int]:
    """chinese_plausibility() as it was (tjcrawl 550b5bb)."""
    text = text[:PLAUSIBILITY_SAMPLE]
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if not non_ascii:
        return 0.0, 0
    return encoding._common_chinese_re().subn("", text)[1] / non_ascii, non_ascii


def _pages() -> list[bytes]:
    pages = sorted(Path(FIXTURES).rglob("*.html"))[:60]
    pages += sorted((REPO / "tests").glob("*_site/**/*.html"))[:40]
    return [p.read_bytes() for p in pages]


def test_plausibility_is_counted_as_before() -> None:
    rng = random.Random(7)
    texts = ["", "ascii only", "天津市人民政府", "\ufffd\u00e9\u00b7\u00d7", "ｱ—“”、。"]
    for body in _pages():
        for codec in ("utf-8", "gb18030", "big5", "latin-1", "shift_jis"):
            texts.append(body.decode(codec, "replace"))
    # Random characters around and inside the common set's ranges and its edges.
    pool = [chr(c) for c in (*range(0x20, 0x2100, 7), *range(0x3000, 0x3050), 0xFF01, 0xFF5E)]
    pool += [chr(c) for c in range(0x4E00, 0xA000, 13)] + ["\uff5f", "\u206f", "\u2070"]
    texts += ["".join(rng.choices(pool, k=rng.randrange(1, 6000))) for _ in range(200)]
    for text in texts:
        assert chinese_plausibility(text) == reference_plausibility(text)


def test_big5_behind_a_gb_declaration_is_still_found() -> None:
    traditional = "天津市人民政府新聞辦公室舉行新聞發布會，介紹全市經濟社會發展情況和重點工作安排。"
    page = f'<html><head><meta charset="gb2312"></head><body>{traditional * 3}</body></html>'
    choice = choose_encoding(page.encode("big5"))
    assert (choice.used, choice.how) == ("big5", "big5 despite declaration")
    text = "天津市人民政府新闻办公室举行新闻发布会，介绍全市经济社会发展情况和重点工作安排。"
    page = f'<html><head><meta charset="gb2312"></head><body>{text * 3}</body></html>'
    choice = choose_encoding(page.encode("gb18030"))
    assert (choice.used, choice.how) == ("gb18030", "declared")
    assert choice.text == page  # kept for the response: decoded once


def test_a_page_read_as_chinese_is_not_decoded_as_big5(monkeypatch) -> None:
    decoded = []
    real = encoding.decode_with_budget

    def spy(body: bytes, codec: str, max_bad: int) -> tuple[str, int] | None:
        decoded.append(codec)
        return real(body, codec, max_bad)

    monkeypatch.setattr(encoding, "decode_with_budget", spy)
    text = "天津市人民政府新闻办公室举行新闻发布会，介绍全市经济社会发展情况。" * 3
    page = f'<html><head><meta charset="gb2312"></head><body>{text}</body></html>'
    assert choose_encoding(page.encode("gb18030")).used == "gb18030"
    assert decoded == []
