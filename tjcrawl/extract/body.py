"""Which element holds the article: a documented container, else the best-scoring subtree.

Each block gets a weight: prose (long, punctuated, few links) counts for, furniture (links,
short label-like lines) against. An element's score is the sum over the blocks it holds, so
the element with the highest score is the smallest one that takes in the prose without
taking in much furniture: widening past the article adds the menus' negative weight,
narrowing loses paragraphs. Class and id names that say "comment", "share", "footer" … turn a
block's weight negative (generic words, the way readability reads them; no site's names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from tjcrawl.extract.blocks import Block, Segmented

# The Tianjin TRS templates' body containers (shared/real-markup.md, §1 and "General
# conventions" 6), in the order a page is most likely to be specific about.
DOCUMENTED_CONTAINERS: tuple[tuple[str, str], ...] = (
    ("id", "zoom"),
    ("id", "xlrllt"),
    ("class", "TRS_Editor"),
    ("class", "TRS_PreAppend"),
    ("class", "TRS_UEDITOR"),
    ("class", "xw-txt"),
    ("class", "details-main-content"),
    ("class", "common-content"),
    ("class", "article_content"),
    ("class", "page_info"),
)

_UNLIKELY_RE = re.compile(
    r"disqus|reply|social|sns|foot\b|sidebar|side-bar|aside|popular|hot-?news|ranking|rank-|"
    r"menu|navbar|nav-|\bnav\b|pagination|pager|advert|\bads?\b|ad-|banner|sponsor|promo|"
    r"subscribe|newsletter|login|signup|cookie|modal|popup|toolbar|tags?\b|widget|qrcode|"
    r"erweima",
    re.I,
)
# Never content, whatever else the name says (article-footer, content-recommend, post-comments).
_FURNITURE_NAME_RE = re.compile(
    r"comment|share|recommend|related|footer|copyright|breadcrumb|crumb|xiangguan|tuijian|"
    r"cookie|consent|gdpr|onetrust|privacy",
    re.I,
)
# The page's own footer line: what follows it (a cookie notice, a modal) is not the article.
_PAGE_END_RE = re.compile(r"(©|\(c\)|copyright)\s*(\d{4})|版权所有|ICP备|all rights reserved", re.I)
# A heading over other stories: the article ended above it.
_MORE_STORIES_RE = re.compile(
    r"^(相关(阅读|新闻|文章|推荐|链接|报道)|推荐阅读|延伸阅读|热门(推荐|文章|新闻)|猜你喜欢|"
    r"你可能(还|還)(想看|喜欢|喜歡)|更多(阅读|新闻|精彩)|热点推荐|精彩推荐|"
    r"related (articles|stories|posts|content)|more stories|you may also like|"
    r"you might also like|recommended for you|most popular)"
    r"\s*[:：]?$",
    re.I,
)
_LIKELY_RE = re.compile(r"article|content|main|post|story|body|text|entry|zoom|detail|zw", re.I)
_FURNITURE_TAGS = frozenset(("nav", "footer", "aside"))


LINK_PENALTY = 1.0


@dataclass
class BodyChoice:
    element: Any
    how: str
    score: float


def _attr_words(el: Any) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def _furniture_name(el: Any) -> int:
    """2: named or tagged as furniture outright (comment, share, footer …); 1: a weaker hint
    (menu, widget, tags …) that a content-like name overrules; 0: nothing."""
    if el.tag in _FURNITURE_TAGS:
        return 2
    words = _attr_words(el)
    if not words.strip():
        return 0
    if _FURNITURE_NAME_RE.search(words):
        return 2
    return int(bool(_UNLIKELY_RE.search(words)) and not _LIKELY_RE.search(words))


def block_weight(block: Block) -> float:
    """Positive for prose, negative for link lists and label-like scraps."""
    own = block.chars - block.link_chars
    if block.row is not None and block.link_chars <= own:
        return float(own)  # a table cell: short by nature, and tables belong to the article
    weight = own - LINK_PENALTY * block.link_chars - 10.0
    if block.punct and own > 0:
        weight += 5.0 * min(block.punct, own / 10)
    return weight


def weigh(seg: Segmented, headline: int | None = None) -> list[float]:
    """Each block's weight, unlikely subtrees made negative; returns the prefix sums.

    Text above the headline (a cookie notice, a teaser of another story) is not the article:
    its weight turns negative too.

    A wrapper named like furniture but holding the headline, or most of the page's prose (a
    whole article inside class="breadcrumb" or "widget" happens) keeps its weights: the name
    lied.
    """
    raw = [block_weight(block) for block in seg.blocks]
    positive_prefix = [0.0]  # prose weight only, to see where the prose is
    for weight in raw:
        positive_prefix.append(positive_prefix[-1] + max(weight, 0.0))
    positive = positive_prefix[-1]
    unlikely = [False] * len(raw)
    unlikely_until = -1
    for el in seg.order:
        first, end = seg.spans.get(el, (0, 0))
        if end <= first or first < unlikely_until:
            continue
        strength = _furniture_name(el)
        if not strength or (headline is not None and first <= headline < end):
            continue
        holds_prose = positive_prefix[end] - positive_prefix[first] > max(100.0, 0.5 * positive)
        if holds_prose and (strength == 1 or headline is None):
            continue
        for i in range(first, end):
            unlikely[i] = True
        unlikely_until = end
    prefix = [0.0]
    page_end = _page_end(seg, headline)
    teaser = _teasers(seg)
    more = _more_stories(seg)
    for index, (block, weight, bad) in enumerate(zip(seg.blocks, raw, unlikely, strict=True)):
        outside = (headline is not None and index < headline) or index >= page_end
        bad = bad or teaser[index] or more[index]
        block.furniture = bad or outside
        block.weight = -abs(weight) - 5.0 if block.furniture else weight
        prefix.append(prefix[-1] + block.weight)
    return prefix


def _page_end(seg: Segmented, headline: int | None) -> int:
    """The index of the page's copyright line after the headline (or the end)."""
    for index in range(headline or 0, len(seg.blocks)):
        block = seg.blocks[index]
        if block.chars <= 120 and _PAGE_END_RE.search(block.text):
            return index
    return len(seg.blocks)


