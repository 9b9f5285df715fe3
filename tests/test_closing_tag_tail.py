"""A page's closing tag is looked for in its last bytes first: the answer is the one a search
of the whole body gives, wherever the tag is (end, middle, across the tail's edge, any case)."""

from __future__ import annotations

import random

from tjcrawl.completeness import _CLOSING_TAGS, _TAIL_BYTES, closes_document


def whole_body(body: bytes) -> bool:
    lowered = body.lower()
    return any(tag in lowered for tag in _CLOSING_TAGS)


def test_same_answer_as_searching_the_whole_body() -> None:
    rng = random.Random(11)
    filler = b"<p>\xcc\xec\xbd\xf2 text</p>\n"
    answers = set()
    for _ in range(2000):
        body = bytearray(filler * rng.randrange(0, 200))
        for _ in range(rng.randrange(3)):
            tag = rng.choice([b"</html>", b"</BODY >", b"</Html", b"</bod", b"</htm"])
            # Around the tail's edge as often as anywhere else.
            edge = len(body) - _TAIL_BYTES + rng.randrange(-8, 8)
            at = min(max(0, rng.choice([edge, rng.randrange(len(body) + 1)])), len(body))
            body[at:at] = tag
        body = bytes(body)
        assert closes_document(body) == whole_body(body)
        answers.add(closes_document(body))
    assert answers == {True, False}
