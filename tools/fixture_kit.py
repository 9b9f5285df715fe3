"""What the fixture generators share: text helpers, page shells, the TRS pager and `Site`.

``tools/build_real_fixtures.py`` and ``tools/build_evidence_fixtures.py`` write web sources'
fixture sites (``fixtures/<slug>/site/``, ``fixture.toml``, ``README.md``) and check them
against the hand-written profile; ``tools/build_fixtures.py`` writes the bundled demo sites.
Each keeps only what is particular to its sites; whatever they all do the same way is here, so
that a change to how a fixture folder is written (or a page escaped) is made once. Every
generator must stay deterministic: regenerating gives byte-identical files.
"""

from __future__ import annotations

import posixpath
import shutil
import sys
import tomllib
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's tjcrawl, whichever directory runs the tool
from tjcrawl.fixture_paths import fixture_relpath  # noqa: E402

FIXTURES = ROOT / "fixtures"
SOURCES = ROOT / "tjcrawl" / "sources"
#: When the web sources' fixtures claim to have been fetched (their pages are reconstructed).
FETCHED_AT = "2025-09-01T09:00:00+08:00"


def t(s: str) -> str:
    """Escape text content."""
    return escape(s, quote=False)


def attr(s: str) -> str:
    """Escape an attribute value (quotes too)."""
    return escape(s, quote=True)


def chunks(items: list, n: int) -> list[list]:
    return [items[i : i + n] for i in range(0, len(items), n)]


def rel(from_path: str, to_path: str) -> str:
    """Relative URL from the page at from_path to to_path, both absolute URL paths."""
    r = posixpath.relpath(to_path, posixpath.dirname(from_path))
    if to_path.endswith("/"):
        r += "/"
    return r if r.startswith("../") else "./" + r


def gb(html: str) -> bytes:
    """GB pages: the text must be plain GB2312; the bytes are written as GBK."""
    html.encode("gb2312")  # raises on any character outside GB2312
    return html.encode("gbk")


def short(title: str, n: int, ellipsis: str = "...") -> str:
    """A listing's cut-off title (the full one is usually in a title attribute)."""
    return title if len(title) <= n else title[:n] + ellipsis


def paras_html(paras: list[str], indent: bool = False) -> str:
    style = ' style="text-indent:2em;"' if indent else ""
    return "\n".join(f"<p{style}>{t(p)}</p>" for p in paras)


#: The placeholder written for a PDF attachment (other attachment links lead nowhere).
PDF = b"%PDF-1.4\n% tjcrawl fixture placeholder\n%%EOF\n"


def attachment_target(article_path: str, href: str) -> str:
    """The URL path of an attachment link: root-relative, or `./name` beside the article."""
    return (
        href if href.startswith("/") else posixpath.join(posixpath.dirname(article_path), href[2:])
    )


def document(head: str, body: str, *, lang: str = "", doctype: bool = True) -> str:
    """A whole HTML page. `head`: the head's lines, each ending in a newline; `body`: the
    body's lines, without the last newline."""
    lang_attr = f' lang="{lang}"' if lang else ""
    prologue = "<!DOCTYPE html>\n" if doctype else ""
    return f"{prologue}<html{lang_attr}>\n<head>\n{head}</head>\n<body>\n{body}\n</body>\n</html>\n"


def content_type_meta(charset: str = "utf-8") -> str:
    return f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'


# --------------------------------------------------------------------------------------------
# TRS WCM listing pager: the page count is only in a script variable
# --------------------------------------------------------------------------------------------

#: The pager function TRS pages define (the crawler reads only the variables passed to it).
TRS_PAGER_FN = """function createPageHTML(id, countPage, currentPage, prefix, ext) {
  var s = "";
  for (var n = 0; n < countPage; n++) {
    var href = n == 0 ? prefix + "." + ext : prefix + "_" + n + "." + ext;
    s += n == currentPage ? "<span>" + (n + 1) + "</span>" : "<a href=\\"" + href + "\\">" + (n + 1) + "</a>";
  }
  document.getElementById(id).innerHTML = s;
}"""  # noqa: E501


