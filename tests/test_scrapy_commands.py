"""`scrapy list` and `scrapy crawl SLUG -O items.jsonl` work from the project folder."""

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, REPO

from tjcrawl.fixture_server import serving, site_roots
from tjcrawl.fixtures import read_goldens
from tjcrawl.profiles import load_profiles


def scrapy(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=180,
        check=False,
        env=dict(os.environ),
    )


def test_scrapy_list_prints_every_source() -> None:
    result = scrapy("list")
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == set(load_profiles())
    assert {"demo_portal", "demo_trs", "demo_enorth"} <= set(result.stdout.split())


def test_scrapy_crawl_writes_utf8_json_lines(tmp_path: Path) -> None:
    profiles = load_profiles()
    with serving(site_roots(profiles.values(), FIXTURES)) as server:
        out = tmp_path / "x.jsonl"
        result = scrapy(
            "crawl",
            "demo_enorth",
            "-O",
            str(out),
            "-s",
            f"TJCRAWL_PROXY_MAP={json.dumps(server.proxy_map())}",
            "-s",
            f"TJCRAWL_DB={tmp_path / 'a.db'}",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=0",
        )
    assert result.returncode == 0, result.stderr[-2000:]
    raw = out.read_bytes()
    text = raw.decode("utf-8")
    assert "\\u" not in text and "天津" in text
    items = [json.loads(line) for line in text.splitlines()]
    assert {i["url"] for i in items} == {g["url"] for g in read_goldens("demo_enorth")}
    assert all(i["title"] and i["body"] and "body_html" not in i for i in items)
