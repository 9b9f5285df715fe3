"""Pagination inference: a 下一页 link, else `name_N.ext` pages and the script that draws them."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from tjcrawl.extract.infer_common import Doc, node_text, xpath_literal
from tjcrawl.profiles import ProfileError, compile_selector
from tjcrawl.source_check import FetchError
from tjcrawl.source_new.pages import Fetch, load_doc
from tjcrawl.source_new.proposal import Proposal

NEXT_TEXT_RE = re.compile(r"^(下一页|下页|后一页|next|Next|NEXT)\s*[>»›]*$|^[>›]$")


# -- pagination -----------------------------------------------------------------------------------
def pagination(doc: Doc, entries: str, fetch: Fetch, proposal: Proposal) -> Doc | None:
    """Set proposal.pagination; return the second listing page when one was found."""
    counts = _page_counts(doc, fetch)
    if counts:
        proposal.notes.append("page count " + ", ".join(counts))
    # 1. a 下一页 link
    for anchor in doc.root.iter("a"):
        text = node_text(anchor)
        href = (anchor.get("href") or "").strip()
        if not NEXT_TEXT_RE.match(text) or not href or href.lower().startswith("javascript:"):
            continue
        second = load_doc(fetch, urljoin(doc.url, href))
        select = f"//a[normalize-space()={xpath_literal(text)}]/@href"
        proposal.pagination = {"next": select}
        if second is None or not doc_entries(second, entries):
            proposal.unsure.append(
                f"pagination.next: the {text} link ({href}) did not give a listing page"
            )
            return None
        return second
    # 2. name_N.ext pages, from links or from the script that draws the pager
    template, first, evidence = _template(doc)
    if template:
        tried = [first] if first is not None else [1, 2]
        for n in tried:
            second = load_doc(fetch, urljoin(doc.url, template.format(n=n)))
            if second is not None and doc_entries(second, entries):
                proposal.pagination = {"template": template, "first": n}
                proposal.pagination_note = (
                    f"{evidence}; the second page is {template.format(n=n)}; the walk stops at"
                    " the first page that answers 404"
                )
                return second
        proposal.pagination = {"template": template, "first": tried[-1]}
        proposal.pagination_note = f"{evidence}; no second page could be fetched to confirm"
        proposal.unsure.append(
            f"pagination: {template} with first = {tried[-1]} is a guess (no page found)"
        )
        return None
    proposal.unsure.append("pagination: none found; only the first listing page will be read")
    return None


def doc_entries(doc: Doc, entries: str) -> list[Any]:
    try:
        return doc.sel.xpath(compile_selector(entries))
    except ProfileError:
        return []


def _template(doc: Doc) -> tuple[str | None, int | None, str]:
    path = urlsplit(doc.url).path
    name = path.rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = "index", ""
    scripts = " ".join(doc.root.xpath("//script/text()"))
    # createPageHTML("page", countPage, currentPage, "index", "html")
    match = re.search(
        r"createPageHTML\s*\([^)]*?['\"]([\w-]+)['\"]\s*,\s*['\"](s?html?)['\"]\s*\)", scripts
    )
    if match:
        return f"{match.group(1)}_{{n}}.{match.group(2)}", 1, "pages drawn by createPageHTML"
    # '3961_' + obj.curr + '.html'
    match = re.search(r"""['"]([\w-]+)_['"]\s*\+\s*[\w.]+\s*\+\s*['"](\.s?html?)['"]""", scripts)
    if match:
        return f"{match.group(1)}_{{n}}{match.group(2)}", None, "page URLs built in a script"
    numbers: dict[tuple[str, str], list[int]] = {}
    for href in doc.root.xpath("//a/@href"):
        last = urlsplit(urljoin(doc.url, href)).path.rsplit("/", 1)[-1]
        found = re.fullmatch(r"([\w-]+?)_(\d{1,4})\.(s?html?)", last)
        if found and (not ext or found.group(3) == ext):
            numbers.setdefault((found.group(1), found.group(3)), []).append(int(found.group(2)))
    if numbers:
        (prefix, extension), seen = max(numbers.items(), key=lambda kv: len(kv[1]))
        return f"{prefix}_{{n}}.{extension}", min(seen), f"links to {prefix}_N.{extension}"
    if re.search(r"countPage|maxpage|totalPage|pageCount", scripts, re.I) and stem:
        extension = ext or "html"
        return f"{stem}_{{n}}.{extension}", None, "a page count in a script"
    return None, None, ""


def _page_counts(doc: Doc, fetch: Fetch) -> list[str]:
    pattern = re.compile(
        r"\b(countPage|maxpage|maxPage|totalPage|pageCount|page_count|totalpage)\s*[=:]\s*(\d+)"
    )
    found = [
        f"{m.group(1)} = {m.group(2)}"
        for m in pattern.finditer(" ".join(doc.root.xpath("//script/text()")))
    ]
    for src in doc.root.xpath("//script/@src"):
        if "count" in src.lower():
            try:
                page = fetch(urljoin(doc.url, src))
            except FetchError:
                continue
            if page.status == 200:
                text = page.body.decode("latin-1")
                found += [f"{m.group(1)} = {m.group(2)} in {src}" for m in pattern.finditer(text)]
            break
    return found
