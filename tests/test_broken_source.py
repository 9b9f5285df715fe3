"""A site whose layout changed: the crawl fails loudly, names source and field, stores no junk."""

import shutil
import sqlite3
from pathlib import Path

from conftest import FIXTURES, REPO, count, run_cli


def test_a_body_selector_matching_nothing_fails_the_crawl(tmp_path: Path) -> None:
    sources, fixtures = tmp_path / "sources", tmp_path / "fixtures"
    sources.mkdir()
    profile = (REPO / "tjcrawl" / "sources" / "demo_trs.toml").read_text("utf-8")
    lines = profile.splitlines()
    detail = lines.index("[detail]")
    body = next(i for i in range(detail, len(lines)) if lines[i].startswith("body ="))
    lines[body] = 'body = "div.layout-that-no-longer-exists"'
    (sources / "broken_trs.toml").write_text("\n".join(lines) + "\n", "utf-8")
    shutil.copytree(FIXTURES / "demo_trs", fixtures / "broken_trs")
    db = tmp_path / "a.db"
    env = {"TJCRAWL_SOURCES_DIR": str(sources), "TJCRAWL_FIXTURES_DIR": str(fixtures)}
    result = run_cli("crawl", "broken_trs", "--serve-fixtures", "--db", str(db), env=env)
    assert result.returncode == 3, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors and "broken_trs" in errors[0] and "detail.body" in errors[0]
    assert "Traceback" not in result.stderr
    assert count(db, "SELECT count(*) FROM articles") == 0
    assert count(db, "SELECT count(*) FROM pages WHERE kind = 'detail'") > 0, (
        "failed pages are kept"
    )
    with sqlite3.connect(db) as conn:
        failed, new = conn.execute("SELECT items_failed, items_new FROM crawl_runs").fetchone()
    assert failed > 0 and new == 0

    # The failed pages become a fixture site; with the profile fixed they extract again.
    captured = tmp_path / "captured"
    saved = run_cli("failures", "broken_trs", "--save-fixtures", str(captured), "--db", str(db))
    assert saved.returncode == 0, saved.stderr
    assert (captured / "broken_trs" / "site" / "sy" / "tjxw" / "index.html").is_file()
    (sources / "broken_trs.toml").write_text(profile, "utf-8")
    regenerated = run_cli(
        "goldens",
        "broken_trs",
        env={"TJCRAWL_SOURCES_DIR": str(sources), "TJCRAWL_FIXTURES_DIR": str(captured)},
    )
    assert regenerated.returncode == 0, regenerated.stderr
    assert f"broken_trs: {failed} items" in regenerated.stdout
