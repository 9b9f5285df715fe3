"""The generic extractor: one detail page in, its article out, without a profile.

    article = extract_article(raw_bytes, url, fetched_at=...)
    article.no_article      # None, or why the page holds no article (a listing, an error page …)
    article.title, article.published_at, article.body, article.origin, article.author,
    article.attachments, article.how    # how: field -> where it was found

Measured against trafilatura and readability-lxml on real pages labelled by others
(bench/extraction.py, docs/benchmarks.md): a single pass of lxml plus a block scoring that
knows Chinese punctuation and the Tianjin TRS containers. Any input gives an Article, never an
exception: the bytes may be binary, empty, broken, nested 10,000 deep or carry NUL bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from tjcrawl.encoding import EncodingChoice, choose_encoding
from tjcrawl.extract.blocks import Block, Segmented, block_lines, segment
from tjcrawl.extract.body import best_subtree, documented_container, trim_to_core, weigh
from tjcrawl.extract.boilerplate import is_boilerplate_line
from tjcrawl.extract.fields import is_attachment_link
from tjcrawl.extract.meta import find_author, find_date, find_origin, find_title, read_meta
from tjcrawl.text import clean_paragraphs

# Removed before reading text: never article prose (their text is code or widget labels).
_DROPPED_TAGS = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "select", "option",
    "button", "input", "textarea", "svg", "canvas", "head", "link", "meta", "map", "audio",
    "video", "source", "dialog",
)  # fmt: skip
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BINARY_SIGNATURES = {
    b"%PDF": "PDF",
    b"PK\x03\x04": "ZIP/Office",
    b"\x89PNG": "PNG",
    b"GIF8": "GIF",
    b"\xff\xd8\xff": "JPEG",
    b"\xd0\xcf\x11\xe0": "Office (OLE)",
    b"\x1f\x8b": "gzip",
    b"Rar!": "RAR",
    b"7z\xbc\xaf": "7z",
}
# Lines that are page furniture wherever they stand (the footer, the tool bar under the text).
_FURNITURE_LINE_RE = re.compile(
    r"版权所有|ICP备|ICP证|公网安备|网站标识码|网站地图|主办单位|承办单位|技术支持|"
    r"^[【\[]?(打印本页|打印|关闭窗口|关闭|返回顶部|收藏|字号)|"
    r"字号\s*[:：]?\s*[【\[]?\s*[大中小]|[【\[]\s*(打印|关闭)|"
    r"^(分享到|分享|扫一扫)|^[【\[（(]?\s*责任编辑\s*[:：]|"
    r"^(上一篇|下一篇)\s*[:：]|Copyright|All Rights Reserved|^©",
    re.I,
)
# A short line that only carries metadata (发布时间：… 来源：… 浏览次数：…), not prose.
_META_LINE_RE = re.compile(
    r"(发布时间|发布日期|发文日期|来源|信息来源|稿源|作者|浏览次数|浏览|点击|阅读数|"
    r"责任编辑|编辑|字号)\s*[:：]"
)
MIN_ARTICLE_CHARS = 30
LISTING_MIN_LINKS = 10
# Past this much text a page is cut: no article is that long, and the work grows with the page.
MAX_TEXT_CHARS = 2_000_000
_ERROR_PAGE_RE = re.compile(
    r"\b404\b|not found|页面不存在|找不到|出错了|访问出错|无法访问|登录|登陆|log ?in|sign ?in",
    re.I,
)


@dataclass
class Article:
    title: str | None = None
    published_at: datetime | None = None
    date_precision: str | None = None
    date_text: str | None = None  # the text the date was read from, as the page states it
    paragraphs: list[str] = field(default_factory=list)
    origin: str | None = None
    author: str | None = None
    attachments: list[dict[str, str]] = field(default_factory=list)
    how: dict[str, str] = field(default_factory=dict)
    no_article: str | None = None  # why the page holds no article; None when it does

    @property
    def body_text(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def body(self) -> str:
        return self.body_text


def decode_page(raw: bytes | str, encoding: str | None = None) -> str:
    """The page's text as tjcrawl's crawl would decode it (tjcrawl.encoding)."""
    if isinstance(raw, str):
        return raw
    return _decode(raw, choose_encoding(raw, None, forced=encoding))


def _decode(raw: bytes, choice: EncodingChoice) -> str:
    try:
        return raw.decode(choice.used, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def _binary_kind(raw: bytes) -> str | None:
    head = raw[:8]
    for signature, kind in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            return kind
    sample = raw[:4096]
    if sample and sample.count(0) > len(sample) // 20:
        return "binary data"
    return None


def has_control(text: str) -> bool:
    return _CONTROL_RE.search(text) is not None


def parse_html(text: str) -> Any | None:
    """An lxml tree of any text, or None when there is nothing to parse."""
    text = _CONTROL_RE.sub("", text)
    if not text.strip():
        return None
    parser = etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=True
    )
    try:
        return etree.fromstring(text.encode("utf-8", errors="replace"), parser)
    except (etree.ParserError, ValueError):
        return None


def _body_blocks(seg: Segmented, element: Any, title_index: int | None) -> list[int]:
    kept: list[int] = []
    span = seg.inside(element)
    for index in span:
        block = seg.blocks[index]
        if title_index is not None and index <= title_index:
            continue  # the headline and what stands above it (a breadcrumb) are not the body
        if block.furniture or block.link_chars > block.chars / 2:
            continue
        if block.chars <= 120 and _FURNITURE_LINE_RE.search(block.text):
            continue
        if is_boilerplate_line(block.text, block.chars):
            continue
        if block.chars <= 100 and block.punct <= 3 and _META_LINE_RE.search(block.text):
            continue
        kept.append(index)
    return kept


def _attachments(element: Any, url: str | None) -> list[dict[str, str]]:
    found: dict[str, str] = {}
    for anchor in element.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or not is_attachment_link(href, url):
            continue
        target = urljoin(url, href) if url else href
        found.setdefault(target, " ".join("".join(anchor.itertext()).split()))
    return [{"url": target, "text": text} for target, text in found.items()]


#: A line that sends the reader to the files: 详见附件, 附件下载, 附件1：…
_SEE_ATTACHMENT_RE = re.compile(
    r"详见附件|见附件|附件下载|下载附件|附件\s*[0-9一二三四五六七八九十]*\s*[:：]"
)


def _see_the_attachment(seg: Segmented, root: Any, url: str | None) -> Article | None:
    """A page whose text is only "详见附件" and the links to its files (a policy published
    as a PDF): its article is those lines, as the page says them, and its files. None when the
    page has no such line or no file link."""
    lines = [b.text for b in seg.blocks if b.chars <= 80 and _SEE_ATTACHMENT_RE.search(b.text)]
    files = _attachments(root, url)
    if not lines or not files:
        return None
    return Article(paragraphs=clean_paragraphs(lines), attachments=files)


def _link_lines(seg: Segmented) -> int:
    """Lines that are a headline-length link: a listing's entries."""
    return sum(1 for b in seg.blocks if b.link_chars > b.chars / 2 and 6 <= b.chars <= 80)


