"""A proposed profile: what was chosen, what a reviewer should look at, and its TOML."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tjcrawl import clock
from tjcrawl.extract.infer_common import FieldChoice, toml_str
from tjcrawl.profiles import SLUG_RE, Profile, parse_profile


@dataclass
class Proposal:
    slug: str
    name: str
    start_url: str
    allowed_domains: list[str]
    mode: str = "links"
    listing: dict[str, FieldChoice] = field(default_factory=dict)
    listing_boilerplate: list[str] = field(default_factory=list)
    pagination: dict[str, Any] | None = None
    pagination_note: str = ""
    detail: dict[str, FieldChoice] = field(default_factory=dict)
    detail_boilerplate: list[str] = field(default_factory=list)
    title_suffixes: list[str] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)  # what a reviewer should look at
    notes: list[str] = field(default_factory=list)  # what was seen (page counts …)
    sample_urls: list[str] = field(default_factory=list)
    trial: list[Any] = field(default_factory=list)  # source_check.FieldResult rows
    templates: dict[str, str] = field(default_factory=dict)  # sample URL -> template letter
    sample_results: list[Any] = field(default_factory=list)  # trial.SampleResult per sample
    verdict: str = "unsure"  # "ok" when the trial found title, date and body everywhere
    verdict_reasons: list[str] = field(default_factory=list)

    def toml(self) -> str:
        out = [
            f"# Proposed by `tjcrawl source new` from {self.start_url}",
            f"# on {clock.now().date().isoformat()}: review every selector before use.",
        ]
        if self.sample_results:
            out.append(f"# Trial on {len(self.sample_results)} sample pages: {self.verdict}")
            out += [f"#   {reason}" for reason in self.verdict_reasons]
        out += [f"# Seen: {note}" for note in self.notes]
        out += [f"# UNSURE: {item}" for item in self.unsure]
        out += [
            f"name = {toml_str(self.name)}",
            "allowed_domains = [" + ", ".join(toml_str(d) for d in self.allowed_domains) + "]",
            f"start_urls = [{toml_str(self.start_url)}]",
        ]
        if self.title_suffixes:
            out.append(
                "title_suffixes = [" + ", ".join(toml_str(s) for s in self.title_suffixes) + "]"
            )
        out += ['verified = "never"', "", "[listing]"]
        if self.mode != "links":
            out.append(f"mode = {toml_str(self.mode)}")
        for key, choice in self.listing.items():
            if choice.note:
                out.append(f"# {choice.note}")
            out.append(f"{key} = {choice.toml_value()}")
        if self.listing_boilerplate:
            out.append(
                "boilerplate = [" + ", ".join(toml_str(b) for b in self.listing_boilerplate) + "]"
            )
        if self.pagination:
            out += ["", "[pagination]"]
            if self.pagination_note:
                out.append(f"# {self.pagination_note}")
            for key, value_ in self.pagination.items():
                rendered = toml_str(value_) if isinstance(value_, str) else str(value_)
                out.append(f"{key} = {rendered}")
        if self.mode == "links":
            out += ["", "[detail]"]
            for key, choice in self.detail.items():
                if choice.note:
                    out.append(f"# {choice.note}")
                out.append(f"{key} = {choice.toml_value()}")
            if self.detail_boilerplate:
                out.append(
                    "boilerplate = ["
                    + ", ".join(toml_str(b) for b in self.detail_boilerplate)
                    + "]"
                )
        return "\n".join(out) + "\n"

    def profile(self, directory: Path | None = None) -> Profile:
        path = (directory or Path(tempfile.gettempdir())) / f"{self.slug}.toml"
        return parse_profile(path, self.toml())


def slug_for(url: str) -> str:
    """tj_tjxw for https://www.tj.gov.cn/sy/tjxw/: the host's own labels and the section."""
    parts_ = urlsplit(url)
    host = (parts_.hostname or "site").lower()
    parts = [p for p in host.split(".") if p not in ("www", "cn", "com", "gov", "net", "org")]
    segments = [s.rsplit(".", 1)[0] for s in parts_.path.lower().split("/") if s]
    segments = [s for s in segments if s not in ("index", "default", "list", "more")]
    if segments:
        parts.append(segments[-1])
    slug = re.sub(r"[^a-z0-9_]+", "_", "_".join(parts) or "site")[:40].strip("_")
    if not slug or not slug[0].isalpha():
        slug = "s_" + slug
    return slug if SLUG_RE.match(slug) else "new_source"
