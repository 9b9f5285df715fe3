"""The files an article links: requests for them through the same downloader as pages, and
the faults of those not fetched."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from tjcrawl.faults import LOST_ATTACHMENT, attachment_unkept
from tjcrawl.frontier import Frontier

TOO_LARGE = "too_large"  # the fault kind and the attachment state of a file over a cap


class AttachmentRequests:
    """ProfileSpider's attachment side (a mixin, like tjcrawl.spiders.listing.ListingPages)."""

    frontier: Frontier | None

    def _bad_attachment(self, response: Response) -> Callable[[str, str], None]:
        return lambda href, reason: self._bad_link(response.url, href, "attachments", reason)

    def _attachment_requests(
        self, attachments: list[dict[str, str]], page_url: str
    ) -> Iterator[scrapy.Request]:
        """Requests for the files an article links, through the same downloader as pages
        (robots.txt, per-host limits, delays): none for a file already kept (TRS names a
        file per upload), none past the per-article count (each of those a fault)."""
        crawler = getattr(self, "crawler", None)
        if crawler is None or not attachments:
            return
        if not crawler.settings.getbool("TJCRAWL_ATTACHMENTS"):
            return
        cap = crawler.settings.getint("TJCRAWL_ATTACHMENT_MAX_BYTES")
        most = crawler.settings.getint("TJCRAWL_ATTACHMENTS_PER_ARTICLE")
        for n, attachment in enumerate(attachments, 1):
            url = attachment["url"]
            if self.frontier is not None and self.frontier.attachment_known(url):
                self._inc("attachments_known")
                continue
            if most and n > most:
                detail = (
                    f"attachment {n} of {len(attachments)} on {page_url}: over"
                    f" TJCRAWL_ATTACHMENTS_PER_ARTICLE = {most}, not fetched"
                )
                self._fault(url, TOO_LARGE, None, detail, lost=LOST_ATTACHMENT)
                self._unkept(url, None, detail)
                continue
            yield scrapy.Request(
                url,
                callback=self.parse_attachment,
                errback=self.on_error,
                meta={"page_kind": "attachment", "download_maxsize": cap},
            )

    def _unkept(self, url: str, status: int | None, detail: str) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            crawler.signals.send_catch_log(
                signal=attachment_unkept, url=url, state=TOO_LARGE, status=status, detail=detail
            )

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        return iter(())  # the archive pipeline keeps the bytes as they arrive
