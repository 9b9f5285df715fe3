"""Title, publish date, origin (来源) and author of an article page, each with how it was found.

Chinese government pages state them in meta tags (ArticleTitle, PubDate, ContentSource) and in
a line under the headline (发布时间：… 来源：… 作者：…); news sites in Open Graph / schema.org
tags. Where neither says, the date is the one nearest the headline: the first date in the text
is as often a date in the navigation, a related link or the article's own subject.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from tjcrawl.clock import SHANGHAI
from tjcrawl.dates import ParsedDate, date_from_url, parse_date
from tjcrawl.extract.blocks import Block

# Meta names for the publish date, most specific first (lower-cased name/property/itemprop).
DATE_META_KEYS = (
    "pubdate",
    "publishdate",
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "publish_date",
    "publish-date",
    "publication_date",
    "publishdate_time",
    "article.published",
    "dc.date.issued",
    "dc.date",
    "dcterms.date",
    "sailthru.date",
    "parsely-pub-date",
    "og:release_date",
    "date",
)
TITLE_META_KEYS = ("articletitle", "og:title", "twitter:title", "headline")
ORIGIN_META_KEYS = ("contentsource", "source", "og:site_name")
AUTHOR_META_KEYS = ("author", "article:author", "dc.creator", "byl")

_JSONLD_DATE_RE = re.compile(r'"datePublished"\s*:\s*"([^"]{6,40})"')
_TITLE_SPLIT_RE = re.compile(r"\s*(?:[_|｜]|\s-\s|\s–\s|\s—\s|--|——)\s*")
_DATE_LABEL = (
    r"(?:发布时间|发布日期|发文日期|成文日期|发表时间|发表日期|时间|日期|发布于|发表于|"
    r"Published|Posted|Updated)"
)
_ABS_DATE = (
    r"(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:\s*\d{1,2}\s*[:：时]\s*\d{1,2}(?:\s*[:：分]\s*\d{1,2})?)?)"
)
_REL_DATE = r"(?:\d+\s*(?:秒|分钟|小时|天)前|刚刚|(?:昨天|前天|今天)\s*(?:\d{1,2}[:：]\d{2})?)"
_LABELLED_DATE_RE = re.compile(rf"{_DATE_LABEL}\s*[:：]?\s*({_ABS_DATE}|{_REL_DATE})", re.I)
_ANY_DATE_RE = re.compile(rf"(?<!\d){_ABS_DATE}(?!\d)|{_REL_DATE}")
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            "jan january", "feb february", "mar march", "apr april", "may", "jun june",
            "jul july", "aug august", "sep sept september", "oct october", "nov november",
            "dec december",
        )
    )
    for m in names.split()
}  # fmt: skip
_EN_DATE_RE = re.compile(
    r"\b(?:(?P<d1>\d{1,2})\s+(?P<m1>[A-Z][a-z]{2,8})\.?,?\s+(?P<y1>\d{4})"
    r"|(?P<m2>[A-Z][a-z]{2,8})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4}))\b"
)
_URL_EXTRA_DATE_RES = (
    re.compile(r"/(?P<y>20\d{2})(?P<m>\d{2})(?P<d>\d{2})/"),
    re.compile(r"/(?P<y>20\d{2})-(?P<m>\d{2})/(?P<d>\d{2})/"),
    re.compile(r"/(?P<y>20\d{2})(?P<m>\d{2})/(?P<d>\d{2})/"),
    re.compile(r"/(?P<y>20\d{2})/(?P<m>\d{2})(?P<d>\d{2})/"),
    re.compile(r"[/-](?P<y>20\d{2})-(?P<m>\d{2})-(?P<d>\d{2})[/-]"),
    re.compile(r"/(?P<y2>\d{2})(?P<m>\d{2})(?P<d>\d{2})/"),
)
_ORIGIN_RE = re.compile(
    r"(?:信息来源|文章来源|来源|稿源|出处)\s*[:：]\s*([^\s|｜,，:：]{2,40}?)"
    r"(?=\s|$|[|｜,，]|作者|记者|编辑|责任|发布|时间|日期|浏览|字号|阅读|点击)"
)
_AUTHOR_RE = re.compile(
    r"(?:作者|记者|撰稿人|撰稿|文)\s*[:：/]\s*([^\s|｜,，:：]{2,30}?)"
    r"(?=\s|$|[|｜,，]|来源|编辑|责任|发布|时间|日期|浏览|字号)"
)
_EN_BY_RE = re.compile(r"^By\s+([A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})")
# A date line about something else: a recommended article, a comment, the next story.
_OTHER_ITEM_RE = re.compile(
    r"推荐|相关|热门|跟贴|评论|回复|上一篇|下一篇|recommended|related", re.I
)
_PROSE_PUNCT_RE = re.compile(r"[，。；！？]")
NEAR_TITLE = 12
TITLE_SEARCH_BLOCKS = 3000  # a headline stands above the body; past this only headings count
BEFORE_TITLE = 3  # blocks: how far from the headline a metadata line is looked for


@dataclass(frozen=True)
class Found:
    value: Any
    how: str
    text: str | None = None  # the text a date was read from ("3天前" resolves by fetch time)


def read_meta(root: Any) -> dict[str, str]:
    """Meta tags by lower-cased name/property/itemprop (the first of each), and JSON-LD dates."""
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        key = el.get("name") or el.get("property") or el.get("itemprop") or el.get("http-equiv")
        content = el.get("content")
        if key and content and content.strip():
            meta.setdefault(key.strip().lower(), content.strip())
    for el in root.iter("time"):
        if el.get("itemprop", "").lower() == "datepublished" and el.get("datetime"):
            meta.setdefault("datepublished", el.get("datetime"))
    for el in root.iter("script"):
        if (el.get("type") or "").lower() == "application/ld+json" and el.text:
            match = _JSONLD_DATE_RE.search(el.text)
            if match:
                meta.setdefault("datepublished", match.group(1))
    for el in root.iter("title"):
        text = " ".join("".join(el.itertext()).split())
        if text:
            meta.setdefault("<title>", text)
            break
    return meta


# ------------------------------------------------------------------ title
# Exactly the characters for which str.isalnum() is false (checked over every code point).
_NOT_ALNUM_RE = re.compile(r"[\W_]+")


def _loose(text: str) -> str:
    """The text's letters and digits, NFKC-normalised and lower-cased."""
    return _NOT_ALNUM_RE.sub("", unicodedata.normalize("NFKC", text)).lower()


