"""Several sources on one host (www.tj.gov.cn's columns): the fixture server serves them all."""

import urllib.error
import urllib.request
from pathlib import Path

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