def extract_article(
    page: bytes | str,
    url: str | None = None,
    *,
    fetched_at: datetime | None = None,
    encoding: str | None = None,
    tree: Any | None = None,
) -> Article:
    """The article on one detail page; `no_article` says why there is none.

    `tree` is the page already parsed from `page` (decoded text) by lxml's HTML parser, such as
    a Scrapy response's ``selector.root``: a crawl has that tree anyway, and parsing the page a
    second time cost a tenth of the extraction. The tree is changed (scripts, styles and the
    head are cut), so hand it over when nothing else reads it any more. The article is the
    same as without a tree: a page past MAX_TEXT_CHARS, or with control characters, is parsed
    anew all the same."""
    if isinstance(page, bytes):
        if not page.strip():
            return Article(no_article="empty page")
        if kind := _binary_kind(page):
            return Article(no_article=f"binary content ({kind}), not an HTML page")
        choice = choose_encoding(page, None, forced=encoding)
        if choice.undecodable and encoding is None:
            # What a crawl refuses to archive (tjcrawl.encoding): no encoding reads it as text.
            return Article(no_article="binary content (no encoding decodes it), not an HTML page")
        text = _decode(page, choice)
    else:
        text = page
    truncated = len(text) > MAX_TEXT_CHARS
    # A page with control characters is parsed anew: parse_html drops them, another parser may
    # have kept them in the tree's text.
    if tree is not None and isinstance(page, str) and not truncated and not has_control(text):
        root = tree if text.strip() else None
        if root is not None:
            # As parse_html's parser does: the tree walk sees no comment, and would lose the
            # text that follows one.
            etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)
    else:
        root = parse_html(text[:MAX_TEXT_CHARS] if truncated else text)
    if root is None:
        return Article(no_article="empty page")
    meta = read_meta(root)
    etree.strip_elements(root, *_DROPPED_TAGS, with_tail=False)
    seg = segment(root)
    if not seg.blocks:
        return Article(no_article="no text on the page")
    title, title_index = find_title(seg.blocks, meta)
    headline = title_index if title is not None and title.how == "headline" else None
    prefix = weigh(seg, headline)
    article = Article()
    if title is not None:
        article.title, article.how["title"] = title.value, title.how

    container = documented_container(seg, root, text)
    if container is not None:
        element, how = container, "documented container"
    else:
        choice = best_subtree(seg, prefix)
        element, how = (choice.element, "text density") if choice else (None, "")
    body: list[Block] = []
    if element is not None:
        first = seg.inside(element).start
        cut = title_index if title_index is not None and title_index >= first else None
        kept = _body_blocks(seg, element, cut)
        if how == "text density":
            kept = trim_to_core(seg, kept, element)
        body = [seg.blocks[i] for i in kept]
        article.paragraphs = clean_paragraphs(block_lines(body))
        article.how["body"] = f"{how} <{element.tag}>"
        if truncated:
            article.how["body"] += f" (page cut at {MAX_TEXT_CHARS:,} characters)"
        article.attachments = _attachments(element, url)
    body_range = seg.inside(element) if element is not None else range(0)

    # No headline found: the date is looked for around where the body starts.
    anchor = title_index if title_index is not None else (body_range.start if body else None)
    found = find_date(seg.blocks, meta, anchor, url, fetched_at)
    if found is not None:
        article.published_at = found.value.value
        article.date_precision = found.value.precision
        article.date_text = found.text
        article.how["published_at"] = found.how
    if origin := find_origin(seg.blocks, meta, title_index, body_range):
        article.origin, article.how["origin"] = origin.value, origin.how
    if author := find_author(seg.blocks, meta, title_index, body_range):
        article.author, article.how["author"] = author.value, author.how

    chars = sum(len(p) for p in article.paragraphs)
    if chars < MIN_ARTICLE_CHARS:
        page_title = meta.get("<title>") or article.title or ""
        links = _link_lines(seg)
        if links >= LISTING_MIN_LINKS:
            article.no_article = f"listing page: {links} link lines and {chars} characters of text"
        elif _ERROR_PAGE_RE.search(page_title):
            article.no_article = f"error or login page ({page_title[:60]})"
        elif see := _see_the_attachment(seg, root, url):
            # Archived as such, its files fetched and read with it: no failed extraction.
            article.paragraphs, article.attachments = see.paragraphs, see.attachments
            article.how["body"] = "see-the-attachment lines"
        else:
            article.no_article = f"no article: {chars} characters of body text"
    return article
