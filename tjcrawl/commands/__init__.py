"""Scrapy's own commands, as tjcrawl's project runs them (COMMANDS_MODULE in tjcrawl.settings).

`crawl` exits with the run's verdict, as `tjcrawl crawl` does; `shell` and `fetch` look at
pages without recording a run in the archive, and `parse` does so unless asked for
`--pipelines`.
"""

from __future__ import annotations

from scrapy.commands import ScrapyCommand
from scrapy.settings import SETTINGS_PRIORITIES


def archive_nothing(command: ScrapyCommand) -> None:
    """No item pipelines, so no run in the archive: looking at a page is not a crawl, and a
    run left unfinished would make `tjcrawl health` say the source was interrupted. Between
    the spider's and the command line's priority, as `scrapy check` does it, so that `-s
    ITEM_PIPELINES=...` still wins."""
    assert command.settings is not None
    priority = (SETTINGS_PRIORITIES["spider"] + SETTINGS_PRIORITIES["cmdline"]) // 2
    command.settings.set("ITEM_PIPELINES", {}, priority=priority)
