"""Whether a page arrived whole.

Two ways a page ends before its document does, and neither raises an error on its own:

* fewer bytes than its Content-Length declared (the connection closed early). Scrapy raises a
  data-loss error for that unless DOWNLOAD_FAIL_ON_DATALOSS is off; tjcrawl turns it off so the
  bytes that did arrive are kept, retries the page as Scrapy would have, and after the last
  retry keeps the cut page, flagged;
* a Content-Length shorter than the body: the HTTP client reads exactly the declared bytes and
  delivers the cut page as a good one. Only the page itself tells: it stops before its closing
  ``</body>``/``</html>``.

A missing closing tag says "cut" only for a source whose pages have one, so each source's
habit is learned from its own HTML pages in the run (listing pages come first, and are the same
CMS's templates). Until a run has seen any, a page is expected to close: HTML documents almost
always do, and a page wrongly flagged is only fetched again, never lost.
"""

from __future__ import annotations

from dataclasses import dataclass

# Read in the raw bytes: ASCII in every encoding a Tianjin page comes in (no GB or Big5 trail
# byte is below 0x40, and "<" is 0x3C).
_OPENING_TAGS = (b"<html", b"<body")
_CLOSING_TAGS = (b"</html", b"</body")
# An HTML document says so in its first few KB; JSON, PDF and text do not.
_HEAD_BYTES = 4096


def is_html_document(body: bytes) -> bool:
    head = body[:_HEAD_BYTES].lower()
    return any(tag in head for tag in _OPENING_TAGS)


# A closing tag is almost always in a page's last bytes: they are read first (a tag in a part
# of the body is in the body), and the whole body only when they hold none.
_TAIL_BYTES = 1024


def closes_document(body: bytes) -> bool:
    tail = body[-_TAIL_BYTES:].lower()
    if any(tag in tail for tag in _CLOSING_TAGS):
        return True
    lowered = body.lower()
    return any(tag in lowered for tag in _CLOSING_TAGS)


def declared_length(content_length: bytes | None) -> int | None:
    try:
        return int(content_length) if content_length else None
    except ValueError:
        return None


@dataclass
class ClosingHabit:
    """How many of a source's HTML pages in this run closed their document, and how many not."""

    closed: int = 0
    open: int = 0

    def observe(self, closed: bool) -> None:
        if closed:
            self.closed += 1
        else:
            self.open += 1

    @property
    def pages_close(self) -> bool:
        # Ties, and a run that has seen nothing yet, expect a closing tag (see the module note).
        return self.closed >= self.open


def why_incomplete(
    body: bytes, *, data_lost: bool, content_length: int | None, habit: ClosingHabit
) -> str | None:
    """Why this HTML page is cut short, or None when it looks whole. Updates `habit`."""
    if data_lost:
        declared = f" of {content_length} declared" if content_length else ""
        return f"ends after {len(body)}{declared} bytes: the connection closed early"
    if not is_html_document(body):
        return None
    closed = closes_document(body)
    expected = habit.pages_close
    habit.observe(closed)
    if closed or not expected:
        return None
    return (
        f"ends after {len(body)} bytes without </body> or </html>, which this source's pages "
        "have (a Content-Length shorter than the page?)"
    )
