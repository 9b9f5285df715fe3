"""Picture captions and credits: which lines under a picture are not article text.

Readers and labelled sets disagree on a picture's caption (magic-article's bodies keep
<figcaption> text, en-aeb's leave it out), so an inline caption stays. Two kinds go:
- a photo credit line ("Photo: Jane Doe, AP", "Getty Images", "(AP Photo/…)"): who took the
  picture, never the story. Only in Latin script: Chinese pages count 新华社记者 … 摄 as text.
- the captions of a gallery or slideshow: each slide's caption, often twice (a short and a
  full version, once per slide and once in the viewer), is the slideshow's, not the story's
  text. A caption in Chinese or Japanese stays, as those pages' readers count 图片说明.
"""

from __future__ import annotations

import re

from tjcrawl.extract.blocks import Segmented

_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
# A line that only credits a picture: who took it, for which agency.
_CREDIT_RE = re.compile(
    r"^[(\[]?\s*(?:photo|photograph|image|picture|foto|bild|credit|source|via)s?"
    r"(?:\s+(?:by|credit|courtesy))?\s*[:/|]"
    r"|^[(\[]?\s*(?:photo|image)s?\s+(?:by|courtesy)\b"
    r"|\b(?:getty images|shutterstock|istock|reuters|associated press|\bap photo|afp|epa|"
    r"dpa|picture alliance|alamy|imago)\b.{0,40}$",
    re.I,
)
# Each of _CREDIT_RE's alternatives needs a Latin letter; what re.I lets match one is these
# (ASCII letters, and İ ı ſ K). A line with none (a Chinese line) skips the long scan.
_MAY_CREDIT_RE = re.compile("[a-z]", re.I)
MAX_CREDIT_CHARS = 90
MAX_CAPTION_CHARS = 600
NO_PICTURE, CAPTION, GALLERY = 0, 1, 2
# Matched on class and id names as lower-case words (tjcrawl.extract.body._name_words).
_CAPTION_NAME_RE = re.compile(r"\b(?:caption|credit|imgcap)")
_GALLERY_NAME_RE = re.compile(r"gallery|slide|carousel|swiper")


def picture_role(words: str) -> int:
    """CAPTION, GALLERY or NO_PICTURE for an element's class and id words."""
    if _CAPTION_NAME_RE.search(words):
        return CAPTION
    return GALLERY if _GALLERY_NAME_RE.search(words) else NO_PICTURE


def _latin(text: str) -> bool:
    return len(_CJK_RE.findall(text)) * 2 < len(text)


class Pictures:
    """The captions and galleries of a page, as block spans, gathered while the page's
    elements are read in document order."""

    def __init__(self) -> None:
        self.captions: list[tuple[int, int]] = []
        self.galleries: list[tuple[int, int]] = []

    def add(self, role: int, first: int, end: int) -> None:
        if role == CAPTION:
            if not self.captions or first >= self.captions[-1][1]:  # not one inside another
                self.captions.append((first, end))
        elif not self.galleries or first >= self.galleries[-1][1]:
            self.galleries.append((first, end))

    def gallery_captions(self, seg: Segmented) -> list[int]:
        """The blocks of Latin-script captions inside a gallery or slideshow. A gallery that
        holds half the page's text is not one (a page whose <body> says "slide-menu")."""
        if not self.captions or not self.galleries:
            return []
        page_chars = sum(block.chars for block in seg.blocks)
        galleries = [
            (first, end)
            for first, end in self.galleries
            if sum(seg.blocks[i].chars for i in range(first, end)) < page_chars / 2
        ]
        found: list[int] = []
        for first, end in self.captions:
            if not any(start <= first and end <= stop for start, stop in galleries):
                continue
            if sum(seg.blocks[i].chars for i in range(first, end)) > MAX_CAPTION_CHARS:
                continue  # the article in a badly named element, not a caption
            found.extend(i for i in range(first, end) if _latin(seg.blocks[i].text))
        return found


def credit_lines(seg: Segmented) -> list[int]:
    """The blocks that only credit a picture (Latin script)."""
    return [
        index
        for index, block in enumerate(seg.blocks)
        if block.chars <= MAX_CREDIT_CHARS
        and not block.link_chars
        and _MAY_CREDIT_RE.search(block.text)
        and _CREDIT_RE.search(block.text)
        and _latin(block.text)
    ]
