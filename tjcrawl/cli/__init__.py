"""The `tjcrawl` command: a thin layer over the library.

A user's mistake (an unknown source, a bad date, a file that is not an archive) ends in one
line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import errno
import os
from typing import Any

import click

from tjcrawl import __version__, clock
from tjcrawl.cli import (
    archive_commands,
    crawling,
    distributed_commands,
    exporting,
    extracting,
    facts,
    searching,
    source_commands,
)
from tjcrawl.cli.crawling import _pick as _pick
from tjcrawl.profiles import ProfileError

#: Set to show the traceback of an unexpected error instead of its one-line summary.
DEBUG_ENV = "TJCRAWL_DEBUG"
BUG_HINT = "this is a bug in tjcrawl: please report it with the command line ({}=1 shows where)"


class _OneLineErrors(click.Group):
    """Every command's errors end as one line: the known ones where they arise; this catches
    what escapes, so that a user never reads a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except (KeyboardInterrupt, EOFError):
            raise  # click prints "Aborted!"
        except ProfileError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # `tjcrawl export | head`: click ends quietly
            raise click.ClickException(_os_error_line(exc)) from None
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            summary = (str(exc).strip().splitlines() or [""])[0][:300]
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {summary}; {BUG_HINT.format(DEBUG_ENV)}"
            ) from None


def _os_error_line(exc: OSError) -> str:
    """A disk full, a missing or read-only folder: what and where, in one line."""
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tjcrawl")
def main() -> None:
    """Crawl Tianjin's government and investment-promotion portals into a SQLite archive.

    \b
    Example:
      tjcrawl demo && tjcrawl search 招商引资
    """
    try:
        clock.now()  # a bad TJCRAWL_NOW is found before any work, not halfway through it
    except clock.ClockSettingError as exc:
        raise click.ClickException(str(exc)) from None


for _command in (
    crawling.crawl,
    crawling.demo,
    distributed_commands.writer,
    exporting.export,
    searching.search,
    facts.facts,
    archive_commands.reextract,
    extracting.extract,
    archive_commands.schema,
    archive_commands.history,
    archive_commands.dups,
    archive_commands.runs,
    archive_commands.health_command,
    archive_commands.failures,
    archive_commands.stats,
    archive_commands.upgrade,
    archive_commands.serve_command,
    source_commands.sources,
    source_commands.goldens,
    source_commands.source,
):
    main.add_command(_command)
