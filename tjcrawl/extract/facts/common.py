"""Helpers shared by the fact rules: sentence bounds, Chinese and Arabic numerals."""

from __future__ import annotations

import re
from bisect import bisect_left

SENTENCE_END = "。！？；\n"
# A clause ends at any of these; roles and counts are read within a clause only.
CLAUSE_END = "，,。；;！？!?、\n：:（）()"

_SENTENCE_END_RE = re.compile("[" + SENTENCE_END + "]")

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "十百千"
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class Sentences:
    """Sentence bounds of one text. The sentence ends are found once, by one C-speed scan, the
    first time a fact asks (most texts have no fact); each fact then costs two bisections."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._ends: list[int] | None = None

    def bounds(self, start: int, end: int) -> tuple[int, int]:
        ends = self._ends
        if ends is None:
            ends = self._ends = [m.start() for m in _SENTENCE_END_RE.finditer(self.text)]
        # the last sentence end before `start`, and the first at or after the fact's last
        # character (a fact may end with the sentence's own end)
        i = bisect_left(ends, start)
        left = ends[i - 1] + 1 if i else 0
        j = bisect_left(ends, max(start, end - 1), i)
        return left, ends[j] + 1 if j < len(ends) else len(self.text)


_CLAUSE_END_RE = re.compile("[" + re.escape(CLAUSE_END) + "]")
# matched from a window's start, the greedy .* backs off from the window's end to its last
# clause end: one C-speed call instead of a Python loop over the characters
_LAST_CLAUSE_END_RE = re.compile("(?s:.*)[" + re.escape(CLAUSE_END) + "]")


def clause_start(text: str, pos: int, limit: int = 40) -> int:
    """Where the clause holding `pos` begins (at most `limit` characters back)."""
    lo = max(0, pos - limit)
    found = _LAST_CLAUSE_END_RE.match(text, lo, pos)
    return found.end() if found else lo


def clause_end(text: str, pos: int, limit: int = 40) -> int:
    hi = min(len(text), pos + limit)
    found = _CLAUSE_END_RE.search(text, pos, hi)
    return found.start() if found else hi


def anchored(
    pattern: re.Pattern[str],
    anchors: re.Pattern[str],
    text: str,
    back: int,
    group: str,
    starts: re.Pattern[str] | None = None,
):
    """Matches of `pattern` whose `group` ends where an anchor (a currency, a suffix, 项目)
    ends. Scanning only the few characters before each anchor keeps the cost proportional to
    the anchors, not to the text: a pattern that may start at any digit or CJK character is
    slow to run over a whole page. `starts`, when given, finds a character that a match can
    begin with: the scan starts there, since it would fail at every position before it."""
    for a in anchors.finditer(text):
        lo = max(0, a.start() - back)
        if starts is not None:
            first = starts.search(text, lo, a.end())
            if first is None:
                continue
            lo = first.start()
        for m in pattern.finditer(text, lo, a.end()):
            if m.end(group) == a.end():
                yield m
                break


def _small(s: str) -> float | None:
    """A number below 10 000: Arabic (12, 1.5, 1,200) or Chinese (三千五百, 十二, 千)."""
    if not s:
        return None
    plain = s.replace(",", "").replace("，", "")
    if _PLAIN_NUMBER.fullmatch(plain):
        return float(plain)
    total, current, seen = 0, 0, False
    for ch in s:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
            seen = True
        elif ch in CN_SMALL_UNITS:
            total += (current or 1) * CN_SMALL_UNITS[ch]
            current, seen = 0, True
        elif ch.isdigit():
            current = current * 10 + int(ch)
            seen = True
        else:
            return None
    return float(total + current) if seen else None


def parse_number(s: str) -> float | None:
    """12, 1.2万, 三千五百万, 千亿, 1.2万亿, 3,500 → a float; None if it is not a number."""
    if "亿" in s:
        high, low = s.split("亿", 1)
        head = parse_number(high) if high else None
        rest = parse_number(low) if low else 0.0
        if head is None or rest is None:
            return None
        return head * 1e8 + rest
    if "万" in s:
        high, low = s.split("万", 1)
        head = _small(high) if high else None
        rest = _small(low) if low else 0.0
        if head is None or rest is None:
            return None
        return head * 1e4 + rest
    return _small(s)


def number_text(value: float) -> str:
    """A yuan value as the string stored in `Fact.value`: no exponent, no trailing .0, and no
    float noise (10.29万亿 is 10290000000000, not 10289999999999.998)."""
    nearest = round(value)
    if abs(value - nearest) <= 1e-9 * max(1.0, abs(value)):
        return str(int(nearest))
    return f"{value:.6f}".rstrip("0").rstrip(".")
