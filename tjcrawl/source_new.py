"""`tjcrawl source new`: propose a profile from a listing page and a few of its detail pages.

Heuristics over the DOM, every one checked against the pages it was drawn from:

- entries: the parent with the most repeated similar children (same tag and first class)
  that carry a link with a title-like text (and, better, a date); children with long text and
  no link make an articles-mode listing (the entry carries the whole article);
- link, title, date: paths from the entry to its link (href, or a URL in onclick), to the link
  text or @title (or a heading inside the link), to the element whose text is a date;
- pagination: a 下一页/next link, else `name_N.ext` links or the script that draws them
  (createPageHTML, `'3961_' + n + '.html'`), the first N probed on the site;
- detail pages (two or three, spread over the listing): the title is the node whose text is
  the listing's title; the body the element with the most Chinese text in paragraphs, widened
  to siblings that are content (an attachment block) but not past the title or the 发布时间/来源
  line; date, origin (来源) and author are read from that line or from their own elements;
  furniture inside the body (打印/关闭/字号/分享/相关链接/责任编辑) becomes boilerplate.

The result is TOML validated by tjcrawl.profiles.parse_profile, with comments where a choice
was uncertain, and a trial run of the proposal over the sample pages.
"""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector

from tjcrawl import clock
from tjcrawl.dates import _ABSOLUTE_RE, _RELATIVE_HINT_RE, parse_date
from tjcrawl.profiles import SLUG_RE, Profile, ProfileError, compile_selector, parse_profile
from tjcrawl.source_check import FetchError, Page, page_response, spread
from tjcrawl.text import element_paragraphs, fold_space

Fetch = Callable[[str], Page]

SKIP_TAGS = {"script", "style", "noscript", "template", "head", "meta", "link", "select", "option"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
PARAGRAPH_TAGS = {
    "p", "span", "font", "strong", "b", "em", "i", "u", "br", "sup", "sub", "small", "big",
    "label", "center", "blockquote", "pre", "section", "h4", "h5", "h6", "a", "img",
}  # fmt: skip
CJK_RE = re.compile(r"[\u3400-\u9fff]")
CSS_IDENT_RE = re.compile(r"^-?[A-Za-z_][A-Za-z0-9_-]*$")
NEXT_TEXT_RE = re.compile(r"^(下一页|下页|后一页|next|Next|NEXT)\s*[>»›]*$|^[>›]$")
URL_IN_SCRIPT_RE = re.compile(r"""['"]([^'"\s]+?\.(?:s?html?|jsp|php|aspx?)(?:\?[^'"\s]*)?)['"]""")
ATTACHMENT_RE = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|zip|rar|7z|wps|et|ofd)$", re.I)
FURNITURE_RE = re.compile(
    r"打印|关闭窗口|【关闭】|字号|分享到|分享|扫一扫|相关链接|相关文章|相关阅读|相关新闻|"
    r"责任编辑|返回顶部|上一篇|下一篇|收藏本页|点我投稿"
)
PAGE_FURNITURE_RE = re.compile(r"版权所有|ICP备|公网安备|网站标识码|主办单位|主办[:：]")
HEADER_CLASS_RE = re.compile(
    r"title|tit\b|_tit|-tit|biaoti|info|attr|crumb|position|location|daohang|xl_bt", re.I
)
TITLE_CLASS_RE = re.compile(r"title|tit|biaoti|headline|bt\b", re.I)
LAYOUT_CLASS_RE = re.compile(r"nav|menu|footer|foot\b|bottom|header|top\b|copyright|side", re.I)
DATE_LABELS = ("发布时间", "发布日期", "发文日期", "成文日期", "更新时间", "时间", "日期")
ORIGIN_LABELS = ("信息来源", "文章来源", "来源", "稿源", "出处", "发布机构")
AUTHOR_LABELS = ("作者", "撰稿人", "撰稿", "记者")
OTHER_LABELS = ("字号", "浏览次数", "浏览", "阅读", "点击", "编辑", "责任编辑", "索引号", "分享")
ALL_LABELS = DATE_LABELS + ORIGIN_LABELS + AUTHOR_LABELS + OTHER_LABELS
CLEANED_ORIGIN_LABELS = {"来源", "稿源", "信息来源", "文章来源", "出处"}  # NormalisePipeline's
CLEANED_AUTHOR_LABELS = {"作者", "记者", "撰稿", "撰稿人"}
DATE_PATTERN = (
    r"(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:\s*\d{1,2}\s*[:：时]\s*\d{1,2}(?:\s*[:：分]\s*\d{1,2})?)?)"
)


def cjk(text: str | None) -> int:
    return len(CJK_RE.findall(text or ""))


def node_text(el: Any) -> str:
    """The text a profile field would give for this node (tjcrawl.extract's rules)."""
    return fold_space("\n".join(element_paragraphs(el)))


def is_element(node: Any) -> bool:
    return isinstance(node, etree._Element) and isinstance(node.tag, str)


def classes(el: Any) -> list[str]:
    return (el.get("class") or "").split()


def ident(el: Any) -> str:
    return f"{el.tag} {el.get('id') or ''} {el.get('class') or ''}"


def looks_like_date(text: str, fetched_at: datetime | None = None) -> bool:
    text = unicodedata.normalize("NFKC", text)
    if _ABSOLUTE_RE.search(text):
        return parse_date(text, fetched_at) is not None
    return (
        bool(_RELATIVE_HINT_RE.search(text))
        and len(text) <= 20
        and bool(re.search(r"\d|昨|今|前天|刚刚", text))
        and parse_date(text, fetched_at) is not None
    )


