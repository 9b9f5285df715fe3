"""The nightly crawl works from its first night: the command docs/nightly.md gives (the one the
systemd unit and the cron line run), on a fresh archive, crawls every enabled web source,
checked or not; each source's first crawl is its live check, kept in the archive; no file of
the repository is edited; sources are disabled in a local config outside the repository.

The real hostnames of several web sources are mapped to a loopback server holding their
fixture sites (`--proxy HOST=http://127.0.0.1:PORT`), and every other source is disabled in the
local config, so nothing leaves this machine.
"""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
import subprocess
from pathlib import Path

import click
import pytest
from conftest import FIXTURES, REPO, run_cli

from tjcrawl.cli.crawling import _pick
from tjcrawl.fixture_server import serving, site_roots
from tjcrawl.profiles import load_profiles
from tjcrawl.runner import LOOPBACK_FAST_SETTINGS

PROFILES = load_profiles()
WEB = sorted(slug for slug, p in PROFILES.items() if not p.fixture)
WITH_SITES = [slug for slug in WEB if (FIXTURES / slug / "site").is_dir()]
NIGHTLY_DOC = REPO / "docs" / "nightly.md"
SERVICE = REPO / "deploy" / "tjcrawl-nightly.service"
CRONTAB = REPO / "deploy" / "crontab.example"
NOW = "2026-03-02T02:35:00+08:00"


def nightly_command() -> list[str]:
    """The command of docs/nightly.md: the code line after its marker comment."""
    text = NIGHTLY_DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- the nightly command:.*?-->\n```sh\n(.+)\n```", text)
    assert match, "docs/nightly.md gives the nightly command after its marker"
    return shlex.split(match.group(1))


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def write_config(path: Path, disabled: list[str]) -> Path:
    path.write_text(f"disabled = {json.dumps(disabled, ensure_ascii=False)}\n", encoding="utf-8")
    return path


def test_the_units_run_the_command_of_docs_nightly_and_point_to_it() -> None:
    command = nightly_command()
    assert command[0].endswith("/tjcrawl") and command[1] == "crawl"
    assert command[2:4] == ["--db", command[3]] and len(command) == 4, "no source named"
    service = SERVICE.read_text(encoding="utf-8")
    assert f"ExecStart={shlex.join(command)}\n" in service
    assert f" && {shlex.join(command)} >>" in CRONTAB.read_text(encoding="utf-8")
    (documentation,) = re.findall(r"^Documentation=file://(\S+)$", service, re.M)
    # the unit names the file as installed under /opt/tjcrawl, the checkout's root
    assert documentation == "/opt/tjcrawl/docs/nightly.md" and NIGHTLY_DOC.is_file()


def test_the_first_night_crawls_every_enabled_source_and_records_its_live_check(
    tmp_path: Path,
) -> None:
    chosen = WITH_SITES[:5]
    assert len(chosen) == 5, "at least 5 web sources have fixture sites"
    profiles = [PROFILES[s] for s in chosen]
    config = write_config(tmp_path / "config.toml", [s for s in WEB if s not in chosen])
    db = tmp_path / "archive.db"
    command = nightly_command()
    args = [*command[1:3], str(db)]  # the archive's path is this test's
    env = {
        "TJCRAWL_CONFIG": str(config),
        "TJCRAWL_NOW": NOW,
        # The sites behind the proxy are this test's own: no polite delays.
        "TJCRAWL_SETTINGS": json.dumps(LOOPBACK_FAST_SETTINGS),
    }
    before = git_status()
    with serving(site_roots(profiles, FIXTURES)) as server:
        # Every web host goes to the loopback server, the disabled sources' too: a source the
        # config failed to disable would be a 404 here, never a request to the real site.
        hosts = sorted({h for s in WEB for h in PROFILES[s].hosts})
        proxies = [arg for h in hosts for arg in ("--proxy", f"{h}={server.proxy_url}")]
        first = run_cli(*args, *proxies, env=env, timeout=170)
        served = {host for host, _ in server.requests}
        second = run_cli(*args, *proxies, env=env, timeout=170)
    assert first.returncode == 0, first.stderr[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]
    assert git_status() == before, "a crawl edits no file of the repository"
    assert served <= {h for p in profiles for h in p.hosts}, served
    for slug in chosen:
        assert f"{slug}: verified by its first crawl (its live check): " in first.stdout, (
            first.stdout
        )
        assert "first crawl" not in second.stdout, "only the first crawl is a live check"
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        articles = dict(conn.execute("SELECT source, count(*) FROM articles GROUP BY source"))
        crawled = {r[0] for r in conn.execute("SELECT DISTINCT source FROM crawl_runs")}
        sources = {r["slug"]: r for r in conn.execute("SELECT * FROM sources")}
    finally:
        conn.close()
    assert set(articles) == set(chosen) and all(articles[s] > 0 for s in chosen), articles
    assert crawled == set(chosen), "a disabled source is not crawled"
    for slug in chosen:
        row = sources[slug]
        assert (row["state"], row["verified"]) == ("verified", NOW[:10]), dict(row)
        assert row["last_check_at"].startswith(NOW[:16]) and row["last_good_run_at"]
        assert "extracted" in row["state_reason"]


