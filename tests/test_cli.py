"""Every command has help with an example; a user's mistake is one clear line, no traceback."""

from pathlib import Path

import click
import pytest
from conftest import run_cli

from tjcrawl.cli import main

COMMANDS = sorted(main.commands)


def test_the_cli_has_the_commands_the_readme_promises() -> None:
    assert {"crawl", "demo", "search", "export", "stats", "sources", "goldens"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "Example" in result.stdout
    assert f"tjcrawl {command}" in result.stdout


def test_every_option_is_described() -> None:
    for command in main.commands.values():
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in ("help",):
                assert param.help or param.name in ("db_path",) or param.show_default, (
                    command.name,
                    param.name,
                )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "no_such_source"], "unknown source no_such_source"),
        (["crawl", "demo_trs"], "fixture site"),
        (["search", "天津", "--since", "2025-02-30"], "not a date"),
        (["search", "  "], "empty"),
        (["search", "天津", "--limit", "0"], "--limit"),
        (["export", "--format", "xml"], "xml"),
        (["goldens", "no_such_source"], "no fixture site"),
        (["frobnicate"], "No such command"),
    ],
)
def test_user_mistakes_are_one_clear_line(args: list[str], message: str, tmp_path: Path) -> None:
    result = (
        run_cli(*args, "--db", str(tmp_path / "a.db"))
        if args[0] in ("search", "export")
        else run_cli(*args)
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and message in errors[0], result.stderr


@pytest.mark.parametrize("command", ["stats", "search 天津", "export"])
def test_a_missing_or_corrupt_archive_is_explained(command: str, tmp_path: Path) -> None:
    missing = run_cli(*command.split(), "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and "no archive here" in missing.stderr
    assert not (tmp_path / "none.db").exists(), "a read command must not create an archive"
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not sqlite" * 100)
    result = run_cli(*command.split(), "--db", str(corrupt))
    assert result.returncode == 1
    assert "not a usable SQLite archive" in result.stderr and "Traceback" not in result.stderr
    assert corrupt.read_bytes() == b"this is not sqlite" * 100, "the file must be left as it was"


def test_sources_lists_every_profile_with_its_kind_and_with_db_its_state(tmp_path: Path) -> None:
    result = run_cli("sources")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    for slug in ("demo_portal", "demo_trs", "demo_enorth"):
        assert any(line.split()[:2] == [slug, "fixture"] for line in lines)
    assert any(line.split()[1] == "web" for line in lines)
    missing = run_cli("sources", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and "no archive here" in missing.stderr


def test_sources_are_listed_by_group_with_the_fixture_sites_last(tmp_path: Path) -> None:
    base = 'allowed_domains = ["{0}.test"]\nstart_urls = ["http://{0}.test/"]\n'
    base += '[listing]\nentries = "li"\nlink = "a/@href"\n[detail]\n'
    for slug, group in (("zz_city", "city"), ("aa_media", "media"), ("mm_district", "districts")):
        text = f'name = "{slug}"\ngroup = "{group}"\n' + base.format(slug.replace("_", "-"))
        (tmp_path / f"{slug}.toml").write_text(text, "utf-8")
    result = run_cli("sources", env={"TJCRAWL_SOURCES_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    sections: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        if line.startswith("["):
            heading = line[1 : line.index("]")]
            sections[heading] = []
        else:
            sections[heading].append(line.split()[0])
    order = ["city", "bureaus", "districts", "zones", "media", "other", "fixture sites"]
    assert list(sections) == [h for h in order if h in sections]
    assert "zz_city" in sections["city"] and "mm_district" in sections["districts"]
    assert "aa_media" in sections["media"]
    assert {"demo_trs", "demo_portal", "demo_enorth"} <= set(sections["fixture sites"])
    assert all(sorted(slugs) == slugs for slugs in sections.values())


def test_a_broken_profile_is_reported_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad_one.toml").write_text('name = "x"\nallowed_domains = ["a.test"]\n', "utf-8")
    result = run_cli("sources", env={"TJCRAWL_SOURCES_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'bad_one.toml'}: start_urls:" in result.stderr
