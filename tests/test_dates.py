from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tjcrawl.dates import SHANGHAI, date_from_url, parse_date

FETCHED = datetime(2025, 8, 23, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("2025年8月22日", "2025-08-22T00:00:00+08:00", "day"),
        ("2025-08-22 10:30", "2025-08-22T10:30:00+08:00", "minute"),
        ("2025-08-22 10:30:15", "2025-08-22T10:30:15+08:00", "second"),
        ("24-11-14", "2024-11-14T00:00:00+08:00", "day"),
        ("2025/8/22", "2025-08-22T00:00:00+08:00", "day"),
        ("2025.08.22", "2025-08-22T00:00:00+08:00", "day"),
        ("发布时间：2025-08-22", "2025-08-22T00:00:00+08:00", "day"),
        (
            "发布时间:2025-08-22 09:05 来源：天津日报 字号：大 中 小",
            "2025-08-22T09:05:00+08:00",
            "minute",
        ),
        ("２０２５年８月２２日", "2025-08-22T00:00:00+08:00", "day"),
        ("2025年08月22日 10时30分", "2025-08-22T10:30:00+08:00", "minute"),
        ("昨天 10:30", "2025-08-22T10:30:00+08:00", "minute"),
        ("前天 08:15", "2025-08-21T08:15:00+08:00", "minute"),
        ("3天前", "2025-08-20T00:00:00+08:00", "day"),
        ("5小时前", "2025-08-23T05:00:00+08:00", "minute"),
        ("今天 07:20", "2025-08-23T07:20:00+08:00", "minute"),
    ],
)
def test_parse_date(text: str, iso: str, precision: str) -> None:
    parsed = parse_date(text, FETCHED)
    assert parsed is not None
    assert parsed.isoformat() == iso
    assert parsed.precision == precision


@pytest.mark.parametrize(
    "text", ["2025-02-30", "2025年13月1日", "2025-08-22 25:61", "", "   ", "字号：大 中 小", "天津"]
)
def test_impossible_or_missing_dates_give_none(text: str) -> None:
    assert parse_date(text, FETCHED) is None


def test_relative_dates_follow_the_fetch_time() -> None:
    later = datetime(2026, 1, 1, 9, 0, tzinfo=SHANGHAI)
    parsed = parse_date("昨天 10:30", later)
    assert parsed is not None and parsed.isoformat() == "2025-12-31T10:30:00+08:00"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_every_real_day_round_trips_in_every_format(day: date) -> None:
    for text in (
        f"{day.year}年{day.month}月{day.day}日",
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"发布时间：{day.isoformat()}",
        f"{day:%y-%m-%d}",
    ):
        parsed = parse_date(text, FETCHED)
        assert parsed is not None, text
        assert parsed.value.date() == day
        assert parsed.value.utcoffset().total_seconds() == 8 * 3600


@given(st.integers(1, 12), st.integers(29, 31), st.integers(2001, 2099))
def test_days_past_the_end_of_the_month_are_refused(month: int, day: int, year: int) -> None:
    try:
        date(year, month, day)
    except ValueError:
        assert parse_date(f"{year}-{month:02d}-{day:02d}", FETCHED) is None
    else:
        assert parse_date(f"{year}-{month:02d}-{day:02d}", FETCHED) is not None


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("http://www.tj.gov.cn/sy/tjxw/202411/t20241114_6790123.html", date(2024, 11, 14)),
        ("http://news.enorth.com.cn/system/2025/08/22/056012345.shtml", date(2025, 8, 22)),
        ("http://example.test/news/123.html", None),
        ("http://example.test/t20241345_1.html", None),
    ],
)
def test_date_from_url(url: str, day: date | None) -> None:
    parsed = date_from_url(url)
    assert (parsed.value.date() if parsed else None) == day
