"""The `tjcrawl` command: a thin layer over the library.

A user's mistake (an unknown source, a bad date, a file that is not an archive) ends in one
line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import click

from tjcrawl import __version__
from tjcrawl.cli import archive_commands, crawling, exporting, source_commands
from tjcrawl.cli.crawling import _pick as _pick


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tjcrawl")
def main() -> None:
    """Crawl Tianjin's government and investment-promotion portals into a SQLite archive.

    \b
    Example:
      tjcrawl demo && tjcrawl search 招商引资
    """


for _command in (
    crawling.crawl,
    crawling.demo,
    exporting.export,
    archive_commands.search,
    archive_commands.reextract,
    archive_commands.schema,
    archive_commands.history,
    archive_commands.dups,
    archive_commands.runs,
    archive_commands.health_command,
    archive_commands.failures,
    archive_commands.stats,
    archive_commands.serve_command,
    source_commands.sources,
    source_commands.goldens,
    source_commands.source,
):
    main.add_command(_command)
