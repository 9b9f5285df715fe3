"""The encoding middleware hands the response the text it decoded while choosing the
encoding: that text must be exactly what Scrapy would decode itself."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from w3lib.encoding import html_to_unicode

from tjcrawl.middlewares import INCOMPLETE, apply_encoding

GB_PAGE = '<html><head><meta charset="gb2312"><title>天津新闻</title></head><body>€</body>'
CASES = {
    "gbk declared gb2312": GB_PAGE.replace("€", "滨海新区召开会议" * 20).encode("gb18030"),
    "gb18030 lone 0x80": GB_PAGE.replace("€", "天津" * 20).encode("gb18030") + b"\x80",
    "utf-8 declared gb2312": GB_PAGE.replace("€", "南开区" * 20).encode("utf-8"),
    "utf-8 with a BOM": b"\xef\xbb\xbf" + GB_PAGE.replace("gb2312", "utf-8").encode("utf-8"),
    "big5 declared gb2312": GB_PAGE.replace("天津新闻", "臺灣新聞")
    .replace("€", "臺灣新聞報導內容" * 20)
    .encode("big5"),
    "latin-1": b"<html><body>caf\xe9 \x80 na\xefve</body></html>",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_text_is_what_scrapy_decodes(name: str) -> None:
    body = CASES[name]
    request = Request("http://example.test/a.html", meta={"page_kind": "detail"})
    response = HtmlResponse(
        request.url, body=body, headers={"Content-Type": "text/html"}, request=request
    )
    decoded = apply_encoding(request, response)
    assert decoded.encoding == request.meta["encoding"]["used"]
    expected = html_to_unicode(f"charset={decoded.encoding}", body)[1]
    assert decoded.text == expected
    assert decoded.body == body and decoded.url == response.url


def test_a_cut_page_is_decoded_by_scrapy_not_from_the_choice() -> None:
    # The choice for a cut page is made on the body less its last bytes: its text is not the
    # page's, which keeps the partial character (as a U+FFFD).
    body = GB_PAGE.replace("€", "和平区" * 30).encode("gb18030")[:-1] + "天".encode("gb18030")[:1]
    request = Request("http://example.test/a.html", meta={"page_kind": "detail", INCOMPLETE: "x"})
    response = HtmlResponse(
        request.url, body=body, headers={"Content-Type": "text/html"}, request=request
    )
    decoded = apply_encoding(request, response)
    assert decoded.encoding == "gb18030"
    assert decoded.text == html_to_unicode("charset=gb18030", body)[1]
    assert decoded.text.endswith("\ufffd")
