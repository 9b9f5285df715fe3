"""Attachment links per article and the files (fetched by default); JSON listing APIs."""

import hashlib
import json
import sqlite3
from pathlib import Path

from conftest import FIXTURES, DemoArchive, count, run_cli

from tjcrawl.fixtures import offline_crawl
from tjcrawl.profiles import parse_profile
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.pages import attachment_body

SITE = FIXTURES / "demo_trs" / "site" / "sy" / "tjxw" / "202411"

ATTACHED = "http://gov.tjcrawl.test/sy/tjxw/202411/t20241114_6012338.html"


def test_attachment_links_are_recorded_per_article(demo_archive: DemoArchive) -> None:
    with sqlite3.connect(demo_archive.path) as conn:
        links = conn.execute(
            "SELECT t.url, t.text FROM attachments t JOIN articles a ON a.id = t.article_id"
            " WHERE a.url = ?",
            (ATTACHED,),
        ).fetchall()
    suffixes = sorted(url.rsplit(".", 1)[1] for url, _ in links)
    assert suffixes == ["docx", "pdf", "xlsx"]
    assert all(text for _, text in links)
    assert count(demo_archive.path, "SELECT count(DISTINCT article_id) FROM attachments") == 1
    # The demo fetches them by default; its second run fetched none of them again.
    assert count(demo_archive.path, "SELECT count(*) FROM attachment_files") == 3


def crawl_trs(db: Path, settings: dict | None = None, *flags: str):
    env = {"TJCRAWL_SETTINGS": json.dumps(settings)} if settings else None
    return run_cli("crawl", "demo_trs", "--serve-fixtures", *flags, "--db", str(db), env=env)


