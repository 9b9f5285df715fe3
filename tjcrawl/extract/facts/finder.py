"""The entry point of the rules: every fact of one text (a title, a body or an attachment's
text), in reading order. The rules live in money.py, terms.py (places, industries) and
projects.py; docs/facts.md documents what each finds and what it leaves alone."""

from __future__ import annotations

from operator import attrgetter

# the package's __init__ imports this module only inside extract_facts, so these are no cycle
from tjcrawl.extract.facts import (
    INDUSTRY,
    MONEY,
    PARTY,
    PLACE,
    PROJECT,
    PROJECT_COUNT,
    Fact,
    make_fact,
)
from tjcrawl.extract.facts.common import Sentences
from tjcrawl.extract.facts.money import find_money
from tjcrawl.extract.facts.projects import find_counts, find_parties, find_project_names
from tjcrawl.extract.facts.terms import terms

_READING_ORDER = attrgetter("start", "end", "kind")


def find_facts(text: str, field: str) -> list[Fact]:
    if not text:
        return []
    sentences = Sentences(text)
    facts: list[Fact] = []

    def add(kind: str, start: int, end: int, value: str, method: str, confidence: float,
            **more) -> None:  # fmt: skip
        left, right = sentences.bounds(start, end)
        more.update(kind=kind, value=value, surface=text[start:end], field=field, start=start,
                    end=end, sentence_start=left, sentence_end=right, method=method,
                    confidence=confidence)  # fmt: skip
        facts.append(make_fact(more))

    for start, end, _surface, value, fields in find_money(text, sentences):
        add(MONEY, start, end, value, **fields)
    term_list = terms()
    for start, end, _term, entry in term_list.scan(text):
        kind, method = (PLACE, "rule:place-term") if entry.kind == "place" else (
            INDUSTRY, "rule:industry-term"
        )  # fmt: skip
        for key in entry.keys:
            add(kind, start, end, key, method, entry.confidence, name=term_list.names[key])
    for start, end, value, role, method in find_counts(text):
        add(PROJECT_COUNT, start, end, value, method, 0.85, role=role)
    for start, end, name, role in find_parties(text):
        add(PARTY, start, end, name, "rule:party-suffix", 0.7, role=role)
    for start, end, name in find_project_names(text):
        add(PROJECT, start, end, name, "rule:project-quoted", 0.7)
    facts.sort(key=_READING_ORDER)
    return facts
