"""What a crawl keeps per page is bounded (bench/crawl_memory.py measures the whole crawl; these
show each fix at small scale)."""

from __future__ import annotations

from lxml import html

from tjcrawl.extract.fields import XPATH_RENEW_EVERY, compiled_xpath

PAGE = html.fromstring("<html><body><div class='a'>x</div><div>y</div></body></html>")


def test_a_field_xpath_keeps_no_log_of_its_evaluations() -> None:
    xpath = compiled_xpath("//div[@class='a']")
    for _ in range(50):
        assert [e.text for e in xpath(PAGE)] == ["x"]
    assert len(xpath.error_log) == 0


def test_an_xpath_with_set_bound_keeps_a_bounded_log_and_still_answers() -> None:
    xpath = compiled_xpath("set:distinct(//div/text())")
    for _ in range(XPATH_RENEW_EVERY * 2 + 10):
        assert xpath(PAGE) == ["x", "y"]
    assert len(xpath.error_log) < XPATH_RENEW_EVERY
