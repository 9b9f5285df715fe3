"""The archive's writer thread: writes handed over in batches, in order, none left behind."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tjcrawl.storage.archive import Archive


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
