"""Apply a profile's fields to a page or a listing entry: strings out, no interpretation.

A node is a parsel `Selector` (a whole page, or a JSON listing entry) or an lxml element (an
HTML listing entry). XPath fields run as compiled `lxml.etree.XPath` objects straight on the
lxml tree: this runs for every field of every page, and parsel would recompile the expression
and wrap every result in a Selector of its own, which cost more than the extraction itself.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from tjcrawl.profile_guards import XPATH_NAMESPACES, Regex
from tjcrawl.profiles import FieldSpec
from tjcrawl.text import element_paragraphs, fold_space, remove_keeping_tail
from tjcrawl.urls import resolve_link

Node = Selector | etree._Element


#: Evaluations after which an XPath that binds set: is compiled afresh (see RenewedXPath).
XPATH_RENEW_EVERY = 1000


class RenewedXPath:
    """An XPath with the EXSLT set: prefix bound, compiled afresh every `XPATH_RENEW_EVERY`
    evaluations. With libxml2 2.14, lxml logs an error (ERR_NO_MEMORY: unknown error) in the
    XPath object's own error log at every evaluation of an XPath with namespaces bound, and
    never clears that log: about 100 bytes a page per field, held for the whole crawl."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.calls = 0
        self._xpath = self._compile()

    def _compile(self) -> etree.XPath:
        # EXSLT sets only: parsel also binds re:, whose backtracking regexes profiles may not use.
        return etree.XPath(self.query, namespaces=XPATH_NAMESPACES, smart_strings=False)

    @property
    def error_log(self) -> Any:
        return self._xpath.error_log

    def __call__(self, node: Any) -> Any:
        self.calls += 1
        if self.calls % XPATH_RENEW_EVERY == 0:
            self._xpath = self._compile()
        return self._xpath(node)


@lru_cache(maxsize=4096)
def compiled_xpath(query: str) -> etree.XPath | RenewedXPath:
    """The compiled query; set: is bound only for a query that may use it (see RenewedXPath:
    an XPath without namespaces keeps no log of evaluations)."""
    if any(f"{prefix}:" in query for prefix in XPATH_NAMESPACES):
        return RenewedXPath(query)
    return etree.XPath(query, smart_strings=False)


def _lxml_node(node: Node) -> Any:
    return node.root if isinstance(node, Selector) else node


def select(node: Node, spec: FieldSpec) -> list[Any]:
    """What a field matches: lxml elements, strings and numbers for XPath; for JMESPath,
    parsel selectors, which later JMESPath fields can query in turn (a listing's entries)."""
    if spec.language == "jmespath":
        if not isinstance(node, Selector):
            raise TypeError("a JMESPath field needs a JSON selector")
        return list(node.jmespath(spec.query))
    result = compiled_xpath(spec.query)(_lxml_node(node))
    return result if isinstance(result, list) else [result]


#: A page's field matches by (language, query), for fields that share a selector (a date and
#: an origin read from one line; the attachments found in the body): evaluated once a page.
Matches = dict[tuple[str, str], list[Any]]


def _values(node: Node, spec: FieldSpec, memo: Matches | None = None) -> list[Any]:
    if memo is not None:
        key = (spec.language, spec.query)
        found = memo.get(key)
        if found is None:
            found = memo[key] = _values(node, spec)
        return found
    found = select(node, spec)
    if spec.language == "jmespath":
        return [result.root for result in found]
    return found


def _node_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, etree._Element):
        return "\n".join(element_paragraphs(value))
    return str(value)


def _through_regex(text: str, regex: Regex) -> str:
    match = regex.search(text)
    if match is None:
        return ""
    return (match.group(1) if regex.groups else match.group(0)) or ""


def field_text(node: Node, spec: FieldSpec | None, memo: Matches | None = None) -> str | None:
    """The folded text of every node the field matches, through its regex if it has one."""
    if spec is None:
        return None
    if memo is None:
        text = _joined_text(node, spec)
    else:
        key = ("text", spec.language + ":" + spec.query)
        if (found := memo.get(key)) is None:
            found = memo[key] = [_joined_text(node, spec, memo)]
        text = found[0]
    if not text:
        return None
    if spec.regex is None:
        return text
    return fold_space(_through_regex(text, spec.regex)) or None


def _joined_text(node: Node, spec: FieldSpec, memo: Matches | None = None) -> str:
    texts = [t for t in (fold_space(_node_text(v)) for v in _values(node, spec, memo)) if t]
    return " ".join(texts)


def field_values(node: Node, spec: FieldSpec) -> list[str]:
    """Every value the field yields (for links), each through the regex if there is one."""
    values = []
    for value in _values(node, spec):
        text = fold_space(_node_text(value))
        if spec.regex is not None:
            text = _through_regex(text, spec.regex)
        if text:
            values.append(text)
    return values


