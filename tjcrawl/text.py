"""HTML to article text that keeps paragraphs, and the cleaning every title and body gets."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from lxml import etree

BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr ul "
    "center".split()
)
SKIP_TAGS = frozenset("script style noscript template iframe object embed select button".split())
_BREAK = "\x00"

# A safety net under the profiles' boilerplate selectors: short paragraphs that are only
# page furniture. Matching whole paragraphs keeps article sentences that mention these words.
_FURNITURE_RES = tuple(
    re.compile(p)
    for p in (
        r"^[【\[]?\s*(打印本页|打印|关闭窗口|关闭|返回顶部|收藏)\s*[】\]]?(\s*[【\[]?\s*(打印本页|打印|关闭窗口|关闭|返回顶部|收藏)\s*[】\]]?)*$",
        r"^字号[:：]?\s*([大中小]\s*)+$",
        r"^[【\[（(]?\s*责任编辑\s*[:：].{0,20}[】\]）)]?$",
        r"^(分享到|分享|扫一扫).{0,30}$",
        r"^(有想补充的信息[?？])?\s*点我投稿$",
        r"^(联系我们|企业入驻)$",
    )
)


def fold_space(text: str) -> str:
    """Every run of whitespace one space, none at either end. str.split() cuts at exactly the
    characters that re's \\s matches (both are str.isspace), at a quarter of a regex's cost:
    this runs for every field and paragraph of every page."""
    return " ".join(text.split())


_CELL_TAGS = frozenset(("td", "th"))


def _walk(root: etree._Element, append: Callable[[str], None]) -> None:
    # lxml's own walk, not recursion: a page of 1,000 unclosed <font> tags nests that deep,
    # past Python's recursion limit. It is faster too. Comments and processing instructions
    # have no text of their own, but their tails belong to the parent's text.
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, node in walker:
        if event == "start":
            tag = node.tag.lower()
            if tag in SKIP_TAGS:
                walker.skip_subtree()  # its end still comes, for its tail
                continue
            if tag in BLOCK_TAGS:
                append(_BREAK)
            if node.text:
                append(node.text)
            continue
        if event == "end":
            tag = node.tag.lower()
            if tag in BLOCK_TAGS:
                append(_BREAK)
            elif tag in _CELL_TAGS:
                append(" ")
        if node is not root and node.tail:
            append(node.tail)


# libxml2 stops reading a document at this depth, even with huge_tree: what lies deeper, and
# everything after it, never reaches the tree.
PARSER_MAX_DEPTH = 2048


def parser_stopped_early(root: etree._Element) -> bool:
    """Whether the parse of a page reached libxml2's depth limit, so lost its end."""
    # When the parser stops, the elements still open are the last child of the last child …
    # of the root: that path is as deep as the limit. A few steps on an ordinary page.
    depth, node = 1, root
    while len(node):
        node = node[-1]
        depth += 1
    return depth >= PARSER_MAX_DEPTH


def element_paragraphs(node: etree._Element) -> list[str]:
    """The text of `node` as paragraphs: a block element starts and ends one."""
    parts: list[str] = []
    if isinstance(node.tag, str):  # a comment or processing instruction: no text of its own
        _walk(node, parts.append)
    # A run of spaces never spans a break, which is no space: each paragraph folds alone.
    return [p for p in (fold_space(chunk) for chunk in "".join(parts).split(_BREAK)) if p]


def clean_paragraphs(paragraphs: Iterable[str]) -> list[str]:
    kept = []
    for paragraph in paragraphs:
        text = fold_space(unicodedata.normalize("NFC", paragraph))
        if text and not (len(text) <= 40 and any(r.match(text) for r in _FURNITURE_RES)):
            kept.append(text)
    return kept


def remove_keeping_tail(node: etree._Element) -> None:
    """Drop an element but keep the text that follows it, which belongs to its parent."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)
