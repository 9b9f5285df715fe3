"""Article text from pages of any depth: careless CMSs leave a thousand tags unclosed."""

from __future__ import annotations

import parsel
import pytest
from lxml import html

from tjcrawl.text import PARSER_MAX_DEPTH, element_paragraphs, parser_stopped_early


def _nested_page(depth: int) -> parsel.Selector:
    # As a CMS writes it: every paragraph opens a <font> and never closes it.
    fonts = "".join(f"<font>第{n}层" for n in range(depth))
    return parsel.Selector(
        text=f"<html><body><div class='content'><p>开头</p>{fonts}<p>结尾</p></div></body></html>"
    )


@pytest.mark.parametrize("depth", [1000, 1500])
def test_a_page_nested_1000_deep_gives_all_its_text(depth: int) -> None:
    page = _nested_page(depth)
    paragraphs = element_paragraphs(page.css("div.content")[0].root)
    assert paragraphs[0] == "开头"
    assert paragraphs[-1] == "结尾"
    assert paragraphs[1] == "".join(f"第{n}层" for n in range(depth))
    assert not parser_stopped_early(page.root)


def test_a_page_nested_past_the_parsers_limit_is_noticed() -> None:
    page = _nested_page(5000)
    paragraphs = element_paragraphs(page.css("div.content")[0].root)  # raises nothing
    assert paragraphs[0] == "开头"
    # libxml2 stops reading at its depth limit: the end of the page never reaches the tree,
    # which is why the spider records a too_deep fault for it.
    assert "结尾" not in paragraphs
    assert parser_stopped_early(page.root)
    assert PARSER_MAX_DEPTH == 2048


def test_the_text_walk_keeps_tails_and_skips_scripts() -> None:
    # Expected values are what the recursive walk of ad08150 gave for the same markup.
    node = html.fromstring(
        "<div>前言<!-- 注释 -->尾巴<script>var x;</script>脚本之后<p>第一段<br>换行</p>"
        "<table><tr><td>甲</td><td>乙</td></tr></table><?pi x?>之后"
        "<span>行内<b>粗</b></span>结尾</div>"
    )
    expected = ["前言尾巴脚本之后", "第一段", "换行", "甲 乙", "之后行内粗结尾"]
    assert element_paragraphs(node) == expected
    assert element_paragraphs(node.xpath("//script")[0]) == []
