"""Files that appear whole or not at all: exports written beside their name, then renamed.

`atomic_output(path)` hands out a temporary file ``.NAME.PID.part`` in the same folder (so the
rename cannot cross file systems). Only when everything is written is it flushed, fsynced and
renamed over ``path``: a reader of ``path`` sees the previous complete file or the new one.

What each way of dying leaves:

* an exception, Ctrl-C (SIGINT) or SIGTERM: the temporary file is removed; ``path`` is as it
  was. SIGTERM is turned into SystemExit while the file is written, so that the clean-up runs;
* SIGKILL or a power cut: nothing can run, so the ``.part`` file stays, but ``path`` is still
  as it was. The next write to the same ``path`` removes the ``.part`` files that dead
  processes left for it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any

EXIT_TERMINATED = 128 + signal.SIGTERM


def part_path(path: Path, pid: int | None = None) -> Path:
    return path.with_name(f".{path.name}.{os.getpid() if pid is None else pid}.part")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stale_parts(path: Path) -> list[Path]:
    """Remove the ``.part`` files of ``path`` whose writers are dead; returns them."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.part")
    removed = []
    for candidate in path.parent.glob(f".{glob_escape(path.name)}.*.part"):
        match = pattern.fullmatch(candidate.name)
        if match and int(match[1]) != os.getpid() and not _alive(int(match[1])):
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk too.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """SIGTERM raises SystemExit in the main thread while the block runs, so finally runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(EXIT_TERMINATED)

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def atomic_output(path: str | Path, mode: str = "wb", **open_args: Any) -> Iterator[IO[Any]]:
    """A file to write ``path``'s new content into; renamed over ``path`` only on success."""
    path = Path(path)
    remove_stale_parts(path)
    partial = part_path(path)
    with _terminate_as_exit():
        handle: IO[Any] | None = None
        try:
            handle = partial.open(mode, **open_args)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(partial, path)
        except BaseException:
            if handle is not None:
                handle.close()
            partial.unlink(missing_ok=True)
            raise
    _fsync_folder(path.absolute().parent)
