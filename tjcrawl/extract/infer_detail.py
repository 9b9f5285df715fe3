"""Detail-page inference for `tjcrawl source new`: the body, its boilerplate and the title.

The body is the element with the most Chinese text in its own paragraphs, widened to its
siblings while they are content; the title the node whose text is the listing's title. Every
candidate selector is scored on every sample page, not only on the page it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from tjcrawl.extract.infer_common import (
    ATTACHMENT_RE,
    CSS_IDENT_RE,
    FURNITURE_RE,
    HEADER_CLASS_RE,
    HEADINGS,
    PAGE_FURNITURE_RE,
    PARAGRAPH_TAGS,
    SKIP_TAGS,
    TITLE_CLASS_RE,
    Doc,
    FieldChoice,
    Findings,
    cjk,
    classes,
    is_element,
    node_text,
    page_selectors,
    value,
    xpath_literal,
)
from tjcrawl.profiles import ProfileError, compile_selector


def own_text(el: Any) -> int:
    """Chinese characters in an element's own paragraphs: its text and inline children."""
    total = cjk(el.text)
    for child in el:
        if is_element(child) and child.tag in PARAGRAPH_TAGS:
            total += cjk(node_text(child))
        total += cjk(child.tail)
    if PAGE_FURNITURE_RE.search(node_text(el)[:400]) and total < 200:
        total //= 5
    return total


def _candidates(root: Any) -> Iterable[Any]:
    for el in root.iter():
        if is_element(el) and el.tag not in SKIP_TAGS and el.tag not in ("html", "body", "a"):
            yield el


def densest(root: Any) -> Any:
    return max(_candidates(root), key=own_text, default=None)


def _is_header(el: Any) -> bool:
    if el.tag in ("h1", "h2", "h3"):
        return True
    if HEADER_CLASS_RE.search(f"{el.get('id') or ''} {el.get('class') or ''}"):
        return True
    text = node_text(el)[:200]
    return bool(re.search(r"(发布时间|发布日期|来源|信息来源)\s*[:：]", text))


def _is_furniture(el: Any) -> bool:
    text = node_text(el)
    if not text:
        return True
    if FURNITURE_RE.search(text[:40]) and cjk(text) < 200:
        return True
    links = sum(len(node_text(a)) for a in el.iter("a"))
    return links >= 0.6 * len(text)


def _has_attachments(el: Any) -> bool:
    return any(ATTACHMENT_RE.search((a.get("href") or "").split("?")[0]) for a in el.iter("a"))


def body_node(doc: Doc) -> Any:
    """The article container: the densest element, widened to content siblings."""
    body = doc.root.find("body")
    best = densest(body if body is not None else doc.root)
    if best is None:
        return None
    current = best
    while True:
        parent = current.getparent()
        if parent is None or not is_element(parent) or parent.tag in ("body", "html"):
            break
        siblings = [
            c for c in parent if is_element(c) and c is not current and c.tag not in SKIP_TAGS
        ]
        if any(_is_header(s) for s in siblings):
            break
        content = [
            s
            for s in siblings
            if _has_attachments(s) or (not _is_furniture(s) and own_text(s) >= 10)
        ]
        if not content and cjk(parent.text) + sum(cjk(s.tail) for s in parent) < 10:
            break
        current = parent
    return current


def boilerplate_rules(bodies: list[Any]) -> list[str]:
    """Selectors, relative to the body, for furniture inside it on the sample pages."""
    found: list[str] = []
    for body in bodies:
        for el in body.iter():
            if not is_element(el) or el is body or el.tag in ("a", "br", "img"):
                continue
            text = node_text(el)
            if not text or not FURNITURE_RE.search(text[:40]) or cjk(text) >= 120:
                continue
            if any(
                a is not body
                and FURNITURE_RE.search(node_text(a)[:40] or "")
                and a.tag not in ("a",)
                and any(b is body for b in a.iterancestors())
                for a in el.iterancestors()
            ):
                continue  # an ancestor inside the body is furniture already
            safe = [c for c in classes(el) if CSS_IDENT_RE.match(c)]
            if el.get("id") and CSS_IDENT_RE.match(el.get("id")):
                css = f"{el.tag}#{el.get('id')}"
            elif safe:
                css = f"{el.tag}.{safe[0]}"
            else:
                keyword = FURNITURE_RE.search(text[:40]).group(0)  # type: ignore[union-attr]
                css = (
                    f".//{el.tag}[contains(., {xpath_literal(keyword)})"
                    " and string-length(normalize-space()) < 60]"
                )
            if css not in found:
                found.append(css)
    return found


def _title_matches(text: str | None, listing_title: str | None) -> bool:
    from tjcrawl.pipelines.normalise import clean_title

    if not text or not listing_title:
        return False
    bullet = re.compile(r"^[•·●◆■▪►◇□○]\s*")
    text, wanted = bullet.sub("", clean_title(text)), bullet.sub("", clean_title(listing_title))
    if text == wanted:
        return True
    stem = wanted.rstrip(".…")
    return len(stem) >= 6 and wanted != stem and text.startswith(stem)


