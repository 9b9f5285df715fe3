"""The generic extractor's article as the raw strings a profile's fields give a spider.

A spider hands the pipelines raw strings, and the normalise pipeline parses dates from text: so
the generic extractor's date goes back into text that parses to the same moment and precision
(or, when the page stated it relative to the fetch, "3天前", that text itself, so that the
archive knows it for a relative date and a later fetch does not read as a corrected date).
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from tjcrawl.dates import is_absolute, parse_date
from tjcrawl.extract.generic import Article

_PRECISION_FORMATS = {"day": "%Y-%m-%d", "minute": "%Y-%m-%d %H:%M", "second": "%Y-%m-%d %H:%M:%S"}


def date_text(article: Article, fetched_at: datetime | None) -> str | None:
    """Text that `tjcrawl.dates.parse_date` reads as the article's publish date."""
    if article.published_at is None or article.how.get("published_at") == "URL":
        # Not stated on the page: the normalise pipeline weighs the URL's date itself, after
        # the listing's, which usually says more (the time of day).
        return None
    stated = article.date_text
    if stated and not is_absolute(stated) and parse_date(stated, fetched_at) is not None:
        return stated
    fmt = _PRECISION_FORMATS.get(article.date_precision or "", _PRECISION_FORMATS["second"])
    return article.published_at.strftime(fmt)


def body_html(paragraphs: list[str]) -> str | None:
    """The paragraphs as HTML: the generic extractor keeps text, not the page's markup."""
    if not paragraphs:
        return None
    return "<div>" + "".join(f"<p>{escape(p)}</p>" for p in paragraphs) + "</div>"


def generic_fields(article: Article, fetched_at: datetime | None) -> dict[str, Any]:
    """Each field the generic extractor found, by profile field name; body only when the page
    holds an article (a listing's or an error page's text is no body)."""
    fields: dict[str, Any] = {
        "title": article.title or None,
        "date": date_text(article, fetched_at),
        "origin": article.origin or None,
        "author": article.author or None,
        "body": None,
    }
    if article.no_article is None and article.paragraphs:
        fields["body"] = list(article.paragraphs)
    return fields
