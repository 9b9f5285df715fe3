"""Apply a profile's fields to a parsel selector: strings out, no interpretation."""

from __future__ import annotations

import copy
import re
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector, SelectorList

from tjcrawl.profiles import FieldSpec
from tjcrawl.text import element_paragraphs, fold_space, remove_keeping_tail


def _node_text(result: Selector) -> str:
    root = result.root
    if isinstance(root, str):
        return root
    if isinstance(root, etree._Element):
        return "\n".join(element_paragraphs(root))
    if isinstance(root, (int, float)):
        return str(root)
    return str(result.get())


def select(sel: Selector | SelectorList, spec: FieldSpec) -> SelectorList:
    if spec.language == "jmespath":
        return sel.jmespath(spec.query)
    return sel.xpath(spec.query)


def field_text(sel: Selector, spec: FieldSpec | None) -> str | None:
    """The folded text of every node the field matches, through its regex if it has one."""
    if spec is None:
        return None
    texts = [t for t in (fold_space(_node_text(r)) for r in select(sel, spec)) if t]
    if not texts:
        return None
    text = " ".join(texts)
    if spec.regex is None:
        return text
    match = spec.regex.search(text)
    if match is None:
        return None
    value = match.group(1) if match.re.groups else match.group(0)
    return fold_space(value) or None


def field_values(sel: Selector, spec: FieldSpec) -> list[str]:
    """Every value the field yields (for links), each through the regex if there is one."""
    values = []
    for result in select(sel, spec):
        text = fold_space(_node_text(result))
        if spec.regex is not None:
            match = spec.regex.search(text)
            text = (match.group(1) if match.re.groups else match.group(0)) if match else ""
        if text:
            values.append(text)
    return values


def body_html_and_paragraphs(
    sel: Selector, spec: FieldSpec, boilerplate: tuple[FieldSpec, ...]
) -> tuple[str | None, list[str]]:
    """The body nodes with boilerplate cut out, as HTML and as paragraphs of text."""
    html_parts: list[str] = []
    paragraphs: list[str] = []
    for result in select(sel, spec):
        if isinstance(result.root, str) and spec.language == "jmespath":
            # A JSON listing's body is an HTML fragment in a string.
            result = Selector(text=f"<div>{result.root}</div>").xpath("//body/div")[0]
        if not isinstance(result.root, etree._Element):
            if text := fold_space(str(result.root)):
                paragraphs.append(text)
            continue
        # Work on a copy: the response's tree is shared with the other fields.
        root = copy.deepcopy(result.root)
        for rule in boilerplate:
            for node in root.xpath(rule.query):
                if isinstance(node, etree._Element) and node is not root:
                    remove_keeping_tail(node)
        root.tail = None
        html_parts.append(etree.tostring(root, encoding="unicode", method="html"))
        paragraphs.extend(element_paragraphs(root))
    return ("\n".join(html_parts) or None), paragraphs


ATTACHMENT_RE = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|zip|rar|7z|wps|et|ofd|txt|csv)$", re.IGNORECASE
)


def attachment_links(
    sel: Selector, response_url: str, spec: FieldSpec | None, body: FieldSpec | None
) -> list[dict[str, str]]:
    """Links to files (PDF, DOC/DOCX, XLS/XLSX, ZIP …): from the profile's `attachments` field,
    else every such link inside the body (before boilerplate removal, since 附件 blocks are
    often cut as furniture)."""
    if spec is not None:
        anchors = [r.root for r in select(sel, spec)]
    elif body is not None:
        # Straight on the lxml tree: this runs for every detail page, and a parsel Selector
        # per link costs more than the rest of the check.
        anchors = [
            a
            for r in select(sel, body)
            if isinstance(r.root, etree._Element)
            for a in r.root.iter("a")
            if ATTACHMENT_RE.search((a.get("href") or "").split("?")[0].split("#")[0].strip())
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
        found.setdefault(urljoin(response_url, href.strip()), text)
    return [{"url": url, "text": text} for url, text in found.items()]
