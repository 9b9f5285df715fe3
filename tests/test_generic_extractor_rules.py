"""The generic extractor's general rules, each on a small hand-written page shaped like a
kind of real page that defeated an earlier rule (names and texts here are made up)."""

from __future__ import annotations

from tjcrawl.extract.generic import extract_article

PROSE = (
    "The council approved the new budget on Tuesday after a long debate about the costs.",
    "Members said the plan would repair roads, schools and bridges across the district.",
    "The vote passed with a large majority, and work is expected to begin in the spring.",
)
CHINESE_PROSE = (
    "市议会周二批准了新的预算，此前议员们就成本问题进行了长时间的辩论。",
    "议员们表示，该计划将修缮全区的道路、学校和桥梁，改善居民的生活。",
)


def _paragraphs(attrs: str = "") -> str:
    return "".join(f"<p{attrs}>{text}</p>" for text in PROSE)


def test_class_name_saying_the_text_is_shareable_does_not_make_it_a_share_widget() -> None:
    page = f"""<html><head><title>Budget approved</title></head><body>
    <ul class="menu"><li><a href="/a">Home</a></li><li><a href="/b">News</a></li></ul>
    <article><h1>Budget approved</h1>
    <div id="articleBody">{_paragraphs(' class="selectionShareable"')}</div></article>
    <div class="share-bar"><a href="/s">Share on social media</a></div>
    </body></html>"""

    article = extract_article(page.encode(), "https://example.com/news/budget")

    assert article.paragraphs == list(PROSE)


def test_copyright_line_in_a_drawer_above_the_article_is_not_the_page_end() -> None:
    menu = "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(8))
    page = f"""<html><head><meta property="og:title" content="Council passes the budget">
    <title>Site</title></head><body>
    <div class="drawer"><ul>{menu}</ul>
    <div class="drawer-small">Part of the Example group. ©2024 Example, Inc. All rights
    reserved.</div></div>
    <main><div class="story">{_paragraphs()}</div></main>
    <div class="site-bottom">©2024 Example, Inc. All rights reserved.</div>
    </body></html>"""

    article = extract_article(page.encode(), "https://example.com/news/budget")

    assert article.paragraphs == list(PROSE)


def test_lines_broken_by_br_are_one_paragraph_not_many_scraps() -> None:
    lines = ["春风又绿江南岸", "明月何时照我还", "京口瓜洲一水间", "钟山只隔数重山"] * 3
    poem = "<br>".join(lines)
    page = f"""<html><head><title>泊船瓜洲</title></head><body>
    <div class="nav"><a href="/">首页</a> <a href="/shi/">诗词</a></div>
    <h1>泊船瓜洲</h1>
    <div class="poem"><p>{poem}</p></div>
    <div class="links"><a href="/1">上一首诗词的标题</a><a href="/2">下一首诗词的标题</a></div>
    </body></html>"""

    article = extract_article(page.encode(), "https://example.com/shi/1.html")

    assert article.paragraphs == lines


def test_byline_date_and_credit_between_headline_and_text_are_not_the_body() -> None:
    page = f"""<html><head><title>Council passes the budget</title></head><body>
    <nav><a href="/">Home</a> <a href="/news">News</a></nav>
    <article><header><h1>Council passes the budget</h1>
    <p class="dek">Roads and schools get most of the money</p>
    <div class="byline">By Jane Doe</div><div class="time">Nov. 19, 2019, 8:41 AM UTC</div>
    <figure><img src="/a.jpg"><figcaption>Photo: John Roe / Example Images</figcaption></figure>
    </header>
    <div class="story-text">{_paragraphs()}</div>
    <div class="topics">Topics</div></article>
    <footer><a href="/about">About us</a> <a href="/privacy">Privacy</a></footer>
    </body></html>"""

    article = extract_article(page.encode(), "https://example.com/news/budget")

    assert article.paragraphs == list(PROSE)


