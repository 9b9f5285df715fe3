"""Checks that keep a hostile or careless profile from hanging a crawl.

A profile is data anyone may write, and some of it runs on every page: regexes, XPath, the
pagination template. Whatever can make that run unbounded is refused when the profile loads,
as a one-line problem for the caller to prefix with file and key:

- regexes run on RE2, which matches in time linear in the text; patterns RE2 cannot run
  (backreferences, lookaround, atomic groups) are refused rather than run on a backtracking
  engine, where `((\\d+)+)x` on a line of digits never ends;
- XPath may not use EXSLT regular expressions (`re:test`, `re:match`, `re:replace`: libxslt
  backtracks, and lxml cannot interrupt a running XPath) nor any namespace prefix but `set`,
  nor be so long or so wide a union that libxml2 gives up on it, and it is run once on a small
  page so that errors libxml2 reports only when evaluating surface now;
- a pagination template may only hold `{n}` with at most a small zero-padded width, since
  `{n:>2000000000}` builds a two-gigabyte URL;
- a profile file must be small UTF-8 TOML; nesting deep enough to exhaust Python's stack is
  a profile error like any other.
"""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path
from typing import Any, Protocol

import re2
from lxml import etree

MAX_PROFILE_BYTES = 256 * 1024
MAX_XPATH_CHARS = 10_000
MAX_UNION_ALTERNATIVES = 1_000
MAX_TEMPLATE_WIDTH = 10
MAX_REGEX_PROGRAM = 10_000  # the largest bundled regex compiles to about 1,300

EXSLT_SETS = "http://exslt.org/sets"
# The only prefix a profile's XPath may use; extract binds exactly these.
XPATH_NAMESPACES = {"set": EXSLT_SETS}
_EXSLT_REGEX_PREFIX = "re"


class Regex(Protocol):
    """What extraction needs of a compiled profile regex (an RE2 pattern)."""

    @property
    def groups(self) -> int: ...

    def search(self, text: str) -> Any: ...


class GuardError(ValueError):
    """A problem in one value; the caller names the file and key."""


def shown(value: str, limit: int = 120) -> str:
    """A profile value quoted for an error line; a hostile one may be megabytes long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def read_profile_toml(path: Path, text: str | None = None) -> tuple[dict[str, Any], str]:
    """The parsed TOML and its text; every way a file can be unloadable is a GuardError."""
    if text is None:
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_PROFILE_BYTES + 1)
        except OSError as exc:
            raise GuardError(f"cannot be read: {exc.strerror or exc}") from None
        if len(raw) > MAX_PROFILE_BYTES:
            raise GuardError(f"larger than {MAX_PROFILE_BYTES // 1024} KiB; not a profile")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GuardError(f"not UTF-8 (byte {exc.start}): {exc.reason}") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise GuardError(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise GuardError("not valid TOML: arrays or tables nested too deeply") from None


# Python's \d \w \s match any Unicode digit, letter or space; RE2's only ASCII ones. Profiles
# were written for Python's meaning (a date in full-width digits, a 来源 label), so the classes
# are spelled out in Unicode properties before RE2 sees them.
_SPACE_CLASS = r"\s\x0b\x1c-\x1f\x{85}\p{Z}"
_WORD_CLASS = r"\p{L}\p{N}_"
_OUTSIDE_CLASS = {
    "d": r"\p{Nd}",
    "D": r"\P{Nd}",
    "w": f"[{_WORD_CLASS}]",
    "W": f"[^{_WORD_CLASS}]",
    "s": f"[{_SPACE_CLASS}]",
    "S": f"[^{_SPACE_CLASS}]",
    "Z": r"\z",
}
# Inside [...] only the positive classes can be spelled out; [^\S] stays ASCII.
_INSIDE_CLASS = {"d": r"\p{Nd}", "w": _WORD_CLASS, "s": _SPACE_CLASS}


def _unicode_classes(pattern: str) -> str:
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            table = _INSIDE_CLASS if in_class else _OUTSIDE_CLASS
            out.append(table.get(escaped, char + escaped))
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            i += 1
            # A ] right after [ or [^ is a literal, not the end of the class.
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):
                out.append("]")
                i += 1
            continue
        if char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # RE2 would print every refused pattern on stderr


def compile_regex(pattern: str) -> Regex:
    """`pattern` (Python syntax) compiled for RE2, or a GuardError saying why it cannot be."""
    try:
        compiled = re2.compile(_unicode_classes(pattern), options=_RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
    else:
        # Linear in the text, but with the program's size as the factor.
        if compiled.programsize > MAX_REGEX_PROGRAM:
            raise GuardError(
                f"too large a regex (RE2 program of {compiled.programsize:,} steps; "
                f"at most {MAX_REGEX_PROGRAM:,})"
            )
        return compiled
    try:
        re.compile(pattern)
    except re.error as exc:
        raise GuardError(f"does not compile: {exc}") from None
    raise GuardError(
        f"uses what the linear-time regex engine (RE2) refuses ({reason}): backreferences, "
        "lookaround, atomic groups and possessive or over-1000 repeats are not allowed, "
        "since on a backtracking engine they can take forever on one page"
    )


# Strings first, so that a quoted `a:b` or `|` is not read as a prefix or a union.
_XPATH_TOKEN_RE = re.compile(
    r"""(?P<string>"[^"]*"|'[^']*')"""
    r"|(?P<prefix>(?<![\w.:-])[A-Za-z_][\w.-]*)\s*:(?!:)"
    r"|(?P<union>\|)"
)
_PROBE_PAGE = "<html><head><title>t</title></head><body><div><p>x<a href='a'>y</a></p></div>"