_WORD_RE = re.compile(r"\w+")
# Short words say little about which heading is the headline.
_MIN_WORD_CHARS = 3


def _words(text: str) -> set[str]:
    return {
        w
        for w in _WORD_RE.findall(unicodedata.normalize("NFKC", text).lower())
        if len(w) >= _MIN_WORD_CHARS
    }


def _shares_most_words(heading: str, title_words: set[str]) -> bool:
    """Whether an <h1> says the title in other words ("Homemade Spiced Honey Pear Jam for the
    Holidays" for "Spiced Honey Pear Jam Recipe"): most of the title's words are in it."""
    if len(title_words) < 3:
        return False  # Chinese titles have no spaces; a two-word title matches too easily
    return len(_words(heading) & title_words) >= 0.6 * len(title_words)


def _title_parts(title: str) -> list[str]:
    parts = [p for p in _TITLE_SPLIT_RE.split(title) if p.strip()]
    return sorted(parts, key=len, reverse=True)


def find_title(blocks: list[Block], meta: dict[str, str]) -> tuple[Found | None, int | None]:
    """The headline and the index of its block: a heading (or any short block) that the page's
    meta/<title> names, else the best meta title."""
    references = [_loose(meta[k]) for k in (*TITLE_META_KEYS, "<title>") if meta.get(k)]
    references = [r for r in references if len(r) >= 2]
    # "Headline - Site name": the first part of a split <title> is the likeliest headline.
    parts = [_loose(p) for p in _TITLE_SPLIT_RE.split(meta.get("<title>", ""))]
    parts = [p for p in parts if len(p) >= 2]
    best: tuple[float, int] | None = None
    longest = max((len(r) for r in references), default=0) + 10
    # The first part of each title ("Headline | Site"), as words.
    title_words = [
        _words(_TITLE_SPLIT_RE.split(meta[k])[0])
        for k in (*TITLE_META_KEYS, "<title>")
        if meta.get(k)
    ]
    for index, block in enumerate(blocks):
        if not 2 <= block.chars <= min(200, longest):
            continue
        # A link is not the headline, except a heading that links to its own page (blogs).
        if block.link_chars > block.chars / 2 and not block.heading:
            continue
        if index > TITLE_SEARCH_BLOCKS and not block.heading:
            continue
        loose = _loose(block.text)
        if len(loose) < 2:
            continue
        score = 0.0
        for ref in references:
            if loose == ref:
                score = max(score, 3.0)
            elif ref.startswith(loose) and len(loose) >= 0.4 * len(ref):
                score = max(score, 2.0 + len(loose) / len(ref) / 2)
            elif loose in ref and len(loose) >= 0.4 * len(ref) and len(loose) >= 4:
                score = max(score, 1.5)
        if parts and loose == parts[0]:
            score = max(score, 2.6)
        elif loose in parts:
            score = max(score, 2.2)
        # The page's <h1> in other words beats a later heading that repeats the title more
        # literally (a recipe card's or a video box's title): still below an exact match.
        if (
            score < 2.2
            and block.owner is not None
            and block.owner.tag == "h1"
            and any(_shares_most_words(block.text, words) for words in title_words)
        ):
            score = 2.2
        if not score:
            continue
        if block.heading:
            score += 1.0
        if block.owner is not None and block.owner.tag == "h1":
            score += 0.5
        if best is None or score > best[0]:
            best = (score, index)
    if best is not None:
        block = blocks[best[1]]
        how = "headline" if block.heading else "block naming the <title>"
        return Found(block.text, how), best[1]
    for key in TITLE_META_KEYS:
        if meta.get(key):
            return Found(meta[key], f"meta {key}"), None
    if meta.get("<title>"):
        parts = _title_parts(meta["<title>"])
        return Found(parts[0] if parts else meta["<title>"], "<title>"), None
    headings = [i for i, b in enumerate(blocks) if b.heading and b.chars >= 4]
    if headings:
        return Found(blocks[headings[0]].text, "first heading"), headings[0]
    return None, None


