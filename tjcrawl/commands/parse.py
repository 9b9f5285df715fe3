from __future__ import annotations

import argparse

from scrapy.commands import parse

from tjcrawl.commands import archive_nothing


class Command(parse.Command):
    """`scrapy parse`: a look at a page's callbacks; archived only with --pipelines."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if not opts.pipelines:
            archive_nothing(self)
