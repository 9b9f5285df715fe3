"""`scrapy check`: each profile's fixture check as a Scrapy contract.

Contracts are written in callbacks' docstrings, and tjcrawl's spiders are generated from
profiles, so each generated spider gets a callback of its own, `check_fixture`, whose docstring
names its first listing (served from the fixture site, see tjcrawl.extensions.FixtureSites),
what that listing must yield, and `@fixture_goldens`: the whole fixture site crawled offline
must give the golden items of fixtures/<slug>/expected.json, field by field, as
`tjcrawl source check SLUG` compares them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail
from scrapy.http import Response

from tjcrawl.profiles import Profile

#: Differences listed in a failing contract's message; the rest are counted.
SHOWN_DIFFERENCES = 5


def contract_docstring(profile: Profile) -> str:
    url = profile.start_urls[0]
    kwargs = json.dumps({"page": 1, "first_url": url})
    yields = "items" if profile.carries_articles else "requests"
    return (
        f"The first listing of {profile.slug}, checked by `scrapy check` against its fixture.\n"
        "\n"
        f"@url {url}\n"
        f"@cb_kwargs {kwargs}\n"
        f"@returns {yields} 1\n"
        "@fixture_goldens\n"
    )


class FixtureGoldensContract(Contract):
    """@fixture_goldens: the profile over its whole fixture site gives its golden items."""

    name = "fixture_goldens"

    def __init__(self, method: Callable[..., Any], *args: Any) -> None:
        super().__init__(method, *args)
        self.spider = getattr(method, "__self__", None)  # the spider the callback is bound to

    def pre_process(self, response: Response) -> None:
        from tjcrawl.fixture_server import default_fixtures_dir
        from tjcrawl.source_check import compare_with_goldens

        profile = getattr(self.spider, "profile", None)
        if not isinstance(profile, Profile):
            raise ContractFail("not a spider generated from a profile")
        crawler = getattr(self.spider, "crawler", None)
        configured = crawler.settings.get("TJCRAWL_FIXTURES_DIR") if crawler else None
        fixtures = Path(configured) if configured else default_fixtures_dir()
        note, problems = compare_with_goldens(profile, fixtures)
        if problems:
            shown = "; ".join(problems[:SHOWN_DIFFERENCES])
            more = len(problems) - SHOWN_DIFFERENCES
            raise ContractFail(f"{note}: {shown}" + (f"; and {more} more" if more > 0 else ""))
        if not note.endswith("field by field"):
            raise ContractFail(note)  # no expected.json: nothing was compared
