"""`tjcrawl crawl --redis URL` (a worker) and `tjcrawl writer`: crawling from several
machines into one archive (docs/distributed.md)."""

from __future__ import annotations

import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from tjcrawl.cli.common import DB_OPTION, EXIT_CRAWL_PROBLEM, EXIT_LOCKED, _profiles
from tjcrawl.cli.crawling import _report
from tjcrawl.profiles import Profile

#: A Redis URL that is malformed or names no reachable server: a usage error, as click's.
EXIT_BAD_REDIS = 2


def redis_client(url: str) -> Any:
    """A connected client, or a one-line error naming --redis (exit status 2)."""
    from tjcrawl.distributed.keys import RedisUnavailable, connect

    try:
        return connect(url)
    except RedisUnavailable as exc:
        click.echo(f"Error: --redis: {exc}", err=True)
        sys.exit(EXIT_BAD_REDIS)


def crawl_worker(
    profiles: list[Profile],
    redis_url: str,
    *,
    new_run: bool,
    proxies: dict[str, str],
    log_level: str,
    log_file: Path | None,
    overrides: dict[str, Any],
    wait_s: float | None = None,
) -> int:
    """Run one worker of the distributed crawl until the shared frontier is empty; with
    `wait_s`, then wait that long at most for the writer's verdict on the run."""
    from tjcrawl.distributed.keys import clear_crawl
    from tjcrawl.distributed.worker import run_worker, shared_run_id, worker_id, worker_settings
    from tjcrawl.runner import build_settings

    server = redis_client(redis_url)
    if new_run:
        cleared = clear_crawl(server)
        click.echo(f"new run: {cleared} keys of the previous distributed crawl deleted", err=True)
    run_id = shared_run_id(server)
    if log_file:
        overrides = {**overrides, "LOG_FILE": str(log_file)}
    base = build_settings(
        "archive.db",  # never opened: a worker's writes go to Redis
        proxy_map=proxies,
        run_id=run_id,
        log_level=log_level,
        overrides=overrides,
    )
    settings = worker_settings(base, redis_url, run_id, worker_id())
    status = 0
    for slug, stats in run_worker(profiles, settings):
        reason = stats.get("finish_reason")
        click.echo(
            f"{slug}: {stats.get('downloader/request_count', 0)} requests,"
            f" {stats.get('tjcrawl/outbox/page', 0)} pages and"
            f" {stats.get('tjcrawl/outbox/item', 0)} articles sent to the writer"
            f" (run {run_id}, {reason})"
        )
        if reason != "finished":
            click.echo(f"error: {slug}: worker ended early ({reason})", err=True)
            status = EXIT_CRAWL_PROBLEM
        if failed := stats.get("tjcrawl/outbox_failed"):
            click.echo(
                f"error: {slug}: {failed} records could not be sent to the writer;"
                " their requests return to the queue when this worker's lease expires",
                err=True,
            )
            status = EXIT_CRAWL_PROBLEM
    if wait_s is not None:
        status = max(status, wait_for_verdict(server, run_id, wait_s))
    return status


def wait_for_verdict(server: Any, run_id: str, wait_s: float) -> int:
    """The writer's report on the run, printed once it has judged it; its exit status."""
    import json
    import time

    from tjcrawl.distributed.keys import JUDGED, VERDICT

    deadline = time.monotonic() + wait_s
    while True:
        judged = server.get(JUDGED)
        if judged is not None and judged.decode() == run_id:
            verdict = json.loads(server.get(VERDICT) or b"{}")
            if verdict.get("run_id") == run_id:
                click.echo(f"run {run_id} is over; the writer's report:")
                for line in verdict.get("lines", []):
                    click.echo(line, err=line.startswith("error:"))
                return int(verdict.get("status", EXIT_CRAWL_PROBLEM))
        if time.monotonic() >= deadline:
            click.echo(
                f"error: run {run_id} not judged after {wait_s:.0f} s: workers still crawl, or"
                " no `tjcrawl writer` stores this Redis's outbox",
                err=True,
            )
            return EXIT_CRAWL_PROBLEM
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


