"""`tjcrawl extract FILE --json` on every real PDF of ../shared/attachments-dev/pdf/ (read from
there, never copied): the state and the strings that its expected.json asks for."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, run_cli

DEV = REPO.parent / "shared" / "attachments-dev"
EXPECTED = {
    name: value
    for name, value in json.loads((DEV / "expected.json").read_text("utf-8")).items()
    if not name.startswith("_")
}
#: The state each file gets beyond what expected.json says: the damaged file flagged, and two
#: of pdfminer's hand-written samples that have no cross-reference table at all.
DAMAGED = {"zen_of_python_corrupted.pdf", "simple1.pdf", "simple3.pdf"}


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_file_of_the_folder_is_in_expected_json() -> None:
    assert sorted(p.name for p in (DEV / "pdf").glob("*.pdf")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_extract_json_gives_the_expected_state_and_text(name: str) -> None:
    shown = run_cli("extract", str(DEV / "pdf" / name), "--json")
    got = json.loads(shown.stdout)
    assert list(got) == ["state", "text", "pages", "method"]
    if EXPECTED[name]["expect"] == "encrypted":
        assert (got["state"], got["text"], shown.returncode) == ("encrypted", "", 3)
        assert shown.stderr.strip() == f"{DEV / 'pdf' / name}: encrypted: needs a password"
        return
    state = "damaged" if name in DAMAGED else "ok"
    assert got["state"] == state
    assert shown.returncode == (3 if state != "ok" else 0), shown.stderr
    assert got["pages"] >= 1
    missing = [s for s in EXPECTED[name]["contains"] if _flat(s) not in _flat(got["text"])]
    assert missing == []


def test_the_misread_chinese_page_is_read_by_pdfminer_and_said_so() -> None:
    shown = run_cli("extract", str(DEV / "pdf" / "issue_566_test_1.pdf"), "--json")
    got = json.loads(shown.stdout)
    assert got["method"] == "pdfminer"
    assert "黎荣" in got["text"] and "哾" not in got["text"]


def test_extract_prints_an_attachment_as_text_too() -> None:
    shown = run_cli("extract", str(DEV / "pdf" / "issue_566_test_2.pdf"))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("state:  ok\npages:  1\nmethod: pdfium\n\n")
    assert "甲方：中国饮料有限公司（盖章）" in shown.stdout
