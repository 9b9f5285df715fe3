from __future__ import annotations

import argparse

from scrapy.commands import shell

from tjcrawl.commands import archive_nothing


class Command(shell.Command):
    """`scrapy shell`: a look at pages, never a run in the archive."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        archive_nothing(self)
