import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, count, run_cli

from tjcrawl.extract import field_text
from tjcrawl.profile_guards import compile_regex
from tjcrawl.profiles import ProfileError, load_profile_set, load_profiles, parse_profile

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
        (
            ('body = "div.TRS_Editor"', 'body = "auto"\nattachments = "auto"'),
            "detail.attachments",
            '"auto" is only for title, date, body, origin, author',
        ),
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
    loaded = load_profile_set()
    assert loaded.broken == {}
    assert {"demo_portal", "demo_trs", "demo_enorth"} <= set(loaded.profiles)


def test_extra_profile_folders_override_by_slug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, VALID.replace("测试站", "覆盖"), "demo_trs.toml")
    monkeypatch.setenv("TJCRAWL_SOURCES_DIR", str(tmp_path))
    assert load_profiles()["demo_trs"].name == "覆盖"


UNION = " | ".join([".//p"] * 20_000)


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        # EXSLT regexes run on a backtracking engine inside lxml, where nothing can stop them.
        (
            (
                "date = \"xpath:.//span[@class='date']/text()\"",
                "date = \"xpath:.//span[re:test(., '((a+)+)b')]\"",
            ),
            "listing.date",
            "EXSLT regular expressions",
        ),
        (
            ('template = "index_{n}.html"', 'template = "index_{n}{n:>2000000000}.html"'),
            "pagination.template",
            "not allowed",
        ),
        (
            ('template = "index_{n}.html"', 'template = "index_{n:099d}.html"'),
            "pagination.template",
            "width 99",
        ),
        (
            ('template = "index_{n}.html"', 'template = "index_{n}_{page}.html"'),
            "pagination.template",
            "{page}",
        ),
        (
            ('title = "h1"', 'title = "xpath:.//foo:bar"'),
            "detail.title",
            "undefined namespace prefix foo",
        ),
        (
            ('title = "h1"', 'title = "xpath://div[foo:bar]"'),
            "detail.title",
            "undefined namespace prefix foo",
        ),
        (('title = "h1"', f'title = "xpath:{UNION}"'), "detail.title", "a union of 20,000"),
        (
            ('title = "h1"', f'title = "xpath://p[{"1 and " * 3_000}1]"'),
            "detail.title",
            "characters",
        ),
        (
            ('title = "h1"', f'title = "{", ".join(["p"] * 2_000)}"'),
            "detail.title",
            "a union of 2,000",
        ),
        (('title = "h1"', 'title = "xpath://p[substring(.)]"'), "detail.title", "fails"),
        (('title = "h1"', f'title = "xpath://p[{"a" * 50_000}"'), "detail.title", "…"),
        (('title = "h1"', f'title = "{"(" * 5_000}"'), "detail.title", "…"),
        (
            ('regex = "jumpToDetail', 'regex = "(j)\\\\1umpToDetail'),
            "listing.link.regex",
            "RE2",
        ),
        (
            ('regex = "jumpToDetail', 'regex = "[^x]{1000}[^y]{1000}jumpToDetail'),
            "listing.link.regex",
            "too large a regex",
        ),
        (('title = "h1"', f'title = "{"div " * 60_000}"'), "detail.title", "nested too deeply"),
        (
            ('regex = "jumpToDetail', 'regex = "(?<=x)jumpToDetail'),
            "listing.link.regex",
            "lookaround",
        ),
    ],
)
def test_hostile_profiles_are_refused_at_load(
    tmp_path: Path, change: tuple[str, str], key: str, problem: str
) -> None:
    old, new = change
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ProfileError) as error:
        parse_profile(path)
    message = str(error.value)
    assert "\n" not in message and len(message) < 1_000
    assert message.startswith(f"{path}: {key}: ")
    assert problem in message


DEEP_TOML = 'name = "' + "x" * 10 + '"\nnest = ' + "[" * 100_000 + "]" * 100_000 + "\n"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (DEEP_TOML.encode(), "nested too deeply"),
        (VALID.encode("gb18030"), "not UTF-8"),
        (VALID.encode() + b"#" * 300_000 + b"\n", "larger than"),
    ],
)
def test_unloadable_files_are_one_line_profile_errors(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "hostile.toml"
    path.write_bytes(content)
    with pytest.raises(ProfileError) as error:
        parse_profile(path)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: (file): ") and problem in message


JSON_LISTING = """
name = "接口"
allowed_domains = ["gov.example.test"]
start_urls = ["http://gov.example.test/api/list"]

[listing]
format = "json"
entries = "data.list[]"
link = "url"

[detail]
body = "div.body"
"""


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ("(" * 5_000 + "a" + ")" * 5_000, "JMESPath nested too deeply"),
        ("data.[", "does not parse"),
    ],
)
def test_jmespath_problems_are_one_line(tmp_path: Path, entries: str, problem: str) -> None:
    assert parse_profile(write(tmp_path, JSON_LISTING)).listing.format == "json"
    path = write(tmp_path, JSON_LISTING.replace("data.list[]", entries))
    with pytest.raises(ProfileError) as error:
        parse_profile(path)
    message = str(error.value)
    assert "\n" not in message and len(message) < 1_000
    assert message.startswith(f"{path}: listing.entries: ") and problem in message


