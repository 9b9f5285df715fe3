"""The archive's writer thread: writes handed over in batches, in order, none left behind."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tjcrawl.storage.archive import Archive, WriteLedger, write_error_text


def _writer_archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "a.db")
    archive.start_writer()
    return archive


def test_writes_wait_for_a_full_batch_then_run_in_order_on_the_writer(tmp_path: Path) -> None:
    archive = _writer_archive(tmp_path)
    ran: list[tuple[int, str]] = []
    try:
        batch = archive.hand_off_batch
        futures = [
            archive.submit(lambda n: ran.append((n, threading.current_thread().name)), n)
            for n in range(batch - 1)
        ]
        time.sleep(0.1)
        assert ran == []  # not yet handed over: one short of a batch, and young
        futures.append(archive.submit(lambda: ran.append((batch - 1, "last"))))
        for future in futures:
            future.result(timeout=10)
        assert [n for n, _ in ran] == list(range(batch))
        assert {name for _, name in ran[:-1]} == {"archive-writer"}
    finally:
        archive.close()


def test_call_and_flush_hand_over_what_is_pending(tmp_path: Path) -> None:
    archive = _writer_archive(tmp_path)
    ran: list[str] = []
    try:
        pending = archive.submit(ran.append, "submitted")
        assert archive.call(lambda: list(ran)) == ["submitted"]
        assert pending.done()
        flushed = archive.submit(ran.append, "flushed")
        archive.flush()
        flushed.result(timeout=10)
        assert ran == ["submitted", "flushed"]
    finally:
        archive.close()


def test_an_old_batch_goes_with_the_next_write(tmp_path: Path) -> None:
    archive = _writer_archive(tmp_path)
    ran: list[int] = []
    try:
        first = archive.submit(ran.append, 1)
        time.sleep(0.6)  # older than the half second a batch may wait
        second = archive.submit(ran.append, 2)
        second.result(timeout=10)
        assert first.done() and ran == [1, 2]
    finally:
        archive.close()


def test_closing_runs_every_pending_write(tmp_path: Path) -> None:
    archive = _writer_archive(tmp_path)
    ran: list[int] = []
    futures = [archive.submit(ran.append, n) for n in range(5)]
    archive.close()
    assert all(f.done() for f in futures)
    assert ran == list(range(5))


def test_a_failed_write_rolls_back_its_transaction_and_counts_it_failed(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db", commit_every=1000)
    archive.start_writer()
    ledger = WriteLedger()

    def fault(url: str) -> None:
        archive.tally(ledger, "faults")
        archive.record_fault(run_id="r", source="s", url=url, kind="k", status=None, detail="")

    def failing() -> None:
        archive.tally(ledger, "items")
        raise sqlite3.OperationalError("database or disk is full")

    try:
        archive.call(fault, "committed")
        archive.call(archive.commit)
        pending = [archive.submit(fault, "lost-1"), archive.submit(fault, "lost-2")]
        with pytest.raises(sqlite3.OperationalError):
            archive.call(failing)
        assert all(f.done() for f in pending)
        archive.call(fault, "after")
        assert archive.try_commit() is None
        # The failure took the writes of its transaction with it, and counted them failed.
        assert ledger.committed == Counter(faults=2)
        assert ledger.failed == Counter(faults=2, items=1)
        urls = [r[0] for r in archive.conn.execute("SELECT url FROM faults ORDER BY id")]
        assert urls == ["committed", "after"]
        assert len(ledger.errors) == 1
    finally:
        archive.close()


def test_a_write_that_finds_the_archive_full_is_counted_failed(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db", commit_every=2)
    archive.start_writer()
    ledger = WriteLedger()
    pages = archive.call(lambda: archive.conn.execute("PRAGMA page_count").fetchone()[0])
    archive.call(archive.limit_size, pages + 2)

    def big_fault(n: int) -> None:
        archive.tally(ledger, "faults")
        archive.record_fault(
            run_id="r", source="s", url=f"u{n}" * 400, kind="k", status=None, detail=""
        )

    try:
        futures = [archive.submit(big_fault, n) for n in range(40)]
        archive.flush()
        errors = [f.exception(timeout=10) for f in futures]
        archive.try_commit()
        full = [e for e in errors if e is not None]
        assert full and write_error_text(full[0], "a.db") == "the disk holding a.db is full"
        stored = archive.conn.execute("SELECT count(*) FROM faults").fetchone()[0]
        assert 0 < ledger.committed["faults"] == stored < 40
        assert ledger.committed["faults"] + ledger.failed["faults"] == 40
    finally:
        archive.close()
