"""A page as a flat run of text blocks, each scored as content or furniture.

One pass over the tree (lxml's iterwalk, no recursion, so a page nested 10,000 deep is no
problem) cuts the text into blocks at block-level elements, the way a browser breaks lines.
Every block knows the element that holds it, how much of it is link text and how much
sentence punctuation it carries. Elements are numbered in document order with the range of
blocks they hold, so "the blocks inside this element" and "this element's total score" are
a slice and a difference of prefix sums, not a walk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

BLOCK_TAGS = frozenset(
    "address article aside blockquote body dd details div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre section summary table "
    "tbody td tfoot th thead tr ul center caption legend".split()
)
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_ATTACHMENT_HREF_RE = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|zip|rar|7z|wps|et|ofd|txt|csv)(?:[?#]|$)", re.IGNORECASE
)
# Sentence punctuation, Chinese and Western: prose has it, menus and link lists do not.
_PUNCT_RE = re.compile(r"[，。！？；：、,!?;]|\.(?=\s|$)")


@dataclass(slots=True)
class Block:
    text: str
    chars: int  # non-space characters
    link_chars: int
    punct: int
    owner: Any  # the innermost block-level element holding the text
    row: Any  # the table row when the owner is a cell, to print a row as one line
    heading: bool
    # The line follows a <br> in the same element: one paragraph's next line, not a new block
    # (poems, addresses, blog posts written a phrase per line).
    continues: bool = False
    weight: float = 0.0
    furniture: bool = False  # under a furniture name, above the headline or below the footer


@dataclass
class Segmented:
    blocks: list[Block] = field(default_factory=list)
    # element -> (first block index, one past its last block index)
    spans: dict[Any, tuple[int, int]] = field(default_factory=dict)
    order: list[Any] = field(default_factory=list)  # elements in document order

    def inside(self, element: Any) -> range:
        first, end = self.spans.get(element, (0, 0))
        return range(first, end)


# What a tag does to the blocks, looked up once per element: _BLOCK and above end a block.
_INLINE, _LINK, _BREAK, _BLOCK, _ROW, _HEADING, _CELL = range(7)
_KINDS: dict[str, int] = {tag: _BLOCK for tag in BLOCK_TAGS}
_KINDS.update({tag: _HEADING for tag in HEADING_TAGS})
_KINDS.update(tr=_ROW, td=_CELL, th=_CELL, a=_LINK, br=_BREAK)


def _segment(root: Any) -> Segmented:
    """The one pass: blocks, spans and document order (see the module's docstring).

    A block ends where a block-level element starts or ends, and at a <br> (the line after a
    <br> in the same element is marked `continues`). Written as one loop with locals and no
    helper calls: it runs twice per element of every page a crawl extracts."""
    out = Segmented()
    blocks, spans, order = out.blocks, out.spans, out.order
    blocks_append, order_append = blocks.append, order.append
    starts: list[int] = []  # block index at each open element's start (elements nest)
    owners: list[Any] = []  # the open block-level elements
    cells: list[bool] = []  # per open block-level element: whether it is a table cell
    rows: list[Any] = []  # the open table rows
    link_kinds: list[bool] = []  # per open <a>: whether it navigates
    pieces: list[str] = []
    link_chars = link_depth = heading_depth = 0
    count = 0  # len(blocks)
    after_break = False
    last_owner: Any = None
    punct_findall = _PUNCT_RE.findall
    kinds = _KINDS
    starts_append, starts_pop = starts.append, starts.pop
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        kind = kinds.get(tag, _INLINE)
        if not kind and not isinstance(tag, str):  # a comment, processing instruction, entity
            if event == "end" and (text := el.tail):
                pieces.append(text)
                if link_depth:
                    link_chars += len("".join(text.split()))
            continue
        start = event == "start"
        if kind >= _BLOCK or (kind == _BREAK and start):
            # The block so far ends here.
            was_after_break, after_break = after_break, False
            if pieces:
                text = " ".join("".join(pieces).split())
                block_link_chars = link_chars
                pieces, link_chars = [], 0
                if text:
                    owner = row = None
                    if owners:
                        owner = owners[-1]
                        if rows and cells[-1]:
                            row = rows[-1]
                    continues = was_after_break and owner is last_owner
                    last_owner = owner
                    chars = len(text) - text.count(" ")
                    blocks_append(
                        Block(
                            text,
                            chars,
                            min(block_link_chars, chars),
                            len(punct_findall(text)),
                            owner,
                            row,
                            heading_depth > 0,
                            continues,
                        )
                    )
                    count += 1
        if start:
            if kind:
                if kind >= _BLOCK:
                    owners.append(el)
                    cells.append(kind == _CELL)
                    if kind == _ROW:
                        rows.append(el)
                    elif kind == _HEADING:
                        heading_depth += 1
                elif kind == _BREAK:
                    after_break = True
                elif kind == _LINK:
                    # A link to an attached file is part of the article (附件：….pdf), not
                    # navigation: its text counts as the article's own.
                    navigates = not _ATTACHMENT_HREF_RE.search(el.get("href") or "")
                    link_kinds.append(navigates)
                    link_depth += navigates
            starts_append(count)
            order_append(el)
            text = el.text if kind != _BREAK else None
        else:
            if kind:
                if kind >= _BLOCK:
                    owners.pop()
                    cells.pop()
                    if kind == _ROW:
                        rows.pop()
                    elif kind == _HEADING:
                        heading_depth -= 1
                elif kind == _LINK:
                    link_depth -= link_kinds.pop()
            spans[el] = (starts_pop(), count)
            text = el.tail
        if text:
            pieces.append(text)
            if link_depth:
                link_chars += len("".join(text.split()))
    # The last block.
    if pieces:
        text = " ".join("".join(pieces).split())
        if text:
            owner = row = None
            if owners:
                owner = owners[-1]
                if rows and cells[-1]:
                    row = rows[-1]
            chars = len(text) - text.count(" ")
            blocks_append(
                Block(
                    text,
                    chars,
                    min(link_chars, chars),
                    len(punct_findall(text)),
                    owner,
                    row,
                    heading_depth > 0,
                    after_break and owner is last_owner,
                )
            )
    return out


# An inline style or attribute that hides the element: schema.org copies of the article, a
# consent layer, a template filled in later. A reader never sees them, so they are not text.
# Not visibility:hidden (WeChat hides the whole article that way until its script runs) nor
# aria-hidden (carousels mark every slide but the current one, icons and menus alike).
# Attributes, not elements: the query runs in half the time. Their .getparent() is the element.
_HIDDEN_XPATH = etree.XPath("//@style[contains(., 'none')] | //@hidden")
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none", re.I)


def drop_hidden(root: Any) -> None:
    """Remove the elements the page hides from its reader, keeping their tails."""
    for attribute in _HIDDEN_XPATH(root):
        if attribute.attrname == "style" and not _HIDDEN_STYLE_RE.search(attribute):
            continue
        el = attribute.getparent()
        parent = el.getparent() if el is not None else None
        if parent is None:
            continue
        if el.tail:
            previous = el.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)


def segment(root: Any) -> Segmented:
    """The blocks of the tree under `root`, in document order (hidden elements left out)."""
    drop_hidden(root)
    return _segment(root)


def block_lines(blocks: list[Block]) -> list[str]:
    """Blocks as paragraphs: the cells of one table row joined into one line."""
    lines: list[str] = []
    last_row = None
    for block in blocks:
        if block.row is not None and block.row is last_row and lines:
            lines[-1] = f"{lines[-1]} {block.text}"
        else:
            lines.append(block.text)
        last_row = block.row
    return lines
