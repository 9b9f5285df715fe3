"""The generic (profile-less) article extractor: behaviour on small hand-written pages, and no
exception for any input.

The hypothesis test runs 150 documents by default; TJCRAWL_HYPOTHESIS_PROFILE=long runs 10,000
and also holds every call to one second (a timing check only that run makes: in CI the machine
is shared and a wall-clock assertion would fail for reasons not in the code).
"""

from __future__ import annotations

import os
import time
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tjcrawl.clock import SHANGHAI
from tjcrawl.extract.generic import extract_article

GOV_URL = "https://www.tj.gov.cn/sy/tjxw/202508/t20250822_6012345.html"

GOV_PAGE = """<!DOCTYPE html>
<html><head><meta charset="gbk">
<title>天津市推进营商环境改革的通知_天津新闻_天津政务网</title></head>
<body>
<div class="nav-box"><a href="/">首页</a><a href="/sy/">政务</a><a href="/zwgk/">公开</a></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/sy/tjxw/">天津新闻</a></div>
<div class="qt-title">天津市推进营商环境改革的通知</div>
<div class="xw-xtitle clear">
  <span class="p-title">来源：天津日报</span>
  <span class="p-title p-fbsj">发布时间：2025-08-22 10:30</span>
  <span>字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a></span>
</div>
<div id="zoom">
  <p>各区人民政府，市政府各委、局：</p>
  <p>为进一步优化营商环境，市政府决定在全市推进改革，现将有关事项通知如下。</p>
  <table><tr><td>项目</td><td>完成时限</td></tr><tr><td>一网通办</td><td>2025年12月</td></tr></table>
  <p>附件：<a href="./P020250822123456.pdf">改革任务清单.pdf</a></p>
</div>
<div class="fx"><a href="javascript:window.print()">【打印本页】</a>
  <a href="#">【关闭窗口】</a></div>
<div class="footer">主办单位：天津市人民政府办公厅 版权所有
  网站标识码：1200000052 津ICP备05010518号</div>
</body></html>
"""


def test_gov_page_with_published_line_and_zoom_body() -> None:
    article = extract_article(GOV_PAGE.encode("gbk"), GOV_URL)

    assert article.no_article is None
    assert article.title == "天津市推进营商环境改革的通知"
    assert article.published_at == datetime(2025, 8, 22, 10, 30, tzinfo=SHANGHAI)
    assert article.published_at.utcoffset().total_seconds() == 8 * 3600
    assert article.date_precision == "minute"
    assert article.how["published_at"] == "labelled line near the title"
    assert article.origin == "天津日报"
    assert article.how["body"].startswith("documented container")
    assert article.paragraphs == [
        "各区人民政府，市政府各委、局：",
        "为进一步优化营商环境，市政府决定在全市推进改革，现将有关事项通知如下。",
        "项目 完成时限",
        "一网通办 2025年12月",
        "附件：改革任务清单.pdf",
    ]
    assert article.attachments == [
        {
            "url": "https://www.tj.gov.cn/sy/tjxw/202508/P020250822123456.pdf",
            "text": "改革任务清单.pdf",
        }
    ]


def test_page_meta_tags_win_over_the_page_text() -> None:
    page = GOV_PAGE.replace(
        "<title>",
        '<meta name="ArticleTitle" content="天津市推进营商环境改革的通知">'
        '<meta name="PubDate" content="2025-08-21 09:00">'
        '<meta name="ContentSource" content="市政府办公厅"><title>',
    ).replace('<span class="p-title">来源：天津日报</span>', "")
    article = extract_article(page.encode("gbk"), GOV_URL)

    assert article.published_at == datetime(2025, 8, 21, 9, 0, tzinfo=SHANGHAI)
    assert article.how["published_at"] == "meta pubdate"
    assert article.origin == "市政府办公厅"
    assert article.how["origin"] == "meta ContentSource"


def test_body_found_by_density_without_a_known_container() -> None:
    page = GOV_PAGE.replace('<div id="zoom">', '<div class="wenzhang">')
    article = extract_article(page.encode("gbk"), GOV_URL)

    assert article.how["body"].startswith("text density")
    assert article.paragraphs[:2] == [
        "各区人民政府，市政府各委、局：",
        "为进一步优化营商环境，市政府决定在全市推进改革，现将有关事项通知如下。",
    ]
    assert not any("打印" in p or "版权所有" in p or "首页" in p for p in article.paragraphs)


