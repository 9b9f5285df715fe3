"""Money: an amount, its unit and currency, a qualifier (约/超/逾/近 …), and its role (what
the money is: 总投资, 产值, 进出口 …, read from the words before it in the same clause).

Only amounts that carry a currency are money: 2025年, 20%, 12.7万平方米, 2万吨, 1.5万余名
carry none and are never read. Values are in the currency's base unit (yuan for CNY, dollars
for USD …) as a string; no exchange rate is applied."""

from __future__ import annotations

import re

from tjcrawl.extract.facts.common import (
    CN_NUMERAL_CHARS,
    Sentences,
    anchored,
    clause_end,
    clause_start,
    number_text,
    parse_number,
)

_CN = CN_NUMERAL_CHARS
_MONEY_RE = re.compile(
    r"(?P<pre>约合|大约|超过|不少于|不低于|不到|接近|突破|约|超|逾|近)?"
    rf"(?P<num>(?:\d+(?:[,，]\d{{3}}(?!\d))*(?:\.\d+)?|[{_CN}]+)(?:[万亿][\d{_CN}]*)*)"
    r"(?P<more>余|多)?"
    r"(?P<scale>[万亿]*)"
    r" ?(?P<cur>美元|美金|欧元|日元|港元|港币|英镑|韩元|人民币|元)"
)
# the characters a match of _MONEY_RE (_BARE_YI_RE) can begin with: a qualifier's or a number's
_MONEY_STARTS = re.compile(rf"[约大超不接突逾近\d{_CN}]")
_BARE_YI_STARTS = re.compile(rf"[约大超接突逾近\d{_CN}]")


def _post(text: str, pos: int) -> str | None:
    """以上 or 左右 right after the amount, if either is there."""
    if text.startswith("以上", pos):
        return "以上"
    return "左右" if text.startswith("左右", pos) else None


# 总投资120亿 (no 元): read only after a role of investment and before the clause ends
_BARE_YI_RE = re.compile(
    rf"(?P<pre>约合|大约|超过|接近|突破|约|超|逾|近)?"
    rf"(?P<num>\d+(?:\.\d+)?|[{_CN}]+)(?P<more>余|多)?(?P<cur>万亿|亿)"
)
# 万亿 tried before 亿 as 万?亿 would, but with a literal first character the regex engine
# skips to each 万 or 亿 instead of trying every position of the text
_YI_ANCHOR = re.compile(r"(?:万亿|亿)(?=$|[，,。；;、）)\s]|以上|左右|的)")
_BARE_ROLES = {"总投资", "投资", "签约", "融资", "营收", "产值", "销售额", "交易额", "合同额"}
_CURRENCY_RE = re.compile(r"美元|美金|欧元|日元|港元|港币|英镑|韩元|人民币|元")
CURRENCIES = {
    "元": "CNY",
    "人民币": "CNY",
    "美元": "USD",
    "美金": "USD",
    "欧元": "EUR",
    "日元": "JPY",
    "港元": "HKD",
    "港币": "HKD",
    "英镑": "GBP",
    "韩元": "KRW",
}
# 元 that starts another word: 元素, 元旦, 元宵, 元件 …
_NOT_YUAN = set("素旦宵件器老帅首年月")
# a Chinese numeral after these is vague (数十亿元, 几百万元, 上千万元): not an amount
_VAGUE_BEFORE = set("数几若上成好第")
# 五六千元, 三四百万元: two digits side by side are an estimate (5,000 to 6,000), not an amount
_VAGUE_DIGITS = re.compile("[一二两三四五六七八九]{2}")
_RANGE_BEFORE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:-|—|–|~|～|至|到)\s*$")
_RANGE_MARKS = "-—–~～至到"
# what 万, 亿, 万亿 … after a number multiply it by (parse_number("1" + scale)), as found
_SCALES: dict[str, float | None] = {}
_QUALIFIERS = {"约合": "约", "大约": "约", "约": "约", "左右": "约", "超过": "超", "超": "超",
               "逾": "超", "突破": "超", "不少于": "超", "不低于": "超", "以上": "超",
               "余": "超", "多": "超", "近": "近", "接近": "近", "不到": "近"}  # fmt: skip

#: role keyword → role, the documented list (docs/facts.md); the keyword nearest before the
#: amount in its clause wins
ROLE_WORDS = {
    "总投资": "总投资",
    "计划总投资": "总投资",
    "协议总投资": "总投资",
    "投资总额": "总投资",
    "总投资额": "总投资",
    "投资规模": "总投资",
    "投资": "投资",
    "投入": "投资",
    "增资": "投资",
    "注资": "投资",
    "签约额": "签约",
    "签约金额": "签约",
    "签约": "签约",
    "签署": "签约",
    "融资": "融资",
    "募资": "融资",
    "募集": "融资",
    "贷款": "贷款",
    "授信": "贷款",
    "产值": "产值",
    "年产值": "产值",
    "工业总产值": "产值",
    "营收": "营收",
    "营业收入": "营收",
    "收入": "营收",
    "营业额": "营收",
    "销售额": "销售额",
    "销售收入": "销售额",
    "合同额": "合同额",
    "合同金额": "合同额",
    "合同外资": "合同外资",
    "合同外资额": "合同外资",
    "利用外资": "实际利用外资",
    "实际利用外资": "实际利用外资",
    "实际使用外资": "实际利用外资",
    "税收": "税收",
    "纳税": "税收",
    "税额": "税收",
    "进出口": "进出口",
    "进出口额": "进出口",
    "进出口值": "进出口",
    "出口": "进出口",
    "进口": "进出口",
    "外贸": "进出口",
    "外贸规模": "进出口",
    "交易额": "交易额",
    "贸易额": "交易额",
    "成交额": "交易额",
    "成交": "交易额",
    "规模": "规模",
    "产业规模": "规模",
    "增加值": "增加值",
    "地区生产总值": "地区生产总值",
    "GDP": "地区生产总值",
    "利润": "利润",
    "净利润": "利润",
    "补贴": "补贴",
    "津贴": "补贴",
    "补助": "补贴",
    "奖励": "补贴",
    "资金": "补贴",
    "扶持": "补贴",
    "罚款": "罚款",
    "罚没": "罚款",
    "价格": "价格",
    "价": "价格",
    "售价": "价格",
    "零售价": "价格",
    "均价": "价格",
    "每斤": "价格",
    "每公斤": "价格",
    "每吨": "价格",
    "每月": "价格",
    "收费": "价格",
    "缴费": "价格",
    "月租": "价格",
    "票价": "价格",
    "原价": "价格",
    "费用": "费用",
    "运费": "费用",
    "成本": "费用",
    "代理费": "费用",
    "退税": "税收",
    "信贷": "贷款",
    "注册资本": "注册资本",
    "基金": "基金",
}
_ROLE_RE = re.compile("|".join(sorted(map(re.escape, ROLE_WORDS), key=len, reverse=True)))


