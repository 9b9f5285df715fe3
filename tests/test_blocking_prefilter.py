"""`recognise` skips lower-casing and searching a page that cannot hold a WAF marker or a
cookie script (tjcrawl.blocking's prefilters): its decisions are those of the plain search
it replaced, kept here as the reference, on real block pages, fixture pages and random
mutations of them (markers and scripts in every case, at every place, with every status)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from pathlib import Path

from conftest import FIXTURES, REPO

from tjcrawl.blocking import (
    _SET_COOKIE_JS,
    BLOCK_STATUSES,
    MAX_CHALLENGE_TEXT,
    WAF_MARKERS,
    Block,
    _cookie_names,
    _reloads,
    recognise,
    visible_text_length,
)

# The reload-script regex recognise() used before it matched at each "location".
_RELOAD_JS = re.compile(
    rb"location\s*\.\s*(reload|replace|assign|href\s*=)|window\s*\.\s*location\s*=|"
    rb"\blocation\s*=",
)


def reference(status: int, set_cookies: Iterable[bytes], body: bytes) -> Block | None:
    """recognise() as it was before the prefilters (tjcrawl 550b5bb)."""
    lowered = body.lower()
    cookies = _cookie_names(set_cookies)
    waf = next((name for marker, name in WAF_MARKERS if marker in lowered), None) or next(
        (name for marker, name in WAF_MARKERS if marker in cookies), None
    )
    if status in BLOCK_STATUSES:
        if waf:
            return Block(f"a WAF challenge ({waf}, {BLOCK_STATUSES[status]})")
        return Block(f"{BLOCK_STATUSES[status]} (some sites refuse foreign or unknown networks)")
    if status >= 300 and status < 500:
        return None
    script = not waf and _SET_COOKIE_JS.search(lowered) and _RELOAD_JS.search(lowered)
    if not (waf or script) or visible_text_length(body) > MAX_CHALLENGE_TEXT:
        return None
    if waf:
        return Block(f"a WAF challenge ({waf})")
    return Block("a JavaScript cookie challenge (a script that sets a cookie and reloads)")


STATUSES = (200, 200, 200, 403, 412, 521, 302, 404, 500, 503)
SNIPPETS = [marker for marker, _ in WAF_MARKERS] + [
    b"document.cookie=",
    b"document . cookie =",
    b"document\n.\tcookie\x0b=",
    b"document.cookie",
    b"cookie",
    b"location.reload()",
    b"window.location=",
    b"location = '/'",
    b"location.href='x'",
    b"window . location\n=",
    b"xlocation=",
    b"_location =",
    b"-location=",
    b"location\t.\nreplace(",
    b"location . href =",
    b"location.hrefx=",
    b"location .assign",
    b"location",
    b"Location.Reload",
    b"<script>",
    b"</script>",
    b"wzws",
    b"__jsl",
    b"$_t",
    b"cf-b",
]


def _pages() -> list[bytes]:
    block_pages = sorted((REPO / "tests" / "block_site" / "pages").glob("*.html"))
    fixture_pages = sorted(Path(FIXTURES).rglob("*.html"))[:40]
    return [p.read_bytes() for p in block_pages + fixture_pages] + [
        b"",
        b"<html><body>hi</body></html>",
        "<html><body>天津 wzws_cid</body></html>".encode("gb18030"),
    ]


def _case_mixed(rng: random.Random, text: bytes) -> bytes:
    return bytes(c ^ 0x20 if chr(c).isalpha() and rng.random() < 0.5 else c for c in text)


def _mutated(rng: random.Random, page: bytes) -> bytes:
    if len(page) > 3000 and rng.random() < 0.5:  # short pages are the ones measured
        start = rng.randrange(len(page) - 2000)
        page = page[start : start + rng.randrange(50, 2000)]
    for _ in range(rng.randrange(4)):
        snippet = _case_mixed(rng, rng.choice(SNIPPETS))
        if rng.random() < 0.3:  # a marker cut at its end
            snippet = snippet[: rng.randrange(1, len(snippet) + 1)]
        at = rng.randrange(len(page) + 1)
        page = page[:at] + snippet + page[at:]
    return page


def _cookies(rng: random.Random) -> list[bytes]:
    names = [b"sid", b"WZWS_SID", b"__jsluid_h", b"__cf_chl_rc", b"$_TS", b"x"]
    return [rng.choice(names) + b"=1; path=/" for _ in range(rng.randrange(3))]


def _same(status: int, cookies: list[bytes], body: bytes) -> None:
    assert recognise(status, cookies, body) == reference(status, cookies, body), (
        status,
        cookies,
        body[:300],
    )


def test_block_pages_and_fixtures_are_judged_as_before() -> None:
    pages = _pages()
    assert len(pages) > 20
    blocked = 0
    for page in pages:
        for status in sorted(set(STATUSES)):
            _same(status, [], page)
            blocked += recognise(status, [], page) is not None
    assert blocked > 0  # the block pages are recognised, not all let through


def test_random_mutations_are_judged_as_before() -> None:
    rng = random.Random(20261207)
    pages = _pages()
    verdicts = set()
    for _ in range(3000):
        body = _mutated(rng, rng.choice(pages))
        status, cookies = rng.choice(STATUSES), _cookies(rng)
        _same(status, cookies, body)
        block = recognise(status, cookies, body)
        verdicts.add(None if block is None else block.what.split(" (")[0])
    # The mutations reach every kind of decision, so that each path is compared.
    assert {None, "a WAF challenge", "a JavaScript cookie challenge"} <= verdicts


def test_reload_scripts_are_found_as_the_regex_finds_them() -> None:
    rng = random.Random(5)
    words = [s for s in SNIPPETS if b"location" in s.lower()] + [
        b" ",
        b"\t",
        b".",
        b"=",
        b"a",
        b"_",
    ]
    found = set()
    for _ in range(20000):
        text = b"".join(rng.choice(words) for _ in range(rng.randrange(1, 8))).lower()
        found.add(_reloads(text))
        assert _reloads(text) == bool(_RELOAD_JS.search(text)), text
    assert found == {True, False}
