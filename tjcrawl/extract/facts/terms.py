"""Places and industries: reviewed term lists (places.toml, industries.toml) matched in one
pass by one Aho-Corasick automaton of both lists, leftmost and longest term first."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import ahocorasick_rs


def _read(name: str) -> dict:
    # Through importlib.resources: under Scrapyd the package is a zipped egg, where a path
    # beside __file__ is no file at all.
    return tomllib.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


PLACE, INDUSTRY = "place", "industry"


@dataclass(frozen=True)
class Entry:
    kind: str  # PLACE or INDUSTRY
    keys: tuple[str, ...]  # place code(s) or industry key(s); empty for a blocked word
    name: str
    confidence: float


@dataclass(frozen=True)
class TermList:
    #: leftmost-longest, as a longest-first regex alternation would match: at each position
    #: the longest term wins, and the scan goes on after it (3x faster than such a regex on
    #: a page whose every other character starts some term)
    automaton: ahocorasick_rs.AhoCorasick
    words: list[str]  # the automaton's terms, by its index
    entries: dict[str, Entry]  # term → entry
    names: dict[str, str]  # place code or industry key → normalised name

    def scan(self, text: str):
        """(start, end, term, entry) of every listed term, blocked words dropped. A zone
        named without 天津 right after another place's name (武汉经开区, 上海自贸区, 西青经开区)
        is that place's zone, not Tianjin's (nor TEDA): dropped; after 天津 or a place of
        the zone's own district (保税区临港片区) it stands. After 个, 各 or 全国 (全国21个自贸
        试验区) a zone's name is the kind of zone, not Tianjin's: dropped too."""
        previous_end, previous_keys = -1, ("",)
        words, entries = self.words, self.entries
        for index, start, end in self.automaton.find_matches_as_indexes(text):
            term = words[index]
            entry = entries[term]
            if entry.kind != PLACE:
                if entry.keys:
                    yield start, end, term, entry
                continue
            keys = entry.keys
            bare_zone = bool(keys) and "-" in keys[0] and "天津" not in term
            if (
                bare_zone
                and (
                    (
                        start == previous_end
                        and previous_keys[0] != "120000"
                        and not keys[0].startswith(previous_keys[0].split("-")[0])
                    )
                    # 全国21个自贸试验区, 各保税区: the kind of zone, not Tianjin's
                    or text[max(0, start - 1) : start] in ("个", "各")
                    or text[max(0, start - 2) : start] == "全国"
                )
            ):
                keys = ()
            previous_end, previous_keys = end, entry.keys or ("",)
            if keys:
                yield start, end, term, entry


@cache
def places_table() -> dict:
    """places.toml as parsed: the one list of places' codes, names, aliases and the zone each
    lies in, read by the finder and by the archive's district and zone queries."""
    return _read("places.toml")


def _places(entries: dict[str, Entry], names: dict[str, str]) -> None:
    data = places_table()
    names.update({place["code"]: place["name"] for place in data["place"]})
    for place in data["place"]:
        base = float(place.get("confidence", 0.95))
        for alias in place["aliases"]:
            # a bare short alias (东丽, 保税区, 经开区) is likelier to mean something else
            conf = base if alias == place["name"] or len(alias) > 3 else min(base, 0.85)
            entries[alias] = Entry(PLACE, (place["code"],), place["name"], conf)
    for code, short in data["cities"].items():
        name = short if short.endswith(("区", "市")) else short + "市"
        names[code] = name
        entries[name] = Entry(PLACE, (code,), name, 0.95)
        entries[short] = Entry(PLACE, (code,), name, 0.9)
    for alias, codes in data.get("multi", {}).items():
        entries[alias] = Entry(PLACE, tuple(codes), alias, 0.9)
    for word in data["block"]["terms"]:
        entries[word] = Entry(PLACE, (), word, 0.0)


def _industries(entries: dict[str, Entry], names: dict[str, str]) -> None:
    data = _read("industries.toml")
    names.update({ind["key"]: ind["name"] for ind in data["industry"]})
    for ind in data["industry"]:
        for term in ind["terms"]:
            conf = 0.95 if term == ind["name"] else 0.85
            entries[term] = Entry(INDUSTRY, (ind["key"],), ind["name"], conf)
    for term, keys in data.get("multi", {}).items():
        entries[term] = Entry(INDUSTRY, tuple(keys), "、".join(names[k] for k in keys), 0.85)
    for word in data["block"]["terms"]:
        entries[word] = Entry(INDUSTRY, (), word, 0.0)


@cache
def terms() -> TermList:
    """Both lists in one automaton (one scan of the text instead of two). A word in both
    lists would be ambiguous: refused when the lists are loaded."""
    places: dict[str, Entry] = {}
    industries: dict[str, Entry] = {}
    names: dict[str, str] = {}
    _places(places, names)
    _industries(industries, names)
    both = set(places) & set(industries)
    if both:
        raise ValueError(f"terms in both places.toml and industries.toml: {sorted(both)}")
    entries = places | industries
    words = sorted(entries)
    leftmost_longest = ahocorasick_rs.MatchKind.LeftmostLongest
    automaton = ahocorasick_rs.AhoCorasick(words, matchkind=leftmost_longest)
    return TermList(automaton, words, entries, names)
