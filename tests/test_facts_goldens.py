"""Golden items carry each article's facts, compared fact by fact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import REPO

from tjcrawl.fixtures import fact_differences, golden_facts
from tjcrawl.profiles import load_profiles
from tjcrawl.source_check import compare_with_goldens

MONEY = {"kind": "money", "value": "12050000000", "role": None, "surface": "120.5亿元"}


def test_golden_facts_are_the_finders_in_compact_form() -> None:
    facts = golden_facts("滨海新区集中签约", "本次签约项目31个，总投资120.5亿元。")
    assert {"kind", "value", "role", "surface"} == set(facts[0])
    assert {"kind": "money", "value": "12050000000", "surface": "120.5亿元"}.items() <= next(
        f for f in facts if f["kind"] == "money"
    ).items()


def test_fact_differences_say_which_fact() -> None:
    other = {**MONEY, "value": "1", "surface": "1元"}
    assert fact_differences([MONEY], [MONEY]) == []
    assert fact_differences([MONEY], []) == [
        "fact expected but not found: money 12050000000 from '120.5亿元'"
    ]
    assert fact_differences([], [{**MONEY, "role": "总投资"}]) == [
        "fact found but not expected: money 12050000000 (总投资) from '120.5亿元'"
    ]
    assert fact_differences([MONEY, other], [other, MONEY]) == ["facts found in another order"]


def test_source_check_compares_the_goldens_facts_fact_by_fact(tmp_path: Path) -> None:
    shutil.copytree(REPO / "fixtures" / "demo_portal", tmp_path / "demo_portal")
    path = tmp_path / "demo_portal" / "expected.json"
    goldens = json.loads(path.read_text("utf-8"))
    assert all("facts" in item for item in goldens)
    item = next(item for item in goldens if item["facts"])
    dropped = item["facts"].pop()
    path.write_text(json.dumps(goldens, ensure_ascii=False), "utf-8")
    note, problems = compare_with_goldens(load_profiles()["demo_portal"], tmp_path)
    assert note.endswith("1 differences")
    assert problems == [
        f"{item['url']}: fact found but not expected: {dropped['kind']} {dropped['value']}"
        f" from {dropped['surface']!r}"
    ]