def trs_pager(
    count: int,
    current: int,
    *,
    id_: str = "page_div",
    base: str = "index",
    ext: str = "html",
    current_comment: str = "//所在页从0开始",
) -> str:
    """The TRS pager call: `count` pages, the `current` one counted from 0, named
    `base.ext`, `base_1.ext` …"""
    return f"""<div class="page" id="{id_}"></div>
<script type="text/javascript">
var countPage = {count};//共多少页
var currentPage = {current};{current_comment}
createPageHTML("{id_}", countPage, currentPage, "{base}", "{ext}");
</script>"""


def trs_listing_names(n: int, ext: str) -> list[str]:
    return [f"index.{ext}"] + [f"index_{i}.{ext}" for i in range(1, n)]


# --------------------------------------------------------------------------------------------
# A fixture folder
# --------------------------------------------------------------------------------------------


def fixture_robots(host: str) -> str:
    return (
        f"# fixture robots.txt for {host} (not a copy of the live one)\n"
        "User-agent: *\nDisallow: /private/\n"
    )


def write_fixture_dir(
    slug: str,
    files: dict[str, bytes],
    *,
    fetched_at: str,
    articles: int,
    description: str,
    readme: str,
) -> None:
    """Replace ``fixtures/<slug>/site/`` with `files` (URL path -> bytes) and write
    ``fixture.toml`` and ``README.md``; anything else there (``expected.json``) is left alone."""
    out_dir = FIXTURES / slug
    site_dir = out_dir / "site"
    if site_dir.exists():
        shutil.rmtree(site_dir)
    for url_path, data in sorted(files.items()):
        out = site_dir / url_path.lstrip("/")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    meta = f'fetched_at = "{fetched_at}"\narticles = {articles}\ndescription = "{description}"\n'
    tomllib.loads(meta)
    (out_dir / "fixture.toml").write_bytes(meta.encode("utf-8"))
    (out_dir / "README.md").write_bytes(readme.encode("utf-8"))


@dataclass
class Site:
    """The pages of one web source's fixture, keyed by URL path on `host`."""

    slug: str
    host: str
    scheme: str = "https"
    encoding: str = "utf-8"  # of the pages given as text
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}"

    def add(self, url: str, data: str | bytes) -> None:
        """`url`: a path (with its query, if any) on the site's host."""
        assert url.startswith("/"), url
        if isinstance(data, str):
            data = data.encode(self.encoding)
        # named as the savers name what Scrapy requests (brackets in a query become %5B %5D)
        key = "/" + str(fixture_relpath(safe_url_string(f"https://{self.host}{url}")))
        assert key not in self.files, key
        self.files[key] = data

    def check_profile(self, start_urls: list[str]) -> None:
        """The hand-written profile must crawl this fixture: same start URLs and host, and it
        is a web source nobody has checked against the live site yet."""
        path = SOURCES / f"{self.slug}.toml"
        if not path.is_file():
            print(f"  note: {path.relative_to(ROOT)} does not exist yet")
            return
        profile = tomllib.loads(path.read_text("utf-8"))
        assert profile["start_urls"] == start_urls, (self.slug, profile["start_urls"])
        assert self.host in profile["allowed_domains"], (self.slug, profile["allowed_domains"])
        assert all(urlsplit(u).hostname == self.host for u in start_urls), start_urls
        assert profile.get("verified", "never") == "never", self.slug

    def write_fixture(
        self,
        description: str,
        articles: int,
        readme: str,
        *,
        robots: str | None = None,
        fetched_at: str = FETCHED_AT,
    ) -> None:
        """Write the fixture folder, with `robots` (else the commented fixture one) added."""
        self.add("/robots.txt", fixture_robots(self.host) if robots is None else robots)
        write_fixture_dir(
            self.slug,
            self.files,
            fetched_at=fetched_at,
            articles=articles,
            description=description,
            readme=readme,
        )