def values(sel: Selector, selector: str) -> list[str]:
    """Every non-empty folded text a profile selector yields on a page or entry."""
    query = compile_selector(selector)
    found = []
    for result in sel.xpath(query):
        root = result.root
        text = node_text(root) if is_element(root) else str(root if isinstance(root, str) else "")
        text = fold_space(text)
        if text:
            found.append(text)
    return found


def value(sel: Selector, selector: str, regex: str | None = None) -> str | None:
    texts = values(sel, selector)
    if not texts:
        return None
    text = " ".join(texts)
    if regex is None:
        return text
    match = re.search(regex, text)
    if match is None:
        return None
    return fold_space(match.group(1) if match.re.groups else match.group(0)) or None


@dataclass
class Doc:
    url: str
    sel: Selector
    fetched_at: datetime

    @property
    def root(self) -> Any:
        return self.sel.root


def load_doc(fetch: Fetch, url: str) -> Doc | None:
    try:
        page = fetch(url)
    except FetchError:
        return None
    if page.status != 200 or not page.body:
        return None
    response = page_response(page)
    return Doc(response.url, response.selector, page.fetched_at)


# -- selectors ------------------------------------------------------------------------------------
def _is(sel_result: Selector, el: Any) -> bool:
    return sel_result.root is el


def unique_css(el: Any, sel: Selector, depth: int = 3) -> list[str]:
    """CSS selectors that pick exactly this element on the page, most readable first."""
    found: list[str] = []

    def unique(css: str) -> bool:
        try:
            matches = sel.css(css)
        except Exception:
            return False
        return len(matches) == 1 and _is(matches[0], el)

    tag = el.tag
    element_id = el.get("id") or ""
    if element_id and CSS_IDENT_RE.match(element_id) and unique(f"{tag}#{element_id}"):
        found.append(f"{tag}#{element_id}")
    safe = [c for c in classes(el) if CSS_IDENT_RE.match(c)]
    for cls in safe:
        if unique(f"{tag}.{cls}"):
            found.append(f"{tag}.{cls}")
    if len(safe) > 1 and unique(f"{tag}." + ".".join(safe)):
        found.append(f"{tag}." + ".".join(safe))
    if tag in ("h1", "title") and unique(tag):
        found.append(tag)
    if not found:
        for name in ("width", "align", "name", "role", "summary"):
            attr = el.get(name)
            if attr and "'" not in attr and unique(f"{tag}[{name}='{attr}']"):
                found.append(f"{tag}[{name}='{attr}']")
                break
    if not found and depth > 0:
        parent = el.getparent()
        if parent is not None and is_element(parent) and parent.tag not in ("html",):
            step = tag + ("." + safe[0] if safe else "")
            same = [c for c in parent if is_element(c) and c.tag == tag]
            nth = f"{tag}:nth-of-type({same.index(el) + 1})" if el in same else step
            for parent_css in unique_css(parent, sel, depth - 1)[:2]:
                for css in (f"{parent_css} > {step}", f"{parent_css} {step}"):
                    if unique(css):
                        found.append(css)
                        break
                else:
                    if unique(f"{parent_css} > {nth}"):
                        found.append(f"{parent_css} > {nth}")
    return found


def labelled_xpath(el: Any, label: str, sel: Selector) -> str | None:
    """//div[@class='article-attr']/span[contains(., '发布日期')]: robust to the order of spans."""
    parent = el.getparent()
    if parent is None or not is_element(parent) or not label:
        return None
    xpath = f"//{_step(parent)}/{el.tag}[contains(., {_xpath_literal(label)})]"
    try:
        matches = sel.xpath(xpath)
    except ValueError:
        return None
    return xpath if len(matches) == 1 and _is(matches[0], el) else None


def page_selectors(el: Any, sel: Selector) -> list[str]:
    found = unique_css(el, sel)
    if not found:
        found.append(el.getroottree().getpath(el))
    return found


def _step(el: Any, siblings_of_kind: list[Any] | None = None) -> str:
    cls = el.get("class")
    if cls and " " not in cls.strip():
        step = f"{el.tag}[@class='{cls.strip()}']"
    elif cls:
        step = f"{el.tag}[contains(@class, '{cls.split()[0]}')]"
    else:
        step = el.tag
    return step


def relative_path(member: Any, node: Any) -> str | None:
    """An XPath from an entry to one of its descendants: ./td[@class='title']/a."""
    if node is member:
        return "."
    steps = []
    current = node
    while current is not None and current is not member:
        steps.append(_step(current))
        current = current.getparent()
    if current is None:
        return None
    path = "./" + "/".join(reversed(steps))
    # Several nodes on that path (two spans in div.riqi): name the one meant by position.
    matches = member.xpath(path)
    if len(matches) > 1 and node in matches:
        path = f"({path})[{matches.index(node) + 1}]"
    return path


def _most_common(paths: Iterable[str | None]) -> tuple[str | None, int]:
    counted = Counter(p for p in paths if p)
    if not counted:
        return None, 0
    path, count = counted.most_common(1)[0]
    return path, count


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
        except Exception:
            continue
        wanted = [m.el for m in group.members if not need_link or m.link is not None]
        if len(matched) == len(wanted) and all(
            _is(r, e) for r, e in zip(matched, wanted, strict=True)
        ):
            return css
    path = doc.root.getroottree().getpath(group.parent)
    step_xpath = _step(group.elements[0])
    return f"{path}/{step_xpath}" + ("[.//a]" if need_link else "")


