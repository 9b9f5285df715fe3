"""The boilerplate guard counts the body's text once and then less each cut: these pin that
the running count says what a fresh count would."""

from __future__ import annotations

from parsel import Selector

from tjcrawl.extract import body_html_and_paragraphs
from tjcrawl.profiles import FieldSpec

BODY = FieldSpec(source="div.body", query="//div[@class='body']")


def rule(query: str) -> FieldSpec:
    return FieldSpec(source=query, query=query)


def cut(html: str, *rules: str) -> tuple[list[str], list[str]]:
    emptied: list[str] = []
    _, paragraphs = body_html_and_paragraphs(
        Selector(text=html),
        BODY,
        tuple(rule(r) for r in rules),
        in_place=True,
        on_emptied=emptied.append,
    )
    return paragraphs, emptied


def test_a_later_rule_that_would_take_what_earlier_rules_left_is_skipped() -> None:
    html = "<div class='body'><p class='a'>甲乙</p>尾<p class='b'>丙</p></div>"
    # After .a goes, "尾丙" is left (the tail stays); .b alone does not empty it, but a rule
    # taking both remaining nodes' text would.
    paragraphs, emptied = cut(html, ".//p[@class='a']", ".//p[@class='b']")
    assert paragraphs == ["尾"] and emptied == []
    paragraphs, emptied = cut(
        "<div class='body'><p class='a'>甲</p><p class='b'>乙</p></div>",
        ".//p[@class='a']",
        ".//p[@class='b']",
    )
    assert paragraphs == ["乙"] and emptied == [".//p[@class='b']"]


def test_a_rule_reaching_outside_the_body_does_not_skew_the_count() -> None:
    html = (
        "<div class='nav'>导</div><div class='body'><p class='x'>正文</p><p class='y'>附</p></div>"
    )
    # //div[@class='nav'] is outside the body: cut from the page, its one character never was
    # the body's, so .x (two characters of three) still leaves the body its text.
    paragraphs, emptied = cut(html, "//div[@class='nav']", ".//p[@class='x']")
    assert paragraphs == ["附"] and emptied == []
    paragraphs, emptied = cut(html, "//div[@class='nav']", ".//p[@class='x']", ".//p")
    assert paragraphs == ["附"] and emptied == [".//p"]
