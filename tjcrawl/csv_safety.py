"""CSV cells that a spreadsheet opens as text, never runs as a formula (CSV/formula injection).

An article's title or body is whatever a website published: `=HYPERLINK("http://evil…","点击")`
in a title becomes a live link, and `=cmd|'/c calc'!A1` a command, when the CSV is opened in
Excel, LibreOffice or Google Sheets. OWASP's rule is that no cell may begin with `=`, `+`, `-`,
`@`, tab (0x09) or carriage return (0x0D); its recommended fix is to prefix such a cell with a
single quote, which spreadsheets read as "this cell is text".

Two choices beyond the rule's letter, both to close a gap the rule leaves:
* a cell whose first non-space character is a trigger (` =1+1`, `\\n@SUM(…)`, `\\u3000=…`) is
  prefixed too, since importers that trim spaces (LibreOffice's "Trim spaces") would uncover it;
* OWASP also warns about separators and quotes inside a cell starting a new cell: the csv
  module quotes every cell that holds a comma, a quote or a line break (RFC 4180), so a cell's
  contents can never begin another cell for a reader that follows RFC 4180.
Only text cells change: numbers and empty cells are written as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: str) -> bool:
    """Whether a spreadsheet could read `value` as a formula (OWASP's leading characters)."""
    if value.startswith(FORMULA_TRIGGERS):
        return True
    return value.lstrip().startswith(FORMULA_TRIGGERS)


def neutralise_cell(value: Any) -> Any:
    """`value` with a leading `'` if it is text a spreadsheet would run; anything else as is."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def neutralised_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A CSV row (column -> value) with every formula-like text cell neutralised."""
    return {column: neutralise_cell(value) for column, value in row.items()}
