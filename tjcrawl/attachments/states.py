"""What reading an attachment can come to: its state, and the text, pages and method found."""

from __future__ import annotations

from dataclasses import dataclass

OK = "ok"
ENCRYPTED = "encrypted"
DAMAGED = "damaged"
NEEDS_OCR = "needs_ocr"
TOO_LARGE = "too_large"
UNSUPPORTED = "unsupported"
NOT_A_FILE = "not_a_file"

STATES = (OK, ENCRYPTED, DAMAGED, NEEDS_OCR, TOO_LARGE, UNSUPPORTED, NOT_A_FILE)

#: A state worse than another wins when parts of one file (pages, zip members) disagree.
_RANK = {OK: 0, NEEDS_OCR: 1, DAMAGED: 2, ENCRYPTED: 3, UNSUPPORTED: 4, TOO_LARGE: 5, NOT_A_FILE: 6}


@dataclass(frozen=True)
class Extracted:
    """One attachment read: `state` (one of STATES), its `text` ("" when none could be read,
    never invented), `pages` (PDF/OFD pages or spreadsheet sheets; None where a format has
    none), `method` (which reader gave the text) and `detail`, one line saying why a state
    is not ok."""

    state: str
    text: str
    pages: int | None
    method: str
    detail: str = ""

    def as_tuple(self) -> tuple[str, str, int | None, str, str]:
        return (self.state, self.text, self.pages, self.method, self.detail)


def worst(states: list[str]) -> str:
    return max(states, key=lambda s: _RANK[s]) if states else OK