def test_a_source_whose_first_crawl_breaks_is_failing_in_one_line_and_the_night_exits_3(
    tmp_path: Path,
) -> None:
    good, broken = [s for s in WITH_SITES if PROFILES[s].listing.format == "html"][:2]
    folder = tmp_path / "sources"
    folder.mkdir()
    for slug in (good, broken):
        text = PROFILES[slug].path.read_text(encoding="utf-8")
        if slug == broken:
            text, n = re.subn(r"(?m)^entries = .*$", 'entries = "ul.no-such-list > li"', text)
            assert n == 1
        (folder / f"{slug}.toml").write_text(text, encoding="utf-8")
    db = tmp_path / "archive.db"
    command = nightly_command()
    others = [s for s in WEB if s not in (good, broken)]
    env = {
        # The copies override the bundled profiles of these two; the rest are disabled.
        "TJCRAWL_SOURCES_DIR": str(folder),
        "TJCRAWL_CONFIG": str(write_config(tmp_path / "config.toml", others)),
        "TJCRAWL_NOW": NOW,
        "TJCRAWL_SETTINGS": json.dumps(LOOPBACK_FAST_SETTINGS),
    }
    profiles = [PROFILES[good], PROFILES[broken]]
    with serving(site_roots(profiles, FIXTURES)) as server:
        hosts = sorted({h for s in WEB for h in PROFILES[s].hosts})
        proxies = [arg for h in hosts for arg in ("--proxy", f"{h}={server.proxy_url}")]
        result = run_cli(*command[1:3], str(db), *proxies, env=env, timeout=120)
        served = {host for host, _ in server.requests}
    assert result.returncode == 3, result.stderr[-3000:]
    why = "field listing.entries matched nothing on any listing page"
    assert f"error: {broken}: {why}" in result.stderr.splitlines()
    assert f"{broken}: failing by its first crawl (its live check): {why}" in result.stdout
    assert f"{good}: verified by its first crawl (its live check): " in result.stdout
    conn = sqlite3.connect(db)
    try:
        states = {
            r[0]: r[1:]
            for r in conn.execute("SELECT slug, state, state_reason, verified FROM sources")
        }
        articles = dict(conn.execute("SELECT source, count(*) FROM articles GROUP BY source"))
    finally:
        conn.close()
    assert served <= {h for p in profiles for h in p.hosts}, served
    assert set(states) == {good, broken}, "only the enabled sources are crawled"
    assert states[broken] == ("failing", why, "never")
    assert states[good][0] == "verified" and articles.get(good, 0) > 0
    shown = run_cli("sources", "--db", str(db), env=env).stdout.splitlines()
    assert next(x for x in shown if x.startswith(broken)).endswith(f" — {why}")


def test_with_no_source_named_every_enabled_web_source_is_picked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TJCRAWL_CONFIG", "")
    everything = _pick((), serve_fixtures=False)
    assert [p.slug for p in everything] == WEB, "unchecked sources are crawled too"
    monkeypatch.setenv("TJCRAWL_CONFIG", str(write_config(tmp_path / "c.toml", WEB[:2])))
    assert [p.slug for p in _pick((), serve_fixtures=False)] == WEB[2:]
    named = _pick((WEB[0],), serve_fixtures=False)
    assert [p.slug for p in named] == [WEB[0]], "a source named is crawled, disabled or not"
    monkeypatch.setenv("TJCRAWL_CONFIG", str(write_config(tmp_path / "all.toml", WEB)))
    with pytest.raises(click.UsageError, match="disables every web source"):
        _pick((), serve_fixtures=False)


def test_the_local_config_is_found_outside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tjcrawl.local_config import load_config

    monkeypatch.delenv("TJCRAWL_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "tjcrawl").mkdir()
    path = write_config(tmp_path / "tjcrawl" / "config.toml", ["eco_city"])
    assert load_config().path == path and load_config().disabled == ("eco_city",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("disabled = [eco_city]\n", "not valid TOML"),
        ('disable = ["eco_city"]\n', "unknown key disable"),
        ('disabled = "eco_city"\n', "disabled must be a list of source slugs"),
        (None, "TJCRAWL_CONFIG="),
    ],
)
def test_a_bad_config_is_one_line(tmp_path: Path, text: str | None, message: str) -> None:
    config = tmp_path / "config.toml"
    if text is not None:
        config.write_text(text, encoding="utf-8")
    db = tmp_path / "a.db"
    result = run_cli("crawl", "--db", str(db), env={"TJCRAWL_CONFIG": str(config)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert not db.exists(), "nothing is done"


def test_a_disabled_slug_that_names_no_source_is_a_warning(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", [*WEB, "no_such_source"])
    result = run_cli("crawl", "--db", str(tmp_path / "a.db"), env={"TJCRAWL_CONFIG": str(config)})
    assert "disabled names no source no_such_source (ignored)" in result.stderr
    assert "disables every web source" in result.stderr and result.returncode == 2


def test_nothing_in_the_package_writes_a_profile() -> None:
    """A live check used to write `verified = DATE` into the tracked profile."""
    package = REPO / "tjcrawl"
    writers = [
        str(p.relative_to(REPO))
        for p in package.rglob("*.py")
        if re.search(r"record_verified|with_verified", p.read_text(encoding="utf-8"))
    ]
    assert not writers
