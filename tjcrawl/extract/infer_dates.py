"""Detail-page inference for `tjcrawl source new`: the date, 来源 (origin) and author, read
from their own elements or from the info line under the title.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from tjcrawl.dates import _ABSOLUTE_RE, parse_date
from tjcrawl.extract.infer_common import (
    ALL_LABELS,
    DATE_LABELS,
    DATE_PATTERN,
    LAYOUT_CLASS_RE,
    SKIP_TAGS,
    FieldChoice,
    Findings,
    ident,
    is_element,
    labelled_xpath,
    node_text,
    page_selectors,
    xpath_literal,
)
from tjcrawl.extract.infer_detail import Sample, choose, outside_body


def label_before(el: Any) -> str:
    previous = el.getprevious()
    if previous is not None and is_element(previous):
        text = node_text(previous)
        if len(text) <= 12 and re.search(r"[:：]$", text):
            return text
    return ""


def line_regex(labels: Iterable[str], capture: str) -> str:
    others = "|".join(sorted(set(ALL_LABELS), key=len, reverse=True))
    label = "|".join(sorted(labels, key=len, reverse=True))
    return (
        rf"(?:{label})\s*[:：]\s*({capture}?)\s*(?=[【\[(（]?\s*(?:{others})\s*[:：]|[】\])）]|$)"
    )


def detail_date(samples: list[Sample], proposal: Findings) -> None:
    candidates: list[tuple[str, str | None, int]] = []
    for sample in samples:
        sel, root = sample.doc.sel, sample.doc.root
        for el in root.iter():
            if not is_element(el) or el.tag in SKIP_TAGS or not outside_body(el, sample.body):
                continue
            if LAYOUT_CLASS_RE.search(ident(el)) and "info" not in ident(el):
                continue
            text = node_text(el)
            if (
                not text
                or len(text) > 150
                or not _ABSOLUTE_RE.search(unicodedata.normalize("NFKC", text))
            ):
                continue
            if any(
                is_element(c) and _ABSOLUTE_RE.search(unicodedata.normalize("NFKC", node_text(c)))
                for c in el
            ):
                continue  # a smaller element holds it
            label = label_before(el)
            prefix = unicodedata.normalize("NFKC", text)[
                : _ABSOLUTE_RE.search(unicodedata.normalize("NFKC", text)).start()
            ]  # type: ignore[union-attr]
            own_label = next((lb for lb in DATE_LABELS if lb in prefix), "")
            score = _label_score(label or own_label)
            if label:
                select = (
                    f"//{el.getprevious().tag}[normalize-space()={xpath_literal(label)}]"
                    f"/following-sibling::{el.tag}[1]"
                )
                candidates.append((select, None, score + 1))
            normalised = unicodedata.normalize("NFKC", text)
            found = _ABSOLUTE_RE.search(normalised)
            after = normalised[found.end() :].strip() if found else normalised
            plain = len(after) <= 4 and len(prefix) <= 8
            regex = (
                None
                if plain
                else (rf"{own_label}\s*[:：]\s*{DATE_PATTERN}" if own_label else DATE_PATTERN)
            )
            selects = page_selectors(el, sel)[:3]
            if own_label and (xpath := labelled_xpath(el, own_label, sel)):
                selects.append(xpath)
            for css in selects:
                candidates.append((css, regex, score + selector_bonus(el, css)))
        for name in ("PubDate", "pubdate", "publishdate", "firstpublishedtime"):
            if sel.xpath(f"//meta[@name='{name}']/@content"):
                candidates.append((f"meta[name='{name}']::attr(content)", None, 0))

    def parses(sample: Sample, text: str | None) -> bool:
        return bool(text) and parse_date(text, sample.doc.fetched_at) is not None

    chosen = choose(samples, candidates, parses)
    if chosen is None:
        proposal.unsure.append("detail.date: no date on the detail pages; the listing's is used")
        return
    select, regex, score = chosen
    note = ""
    if score < len(samples):
        note = f"found on {score} of {len(samples)} sample pages (else the listing date)"
    proposal.detail["date"] = FieldChoice(select, regex, note)


def selector_bonus(el: Any, select: str) -> float:
    """Among selectors for one element: its id or class first; for an element with neither,
    the label it holds (span[contains(., '来源')]) before its position (:nth-of-type)."""
    if "contains(., " in select:
        return -0.25 if (el.get("id") or el.get("class")) else 0.25
    if select.startswith("/html"):
        return -0.5
    if ":nth-of-type" in select:
        return -0.1
    return 0.0


def _label_score(label: str) -> int:
    if any(k in label for k in ("发布时间", "发布日期")):
        return 5
    if any(k in label for k in ("成文日期", "更新时间", "发文日期")):
        return 1
    if label:
        return 3
    return 2


def detail_labelled(
    samples: list[Sample],
    proposal: Findings,
    key: str,
    labels: tuple[str, ...],
    cleaned: set[str],
) -> None:
    """origin (来源) or author (作者): their own element, or a regex over an info line."""
    label_re = re.compile("(" + "|".join(sorted(labels, key=len, reverse=True)) + r")\s*[:：]")
    candidates: list[tuple[str, str | None, int]] = []
    for sample in samples:
        sel, root = sample.doc.sel, sample.doc.root
        for el in root.iter():
            if not is_element(el) or el.tag in SKIP_TAGS or not outside_body(el, sample.body):
                continue
            text = node_text(el)
            before = label_before(el)
            if before and label_re.match(before) and 0 < len(text) <= 40:
                label = label_re.match(before).group(1)  # type: ignore[union-attr]
                select = (
                    f"//{el.getprevious().tag}[normalize-space()={xpath_literal(before)}]"
                    f"/following-sibling::{el.tag}[1]"
                )
                candidates.append((select, None, 3))
                continue
            match = label_re.search(text)
            if not match or len(text) > 200:
                continue
            if any(is_element(c) and label_re.search(node_text(c)) for c in el):
                continue  # a smaller element holds it
            label = match.group(1)
            others = [
                lb for lb in ALL_LABELS if lb not in labels and re.search(rf"{lb}\s*[:：]", text)
            ]
            dedicated = match.start() == 0 and not others
            selects = page_selectors(el, sel)[:3]
            if xpath := labelled_xpath(el, label, sel):
                selects.append(xpath)
            for css in selects:
                penalty = -selector_bonus(el, css)
                if dedicated:
                    regex = None if label in cleaned else rf"{label}\s*[:：]\s*(\S.*)"
                    candidates.append((css, regex, 3 - penalty))
                else:
                    candidates.append((css, rf"{label}\s*[:：]\s*(\S+)", 2.5 - penalty))
                    candidates.append((css, line_regex([label], r"[^\s:：]\S*"), 2 - penalty))
                    candidates.append((css, line_regex([label], r".+"), 1 - penalty))
        if key == "origin":
            for name in ("ContentSource", "source"):
                if sel.xpath(f"//meta[@name='{name}']/@content"):
                    candidates.append((f"meta[name='{name}']::attr(content)", None, 0))

    def plausible(sample: Sample, text: str | None) -> bool:
        if not text:
            return False
        cleaned_text = label_re.sub("", text).strip()
        return (
            0 < len(cleaned_text) <= 40
            and not _ABSOLUTE_RE.search(cleaned_text)
            and not re.search(r"[:：]", cleaned_text)
        )

    chosen = choose(samples, candidates, plausible)
    if chosen is None:
        return
    select, regex, score = chosen
    note = f"found on {score} of {len(samples)} sample pages" if score < len(samples) else ""
    proposal.detail[key] = FieldChoice(select, regex, note)
