from __future__ import annotations

import argparse

from scrapy.commands import crawl
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from tjcrawl.extensions import exit_status


class Command(crawl.Command):
    """`scrapy crawl SLUG`, exiting as `tjcrawl crawl` does: 3 when the source's extraction
    broke, 4 when another run held the archive (see tjcrawl.extensions.AfterCrawl)."""

    crawler: Crawler | None = None

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        super().run(args, opts)
        self.exitcode = max(self.exitcode, exit_status(self.crawler))
