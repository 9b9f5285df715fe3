"""招商引资 facts read from an article's prose: money, what the money is, places, industries,
signed-project counts and parties, each with the sentence it came from.

The contract (`Fact`, `extract_facts`) is what storage, the CLI, Datasette and the exports rely
on; how the facts are found lives in the modules of this package.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any

#: kinds of fact, in the order an article lists them
MONEY = "money"  # value: amount in yuan (str of a number); unit, currency, qualifier, role
PLACE = "place"  # value: the place's code (docs/facts.md); name: its normalised name
INDUSTRY = "industry"  # value: the taxonomy key (docs/facts.md); name: its Chinese name
PROJECT_COUNT = "project_count"  # value: the count; role: 签约/开工/落地 …
PARTY = "party"  # value: the organisation's name; role: investor/signatory …
PROJECT = "project"  # value: the project's name as stated
KINDS = (MONEY, PLACE, INDUSTRY, PROJECT_COUNT, PARTY, PROJECT)


@dataclass(frozen=True)
class Fact:
    kind: str
    value: str
    #: the words the fact was read from, as they stand in the text
    surface: str
    #: where: "title", "body" or "attachment:<url>"; offsets are in that text, in characters
    field: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    method: str
    confidence: float
    name: str | None = None
    role: str | None = None
    unit: str | None = None
    currency: str | None = None
    amount: float | None = None  # the number as stated, in `unit` and `currency`
    qualifier: str | None = None  # 约/超/逾/近 …

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_DEFAULTS = {f.name: f.default for f in fields(Fact) if f.default is not MISSING}


def make_fact(values: dict[str, Any]) -> Fact:
    """`Fact(**values)` without the frozen dataclass's `__init__`, which sets each of the 17
    fields through `object.__setattr__`: the finder makes a dozen facts per article on the
    crawl's writer thread, and this halves what each costs. `values` must hold every field
    that has no default."""
    fact = object.__new__(Fact)
    state = fact.__dict__
    state.update(_DEFAULTS)
    state.update(values)
    return fact


def extract_facts(
    title: str, body: str, *, attachments: dict[str, str] | None = None
) -> list[Fact]:
    """Every fact of the article, title first, then body, then each attachment's text (keyed by
    the attachment's URL), in reading order."""
    from tjcrawl.extract.facts.finder import find_facts

    facts: list[Fact] = []
    facts.extend(find_facts(title or "", "title"))
    facts.extend(find_facts(body or "", "body"))
    for url, text in (attachments or {}).items():
        facts.extend(find_facts(text or "", f"attachment:{url}"))
    return facts


__all__ = ["KINDS", "Fact", "extract_facts", "make_fact"]
