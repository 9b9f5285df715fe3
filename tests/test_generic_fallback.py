"""Profiles that leave a detail field to the generic extractor, by saying "auto" or leaving it
out: every bundled profile still gets its golden articles when its body or date is deleted."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bench.extraction import page_tp_fp_fn
from tjcrawl.fixtures import offline_crawl, read_goldens
from tjcrawl.profiles import Profile, ProfileError, load_profiles, parse_profile

PROFILES = load_profiles()
WITH_DETAIL = sorted(slug for slug, p in PROFILES.items() if p.detail is not None)


def body_f1(true: str, found: str) -> float:
    tp, fp, fn = page_tp_fp_fn(true, found)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def profile_text_without(profile: Profile, key: str, instead: str | None = None) -> str:
    """The profile's TOML with `[detail] key` deleted (or set to `instead`)."""
    lines = profile.path.read_text("utf-8").splitlines()
    start = lines.index("[detail]")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    at = [i for i in range(start + 1, end) if re.match(rf"{key}\s*=", lines[i])]
    assert len(at) == 1, f"{profile.slug}: one line of detail.{key} expected"
    # A value may go on over more lines (a multi-line string): up to the next key.
    stop = next((i for i in range(at[0] + 1, end) if re.match(r"\w+\s*=", lines[i])), end)
    lines[at[0] : stop] = [] if instead is None else [f"{key} = {instead}"]
    return "\n".join(lines) + "\n"


def crawled(profile: Profile) -> dict[str, dict[str, Any]]:
    items, dropped = offline_crawl(profile)
    assert dropped == []
    return {item["url"]: item for item in items}


def test_every_profile_with_detail_pages_is_checked() -> None:
    assert len(WITH_DETAIL) >= 12


@pytest.mark.parametrize("slug", WITH_DETAIL)
def test_without_its_body_selector_a_profile_gets_every_golden_body(slug: str) -> None:
    profile = PROFILES[slug]
    changed = parse_profile(profile.path, profile_text_without(profile, "body"))
    assert changed.detail is not None and changed.detail.body is None
    items = crawled(changed)
    with_selector = crawled(profile)
    goldens = read_goldens(slug)
    assert sorted(items) == sorted(row["url"] for row in goldens)
    for row in goldens:
        item = items[row["url"]]
        assert item["field_sources"]["body"] == "generic", row["url"]
        assert body_f1(row["body"], item["body"]) >= 0.95, row["url"]
        assert item["title"] == row["title"]
        # The attachment links in the body are found without the body's selector too.
        assert item["attachments"] == with_selector[row["url"]]["attachments"], row["url"]


@pytest.mark.parametrize("slug", WITH_DETAIL)
def test_without_its_date_selector_a_profile_gets_every_golden_day(slug: str) -> None:
    profile = PROFILES[slug]
    changed = parse_profile(profile.path, profile_text_without(profile, "date"))
    assert changed.detail is not None and changed.detail.date is None
    items = crawled(changed)
    for row in read_goldens(slug):
        item = items[row["url"]]
        assert item["published_at"][:10] == row["published_at"][:10], row["url"]
        if row["date_source"] == "detail":
            # Stated on the page: the generic extractor finds it.
            assert item["field_sources"]["date"] == "generic", row["url"]
            assert item["date_source"] == "detail"
        else:
            # Not on the page (demo_enorth has such pages): the listing's, as before.
            assert item["field_sources"]["date"] == row["date_source"], row["url"]


def test_auto_fields_come_from_the_generic_extractor_and_are_not_a_broken_selector() -> None:
    profile = PROFILES["demo_enorth"]
    text = profile_text_without(profile, "origin", '"auto"')
    text = text.replace('body = "div#zoom"', 'body = "auto"')
    changed = parse_profile(profile.path, text)
    assert changed.detail is not None
    assert changed.detail.generic == {"body", "origin"}
    goldens = {row["url"]: row for row in read_goldens("demo_enorth")}
    items = crawled(changed)
    for url, row in goldens.items():
        sources = items[url]["field_sources"]
        assert sources["body"] == "generic"
        assert body_f1(row["body"], items[url]["body"]) >= 0.95, url
        if row["origin"]:
            assert sources["origin"] == "generic" and items[url]["origin"] == row["origin"], url


