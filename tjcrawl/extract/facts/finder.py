"""A first finder: Arabic-numeral amounts in 元/万元/亿元 only. To be replaced by the full
rules (money, places, industries, counts, parties)."""

from __future__ import annotations

import re

_MONEY = re.compile(r"(\d+(?:\.\d+)?)\s*(亿元|万元|元)")
_SCALE = {"元": 1, "万元": 10_000, "亿元": 100_000_000}
_SENTENCE_END = "。！？；\n"


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind(c, 0, start) for c in _SENTENCE_END) + 1
    rights = [i for c in _SENTENCE_END if (i := text.find(c, end)) != -1]
    return left, (min(rights) + 1 if rights else len(text))


def find_facts(text: str, field: str) -> list:
    from tjcrawl.extract.facts import MONEY, Fact

    facts = []
    for match in _MONEY.finditer(text):
        number, unit = float(match.group(1)), match.group(2)
        left, right = _sentence(text, match.start(), match.end())
        facts.append(
            Fact(
                kind=MONEY,
                value=f"{number * _SCALE[unit]:.0f}",
                surface=match.group(0),
                field=field,
                start=match.start(),
                end=match.end(),
                sentence_start=left,
                sentence_end=right,
                method="rule:money",
                confidence=0.9,
                unit=unit,
                currency="CNY",
                amount=number,
            )
        )
    return facts
