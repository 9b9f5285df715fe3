"""Source profiles: one TOML file per site, loaded and validated into immutable specs.

A profile is data. Every problem is reported as one line, ``file: key: problem``, so that a
user editing TOML sees exactly what to fix without reading a traceback.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jmespath
from cssselect import SelectorError
from lxml import etree
from parsel.csstranslator import css2xpath

from tjcrawl.profile_guards import (
    GuardError,
    Regex,
    check_template,
    check_xpath,
    compile_regex,
    read_profile_toml,
    shown,
)

# Read through importlib.resources: inside a zipped egg (Scrapyd) or a zip import there is no
# folder on disk, and this is a zipfile.Path; installed normally it is a plain Path.
BUNDLED_DIR: Traversable = resources.files("tjcrawl") / "sources"
SOURCES_DIR_ENV = "TJCRAWL_SOURCES_DIR"
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
#: What kind of publisher a source is, in the order `tjcrawl sources` lists them. A profile
#: without a `group` is in "other".
GROUPS = ("city", "bureaus", "districts", "zones", "media", "other")
DEFAULT_GROUP = "other"


class ProfileError(ValueError):
    """A profile that cannot be used; the message is one line: ``file: key: problem``."""


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldSpec:
    """A selector with an optional regex applied to the text it yields.

    `query` is XPath (CSS is compiled to it) for HTML, JMESPath for JSON listings; `regex` is
    an RE2 pattern, linear in the text it searches.
    """

    source: str
    query: str
    regex: Regex | None = None
    language: str = "xpath"


@dataclass(frozen=True)
class ListingSpec:
    mode: str
    entries: FieldSpec
    format: str = "html"
    link: FieldSpec | None = None
    title: FieldSpec | None = None
    date: FieldSpec | None = None
    body: FieldSpec | None = None
    origin: FieldSpec | None = None
    author: FieldSpec | None = None
    attachments: FieldSpec | None = None
    boilerplate: tuple[FieldSpec, ...] = ()


@dataclass(frozen=True)
class PaginationSpec:
    next: FieldSpec | None = None
    template: str | None = None
    first: int = 1
    max_pages: int = 50


#: Detail fields the generic extractor (tjcrawl.extract.generic) can fill.
GENERIC_FIELDS = ("title", "date", "body", "origin", "author")
#: Left out of `[detail]`, these are filled by the generic extractor. A left-out origin or
#: author stays unextracted (`"auto"` asks for it): most pages state neither, and filling them
#: would send every detail page through the generic extractor, several times the cost of the
#: selectors.
GENERIC_WHEN_OMITTED = ("title", "date", "body")
AUTO = "auto"


@dataclass(frozen=True)
class DetailSpec:
    body: FieldSpec | None = None
    title: FieldSpec | None = None
    date: FieldSpec | None = None
    origin: FieldSpec | None = None
    author: FieldSpec | None = None
    attachments: FieldSpec | None = None
    boilerplate: tuple[FieldSpec, ...] = ()
    # Fields the generic extractor fills because the profile says "auto" or leaves them out.
    generic: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Profile:
    slug: str
    name: str
    allowed_domains: tuple[str, ...]
    start_urls: tuple[str, ...]
    listing: ListingSpec
    path: Path  # a zipfile.Path, read-only, for a bundled profile inside a zipped egg
    sha256: str
    pagination: PaginationSpec | None = None
    detail: DetailSpec | None = None
    fixture: bool = False
    encoding: str | None = None
    title_suffixes: tuple[str, ...] = ()
    verified: str = "never"
    group: str = DEFAULT_GROUP
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def carries_articles(self) -> bool:
        return self.listing.mode == "articles"

    @property
    def hosts(self) -> tuple[str, ...]:
        hosts = {urlsplit(u).hostname or "" for u in self.start_urls}
        return tuple(sorted(hosts | set(self.allowed_domains)))


TOP_KEYS = {
    "name",
    "allowed_domains",
    "start_urls",
    "fixture",
    "encoding",
    "title_suffixes",
    "verified",
    "group",
    "listing",
    "pagination",
    "detail",
}
LISTING_FIELDS = {"entries", "link", "title", "date", "body", "origin", "author", "attachments"}
LISTING_KEYS = LISTING_FIELDS | {"mode", "format", "boilerplate"}
PAGINATION_KEYS = {"next", "template", "first", "max_pages"}
DETAIL_FIELDS = {"title", "date", "body", "origin", "author", "attachments"}
DETAIL_KEYS = DETAIL_FIELDS | {"boilerplate"}
FIELD_TABLE_KEYS = {"select", "regex"}


class _Reader:
    """Checks one profile's raw TOML, turning each problem into a ProfileError."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.json = False  # fields of a JSON listing are JMESPath, not selectors

    def fail(self, key: str, problem: str) -> ProfileError:
        return ProfileError(f"{self.path}: {key}: {problem}")

    def check_keys(self, table: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                raise self.fail(f"{prefix}{key}", f"unknown key (expected one of: {expected})")

    def string(self, table: Mapping[str, Any], key: str, prefix: str = "") -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{prefix}{key}", "missing or not a non-empty string")
        return value

    def strings(self, table: Mapping[str, Any], key: str, required: bool) -> tuple[str, ...]:
        value = table.get(key)
        if value is None and not required:
            return ()
        if (
            not isinstance(value, list)
            or (required and not value)
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise self.fail(key, "must be a non-empty list of strings")
        return tuple(value)

    def selector(self, text: Any, key: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise self.fail(key, "selector must be a non-empty string")
        try:
            query = compile_selector(text, lambda problem: self.fail(key, problem))
        except RecursionError:
            raise self.fail(key, "selector nested too deeply") from None
        if (why := not_css_reason(text)) is not None:
            # `h1 | title[not(//h1)]` loads, and on a page matches nothing: its `h1` is a child
            # of the context node (<html>), not any h1. Loading it is fair; silence is not.
            log.warning(
                "%s: %s: selector %s is not CSS (%s): it is read as XPath relative to the page "
                "or entry (`h1` there is a child of <html>, not any h1); write `xpath:%s` if "
                "that is meant, or start it with // or ./",
                self.path,
                key,
                shown(text.strip()),
                why,
                text.strip(),
            )
        return query

    def field(self, value: Any, key: str) -> FieldSpec:
        regex = None
        if isinstance(value, dict):
            self.check_keys(value, FIELD_TABLE_KEYS, f"{key}.")
            if "select" not in value:
                raise self.fail(f"{key}.select", "missing")
            source = value["select"]
            if "regex" in value:
                pattern = value["regex"]
                if not isinstance(pattern, str):
                    raise self.fail(f"{key}.regex", "must be a string")
                try:
                    regex = compile_regex(pattern)
                except GuardError as exc:
                    raise self.fail(f"{key}.regex", str(exc)) from None
        else:
            source = value
        if self.json:
            return FieldSpec(str(source), self.jmespath(source, key), regex, "jmespath")
        return FieldSpec(source=str(source), query=self.selector(source, key), regex=regex)

    def jmespath(self, text: Any, key: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise self.fail(key, "JMESPath expression must be a non-empty string")
        try:
            jmespath.compile(text)
        except jmespath.exceptions.JMESPathError as exc:
            problem = " ".join(str(exc).split())  # jmespath points at the column on a new line
            raise self.fail(key, f"JMESPath {shown(text)} does not parse: {problem}") from None
        except RecursionError:
            raise self.fail(key, "JMESPath nested too deeply") from None
        return text

    def fields(self, table: Mapping[str, Any], names: Iterable[str], prefix: str) -> dict:
        return {n: self.field(table[n], f"{prefix}{n}") for n in names if n in table}

    def boilerplate(self, table: Mapping[str, Any], prefix: str) -> tuple[FieldSpec, ...]:
        value = table.get("boilerplate", [])
        if not isinstance(value, list):
            raise self.fail(f"{prefix}boilerplate", "must be a list of selectors")
        return tuple(self.field(v, f"{prefix}boilerplate[{i}]") for i, v in enumerate(value))

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return value


def compile_selector(text: str, fail: Any = None) -> str:
    """Turn a profile selector (CSS, or XPath by prefix or shape) into an XPath expression."""
    fail = fail or (lambda problem: ProfileError(problem))
    stripped = text.strip()
    if stripped.startswith("xpath:"):
        query, is_xpath = stripped[len("xpath:") :].strip(), True
    elif stripped.startswith("css:"):
        query, is_xpath = stripped[len("css:") :].strip(), False
    else:
        query, is_xpath = stripped, stripped.startswith(("/", "./", "("))
    if not is_xpath:
        try:
            query = css2xpath(query)
        except (SelectorError, ValueError) as exc:
            # Not CSS; a relative XPath such as `a/@onclick` is still a fair thing to write.
            try:
                etree.XPath(query)
            except etree.XPathSyntaxError:
                raise fail(
                    f"selector {shown(stripped)} parses neither as CSS ({exc}) nor as XPath"
                ) from None
    return _checked_xpath(query, stripped, fail)


def not_css_reason(text: str) -> str | None:
    """Why a selector without a prefix that does not look like XPath is no CSS (then
    compile_selector reads it as XPath), or None when it is CSS, prefixed or XPath-shaped."""
    stripped = text.strip()
    if stripped.startswith(("xpath:", "css:", "/", "./", "(")):
        return None
    try:
        css2xpath(stripped)
    except (SelectorError, ValueError) as exc:
        return str(exc)
    return None


def _checked_xpath(query: str, original: str, fail: Any) -> str:
    try:
        etree.XPath(query)
    except etree.XPathSyntaxError as exc:
        raise fail(f"XPath {shown(original)} does not parse: {exc}") from None
    try:
        check_xpath(query)
    except GuardError as exc:
        raise fail(str(exc)) from None
    return query


def parse_profile(path: Path, text: str | None = None) -> Profile:
    try:
        return _parse_profile(path, text)
    except RecursionError:
        # Only the TOML and selector parsers recurse; each is caught where it can say more.
        raise ProfileError(f"{path}: (file): nested too deeply to check") from None


def _parse_profile(path: Path, text: str | None) -> Profile:
    reader = _Reader(path)
    try:
        data, raw_text = read_profile_toml(path, text)
    except GuardError as exc:
        raise reader.fail("(file)", str(exc)) from None
    slug = path.stem
    if not SLUG_RE.match(slug):
        raise reader.fail("(file name)", "slug must be lower-case letters, digits and _")
    reader.check_keys(data, TOP_KEYS, "")
    name = reader.string(data, "name")
    allowed_domains = reader.strings(data, "allowed_domains", required=True)
    start_urls = reader.strings(data, "start_urls", required=True)
    for url in start_urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise reader.fail("start_urls", f"{url!r} is not an absolute http(s) URL")
        if not any(_host_allowed(parts.hostname, d) for d in allowed_domains):
            raise reader.fail("start_urls", f"{url!r} is outside allowed_domains")
    fixture = data.get("fixture", False)
    if not isinstance(fixture, bool):
        raise reader.fail("fixture", "must be true or false")
    encoding = data.get("encoding")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise reader.fail("encoding", f"unknown encoding {encoding!r}") from None
    verified = data.get("verified", "never")
    if not isinstance(verified, str):
        raise reader.fail("verified", 'must be "never" or a date')
    group = data.get("group", DEFAULT_GROUP)
    if group not in GROUPS:
        raise reader.fail("group", f"must be one of {', '.join(GROUPS)} (got {shown(str(group))})")

    listing_raw = reader.table(data, "listing")
    if listing_raw is None:
        raise reader.fail("listing", "missing table")
    reader.check_keys(listing_raw, LISTING_KEYS, "listing.")
    mode = listing_raw.get("mode", "links")
    if mode not in ("links", "articles"):
        raise reader.fail("listing.mode", 'must be "links" or "articles"')
    listing_format = listing_raw.get("format", "html")
    if listing_format not in ("html", "json"):
        raise reader.fail("listing.format", 'must be "html" or "json"')
    if "entries" not in listing_raw:
        raise reader.fail("listing.entries", "missing field")
    reader.json = listing_format == "json"
    listing_fields = reader.fields(listing_raw, LISTING_FIELDS, "listing.")
    if mode == "articles" and "body" not in listing_fields:
        raise reader.fail("listing.body", 'missing field (required when mode = "articles")')
    if mode == "links" and "link" not in listing_fields:
        raise reader.fail("listing.link", 'missing field (required when mode = "links")')
    reader.json = False  # boilerplate applies to the HTML inside an entry's body
    listing = ListingSpec(
        mode=mode,
        format=listing_format,
        boilerplate=reader.boilerplate(listing_raw, "listing."),
        **listing_fields,
    )

    pagination = None
    reader.json = listing_format == "json"  # a next link in a JSON listing is a JMESPath
    pagination_raw = reader.table(data, "pagination")
    if pagination_raw is not None:
        reader.check_keys(pagination_raw, PAGINATION_KEYS, "pagination.")
        has_next, template = "next" in pagination_raw, pagination_raw.get("template")
        if has_next == (template is not None):
            raise reader.fail("pagination", "give exactly one of next or template")
        if template is not None:
            if not isinstance(template, str):
                raise reader.fail("pagination.template", "must be a string containing {n}")
            try:
                check_template(template)
            except GuardError as exc:
                raise reader.fail("pagination.template", str(exc)) from None
        first, max_pages = pagination_raw.get("first", 1), pagination_raw.get("max_pages", 50)
        for key, value in (("first", first), ("max_pages", max_pages)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise reader.fail(f"pagination.{key}", "must be a whole number >= 0")
        pagination = PaginationSpec(
            next=reader.field(pagination_raw["next"], "pagination.next") if has_next else None,
            template=template,
            first=first,
            max_pages=max_pages,
        )

    reader.json = False
    detail = None
    detail_raw = reader.table(data, "detail")
    if mode == "links":
        if detail_raw is None:
            raise reader.fail("detail", 'missing table (required when listing.mode = "links")')
        reader.check_keys(detail_raw, DETAIL_KEYS, "detail.")
        auto = {name for name, value in detail_raw.items() if value == AUTO}
        if not_generic := sorted(auto - set(GENERIC_FIELDS)):
            raise reader.fail(
                f"detail.{not_generic[0]}",
                f'"auto" is only for {", ".join(GENERIC_FIELDS)} (the generic extractor\'s)',
            )
        declared = {name: value for name, value in detail_raw.items() if name not in auto}
        generic = auto | {name for name in GENERIC_WHEN_OMITTED if name not in detail_raw}
        detail = DetailSpec(
            boilerplate=reader.boilerplate(detail_raw, "detail."),
            generic=frozenset(generic),
            **reader.fields(declared, DETAIL_FIELDS, "detail."),
        )
    elif detail_raw is not None:
        raise reader.fail("detail", 'not used when listing.mode = "articles"; remove it')

    return Profile(
        slug=slug,
        name=name,
        allowed_domains=allowed_domains,
        start_urls=start_urls,
        listing=listing,
        pagination=pagination,
        detail=detail,
        fixture=fixture,
        encoding=encoding,
        title_suffixes=reader.strings(data, "title_suffixes", required=False),
        verified=verified,
        group=group,
        path=path,
        sha256=hashlib.sha256(raw_text.encode("utf-8")).hexdigest(),
    )


def _host_allowed(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def profile_dirs() -> list[Traversable]:
    """Bundled profiles first; folders named in TJCRAWL_SOURCES_DIR override them by slug."""
    extra: list[Traversable] = [
        Path(p) for p in os.environ.get(SOURCES_DIR_ENV, "").split(os.pathsep) if p
    ]
    return [BUNDLED_DIR, *extra]


@dataclass(frozen=True)
class ProfileSet:
    """Every profile file found: those that load, and by slug (file stem) those that do not."""

    profiles: dict[str, Profile]
    broken: dict[str, ProfileError]


def load_profile_set(dirs: Iterable[Traversable] | None = None) -> ProfileSet:
    """Load every profile; one that cannot be loaded is set aside with its one-line error, so
    that a broken or hostile file in a profile folder stops only what names it.

    A later folder overrides an earlier one by slug either way: a broken override hides the
    bundled profile rather than let it run in its place unnoticed.
    """
    profiles: dict[str, Profile] = {}
    broken: dict[str, ProfileError] = {}
    for directory in profile_dirs() if dirs is None else dirs:
        if not directory.is_dir():
            raise ProfileError(f"{directory}: (folder): profile folder does not exist")
        # As glob("*.toml") would: hidden files are not profiles.
        files = (f for f in directory.iterdir() if f.name.endswith(".toml") and f.name[0] != ".")
        for path in sorted(files, key=lambda f: f.name):
            try:
                profile = parse_profile(path)  # type: ignore[arg-type]
            except Exception as exc:
                # Even a bug in checking one file anyone may write must not stop every source.
                if not isinstance(exc, ProfileError):
                    problem = " ".join(f"cannot be loaded: {type(exc).__name__}: {exc}".split())
                    exc = ProfileError(f"{path}: (file): {problem[:300]}")
                slug = path.name.removesuffix(".toml")
                profiles.pop(slug, None)
                broken[slug] = exc
                continue
            broken.pop(profile.slug, None)
            profiles[profile.slug] = profile
    return ProfileSet(dict(sorted(profiles.items())), dict(sorted(broken.items())))


def load_profiles(dirs: Iterable[Traversable] | None = None) -> dict[str, Profile]:
    """Every profile that loads. Callers that act on all sources should use load_profile_set
    and report its `broken` ones; this is for those that look a profile up by slug."""
    return load_profile_set(dirs).profiles


def get_profile(slug: str) -> Profile:
    loaded = load_profile_set()
    profiles = loaded.profiles
    if slug in loaded.broken:
        raise loaded.broken[slug]
    if slug not in profiles:
        known = ", ".join(profiles) or "none"
        raise ProfileError(f"unknown source {slug!r} (known: {known})")
    return profiles[slug]