def test_a_declared_selector_that_matches_nothing_is_counted_auto_is_not() -> None:
    from scrapy.settings import Settings

    from tjcrawl.fixtures import fixture_response
    from tjcrawl.spiders import spider_class

    profile = PROFILES["demo_trs"]
    broken = parse_profile(
        profile.path,
        profile_text_without(profile, "body", '"div.gone"').replace(
            'title = "head > title"', 'title = "auto"'
        ),
    )
    url = read_goldens("demo_trs")[0]["url"]
    counted: dict[str, int] = {}
    faults: list[tuple[str, str]] = []

    class Stats:
        def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
            counted[key] = counted.get(key, 0) + count

    class Signals:
        def send_catch_log(self, signal: Any = None, **kwargs: Any) -> list[Any]:
            faults.append((kwargs["kind"], kwargs["detail"]))
            return []

    spider = spider_class(broken)()
    crawler = {"stats": Stats(), "signals": Signals(), "settings": Settings()}
    spider.crawler = type("Crawler", (), crawler)()
    response = fixture_response(broken, url)
    assert response is not None
    [item] = [i for i in spider.parse_detail(response) if not hasattr(i, "callback")]
    assert item["field_sources"] == {
        "title": "generic",
        "body": "generic",
        "date": "profile",
        "origin": "profile",
    }
    assert counted.get("tjcrawl/generic/body") == 1
    assert "tjcrawl/generic/title" not in counted
    assert faults == [
        ("selector_missed", "detail.body matched nothing; the generic extractor filled it")
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('attachments = "auto"', '"auto" is only for title, date, body, origin, author'),
        ('boilerplate = "auto"', '"auto" is only for title, date, body, origin, author'),
    ],
)
def test_auto_is_refused_where_the_generic_extractor_has_nothing_to_give(
    line: str, problem: str
) -> None:
    profile = PROFILES["demo_trs"]
    text = profile.path.read_text("utf-8").replace("[detail]\n", f"[detail]\n{line}\n")
    text = text.replace("boilerplate = [", "#") if line.startswith("boilerplate") else text
    with pytest.raises(ProfileError, match=re.escape(problem)):
        parse_profile(profile.path, text)


def test_a_fixture_check_reports_what_the_generic_extractor_filled() -> None:
    from tjcrawl.source_check import check_fixtures

    profile = PROFILES["demo_trs"]
    pages = len(read_goldens("demo_trs"))
    broken = parse_profile(profile.path, profile_text_without(profile, "body", '"div.gone"'))
    report = check_fixtures(broken)
    line = next(line for line in report.text().splitlines() if "detail.body" in line)
    assert line.split()[:5] == ["FAIL", "detail.body", f"0/{pages}", "detail", "pages"]
    assert line.endswith(f"(the generic extractor filled it on {pages})")
    assert f"demo_trs: detail.body: matched 0 of {pages} detail pages" in report.problems[0]
    assert f"(the generic extractor filled it on {pages})" in report.problems[0]

    auto = parse_profile(profile.path, profile_text_without(profile, "body", '"auto"'))
    report = check_fixtures(auto)
    assert report.ok, report.problems
    line = next(line for line in report.text().splitlines() if "detail.body" in line)
    assert line.split() == [
        "ok", "detail.body", "generic", "extractor", "on", f"{pages}/{pages}", "detail", "pages"
    ]  # fmt: skip


@pytest.mark.parametrize(("filled", "reported"), [(0, False), (1, False), (2, True), (10, True)])
def test_the_crawl_reports_a_selector_the_generic_extractor_stood_in_for(
    filled: int, reported: bool
) -> None:
    """As for a missing field before: a selector that misses on more than a tenth of the pages
    fails the source, though the generic extractor kept every article."""
    from tjcrawl.runner import judge

    stats = {
        "finish_reason": "finished",
        "tjcrawl/listing_pages": 1,
        "tjcrawl/listing_entries": 10,
        "tjcrawl/items_seen": 10,
        "tjcrawl/present/title": 10,
        "tjcrawl/present/body": 10,
        "tjcrawl/generic/body": filled,
        "tjcrawl/generic/origin": 10,  # often absent on a healthy site: never judged
    }
    expected = (
        [
            f"demo_trs: field detail.body matched nothing on {filled} of 10 pages;"
            " the generic extractor filled it (provenance generic)"
        ]
        if reported
        else []
    )
    assert judge(PROFILES["demo_trs"], stats, 0.9) == expected
