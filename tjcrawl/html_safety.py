"""An article body's HTML made safe to render: an allow-list of text and structure, nothing active.

`articles.body_html` goes to whatever a downstream user renders it with (a web page, a
reader, Datasette with an HTML plugin), so a page's `<script>`, `onerror=` handlers and
`javascript:` links must not survive into it. The raw page in `pages` keeps the bytes as
received; this is only the stored, reusable copy of the body.

ammonia (through nh3) parses like a browser does (html5ever), so markup that a regex or an
lxml round trip would misread (`<scr<script>ipt>`, unquoted attributes, `java&#x09;script:`)
is judged as a browser would see it.
"""

from __future__ import annotations

import nh3

from tjcrawl.text import SKIP_TAGS

# What news bodies on these portals are made of: paragraphs, headings, lists, tables (budgets,
# lists of projects), images with captions, emphasis, and the old-CMS <font>/<center>.
_TAGS = {
    *("p", "br", "hr", "div", "span", "center", "font", "blockquote", "pre", "code"),
    *("h1", "h2", "h3", "h4", "h5", "h6"),
    *("ul", "ol", "li", "dl", "dt", "dd"),
    *("table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "td", "th"),
    *("strong", "em", "b", "i", "u", "s", "strike", "del", "ins", "sub", "sup", "small"),
    *("a", "img", "figure", "figcaption"),
}
_ALIGNED = {"align", "style"}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", *_ALIGNED},
    "font": {"color", "size", "face"},
    "table": {"border", "width", *_ALIGNED},
    "td": {"colspan", "rowspan", "width", "valign", *_ALIGNED},
    "th": {"colspan", "rowspan", "width", "valign", *_ALIGNED},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start"},
    **{tag: set(_ALIGNED) for tag in ("p", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6")},
    **{tag: set(_ALIGNED) for tag in ("tr", "center", "caption", "li", "figure")},
}
# Layout that carries meaning in these bodies (centred captions, indented paragraphs, bold
# lead-ins); anything else in a style attribute (url(), position, behaviour) is dropped.
_STYLE_PROPERTIES = {
    "text-align",
    "text-indent",
    "font-weight",
    "font-style",
    "text-decoration",
    "vertical-align",
}

_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    # Removed with their content, not just unwrapped: the tags whose text the article's text
    # body leaves out too (scripts, styles, form controls), so both show the same words.
    clean_content_tags=set(SKIP_TAGS),
    attributes=_ATTRIBUTES,
    # Relative links (./W0202508.jpg) stay relative to the article's URL; a scheme must be one
    # of these, so javascript:, vbscript: and data: URLs are dropped with their attribute.
    url_schemes={"http", "https", "mailto"},
    filter_style_properties=_STYLE_PROPERTIES,
    # No target= survives, so rel="noopener" would change every link and protect nothing.
    link_rel=None,
)


def sanitise_body_html(html: str | None) -> str | None:
    """The body HTML with only allow-listed tags, attributes and URL schemes; None stays None."""
    if not html:
        return html
    return _CLEANER.clean(html)
