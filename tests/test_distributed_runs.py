"""A distributed run is finished and judged at its end like a single-process run: one
crawl_runs row per source, its figures, its finish reason, the exit status of `tjcrawl
crawl`'s judgement (tests/redis_server.py's real Redis; tests/test_distributed.py's site)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import run_cli
from redis_server import RedisServer, redis_process, redis_server  # noqa: F401 - fixtures
from steady_server import HOST
from test_distributed import SOURCES_DIR, Cluster, ClusterSite

from tjcrawl.distributed.keys import JUDGED, OUTBOX, RUN_ID, VERDICT

TIMEOUT_S = 60


@pytest.mark.parametrize(("articles", "status"), [(60, 0), (0, 3)])
def test_a_distributed_run_is_finished_and_judged_when_it_is_over(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
    articles: int,
    status: int,
) -> None:
    client = redis_server.client()
    client.flushdb()
    db = tmp_path / "archive.db"
    logs = tmp_path / "logs"
    logs.mkdir()
    with ClusterSite(articles) as site:
        cluster = Cluster(redis_server.url, site, db, logs)
        # Stats sent in many small parts: their sums must still be exact.
        settings = json.loads(cluster.env["TJCRAWL_SETTINGS"])
        cluster.env["TJCRAWL_SETTINGS"] = json.dumps({**settings, "TJCRAWL_STATS_SECONDS": 0.1})
        try:
            writer = cluster._spawn(
                "writer", "--redis", redis_server.url, "--db", str(db), "--until-done"
            )
            plain = cluster.start_worker()
            # A worker that waits for the writer's verdict, and exits with its status.
            waiting = cluster._spawn(
                "crawl", "cluster_site", "--redis", redis_server.url, "--wait", "60",
                *site.proxy_args(HOST),
            )  # fmt: skip
            assert plain.wait(timeout=TIMEOUT_S) == 0, cluster.log_tail()
            assert writer.wait(timeout=TIMEOUT_S) == status, cluster.log_tail()
            assert waiting.wait(timeout=TIMEOUT_S) == status, cluster.log_tail()
        finally:
            cluster.stop_all()
            if writer.poll() is None:
                writer.kill()
    output = cluster.log_tail()
    run_id = client.get(RUN_ID).decode()
    assert client.get(JUDGED).decode() == run_id
    verdict = json.loads(client.get(VERDICT))
    assert verdict["run_id"] == run_id and verdict["status"] == status
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT run_id, source, finish_reason, finished_at IS NOT NULL, items_new,"
            " listing_pages, requests FROM crawl_runs"
        ).fetchall()
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert len(rows) == 1, rows  # one row for the source, whatever the number of workers
    run, source, reason, finished, new, listings, requests = rows[0]
    assert (run, source, reason, finished) == (run_id, "cluster_site", "finished", 1)
    assert new == stored == articles
    # The workers' stats, summed: every listing page once, robots.txt and the articles.
    assert listings == max(1, -(-articles // 50)), output
    assert requests == listings + articles + 1, output
    if status:
        assert "cluster_site: field listing.entries matched nothing" in output
        assert any("listing.entries matched nothing" in line for line in verdict["lines"])
    else:
        assert "run " + run_id + " is over" in output and "error:" not in output
    assert f"run {run_id} is over; the writer's report:" in output  # the waiting worker's
    if articles:  # a crawl of a few seconds: its stats came in more parts than workers
        sent = re.search(r"(\d+) stats", output)
        assert sent is not None and int(sent.group(1)) > 2, output


def _archive_rows(db: Path) -> tuple[list[tuple], list[tuple]]:
    with sqlite3.connect(db) as conn:
        articles = conn.execute(
            "SELECT url, source, content_hash, published_at FROM articles ORDER BY url"
        ).fetchall()
        runs = conn.execute(
            "SELECT source, finish_reason, requests, pages_stored, items_new, listing_pages,"
            " listing_entries, items_failed FROM crawl_runs ORDER BY source"
        ).fetchall()
    return articles, runs


def test_the_demo_with_three_workers_gives_the_single_process_demos_archive(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    single, cluster = tmp_path / "single.db", tmp_path / "cluster.db"
    # Workers fetch no attachment files yet (tjcrawl.distributed.worker): the single-process
    # demo compared with them fetches none either.
    no_files = {"TJCRAWL_SETTINGS": json.dumps({"TJCRAWL_ATTACHMENTS": False})}
    one = run_cli("demo", "--db", str(single), "--quiet", env=no_files, timeout=120)
    assert one.returncode == 0, one.stderr[-2000:]
    three = run_cli(
        "demo", "--db", str(cluster), "--quiet", "--redis", redis_server.url, "--workers", "3",
        timeout=120,
    )  # fmt: skip
    assert three.returncode == 0, three.stderr[-2000:]
    assert "3 workers" in three.stdout
    articles, runs = _archive_rows(single)
    assert len(articles) > 40 and len(runs) == 3
    assert _archive_rows(cluster) == (articles, runs)
    # The same report lines as the single-process demo's, per source.
    summaries = sorted(line for line in one.stdout.splitlines() if " requests, " in line)
    assert sorted(line for line in three.stdout.splitlines() if " requests, " in line) == (
        summaries
    )


def test_a_worker_waiting_for_a_verdict_gives_up_in_time_with_an_error(
    redis_server: RedisServer,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tjcrawl.cli.distributed_commands import wait_for_verdict
    from tjcrawl.distributed.runs import record_verdict

    client = redis_server.client()
    client.flushdb()
    # No writer: not judged within the wait, an error and exit 3.
    assert wait_for_verdict(client, "run-a", 0.3) == 3
    assert "error: run run-a not judged after 0 s" in capsys.readouterr().err
    # The verdict of another run is not this one's.
    record_verdict(client, "run-b", ["demo: 1 requests"], 0)
    assert wait_for_verdict(client, "run-a", 0.3) == 3
    record_verdict(client, "run-a", ["demo: 5 requests", "error: demo: broken"], 3)
    assert wait_for_verdict(client, "run-a", 0.3) == 3
    out = capsys.readouterr()
    assert "demo: 5 requests" in out.out and "error: demo: broken" in out.err
    record_verdict(client, "run-a", ["demo: 5 requests"], 0)
    assert wait_for_verdict(client, "run-a", 0.3) == 0


def test_a_writer_stopped_before_its_verdict_judges_the_run_at_its_next_start(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    from tjcrawl.distributed.outbox import encode
    from tjcrawl.distributed.runs import finish_run, run_over
    from tjcrawl.distributed.writer import OutboxWriter
    from tjcrawl.profiles import parse_profile

    client = redis_server.client()
    client.flushdb()
    client.set(RUN_ID, "run-x")
    profiles = {"cluster_site": parse_profile(SOURCES_DIR / "cluster_site.toml")}
    db = tmp_path / "archive.db"
    stats = {"downloader/request_count": 4, "tjcrawl/listing_pages": 2}
    for part, reason in ((stats, None), (stats, "finished")):
        record = {"id": reason or "a", "type": "stats", "run_id": "run-x"}
        record.update(source="cluster_site", worker="w", reason=reason, stats=part)
        client.rpush(OUTBOX, encode(record))
    first = OutboxWriter(client, db, profiles)
    assert first.take_batch()
    assert run_over(client) == "run-x"
    finish_run(first.archive, db, "run-x", profiles)  # then stopped: no verdict
    first.close()
    assert client.get(JUDGED) is None
    told = []
    second = OutboxWriter(client, db, profiles)
    assert second.judge_run(lambda run, reports: told.append((run, reports)))
    second.close()
    [(run, [report])] = told
    assert run == "run-x" and report.stats["downloader/request_count"] == 8
    assert client.get(JUDGED) == b"run-x" and run_over(client) is None
    verdict = json.loads(client.get(VERDICT))
    assert verdict["status"] == 3 and "error: cluster_site: " in verdict["lines"][-1]
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT requests, listing_pages, finish_reason FROM crawl_runs")
        assert rows.fetchall() == [(8, 4, "finished")]
