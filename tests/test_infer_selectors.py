"""Selectors `tjcrawl source new` proposes: a CSS query that cannot be spelled is passed over
for another; any other error while matching is a bug and is not swallowed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from parsel import Selector

from tjcrawl.extract.infer_common import Doc, unique_css
from tjcrawl.source_new.listing import entries_selector, entry_groups

FETCHED_AT = datetime(2024, 2, 1, 9, 0)


def listing_page(tag: str) -> str:
    items = "".join(
        f'<{tag}><a href="/xw/2024{n:04d}.html">天津市召开第{n}场新闻发布会介绍有关情况</a>'
        f" 2024-01-0{n}</{tag}>"
        for n in range(1, 6)
    )
    return f'<html><body><div id="main"><ul class="news">{items}</ul></div></body></html>'


class BrokenCss(Selector):
    """A selector whose CSS matching fails as a bug in tjcrawl would (not a selector error)."""

    breaks_on = ""

    def css(self, query: str) -> Any:
        if self.breaks_on in query:
            raise TypeError("matching went wrong")
        return super().css(query)


def test_a_tag_css_cannot_spell_gets_no_css_selector() -> None:
    sel = Selector(text='<html><body><div id="x"><p2$ class="k">正文</p2$></div></body></html>')
    (el,) = [e for e in sel.root.iter() if e.tag == "p2$"]
    assert unique_css(el, sel) == []  # `p2$.k` is a CSS syntax error: passed over


def test_entries_of_a_tag_css_cannot_spell_get_their_xpath() -> None:
    doc = Doc("http://x.test/list.html", Selector(text=listing_page("li$")), FETCHED_AT)
    group = entry_groups(doc)[0]
    path = entries_selector(doc, group)
    assert path == "/html/body/div/ul/*[name()='li$']"
    assert len(doc.sel.xpath(path)) == 5  # a path an XPath engine reads, finding every entry


def test_an_error_in_css_matching_is_not_taken_for_a_selector_that_does_not_match() -> None:
    sel = BrokenCss(text='<html><body><div id="x"><p class="k">正文</p></div></body></html>')
    (el,) = [e for e in sel.root.iter() if e.tag == "p"]
    with pytest.raises(TypeError, match="matching went wrong"):
        unique_css(el, sel)


def test_an_error_in_matching_entries_is_not_taken_for_entries_that_do_not_match() -> None:
    page = Selector(text=listing_page("li"))
    doc = Doc("http://x.test/list.html", page, FETCHED_AT)
    group = entry_groups(doc)[0]
    assert entries_selector(doc, group) == "ul.news > li"
    broken = BrokenCss(text=listing_page("li"))
    broken.breaks_on = " > "  # the parent's own selectors still work
    doc = Doc("http://x.test/list.html", broken, FETCHED_AT)
    with pytest.raises(TypeError, match="matching went wrong"):
        entries_selector(doc, entry_groups(doc)[0])


def test_a_tag_xpath_cannot_name_gets_a_path_that_finds_it() -> None:
    """lxml keeps `<p2$>` as a tag; a step `p2$` raised XPathEvalError inside `source new`."""
    from tjcrawl.extract.generic import parse_html
    from tjcrawl.extract.infer_common import absolute_path, relative_path

    root = parse_html(
        '<html><body><div id="x"><p2$><a href="/a">一</a></p2$><p2$><a href="/b">二</a></p2$>'
        "</div></body></html>"
    )
    second = root.xpath("//a")[1]
    entry = second.getparent()
    assert entry.tag == "p2$"
    assert root.xpath(absolute_path(second)) == [second]
    assert root.xpath(absolute_path(entry)) == [entry]
    assert entry.xpath(relative_path(entry, second) or "") == [second]
    div = entry.getparent()
    assert div.xpath(relative_path(div, second) or "") == [second]
