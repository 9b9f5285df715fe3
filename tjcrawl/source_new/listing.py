"""Listing inference: the repeated entries, and in each the link, title and date."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from cssselect import SelectorError

from tjcrawl.extract.infer_common import (
    CSS_IDENT_RE,
    DATE_PATTERN,
    HEADINGS,
    LAYOUT_CLASS_RE,
    SKIP_TAGS,
    TITLE_CLASS_RE,
    Doc,
    FieldChoice,
    absolute_path,
    cjk,
    classes,
    ident,
    is_element,
    is_same,
    looks_like_date,
    most_common,
    node_text,
    page_selectors,
    relative_path,
    xpath_step,
)
from tjcrawl.extract.infer_detail import boilerplate_rules, densest
from tjcrawl.source_new.pagination import doc_entries
from tjcrawl.source_new.proposal import Proposal
from tjcrawl.text import fold_space

URL_IN_SCRIPT_RE = re.compile(r"""['"]([^'"\s]+?\.(?:s?html?|jsp|php|aspx?)(?:\?[^'"\s]*)?)['"]""")


# -- listing: entries -----------------------------------------------------------------------------
@dataclass
class Link:
    el: Any
    url: str
    via: str  # href | onclick
    text: str
    title_attr: str

    @property
    def title(self) -> str:
        text = self.text
        if self.title_attr and (
            len(self.title_attr) > len(text) or text.endswith(("...", "…", "..")) or not text
        ):
            return fold_space(self.title_attr)
        return text


def element_links(member: Any, base_url: str) -> list[Link]:
    anchors = ([member] if member.tag == "a" else []) + list(member.iter("a"))
    links = []
    for anchor in anchors:
        href = (anchor.get("href") or "").strip()
        onclick = anchor.get("onclick") or ""
        url, via = None, ""
        if href and not href.lower().startswith(("javascript:", "#", "mailto:", "tel:")):
            url, via = urljoin(base_url, href), "href"
        elif onclick and (match := URL_IN_SCRIPT_RE.search(onclick)):
            url, via = urljoin(base_url, match.group(1)), "onclick"
        if url is None:
            continue
        text = node_text(anchor)
        links.append(Link(anchor, url, via, text, fold_space(anchor.get("title") or "")))
    return links


def _title_node(link: Link) -> Any:
    """A heading inside a link that wraps a whole row (div.biaoti h4), else the link."""
    for heading in link.el.iter(*HEADINGS):
        if cjk(node_text(heading)) >= 4:
            return heading
    return link.el


@dataclass
class Member:
    el: Any
    link: Link | None
    title_node: Any = None
    title: str = ""
    date_node: Any = None
    date_in_text: bool = False
    text_cjk: int = 0


def _date_node(member: Any, exclude: Any, fetched_at: datetime) -> tuple[Any, bool]:
    """The smallest element of an entry whose text is a date; or (None, True) when only the
    entry's own text nodes carry it."""
    best = None
    for el in member.iter():
        if not is_element(el) or el is exclude or el.tag in SKIP_TAGS:
            continue
        if exclude is not None and any(a is exclude for a in el.iterancestors()):
            continue
        text = node_text(el)
        if not text or len(text) > 40 or not looks_like_date(text, fetched_at):
            continue
        if best is None or any(a is best for a in el.iterancestors()):
            best = el
    if best is not None and best is not member:
        return best, False
    own = fold_space(" ".join(member.xpath("./text()")))
    if own and looks_like_date(own, fetched_at):
        return None, True
    return None, False


def describe_members(elements: list[Any], base_url: str, fetched_at: datetime) -> list[Member]:
    members = []
    for el in elements:
        links = [
            link
            for link in element_links(el, base_url)
            if cjk(link.title) >= 4 or len(link.title) >= 8
        ]
        link = max(links, key=lambda x: len(x.title), default=None)
        member = Member(el, link)
        if link is not None:
            member.title_node = _title_node(link)
            member.title = (
                node_text(member.title_node) if member.title_node is not link.el else link.title
            )
        link_text = sum(cjk(node_text(a)) for a in el.iter("a"))
        member.text_cjk = cjk(node_text(el)) - link_text
        member.date_node, member.date_in_text = _date_node(
            el,
            member.title_node if member.title_node is not link_el(member) else None,
            fetched_at,
        )
        members.append(member)
    return members


def link_el(member: Member) -> Any:
    return member.link.el if member.link else None


@dataclass
class EntryGroup:
    parent: Any
    elements: list[Any]
    members: list[Member]
    mode: str
    score: float


def _group_key(el: Any) -> tuple[str, str]:
    cls = classes(el)
    return el.tag, cls[0] if cls else ""


def entry_groups(doc: Doc) -> list[EntryGroup]:
    groups = []
    for parent in doc.root.iter():
        if not is_element(parent) or parent.tag in SKIP_TAGS:
            continue
        buckets: dict[tuple[str, str], list[Any]] = {}
        for child in parent:
            if is_element(child) and child.tag not in SKIP_TAGS and child.tag != "br":
                buckets.setdefault(_group_key(child), []).append(child)
        for elements in buckets.values():
            if len(elements) < 2:
                continue
            members = describe_members(elements, doc.url, doc.fetched_at)
            group = _score(parent, elements, members)
            if group is not None:
                groups.append(group)
    return sorted(groups, key=lambda g: -g.score)


def _score(parent: Any, elements: list[Any], members: list[Member]) -> EntryGroup | None:
    n = len(members)
    dated = sum(1 for m in members if m.date_node is not None or m.date_in_text) / n
    linked = [m for m in members if m.link is not None]
    layout = LAYOUT_CLASS_RE.search(ident(parent)) is not None
    if len(linked) >= max(2, 0.6 * n):
        avg_title = sum(min(cjk(m.title) or len(m.title) / 2, 30) for m in linked) / len(linked)
        distinct = len({m.link.url for m in linked if m.link}) / len(linked)
        articlish = sum(
            1 for m in linked if m.link and re.search(r"\d{4,}", urlsplit(m.link.url).path)
        ) / len(linked)
        score = len(linked) * (avg_title / 30) * (1 + 1.5 * dated) * (0.5 + articlish) * distinct
        if layout:
            score *= 0.3
        return EntryGroup(parent, elements, members, "links", score)
    long = [m for m in members if m.text_cjk >= 80]
    if len(long) >= max(2, 0.6 * n):
        score = len(long) * 2 * (1 + 1.5 * dated) * (0.3 if layout else 1)
        return EntryGroup(parent, elements, members, "articles", score)
    return None


def entries_selector(doc: Doc, group: EntryGroup) -> str:
    tag, cls = _group_key(group.elements[0])
    step = tag + (f".{cls}" if cls and CSS_IDENT_RE.match(cls) else "")
    need_link = group.mode == "links" and any(m.link is None for m in group.members)
    suffix = ":has(a)" if need_link else ""
    for parent_css in page_selectors(group.parent, doc.sel):
        if parent_css.startswith("/"):
            break
        css = f"{parent_css} > {step}{suffix}"
        try:
            matched = doc.sel.css(css)
        except (SelectorError, ValueError):  # a tag CSS cannot spell: the XPath below
            continue
        wanted = [m.el for m in group.members if not need_link or m.link is not None]
        if len(matched) == len(wanted) and all(
            is_same(r, e) for r, e in zip(matched, wanted, strict=True)
        ):
            return css
    path = absolute_path(group.parent)
    step_xpath = xpath_step(group.elements[0])
    return f"{path}/{step_xpath}" + ("[.//a]" if need_link else "")


# -- listing fields -------------------------------------------------------------------------------
def listing_fields(doc: Doc, group: EntryGroup, proposal: Proposal) -> None:
    members = group.members
    n = len(members)
    if group.mode == "links":
        linked = [m for m in members if m.link]
        link_paths = [relative_path(m.el, m.link.el) for m in linked if m.link]
        path, count = most_common(link_paths)
        assert path is not None
        if count < len(linked):
            proposal.unsure.append(
                f"listing.link: the same path finds the title link in {count} of {len(linked)}"
                " entries"
            )
        vias = {m.link.via for m in linked if m.link}
        if "onclick" in vias:
            exts = {Path(urlsplit(m.link.url).path).suffix for m in linked if m.link}
            ext = "|".join(sorted(re.escape(e.lstrip(".")) for e in exts if e)) or "s?html?"
            ext = f"(?:{ext})" if "|" in ext else ext
            select = f"{path}/@onclick | {path}[not(@onclick)]/@href"
            regex = rf"([^'\"()\s]+\.{ext})"
            proposal.listing["link"] = FieldChoice(
                select, regex, "the URL is in onclick (jumpToDetail('./…')) when there is one"
            )
        else:
            proposal.listing["link"] = FieldChoice(f"{path}/@href")
        # title: the link's text, its @title when the text is cut short, or a heading inside
        title_paths = [
            relative_path(m.el, m.title_node) for m in linked if m.title_node is not None
        ]
        title_path, _ = most_common(title_paths)
        uses_attr = [
            m
            for m in linked
            if m.link and m.title_node is m.link.el and m.link.title != m.link.text
        ]
        if title_path == path and uses_attr:
            proposal.listing["title"] = FieldChoice(
                f"{path}/@title | {path}[not(@title)]",
                note="the link text is cut short (…); the full title is in @title",
            )
        elif title_path:
            bullet = _common_bullet([m.title for m in linked])
            proposal.listing["title"] = FieldChoice(
                title_path,
                rf"^{re.escape(bullet)}\s*(.+)$" if bullet else None,
                f"titles start with {bullet!r}, cut by the regex" if bullet else "",
            )
    else:
        _articles_fields(doc, group, proposal)
    # date
    date_paths = [relative_path(m.el, m.date_node) for m in members if m.date_node is not None]
    date_path, count = most_common(date_paths)
    in_text = sum(1 for m in members if m.date_in_text)
    if date_path:
        regex = None
        texts = [node_text(m.date_node) for m in members if m.date_node is not None]
        if any(len(t) > 25 for t in texts):
            regex = DATE_PATTERN
        proposal.listing["date"] = FieldChoice(date_path, regex)
        if count < n:
            proposal.unsure.append(f"listing.date: found in {count} of {n} entries")
    elif in_text:
        proposal.listing["date"] = FieldChoice(
            "./text()", DATE_PATTERN, "the date is loose text in the entry"
        )
    else:
        proposal.unsure.append("listing.date: no date found in the entries")


def _common_bullet(titles: list[str]) -> str | None:
    firsts = Counter(t[:1] for t in titles if t)
    if not firsts:
        return None
    char, count = firsts.most_common(1)[0]
    if char in "•·●◆■▪►◇□○" and count >= 0.8 * len(titles):
        return char
    return None


def _articles_fields(doc: Doc, group: EntryGroup, proposal: Proposal) -> None:
    proposal.mode = "articles"
    titles, bodies = [], []
    for m in group.members:
        heading = next((h for h in m.el.iter(*HEADINGS) if cjk(node_text(h)) >= 4), None)
        if heading is None:
            heading = next(
                (
                    e
                    for e in m.el.iter()
                    if is_element(e)
                    and e is not m.el
                    and TITLE_CLASS_RE.search(e.get("class") or "")
                ),
                None,
            )
        titles.append(relative_path(m.el, heading) if heading is not None else None)
        body = densest(m.el)
        bodies.append(relative_path(m.el, body) if body is not None else None)
        if heading is not None:
            m.title_node = heading
            m.title = node_text(heading)
    title_path, count = most_common(titles)
    if title_path:
        proposal.listing["title"] = FieldChoice(title_path)
        if count < len(group.members):
            proposal.unsure.append(
                f"listing.title: the heading path holds in {count} of {len(group.members)} entries"
            )
    else:
        proposal.unsure.append("listing.title: no heading found in the entries")
    body_path, _ = most_common(bodies)
    proposal.listing["body"] = FieldChoice(body_path or "xpath:.")
    if body_path:
        bodies_el = [m.el.xpath(body_path) for m in group.members]
        proposal.listing_boilerplate = boilerplate_rules(
            [b[0] for b in bodies_el if b and is_element(b[0])]
        )
    for m in group.members:
        # the date must not be read from inside the body
        body_nodes = m.el.xpath(body_path) if body_path else []
        exclude = body_nodes[0] if body_nodes else None
        m.date_node, m.date_in_text = _date_node(m.el, exclude, doc.fetched_at)
    proposal.notes.append(
        "entries carry the whole article and no link: articles mode"
        f" ({len(group.members)} entries on the first page)"
    )


def entry_groups_like(doc: Doc, entries: str) -> list[Member]:
    nodes = [r.root for r in doc_entries(doc, entries) if is_element(r.root)]
    return [m for m in describe_members(nodes, doc.url, doc.fetched_at) if m.link]


def member_date(member: Member) -> str | None:
    """The entry's date text on the listing, for the date's agreement on its detail page."""
    if member.date_node is not None:
        return node_text(member.date_node) or None
    if member.date_in_text:
        return fold_space(" ".join(member.el.xpath("./text()"))) or None
    return None
