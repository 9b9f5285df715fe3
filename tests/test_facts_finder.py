"""The 招商引资 fact rules (tjcrawl/extract/facts): money, places, industries, project counts,
parties, offsets; and bench/facts.py's scorer."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tjcrawl.extract.facts import Fact, extract_facts
from tjcrawl.extract.facts.finder import find_facts


def _facts(text: str, kind: str | None = None) -> list[Fact]:
    return [f for f in find_facts(text, "body") if kind is None or f.kind == kind]


def _money(text: str) -> list[tuple[str, str | None, str | None]]:
    return [(f.value, f.role, f.currency) for f in _facts(text, "money")]


def test_money_with_role_from_the_clause() -> None:
    assert _money("目前已有12家钢铁企业投资47亿元进行环保设施升级") == [
        ("4700000000", "投资", "CNY")
    ]
    assert _money("现场集中签约项目31个，总投资120.5亿元。") == [("12050000000", "总投资", "CNY")]
    assert _money("实现进出口额约42亿元") == [("4200000000", "进出口", "CNY")]


def test_money_chinese_numerals_and_scales() -> None:
    assert _money("奖励三千五百万元")[0][0] == "35000000"
    assert _money("产值预计将突破千亿元大关")[0][:2] == ("100000000000", "产值")
    assert _money("处以罚款人民币十二万元")[0][:2] == ("120000", "罚款")


def test_foreign_currency_is_kept_in_its_own_unit() -> None:
    (fact,) = _facts("其中，外资项目15个，合同外资额约1.2亿美元。", "money")
    assert (fact.value, fact.currency, fact.unit, fact.amount) == (
        "120000000",
        "USD",
        "亿美元",
        1.2,
    )
    assert (fact.qualifier, fact.role) == ("约", "合同外资")


def test_qualifiers() -> None:
    quals = [
        f.qualifier
        for f in _facts("总投资超过1100亿元，另有160余亿元，约75亿元，近10亿元", "money")
    ]
    assert quals == ["超", "超", "约", "近"]


def test_range_reads_the_lower_bound_and_keeps_the_upper() -> None:
    (fact,) = _facts("单个项目总投资10-20亿元", "money")
    assert (fact.value, fact.name, fact.qualifier, fact.surface) == (
        "1000000000", "2000000000", "range", "10-20亿元",
    )  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "该项目规划占地面积约12.7万平方米",
        "2025年元旦期间，增长20%，同比增长四成",
        "拨打12345便民热线",
        "吸引了1.5万余名求职者，提供岗位2万余个",
        "预计总产量超过2万吨，1.2万亩",
        "总投资额达数十亿元",
        "推动城轨交通制式结构多元化，二元结构",
    ],
)
def test_not_money(text: str) -> None:
    assert _money(text) == []


def test_places_are_coded_and_longest_alias_wins() -> None:
    facts = _facts("天津港保税区迎来国内首个航空发动机维修独资项目", "place")
    assert [(f.value, f.name, f.surface) for f in facts] == [
        ("120116-02", "天津港保税区", "天津港保税区")
    ]
    codes = [f.value for f in _facts("泰达、生态城、东疆综合保税区和滨海高新区", "place")]
    assert codes == ["120116-01", "120116-04", "120116-05", "120116-03"]
    assert [f.value for f in _facts("天津市滨海新区人民政府", "place")] == ["120000", "120116"]


def test_partner_provinces_and_cities() -> None:
    codes = [f.value for f in _facts("活动将赴北京、上海、深圳等地举办，河北周边及河北区", "place")]
    assert codes == ["110000", "310000", "440300", "130000", "120105"]


def test_blocked_words_hide_the_place_inside() -> None:
    facts = _facts("北京时间9：45，克孜勒苏州阿图什市，北京天竺综合保税区", "place")
    assert [(f.value, f.start) for f in facts] == [("110000", 19)]


def test_industries() -> None:
    keys = [f.value for f in _facts("涉及集成电路、航空航天、新能源等领域", "industry")]
    assert keys == ["integrated_circuit", "aerospace", "new_energy"]
    # 新能源汽车 is the automotive chain, not new_energy; 小汽车 as a comparison is no industry
    assert [f.value for f in _facts("支持新能源汽车产业链，总重相当于3万辆小汽车", "industry")] == [
        "automotive"
    ]


def test_project_counts() -> None:
    def counts(text: str) -> list[tuple[str, str | None]]:
        return [(f.value, f.role) for f in _facts(text, "project_count")]

    assert counts("现场集中签约项目31个，总投资约260亿元") == [("31", "签约")]
    assert counts("开幕式上，68个项目集中签约") == [("68", "签约")]
    assert counts("共有18个项目集中开工") == [("18", "开工")]
    assert counts("上半年全市新签约亿元以上项目四百余个") == [("400", "签约")]
    assert counts("在6大类48个项目中展开角逐") == []


def test_parties_and_project_names() -> None:
    parties = _facts("其中，国科控股集团保险公司等知名机构加入。", "party")
    assert [(f.value, f.role) for f in parties] == [("国科控股集团保险公司", "investor")]
    assert _facts("当事人：天津某建材有限公司。对新设立的租赁公司给予落户支持", "party") == []
    names = [
        f.value
        for f in _facts("“心成长”青少年心理健康服务项目正式启动。“心成长”项目是第一步", "project")
    ]
    assert names == ["心成长青少年心理健康服务项目", "心成长青少年心理健康服务项目"]


def test_offsets_and_sentences() -> None:
    text = "8月20日，津南区举行重点项目集中签约仪式。12个项目现场签约，总投资约75亿元！涉及新能源。"
    facts = extract_facts("津南区集中签约12个项目", text)
    assert {f.field for f in facts} == {"title", "body"}
    for f in facts:
        source = "津南区集中签约12个项目" if f.field == "title" else text
        assert source[f.start : f.end] == f.surface
        sentence = source[f.sentence_start : f.sentence_end]
        assert f.surface in sentence
        assert sentence[-1] in "。！？；\n" or f.sentence_end == len(source)
        assert 0 < f.confidence <= 1 and f.method.startswith("rule:")
    (money,) = [f for f in facts if f.kind == "money"]
    assert text[money.sentence_start : money.sentence_end] == "12个项目现场签约，总投资约75亿元！"


def _bench():
    path = Path(__file__).resolve().parent.parent / "bench" / "facts.py"
    spec = importlib.util.spec_from_file_location("bench_facts", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_facts"] = module
    spec.loader.exec_module(module)
    return module


def test_bench_scorer_counts_precision_and_recall() -> None:
    bench = _bench()
    truth = bench.label_sets(
        {
            "money": [["4700000000", "投资"], ["1200000000", "合同外资", "USD"]],
            "place": ["120000", "120116"],
            "industry": ["aerospace"],
        }
    )
    predicted = {
        # 0.2 % off matches; the right number in the wrong currency does not
        "money": [(4710000000.0, "CNY", "投资"), (1200000000.0, "CNY", None)],
        "place": ["120116", "110000"],
        "industry": [],
    }
    result = bench.score(truth, predicted)
    assert result["money"] == {"tp": 1, "fp": 1, "fn": 1, "role_ok": 1}
    assert result["place"] == {"tp": 1, "fp": 1, "fn": 1, "role_ok": 0}
    assert result["industry"] == {"tp": 0, "fp": 0, "fn": 1, "role_ok": 0}
    total: dict = {}
    bench.add(total, result)
    bench.add(total, result)
    assert "| money | 2 | 2 | 2 | 0.500 | 0.500 | 1.000 |" in bench.table("x", total, 2)


def test_bare_yi_only_after_a_role_of_investment() -> None:
    assert _money("项目总投资120亿，年内开工") == [("12000000000", "总投资", "CNY")]
    assert _money("实现营收1.2万亿。") == [("1200000000000", "营收", "CNY")]
    assert _money("粮食产量1300亿斤以上，人口14亿，") == []


def test_a_zone_after_another_place_is_not_tianjins() -> None:
    def codes(text: str) -> list[str]:
        return [f.value for f in _facts(text, "place")]

    assert codes("武汉经开区、上海自贸区") == ["420100", "310000"]
    assert codes("西青经开区") == ["120111"]
    assert codes("天津经开区、滨海新区生态城") == ["120116-01", "120116", "120116-04"]
    assert codes("保税区临港片区") == ["120116-02", "120116-07"]


def test_dollars_written_美金_or_after_a_space() -> None:
    assert _money("售价高达 1,599 美元，涨到了将近7000美金") == [
        ("1599", "价格", "USD"),
        ("7000", None, "USD"),
    ]


def test_every_fixture_article_gives_consistent_facts() -> None:
    import json
    import tomllib

    from conftest import REPO

    places = tomllib.loads((REPO / "tjcrawl/extract/facts/places.toml").read_text("utf-8"))
    codes = {p["code"] for p in places["place"]} | set(places["cities"])
    seen = 0
    for path in sorted((REPO / "fixtures").glob("*/expected.json")):
        for article in json.loads(path.read_text("utf-8")):
            title, body = article.get("title") or "", article.get("body") or ""
            for f in extract_facts(title, body):
                text = title if f.field == "title" else body
                assert text[f.start : f.end] == f.surface
                assert f.sentence_start <= f.start < f.end <= f.sentence_end <= len(text)
                assert 0 < f.confidence <= 1
                if f.kind == "money":
                    assert float(f.value) > 0 and f.currency and f.unit
                if f.kind == "place":
                    assert f.value in codes and f.name
                seen += 1
    assert seen > 400


def test_the_documentation_lists_every_code_and_key() -> None:
    import tomllib

    from conftest import REPO

    doc = (REPO / "docs/facts.md").read_text("utf-8")
    places = tomllib.loads((REPO / "tjcrawl/extract/facts/places.toml").read_text("utf-8"))
    industries = tomllib.loads((REPO / "tjcrawl/extract/facts/industries.toml").read_text("utf-8"))
    for code in [p["code"] for p in places["place"]] + list(places["cities"]):
        assert code in doc, code
    for industry in industries["industry"]:
        assert f"`{industry['key']}`" in doc
        for term in industry["terms"]:
            assert term in doc, term
    from tjcrawl.extract.facts.money import ROLE_WORDS

    for word, role in ROLE_WORDS.items():
        assert word in doc and role in doc, word


def test_arbitrary_text_does_not_break_the_finder() -> None:
    import random

    rng = random.Random(17)
    alphabet = (
        "天津滨海新区保税区亿元万美元约超个项目签约有限公司，。；\n0123456789.-%年（）“”数十百千"
    )
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        for f in find_facts(text, "body"):
            assert text[f.start : f.end] == f.surface
            assert f.sentence_start <= f.start and f.end <= f.sentence_end <= len(text)


def test_a_role_word_right_after_the_amount_when_none_is_before() -> None:
    assert _money("要调增政策性银行8000亿元信贷额度") == [("800000000000", "贷款", "CNY")]
    assert _money("新增1400多亿元留抵退税") == [("140000000000", "税收", "CNY")]
    # a role before wins over one after
    assert _money("总投资47亿元的产值") == [("4700000000", "总投资", "CNY")]


def test_other_zones_and_kinds_of_zone_are_not_tianjins() -> None:
    def codes(text: str) -> list[str]:
        return [f.value for f in _facts(text, "place")]

    assert codes("全国21个自贸试验区和各保税区") == []
    assert codes("郑州航空港经济综合实验区、上海外高桥保税区、临港新片区") == ["410100", "310000"]
    assert codes("对落户经开区的企业，在保税区") == ["120116-01", "120116-02"]


def test_estimates_and_float_noise() -> None:
    assert _money("每平方米的价格为五六千元左右，三四百万元") == []
    assert _money("转移支付10.29万亿元") == [("10290000000000", None, "CNY")]
    assert [f.value for f in _facts("天津滨海国际机场", "place")] == ["120000", "120110"]


def test_the_sun_can_is_no_solar_industry() -> None:
    assert _facts("月亮说，如果我们赛跑，太阳能追上我", "industry") == []
    assert [f.value for f in _facts("太阳能电池和太阳能发电", "industry")] == ["new_energy"] * 2


def test_a_short_quoted_word_before_项目_is_no_name() -> None:
    assert _facts("惠民生的“小而美”项目", "project") == []
    assert [f.value for f in _facts("启动“海河英才”项目", "project")] == ["海河英才项目"]