NEWS_PAGE = """<html><head><title>滨海新区新建三所学校 - 北方网</title></head><body>
<div class="top">2025年9月1日 星期一</div>
<ul class="menu"><li><a href="/a">新闻</a></li><li><a href="/b">财经</a></li></ul>
<h1>滨海新区新建三所学校</h1>
<div class="info">2024-03-05 09:12 来源：北方网 作者：李明</div>
<div class="text">
  <p>2023年1月1日，滨海新区启动了学校建设计划，三年间投入资金二十亿元。</p>
  <p>记者从区教育局获悉，三所新校将于今年秋季开学，新增学位四千余个。</p>
</div>
<div class="related"><h3>相关新闻</h3><ul>
  <li><a href="/1">滨海新区教育投入再创新高</a> 2025-08-30</li>
  <li><a href="/2">天津中小学秋季开学安排公布</a> 2025-08-29</li>
</ul></div>
</body></html>"""


def test_date_is_the_one_under_the_headline_not_the_first_on_the_page() -> None:
    article = extract_article(NEWS_PAGE.encode("utf-8"), "http://news.enorth.com.cn/x.shtml")

    assert article.title == "滨海新区新建三所学校"
    assert article.published_at is not None
    assert article.published_at.date().isoformat() == "2024-03-05"
    assert article.origin == "北方网"
    assert article.author == "李明"
    assert article.paragraphs == [
        "2023年1月1日，滨海新区启动了学校建设计划，三年间投入资金二十亿元。",
        "记者从区教育局获悉，三所新校将于今年秋季开学，新增学位四千余个。",
    ]


def test_relative_date_resolves_against_the_fetch_time() -> None:
    page = NEWS_PAGE.replace("2024-03-05 09:12", "3小时前")
    fetched = datetime(2025, 9, 1, 2, 0, tzinfo=SHANGHAI)
    article = extract_article(page.encode("utf-8"), None, fetched_at=fetched)

    assert article.published_at == datetime(2025, 8, 31, 23, 0, tzinfo=SHANGHAI)


def test_english_article() -> None:
    page = """<html><head><title>Port of Tianjin opens new terminal | Example News</title>
    <meta property="article:published_time" content="2024-05-19T20:30:00Z"></head><body>
    <nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a></nav>
    <article><h1>Port of Tianjin opens new terminal</h1>
    <p>The port of Tianjin opened a new automated container terminal on Sunday, officials said.</p>
    <p>The terminal can handle two million containers a year, according to the port authority.</p>
    <div class="share">Share on Facebook Share on Twitter</div></article>
    <footer>© 2024 Example News. All rights reserved.</footer></body></html>"""
    article = extract_article(page.encode("utf-8"), "https://example.com/port")

    assert article.title == "Port of Tianjin opens new terminal"
    # 20:30 UTC on the 19th is 04:30 on the 20th in Tianjin.
    assert article.published_at == datetime(2024, 5, 20, 4, 30, tzinfo=SHANGHAI)
    assert article.paragraphs == [
        "The port of Tianjin opened a new automated container terminal on Sunday, officials said.",
        "The terminal can handle two million containers a year, according to the port authority.",
    ]


LISTING_PAGE = (
    "<html><head><title>天津新闻_天津政务网</title></head><body>"
    "<div class='nav'><a href='/'>首页</a></div><ul class='list'>"
    + "".join(
        f"<li><a href='./202508/t202508{i:02d}_{i}.html'>"
        f"天津市召开第{i}次工作推进会议部署重点任务</a>"
        f"<span>2025-08-{i:02d}</span></li>"
        for i in range(1, 21)
    )
    + "</ul><div class='page'>共20条 下一页</div></body></html>"
)


def test_listing_page_is_no_article() -> None:
    article = extract_article(LISTING_PAGE.encode("utf-8"), "https://www.tj.gov.cn/sy/tjxw/")

    assert article.no_article is not None
    assert article.no_article.startswith("listing page")


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (b"", "empty page"),
        (b"   \r\n\t ", "empty page"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary content (PDF)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content (PNG)"),
        (b"\x00\x01\x02\x03" * 500, "binary content (binary data)"),
        (b"<html><body></body></html>", "no text on the page"),
        ("<html><head><title>404 页面不存在</title></head><body>页面不存在</body></html>", "error"),
        ("<html><head><title>用户登录</title></head><body>用户名 密码 登录</body></html>", "error"),
    ],
)
def test_pages_without_an_article_say_why(page: bytes | str, reason: str) -> None:
    article = extract_article(page, "http://example.test/")

    assert article.no_article is not None
    assert article.no_article.startswith(reason)
    assert article.paragraphs == [] or article.no_article.startswith("error")


