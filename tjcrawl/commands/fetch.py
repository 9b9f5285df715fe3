from __future__ import annotations

import argparse

from scrapy.commands import fetch

from tjcrawl.commands import archive_nothing


class Command(fetch.Command):
    """`scrapy fetch`: a look at a page, never a run in the archive."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        archive_nothing(self)