# ------------------------------------------------------------------ dates
def _iso_date(text: str) -> ParsedDate | None:
    """ISO 8601 with a zone (meta tags, JSON-LD), moved to Shanghai time."""
    value = text.strip()
    if "T" not in value[:20]:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return ParsedDate(moment.astimezone(SHANGHAI), "second" if moment.second else "minute")


def parse_any_date(text: str, fetched_at: datetime | None) -> ParsedDate | None:
    found = _iso_date(text) or parse_date(text, fetched_at)
    if found is not None:
        return found
    match = _EN_DATE_RE.search(text)
    if match:
        month = _MONTHS.get((match["m1"] or match["m2"]).lower())
        year = int(match["y1"] or match["y2"])
        day = int(match["d1"] or match["d2"])
        if month:
            try:
                return ParsedDate(datetime(year, month, day, tzinfo=SHANGHAI), "day")
            except ValueError:
                return None
    return None


def _plausible(found: ParsedDate | None, fetched_at: datetime | None) -> bool:
    if found is None:
        return False
    if found.value.year < 1990:
        return False
    return not (fetched_at is not None and found.value.date() > fetched_at.date())


def _url_date(url: str) -> ParsedDate | None:
    found = date_from_url(url)
    if found is not None:
        return found
    for pattern in _URL_EXTRA_DATE_RES:
        match = pattern.search(url)
        if match:
            year = int(match["y"]) if "y" in pattern.groupindex else 2000 + int(match["y2"])
            try:
                day = date(year, int(match["m"]), int(match["d"]))
            except ValueError:
                continue
            return ParsedDate(datetime(day.year, day.month, day.day, tzinfo=SHANGHAI), "day")
    return None