def test_short_punctuated_chinese_lines_before_the_text_are_kept() -> None:
    verse = ["深夜看书须尽欢，", "明月照亮浊酒案。"]
    text = "新区建设稳步推进，各项工作取得明显成效，群众获得感不断增强。" * 3
    page = f"""<html><head><title>诗一首</title></head><body>
    <div class="nav"><a href="/">首页</a> <a href="/a">文章</a></div>
    <h1>诗一首</h1>
    <div class="post"><div class="verse">{"".join(f"<div>{v}</div>" for v in verse)}</div>
    <div class="text"><p>{text}</p><p>{text}</p><p>{text}</p></div></div>
    </body></html>"""

    article = extract_article(page.encode(), "https://example.com/a/1.html")

    assert article.paragraphs == [*verse, text, text, text]


def test_consent_layer_with_meaningless_class_names_is_not_the_article() -> None:
    consent = (
        "Klicken Sie auf Zustimmen, um Ihre Einwilligung zur Verarbeitung Ihrer "
        "personenbezogenen Daten durch uns und unsere Partner zu geben, auch für Werbung, "
        "Cookies und die Messung von Reichweite auf allen unseren Seiten und Diensten. "
    )
    page = f"""<html><head><title>Council passes the budget</title></head><body>
    <h1>Council passes the budget</h1>
    <div class="c1">{_paragraphs()}</div>
    <div class="x8f3q"><h3>Wir respektieren Ihre Privatsphäre</h3>
    <p>{consent * 3}</p><p>{consent * 2}</p><button>Zustimmen</button></div>
    </body></html>"""

    article = extract_article(page.encode(), "https://example.com/news/budget")

    assert article.paragraphs == list(PROSE)


def test_empty_related_box_inside_the_text_does_not_end_the_article() -> None:
    more = [
        "Later in the evening the mayor thanked the members for their patience and their work.",
        "The first contracts will be signed in January, the council's office said on Wednesday.",
        "Residents can read the full plan at the town hall, where it is on show until March.",
    ]
    page = f"""<html><head><title>Council passes the budget</title></head><body>
    <h1>Council passes the budget</h1>
    <div class="story">{_paragraphs()}
    <section class="box"><p class="box-title">Related stories</p></section>
    {"".join(f"<p>{text}</p>" for text in more)}</div>
    <div class="bottom"><a href="/1">Another story</a> <a href="/2">And another</a></div>
    </body></html>"""

    article = extract_article(page.encode(), "https://example.com/news/budget")

    assert article.paragraphs == [*PROSE, *more]


def test_labels_and_sign_up_lines_between_and_after_paragraphs_are_left_out() -> None:
    first, second, third = PROSE
    page = f"""<html><head><title>Council passes the budget</title></head><body>
    <h1>Council passes the budget</h1>
    <div class="story"><p>{first}</p><div>Advertisement</div><p>{second}</p>
    <p>Anzeige</p><p>Get the look:</p><p>{third}</p>
    <p>Sign up for our newsletter to get the best stories delivered to your inbox.</p>
    <p>Topics</p></div>
    </body></html>"""

    article = extract_article(page.encode(), "https://example.com/news/budget")

    assert article.paragraphs == [first, second, "Get the look:", third]


def test_a_copy_of_the_article_hidden_with_display_none_is_not_read() -> None:
    # A schema.org copy of the story: headline, dates, image sizes and the whole text again,
    # inside the article's element but never shown to the reader.
    hidden = f"""<div style="display: none" itemscope>
    <div itemprop="headline">Budget approved</div><div itemprop="datePublished">2024-05-01</div>
    <div itemprop="width">500</div><div itemprop="articleBody">{" ".join(PROSE)}</div></div>"""
    page = f"""<html><head><title>Budget approved</title></head><body>
    <article><h1>Budget approved</h1><div class="body">{_paragraphs()}</div>{hidden}
    <p hidden>Press the button to load the comments.</p></article>
    </body></html>"""

    article = extract_article(page.encode(), "https://example.com/news/budget")

    assert article.paragraphs == list(PROSE)


