"""Detail-page inference for `tjcrawl source new`: the date, 来源 (origin) and author, read
from their own elements or from the info line under the title.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tjcrawl.dates import _ABSOLUTE_RE, date_from_url
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
    tag_test,
    xpath_literal,
)
from tjcrawl.extract.infer_cover import cover
from tjcrawl.extract.infer_detail import Sample, choose, outside_body
from tjcrawl.extract.meta import parse_any_date


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


@dataclass
class DateVotes:
    """What each witness says a sample page's publish day is, and the day chosen."""

    page: str | None = None  # the generic extractor: a meta tag, a labelled line, near the title
    page_how: str = ""
    listing: str | None = None
    url: str | None = None
    chosen: str | None = None

    def disagreement(self) -> str:
        said = {"page": self.page, "listing": self.listing, "URL": self.url}
        days = {day for day in said.values() if day}
        if len(days) <= 1:
            return ""
        return ", ".join(f"{who} {day}" for who, day in said.items() if day)


def _day(text: str | None, fetched_at: Any) -> str | None:
    if not text:
        return None
    found = parse_any_date(text, fetched_at)
    return found.value.date().isoformat() if found is not None else None


def date_votes(sample: Sample) -> DateVotes:
    """The page's own date (meta tags, a labelled line, the date nearest the title, inside or
    outside the body), the listing's and the URL's; the day most of them agree on, the page's
    when they all differ (a listing's date may be the day the entry was moved or updated)."""
    votes = DateVotes()
    article = sample.article
    if article is not None and article.published_at is not None:
        votes.page_how = article.how.get("published_at", "")
        if votes.page_how != "URL":
            votes.page = article.published_at.date().isoformat()
    # A listing date without its year (`12-05`) or relative to the fetch (`3天前`) says
    # little about a page saved at another time: it votes only when it states the year.
    if sample.listing_date and re.search(r"(?<!\d)(19|20)\d{2}(?!\d)", sample.listing_date):
        votes.listing = _day(sample.listing_date, sample.doc.fetched_at)
    url_date = date_from_url(sample.doc.url)
    votes.url = url_date.value.date().isoformat() if url_date else None
    counted = Counter(day for day in (votes.page, votes.listing, votes.url) if day)
    if counted:
        best = max(counted.values())
        agreed = [day for day, n in counted.items() if n == best]
        for day in (votes.page, votes.listing, votes.url):
            if day in agreed:
                votes.chosen = day
                break
    return votes


def detail_date(samples: list[Sample], proposal: Findings) -> None:
    candidates: list[tuple[str, str | None, float]] = []
    for sample in samples:
        sel, root = sample.doc.sel, sample.doc.root
        for el in root.iter():
            if not is_element(el) or el.tag in SKIP_TAGS:
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
            score = _label_score(label or own_label) - (0 if outside_body(el, sample.body) else 1)
            if label:
                select = (
                    f"//{tag_test(el.getprevious().tag)}[normalize-space()={xpath_literal(label)}]"
                    f"/following-sibling::{tag_test(el.tag)}[1]"
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

    votes = [date_votes(sample) for sample in samples]
    for sample, vote in zip(samples, votes, strict=True):
        if differ := vote.disagreement():
            proposal.unsure.append(
                f"detail.date: the witnesses disagree on {sample.doc.url} ({differ}); "
                f"{vote.chosen} chosen by agreement"
            )
    dated = {n for n, vote in enumerate(votes) if vote.chosen}
    if not dated:
        proposal.unsure.append("detail.date: no date on the detail pages, the listing or the URLs")
        return

    def agrees(sample: Sample, text: str | None) -> bool:
        chosen = votes[samples.index(sample)].chosen
        return chosen is not None and _day(text, sample.doc.fetched_at) == chosen

    chosen = cover(samples, candidates, agrees, required=dated)
    undated = len(samples) - len(dated)
    if chosen is not None and not chosen.missed:
        note = chosen.describe([s.doc.url for s in samples])
        if undated:
            note = (note + "; " if note else "") + (
                f"{undated} of {len(samples)} sample pages have no date to check it on"
            )
        proposal.detail["date"] = FieldChoice(chosen.select, chosen.regex, note)
        return
    generic = sum(
        1
        for n in dated
        if votes[n].page == votes[n].chosen
        or (votes[n].page is None and votes[n].url == votes[n].chosen)
    )
    held = len(dated) - len(chosen.missed) if chosen else 0
    proposal.detail["date"] = FieldChoice(
        "auto",
        note=f"no selector gave the agreed date on every dated sample page (best: {held} of "
        f"{len(dated)}); the generic extractor (meta tags, labelled lines, the date nearest the "
        f"title, the URL) gives it on {generic}",
    )
    if generic < len(dated):
        proposal.unsure.append(
            f"detail.date: the generic extractor gives the agreed date on {generic} of "
            f"{len(dated)} dated sample pages"
        )


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
                    f"//{tag_test(el.getprevious().tag)}[normalize-space()={xpath_literal(before)}]"
                    f"/following-sibling::{tag_test(el.tag)}[1]"
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