@dataclass
class Sample:
    doc: Doc
    listing_title: str | None
    body: Any = None


def _score_selector(
    samples: list[Sample],
    select: str,
    test: Callable[[Sample, str | None], bool],
    regex: str | None = None,
) -> int:
    score = 0
    for sample in samples:
        try:
            text = value(sample.doc.sel, select, regex)
        except (ProfileError, etree.XPathError, re.error):
            return -1
        if test(sample, text):
            score += 1
    return score


def choose(
    samples: list[Sample],
    candidates: list[tuple[str, str | None, int]],
    test: Callable[[Sample, str | None], bool],
) -> tuple[str, str | None, int] | None:
    """The candidate (select, regex, priority) that passes on most sample pages."""
    best, best_key = None, None
    seen = set()
    for select, regex, priority in candidates:
        if (select, regex) in seen:
            continue
        seen.add((select, regex))
        score = _score_selector(samples, select, test, regex)
        if score <= 0:
            continue
        key = (score, priority, -len(select))
        if best_key is None or key > best_key:
            best, best_key = (select, regex, score), key
    return best


def outside_body(el: Any, body: Any) -> bool:
    if body is None:
        return True
    return not (el is body or any(a is body for a in el.iterancestors()))


def detail_title(samples: list[Sample], proposal: Findings) -> None:
    candidates: list[tuple[str, str | None, int]] = []
    for sample in samples:
        sel = sample.doc.sel
        for el in sample.doc.root.iter():
            if not is_element(el) or (el.tag in SKIP_TAGS and el.tag != "title"):
                continue
            if el.tag == "title":
                priority = 1
            elif el.tag in HEADINGS:
                priority = 4 if el.tag == "h1" else 3
            elif TITLE_CLASS_RE.search(f"{el.get('id') or ''} {el.get('class') or ''}"):
                priority = 2
            else:
                continue
            text = node_text(el)
            if not text or len(text) > 200 or not outside_body(el, sample.body):
                continue
            for css in page_selectors(el, sel)[:3]:
                candidates.append((css, None, priority))
                candidates.append(
                    (
                        f"{css}::text" if not css.startswith("/") else f"{css}/text()",
                        None,
                        priority - 0.5,
                    )
                )
        for name in ("ArticleTitle", "articletitle", "title"):
            if sel.xpath(f"//meta[@name='{name}']/@content"):
                candidates.append((f"meta[name='{name}']::attr(content)", None, 2.5))
    have_titles = any(s.listing_title for s in samples)
    if have_titles:
        chosen = choose(samples, candidates, lambda s, t: _title_matches(t, s.listing_title))
    else:
        chosen = choose(samples, candidates, lambda s, t: bool(t) and len(t) < 120)
    if chosen is None:
        proposal.unsure.append("detail.title: nothing on the detail pages matches the listing")
        proposal.detail["title"] = FieldChoice("h1")
        return
    select, _, score = chosen
    note = ""
    if score < len(samples):
        note = f"matched the listing title on {score} of {len(samples)} sample pages"
        proposal.unsure.append(f"detail.title: {note}")
    if not have_titles:
        proposal.unsure.append("detail.title: no listing titles to compare with; a guess")
    proposal.detail["title"] = FieldChoice(select, note=note)
    if select == "title" or select.startswith("head"):
        suffixes = set()
        for sample in samples:
            text = value(sample.doc.sel, select) or ""
            if sample.listing_title and text.startswith(sample.listing_title):
                suffixes.add(text[len(sample.listing_title) :].strip())
        if len(suffixes) == 1 and (suffix := suffixes.pop()):
            proposal.title_suffixes = [suffix]


def detail_body(samples: list[Sample], proposal: Findings) -> None:
    for sample in samples:
        sample.body = body_node(sample.doc)
    candidates: list[tuple[str, str | None, int]] = []
    for sample in samples:
        if sample.body is None:
            continue
        for rank, css in enumerate(page_selectors(sample.body, sample.doc.sel)[:4]):
            candidates.append((css, None, 10 - rank))

    def wanted(sample: Sample, text: str | None) -> bool:
        if sample.body is None or not text:
            return False
        target = cjk(node_text(sample.body))
        return target > 0 and abs(cjk(text) - target) <= 0.1 * target

    chosen = choose(samples, candidates, wanted)
    if chosen is None:
        proposal.unsure.append("detail.body: no element holds the text on the sample pages")
        proposal.detail["body"] = FieldChoice("body")
        return
    select, _, score = chosen
    note = ""
    if score < len(samples):
        note = f"holds the article on {score} of {len(samples)} sample pages"
        proposal.unsure.append(f"detail.body: {note}")
    proposal.detail["body"] = FieldChoice(select, note=note)
    nodes = []
    for sample in samples:
        found = sample.doc.sel.xpath(compile_selector(select))
        if found and is_element(found[0].root):
            nodes.append(found[0].root)
            sample.body = found[0].root
    proposal.detail_boilerplate = boilerplate_rules(nodes)