def _by_distance(blocks: list[Block], anchor: int, limit: int) -> tuple[int, ...]:
    """Block indexes around `anchor`, nearest first; after the anchor before before it."""
    return _indexes_by_distance(len(blocks), anchor, limit)


@lru_cache(maxsize=1024)
def _indexes_by_distance(count: int, anchor: int, limit: int) -> tuple[int, ...]:
    # Pages of one site share their counts and headline positions: computed once for many.
    order = []
    for distance in range(0, limit + 1):
        for index in (anchor + distance, anchor - distance) if distance else (anchor,):
            if 0 <= index < count:
                order.append(index)
    return tuple(order)


def find_date(
    blocks: list[Block],
    meta: dict[str, str],
    anchor: int | None,
    url: str | None,
    fetched_at: datetime | None,
) -> Found | None:
    for key in DATE_META_KEYS:
        text = meta.get(key)
        if text:
            found = parse_any_date(text, fetched_at)
            if _plausible(found, fetched_at):
                return Found(found, f"meta {key}", text)
    start = anchor if anchor is not None else 0
    near = _by_distance(blocks, start, NEAR_TITLE * 4)
    for index in near:
        block = blocks[index]
        if block.chars > 300 or _OTHER_ITEM_RE.search(block.text):
            continue
        match = _LABELLED_DATE_RE.search(block.text)
        if match:
            found = parse_any_date(match.group(1), fetched_at)
            if _plausible(found, fetched_at):
                return Found(found, "labelled line near the title", match.group(1))
    # An unlabelled date: in a line at most a few blocks above the headline (above that is the
    # page header, which may show today's date) or below it, and not in a sentence (a date
    # followed by "，" is an event the text reports).
    for index in near:
        block = blocks[index]
        if index < start - BEFORE_TITLE or _OTHER_ITEM_RE.search(block.text[:60]):
            continue
        if _PROSE_PUNCT_RE.search(block.text):
            continue
        text = block.text if block.chars <= 300 else block.text[:120]
        match = _ANY_DATE_RE.search(text) or _EN_DATE_RE.search(text)
        # A linked line is a related story's date, unless the line is little but the date.
        if match and block.link_chars > block.chars / 2 and len(match.group(0)) < 0.4 * len(text):
            continue
        if match:
            found = parse_any_date(match.group(0), fetched_at)
            if _plausible(found, fetched_at):
                return Found(found, "date nearest the title", match.group(0))
    if url:
        found = _url_date(url)
        if found is not None:
            return Found(found, "URL")
    return None


# ------------------------------------------------------------------ origin, author
def _labelled(
    blocks: list[Block], anchor: int | None, pattern: re.Pattern[str], body: range
) -> str | None:
    candidates = _by_distance(blocks, anchor if anchor is not None else body.start, NEAR_TITLE)
    for index in candidates:
        block = blocks[index]
        if block.chars > 120:
            continue
        match = pattern.search(block.text)
        if match:
            return match.group(1).strip()
    return None


def find_origin(
    blocks: list[Block], meta: dict[str, str], anchor: int | None, body: range
) -> Found | None:
    if text := _labelled(blocks, anchor, _ORIGIN_RE, body):
        return Found(text, "来源 line")
    if meta.get("contentsource"):
        return Found(meta["contentsource"], "meta ContentSource")
    return None


def find_author(
    blocks: list[Block], meta: dict[str, str], anchor: int | None, body: range
) -> Found | None:
    if text := _labelled(blocks, anchor, _AUTHOR_RE, body):
        return Found(text, "作者 line")
    for key in AUTHOR_META_KEYS:
        value = meta.get(key)
        if value and not value.startswith(("http", "{", "[")):
            return Found(value, f"meta {key}")
    for index in list(body)[:3]:
        match = _EN_BY_RE.match(blocks[index].text)
        if match:
            return Found(match.group(1), "byline")
    return None