def test_a_zero_padded_template_is_allowed(tmp_path: Path) -> None:
    text = VALID.replace('template = "index_{n}.html"', 'template = "index_{n:02d}.html"')
    profile = parse_profile(write(tmp_path, text))
    assert profile.pagination is not None and profile.pagination.template == "index_{n:02d}.html"


def test_profile_regexes_keep_python_unicode_classes() -> None:
    # RE2's \d \s \w are ASCII; profiles were written for Python's Unicode meaning.
    assert compile_regex(r"(\d{4})年").search("２０２４年").group(1) == "２０２４"
    assert compile_regex(r"来源[:：]\s*(\S+)").search("来源：\u3000天津日报").group(1) == "天津日报"
    assert compile_regex(r"(\w+)").search("——天津").group(1) == "天津"
    assert compile_regex(r"[\d\s]+").search("x２ ３").group(0) == "２ ３"
    assert compile_regex(r"[^\d]+").search("２天津").group(0) == "天津"


def test_a_catastrophic_regex_runs_in_linear_time(tmp_path: Path) -> None:
    # ((\d+)+)x on a line of digits takes exponential time on a backtracking engine; in a
    # subprocess with a timeout, so that a regression fails instead of hanging the suite.
    text = VALID.replace('title = "h1"', 'title = { select = "h1", regex = "((\\\\d+)+)x" }')
    path = write(tmp_path, text)
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from parsel import Selector
        from tjcrawl.extract import field_text
        from tjcrawl.profiles import parse_profile
        profile = parse_profile(Path({str(path)!r}))
        page = Selector(text="<h1>" + "1" * 50_000 + "</h1>")
        assert field_text(page, profile.detail.title) is None
        page = Selector(text="<h1>" + "1" * 50_000 + "x</h1>")
        print(len(field_text(page, profile.detail.title)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "50000"


def test_a_regex_field_still_extracts_its_group(tmp_path: Path) -> None:
    from parsel import Selector

    profile = parse_profile(write(tmp_path, VALID))
    page = Selector(
        text="""<div class="list-item"><a onclick="jumpToDetail('t1.html')">x</a></div>"""
    )
    assert profile.listing.link is not None
    assert field_text(page.css("div.list-item")[0], profile.listing.link) == "t1.html"


def _hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "hostile.toml").write_text(DEEP_TOML, "utf-8")
    return folder


def test_a_hostile_profile_leaves_the_other_sources_listed(tmp_path: Path) -> None:
    folder = _hostile_folder(tmp_path)
    result = run_cli("sources", env={"TJCRAWL_SOURCES_DIR": str(folder)}, timeout=60)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    rows = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "broken" in rows["hostile"]
    assert {"demo_trs", "demo_portal", "tj_gov_tjxw"} <= set(rows)
    errors = result.stderr.strip().splitlines()
    assert errors == [
        f"Error: {folder / 'hostile.toml'}: (file): not valid TOML: arrays or "
        "tables nested too deeply"
    ]


def test_a_hostile_profile_named_is_refused_in_one_line(tmp_path: Path) -> None:
    folder = _hostile_folder(tmp_path)
    result = run_cli(
        "crawl",
        "hostile",
        "--serve-fixtures",
        "--db",
        str(tmp_path / "a.db"),
        env={"TJCRAWL_SOURCES_DIR": str(folder)},
        timeout=60,
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(f"Error: {folder / 'hostile.toml'}: (file):")
    )
    assert not (tmp_path / "a.db").exists()


def test_a_crawl_of_every_source_goes_on_and_reports_the_hostile_profile(tmp_path: Path) -> None:
    folder = _hostile_folder(tmp_path)
    db = tmp_path / "a.db"
    result = run_cli(
        "crawl",
        "--serve-fixtures",
        "--db",
        str(db),
        "--log-level",
        "ERROR",
        env={"TJCRAWL_SOURCES_DIR": str(folder)},
        timeout=120,
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 3, result.stderr[-2000:]
    assert f"Warning: {folder / 'hostile.toml'}: (file):" in result.stderr
    assert "error: 1 profile(s) could not be loaded: hostile" in result.stderr
    sources = {
        row
        for row in ("demo_trs", "demo_portal", "demo_enorth")
        if count(db, f"SELECT count(*) FROM articles WHERE source = '{row}'") > 0
    }
    assert sources == {"demo_trs", "demo_portal", "demo_enorth"}


def test_scrapy_list_skips_a_hostile_profile(tmp_path: Path) -> None:
    folder = _hostile_folder(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**__import__("os").environ, "TJCRAWL_SOURCES_DIR": str(folder)},
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 0
    assert "demo_trs" in result.stdout.split() and "hostile" not in result.stdout.split()
    assert f"{folder / 'hostile.toml'}: (file):" in result.stderr


def test_a_group_is_one_of_the_known_ones_and_defaults_to_other(tmp_path: Path) -> None:
    assert parse_profile(write(tmp_path, VALID)).group == "other"
    grouped = parse_profile(write(tmp_path, 'group = "districts"\n' + VALID, "gov_b.toml"))
    assert grouped.group == "districts"
    with pytest.raises(ProfileError) as exc:
        parse_profile(write(tmp_path, 'group = "ministries"\n' + VALID, "gov_c.toml"))
    message = str(exc.value)
    assert "gov_c.toml: group: must be one of city, bureaus, districts" in message
    assert "'ministries'" in message and "\n" not in message
