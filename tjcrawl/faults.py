"""Faults: what went wrong with one page, named, counted and archived per page.

Whoever meets a fault (spider errback, middleware, pipeline) reports it here; the archive
pipeline listens for the signal and writes the `faults` table, so there stays one writer.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net_error
from twisted.python.failure import Failure
from twisted.web import _newclient

fault_recorded = object()  # signal: url, kind, status, detail

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
) -> None:
    if crawler is None:
        return
    if crawler.stats is not None:
        crawler.stats.inc_value(f"tjcrawl/faults/{kind}")
    crawler.signals.send_catch_log(
        signal=fault_recorded, url=url, kind=kind, status=status, detail=detail
    )


def classify(failure: Failure) -> tuple[str, int | None, str]:
    """A download failure as (kind, HTTP status, detail)."""
    exc = failure.value
    detail = f"{type(exc).__name__}: {exc}"[:500]
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
    text = detail.lower()
    if "max size" in text or "maxsize" in text or "larger than download" in text:
        return "too_large", None, detail
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
