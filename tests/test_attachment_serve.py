"""Datasette: an article's page lists its attachments (link, type, size, state and a snippet
of their text), and the search_attachments query finds what `tjcrawl search` finds."""

import asyncio
import json
from pathlib import Path
from urllib.parse import quote

from attachment_archive import add_article, add_attachment
from click.testing import CliRunner

from tjcrawl.attachments.states import Extracted
from tjcrawl.cli import main
from tjcrawl.serve import build_datasette
from tjcrawl.storage.archive import Archive

PDF_URL = "http://x.test/202503/P020250301.pdf"


def _archive(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    archive = Archive(path)
    article = add_article(archive, 1, "关于签约项目的通知", "详见附件")
    add_article(archive, 2, "无附件", "正文")
    add_attachment(
        archive,
        article,
        PDF_URL,
        b"x" * 2048,
        link_text="附件1：签约项目清单",
        got=Extracted("ok", "一、华东重工（天津）有限公司\n二、<b>其他</b>", 2, "pdfium"),
    )
    add_attachment(
        archive,
        article,
        "http://x.test/202503/W0.pdf",
        b"<html>",
        got=Extracted("not_a_file", "", None, "none", "an HTML page"),
    )
    archive.commit()
    archive.close()
    return path


def _get(path: Path, *urls: str) -> list:
    ds = build_datasette(path)

    async def fetch() -> list:
        await ds.invoke_startup()
        return [await ds.client.get(url) for url in urls]

    return asyncio.run(fetch())


def test_an_article_page_lists_its_attachments(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    with_files, without = _get(path, "/archive/articles/1", "/archive/articles/2")
    assert with_files.status_code == 200, with_files.text[:2000]
    page = with_files.text
    assert "Attachments (2)" in page
    assert f'<a href="{PDF_URL}" rel="noopener noreferrer">附件1：签约项目清单</a>' in page
    assert "application/pdf" in page and "2.0 KB" in page
    assert "一、华东重工（天津）有限公司 二、&lt;b&gt;其他&lt;/b&gt;" in page  # escaped
    assert ">W0.pdf</a>" in page and "not_a_file" in page
    assert without.status_code == 200 and 'class="tjcrawl-attachments"' not in without.text


def test_the_search_attachments_query_finds_what_tjcrawl_search_finds(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    out = CliRunner().invoke(
        main, ["search", "华东", "--in", "attachments", "--json", "--db", str(path)]
    )
    expected = {hit["url"] for hit in json.loads(out.output)["attachments"]["hits"]}
    [response] = _get(path, "/archive/search_attachments.json?_shape=array&q=%E5%8D%8E%E4%B8%9C")
    assert response.status_code == 200, response.text[:2000]
    found = response.json()
    assert {row["url"] for row in found} == expected == {PDF_URL}
    assert found[0]["name"] == "附件1：签约项目清单"
    assert found[0]["article"] == "关于签约项目的通知"
    assert "[华东]" in found[0]["snippet"]


def test_the_search_attachments_query_finds_a_phrase_across_a_line_break(tmp_path: Path) -> None:
    """有限公司 / 二、 stand on two lines of the file's text: the attachments' index folds the
    break away, and the canned query asks it the same way `tjcrawl search` does."""
    path = _archive(tmp_path)
    out = CliRunner().invoke(
        main, ["search", "有限公司二、", "--in", "attachments", "--json", "--db", str(path)]
    )
    expected = {hit["url"] for hit in json.loads(out.output)["attachments"]["hits"]}
    query = "/archive/search_attachments.json?_shape=array&q=" + quote("有限公司二、")
    [response] = _get(path, query)
    assert response.status_code == 200, response.text[:2000]
    found = response.json()
    assert {row["url"] for row in found} == expected == {PDF_URL}
    assert "[有限公司二、]" in found[0]["snippet"]
