"""A site whose layout changed: the generic extractor keeps every article, and the crawl still
fails loudly, naming source and field, until someone fixes the selector."""

import json
import shutil
import sqlite3
from pathlib import Path

from conftest import FIXTURES, REPO, run_cli

from bench.extraction import page_tp_fp_fn
from tjcrawl.fixtures import read_goldens


def body_f1(true: str, found: str) -> float:
    tp, fp, fn = page_tp_fp_fn(true, found)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def test_a_body_selector_matching_nothing_keeps_the_articles_and_fails_the_crawl(
    tmp_path: Path,
) -> None:
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
    goldens = {row["url"]: row for row in read_goldens("demo_trs")}
    assert errors and "broken_trs: field detail.body matched nothing on" in errors[0], errors
    assert f"on {len(goldens)} of {len(goldens)} pages" in errors[0]
    assert "generic extractor filled it" in errors[0]
    assert "Traceback" not in result.stderr

    # Nothing lost: every golden article is archived, its body from the generic extractor.
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT url, title, published_at, body, field_sources FROM articles"
        ).fetchall()
        failed, new, fields = conn.execute(
            "SELECT items_failed, items_new, field_failures FROM crawl_runs"
        ).fetchone()
        missed = conn.execute("SELECT count(*) FROM faults WHERE kind = 'selector_missed'")
        assert missed.fetchone()[0] == len(goldens)
    assert {url for url, *_ in rows} == set(goldens)
    for url, title, published_at, body_text, field_sources in rows:
        sources_of = json.loads(field_sources)
        assert sources_of["body"] == "generic", url
        assert sources_of["title"] == sources_of["date"] == "profile", url
        assert title == goldens[url]["title"]
        assert published_at == goldens[url]["published_at"]
        assert body_f1(goldens[url]["body"], body_text) >= 0.95, url
    assert failed == 0 and new == len(goldens)
    assert json.loads(fields)["generic"] == {"body": len(goldens)}

    # `health` fails the source for the broken selector, though its coverage is whole.
    health = run_cli("health", "--db", str(db), env=env)
    assert health.returncode == 3, health.stdout + health.stderr
    line = next(line for line in health.stdout.splitlines() if line.startswith("broken_trs"))
    assert "failing" in line and "detail.body matched nothing" in line, line

    # The pages the selector missed become a fixture site; with the profile fixed they
    # extract through the profile again.
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
    assert f"broken_trs: {len(goldens)} items" in regenerated.stdout
