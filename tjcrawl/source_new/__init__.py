"""`tjcrawl source new`: propose a profile from a listing page and a few of its detail pages.

Heuristics over the DOM, every one checked against the pages it was drawn from:

- entries: the parent with the most repeated similar children (same tag and first class)
  that carry a link with a title-like text (and, better, a date); children with long text and
  no link make an articles-mode listing (the entry carries the whole article);
- link, title, date: paths from the entry to its link (href, or a URL in onclick), to the link
  text or @title (or a heading inside the link), to the element whose text is a date;
- pagination: a 下一页/next link, else `name_N.ext` links or the script that draws them
  (createPageHTML, `'3961_' + n + '.html'`), the first N probed on the site;
- detail pages (two or three, spread over the listing): the title is the node whose text is
  the listing's title; the body the element with the most Chinese text in paragraphs, widened
  to siblings that are content (an attachment block) but not past the title or the 发布时间/来源
  line; date, origin (来源) and author are read from that line or from their own elements;
  furniture inside the body (打印/关闭/字号/分享/相关链接/责任编辑) becomes boilerplate.

The result is TOML validated by tjcrawl.profiles.parse_profile, with comments where a choice
was uncertain, and a trial run of the proposal over the sample pages.
"""

from tjcrawl.source_new.compare import (
    COMPARED_FIELDS,
    Comparison,
    compare_items,
    compare_with_profile,
    evaluate,
)
from tjcrawl.source_new.pages import Fetch, file_source, fixture_source, load_doc
from tjcrawl.source_new.proposal import Proposal, slug_for
from tjcrawl.source_new.propose import propose

__all__ = [
    "COMPARED_FIELDS",
    "Comparison",
    "Fetch",
    "Proposal",
    "compare_items",
    "compare_with_profile",
    "evaluate",
    "file_source",
    "fixture_source",
    "load_doc",
    "propose",
    "slug_for",
]