def test_attachments_are_stored_compressed_within_the_caps(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    # --attachments is the default, kept so that old scripts still run.
    assert crawl_trs(db, None, "--attachments").returncode == 0
    with sqlite3.connect(db) as conn:
        files = {
            url.rsplit(".", 1)[1]: (size, sha256, compression, attachment_body(conn, url))
            for url, size, sha256, compression in conn.execute(
                "SELECT url, size, sha256, compression FROM attachment_files"
            )
        }
        texts = dict(conn.execute("SELECT url, text FROM attachment_texts"))
    assert sorted(files) == ["docx", "pdf", "xlsx"]
    for suffix, (size, sha256, compression, body) in files.items():
        served = next(SITE.glob(f"P0*.{suffix}")).read_bytes()
        assert body == served and size == len(served), suffix
        # The 45-byte placeholder PDF would only grow: kept as served.
        assert compression == ("none" if suffix == "pdf" else "zstd"), suffix
        assert sha256 == hashlib.sha256(served).hexdigest()
    assert any("天津津南绿能材料有限公司" in text for text in texts.values())

    capped = tmp_path / "capped.db"
    assert crawl_trs(capped, {"TJCRAWL_ATTACHMENT_MAX_BYTES": 10}).returncode == 0
    assert count(capped, "SELECT count(*) FROM attachment_files WHERE body IS NOT NULL") == 0
    too_large = "SELECT count(*) FROM faults WHERE kind = 'too_large'"
    assert count(capped, too_large) == 3
    states = "SELECT count(*) FROM attachment_texts WHERE state = 'too_large'"
    assert count(capped, states) == 3, "over the cap is a state, never silent"
    assert count(capped, "SELECT count(*) FROM articles") == 14

    counted = tmp_path / "counted.db"
    assert crawl_trs(counted, {"TJCRAWL_ATTACHMENTS_PER_ARTICLE": 1}).returncode == 0
    assert count(counted, "SELECT count(*) FROM attachment_files WHERE body IS NOT NULL") == 1
    over = count(
        counted,
        "SELECT count(*) FROM faults WHERE kind = 'too_large'"
        " AND detail LIKE '%TJCRAWL_ATTACHMENTS_PER_ARTICLE = 1, not fetched'",
    )
    assert over == 2
    assert count(counted, states) == 2

    none = tmp_path / "none.db"
    assert crawl_trs(none, None, "--no-attachments").returncode == 0
    assert count(none, "SELECT count(*) FROM attachment_files") == 0
    assert count(none, "SELECT count(*) FROM attachments") == 3, "the links are kept"


def test_attachment_files_stored_raw_before_compression_stay_readable(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    archive = Archive(db)
    try:
        archive.conn.execute(
            "INSERT INTO attachment_files (url, status, size, sha256, body) VALUES (?,?,?,?,?)",
            ("http://x.test/a.pdf", 200, 5, "-", b"%PDF-"),
        )
        archive.conn.commit()
        assert attachment_body(archive.conn, "http://x.test/a.pdf") == b"%PDF-"
        assert attachment_body(archive.conn, "http://x.test/b.pdf") is None
    finally:
        archive.close()


JSON_PROFILE = """
name = "JSON 列表接口"
allowed_domains = ["api.tjcrawl.test"]
start_urls = ["http://api.tjcrawl.test/igs/list_1.json"]
fixture = true

[listing]
format = "json"
entries = "data.list[]"
link = "url"
title = "title"
date = "pubDate"

[pagination]
template = "list_{n}.json"
first = 2
max_pages = 10

[detail]
title = "h1"
body = "div.content"
"""


def build_json_site(root: Path) -> Path:
    site = root / "fixtures" / "json_api" / "site"
    (site / "igs").mkdir(parents=True)
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "fixtures" / "json_api" / "fixture.toml").write_text(
        'fetched_at = "2025-08-23T10:00:00+08:00"\narticles = 3\n'
    )
    pages = {1: [1, 2], 2: [3]}
    for page, ids in pages.items():
        rows = [
            {"url": f"/igs/art_{i}.html", "title": f"天津政策文件{i}", "pubDate": f"2025-08-2{i}"}
            for i in ids
        ]
        payload = {"data": {"total": 3, "list": rows}}
        (site / "igs" / f"list_{page}.json").write_text(json.dumps(payload, ensure_ascii=False))
        for i in ids:
            (site / "igs" / f"art_{i}.html").write_text(
                f"<html><body><h1>天津政策文件{i}</h1><div class='content'>"
                f"<p>第{i}号文件全文。</p></div></body></html>",
                encoding="utf-8",
            )
    sources = root / "sources"
    sources.mkdir()
    (sources / "json_api.toml").write_text(JSON_PROFILE, encoding="utf-8")
    return sources


def test_a_json_listing_profile_reads_the_api(tmp_path: Path) -> None:
    sources = build_json_site(tmp_path)
    profile = parse_profile(sources / "json_api.toml")
    items, dropped = offline_crawl(profile, tmp_path / "fixtures")
    assert dropped == []
    by_title = {i["title"]: i for i in items}
    assert sorted(by_title) == ["天津政策文件1", "天津政策文件2", "天津政策文件3"]
    assert by_title["天津政策文件3"]["published_at"] == "2025-08-23T00:00:00+08:00"
    assert by_title["天津政策文件3"]["date_source"] == "listing"
    assert by_title["天津政策文件1"]["body"] == "第1号文件全文。"

    env = {"TJCRAWL_SOURCES_DIR": str(sources), "TJCRAWL_FIXTURES_DIR": str(tmp_path / "fixtures")}
    db = tmp_path / "a.db"
    result = run_cli("crawl", "json_api", "--serve-fixtures", "--db", str(db), env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert count(db, "SELECT count(*) FROM articles") == 3


def test_json_fields_are_validated_as_jmespath(tmp_path: Path) -> None:
    path = tmp_path / "bad_json.toml"
    path.write_text(JSON_PROFILE.replace('link = "url"', 'link = "data.["'), encoding="utf-8")
    try:
        parse_profile(path)
    except ValueError as exc:
        assert f"{path}: listing.link: JMESPath" in str(exc)
    else:
        raise AssertionError("a broken JMESPath must be refused")


def test_attachments_fetched_by_the_crawl_are_read_and_their_state_kept(tmp_path: Path) -> None:
    """The fixture's P0….pdf is a placeholder with no cross-reference table and no page: read in
    the attachment worker, kept as damaged with its reason, and a fault row says so."""
    db = tmp_path / "a.db"
    assert crawl_trs(db).returncode == 0
    with sqlite3.connect(db) as conn:
        texts = conn.execute(
            "SELECT t.url, t.state, t.text, t.detail, t.sha256 = f.sha256"
            " FROM attachment_texts t JOIN attachment_files f USING (url)"
        ).fetchall()
        faults = conn.execute(
            "SELECT url, detail FROM faults WHERE kind = 'attachment_damaged'"
        ).fetchall()
    by_suffix = {row[0].rsplit(".", 1)[1]: row for row in texts}
    assert set(by_suffix) == {"pdf", "docx", "xlsx"}
    url, state, text, detail, same_bytes = by_suffix["pdf"]
    assert state == "damaged" and text == "" and same_bytes == 1
    assert "no startxref" in detail
    assert faults == [(url, detail)]
    # The real DOCX beside it (tools/make_demo_attachments.py) reads ok.
    _, state, text, detail, same_bytes = by_suffix["docx"]
    assert state == "ok" and "投资服务专员" in text and detail == "" and same_bytes == 1


def test_a_trs_file_of_any_extension_is_an_attachment_and_an_article_link_is_not() -> None:
    """TRS names an article's files W0…/P0… in its YYYYMM/ folder whatever their format: the
    W0….html table of tj_fzgg was not fetched while the extension list lacked .html. A link to
    another article (tYYYYMMDD_ID.html, or any page) stays a link."""
    from parsel import Selector

    from tjcrawl.extract.fields import attachment_links
    from tjcrawl.extract.generic import extract_article
    from tjcrawl.profiles import FieldSpec

    article = "https://fzgg.tj.gov.cn/xxfb/tzggx/202508/t20250815_7005790.html"
    body = (
        "<div class='c'><p>详见附件。</p>"
        "<p><a href='./W020250815396120457791.html'>附件11：清单（网页版）.html</a></p>"
        "<p><a href='./P020250815396120457799.shtml'>附件12：名单.shtml</a></p>"
        "<p><a href='./t20250814_7005700.html'>相关文章</a></p>"
        "<p><a href='/xxfb/W020250815396120457798.html'>不在月份目录</a></p>"
        "<p><a href='../index.html'>通知公告</a></p></div>"
    )
    page = f"<html><body><h1>推介活动</h1>{body}</body></html>"
    spec = FieldSpec(source="div.c", query="//div[@class='c']")
    files = [
        "https://fzgg.tj.gov.cn/xxfb/tzggx/202508/W020250815396120457791.html",
        "https://fzgg.tj.gov.cn/xxfb/tzggx/202508/P020250815396120457799.shtml",
    ]
    found = attachment_links(Selector(text=page), article, None, spec)
    assert [link["url"] for link in found] == files
    generic = extract_article(page.encode(), article)
    assert [link["url"] for link in generic.attachments] == files
