"""Scrapyd end to end: `scrapyd-deploy` with the shipped scrapy.cfg to a real Scrapyd on
127.0.0.1, jobs scheduled on fixture sources, their articles in the archive.

Scrapyd lists every job that ended as "finished", whatever its exit status; a job that failed
says so in its own log and in Scrapyd's (`Process died: exitstatus=N`).
"""

from __future__ import annotations

import configparser
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, count

from tjcrawl.fixtures import read_goldens
from tjcrawl.profiles import load_profiles
from tjcrawl.storage.lock import RunLock

PROJECT_FILES = ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md")
JOB_TIMEOUT_S = 90


@dataclass
class Scrapyd:
    url: str
    folder: Path
    log: Path
    deploy: subprocess.CompletedProcess[str]

    def call(self, endpoint: str, **data: str | list[str]) -> dict:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data else None
        with urllib.request.urlopen(self.url + endpoint, body, timeout=10) as response:
            return json.loads(response.read())

    def schedule(self, spider: str, db: Path, *settings: str) -> str:
        answer = self.call(
            "schedule.json",
            project="tjcrawl",
            spider=spider,
            setting=[f"TJCRAWL_DB={db}", f"TJCRAWL_FIXTURES_DIR={FIXTURES}", *settings],
        )
        assert answer["status"] == "ok", answer
        return answer["jobid"]

    def wait_finished(self, *jobs: str) -> None:
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while time.monotonic() < deadline:
            finished = {j["id"] for j in self.call("listjobs.json?project=tjcrawl")["finished"]}
            if set(jobs) <= finished:
                return
            time.sleep(0.3)
        raise AssertionError(f"jobs {jobs} not finished in {JOB_TIMEOUT_S} s")

    def job_log(self, spider: str, job: str) -> str:
        path = self.folder / "logs" / "tjcrawl" / spider / f"{job}.log"
        return path.read_text("utf-8") if path.exists() else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def project_copy(target: Path, port: int) -> Path:
    """The checkout's project, deployed from a copy: scrapyd-deploy builds in place (build/,
    egg-info). Only the port of the shipped deploy target changes."""
    shutil.copytree(
        REPO / "tjcrawl", target / "tjcrawl", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in PROJECT_FILES:
        shutil.copy(REPO / name, target / name)
    cfg = target / "scrapy.cfg"
    shipped = cfg.read_text("utf-8")
    assert "url = http://127.0.0.1:6800/" in shipped
    cfg.write_text(shipped.replace(":6800/", f":{port}/"), "utf-8")
    return target


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    folder = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    conf = configparser.ConfigParser()
    conf["scrapyd"] = {
        "bind_address": "127.0.0.1",
        "http_port": str(port),
        "poll_interval": "0.2",
        "eggs_dir": str(folder / "eggs"),
        "logs_dir": str(folder / "logs"),
        "dbs_dir": str(folder / "dbs"),
    }
    with (folder / "scrapyd.conf").open("w") as handle:
        conf.write(handle)
    log = folder / "scrapyd.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"], cwd=folder, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        server = Scrapyd(f"http://127.0.0.1:{port}/", folder, log, None)  # type: ignore[arg-type]
        deadline = time.monotonic() + 30
        while True:
            try:
                assert server.call("daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("Scrapyd did not start: " + log.read_text()) from None
                time.sleep(0.2)
        project = project_copy(tmp_path_factory.mktemp("project"), port)
        server.deploy = subprocess.run(
            [sys.executable, "-m", "scrapyd_client.deploy"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_scrapyd_deploy_lists_every_source(scrapyd: Scrapyd) -> None:
    assert scrapyd.deploy.returncode == 0, scrapyd.deploy.stderr + scrapyd.deploy.stdout
    assert json.loads(scrapyd.deploy.stdout)["spiders"] == len(load_profiles())
    spiders = scrapyd.call("listspiders.json?project=tjcrawl")["spiders"]
    assert sorted(spiders) == sorted(load_profiles())


def test_two_jobs_on_one_archive_take_turns(scrapyd: Scrapyd, tmp_path: Path) -> None:
    """Scheduled at once while another run holds the archive: both wait, then one runs after
    the other, and both finish with a judged run and the post-crawl work done."""
    assert scrapyd.deploy.returncode == 0, scrapyd.deploy.stderr
    db = tmp_path / "archive.db"
    lock = RunLock.acquire(db)
    try:
        jobs = [scrapyd.schedule("demo_trs", db), scrapyd.schedule("demo_trs", db)]
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while not all("waiting up to 1800 s" in scrapyd.job_log("demo_trs", j) for j in jobs):
            assert time.monotonic() < deadline, "the jobs did not wait for the archive"
            time.sleep(0.3)
    finally:
        lock.release()
    scrapyd.wait_finished(*jobs)
    logs = [scrapyd.job_log("demo_trs", job) for job in jobs]
    for text in logs:
        assert "Traceback" not in text and "ERROR" not in text, text[-3000:]
        assert "Spider closed (finished)" in text
        assert "re-posts:" in text  # the post-crawl work of `tjcrawl crawl`
    # 19 pages and the 3 files demo_trs links (attachments are fetched by default)
    assert any("demo_trs: 22 requests, 14 new" in text for text in logs)
    with sqlite3.connect(db) as conn:
        runs = conn.execute(
            "SELECT started_at, finished_at, finish_reason FROM crawl_runs ORDER BY started_at"
        ).fetchall()
    assert [reason for _, _, reason in runs] == ["finished", "finished"]
    assert runs[0][1] <= runs[1][0]  # one after the other
    assert count(db, "SELECT count(*) FROM articles") == len(read_goldens("demo_trs"))
    assert "Process died" not in scrapyd.log.read_text("utf-8")


def test_a_job_that_cannot_get_the_archive_fails_in_one_line(
    scrapyd: Scrapyd, tmp_path: Path
) -> None:
    assert scrapyd.deploy.returncode == 0, scrapyd.deploy.stderr
    db = tmp_path / "archive.db"
    lock = RunLock.acquire(db)  # another run, for as long as the job is willing to wait
    try:
        job = scrapyd.schedule("demo_enorth", db, "TJCRAWL_LOCK_WAIT=1")
        scrapyd.wait_finished(job)
    finally:
        lock.release()
    text = scrapyd.job_log("demo_enorth", job)
    assert "Traceback" not in text
    (error,) = [line for line in text.splitlines() if "ERROR" in line]
    assert "gave up after 1 s (TJCRAWL_LOCK_WAIT)" in error
    assert "Spider closed (archive_locked)" in text
    deadline = time.monotonic() + 10  # Scrapyd logs the exit right after listing the job
    while f"Process died: exitstatus=4 project='tjcrawl' spider='demo_enorth' job='{job}'" not in (
        scrapyd.log.read_text("utf-8")
    ):
        assert time.monotonic() < deadline, scrapyd.log.read_text("utf-8")[-3000:]
        time.sleep(0.2)
    assert not db.exists() or count(db, "SELECT count(*) FROM crawl_runs") == 0


def run_probe(tmp_path: Path, probe: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -c probe args…` with nothing of this environment (no venv, no PYTHONPATH)."""
    return subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    )


def zipped_package(tmp_path: Path) -> Path:
    """The checkout's tjcrawl package as one zip, as inside a Scrapyd egg."""
    archive = tmp_path / "tjcrawl.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in (REPO / "tjcrawl").rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                zipped.write(path, path.relative_to(REPO).as_posix())
    return archive


def test_profiles_load_from_a_zipped_package(tmp_path: Path) -> None:
    """As inside a Scrapyd egg: no folder on disk, only the zip."""
    archive = zipped_package(tmp_path)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import tjcrawl.profiles as p; assert p.__file__.startswith(sys.argv[1]), p.__file__;"
        "print(' '.join(p.load_profiles()))"
    )
    result = run_probe(tmp_path, probe, str(archive))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == sorted(load_profiles())


def test_facts_are_found_alike_from_a_zipped_package(tmp_path: Path) -> None:
    """Inside a Scrapyd egg the finder's term lists are no files on disk: read from the zip,
    they must give the same facts and the same finder version as an installed package."""
    archive = zipped_package(tmp_path)
    text = "天津港保税区签约航空航天项目12个，总投资47亿元，渤龙湖科技园落地一批集成电路企业。"
    probe = (
        "import sys, json; sys.path.insert(0, sys.argv[1]);"
        "import tjcrawl.extract.facts as f; assert f.__file__.startswith(sys.argv[1]);"
        "from tjcrawl.storage.facts import extractor_version, resolve_place;"
        "print(json.dumps([extractor_version(), resolve_place('东丽湖'),"
        " [(x.kind, x.value) for x in f.extract_facts(sys.argv[2], '')]]))"
    )
    result = run_probe(tmp_path, probe, str(archive), text)
    assert result.returncode == 0, result.stderr[-2000:]
    from tjcrawl.extract.facts import extract_facts
    from tjcrawl.storage.facts import extractor_version, resolve_place

    facts = [[fact.kind, fact.value] for fact in extract_facts(text, "")]
    assert {kind for kind, _ in facts} >= {"money", "place", "industry"}
    assert json.loads(result.stdout) == [
        extractor_version(),
        list(resolve_place("东丽湖")),
        facts,
    ]
