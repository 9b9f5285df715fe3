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
from functools import lru_cache
from typing import Any

from tjcrawl.extract.blocks import Block, Segmented
from tjcrawl.extract.captions import CAPTION, NO_PICTURE, Pictures, credit_lines, picture_role

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

# Class/id names are matched as lower-cased words (_name_words), so these patterns are
# lower-case and case-sensitive: re.I costs five times the time here.
_UNLIKELY_RE = re.compile(
    r"disqus|reply|social|sns|foot\b|sidebar|side bar|aside|popular|hot ?news|ranking|\brank\b|"
    r"menu|navbar|\bnav\b|pagination|pager|advert|\bads?\b|banner|sponsor|promo|"
    r"subscribe|newsletter|login|signup|cookie|modal|popup|toolbar|tags?\b|widget|qrcode|"
    r"erweima",
)
# Never content, whatever else the name says (article-footer, content-recommend, post-comments).
_FURNITURE_NAME_RE = re.compile(
    r"comment|share|recommend|related|footer|copyright|breadcrumb|crumb|xiangguan|tuijian|"
    r"cookie|consent|gdpr|onetrust|privacy",
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
# A consent or privacy layer's vocabulary in the major languages; a block naming three of these
# asks the reader to accept tracking, it does not tell the story.
_CONSENT_RE = re.compile(
    r"cookie|consent|gdpr|\biab\b|\brodo\b|privacy|prywatno|datenschutz|confidentialit|"
    r"privacidad|privacidade|riservatezza|personal data|personal information|dane osobowe|"
    r"danych osobowych|personenbezogene|données personnelles|datos personales|dados pessoais|"
    r"dati personali|partner|zgod|einwillig|consentement|consentimiento|consentimento|"
    r"tracking|advertis|reklam|werbung|publicité|publicidad",
)
_LIKELY_RE = re.compile(r"article|content|main|post|story|body|text|entry|zoom|detail|zw")
_FURNITURE_TAGS = frozenset(("nav", "footer", "aside"))


LINK_PENALTY = 1.0


@dataclass
class BodyChoice:
    element: Any
    how: str
    score: float


_CAMEL_RE = re.compile(r"([a-z])([A-Z])")
_NAME_SPLIT_RE = re.compile(r"[^a-z0-9]+")


def _name_words(raw: str) -> str:
    """The class and id as lower-case words ("selectionShareable share-bar" -> "selection
    share bar"). A word ending in "able" says what may be done with the content (shareable,
    commentable), not that the element is a share or comment widget: it is left out."""
    words = _NAME_SPLIT_RE.split(_CAMEL_RE.sub(r"\1 \2", raw).lower())
    return " ".join(word for word in words if word and not word.endswith("able"))


@lru_cache(maxsize=4096)
def _name_strength(raw: str) -> tuple[int, int]:
    words = _name_words(raw)
    if not words:
        return 0, NO_PICTURE
    role = picture_role(words)
    if _FURNITURE_NAME_RE.search(words):
        return 2, role
    return int(bool(_UNLIKELY_RE.search(words)) and not _LIKELY_RE.search(words)), role


def _furniture_name(el: Any) -> tuple[int, int]:
    """2: named or tagged as furniture outright (comment, share, footer …); 1: a weaker hint
    (menu, widget, tags …) that a content-like name overrules; 0: nothing. And whether the
    element is a picture's caption or a gallery (tjcrawl.extract.captions)."""
    tag = el.tag
    if tag in _FURNITURE_TAGS:
        return 2, NO_PICTURE
    class_name, id_name = el.get("class"), el.get("id")
    if not class_name and not id_name:
        return 0, CAPTION if tag == "figcaption" else NO_PICTURE
    # Pages repeat a handful of class names over thousands of elements: read each name once.
    strength, role = _name_strength(f"{class_name or ''} {id_name or ''}")
    return strength, CAPTION if tag == "figcaption" else role


def block_weight(block: Block) -> float:
    """Positive for prose, negative for link lists and label-like scraps."""
    own = block.chars - block.link_chars
    if block.row is not None and block.link_chars <= own:
        return float(own)  # a table cell: short by nature, and tables belong to the article
    weight = own - LINK_PENALTY * block.link_chars - (0.0 if block.continues else 10.0)
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
    positive = 0.0
    for weight in raw:
        positive += max(weight, 0.0)
        positive_prefix.append(positive)
    unlikely = [False] * len(raw)
    unlikely_until = -1
    pictures = Pictures()
    for el in seg.order:
        first, end = seg.spans.get(el, (0, 0))
        if end <= first or first < unlikely_until:
            continue
        strength, role = _furniture_name(el)
        if role:
            pictures.add(role, first, end)
        if not strength or (headline is not None and first <= headline < end):
            continue
        holds_prose = positive_prefix[end] - positive_prefix[first] > max(100.0, 0.5 * positive)
        if holds_prose and (strength == 1 or headline is None):
            continue
        for i in range(first, end):
            unlikely[i] = True
        unlikely_until = end
    prefix = [0.0]
    page_end = _page_end(seg, headline, positive_prefix)
    teaser = _teasers(seg)
    more = _more_stories(seg)
    total = 0.0
    for index, (block, weight, bad) in enumerate(zip(seg.blocks, raw, unlikely, strict=True)):
        outside = (headline is not None and index < headline) or index >= page_end
        furniture = bad or teaser[index] or more[index] or _is_consent(block) or outside
        block.furniture = furniture
        block.weight = weight = -abs(weight) - 5.0 if furniture else weight
        total += weight
        prefix.append(total)
    # A caption or credit is left out of the body without weighing against the element that
    # holds it: pictures belong to articles.
    for index in (*credit_lines(seg), *pictures.gallery_captions(seg)):
        seg.blocks[index].furniture = True
    return prefix


# Every word of _CONSENT_RE holds an ASCII letter: a line without one (most Chinese lines) needs
# no scan by its many alternatives.
_ASCII_LETTER_RE = re.compile(r"[a-z]")


def _is_consent(block: Block) -> bool:
    if block.chars < 40 or block.punct == 0:
        return False
    text = block.text.lower()
    if not _ASCII_LETTER_RE.search(text):
        return False
    return len({m[:5] for m in _CONSENT_RE.findall(text)}) >= 3


def _page_end(seg: Segmented, headline: int | None, positive_prefix: list[float]) -> int:
    """The index of the page's copyright line after the headline (or the end).

    A copyright line with most of the page's prose still below it is not the page's end but
    a menu's or a header's small print (a side drawer printed before the article)."""
    total = positive_prefix[-1]
    for index in range(headline or 0, len(seg.blocks)):
        block = seg.blocks[index]
        if (
            block.chars <= 120
            and total - positive_prefix[index] < 0.5 * total
            and _PAGE_END_RE.search(block.text)
        ):
            return index
    return len(seg.blocks)


def _more_stories(seg: Segmented) -> list[bool]:
    """Blocks under a "related stories" heading, to the end of the element that holds it."""
    marked = [False] * len(seg.blocks)
    for index, block in enumerate(seg.blocks):
        if block.chars > 20 or not _MORE_STORIES_RE.match(block.text):
            continue
        marked[index] = True
        holder = block.owner
        while holder is not None:
            end = seg.spans.get(holder, (0, 0))[1]
            if end > index + 1:
                # A heading whose own box is empty (its list loads later) climbs to the
                # article's element: what follows it there is prose, not linked headlines.
                after = seg.blocks[index + 1 : end]
                chars = sum(b.chars for b in after)
                links = sum(b.link_chars for b in after)
                headlines = sum(1 for b in after if b.link_chars * 2 > b.chars)
                if chars <= 200 or links * 2 >= chars or headlines >= 3:
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


_CONTAINER_IDS = frozenset(name for attr, name in DOCUMENTED_CONTAINERS if attr == "id")
_CONTAINER_CLASSES = frozenset(name for attr, name in DOCUMENTED_CONTAINERS if attr == "class")
# XPath's normalize-space() splits on these four only (not on U+00A0, U+3000 …).
_XML_SPACE_RE = re.compile(r"[ \t\n\r]+")


def _names_a_container(el: Any) -> bool:
    """Whether `el` would match ``@id='…' or contains(concat(' ', normalize-space(@class),
    ' '), ' … ')`` for one of DOCUMENTED_CONTAINERS (the XPath this pass replaces)."""
    id_name = el.get("id")
    if id_name is not None and id_name in _CONTAINER_IDS:
        return True
    class_name = el.get("class")
    return bool(class_name) and not _CONTAINER_CLASSES.isdisjoint(_XML_SPACE_RE.split(class_name))


def documented_container(
    seg: Segmented, root: Any, page_text: str | None = None, min_chars: int = 20
) -> Any | None:
    """The first documented container (in DOCUMENTED_CONTAINERS order) holding some text.

    `page_text`, the page's source, lets a page that names none of them skip the search. The
    elements are those the segmentation walked (`seg.order`, every element under `root` in
    document order): a Python pass over them took a quarter of the time of one XPath query
    over the tree."""
    if page_text is not None and not any(name in page_text for _, name in DOCUMENTED_CONTAINERS):
        return None
    found = [el for el in seg.order if _names_a_container(el)]
    if not found:
        return None
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


CORE_SHARE = 0.6


def trim_to_core(seg: Segmented, kept: list[int], element: Any) -> list[int]:
    """The body without what stands before its paragraphs' own element: the standfirst, the
    byline, the date line and the lead picture's caption sit between the headline and the
    paragraphs, outside the element that holds most of the text."""
    if not kept:
        return kept
    held: dict[Any, int] = {}
    depth: dict[Any, int] = {}
    for index in kept:
        chars = seg.blocks[index].chars
        el, level = seg.blocks[index].owner, 0
        chain = []
        while el is not None and el is not element:
            chain.append(el)
            el = el.getparent()
        for level, ancestor in enumerate(reversed(chain)):
            held[ancestor] = held.get(ancestor, 0) + chars
            depth[ancestor] = level
    total = sum(seg.blocks[i].chars for i in kept)
    core = None
    for ancestor, chars in held.items():
        if chars >= CORE_SHARE * total and (core is None or depth[ancestor] > depth[core]):
            core = ancestor
    if core is None:
        return kept
    first, end = seg.spans.get(core, (0, 0))
    return [i for i in kept if first <= i < end or not _lead_in(seg.blocks[i])]


_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")

_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def _lead_in(block: Block) -> bool:
    """A line that introduces the article rather than being part of it: a byline, a date
    line, a credit, a one-sentence standfirst. A list item or a punctuated paragraph is text."""
    if block.owner is not None and block.owner.tag == "li":
        return False
    if block.chars <= 80 and _YEAR_RE.search(block.text):
        return True  # a date line: its commas and full stops are not sentences
    if len(_CJK_RE.findall(block.text)) * 2 > block.chars:
        return block.punct == 0  # a Chinese caption or verse line is short but punctuated
    return block.punct <= 1 and block.chars < 250
