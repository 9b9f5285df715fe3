import re

import pytest
from encoding_pages import Page, damaged_gb_page, long_paragraphs, navigation, seed_articles
from scrapy.exceptions import DropItem

from tjcrawl.encoding import choose_encoding
from tjcrawl.pipelines.validate import ValidatePipeline

CJK_CODECS = {"utf-8", "gb18030", "big5"}

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


# -- Big5 behind a GB declaration -------------------------------------------------------------
TRADITIONAL = (
    "天津市招商引資項目簽約儀式在濱海新區舉行，總投資額超過百億元。"
    "本次簽約項目涵蓋高端裝備製造、生物醫藥、新能源汽車等領域，"
    "將進一步推動京津冀協同發展，為天津經濟高質量發展注入新動能。"
)
BIG5_PAGE = f"<html><head>{{meta}}</head><body><p>{TRADITIONAL}</p></body></html>"


@pytest.mark.parametrize("declared", ["gb2312", "gbk", "gb18030"])
def test_a_big5_page_declaring_gb_is_read_as_big5(declared: str) -> None:
    body = BIG5_PAGE.format(meta=f'<meta charset="{declared}">').encode("big5")
    choice = choose_encoding(body)
    assert (choice.declared, choice.used) == (declared, "big5")
    assert choice.how == "big5 despite declaration"
    assert not choice.lossy
    assert TRADITIONAL in body.decode(choice.used)


def test_a_big5_page_declaring_gb_in_the_header_is_read_as_big5() -> None:
    body = BIG5_PAGE.format(meta="").encode("big5")
    choice = choose_encoding(body, "text/html; charset=gb2312")
    assert (choice.declared, choice.used, choice.how) == (
        "gb2312",
        "big5",
        "big5 despite declaration",
    )


def test_an_undeclared_big5_page_is_detected() -> None:
    body = BIG5_PAGE.format(meta="").encode("big5")
    assert choose_encoding(body).used == "big5"


def test_a_gb_page_that_also_decodes_as_big5_stays_gb() -> None:
    # Simplified characters whose GB bytes happen to be valid Big5 too: the bytes alone cannot
    # tell, the characters they make can.
    def big5_valid(char: str) -> bool:
        try:
            char.encode("gb18030").decode("big5")
        except UnicodeDecodeError:
            return False
        return True

    text = "".join(c for c in seed_articles()[0][1][0] if big5_valid(c))
    assert len(text) >= 40
    body = f'<html><head><meta charset="gb2312"></head><body><p>{text}</p></body></html>'
    choice = choose_encoding(body.encode("gb18030"))
    assert (choice.used, choice.how) == ("gb18030", "declared")


@pytest.mark.parametrize("header", ["text/html; charset=ISO-8859-1", "text/html; charset=cp1251"])
def test_a_single_byte_header_in_front_of_a_gb_page_is_overruled(header: str) -> None:
    # Many servers add charset=ISO-8859-1 by default; any byte decodes, into Latin mojibake.
    body = TEXT.format(meta="").encode("gbk")
    choice = choose_encoding(body, header)
    assert (choice.used, choice.how) == ("gb18030", "gb18030 despite declaration")
    assert body.decode(choice.used) == TEXT.format(meta="")


def test_a_latin1_header_on_a_latin_page_is_kept() -> None:
    text = "<html><body><p>Caf\u00e9 de Tianjin, cr\u00e8me br\u00fbl\u00e9e.</p></body></html>"
    choice = choose_encoding(text.encode("latin-1"), "text/html; charset=ISO-8859-1")
    assert (choice.used, choice.how) == ("iso8859-1", "declared")


# -- a few bad bytes: kept, flagged lossy ---------------------------------------------------
def long_damaged_page(declared: bool) -> Page:
    articles = seed_articles()
    return damaged_gb_page("/a.html", articles[2][0], long_paragraphs(articles, 2), declared)


@pytest.mark.parametrize("declared", [True, False])
def test_a_long_gb_page_with_a_few_bad_bytes_is_decoded_with_replacement(declared: bool) -> None:
    page = long_damaged_page(declared)
    choice = choose_encoding(page.body)
    assert choice.used == "gb18030"
    assert choice.lossy and not choice.undecodable
    assert 0 < choice.bad_bytes < 20
    assert choice.how == ("declared" if declared else "detected")
    assert choice.declared == ("gb2312" if declared else None)


def test_a_page_with_too_many_bad_bytes_is_undecodable() -> None:
    # One character in 100 damaged: about 1 % of the non-ASCII bytes, past the 0.5 % limit.
    articles = seed_articles()
    page = damaged_gb_page("/a.html", *articles[2], declared=True, every=100)
    choice = choose_encoding(page.body)
    assert choice.undecodable and choice.lossy


@pytest.mark.parametrize(
    ("every", "links", "readable"),
    [(150, 100, True), (300, 400, True), (40, 400, False), (40, 50, False)],
)
def test_a_damaged_gb_page_is_never_guessed_as_a_single_byte_encoding(
    every: int, links: int, readable: bool
) -> None:
    # 1,500 characters amid ASCII navigation: charset-normalizer calls such pages ptcp154,
    # cp1250 or iso8859-10, which decode any byte and turn the Chinese into mojibake. Lightly
    # damaged, the page is read as GB with replacement; heavily damaged, it is refused.
    articles = seed_articles()
    paragraphs = long_paragraphs(articles, 0)[:12]
    page = damaged_gb_page("/a.html", "标题", paragraphs, False, every, navigation(links))
    choice = choose_encoding(page.body)
    if readable:
        assert (choice.used, choice.lossy, choice.undecodable) == ("gb18030", True, False)
        text = page.body.decode(choice.used, "replace")
        assert all(p in text for p in page.expected_paragraphs)
        assert not re.search(r"[\u00c0-\u024f\u0370-\u04ff]", text), "Latin or Cyrillic"
    else:
        assert choice.undecodable, choice


def test_a_latin1_page_without_declaration_is_still_read_as_latin() -> None:
    text = "Le Café de Tianjin a ouvert ses portes. Les élèves y découvrent la pâtisserie." * 3
    body = f"<html><body><p>{text}</p></body></html>".encode("latin-1")
    choice = choose_encoding(body)
    # charset-normalizer may pick any Latin code page; what matters is that it is one.
    assert not choice.undecodable and choice.used not in CJK_CODECS
    assert "Café de Tianjin" in body.decode(choice.used)


# -- the validator keeps lossy pages and refuses undecodable ones -------------------------------
def test_validate_refuses_only_an_undecodable_item() -> None:
    def item(**encoding: bool) -> dict[str, object]:
        return {
            "source": "s",
            "url": "http://gov.test/a.html",
            "title": "天津",
            "body": "天津\ufffd滨海",
            "encoding": {"used": "gb18030", **encoding},
        }

    validate = ValidatePipeline()
    assert validate.process_item(item(lossy=True, undecodable=False))["body"] == "天津\ufffd滨海"
    with pytest.raises(DropItem, match="undecodable"):
        validate.process_item(item(lossy=True, undecodable=True))
    # A U+FFFD in cleanly decoded text is the page's own character: content, kept.
    assert validate.process_item(item(lossy=False, undecodable=False))["body"] == "天津\ufffd滨海"
