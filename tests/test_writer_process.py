"""A crawl's archive writer in a process of its own (tjcrawl.storage.writer_process): ops run
there by name, each transaction's counts come back before any later result, its death is a
fatal lost write, and it never outlives the crawl holding the archive."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tjcrawl.storage.archive import Archive, WriteLedger
from tjcrawl.storage.lock import RunLock
from tjcrawl.storage.writer_process import WRITER_DIED

BOUND = 10.0  # seconds any wait here may take


class Probe:
    """A session: what a crawl's writes would need, made in the writer process."""

    def __init__(self, archive: Archive, *, stats: Any, on_settle: Any, tag: str) -> None:
        self.archive, self.stats, self.tag = archive, stats, tag
        self.ledger = WriteLedger(
            on_settle=lambda settled, committed: on_settle(
                settled, committed, None if committed else self.ledger.errors[-1]
            )
        )

    def where(self) -> int:
        return os.getpid()

    def write(self, n: int) -> None:
        self.archive.tally(self.ledger, "faults")
        self.archive.record_fault(
            run_id="r",
            source=self.tag,
            url=f"http://gov.test/{n}",
            kind="k",
            status=None,
            detail="",
        )

    def note(self) -> None:
        self.stats.inc_value("probe/noted", 2)
        logging.getLogger("tjcrawl.test_probe").warning("noted by %s", self.tag)

    def commit(self) -> None:
        self.archive.try_commit()


def open_probe(archive: Archive, events: list) -> Any:
    class Stats:
        def inc_value(self, key: str, count: int = 1) -> None:
            events.append(("stat", key, count))

    def on_settle(settled: Counter[str], committed: bool, cause: Any) -> None:
        events.append(("settled", dict(settled), committed, cause))

    return archive.open_session(Probe, {"tag": "probe"}, on_settle, Stats())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has not let go of anything either
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_ops_run_in_the_writer_process_and_their_counts_come_back_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    archive = Archive.acquire(tmp_path / "a.db", commit_every=1000, commit_seconds=3600)
    try:
        archive.start_writer(process=True)
        assert archive.writes_elsewhere
        events: list = []
        session = open_probe(archive, events)
        child = archive.call(session.where)
        assert child not in (os.getpid(), 0) and alive(child)
        for n in range(5):
            archive.submit(session.write, n)
        archive.submit(session.note)
        with caplog.at_level(logging.WARNING):
            archive.call(session.commit)
        # The settled counts and the stats were applied before the call returned.
        assert ("stat", "probe/noted", 2) in events
        assert ("settled", {"faults": 5}, True, None) in events
        assert "noted by probe" in caplog.text  # the child's log, through the crawl's
        # Committed: this process reads it on its own connection.
        assert archive.conn.execute("SELECT count(*) FROM faults").fetchone() == (5,)
    finally:
        archive.release()
    assert not alive(child)


def test_a_writer_process_that_dies_is_a_fatal_lost_write(tmp_path: Path) -> None:
    archive = Archive.acquire(tmp_path / "a.db", commit_every=1000, commit_seconds=3600)
    try:
        archive.start_writer(process=True)
        events: list = []
        session = open_probe(archive, events)
        child = archive.call(session.where)
        archive.submit(session.write, 1)
        archive.flush()
        os.kill(child, signal.SIGKILL)
        with pytest.raises(sqlite3.OperationalError) as raised:
            archive.call(session.where)
        assert raised.value.sqlite_errorname == WRITER_DIED  # type: ignore[attr-defined]
        assert [e[2] for e in events if e[0] == "settled"] == [False]
        archive.submit(session.write, 2)  # after its death: refused, never blocks
        archive.flush()
    finally:
        archive.release()
    with sqlite3.connect(tmp_path / "a.db") as conn:  # nothing of the lost transaction
        assert conn.execute("SELECT count(*) FROM faults").fetchone() == (0,)


CRAWL = """
import sys, time
from tjcrawl.storage.archive import Archive
from tests.test_writer_process import Probe
archive = Archive.acquire(sys.argv[1], commit_every=1000, commit_seconds=3600)
archive.start_writer(process=True)
session = archive.open_session(Probe, {"tag": "killed"}, lambda *a: None, None)
archive.submit(session.write, 1)
print(archive.call(session.where), flush=True)
time.sleep(60)
"""


def test_the_writer_process_ends_with_its_crawl_and_leaves_the_archive_unlocked(
    tmp_path: Path,
) -> None:
    db = tmp_path / "a.db"
    repo = Path(__file__).resolve().parent.parent
    crawl = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CRAWL), str(db)],
        cwd=repo,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = crawl.stdout.readline()  # type: ignore[union-attr]
        child = int(line)
        crawl.send_signal(signal.SIGKILL)
        crawl.wait(timeout=BOUND)
        deadline = time.monotonic() + BOUND
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not alive(child)
    finally:
        if crawl.poll() is None:
            crawl.kill()
    RunLock.acquire(db).release()  # nobody holds the archive
    with sqlite3.connect(db) as conn:  # its open transaction was not committed, not half-written
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM faults").fetchone() == (0,)


def test_a_crawl_whose_writer_died_counts_its_items_lost_and_stops() -> None:
    from scrapy.utils.test import get_crawler

    from tjcrawl.pipelines.archive import ArchivePipeline
    from tjcrawl.storage.writer_process import writer_died

    stopped: list[str] = []
    pipeline = ArchivePipeline(get_crawler())
    pipeline._stop_crawl = lambda: stopped.append("with items")  # type: ignore[method-assign]
    pipeline._on_settle(Counter({"items": 3}), False, writer_died("ended unexpectedly"))
    assert pipeline.ledger.failed["items"] == 3
    assert pipeline._count_failures() == 3
    nothing = ArchivePipeline(get_crawler())
    nothing._stop_crawl = lambda: stopped.append("none")  # type: ignore[method-assign]
    nothing._on_settle(Counter(), False, writer_died("ended unexpectedly"))  # none counted yet
    assert nothing.ledger.errors
    assert stopped == ["with items", "none"]


def test_counts_that_cannot_be_applied_are_counted_against_their_session(
    tmp_path: Path,
) -> None:
    # A bug in what applies the child's messages must not lose them silently: the crawl
    # counts them as lost writes (its run is then not `finished`).
    class BrokenStats:
        def inc_value(self, key: str, count: int = 1) -> None:
            raise RuntimeError("a broken stats collector")

    archive = Archive.acquire(tmp_path / "a.db", commit_every=1000, commit_seconds=3600)
    try:
        archive.start_writer(process=True)
        session = archive.open_session(
            Probe, {"tag": "probe"}, lambda *settled: None, BrokenStats()
        )
        assert archive.unapplied_events(session) == 0
        archive.submit(session.note)
        archive.call(session.commit)  # the receiver went on after the failure
        assert archive.unapplied_events(session) == 1
        archive.submit(session.write, 1)
        archive.call(session.commit)
        assert archive.conn.execute("SELECT count(*) FROM faults").fetchone() == (1,)
    finally:
        archive.release()
