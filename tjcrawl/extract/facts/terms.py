"""Places and industries: reviewed term lists (places.toml, industries.toml) matched in one
pass each by a compiled trie alternation, longest term first."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tjcrawl.extract.facts.common import trie_pattern

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Entry:
    keys: tuple[str, ...]  # place code(s) or industry key(s); empty for a blocked word
    name: str
    confidence: float


@dataclass(frozen=True)
class TermList:
    pattern: re.Pattern[str]
    entries: dict[str, Entry]  # term → entry
    names: dict[str, str]  # key → normalised name

    def scan(self, text: str):
        """(start, end, term, entry) of every listed term, blocked words dropped. A zone
        named without 天津 right after another place's name (武汉经开区, 上海自贸区, 西青经开区)
        is that place's zone, not Tianjin's (nor TEDA): dropped; after 天津 or a place of
        the zone's own district (保税区临港片区) it stands."""
        previous_end, previous_keys = -1, ()
        for m in self.pattern.finditer(text):
            entry = self.entries[m.group()]
            keys = entry.keys
            if (
                keys
                and m.start() == previous_end
                and "-" in keys[0]
                and "天津" not in m.group()
                and previous_keys[0] != "120000"
                and not keys[0].startswith(previous_keys[0].split("-")[0])
            ):
                keys = ()
            previous_end, previous_keys = m.end(), entry.keys or ("",)
            if keys:
                yield m.start(), m.end(), m.group(), entry


def _compile(entries: dict[str, Entry], names: dict[str, str]) -> TermList:
    return TermList(re.compile(trie_pattern(sorted(entries))), entries, names)


@cache
def places() -> TermList:
    data = tomllib.loads((_HERE / "places.toml").read_text(encoding="utf-8"))
    entries: dict[str, Entry] = {}
    names = {place["code"]: place["name"] for place in data["place"]}
    for place in data["place"]:
        base = float(place.get("confidence", 0.95))
        for alias in place["aliases"]:
            # a bare short alias (东丽, 保税区, 经开区) is likelier to mean something else
            conf = base if alias == place["name"] or len(alias) > 3 else min(base, 0.85)
            entries[alias] = Entry((place["code"],), place["name"], conf)
    for code, short in data["cities"].items():
        name = short if short.endswith(("区", "市")) else short + "市"
        names[code] = name
        entries[name] = Entry((code,), name, 0.95)
        entries[short] = Entry((code,), name, 0.9)
    for alias, codes in data.get("multi", {}).items():
        entries[alias] = Entry(tuple(codes), alias, 0.9)
    for word in data["block"]["terms"]:
        entries[word] = Entry((), word, 0.0)
    return _compile(entries, names)


@cache
def industries() -> TermList:
    data = tomllib.loads((_HERE / "industries.toml").read_text(encoding="utf-8"))
    names = {ind["key"]: ind["name"] for ind in data["industry"]}
    entries: dict[str, Entry] = {}
    for ind in data["industry"]:
        for term in ind["terms"]:
            conf = 0.95 if term == ind["name"] else 0.85
            entries[term] = Entry((ind["key"],), ind["name"], conf)
    for term, keys in data.get("multi", {}).items():
        entries[term] = Entry(tuple(keys), "、".join(names[k] for k in keys), 0.85)
    for word in data["block"]["terms"]:
        entries[word] = Entry((), word, 0.0)
    return _compile(entries, names)


def industry_names() -> dict[str, str]:
    data = tomllib.loads((_HERE / "industries.toml").read_text(encoding="utf-8"))
    return {ind["key"]: ind["name"] for ind in data["industry"]}
