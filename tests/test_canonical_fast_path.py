"""A URL already in canonical form is returned as it is, without w3lib's canonicalisation:
that shortcut must agree with the full path wherever it is taken."""

from __future__ import annotations

import itertools

from tjcrawl.urls import _PLAIN_URL_RE, _canonical_in_full, canonical_url, followable_url

HOSTS = ("www.tj.gov.cn", "a", "1.2.3.4", "xn--fiqs8s.cn", "a-b.c", "-a", "a..b", "A.cn")
PATHS = ("", "/", "/sy/tjxw/index_1.html", "/a/./b", "/a/../b", "/.x", "//a", "/~u/a_b-c.d")
PATHS += ("/a%20b", "/a b", "/天津", "/a?x=1", "/a#f", "/a;p", ":8080/a", ":80/")


def test_the_shortcut_agrees_with_the_full_canonicalisation() -> None:
    taken = 0
    for scheme, host, path in itertools.product(("http", "https", "HTTP", "ftp"), HOSTS, PATHS):
        url = f"{scheme}://{host}{path}"
        if not _PLAIN_URL_RE.fullmatch(url):
            continue  # the full path: nothing to compare
        taken += 1
        assert canonical_url(url) == _canonical_in_full(url) == url
        assert followable_url(url) == url
    assert taken > 20


def test_the_shortcut_is_taken_for_ordinary_cms_links() -> None:
    for url in (
        "http://www.tj.gov.cn/sy/tjxw/202412/t20241114_6781234.html",
        "https://fzgg.tj.gov.cn/zwgk/",
    ):
        assert _PLAIN_URL_RE.fullmatch(url)
    for url in ("http://www.tj.gov.cn/a/../b", "http://www.TJ.gov.cn/", "http://a/b?x=1"):
        assert not _PLAIN_URL_RE.fullmatch(url)
