"""Several sources on one host (www.tj.gov.cn's columns): the fixture server serves them all."""

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tjcrawl.fixture_paths import SiteWriter
from tjcrawl.fixture_server import serving, site_roots
from tjcrawl.profiles import parse_profile

PROFILE = """
name = "{slug}"
allowed_domains = ["www.shared.test"]
start_urls = ["http://www.shared.test/{column}/"]
[listing]
entries = "li"
link = "a/@href"
[detail]
"""


def _source(root: Path, slug: str, column: str) -> Path:
    site = root / "fixtures" / slug / "site" / column
    site.mkdir(parents=True)
    (site / "index.html").write_text(f"<html><body>{slug}</body></html>", "utf-8")
    path = root / "sources" / f"{slug}.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(PROFILE.format(slug=slug, column=column), "utf-8")
    return path


def test_two_sources_of_one_host_are_both_served(tmp_path: Path) -> None:
    news = parse_profile(_source(tmp_path, "shared_news", "xw"))
    notices = parse_profile(_source(tmp_path, "shared_notices", "tzgg"))
    roots = site_roots([news, notices], tmp_path / "fixtures")
    assert len(roots["www.shared.test"]) == 2
    with serving(roots) as server:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": server.proxy_url})
        )
        for column, slug in (("xw", "shared_news"), ("tzgg", "shared_notices")):
            with opener.open(f"http://www.shared.test/{column}/", timeout=5) as answer:
                assert slug in answer.read().decode("utf-8")
        try:
            opener.open("http://www.shared.test/nowhere/", timeout=5)
            raise AssertionError("a path in neither folder must answer 404")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404


def test_each_page_is_served_with_the_content_type_its_folder_records(tmp_path: Path) -> None:
    """Real pages come in GBK and other encodings, often at URLs with no extension: each is
    served with the Content-Type recorded for it in headers.json beside site/ (an https page
    too, served over plain HTTP), and a page with none recorded by its extension, no charset."""
    gbk = "<html><body><h1>新闻</h1></body></html>".encode("gbk")
    writer = SiteWriter(tmp_path / "site")
    writer.add("https://news.gbk.test/a/202405/20/12345", gbk)
    writer.add("http://news.gbk.test/b/index.html", b"<html></html>")
    recorded = {
        "https://news.gbk.test/a/202405/20/12345": {"Content-Type": ["text/html; charset=GBK"]}
    }
    (tmp_path / "headers.json").write_text(json.dumps(recorded), "utf-8")
    with serving({"news.gbk.test": tmp_path / "site"}) as server:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": server.proxy_url})
        )
        with opener.open("http://news.gbk.test/a/202405/20/12345", timeout=5) as answer:
            assert answer.headers["Content-Type"] == "text/html; charset=GBK"
            assert answer.read() == gbk
        with opener.open("http://news.gbk.test/b/index.html", timeout=5) as answer:
            assert answer.headers["Content-Type"] == "text/html"


def test_a_headers_file_that_cannot_be_read_stops_the_server(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "headers.json").write_text("{not json", "utf-8")
    with (
        pytest.raises(ValueError, match=r"headers.json: not a headers file"),
        serving({"news.gbk.test": tmp_path / "site"}),
    ):
        pass
