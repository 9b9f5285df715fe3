"""Choosing one selector, or a union of selectors, that holds on every sample page.

A site with several templates (a portal's news and entertainment hosts, an old and a new CMS)
has no one selector for its body; a union `div#artibody, div.content` covers both when each
part holds on its own template and matches nothing on the other. Every candidate and every
union is evaluated on every sample page before it is proposed: one that does not compile or
fails to evaluate is never proposed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from tjcrawl.extract.infer_common import value
from tjcrawl.profiles import ProfileError, compile_selector

Test = Callable[[Any, str | None], bool]  # (sample, the selector's text there) -> it holds
MAX_PARTS = 3
_TOKEN_RE = re.compile(r"[\u3400-\u9fff]|[^\W_]+", re.UNICODE)


@dataclass
class Cover:
    """A selector (maybe a union) and on which sample pages each of its parts held."""

    select: str
    regex: str | None
    parts: list[str]
    pages: list[list[int]] = field(default_factory=list)  # per part: sample indexes
    missed: list[int] = field(default_factory=list)  # samples no part holds on

    def part_of(self, index: int) -> int | None:
        return next((n for n, pages in enumerate(self.pages) if index in pages), None)

    def describe(self, urls: Sequence[str]) -> str:
        """`part 1 (div#a) on 2 pages (…/1.html, …/3.html); part 2 (div.b) on 1 (…/2.html)`"""
        if len(self.parts) == 1:
            return ""
        described = []
        for n, (part, pages) in enumerate(zip(self.parts, self.pages, strict=True)):
            shown = ", ".join(urls[i] for i in pages[:3]) + (" …" if len(pages) > 3 else "")
            described.append(f"template {chr(65 + n)}: {part} on {len(pages)} ({shown})")
        return "a union, one part per template: " + "; ".join(described)


def union_select(parts: Sequence[str]) -> str:
    """One selector for several: a CSS group when every part is CSS, else an XPath union."""
    if len(parts) == 1:
        return parts[0]
    if all(_is_css(p) for p in parts):
        return ", ".join(parts)
    return "xpath:" + " | ".join(compile_selector(p) for p in parts)


def _is_css(select: str) -> bool:
    stripped = select.strip()
    return not stripped.startswith(("/", "./", "(", "xpath:")) and "::" not in stripped


def passes(samples: Sequence[Any], select: str, regex: str | None, test: Test) -> set[int] | None:
    """The sample indexes where the selector holds; None when it does not compile or evaluate
    on some page (such a selector is never proposed)."""
    try:
        compile_selector(select)
        held = set()
        for index, sample in enumerate(samples):
            if test(sample, value(sample.doc.sel, select, regex)):
                held.add(index)
    except (ProfileError, etree.XPathError, ValueError, re.error):
        return None
    return held


def cover(
    samples: Sequence[Any],
    candidates: Sequence[tuple[str, str | None, float]],
    test: Test,
    required: set[int] | None = None,
) -> Cover | None:
    """The best candidate (select, regex, priority), widened to a union of at most MAX_PARTS
    candidates with the same regex while that covers more of the `required` samples (all by
    default). None when no candidate holds anywhere."""
    wanted = set(range(len(samples))) if required is None else set(required)
    scored: dict[tuple[str, str | None], tuple[set[int], float]] = {}
    for select, regex, priority in candidates:
        key = (select, regex)
        if key in scored:
            continue
        held = passes(samples, select, regex, test)
        if held:
            scored[key] = (held, priority)
    if not scored or not wanted:
        return None

    def rank(item: tuple[tuple[str, str | None], tuple[set[int], float]]) -> tuple:
        (select, _), (held, priority) = item
        return (len(held & wanted), priority, -len(select))

    (select, regex), (held, _) = max(scored.items(), key=rank)
    chosen = Cover(select, regex, [select], [sorted(held & wanted)])
    covered = held & wanted
    while covered != wanted and len(chosen.parts) < MAX_PARTS:
        best: tuple[tuple, str, set[int]] | None = None
        for (other, other_regex), (other_held, priority) in scored.items():
            if other_regex != regex or other in chosen.parts or not (other_held - covered):
                continue
            union = union_select([*chosen.parts, other])
            together = passes(samples, union, regex, test)
            # The union must keep every page already covered (both parts matching one page
            # would double its text) and add pages.
            if together is None or not covered <= together or not (together - covered):
                continue
            key = (len(together & wanted), priority, -len(other))
            if best is None or key > best[0]:
                best = (key, other, together)
        if best is None:
            break
        _, other, together = best
        chosen.pages.append(sorted((together & wanted) - covered))
        chosen.parts.append(other)
        chosen.select = union_select(chosen.parts)
        covered = together & wanted
    chosen.missed = sorted(wanted - covered)
    return chosen


def tokens(text: str) -> Counter[str]:
    """Tokens as bench/extraction.py counts them: a CJK character, or a run of word characters."""
    return Counter(_TOKEN_RE.findall(text.lower()))


def overlap(found: str, wanted: str) -> tuple[float, float]:
    """(precision, recall) of `found`'s tokens against `wanted`'s."""
    a, b = tokens(found), tokens(wanted)
    common = sum((a & b).values())
    return (
        common / sum(a.values()) if a else 0.0,
        common / sum(b.values()) if b else 0.0,
    )


def f1(found: str, wanted: str) -> float:
    precision, recall = overlap(found, wanted)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
