from pathlib import Path

import pytest

from tjcrawl.profiles import ProfileError, load_profiles, parse_profile

VALID = """
name = "测试站"
allowed_domains = ["gov.example.test"]
start_urls = ["http://gov.example.test/sy/index.html"]

[listing]
entries = "div.list-item"
link = { select = "a/@onclick", regex = "jumpToDetail\\\\('([^']+)'\\\\)" }
title = "a::text"
date = "xpath:.//span[@class='date']/text()"

[pagination]
template = "index_{n}.html"
max_pages = 3

[detail]
title = "h1"
body = "div.TRS_Editor"
boilerplate = ["div.tools"]
"""


def write(tmp_path: Path, text: str, name: str = "gov_test.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_profile_loads(tmp_path: Path) -> None:
    profile = parse_profile(write(tmp_path, VALID))
    assert profile.slug == "gov_test"
    assert profile.listing.link is not None and profile.listing.link.regex is not None
    assert profile.listing.date is not None
    assert profile.listing.date.query == ".//span[@class='date']/text()"
    assert profile.pagination is not None and profile.pagination.template == "index_{n}.html"
    assert profile.detail is not None and len(profile.detail.boilerplate) == 1


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (("[detail]", "[detail]\nbdy = 'p'"), "detail.bdy", "unknown key"),
        (('name = "测试站"', 'nmae = "测试站"'), "nmae", "unknown key"),
        (('body = "div.TRS_Editor"', ""), "detail.body", "missing"),
        (('entries = "div.list-item"', ""), "listing.entries", "missing"),
        (('body = "div.TRS_Editor"', 'body = "div[[["'), "detail.body", "parses neither"),
        (('title = "h1"', 'title = "xpath://h1["'), "detail.title", "does not parse"),
        (
            ('regex = "jumpToDetail', 'regex = "(jumpToDetail'),
            "listing.link.regex",
            "does not compile",
        ),
        (
            ('"http://gov.example.test/sy/index.html"', '"http://elsewhere.test/"'),
            "start_urls",
            "outside allowed_domains",
        ),
        (('template = "index_{n}.html"', 'template = "index.html"'), "pagination.template", "{n}"),
        (
            ('name = "测试站"', 'name = "测试站"\nencoding = "klingon"'),
            "encoding",
            "unknown encoding",
        ),
        (
            ("max_pages = 3", "max_pages = 3\nnext = 'a.next::attr(href)'"),
            "pagination",
            "exactly one",
        ),
    ],
)
def test_problems_are_reported_as_file_key_problem(
    tmp_path: Path, change: tuple[str, str], key: str, problem: str
) -> None:
    old, new = change
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ProfileError) as error:
        parse_profile(path)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {key}: ")
    assert problem in message


def test_broken_toml_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x\n')
    with pytest.raises(ProfileError, match=r"\(file\): not valid TOML"):
        parse_profile(path)


def test_articles_mode_needs_a_body_and_no_detail(tmp_path: Path) -> None:
    text = VALID.replace("[listing]", '[listing]\nmode = "articles"')
    with pytest.raises(ProfileError, match=r"listing\.body"):
        parse_profile(write(tmp_path, text))
    text = text.replace('title = "a::text"', 'title = "a::text"\nbody = "div.body"')
    with pytest.raises(ProfileError, match="detail: not used"):
        parse_profile(write(tmp_path, text))


def test_the_bundled_profiles_all_load() -> None:
    profiles = load_profiles()
    assert {"demo_portal", "demo_trs", "demo_enorth"} <= set(profiles)


def test_extra_profile_folders_override_by_slug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, VALID.replace("测试站", "覆盖"), "demo_trs.toml")
    monkeypatch.setenv("TJCRAWL_SOURCES_DIR", str(tmp_path))
    assert load_profiles()["demo_trs"].name == "覆盖"