def test_photo_credit_lines_are_not_article_text_but_inline_captions_are() -> None:
    page = f"""<html><head><title>Budget approved</title></head><body>
    <article><h1>Budget approved</h1>
    <figure><img src="/a.jpg"><figcaption>Council members vote on the budget.</figcaption>
    <div class="credit">Photo: Jane Doe, AP</div></figure>
    {_paragraphs()}<p>(AP Photo/John Roe)</p></article>
    </body></html>"""

    article = extract_article(page.encode(), "https://example.com/news/budget")

    assert article.paragraphs == ["Council members vote on the budget.", *PROSE]


def test_slideshow_captions_are_left_out_unless_written_in_chinese() -> None:
    slides = "".join(
        f'<li class="slide"><img src="/{i}.jpg"><div class="caption">'
        f"<p>Workers repair the road near the bridge, picture {i}.</p></div></li>"
        for i in range(3)
    )
    page = f"""<html><head><title>Budget approved</title></head><body>
    <article><h1>Budget approved</h1><ul class="gallery">{slides}</ul>{_paragraphs()}
    </article></body></html>"""
    chinese = "".join(f"<p>{line}</p>" for line in CHINESE_PROSE)
    chinese_page = f"""<html><head><title>预算获批</title></head><body>
    <article><h1>预算获批</h1><div class="gallery"><figure><img src="/1.jpg">
    <figcaption>工人在桥边修路。</figcaption></figure></div>{chinese}</article></body></html>"""

    assert extract_article(page.encode(), "https://example.com/a").paragraphs == list(PROSE)
    assert extract_article(chinese_page.encode(), "https://example.cn/a").paragraphs == [
        "工人在桥边修路。",
        *CHINESE_PROSE,
    ]


def test_the_h1_in_other_words_is_the_headline_not_a_later_card_repeating_the_title() -> None:
    card = """<div class="card"><h2>Council Budget Vote</h2><ul><li>Roads: 40 %</li>
    <li>Schools: 35 %</li><li>Bridges: 25 %</li></ul></div>"""
    page = f"""<html><head><title>Council Budget Vote Explained | Example News</title></head>
    <body><article><h1>How the council budget vote went on Tuesday</h1>
    {_paragraphs()}{card}</article></body></html>"""

    article = extract_article(page.encode(), "https://example.com/news/budget")

    assert article.title == "How the council budget vote went on Tuesday"
    assert article.paragraphs[:3] == list(PROSE)


def test_a_headline_that_links_to_its_own_page_is_still_the_headline() -> None:
    # A blog: <h1><a href=self>; the site's name, the <title>'s second part, in the footer.
    page = f"""<html><head><title>Council budget notes - Example Blog</title></head><body>
    <div class="post"><h1><a href="/p/1">Council budget notes</a></h1>{_paragraphs()}</div>
    <div id="footer"><p>Example Blog</p></div></body></html>"""

    article = extract_article(page.encode(), "https://example.com/p/1")

    assert article.title == "Council budget notes"
    assert article.paragraphs == list(PROSE)


def test_documented_container_is_named_as_the_xpath_class_test_names_it() -> None:
    """The container search reads class names split at XML spaces (tab, newline), as XPath's
    normalize-space() does, and not at a no-break space: class="x\u00a0TRS_Editor" is one
    name, so the page's text-density choice stands, as it did with the XPath query."""
    from lxml import etree

    from tjcrawl.extract.blocks import segment
    from tjcrawl.extract.body import documented_container

    prose = "，".join(["天津市召开工作会议部署下一阶段重点任务"] * 4) + "。"
    html = (
        f"<html><body><div class='x\u00a0TRS_Editor'><p>{prose}</p></div>"
        f"<div class='a\tTRS_UEDITOR\nb'><p>{prose}</p></div></body></html>"
    )
    root = etree.fromstring(html, etree.HTMLParser())
    seg = segment(root)
    container = documented_container(seg, root, html)
    assert container is not None and container.get("class") == "a\tTRS_UEDITOR\nb"
    old_query = etree.XPath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ') or "
        "contains(concat(' ', normalize-space(@class), ' '), ' TRS_UEDITOR ')]"
    )
    assert old_query(root) == [container]