# -- proposal -------------------------------------------------------------------------------------
@dataclass
class FieldChoice:
    select: str
    regex: str | None = None
    note: str = ""

    def toml_value(self) -> str:
        if self.regex is None:
            return _toml_str(self.select)
        return f"{{ select = {_toml_str(self.select)}, regex = {_toml_str(self.regex)} }}"


def _toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@dataclass
class Proposal:
    slug: str
    name: str
    start_url: str
    allowed_domains: list[str]
    mode: str = "links"
    listing: dict[str, FieldChoice] = field(default_factory=dict)
    listing_boilerplate: list[str] = field(default_factory=list)
    pagination: dict[str, Any] | None = None
    pagination_note: str = ""
    detail: dict[str, FieldChoice] = field(default_factory=dict)
    detail_boilerplate: list[str] = field(default_factory=list)
    title_suffixes: list[str] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)  # what a reviewer should look at
    notes: list[str] = field(default_factory=list)  # what was seen (page counts …)
    sample_urls: list[str] = field(default_factory=list)
    trial: list[Any] = field(default_factory=list)  # source_check.FieldResult rows

    def toml(self) -> str:
        out = [
            f"# Proposed by `tjcrawl source new` from {self.start_url}",
            f"# on {clock.now().date().isoformat()}: review every selector before use.",
        ]
        out += [f"# Seen: {note}" for note in self.notes]
        out += [f"# UNSURE: {item}" for item in self.unsure]
        out += [
            f"name = {_toml_str(self.name)}",
            "allowed_domains = [" + ", ".join(_toml_str(d) for d in self.allowed_domains) + "]",
            f"start_urls = [{_toml_str(self.start_url)}]",
        ]
        if self.title_suffixes:
            out.append(
                "title_suffixes = [" + ", ".join(_toml_str(s) for s in self.title_suffixes) + "]"
            )
        out += ['verified = "never"', "", "[listing]"]
        if self.mode != "links":
            out.append(f"mode = {_toml_str(self.mode)}")
        for key, choice in self.listing.items():
            if choice.note:
                out.append(f"# {choice.note}")
            out.append(f"{key} = {choice.toml_value()}")
        if self.listing_boilerplate:
            out.append(
                "boilerplate = [" + ", ".join(_toml_str(b) for b in self.listing_boilerplate) + "]"
            )
        if self.pagination:
            out += ["", "[pagination]"]
            if self.pagination_note:
                out.append(f"# {self.pagination_note}")
            for key, value_ in self.pagination.items():
                rendered = _toml_str(value_) if isinstance(value_, str) else str(value_)
                out.append(f"{key} = {rendered}")
        if self.mode == "links":
            out += ["", "[detail]"]
            for key, choice in self.detail.items():
                if choice.note:
                    out.append(f"# {choice.note}")
                out.append(f"{key} = {choice.toml_value()}")
            if self.detail_boilerplate:
                out.append(
                    "boilerplate = ["
                    + ", ".join(_toml_str(b) for b in self.detail_boilerplate)
                    + "]"
                )
        return "\n".join(out) + "\n"

    def profile(self, directory: Path | None = None) -> Profile:
        path = (directory or Path(tempfile.gettempdir())) / f"{self.slug}.toml"
        return parse_profile(path, self.toml())


def slug_for(url: str) -> str:
    """tj_tjxw for https://www.tj.gov.cn/sy/tjxw/: the host's own labels and the section."""
    parts_ = urlsplit(url)
    host = (parts_.hostname or "site").lower()
    parts = [p for p in host.split(".") if p not in ("www", "cn", "com", "gov", "net", "org")]
    segments = [s.rsplit(".", 1)[0] for s in parts_.path.lower().split("/") if s]
    segments = [s for s in segments if s not in ("index", "default", "list", "more")]
    if segments:
        parts.append(segments[-1])
    slug = re.sub(r"[^a-z0-9_]+", "_", "_".join(parts) or "site")[:40].strip("_")
    if not slug or not slug[0].isalpha():
        slug = "s_" + slug
    return slug if SLUG_RE.match(slug) else "new_source"


