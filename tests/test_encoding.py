import pytest

from tjcrawl.encoding import choose_encoding

TEXT = (
    "<html><head>{meta}</head><body>"
    "<p>天津市招商引资项目签约仪式在滨海新区举行，总投资额超过百亿元。</p></body></html>"
)


def page(declared: str, real: str) -> bytes:
    return TEXT.format(meta=f'<meta charset="{declared}">').encode(real)


@pytest.mark.parametrize("declared", ["gb2312", "gbk", "GB2312", "gb18030"])
def test_gb_family_is_read_as_gb18030(declared: str) -> None:
    choice = choose_encoding(page(declared, "gbk"))
    assert choice.used == "gb18030"
    assert choice.declared == declared.lower()


def test_a_page_declaring_gb2312_that_is_utf8_is_read_as_utf8() -> None:
    choice = choose_encoding(page("gb2312", "utf-8"))
    assert choice.used == "utf-8"
    assert choice.how == "utf-8 despite declaration"


def test_a_page_declaring_utf8_that_is_gbk_is_read_as_gb18030() -> None:
    choice = choose_encoding(page("utf-8", "gbk"))
    assert choice.used == "gb18030"
    assert choice.declared == "utf-8"


def test_the_http_header_is_a_declaration_too() -> None:
    body = TEXT.format(meta="").encode("gbk")
    choice = choose_encoding(body, "text/html; charset=GBK")
    assert (choice.declared, choice.used) == ("gbk", "gb18030")
    assert body.decode(choice.used) == TEXT.format(meta="")


def test_undeclared_gbk_is_detected() -> None:
    body = TEXT.format(meta="").encode("gbk")
    assert choose_encoding(body).used == "gb18030"


def test_a_forced_encoding_wins_and_says_when_it_loses_bytes() -> None:
    choice = choose_encoding(page("gbk", "gbk"), forced="utf-8")
    assert (choice.used, choice.how, choice.lossy) == ("utf-8", "forced", True)