@click.command()
@click.option("--redis", "redis_url", required=True, metavar="URL", help="redis://HOST:PORT/DB")
@DB_OPTION
@click.option(
    "--idle-exit",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Stop once nothing arrived for this long (default: run until stopped).",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Records stored per SQLite transaction.",
)
@click.option(
    "--until-done",
    is_flag=True,
    help="Exit once the current run is over (frontier empty, no leases, outbox drained) and"
    " judged, with `tjcrawl crawl`'s exit status.",
)
def writer(
    redis_url: str, db_path: Path, idle_exit: float | None, batch: int, until_done: bool
) -> None:
    """Store what crawl workers send through Redis in the archive: the one writer of a
    distributed crawl (docs/distributed.md). Killed at any moment, it loses nothing and
    stores nothing twice: what it had taken is taken up again at its next start.

    When a run is over (no worker crawls, nothing queued or leased, the outbox empty), its
    crawl_runs rows are finished and each source judged as by `tjcrawl crawl`: the summary
    and error lines are printed and kept in Redis for `tjcrawl crawl --redis URL --wait`.

    \b
    Examples:
      tjcrawl writer --redis redis://10.0.0.5:6379/0 --db /srv/tj/archive.db
      tjcrawl writer --redis redis://127.0.0.1:6379/0 --db archive.db --until-done
    """
    from tjcrawl.distributed.writer import OutboxWriter
    from tjcrawl.storage.archive import ArchiveError
    from tjcrawl.storage.lock import ArchiveLocked, LockUnavailable

    server = redis_client(redis_url)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        from tjcrawl.cli.crawling import _settings_from_env
        from tjcrawl.frontier import DEFAULT_SWEEP_DAYS, DEFAULT_VERIFY_304

        settings = _settings_from_env()
        out = OutboxWriter(
            server,
            db_path,
            _profiles(),
            batch_size=batch,
            sweep_days=int(settings.get("TJCRAWL_SWEEP_DAYS", DEFAULT_SWEEP_DAYS)),
            verify_304=int(settings.get("TJCRAWL_VERIFY_304", DEFAULT_VERIFY_304)),
        )
    except ArchiveLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    except (ArchiveError, LockUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    statuses: list[int] = []

    def run_over(run_id: str, reports: list[Any]) -> None:
        statuses.append(report_run(server, run_id, reports))

    try:
        out.run(
            idle_exit,
            should_stop=lambda: bool(stopping),
            on_run_over=run_over,
            until_run_over=until_done,
        )
    except sqlite3.Error as exc:
        raise click.ClickException(
            f"{db_path}: {exc}; the batch stays in Redis for the next start"
        ) from None
    except KeyboardInterrupt:
        pass
    finally:
        out.close()
    click.echo(out.figures.line())
    if until_done and not statuses:
        click.echo("error: stopped before the run was over; nothing judged", err=True)
        sys.exit(EXIT_CRAWL_PROBLEM)
    # Always on, the writer's own exit says how it went; each run's status is in its report.
    sys.exit(statuses[-1] if until_done and statuses else 0)


def report_run(server: Any, run_id: str, reports: list[Any]) -> int:
    """Print a finished distributed run's report as `tjcrawl crawl` does (the writer kept it
    in Redis for the workers' `--wait` already); the run's exit status."""
    click.echo(f"run {run_id} is over:")
    status = _report(reports)
    return status


def demo_workers(
    profiles: list[Profile], db_path: Path, redis_url: str, workers: int, quiet: bool
) -> list[Any]:
    """`tjcrawl demo --redis URL --workers N`: the fixture sites served here, N worker
    processes and this process as the writer; the run's reports once it is over."""
    import json
    import os
    import subprocess

    from tjcrawl.cli.crawling import _fixture_date_bases, _settings_from_env
    from tjcrawl.distributed.keys import OUTBOX, PROCESSING, clear_crawl
    from tjcrawl.distributed.worker import shared_run_id
    from tjcrawl.distributed.writer import OutboxWriter
    from tjcrawl.fixture_server import default_fixtures_dir, serving, site_roots
    from tjcrawl.pipelines.normalise import DATE_BASES_SETTING
    from tjcrawl.runner import LOOPBACK_FAST_SETTINGS
    from tjcrawl.storage.archive import ArchiveError
    from tjcrawl.storage.lock import ArchiveLocked, LockUnavailable

    # Attachments asked for explicitly, as the single-process demo does: the same crawl.
    settings = {**LOOPBACK_FAST_SETTINGS, "TJCRAWL_ATTACHMENTS": True, **_settings_from_env()}
    fixtures_dir = default_fixtures_dir()
    settings.setdefault(DATE_BASES_SETTING, _fixture_date_bases(profiles, fixtures_dir))
    server = redis_client(redis_url)
    try:
        out = OutboxWriter(server, db_path, {p.slug: p for p in profiles})
    except ArchiveLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    except (ArchiveError, LockUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    clear_crawl(server)  # a run of its own: the previous run's frontier would hold it back
    run_id = shared_run_id(server)
    env = {**os.environ, "TJCRAWL_SETTINGS": json.dumps(settings, ensure_ascii=False)}
    reports: list[Any] = []
    with serving(site_roots(profiles, fixtures_dir)) as site:
        proxies = [
            a for host, url in site.proxy_map().items() for a in ("--proxy", f"{host}={url}")
        ]
        command = [sys.executable, "-m", "tjcrawl.cli", "crawl", *(p.slug for p in profiles)]
        command += ["--redis", redis_url, *proxies, "--log-level", "ERROR" if quiet else "WARNING"]
        processes = [
            subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL if quiet else None)
            for _ in range(workers)
        ]

        def should_stop() -> bool:
            # Workers that failed leave requests leased: once what they sent is stored, the
            # run cannot be over, and the demo ends with an error instead of waiting.
            codes = [p.poll() for p in processes]
            if None in codes or not any(codes):
                return False
            return not server.llen(OUTBOX) and not server.llen(PROCESSING)

        try:
            out.run(
                should_stop=should_stop,
                on_run_over=lambda _run, found: reports.extend(found),
                until_run_over=True,
            )
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
                process.wait(timeout=30)
            out.close()
    if not reports:
        failed = sum(1 for p in processes if p.returncode)
        raise click.ClickException(
            f"run {run_id}: {failed} of {workers} workers failed before the run was over"
        )
    click.echo(f"run {run_id}: {workers} workers, {out.figures.line()}")
    return reports
