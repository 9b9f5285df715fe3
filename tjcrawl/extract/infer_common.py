"""Shared by the inference of a profile from sample pages (`tjcrawl source new`): the text a
field would give for a node, and selectors that pick one node on a page, most readable first.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cssselect import SelectorError
from lxml import etree
from parsel import Selector

from tjcrawl.dates import _ABSOLUTE_RE, _RELATIVE_HINT_RE, parse_date
from tjcrawl.profiles import compile_selector
from tjcrawl.text import element_paragraphs, fold_space

SKIP_TAGS = {"script", "style", "noscript", "template", "head", "meta", "link", "select", "option"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
PARAGRAPH_TAGS = {
    "p", "span", "font", "strong", "b", "em", "i", "u", "br", "sup", "sub", "small", "big",
    "label", "center", "blockquote", "pre", "section", "h4", "h5", "h6", "a", "img",
}  # fmt: skip
CJK_RE = re.compile(r"[\u3400-\u9fff]")
CSS_IDENT_RE = re.compile(r"^-?[A-Za-z_][A-Za-z0-9_-]*$")
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
    text: str = ""  # the decoded page, for the generic extractor

    @property
    def root(self) -> Any:
        return self.sel.root


# -- selectors ------------------------------------------------------------------------------------
def is_same(sel_result: Selector, el: Any) -> bool:
    return sel_result.root is el


def unique_css(el: Any, sel: Selector, depth: int = 3) -> list[str]:
    """CSS selectors that pick exactly this element on the page, most readable first."""
    found: list[str] = []

    def unique(css: str) -> bool:
        try:
            matches = sel.css(css)
        except (SelectorError, ValueError):  # a tag or class CSS cannot spell (`<p2$>`)
            return False
        return len(matches) == 1 and is_same(matches[0], el)

    tag = el.tag
    if ":" in tag:
        return found  # CSS reads `cms_include:article` as a pseudo-class: XPath only
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
    xpath = f"//{xpath_step(parent)}/{tag_test(el.tag)}[contains(., {xpath_literal(label)})]"
    try:
        matches = sel.xpath(xpath)
    except ValueError:
        return None
    return xpath if len(matches) == 1 and is_same(matches[0], el) else None


def page_selectors(el: Any, sel: Selector) -> list[str]:
    """Selectors anchored on an id, a class or a label: never a positional path from the root
    (`/html/body/table[2]/tr/td[1]`), which holds on one template only."""
    found = unique_css(el, sel)
    if not found and (anchored := anchored_xpath(el, sel)):
        found.append(anchored)
    return found


def anchored_xpath(el: Any, sel: Selector, levels: int = 6) -> str | None:
    """An XPath from the nearest ancestor with a unique id or class down to this element:
    `//div[@id='main']/table/tr/td[2]`; None when no ancestor within `levels` has one."""
    current = el.getparent()
    for _ in range(levels):
        if current is None or not is_element(current) or current.tag in ("html", "body"):
            return None
        anchor = _unique_anchor(current, sel)
        if anchor is not None:
            path = relative_path(current, el)
            if path is None:
                return None
            inner = path[1:] if path.startswith(".") else path
            if path.startswith("("):
                inner, _, position = path[2:].rpartition(")")
                xpath = f"({anchor}{inner}){position}"
            else:
                xpath = f"{anchor}{inner}"
            try:
                matches = sel.xpath(xpath)
            except ValueError:
                return None
            return xpath if len(matches) == 1 and is_same(matches[0], el) else None
        current = current.getparent()
    return None


def _unique_anchor(el: Any, sel: Selector) -> str | None:
    tag = tag_test(el.tag)
    tests = []
    if (element_id := el.get("id")) and "'" not in element_id:
        tests.append(f"//{tag}[@id={xpath_literal(element_id)}]")
    cls = (el.get("class") or "").strip()
    if cls and "'" not in cls:
        tests.append(f"//{tag}[@class={xpath_literal(cls)}]")
    for xpath in tests:
        try:
            matches = sel.xpath(xpath)
        except ValueError:
            continue
        if len(matches) == 1 and is_same(matches[0], el):
            return xpath
    return None


# What XPath reads as a plain element name; lxml's HTML parser keeps tags such as `p2$`.
_NAME_TEST_RE = re.compile(r"[^\W\d][\w.\-]*")


def tag_test(tag: str) -> str:
    """An XPath name test for a tag; `cms_include:article` would read as an undefined
    namespace prefix and `p2$` as no name at all, so such a tag is matched by its name."""
    return tag if _NAME_TEST_RE.fullmatch(tag) else f"*[name()={xpath_literal(tag)}]"


def absolute_path(el: Any) -> str:
    """The element's path from the root, as lxml's getpath writes it but with every step a
    valid name test (getpath writes `/html/body/p2$`, which no XPath engine reads)."""
    steps = []
    current = el
    while current is not None:
        parent = current.getparent()
        step = tag_test(current.tag)
        if parent is not None:
            same = [c for c in parent if is_element(c) and c.tag == current.tag]
            if len(same) > 1:
                step += f"[{same.index(current) + 1}]"
        steps.append(step)
        current = parent
    return "/" + "/".join(reversed(steps))


def xpath_step(el: Any, siblings_of_kind: list[Any] | None = None) -> str:
    cls = (el.get("class") or "").strip()
    tag = tag_test(el.tag)
    if cls and " " not in cls and "'" not in cls:
        step = f"{tag}[@class='{cls}']"
    elif cls and "'" not in cls:
        step = f"{tag}[contains(@class, '{cls.split()[0]}')]"
    else:
        step = tag
    return step


def relative_path(member: Any, node: Any) -> str | None:
    """An XPath from an entry to one of its descendants: ./td[@class='title']/a."""
    if node is member:
        return "."
    steps = []
    current = node
    while current is not None and current is not member:
        steps.append(xpath_step(current))
        current = current.getparent()
    if current is None:
        return None
    path = "./" + "/".join(reversed(steps))
    # Several nodes on that path (two spans in div.riqi): name the one meant by position.
    matches = member.xpath(path)
    if len(matches) > 1 and node in matches:
        path = f"({path})[{matches.index(node) + 1}]"
    return path


def most_common(paths: Iterable[str | None]) -> tuple[str | None, int]:
    counted = Counter(p for p in paths if p)
    if not counted:
        return None, 0
    path, count = counted.most_common(1)[0]
    return path, count


def xpath_literal(text: str) -> str:
    return f"'{text}'" if "'" not in text else f'"{text}"'


@dataclass
class FieldChoice:
    select: str
    regex: str | None = None
    note: str = ""

    def toml_value(self) -> str:
        if self.regex is None:
            return toml_str(self.select)
        return f"{{ select = {toml_str(self.select)}, regex = {toml_str(self.regex)} }}"


def toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class Findings(Protocol):
    """Where the detail inference puts what it chose (a `tjcrawl.source_new` Proposal)."""

    detail: dict[str, FieldChoice]
    detail_boilerplate: list[str]
    title_suffixes: list[str]
    unsure: list[str]
