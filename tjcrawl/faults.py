"""Faults: what went wrong with one page, named, counted and archived per page.

Whoever meets a fault (spider errback, middleware, pipeline) reports it here; the archive
pipeline listens for the signal and writes the `faults` table, so there stays one writer.

Whoever reports a fault also says what it cost: `lost="article"` when an article that should
have been archived this run is not (a detail page that could not be fetched, an item refused or
broken), `"listing"` for a listing page whose entries stay unknown, `"attachment"` for a file.
Those are counted by page kind and fault kind (`tjcrawl/lost/<what>/<kind>`), and every lost
article in `tjcrawl/items_failed`, once: the reporter is the one place that knows the page is
gone for this run (a retry that succeeds reports nothing; a page recorded where it was filtered
is not reported again by its errback). Faults that cost nothing (a wrong Content-Type on a page
that was archived all the same, a pagination cap) are reported without `lost`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net_error
from twisted.python.failure import Failure
from twisted.web import _newclient

fault_recorded = object()  # signal: url, kind, status, detail
#: signal: url, state, status, detail: an attachment not kept (over a cap), its fault recorded
attachment_unkept = object()

#: What a fault can cost (`report_fault(lost=...)`): an article, a listing page (whose entries
#: stay unknown this run), an attachment (counted apart: the article itself was archived).
LOST_ARTICLE, LOST_LISTING, LOST_ATTACHMENT = "article", "listing", "attachment"
#: Not lost but not whole either: an article page cut short, kept flagged `incomplete` and
#: fetched whole again next run. The verdict names it apart from losses.
CUT_ARTICLE = "cut_article"
LOST_PREFIX = "tjcrawl/lost/"
#: What each page kind costs when it cannot be had (request.meta["page_kind"]).
LOSS_OF_PAGE = {"detail": LOST_ARTICLE, "listing": LOST_LISTING, "attachment": LOST_ATTACHMENT}

_TIMEOUTS = (net_error.TimeoutError, net_error.TCPTimedOutError)
_LOST = (
    net_error.ConnectionLost,
    net_error.ConnectionDone,
    net_error.ConnectionRefusedError,
    net_error.ConnectError,
    _newclient.ResponseFailed,
    _newclient.ResponseNeverReceived,
    _newclient.RequestTransmissionFailed,
)


def report_fault(
    crawler: Crawler | None,
    url: str,
    kind: str,
    status: int | None = None,
    detail: str = "",
    *,
    lost: str | None = None,
) -> None:
    if crawler is None:
        return
    if crawler.stats is not None:
        crawler.stats.inc_value(f"tjcrawl/faults/{kind}")
        if lost:
            crawler.stats.inc_value(f"{LOST_PREFIX}{lost}/{kind}")
            if lost == LOST_ARTICLE:
                crawler.stats.inc_value("tjcrawl/items_failed")
    crawler.signals.send_catch_log(
        signal=fault_recorded, url=url, kind=kind, status=status, detail=detail
    )


def classify(failure: Failure) -> tuple[str, int | None, str]:
    """A download failure as (kind, HTTP status, detail)."""
    exc = failure.value
    detail = f"{type(exc).__name__}: {exc}"[:500]
    text = detail.lower()
    # Before IgnoreRequest: HttpCompressionMiddleware ignores a body that unpacks past
    # DOWNLOAD_MAXSIZE, the same cap as a page whose declared length is over it.
    if "max size" in text or "maxsize" in text or "larger than download" in text:
        return "too_large", None, detail
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"http_{status}", status, detail
    if isinstance(exc, IgnoreRequest):
        text = str(exc).lower()
        if "robots" in text:
            return "robots_disallowed", None, detail
        if "redirect" in text:
            return "redirect_loop", None, detail
        if "offsite" in text:
            return "offsite", None, detail
        return "ignored", None, detail
    if isinstance(exc, _TIMEOUTS) or "took longer than" in text or "timeout" in text:
        return "timeout", None, detail
    if any(w in text for w in ("partialdownload", "dataloss", "data loss", "truncated")):
        return "truncated", None, detail
    if isinstance(exc, _LOST) or "connection" in text:
        return "connection_lost", None, detail
    if "cancel" in text:
        return "too_large", None, detail
    return "download_error", None, detail


def summarise(stats: dict[str, Any]) -> dict[str, int]:
    """Fault counts by kind from a crawler's stats (the `faults` table has a row for each)."""
    faults = {
        key.removeprefix("tjcrawl/faults/"): int(value)
        for key, value in stats.items()
        if key.startswith("tjcrawl/faults/")
    }
    return dict(sorted(faults.items()))


def losses(stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """What a run lost, by what (article, listing, attachment) and fault kind, from its stats."""
    found: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        if key.startswith(LOST_PREFIX) and value:
            what, _, kind = key.removeprefix(LOST_PREFIX).partition("/")
            found.setdefault(what, {})[kind] = int(value)
    return {what: dict(sorted(kinds.items())) for what, kinds in sorted(found.items())}