def body_html_and_paragraphs(
    node: Node,
    spec: FieldSpec,
    boilerplate: tuple[FieldSpec, ...],
    *,
    in_place: bool = False,
    on_emptied: Callable[[str], None] | None = None,
    memo: Matches | None = None,
) -> tuple[str | None, list[str]]:
    """The body nodes with boilerplate cut out, as HTML and as paragraphs of text.

    The boilerplate is cut from a copy of each body node, since the tree is shared with the
    other fields; `in_place=True` cuts it from the tree itself, for a caller that has read
    every other field of the page first (a detail page: the copy cost as much as the cut).

    A rule that would cut all the text of a body node (a rule too wide for this page's
    template) is skipped for that node and handed to `on_emptied` (its selector): furniture
    removal must never cost the article.

    `memo` (shared by the page's other fields) must not be used after an `in_place` cut.
    """
    html_parts: list[str] = []
    paragraphs: list[str] = []
    for value in _values(node, spec, memo):
        if isinstance(value, str) and spec.language == "jmespath":
            # A JSON listing's body is an HTML fragment in a string: a tree of its own.
            value = Selector(text=f"<div>{value}</div>").xpath("//body/div")[0].root
        elif isinstance(value, etree._Element) and not in_place:
            value = copy.deepcopy(value)
        if not isinstance(value, etree._Element):
            if text := fold_space(str(value)):
                paragraphs.append(text)
            continue
        # The body's visible characters, counted once and then less what each rule cuts
        # (a cut keeps its tail): counting the whole body afresh per rule was a tenth of a
        # crawl's extraction.
        total: int | None = None
        for rule in boilerplate:
            cuts = [
                cut
                for cut in compiled_xpath(rule.query)(value)
                if isinstance(cut, etree._Element) and cut is not value
            ]
            if not cuts:
                continue
            outermost = _outermost(cuts)
            cut_chars = sum(_body_chars(c) for c in outermost)
            if cut_chars:  # a cut without text cannot empty the body
                if total is None:
                    total = _body_chars(value)
                if total and cut_chars >= total:
                    if on_emptied is not None:
                        on_emptied(rule.source)
                    continue
                # A rule may reach outside the body (an absolute //…): then count afresh.
                inside = all(any(a is value for a in c.iterancestors()) for c in outermost)
                total = total - cut_chars if inside else None
            for cut in cuts:
                remove_keeping_tail(cut)
        value.tail = None
        html_parts.append(etree.tostring(value, encoding="unicode", method="html"))
        paragraphs.extend(element_paragraphs(value))
    return ("\n".join(html_parts) or None), paragraphs


def _visible_chars(texts: Any) -> int:
    return sum(len("".join(text.split())) for text in texts if isinstance(text, str))


def _body_chars(body: etree._Element) -> int:
    """`_visible_chars(body.itertext())`, from lxml's own text serialisation: the same text
    (comments and processing instructions left out, the node's own tail too) at a third of
    the cost. A comment or processing instruction goes through itertext(), which refuses it
    as it always did."""
    if not isinstance(body.tag, str):
        return _visible_chars(body.itertext())
    text = etree.tostring(body, method="text", encoding="unicode", with_tail=False)
    return len("".join(text.split()))


def _outermost(cuts: list[etree._Element]) -> list[etree._Element]:
    """The cut nodes not inside another cut node: what a cut takes away is theirs."""
    if len(cuts) == 1:
        return cuts
    return [c for c in cuts if not any(a in cuts for a in c.iterancestors())]


ATTACHMENT_RE = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|zip|rar|7z|wps|et|ofd|txt|csv)$", re.IGNORECASE
)
#: TRS WCM names an article's files W0…/P0… plus a long number, in the article's YYYYMM/
#: folder, whatever their format (real-markup.md §2): a W0….html there is a file (a table saved
#: as a web page), while the articles beside it are tYYYYMMDD_ID.html.
TRS_FILE_RE = re.compile(r"/\d{6}/[WP]0\d{9,}\.[A-Za-z0-9]{1,5}$")
_TRS_NAME_RE = re.compile(r"[WP]0\d{9,}\.[A-Za-z0-9]{1,5}$")
#: What urllib's split drops from anywhere in a URL before resolving it (bpo-43882).
_URL_DROPPED = str.maketrans("", "", "\t\r\n")


def is_attachment_link(href: str, base_url: str | None = None) -> bool:
    """Whether a link leads to a file: a file extension, or a TRS file name (which needs the
    link resolved against `base_url` when it is relative, ./W0….html)."""
    path = href.split("?")[0].split("#")[0].strip()
    if ATTACHMENT_RE.search(path):
        return True
    # Resolving keeps a link's last path segment unless it is empty, "." or "..": a link
    # whose last segment is no TRS file name cannot become one (most links on a page), and
    # needs no urljoin.
    last = path.rpartition("/")[2].translate(_URL_DROPPED)
    if last not in ("", ".", "..") and not _TRS_NAME_RE.search(last):
        return False
    if base_url is not None:
        try:
            path = urljoin(base_url, path)
        except ValueError:
            return False
    return bool(TRS_FILE_RE.search(path))


def attachment_links(
    node: Node,
    response_url: str,
    spec: FieldSpec | None,
    body: FieldSpec | None,
    on_bad_link: Callable[[str, str], None] | None = None,
    memo: Matches | None = None,
) -> list[dict[str, str]]:
    """Links to files (PDF, DOC/DOCX, XLS/XLSX, ZIP …, and TRS W0…/P0… files of any
    extension): from the profile's `attachments` field, else every such link inside the body
    (before boilerplate removal, since 附件 blocks are often cut as furniture). A link that
    leads nowhere fetchable is left out and handed to `on_bad_link` with the reason."""
    if spec is not None:
        anchors = _values(node, spec, memo)
    elif body is not None:
        anchors = [
            a
            for value in _values(node, body, memo)
            if isinstance(value, etree._Element)
            for a in value.iter("a")
            if is_attachment_link(a.get("href") or "", response_url)
        ]
    else:
        return []
    found: dict[str, str] = {}
    for anchor in anchors:
        if isinstance(anchor, etree._Element):
            href, text = anchor.get("href"), fold_space("".join(anchor.itertext()))
        else:
            href, text = (anchor if isinstance(anchor, str) else None), ""
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        try:
            url = resolve_link(response_url, href)
        except ValueError as exc:
            if on_bad_link is not None:
                on_bad_link(href, str(exc))
            continue
        found.setdefault(url, text)
    return [{"url": url, "text": text} for url, text in found.items()]
