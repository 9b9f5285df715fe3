import pytest
from hypothesis import given
from hypothesis import strategies as st

from tjcrawl.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "HTTP://WWW.TJ.GOV.CN:80/sy/tjxw/index.html#top",
            "http://www.tj.gov.cn/sy/tjxw/index.html",
        ),
        ("https://a.test:443/x?b=2&a=1", "https://a.test/x?a=1&b=2"),
        ("https://a.test:8443/x", "https://a.test:8443/x"),
        ("http://a.test/x?utm_source=wx&id=3&spm=1.2", "http://a.test/x?id=3"),
        ("http://a.test", "http://a.test/"),
        ("http://a.test/天津?q=招商", "http://a.test/%E5%A4%A9%E6%B4%A5?q=%E6%8B%9B%E5%95%86"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


paths = st.lists(st.text("abcXYZ019-_天津", min_size=1, max_size=6), max_size=3)
params = st.lists(
    st.tuples(st.sampled_from(["id", "p", "utm_source", "q"]), st.text("ab1", max_size=3)),
    max_size=4,
)


@given(
    st.sampled_from(["http", "HTTP", "https"]),
    st.sampled_from(["Gov.TJ.test", "a.test"]),
    paths,
    params,
    st.text("xyz", max_size=4),
)
def test_canonical_url_is_idempotent_and_ignores_fragment_and_order(
    scheme: str, host: str, path: list[str], query: list[tuple[str, str]], fragment: str
) -> None:
    base = f"{scheme}://{host}/{'/'.join(path)}"
    url = base + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "") + "#" + fragment
    shuffled = base + ("?" + "&".join(f"{k}={v}" for k, v in reversed(query)) if query else "")
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "#" not in once and "utm_source" not in once
    assert once.split("://")[1].split("/")[0] == host.lower()
    if len({k for k, _ in query}) == len(query):
        assert canonical_url(shuffled) == once