# -- listing fields -------------------------------------------------------------------------------
def listing_fields(doc: Doc, group: EntryGroup, proposal: Proposal) -> None:
    members = group.members
    n = len(members)
    if group.mode == "links":
        linked = [m for m in members if m.link]
        link_paths = [relative_path(m.el, m.link.el) for m in linked if m.link]
        path, count = _most_common(link_paths)
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
        title_path, _ = _most_common(title_paths)
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
    date_path, count = _most_common(date_paths)
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
        body = _densest(m.el)
        bodies.append(relative_path(m.el, body) if body is not None else None)
        if heading is not None:
            m.title_node = heading
            m.title = node_text(heading)
    title_path, count = _most_common(titles)
    if title_path:
        proposal.listing["title"] = FieldChoice(title_path)
        if count < len(group.members):
            proposal.unsure.append(
                f"listing.title: the heading path holds in {count} of {len(group.members)} entries"
            )
    else:
        proposal.unsure.append("listing.title: no heading found in the entries")
    body_path, _ = _most_common(bodies)
    proposal.listing["body"] = FieldChoice(body_path or "xpath:.")
    if body_path:
        bodies_el = [m.el.xpath(body_path) for m in group.members]
        proposal.listing_boilerplate = _boilerplate(
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


# -- pagination -----------------------------------------------------------------------------------
def pagination(doc: Doc, entries: str, fetch: Fetch, proposal: Proposal) -> Doc | None:
    """Set proposal.pagination; return the second listing page when one was found."""
    counts = _page_counts(doc, fetch)
    if counts:
        proposal.notes.append("page count " + ", ".join(counts))
    # 1. a 下一页 link
    for anchor in doc.root.iter("a"):
        text = node_text(anchor)
        href = (anchor.get("href") or "").strip()
        if not NEXT_TEXT_RE.match(text) or not href or href.lower().startswith("javascript:"):
            continue
        second = load_doc(fetch, urljoin(doc.url, href))
        select = f"//a[normalize-space()={_xpath_literal(text)}]/@href"
        proposal.pagination = {"next": select}
        if second is None or not doc_entries(second, entries):
            proposal.unsure.append(
                f"pagination.next: the {text} link ({href}) did not give a listing page"
            )
            return None
        return second
    # 2. name_N.ext pages, from links or from the script that draws the pager
    template, first, evidence = _template(doc)
    if template:
        tried = [first] if first is not None else [1, 2]
        for n in tried:
            second = load_doc(fetch, urljoin(doc.url, template.format(n=n)))
            if second is not None and doc_entries(second, entries):
                proposal.pagination = {"template": template, "first": n}
                proposal.pagination_note = (
                    f"{evidence}; the second page is {template.format(n=n)}; the walk stops at"
                    " the first page that answers 404"
                )
                return second
        proposal.pagination = {"template": template, "first": tried[-1]}
        proposal.pagination_note = f"{evidence}; no second page could be fetched to confirm"
        proposal.unsure.append(
            f"pagination: {template} with first = {tried[-1]} is a guess (no page found)"
        )
        return None
    proposal.unsure.append("pagination: none found; only the first listing page will be read")
    return None


def _xpath_literal(text: str) -> str:
    return f"'{text}'" if "'" not in text else f'"{text}"'


def doc_entries(doc: Doc, entries: str) -> list[Any]:
    try:
        return doc.sel.xpath(compile_selector(entries))
    except ProfileError:
        return []


def _template(doc: Doc) -> tuple[str | None, int | None, str]:
    path = urlsplit(doc.url).path
    name = path.rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = "index", ""
    scripts = " ".join(doc.root.xpath("//script/text()"))
    # createPageHTML("page", countPage, currentPage, "index", "html")
    match = re.search(
        r"createPageHTML\s*\([^)]*?['\"]([\w-]+)['\"]\s*,\s*['\"](s?html?)['\"]\s*\)", scripts
    )
    if match:
        return f"{match.group(1)}_{{n}}.{match.group(2)}", 1, "pages drawn by createPageHTML"
    # '3961_' + obj.curr + '.html'
    match = re.search(r"""['"]([\w-]+)_['"]\s*\+\s*[\w.]+\s*\+\s*['"](\.s?html?)['"]""", scripts)
    if match:
        return f"{match.group(1)}_{{n}}{match.group(2)}", None, "page URLs built in a script"
    numbers: dict[tuple[str, str], list[int]] = {}
    for href in doc.root.xpath("//a/@href"):
        last = urlsplit(urljoin(doc.url, href)).path.rsplit("/", 1)[-1]
        found = re.fullmatch(r"([\w-]+?)_(\d{1,4})\.(s?html?)", last)
        if found and (not ext or found.group(3) == ext):
            numbers.setdefault((found.group(1), found.group(3)), []).append(int(found.group(2)))
    if numbers:
        (prefix, extension), seen = max(numbers.items(), key=lambda kv: len(kv[1]))
        return f"{prefix}_{{n}}.{extension}", min(seen), f"links to {prefix}_N.{extension}"
    if re.search(r"countPage|maxpage|totalPage|pageCount", scripts, re.I) and stem:
        extension = ext or "html"
        return f"{stem}_{{n}}.{extension}", None, "a page count in a script"
    return None, None, ""


def _page_counts(doc: Doc, fetch: Fetch) -> list[str]:
    pattern = re.compile(
        r"\b(countPage|maxpage|maxPage|totalPage|pageCount|page_count|totalpage)\s*[=:]\s*(\d+)"
    )
    found = [
        f"{m.group(1)} = {m.group(2)}"
        for m in pattern.finditer(" ".join(doc.root.xpath("//script/text()")))
    ]
    for src in doc.root.xpath("//script/@src"):
        if "count" in src.lower():
            try:
                page = fetch(urljoin(doc.url, src))
            except FetchError:
                continue
            if page.status == 200:
                text = page.body.decode("latin-1")
                found += [f"{m.group(1)} = {m.group(2)} in {src}" for m in pattern.finditer(text)]
            break
    return found


# -- detail pages ---------------------------------------------------------------------------------
def own_text(el: Any) -> int:
    """Chinese characters in an element's own paragraphs: its text and inline children."""
    total = cjk(el.text)
    for child in el:
        if is_element(child) and child.tag in PARAGRAPH_TAGS:
            total += cjk(node_text(child))
        total += cjk(child.tail)
    if PAGE_FURNITURE_RE.search(node_text(el)[:400]) and total < 200:
        total //= 5
    return total


def _candidates(root: Any) -> Iterable[Any]:
    for el in root.iter():
        if is_element(el) and el.tag not in SKIP_TAGS and el.tag not in ("html", "body", "a"):
            yield el


def _densest(root: Any) -> Any:
    return max(_candidates(root), key=own_text, default=None)


def _is_header(el: Any) -> bool:
    if el.tag in ("h1", "h2", "h3"):
        return True
    if HEADER_CLASS_RE.search(f"{el.get('id') or ''} {el.get('class') or ''}"):
        return True
    text = node_text(el)[:200]
    return bool(re.search(r"(发布时间|发布日期|来源|信息来源)\s*[:：]", text))


def _is_furniture(el: Any) -> bool:
    text = node_text(el)
    if not text:
        return True
    if FURNITURE_RE.search(text[:40]) and cjk(text) < 200:
        return True
    links = sum(len(node_text(a)) for a in el.iter("a"))
    return links >= 0.6 * len(text)


def _has_attachments(el: Any) -> bool:
    return any(ATTACHMENT_RE.search((a.get("href") or "").split("?")[0]) for a in el.iter("a"))


def body_node(doc: Doc) -> Any:
    """The article container: the densest element, widened to content siblings."""
    body = doc.root.find("body")
    best = _densest(body if body is not None else doc.root)
    if best is None:
        return None
    current = best
    while True:
        parent = current.getparent()
        if parent is None or not is_element(parent) or parent.tag in ("body", "html"):
            break
        siblings = [
            c for c in parent if is_element(c) and c is not current and c.tag not in SKIP_TAGS
        ]
        if any(_is_header(s) for s in siblings):
            break
        content = [
            s
            for s in siblings
            if _has_attachments(s) or (not _is_furniture(s) and own_text(s) >= 10)
        ]
        if not content and cjk(parent.text) + sum(cjk(s.tail) for s in parent) < 10:
            break
        current = parent
    return current


def _boilerplate(bodies: list[Any]) -> list[str]:
    """Selectors, relative to the body, for furniture inside it on the sample pages."""
    found: list[str] = []
    for body in bodies:
        for el in body.iter():
            if not is_element(el) or el is body or el.tag in ("a", "br", "img"):
                continue
            text = node_text(el)
            if not text or not FURNITURE_RE.search(text[:40]) or cjk(text) >= 120:
                continue
            if any(
                a is not body
                and FURNITURE_RE.search(node_text(a)[:40] or "")
                and a.tag not in ("a",)
                and any(b is body for b in a.iterancestors())
                for a in el.iterancestors()
            ):
                continue  # an ancestor inside the body is furniture already
            safe = [c for c in classes(el) if CSS_IDENT_RE.match(c)]
            if el.get("id") and CSS_IDENT_RE.match(el.get("id")):
                css = f"{el.tag}#{el.get('id')}"
            elif safe:
                css = f"{el.tag}.{safe[0]}"
            else:
                keyword = FURNITURE_RE.search(text[:40]).group(0)  # type: ignore[union-attr]
                css = (
                    f".//{el.tag}[contains(., {_xpath_literal(keyword)})"
                    " and string-length(normalize-space()) < 60]"
                )
            if css not in found:
                found.append(css)
    return found


def _title_matches(text: str | None, listing_title: str | None) -> bool:
    from tjcrawl.pipelines.normalise import clean_title

    if not text or not listing_title:
        return False
    bullet = re.compile(r"^[•·●◆■▪►◇□○]\s*")
    text, wanted = bullet.sub("", clean_title(text)), bullet.sub("", clean_title(listing_title))
    if text == wanted:
        return True
    stem = wanted.rstrip(".…")
    return len(stem) >= 6 and wanted != stem and text.startswith(stem)


@dataclass
class Sample:
    doc: Doc
    listing_title: str | None
    body: Any = None


def _score_selector(
    samples: list[Sample],
    select: str,
    test: Callable[[Sample, str | None], bool],
    regex: str | None = None,
) -> int:
    score = 0
    for sample in samples:
        try:
            text = value(sample.doc.sel, select, regex)
        except (ProfileError, etree.XPathError, re.error):
            return -1
        if test(sample, text):
            score += 1
    return score


def _choose(
    samples: list[Sample],
    candidates: list[tuple[str, str | None, int]],
    test: Callable[[Sample, str | None], bool],
) -> tuple[str, str | None, int] | None:
    """The candidate (select, regex, priority) that passes on most sample pages."""
    best, best_key = None, None
    seen = set()
    for select, regex, priority in candidates:
        if (select, regex) in seen:
            continue
        seen.add((select, regex))
        score = _score_selector(samples, select, test, regex)
        if score <= 0:
            continue
        key = (score, priority, -len(select))
        if best_key is None or key > best_key:
            best, best_key = (select, regex, score), key
    return best


def _outside_body(el: Any, body: Any) -> bool:
    if body is None:
        return True
    return not (el is body or any(a is body for a in el.iterancestors()))


def detail_title(samples: list[Sample], proposal: Proposal) -> None:
    candidates: list[tuple[str, str | None, int]] = []
    for sample in samples:
        sel = sample.doc.sel
        for el in sample.doc.root.iter():
            if not is_element(el) or (el.tag in SKIP_TAGS and el.tag != "title"):
                continue
            if el.tag == "title":
                priority = 1
            elif el.tag in HEADINGS:
                priority = 4 if el.tag == "h1" else 3
            elif TITLE_CLASS_RE.search(f"{el.get('id') or ''} {el.get('class') or ''}"):
                priority = 2
            else:
                continue
            text = node_text(el)
            if not text or len(text) > 200 or not _outside_body(el, sample.body):
                continue
            for css in page_selectors(el, sel)[:3]:
                candidates.append((css, None, priority))
                candidates.append(
                    (
                        f"{css}::text" if not css.startswith("/") else f"{css}/text()",
                        None,
                        priority - 0.5,
                    )
                )
        for name in ("ArticleTitle", "articletitle", "title"):
            if sel.xpath(f"//meta[@name='{name}']/@content"):
                candidates.append((f"meta[name='{name}']::attr(content)", None, 2.5))
    have_titles = any(s.listing_title for s in samples)
    if have_titles:
        chosen = _choose(samples, candidates, lambda s, t: _title_matches(t, s.listing_title))
    else:
        chosen = _choose(samples, candidates, lambda s, t: bool(t) and len(t) < 120)
    if chosen is None:
        proposal.unsure.append("detail.title: nothing on the detail pages matches the listing")
        proposal.detail["title"] = FieldChoice("h1")
        return
    select, _, score = chosen
    note = ""
    if score < len(samples):
        note = f"matched the listing title on {score} of {len(samples)} sample pages"
        proposal.unsure.append(f"detail.title: {note}")
    if not have_titles:
        proposal.unsure.append("detail.title: no listing titles to compare with; a guess")
    proposal.detail["title"] = FieldChoice(select, note=note)
    if select == "title" or select.startswith("head"):
        suffixes = set()
        for sample in samples:
            text = value(sample.doc.sel, select) or ""
            if sample.listing_title and text.startswith(sample.listing_title):
                suffixes.add(text[len(sample.listing_title) :].strip())
        if len(suffixes) == 1 and (suffix := suffixes.pop()):
            proposal.title_suffixes = [suffix]


def detail_body(samples: list[Sample], proposal: Proposal) -> None:
    for sample in samples:
        sample.body = body_node(sample.doc)
    candidates: list[tuple[str, str | None, int]] = []
    for sample in samples:
        if sample.body is None:
            continue
        for rank, css in enumerate(page_selectors(sample.body, sample.doc.sel)[:4]):
            candidates.append((css, None, 10 - rank))

    def wanted(sample: Sample, text: str | None) -> bool:
        if sample.body is None or not text:
            return False
        target = cjk(node_text(sample.body))
        return target > 0 and abs(cjk(text) - target) <= 0.1 * target

    chosen = _choose(samples, candidates, wanted)
    if chosen is None:
        proposal.unsure.append("detail.body: no element holds the text on the sample pages")
        proposal.detail["body"] = FieldChoice("body")
        return
    select, _, score = chosen
    note = ""
    if score < len(samples):
        note = f"holds the article on {score} of {len(samples)} sample pages"
        proposal.unsure.append(f"detail.body: {note}")
    proposal.detail["body"] = FieldChoice(select, note=note)
    nodes = []
    for sample in samples:
        found = sample.doc.sel.xpath(compile_selector(select))
        if found and is_element(found[0].root):
            nodes.append(found[0].root)
            sample.body = found[0].root
    proposal.detail_boilerplate = _boilerplate(nodes)


def _label_before(el: Any) -> str:
    previous = el.getprevious()
    if previous is not None and is_element(previous):
        text = node_text(previous)
        if len(text) <= 12 and re.search(r"[:：]$", text):
            return text
    return ""


def _line_regex(labels: Iterable[str], capture: str) -> str:
    others = "|".join(sorted(set(ALL_LABELS), key=len, reverse=True))
    label = "|".join(sorted(labels, key=len, reverse=True))
    return (
        rf"(?:{label})\s*[:：]\s*({capture}?)\s*(?=[【\[(（]?\s*(?:{others})\s*[:：]|[】\])）]|$)"
    )


def detail_date(samples: list[Sample], proposal: Proposal) -> None:
    candidates: list[tuple[str, str | None, int]] = []
    for sample in samples:
        sel, root = sample.doc.sel, sample.doc.root
        for el in root.iter():
            if not is_element(el) or el.tag in SKIP_TAGS or not _outside_body(el, sample.body):
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
            label = _label_before(el)
            prefix = unicodedata.normalize("NFKC", text)[
                : _ABSOLUTE_RE.search(unicodedata.normalize("NFKC", text)).start()
            ]  # type: ignore[union-attr]
            own_label = next((lb for lb in DATE_LABELS if lb in prefix), "")
            score = _label_score(label or own_label)
            if label:
                select = (
                    f"//{el.getprevious().tag}[normalize-space()={_xpath_literal(label)}]"
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
                candidates.append((css, regex, score + _selector_bonus(el, css)))
        for name in ("PubDate", "pubdate", "publishdate", "firstpublishedtime"):
            if sel.xpath(f"//meta[@name='{name}']/@content"):
                candidates.append((f"meta[name='{name}']::attr(content)", None, 0))

    def parses(sample: Sample, text: str | None) -> bool:
        return bool(text) and parse_date(text, sample.doc.fetched_at) is not None

    chosen = _choose(samples, candidates, parses)
    if chosen is None:
        proposal.unsure.append("detail.date: no date on the detail pages; the listing's is used")
        return
    select, regex, score = chosen
    note = ""
    if score < len(samples):
        note = f"found on {score} of {len(samples)} sample pages (else the listing date)"
    proposal.detail["date"] = FieldChoice(select, regex, note)


def _selector_bonus(el: Any, select: str) -> float:
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
    proposal: Proposal,
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
            if not is_element(el) or el.tag in SKIP_TAGS or not _outside_body(el, sample.body):
                continue
            text = node_text(el)
            before = _label_before(el)
            if before and label_re.match(before) and 0 < len(text) <= 40:
                label = label_re.match(before).group(1)  # type: ignore[union-attr]
                select = (
                    f"//{el.getprevious().tag}[normalize-space()={_xpath_literal(before)}]"
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
                penalty = -_selector_bonus(el, css)
                if dedicated:
                    regex = None if label in cleaned else rf"{label}\s*[:：]\s*(\S.*)"
                    candidates.append((css, regex, 3 - penalty))
                else:
                    candidates.append((css, rf"{label}\s*[:：]\s*(\S+)", 2.5 - penalty))
                    candidates.append((css, _line_regex([label], r"[^\s:：]\S*"), 2 - penalty))
                    candidates.append((css, _line_regex([label], r".+"), 1 - penalty))
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

    chosen = _choose(samples, candidates, plausible)
    if chosen is None:
        return
    select, regex, score = chosen
    note = f"found on {score} of {len(samples)} sample pages" if score < len(samples) else ""
    proposal.detail[key] = FieldChoice(select, regex, note)


# -- the whole proposal ---------------------------------------------------------------------------
def propose(
    listing_url: str,
    fetch: Fetch,
    *,
    slug: str | None = None,
    detail_pages: int = 3,
    trial: bool = True,
) -> Proposal:
    """A profile for the listing at ``listing_url``, fetched with ``fetch``.

    Each page is fetched once: the trial run re-reads the pages the inference fetched.
    """
    fetch = _once(fetch)
    doc = load_doc(fetch, listing_url)
    if doc is None:
        raise ValueError(f"{listing_url}: the listing page could not be fetched")
    title = fold_space(" ".join(doc.root.xpath("//title//text()"))) or listing_url
    host = (urlsplit(listing_url).hostname or "").lower()
    proposal = Proposal(slug or slug_for(listing_url), title, listing_url, [host])
    groups = entry_groups(doc)
    if not groups:
        raise ValueError(f"{listing_url}: no repeated entries with links or text found")
    group = groups[0]
    if len(groups) > 1 and groups[1].score > 0.8 * group.score:
        proposal.unsure.append(
            "listing.entries: another repeated block scored nearly as high "
            f"({ident(groups[1].parent).strip()})"
        )
    entries = entries_selector(doc, group)
    proposal.listing["entries"] = FieldChoice(
        entries, note=f"{len(group.members)} entries on the first page"
    )
    listing_fields(doc, group, proposal)
    second = pagination(doc, entries, fetch, proposal)

    if group.mode == "links":
        picked = [m for m in group.members if m.link]
        if second is not None and len(picked) < detail_pages:
            more = entry_groups_like(second, entries)
            picked += more
        samples: list[Sample] = []
        for member in spread(picked, detail_pages):
            assert member.link is not None
            page = load_doc(fetch, member.link.url)
            if page is None:
                proposal.unsure.append(f"detail page {member.link.url} could not be fetched")
                continue
            host_ = (urlsplit(page.url).hostname or "").lower()
            if host_ and host_ not in proposal.allowed_domains:
                proposal.allowed_domains.append(host_)
            samples.append(Sample(page, member.title or None))
            proposal.sample_urls.append(page.url)
        if not samples:
            raise ValueError(f"{listing_url}: no detail page could be fetched")
        detail_body(samples, proposal)
        detail_title(samples, proposal)
        detail_date(samples, proposal)
        detail_labelled(samples, proposal, "origin", ORIGIN_LABELS, CLEANED_ORIGIN_LABELS)
        detail_labelled(samples, proposal, "author", AUTHOR_LABELS, CLEANED_AUTHOR_LABELS)
        # the body first in the TOML reads oddly: title, date, origin, author, body
        order = ["title", "date", "origin", "author", "body"]
        proposal.detail = {k: proposal.detail[k] for k in order if k in proposal.detail}
    try:
        profile = proposal.profile()
    except ProfileError as exc:
        raise ValueError(f"the proposed profile does not load: {exc}") from None
    if trial:
        from tjcrawl.source_check import field_results, walk

        result = walk(profile, fetch, max_listing_pages=2, max_detail_pages=detail_pages)
        proposal.trial = field_results(profile, result)
    return proposal


def _once(fetch: Fetch) -> Fetch:
    pages: dict[str, Page | FetchError] = {}

    def fetch_once(url: str) -> Page:
        if url not in pages:
            try:
                pages[url] = fetch(url)
            except FetchError as exc:
                pages[url] = exc
        result = pages[url]
        if isinstance(result, FetchError):
            raise result
        return result

    return fetch_once


def entry_groups_like(doc: Doc, entries: str) -> list[Member]:
    nodes = [r.root for r in doc_entries(doc, entries) if is_element(r.root)]
    return [m for m in describe_members(nodes, doc.url, doc.fetched_at) if m.link]


# -- comparing with a hand-written profile --------------------------------------------------------
COMPARED_FIELDS = (
    "title",
    "published_at",
    "date_source",
    "date_precision",
    "date_conflict",
    "origin",
    "author",
    "body",
)


@dataclass
class Comparison:
    slug: str
    reference_items: int
    proposed_items: int
    equal: Counter[str]
    total: int  # items compared (the union of both sides' URLs)
    missing: list[str]
    extra: list[str]
    compared: tuple[str, ...] = COMPARED_FIELDS

    @property
    def fields(self) -> int:
        return self.total * len(self.compared)

    @property
    def share(self) -> float:
        return sum(self.equal.values()) / self.fields if self.fields else 0.0

    def field_share(self, name: str) -> float:
        return self.equal[name] / self.total if self.total else 0.0


def compare_items(
    slug: str,
    reference: list[dict[str, Any]],
    proposed: list[dict[str, Any]],
    compared: tuple[str, ...] = COMPARED_FIELDS,
) -> Comparison:
    """Field by field over the union of URLs: a missing or extra item counts as all unequal."""
    ref = {item["url"]: item for item in reference}
    new = {item["url"]: item for item in proposed}
    equal: Counter[str] = Counter()
    for url in set(ref) & set(new):
        for name in compared:
            if ref[url].get(name) == new[url].get(name):
                equal[name] += 1
    return Comparison(
        slug,
        len(ref),
        len(new),
        equal,
        len(set(ref) | set(new)),
        sorted(set(ref) - set(new)),
        sorted(set(new) - set(ref)),
        compared,
    )


def compare_with_profile(
    proposal: Proposal, reference: Profile, fixtures_dir: Path | None = None
) -> Comparison:
    """The proposal's items against the reference profile's, both crawled offline over the
    reference's fixture site from the one listing the proposal was made from (the reference's
    first start URL), on the fields the reference reads: a 来源 or author it leaves unread is
    no error of a proposal that finds one."""
    from dataclasses import replace

    from tjcrawl.fixtures import offline_crawl

    with tempfile.TemporaryDirectory() as tmp:
        proposed = replace(proposal.profile(Path(tmp)), slug=reference.slug)
        proposed_items, _ = offline_crawl(proposed, fixtures_dir)
    first_listing_only = replace(reference, start_urls=reference.start_urls[:1])
    reference_items, _ = offline_crawl(first_listing_only, fixtures_dir)
    unread = {
        name
        for name in ("origin", "author")
        if getattr(reference.listing, name) is None
        and (
            reference.detail is None
            or (getattr(reference.detail, name) is None and name not in reference.detail.generic)
        )
    }
    compared = tuple(name for name in COMPARED_FIELDS if name not in unread)
    return compare_items(reference.slug, reference_items, proposed_items, compared)


def evaluate(slug: str, fixtures_dir: Path | None = None) -> tuple[Proposal, Comparison]:
    """Propose a profile from a source's saved first listing page (following its saved detail
    pages); compare its items with the hand-written profile's."""
    from tjcrawl.profiles import load_profiles

    reference = load_profiles()[slug]
    start_url, fetch = fixture_source(slug, fixtures_dir)
    proposal = propose(start_url, fetch, slug=slug)
    return proposal, compare_with_profile(proposal, reference, fixtures_dir)


# -- where the pages come from --------------------------------------------------------------------
def fixture_source(slug: str, fixtures_dir: Path | None = None) -> tuple[str, Fetch]:
    """A saved fixture site: its first listing URL and a fetch that never leaves the disk.

    The URL is the profile's first start URL or, for a site captured before it had a profile,
    ``start_url`` in fixture.toml.
    """
    import tomllib

    from tjcrawl.fixtures import fixture_dir
    from tjcrawl.profiles import load_profiles
    from tjcrawl.source_check import FixtureFetcher

    folder = fixture_dir(slug, fixtures_dir)
    if not (folder / "site").is_dir():
        raise ValueError(f"{slug}: no fixture site at {folder / 'site'}")
    meta_path = folder / "fixture.toml"
    meta = tomllib.loads(meta_path.read_text("utf-8")) if meta_path.is_file() else {}
    profile = load_profiles().get(slug)
    start_url = meta.get("start_url") or (profile.start_urls[0] if profile else None)
    if not start_url:
        raise ValueError(f"{slug}: no profile and no start_url in {meta_path}")
    hosts = {urlsplit(start_url).hostname or ""} | set(profile.hosts if profile else ())
    headers_path = folder / "headers.json"
    if headers_path.is_file():
        hosts |= {urlsplit(u).hostname or "" for u in json.loads(headers_path.read_text("utf-8"))}
    fetched_at = (
        datetime.fromisoformat(meta["fetched_at"]) if meta.get("fetched_at") else clock.now()
    )
    return start_url, FixtureFetcher(folder / "site", hosts - {""}, fetched_at).fetch


def file_source(path: Path, base_url: str, fallback: Fetch | None = None) -> Fetch:
    """A listing saved as a file, read as if fetched from ``base_url``. Other pages come from
    the folder the file sits in when its path ends with the URL's path (a saved site), else
    from ``fallback`` (a polite live fetcher), else not at all."""
    from tjcrawl.fixture_server import CONTENT_TYPES
    from tjcrawl.source_check import FixtureFetcher

    body = path.read_bytes()
    now = clock.now()
    url_path = urlsplit(base_url).path.lstrip("/")
    resolved = path.resolve()
    root = None
    if url_path and not url_path.endswith("/") and resolved.as_posix().endswith("/" + url_path):
        root = Path(resolved.as_posix()[: -len(url_path) - 1])
    elif (
        (url_path.endswith("/") or not url_path)
        and resolved.name == "index.html"
        and resolved.parent.as_posix().endswith("/" + url_path.rstrip("/"))
    ):
        root = Path(resolved.parent.as_posix()[: -len(url_path.rstrip("/")) - 1] or "/")
    site = FixtureFetcher(root, {urlsplit(base_url).hostname or ""}, now) if root else None
    content_type = CONTENT_TYPES.get(path.suffix, "text/html")

    def fetch(url: str) -> Page:
        if url == base_url:
            return Page(url, url, 200, {"Content-Type": [content_type]}, body, now)
        if site is not None:
            return site.fetch(url)
        if fallback is not None:
            return fallback(url)
        raise FetchError(url, "offline", "only the saved listing page is available")

    return fetch