ARTICLE_HTML = "<p>天津市政府召开常务会议，研究部署下一阶段重点工作。</p>"


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(b"<div>" * 10_000 + ARTICLE_HTML.encode() + b"</div>" * 10_000, id="deep"),
        pytest.param(b"<span>" * 10_000 + b"x", id="deep-unclosed"),
        pytest.param(("<html>\x00<body>\x00" + ARTICLE_HTML * 5).encode(), id="nul-bytes"),
        pytest.param(b"<html><body><p>unclosed <b><i>tags</p></div></td></tr>" * 50, id="broken"),
        pytest.param(b"<<<>>><!-- <p --><![CDATA[ x ]]></p></p><p <a href=>", id="garbage"),
        pytest.param(
            b'<?xml version="1.0" encoding="utf-8"?><html><body>x</body></html>', id="xml"
        ),
        pytest.param(b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00", id="utf16-bom"),
        pytest.param(bytes(range(256)) * 40, id="all-bytes"),
        pytest.param("<html><body>\ud800 lone surrogate</body></html>", id="surrogate"),
    ],
)
def test_no_exception_for_hostile_input(page: bytes | str) -> None:
    article = extract_article(page, "http://example.test/a.html")

    assert article.no_article is not None or article.paragraphs


def test_ten_megabyte_page_keeps_its_text() -> None:
    page = ("<html><body>" + ARTICLE_HTML * 250_000 + "</body></html>").encode()
    article = extract_article(page)

    assert article.no_article is None
    assert article.paragraphs[0] == "天津市政府召开常务会议，研究部署下一阶段重点工作。"
    assert "page cut at" in article.how["body"]


# ------------------------------------------------------------------ generated documents
_LONG_RUN = os.environ.get("TJCRAWL_HYPOTHESIS_PROFILE") == "long"
_TAGS = (
    "div p span a table tr td ul li h1 h2 h3 script style br font b section article nav "
    "footer iframe form title meta head body html pre"
).split()
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("天津市政府发布时间来源作者：，。、0123456789-/年月日 \n\t<>&;\"'")),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)
_ATTRS = st.sampled_from(
    [
        "",
        ' id="zoom"',
        ' class="TRS_Editor"',
        ' class="footer"',
        ' class="share"',
        ' href="/a.pdf"',
        ' name="PubDate" content="2025-08-22 10:30"',
        ' property="article:published_time" content="2024-13-45T99:99:99Z"',
        ' class="breadcrumb"',
        ' style="display:none"',
    ]
)


@st.composite
def _element(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(_TAGS))
    attrs = draw(_ATTRS)
    parts = [draw(_TEXT)]
    if depth < 6:
        for _ in range(draw(st.integers(0, 4))):
            parts.append(draw(_element(depth + 1)))
            parts.append(draw(_TEXT))
    closed = draw(st.booleans()) or draw(st.booleans())
    return f"<{tag}{attrs}>" + "".join(parts) + (f"</{tag}>" if closed else "")


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from([GOV_PAGE.encode("gbk"), NEWS_PAGE.encode("utf-8")])))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate", "flip"]))
        at = draw(st.integers(0, len(data)))
        if op == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif op == "insert":
            data[at:at] = draw(st.binary(max_size=40))
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 400))] * draw(st.integers(1, 5))
        elif op == "truncate":
            del data[at:]
        elif data:
            index = min(at, len(data) - 1)
            data[index] = draw(st.integers(0, 255))
    return bytes(data)


_DOCUMENTS = st.one_of(
    _element().map(lambda html: html.encode("utf-8", "surrogatepass")),
    _element().map(lambda html: html.encode("gb18030", "replace")),
    _mutated(),
    st.binary(max_size=300),
)
_slowest: list[float] = [0.0]


@settings(
    max_examples=10_000 if _LONG_RUN else 150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    page=_DOCUMENTS,
    url=st.sampled_from([None, GOV_URL, "http://example.test/2024/05/20/x.html", "not a url"]),
)
def test_generated_and_mutated_documents_never_raise(page: bytes, url: str | None) -> None:
    start = time.perf_counter()
    article = extract_article(page, url, fetched_at=datetime(2025, 9, 1, tzinfo=SHANGHAI))
    elapsed = time.perf_counter() - start
    _slowest[0] = max(_slowest[0], elapsed)

    assert article.no_article is not None or article.paragraphs
    if article.published_at is not None:
        assert article.published_at.utcoffset().total_seconds() == 8 * 3600
    if _LONG_RUN:
        assert elapsed < 1.0, f"{elapsed:.2f} s for a {len(page)}-byte document"
