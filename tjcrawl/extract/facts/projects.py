"""Signed projects: counts (签约项目31个, 68个项目集中签约), the organisations that invest or
sign (names ending 有限公司/集团/研究院 … in a clause that says so), and project names where
the text states one in quotes (“心成长”青少年心理健康服务项目)."""

from __future__ import annotations

import re

from tjcrawl.extract.facts.common import (
    CN_NUMERAL_CHARS,
    anchored,
    clause_end,
    clause_start,
    parse_number,
)

_N = rf"(?:\d+|[{CN_NUMERAL_CHARS}]+)"
# 签约项目31个 / 外资项目15个 / 项目有6个 / 引进项目超1200个 / 项目四百余个
_COUNT_AFTER = re.compile(
    rf"项目(?:共|达|有|数)?(?P<q>超过|超|逾|近|约)?(?P<n>{_N})(?P<more>余|多)?个(?!月|百分点)"
)
# 68个项目 / 12个重点项目 / 30个以上重点工业项目
_COUNT_BEFORE = re.compile(
    rf"(?P<n>{_N})(?P<more>余|多)?个(?:以上)?(?P<mid>[^，,。；;！？!?、\s\d]{{0,10}}?)(?P<p>项目)"
)
# what a match of _COUNT_BEFORE begins with: a numeral (anchored() scans from the first)
_COUNT_STARTS = re.compile(rf"[\d{CN_NUMERAL_CHARS}]")
_ROLE_VERBS = ("签约", "开工", "竣工", "投产", "落地", "引进", "落户", "签署", "招商", "推介")
_ROLE_OF = {"签署": "签约", "落户": "落地", "招商": "签约", "推介": "签约"}

_ORG_SUFFIX = (
    "股份有限公司|有限责任公司|有限公司|集团股份公司|集团公司|控股集团|集团|研究院|研究所|"
    "保险公司|银行|公司"
)
_ORG_ANCHOR = re.compile(rf"(?:{_ORG_SUFFIX})+")
# every suffix holds one of these: a text with none of them names no organisation, and the
# anchor's alternation is slow to run over a page (it is tried at every character)
_ORG_WORDS = ("公司", "集团", "研究院", "研究所", "银行")
_PROJECT_ANCHOR = re.compile("项目")
# words an organisation name does not start with: cut the name after the last of them
_ORG_CUT = re.compile(
    r"(?:与|和|同|及|由|向|对|在|是|为|等|的|了|将|其中|包括|如|以及|引进|吸引|签约|围绕|"
    r"携手|联合|新设立|设立|成立|获悉|从|据|记者|会同|组织|推动|支持|鼓励|当事人)"
)
_GENERIC_ORG = re.compile(r"^(?:本|该|子|母|分|各|多家|一家|相关|有关|新设|租赁|保险|投资|这家)")
_PARTY_INVEST = ("投资", "落户", "入驻", "设立", "加入", "增资", "注资")
_PARTY_SIGN = ("签约", "签署", "签订", "合作协议", "战略合作")

_PROJECT_RE = re.compile(
    r"[“\"「『](?P<q>[^”\"」』\n]{2,20})[”\"」』](?P<rest>[\u4e00-\u9fff]{0,16}?项目)"
)


def _count(n: str) -> int | None:
    value = parse_number(n)
    return int(value) if value and value == int(value) and value < 1_000_000 else None


def _count_role(text: str, start: int, end: int) -> str | None:
    window = text[clause_start(text, start) : clause_end(text, end)]
    for verb in _ROLE_VERBS:
        if verb in window:
            return _ROLE_OF.get(verb, verb)
    return None


def find_counts(text: str) -> list[tuple]:
    """(start, end, value, role, method) of project counts."""
    found = []
    taken: list[tuple[int, int]] = []
    if "项目" not in text:
        return found
    for m in _COUNT_AFTER.finditer(text):
        value = _count(m.group("n"))
        if value is None:
            continue
        found.append((m.start(), m.end(), str(value), _count_role(text, m.start(), m.end()),
                      "rule:count-after"))  # fmt: skip
        taken.append((m.start(), m.end()))
    if "项目" not in text:
        return found
    for m in anchored(_COUNT_BEFORE, _PROJECT_ANCHOR, text, 24, "p", _COUNT_STARTS):
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue
        n_start = m.start("n")
        if n_start > 0 and text[n_start - 1] in "第数几每":
            continue
        value = _count(m.group("n"))
        role = _count_role(text, m.start(), m.end())
        # "N个…项目" without a verb of investment nearby is often something else (比赛项目)
        if value is None or role is None:
            continue
        found.append((m.start(), m.end(), str(value), role, "rule:count-before"))
    return found


def _is_name_char(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or (ch.isascii() and ch.isalnum()) or ch in "（）()·"


def find_parties(text: str) -> list[tuple]:
    """(start, end, name, role) of organisations named as investors or signatories."""
    found: list[tuple] = []
    if not any(word in text for word in _ORG_WORDS):
        return found
    for a in _ORG_ANCHOR.finditer(text):
        # the name is the run of name characters before the suffix (at most 30)
        begin, lo = a.start(), max(0, a.start() - 30)
        while begin > lo and _is_name_char(text[begin - 1]):
            begin -= 1
        if a.start() - begin < 2:
            continue
        cut = 0
        for c in _ORG_CUT.finditer(text, begin, a.start()):
            cut = c.end() - begin
        start, end = begin + cut, a.end()
        name = text[start:end]
        if len(name) < 5 or "某" in name or _GENERIC_ORG.match(name):
            continue
        # the name itself (鲁信投资控股集团) does not say that it invests
        window = text[clause_start(text, start) : start] + text[end : clause_end(text, end)]
        if any(w in window for w in _PARTY_SIGN):
            role = "signatory"
        elif any(w in window for w in _PARTY_INVEST):
            role = "investor"
        else:
            continue
        found.append((start, end, name, role))
    return found


def find_project_names(text: str) -> list[tuple]:
    """(start, end, name) of project names stated in quotes."""
    found = []
    longest: dict[str, str] = {}
    for m in _PROJECT_RE.finditer(text):
        quoted, name = m.group("q"), m.group("q") + m.group("rest")
        found.append((m.start(), m.end(), quoted))
        if len(name) > len(longest.get(quoted, "")):
            longest[quoted] = name
    # “心成长”项目 after “心成长”青少年心理健康服务项目 is the same project, named short; a
    # short quoted word straight before 项目 (“小而美”项目) is a description, not a name
    return [
        (start, end, longest[quoted])
        for start, end, quoted in found
        if len(longest[quoted]) > len(quoted) + 2 or len(quoted) >= 4
    ]