def _more_stories(seg: Segmented) -> list[bool]:
    """Blocks under a "related stories" heading, to the end of the element that holds it."""
    marked = [False] * len(seg.blocks)
    for index, block in enumerate(seg.blocks):
        if block.chars > 20 or not _MORE_STORIES_RE.match(block.text):
            continue
        holder = block.owner
        while holder is not None:
            end = seg.spans.get(holder, (0, 0))[1]
            if end > index + 1:
                for i in range(index, end):
                    marked[i] = True
                break
            holder = holder.getparent()
    return marked


def _teasers(seg: Segmented) -> list[bool]:
    """Blocks of list items that hold a headline link: a list of other stories, each with a
    summary, is not prose of this page however punctuated the summaries are."""
    teaser = [False] * len(seg.blocks)
    for el in seg.order:
        if el.tag != "li":
            continue
        first, end = seg.spans.get(el, (0, 0))
        if not 2 <= end - first <= 8:
            continue
        if any(b.chars >= 8 and b.link_chars > b.chars / 2 for b in seg.blocks[first:end]):
            for i in range(first, end):
                teaser[i] = True
    return teaser


def _class_test(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# One compiled query for every container (a Python loop per container cost 15 % of the time).
_CONTAINERS_XPATH = etree.XPath(
    "//*["
    + " or ".join(
        f"@id='{name}'" if attr == "id" else _class_test(name)
        for attr, name in DOCUMENTED_CONTAINERS
    )
    + "]"
)


def documented_container(seg: Segmented, root: Any, min_chars: int = 20) -> Any | None:
    """The first documented container (in DOCUMENTED_CONTAINERS order) holding some text."""
    found = _CONTAINERS_XPATH(root)
    for attr, name in DOCUMENTED_CONTAINERS:
        for el in found:
            value = el.get(attr) or ""
            named = (value == name) if attr == "id" else (name in value.split())
            if named and sum(seg.blocks[i].chars for i in seg.inside(el)) >= min_chars:
                return el
    return None


def best_subtree(seg: Segmented, prefix: list[float]) -> BodyChoice | None:
    best, best_score = None, 0.0
    best_span = (0, 0)
    for el in seg.order:
        first, end = seg.spans.get(el, (0, 0))
        if end <= first:
            continue
        score = prefix[end] - prefix[first]
        if score > best_score or (
            score == best_score
            and best is not None
            and best_span[0] <= first
            and end <= best_span[1]
        ):
            best, best_score, best_span = el, score, (first, end)
    if best is None:
        return None
    return BodyChoice(best, "density", best_score)