def _role(text: str, start: int, end: int | None = None) -> str | None:
    """The role word nearest before the amount in its clause; failing that, one right after
    it (8000亿元信贷额度, 1400多亿元留抵退税, 75亿美元资金)."""
    window_start = clause_start(text, start, limit=30)
    best = None
    for m in _ROLE_RE.finditer(text, window_start, start):
        best = m
    if best is None and end is not None:
        after = _ROLE_RE.search(text, end, clause_end(text, end, limit=8))
        best = after if after and after.start() - end <= 2 else None
    return ROLE_WORDS[best.group()] if best else None


def find_money(text: str, sentences: Sentences) -> list[tuple]:
    """(start, end, surface, fields) of every amount; fields are the Fact keyword args."""
    found = []
    for m in anchored(_MONEY_RE, _CURRENCY_RE, text, 40, "cur", _MONEY_STARTS):
        num, cur = m.group("num"), m.group("cur")
        num_start = m.start("num")
        if num[0] in _CN and num_start > 0 and text[num_start - 1] in _VAGUE_BEFORE:
            continue
        if _VAGUE_DIGITS.search(num):
            continue
        post = _post(text, m.end())
        if cur == "元" and m.end() < len(text) and text[m.end()] in _NOT_YUAN:
            continue
        if cur == "元" and not m.group("scale") and len(num) == 1 and num in _CN:
            continue  # 一元, 二元结构, 多元: a word, not an amount
        if num_start > 0 and (text[num_start - 1].isdigit() or text[num_start - 1] == "."):
            continue
        value = parse_number(num + m.group("scale"))
        if value is None or value == 0:
            continue
        trailing = num[len(num.rstrip("万亿")) :] + m.group("scale")
        if not trailing:
            mult = 1.0
        elif (mult := _SCALES.get(trailing)) is None:
            mult = _SCALES[trailing] = parse_number("1" + trailing)
        unit = trailing + {"人民币": "元", "美金": "美元"}.get(cur, cur)
        qual_word = m.group("pre") or m.group("more") or post
        start, end = m.start(), m.end() + len(post or "")
        fields = {
            "unit": unit,
            "currency": CURRENCIES[cur],
            "amount": round(value / mult, 6),
            "qualifier": _QUALIFIERS.get(qual_word) if qual_word else None,
            "method": "rule:money",
            "confidence": 0.85 if num[0] in _CN else 0.9,
        }
        if not m.group("pre"):
            window_start = max(0, num_start - 16)
            # a range ends in one of its marks (and spaces): most amounts have none before
            before = text[window_start:num_start].rstrip()
            rng = (
                _RANGE_BEFORE.search(text, window_start, num_start)
                if before and before[-1] in _RANGE_MARKS
                else None
            )
            if rng and num[0] not in _CN:
                low = float(rng.group(1)) * mult
                fields.update(
                    qualifier="range",
                    name=number_text(value),
                    method="rule:money-range",
                    amount=float(rng.group(1)),
                )
                value, start = low, rng.start()
        fields["role"] = _role(text, start, end)
        if fields["role"]:
            fields["confidence"] = min(0.95, fields["confidence"] + 0.05)
        found.append((start, end, text[start:end], number_text(value), fields))
    for m in anchored(_BARE_YI_RE, _YI_ANCHOR, text, 24, "cur", _BARE_YI_STARTS):
        num = m.group("num")
        if num[0] in _CN and m.start("num") > 0 and text[m.start("num") - 1] in _VAGUE_BEFORE:
            continue
        if m.start("num") > 0 and (text[m.start("num") - 1].isdigit()):
            continue
        role = _role(text, m.start())
        amount = parse_number(num)
        if role not in _BARE_ROLES or not amount:
            continue
        mult = 1e12 if m.group("cur") == "万亿" else 1e8
        post = _post(text, m.end())
        qual_word = m.group("pre") or m.group("more") or post
        end = m.end() + len(post or "")
        fields = {
            "unit": m.group("cur"),
            "currency": "CNY",
            "amount": amount,
            "qualifier": _QUALIFIERS.get(qual_word) if qual_word else None,
            "method": "rule:money-bare-yi",
            "confidence": 0.7,
            "role": role,
        }
        found.append((m.start(), end, text[m.start() : end], number_text(amount * mult), fields))
    return found
