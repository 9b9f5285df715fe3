"""Extraction from pages: a profile's fields (`fields`) and, later, the generic extractor.

The names below are re-exported so that `from tjcrawl.extract import …` keeps working now that
the module became a package.
"""

from tjcrawl.extract.fields import (
    ATTACHMENT_RE,
    Node,
    attachment_links,
    body_html_and_paragraphs,
    compiled_xpath,
    field_text,
    field_values,
    select,
)

__all__ = [
    "ATTACHMENT_RE",
    "Node",
    "attachment_links",
    "body_html_and_paragraphs",
    "compiled_xpath",
    "field_text",
    "field_values",
    "select",
]