def check_xpath(query: str) -> None:
    """Refuse an XPath that cannot be run safely on every page; GuardError says why."""
    prefixes: set[str] = set()
    unions = 0
    for match in _XPATH_TOKEN_RE.finditer(query):
        if match.group("prefix"):
            prefixes.add(match.group("prefix"))
        elif match.group("union"):
            unions += 1
    if _EXSLT_REGEX_PREFIX in prefixes:
        raise GuardError(
            "EXSLT regular expressions (re:test, re:match, re:replace) are not allowed: they "
            "backtrack without limit and cannot be interrupted; give the field a regex instead"
        )
    undefined = sorted(prefixes - set(XPATH_NAMESPACES) - {"xml"})  # libxml2 predefines xml
    if undefined:
        raise GuardError(
            f"undefined namespace prefix {', '.join(undefined)}: (only set: is bound; HTML "
            "elements have no prefix)"
        )
    if unions + 1 > MAX_UNION_ALTERNATIVES:
        raise GuardError(
            f"a union of {unions + 1:,} alternatives (at most {MAX_UNION_ALTERNATIVES:,})"
        )
    if len(query) > MAX_XPATH_CHARS:
        raise GuardError(f"XPath of {len(query):,} characters (at most {MAX_XPATH_CHARS:,})")
    try:
        xpath = etree.XPath(query, namespaces=XPATH_NAMESPACES)
        xpath(_probe_root())
    except etree.XPathError as exc:
        raise GuardError(f"XPath {shown(query)} fails: {exc}") from None


_probe: list[Any] = []


def _probe_root() -> Any:
    if not _probe:
        _probe.append(etree.fromstring(_PROBE_PAGE, etree.HTMLParser()))
    return _probe[0]


def check_template(template: str) -> None:
    """A pagination template: literal text and `{n}`, optionally zero-padded (`{n:02d}`)."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise GuardError(f"not a format string: {exc}") from None
    fields = [(name, spec, conversion) for _, name, spec, conversion in parts if name is not None]
    if not any(name == "n" for name, _, _ in fields):
        raise GuardError("must be a string containing {n}")
    for name, spec, conversion in fields:
        width = re.fullmatch(r"0?(\d{0,2})d?", spec or "")
        if name != "n" or conversion or width is None:
            raise GuardError(
                f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
                " is not allowed: only {n} or a zero-padded {n:0Wd}"
            )
        if width.group(1) and int(width.group(1)) > MAX_TEMPLATE_WIDTH:
            raise GuardError(
                f"{{n:{spec}}}: width {int(width.group(1))} (at most {MAX_TEMPLATE_WIDTH})"
            )
