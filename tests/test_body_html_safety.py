"""An article's stored body_html is safe to render (issue 19, "Safe exports").

body_html keeps only allow-listed markup (no scripts, event handlers or javascript: links)
while the raw page keeps the bytes the site sent and the text body is what the page says.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import sqlite_utils
import zstandard
from conftest import run_cli

from tjcrawl.fixture_server import serving
from tjcrawl.html_safety import sanitise_body_html
from tjcrawl.storage.archive import open_database
from tjcrawl.storage.migrations import MIGRATIONS

HOST = "hostile.tjcrawl.test"
PROFILE = f"""
name = "测试：带脚本的文章页"
allowed_domains = ["{HOST}"]
start_urls = ["http://{HOST}/news/index.html"]
title_suffixes = ["_测试站"]

[listing]
entries = "ul.list > li"
link = "a::attr(href)"
title = "a"
date = "span"

[detail]
title = "head > title"
date = {{ select = "div.info", regex = "发布时间[:：]\\\\s*(\\\\d{{4}}-\\\\d{{2}}-\\\\d{{2}})" }}
body = "div.content"
"""
LISTING = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>要闻_测试站</title></head>
<body><ul class="list">
<li><a href="202508/t20250820_1.html">带脚本的文章</a><span>2025-08-20</span></li>
</ul></body></html>
"""
HOSTILE_ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>带脚本的文章_测试站</title></head>
<body><div class="info">发布时间：2025-08-20</div>
<div class="content">
<p>第一段正文。<script>alert(1)</script></p>
<p><img src=x onerror=alert(1)>第二段<a href="javascript:alert(1)">点此</a>。</p>
<p onclick="alert(2)" style="text-align:center">第三段<a href="http://example.org/a.html">链接</a></p>
<p><img src="http://example.org/photo.jpg" alt="照片" onload="alert(3)"></p>
</div></body></html>
""".encode()


def test_a_crawled_body_html_keeps_no_script_handler_or_javascript_link(tmp_path: Path) -> None:
    sources, site, db = tmp_path / "sources", tmp_path / "site", tmp_path / "a.db"
    sources.mkdir()
    (sources / "hostile.toml").write_text(PROFILE, "utf-8")
    (site / "news" / "202508").mkdir(parents=True)
    (site / "news" / "index.html").write_text(LISTING, "utf-8")
    (site / "news" / "202508" / "t20250820_1.html").write_bytes(HOSTILE_ARTICLE)

    with serving({HOST: site}) as server:
        result = run_cli(
            "crawl",
            "hostile",
            "--db",
            str(db),
            "--proxy",
            f"{HOST}={server.proxy_url}",
            env={"TJCRAWL_SOURCES_DIR": str(sources)},
            timeout=120,
        )
    assert result.returncode == 0, result.stderr[-3000:]

    with closing(sqlite3.connect(db)) as conn:
        (body, body_html, page_id), *others = conn.execute(
            "SELECT body, body_html, page_id FROM articles"
        ).fetchall()
        page, compression = conn.execute(
            "SELECT body, compression FROM pages WHERE id = ?", (page_id,)
        ).fetchone()
    assert others == []

    lowered = body_html.lower()
    for active in ("<script", "alert(", "onerror", "onclick", "onload", "javascript:"):
        assert active not in lowered, body_html
    # What is left is the article: its paragraphs, its safe link and image, its layout.
    assert '<a href="http://example.org/a.html">链接</a>' in body_html
    assert '<img src="http://example.org/photo.jpg" alt="照片">' in body_html
    assert '<p style="text-align:center">第三段' in body_html
    # The raw page keeps every byte the site sent, scripts and all.
    assert compression == "zstd" and zstandard.decompress(page) == HOSTILE_ARTICLE
    # The text body never held the script and is what the page says.
    assert body == "第一段正文。\n第二段点此。\n第三段链接"


@pytest.mark.parametrize(
    "html",
    [
        "<p>x<scr<script>ipt>alert(1)</script></p>",
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<a href=" JAVASCRIPT:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        "<svg><script>alert(1)</script></svg>",
        '<iframe src="javascript:alert(1)"></iframe>',
        "<p style=\"background:url('javascript:alert(1)')\">x</p>",
        '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
        '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">b</button>',
    ],
)
def test_tricky_markup_loses_everything_active(html: str) -> None:
    # Leftover words (`ipt>alert(1)` of a broken tag) may stay, as escaped text; markup may not.
    cleaned = sanitise_body_html(html) or ""
    for active in ("<script", "javascript", "onerror", "data:", "<iframe", "<form", "<style"):
        assert active not in cleaned.lower(), cleaned


def test_an_archive_made_before_sanitising_has_its_body_html_sanitised_on_upgrade(
    tmp_path: Path,
) -> None:
    # An archive at the schema version before the sanitising step, holding an article whose
    # body_html was stored raw, as every article was before.
    step = next(
        (i for i, m in enumerate(MIGRATIONS) if m.__name__ == "_sanitise_stored_body_html"),
        len(MIGRATIONS),
    )
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        db = sqlite_utils.Database(conn)
        with db.atomic():
            for migration in MIGRATIONS[:step]:
                migration(db)
            conn.execute(f"PRAGMA user_version = {step}")
        raw = '<p>正文<script>alert(1)</script><a href="javascript:alert(1)">点此</a></p>'
        conn.execute(
            "INSERT INTO articles (url, source, title, body, body_html, content_hash, change_seq,"
            " first_seen_at)"
            " VALUES ('http://a.test/1.html', 's', '标题', '正文点此', ?, 'h', 7, '2025-08-20')",
            (raw,),
        )

    open_database(path).conn.close()

    with closing(sqlite3.connect(path)) as conn:
        row = conn.execute("SELECT body_html, body, content_hash, change_seq FROM articles")
        assert row.fetchone() == ("<p>正文<a>点此</a></p>", "正文点此", "h", 7)
