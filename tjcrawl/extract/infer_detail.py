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

from tjcrawl.extract.fields import body_html_and_paragraphs
from tjcrawl.extract.generic import Article, extract_article
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
    tag_test,
    value,
    xpath_literal,
)
from tjcrawl.extract.infer_cover import Cover, cover, f1, overlap
from tjcrawl.profiles import FieldSpec, ProfileError, compile_selector

# A body selector's text against the generic extractor's body: most of it is article text, and
# it holds nearly all the article; after the boilerplate is cut, the two agree.
BODY_PRECISION = 0.7
BODY_RECALL = 0.9
BODY_F1 = 0.85


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
            if ":" in el.tag:
                safe = []  # CSS cannot name the tag (a pseudo-class to it)
            if ":" not in el.tag and el.get("id") and CSS_IDENT_RE.match(el.get("id")):
                css = f"{el.tag}#{el.get('id')}"
            elif safe:
                css = f"{el.tag}.{safe[0]}"
            else:
                keyword = FURNITURE_RE.search(text[:40]).group(0)  # type: ignore[union-attr]
                css = (
                    f".//{tag_test(el.tag)}[contains(., {xpath_literal(keyword)})"
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
    listing_date: str | None = None  # the entry's date text on the listing
    article: Article | None = None  # the generic extractor's reading of the page
    wanted_body: str = ""  # the article's text, as the generic extractor (else density) reads it


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
    candidates: list[tuple[str, str | None, float]] = []
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
            elif _title_matches(node_text(el), sample.listing_title) and not any(
                is_element(c) and _title_matches(node_text(c), sample.listing_title) for c in el
            ):
                priority = 1.5  # the smallest element that holds the title: an old table cell
            else:
                continue
            text = node_text(el)
            if not text or len(text) > 200 or not outside_body(el, sample.body):
                continue
            for css in page_selectors(el, sel)[:3]:
                candidates.append((css, None, priority))
                candidates.append(
                    (
                        f"{css}::text" if not css.startswith(("/", "(")) else f"{css}/text()",
                        None,
                        priority - 0.5,
                    )
                )
        for name in ("ArticleTitle", "articletitle", "title"):
            if sel.xpath(f"//meta[@name='{name}']/@content"):
                candidates.append((f"meta[name='{name}']::attr(content)", None, 2.5))
    have_titles = any(s.listing_title for s in samples)

    def test(sample: Sample, text: str | None) -> bool:
        if have_titles:
            return _title_matches(text, sample.listing_title)
        return bool(text) and len(text or "") < 120

    chosen = cover(samples, candidates, test)
    if chosen is None or chosen.missed:
        held = len(samples) - len(chosen.missed) if chosen else 0
        generic = sum(1 for s in samples if test(s, s.article.title if s.article else None))
        proposal.detail["title"] = FieldChoice(
            "auto",
            note=f"no selector matched the listing title on every sample page (best: "
            f"{held} of {len(samples)}); the generic extractor's title matched on {generic}",
        )
        if generic < len(samples):
            proposal.unsure.append(
                f"detail.title: the generic extractor's title matched the listing on {generic} "
                f"of {len(samples)} sample pages"
            )
        return
    if not have_titles:
        proposal.unsure.append("detail.title: no listing titles to compare with; a guess")
    select = chosen.select
    proposal.detail["title"] = FieldChoice(select, note=chosen.describe(_urls(samples)))
    if select == "title" or select.startswith("head"):
        suffixes = set()
        for sample in samples:
            text = value(sample.doc.sel, select) or ""
            if sample.listing_title and text.startswith(sample.listing_title):
                suffixes.add(text[len(sample.listing_title) :].strip())
        if len(suffixes) == 1 and (suffix := suffixes.pop()):
            proposal.title_suffixes = [suffix]


def _urls(samples: list[Sample]) -> list[str]:
    return [s.doc.url for s in samples]


def _read_generic(sample: Sample) -> None:
    sample.article = extract_article(
        sample.doc.text or etree.tostring(sample.doc.root, encoding="unicode"),
        sample.doc.url,
        fetched_at=sample.doc.fetched_at,
    )
    sample.body = body_node(sample.doc)
    generic = sample.article
    if generic.no_article is None and generic.paragraphs:
        sample.wanted_body = generic.body_text
    elif sample.body is not None:
        sample.wanted_body = node_text(sample.body)


def _body_candidates(sample: Sample) -> list[Any]:
    """The densest element and its near ancestors, and the elements whose text is closest to
    the generic extractor's body (its container, give or take a wrapper)."""
    found: list[Any] = []
    if sample.body is not None:
        found.append(sample.body)
        found += [a for a, _ in zip(sample.body.iterancestors(), range(3), strict=False)]
    wanted = sample.wanted_body
    if wanted:
        size = len(wanted)
        close: list[tuple[float, Any]] = []
        for el in sample.doc.root.iter():
            if not is_element(el) or el.tag in SKIP_TAGS or el.tag in ("html", "body"):
                continue
            raw = len("".join(el.itertext()))  # cheap bound before the real text
            if raw < 0.8 * size or raw > 4 * size:
                continue
            close.append((f1(node_text(el), wanted), el))
        close.sort(key=lambda pair: -pair[0])
        found += [el for score, el in close[:4] if score >= 0.6]
    return [
        el for n, el in enumerate(found) if el.tag not in ("html", "body") and el not in found[:n]
    ]


def _body_agrees(sample: Sample, text: str | None) -> bool:
    if not text or not sample.wanted_body:
        return False
    precision, recall = overlap(text, sample.wanted_body)
    return precision >= BODY_PRECISION and recall >= BODY_RECALL


def detail_body(samples: list[Sample], proposal: Findings) -> Cover | None:
    """The body: a selector (or a union per template) whose text is the article on every
    sample page, judged against the generic extractor's reading of it; else "auto"."""
    for sample in samples:
        _read_generic(sample)
    candidates: list[tuple[str, str | None, float]] = []
    for sample in samples:
        for el in _body_candidates(sample):
            # A container that holds the headline too holds the page's header with it.
            title = sample.listing_title
            headline = bool(title) and (title or "") in node_text(el)
            for rank, css in enumerate(page_selectors(el, sample.doc.sel)[:4]):
                priority = 10 - rank - (el is not sample.body) - 5 * headline
                candidates.append((css, None, priority))
    chosen = cover(samples, candidates, _body_agrees)
    if chosen is None or chosen.missed:
        held = len(samples) - len(chosen.missed) if chosen else 0
        proposal.detail["body"] = FieldChoice(
            "auto",
            note=f"no selector held the article on every sample page (best: {held} of "
            f"{len(samples)}); the generic extractor reads it",
        )
        return None
    select = chosen.select
    nodes = []
    # The bodies the generic extractor found: kept for the fields read outside the body if
    # the selector is refused below.
    generic_bodies = [sample.body for sample in samples]
    for index, sample in enumerate(samples):
        part = chosen.parts[chosen.part_of(index) or 0]
        found = sample.doc.sel.xpath(compile_selector(part))
        if found and is_element(found[0].root):
            nodes.append(found[0].root)
            sample.body = found[0].root
    boilerplate = boilerplate_rules(nodes)
    # With the boilerplate cut, the text must still be the article on every page.
    agreement = [_body_f1(sample, select, boilerplate) for sample in samples]
    if min(agreement) < BODY_F1:
        worst = min(range(len(samples)), key=agreement.__getitem__)
        for sample, body in zip(samples, generic_bodies, strict=True):
            sample.body = body
        proposal.detail["body"] = FieldChoice(
            "auto",
            note=f"{select} read as a body agreed with the generic extractor at F1 "
            f"{agreement[worst]:.2f} on {samples[worst].doc.url}; the generic extractor reads it",
        )
        return None
    proposal.detail["body"] = FieldChoice(select, note=chosen.describe(_urls(samples)))
    proposal.detail_boilerplate = boilerplate
    return chosen


def _body_f1(sample: Sample, select: str, boilerplate: list[str]) -> float:
    if not sample.wanted_body:
        return 1.0
    spec = FieldSpec(select, compile_selector(select))
    rules = tuple(FieldSpec(rule, compile_selector(rule)) for rule in boilerplate)
    _, paragraphs = body_html_and_paragraphs(sample.doc.sel, spec, rules)
    return f1("\n".join(paragraphs), sample.wanted_body)
