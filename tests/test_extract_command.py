"""`tjcrawl extract FILE|URL`: one page through the generic extractor, without a profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from tjcrawl.fixture_server import serving

TITLE = "市发展改革委关于做好2025年秋季粮食收购工作的通知"
PARAGRAPHS = [
    "各区发展改革委，各有关单位：为切实做好今年秋粮收购工作，保护种粮农民利益，"
    "确保粮食市场平稳运行，现将有关事项通知如下。",
    "一、各区要提早谋划，落实收购网点，合理布设收购点位，方便农民就近售粮，"
    "严禁压级压价、拖欠售粮款。",
    "二、各收购企业要严格执行国家粮食质量标准，做到优质优价，及时兑付售粮款。",
]


def government_page(charset_meta: bool) -> str:
    meta = (
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        if charset_meta
        else ""
    )
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    nav = "".join(f'<li><a href="/zwgk/{i}.html">政务公开栏目{i}</a></li>' for i in range(8))
    return (
        f"<html><head>{meta}<title>{TITLE}_天津市发展和改革委员会</title></head><body>"
        f'<div class="nav"><ul>{nav}</ul></div>'
        '<div class="position">当前位置：首页 &gt; 通知公告</div>'
        f'<div class="xl_tit">{TITLE}</div>'
        '<div class="xl_info">发布时间：2025-09-03 10:20 来源：市发展改革委 '
        "【字号：大 中 小】</div>"
        f'<div class="TRS_Editor">{body}</div>'
        '<div class="tools">【打印本页】【关闭窗口】</div>'
        '<div class="footer">版权所有：天津市发展和改革委员会 津ICP备05000000号</div>'
        "</body></html>"
    )


@pytest.mark.parametrize("charset_meta", [False, True], ids=["undeclared", "gb2312-meta"])
def test_a_saved_gbk_government_page_prints_its_chinese_and_its_date(
    tmp_path: Path, charset_meta: bool
) -> None:
    page = tmp_path / "saved.html"
    page.write_bytes(government_page(charset_meta).encode("gbk"))
    url = "https://fzgg.tj.gov.cn/zwgk/tzgg/202509/t20250903_1.html"

    shown = run_cli("extract", str(page), "--url", url)
    assert shown.returncode == 0, shown.stderr
    assert TITLE in shown.stdout
    assert "2025-09-03T10:20:00+08:00" in shown.stdout
    assert all(p in shown.stdout for p in PARAGRAPHS)
    assert "市发展改革委" in shown.stdout

    as_json = run_cli("extract", str(page), "--url", url, "--json")
    assert as_json.returncode == 0, as_json.stderr
    article = json.loads(as_json.stdout)
    assert list(article) == ["title", "published_at", "body", "origin", "author", "how"]
    assert article["title"] == TITLE
    assert article["published_at"] == "2025-09-03T10:20:00+08:00"
    assert article["body"] == "\n".join(PARAGRAPHS)
    assert article["origin"] == "市发展改革委"
    assert article["author"] is None
    assert set(article["how"]) >= {"title", "published_at", "body", "origin"}


def test_a_listing_page_holds_no_article(tmp_path: Path) -> None:
    entries = "".join(
        f'<li><a href="/zwgk/t2025090{i % 9 + 1}_{i}.html">关于第{i}批重点项目的公示名单</a>'
        f"<span>2025-09-0{i % 9 + 1}</span></li>"
        for i in range(20)
    )
    page = tmp_path / "index.html"
    page.write_bytes(
        f'<html><head><meta charset="gbk"><title>通知公告</title></head><body><ul>{entries}</ul>'
        "</body></html>".encode("gbk")
    )
    result = run_cli("extract", str(page), "--json")
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "no article" in line and "listing page" in line


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty page"), (bytes(range(256)) * 4, "binary content")],
)
def test_an_empty_or_binary_file_holds_no_article(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(content)
    result = run_cli("extract", str(page))
    assert result.returncode == 3
    assert "no article" in result.stderr and reason in result.stderr


def test_a_pdf_saved_as_html_is_read_as_the_attachment_it_is(tmp_path: Path) -> None:
    """Told by its bytes: a cut-off PDF is a damaged attachment, not a page without article."""
    page = tmp_path / "page.html"
    page.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    result = run_cli("extract", str(page), "--json")
    assert result.returncode == 3
    assert json.loads(result.stdout)["state"] == "damaged"
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"{page}: damaged: truncated")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.html"], "missing.html: no such file"),
        (["page.html", "--encoding", "klingon"], "unknown encoding 'klingon'"),
        (["page.html", "--url", "not a url"], "is not an http(s) URL"),
        (["https://gov.tjcrawl.test/a.html", "--url", "https://x.test/"], "is for a saved FILE"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "page.html").write_text("<p>x</p>", "utf-8")
    args = [str(tmp_path / a) if a.endswith(".html") and "/" not in a else a for a in args]
    result = run_cli("extract", *args)
    assert result.returncode in (1, 2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_live_page_is_fetched_politely(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "zwgk").mkdir(parents=True)
    (site / "zwgk" / "a.html").write_bytes(government_page(True).encode("gbk"))
    (site / "zwgk" / "secret.html").write_bytes(government_page(True).encode("gbk"))
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /zwgk/secret\n", "utf-8")
    host = "fzgg.tjcrawl.test"
    with serving({host: site}) as server:
        proxy = f"{host}={server.proxy_url}"
        fetched = run_cli("extract", f"http://{host}/zwgk/a.html", "--proxy", proxy, "--json")
        refused = run_cli("extract", f"http://{host}/zwgk/secret.html", "--proxy", proxy)
        requests = [path for _, path in server.requests]
    assert fetched.returncode == 0, fetched.stderr
    assert json.loads(fetched.stdout)["published_at"] == "2025-09-03T10:20:00+08:00"
    assert refused.returncode == 1
    assert "robots_disallowed" in refused.stderr and "Traceback" not in refused.stderr
    assert not any(path.endswith("/zwgk/secret.html") for path in requests)
    assert requests[0].endswith("/robots.txt")
