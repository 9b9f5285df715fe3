"""A crawl's archive writer in a process of its own: no GIL shared with the crawl.

The writer thread (tjcrawl.storage.writer) ran SQLite, the search tokeniser and the 招商引资
facts finder in the crawl's process, and the reactor thread waited for the GIL they held
(docs/benchmarks.md, "Where tjcrawl's time goes now"). During a crawl the writes go to a child
process instead, which opens a write connection of its own and runs the writer thread's loop
unchanged (`ArchiveWriter._write_loop`: the same batches, commits by count and by age).

What crosses the pipes is picklable. Down: batches of ops, each naming a method of the archive
or of a *session* (what a crawl's writes need: its ledger, run id, page ids; see
`Archive.open_session`) with its arguments. Up: the results of `call`s, each transaction's
settled counts (applied to the crawl's `WriteLedger` by a receiver thread, in order, so before
the result of any later call), the session's stats and the child's log records.

The child is forked from the crawl's reactor thread when the archive's first crawl opens it. A
fork takes milliseconds, imports nothing and keeps what the parent set up (settings, a test's
patches); forkserver or spawn start an interpreter and import tjcrawl for each crawl process.
Crash safety:
- the child asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG) and also ends
  at EOF on its command pipe; either way its open transaction is never committed, as when a
  crawl process is killed with its writer thread, and the next opening recovers as ever;
- it points every inherited descriptor other than files (sockets, pipes, the archive's lock)
  at /dev/null, so it holds no lock and no connection of the crawl's;
- a child that dies unexpectedly is a fatal write error for every crawl it wrote for: their
  items not yet committed are counted failed, the crawls stop, no run is `finished`.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import gc
import itertools
import logging
import os
import signal
import sqlite3
import stat
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from multiprocessing.connection import Connection, Pipe
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tjcrawl.storage.archive import Archive

logger = logging.getLogger("tjcrawl.storage.archive")

ARCHIVE = "archive"  # an op's target: the archive itself (else a session's number)
OPEN = "open"  # an op that makes a session in the child
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux only
PIPE_BYTES = 1 << 20  # /proc/sys/fs/pipe-max-size's default
#: The sqlite_errorname given to the error of a writer process that died.
WRITER_DIED = "TJCRAWL_WRITER_DIED"
#: Inherited objects the child must never let go of: freeing them would close descriptors
#: whose numbers the child's own connection may hold by then.
_INHERITED: list[Any] = []
_LOG_FIELDS = (
    "name msg levelname levelno pathname filename module lineno funcName created msecs"
    " relativeCreated thread threadName processName process exc_text stack_info"
).split()


class RemoteOp:
    """A session's method, named in the crawl's process: it runs in the writer process."""

    __slots__ = ("name", "sid")

    def __init__(self, sid: int, name: str) -> None:
        self.sid, self.name = sid, name

    def __call__(self, *args: Any) -> Any:
        raise TypeError(f"{self.name} runs in the archive's writer process only")


class SessionProxy:
    """A session in the writer process, as the crawl's process sees it: its ops by name."""

    def __init__(self, sid: int) -> None:
        self.sid = sid

    def __getattr__(self, name: str) -> RemoteOp:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteOp(self.sid, name)


class _Sink:
    """Where a session's settled counts and stats go in the crawl's process."""

    def __init__(self, on_settle: Callable[..., None], stats: Any) -> None:
        self.on_settle, self.stats = on_settle, stats
        self.items_sent = self.items_settled = 0
        self.unapplied = 0


def portable(exc: BaseException) -> tuple[str, str, str, str, int | None]:
    """An exception as plain values: pickling one drops sqlite_errorname."""
    kind = "sqlite" if isinstance(exc, sqlite3.Error) else "other"
    name = getattr(exc, "sqlite_errorname", None) or ""
    return kind, type(exc).__name__, str(exc), name, getattr(exc, "sqlite_errorcode", None)


def rebuild(value: tuple[str, str, str, str, int | None]) -> BaseException:
    kind, typename, message, name, code = value
    if kind != "sqlite":
        return RuntimeError(f"{typename}: {message}")
    cls = getattr(sqlite3, typename, None)
    if not (isinstance(cls, type) and issubclass(cls, sqlite3.Error)):
        cls = sqlite3.OperationalError
    exc = cls(message)
    exc.sqlite_errorname = name  # type: ignore[attr-defined]
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    return exc


def writer_died(detail: str) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(f"the archive's writer process {detail}")
    exc.sqlite_errorname = WRITER_DIED  # type: ignore[attr-defined]
    return exc


class WriterProcess:
    """The crawl's side of the writer process: starts it, sends ops, applies what comes back."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.pid = 0
        self.started_in = 0.0  # seconds the fork took, for docs/benchmarks.md
        self._seq = itertools.count(1)
        self._sids = itertools.count(1)
        self._futures: dict[int, Future[Any]] = {}
        self._sessions: dict[int, _Sink] = {}
        self._send_lock = threading.Lock()
        self._stopping = False
        self.dead: BaseException | None = None
        self.receiver = threading.Thread(
            target=self._receive, name="archive-writer-events", daemon=True
        )

    def start(self) -> None:
        commands_in, commands_out = Pipe(duplex=False)
        events_in, events_out = Pipe(duplex=False)
        # A batch of 64 pages is ~400 KB: through the default 64 KB pipe the reactor thread
        # waited for the child to be scheduled several times per batch, which on a loaded
        # machine took most of a core's time slice each.
        for end in (commands_out, events_out):
            with contextlib.suppress(OSError):  # not Linux, or above pipe-max-size
                fcntl.fcntl(end.fileno(), F_SETPIPE_SZ, PIPE_BYTES)
        parent = os.getpid()
        began = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the child: it never returns into the crawl's stack
            code = 70
            try:
                commands_out.close()
                events_in.close()
                code = _child(self.archive, commands_in, events_out, parent)
            except BaseException:  # said through the pipe when it can be; the parent counts it
                logger.exception("the archive's writer process failed")
            finally:
                os._exit(code)
        commands_in.close()
        events_out.close()
        self.started_in = time.perf_counter() - began
        self.pid, self._commands, self._events = pid, commands_out, events_in
        self.receiver.start()

    # -- ops --------------------------------------------------------------------------------
    def op(self, fn: Any, args: tuple[Any, ...], want: bool) -> tuple[Future[Any], tuple]:
        """The op that runs fn(*args) in the child, and the future of its result (set only
        when `want`: a `call`)."""
        if isinstance(fn, RemoteOp):
            target, name = fn.sid, fn.name
            if name == "store_item":  # counted, in case the child dies with them
                self._sessions[fn.sid].items_sent += 1
        elif getattr(fn, "__self__", None) is self.archive:
            target, name = ARCHIVE, fn.__name__
        else:
            raise TypeError(f"{fn!r} cannot run in the archive's writer process")
        future: Future[Any] = Future()
        seq = 0
        if want:
            seq = next(self._seq)
            self._futures[seq] = future
        if self.dead is not None and want:
            self._fail(seq, self.dead)
        return future, (seq, target, name, args)

    def open_session(
        self, factory: Callable[..., Any], kwargs: dict[str, Any], on_settle: Any, stats: Any
    ) -> tuple[SessionProxy, tuple]:
        sid = next(self._sids)
        self._sessions[sid] = _Sink(on_settle, stats)
        return SessionProxy(sid), (0, OPEN, "open_session", (sid, factory, kwargs))

    def send(self, started: float, ops: list[tuple]) -> None:
        """Hand a batch to the child (blocks while its queue is full, as the thread's did)."""
        with self._send_lock:
            if self.dead is None:
                try:
                    self._commands.send((started, ops))
                    return
                except OSError:
                    pass  # the child is gone: its receiver says so
        for seq, *_ in ops:
            if seq:
                self._fail(seq, self.dead or writer_died("is gone"))

    def stop(self) -> None:
        """Every op sent is done, the last transaction committed, the child ended."""
        self._stopping = True
        with self._send_lock, contextlib.suppress(OSError):
            self._commands.send(None)
        self.receiver.join()
        with contextlib.suppress(ChildProcessError):  # reaped when it died
            os.waitpid(self.pid, 0)
        self._commands.close()
        self._events.close()

    # -- what comes back -----------------------------------------------------------------
    def _receive(self) -> None:
        while True:
            try:
                message = self._events.recv()
            except (EOFError, OSError):
                break
            if message == ("bye",):
                return
            try:
                self._apply(message)
            except Exception as exc:  # a handler's bug must not stop the counting of the rest
                logger.exception("applying the archive writer's %s failed", message[0])
                self._unapplied(message, exc)
        self._died()

    def _unapplied(self, message: tuple, exc: Exception) -> None:
        """A message its handler failed on is counted against its session (its crawl then
        counts a lost write and is not `finished`), or fails the call waiting for it."""
        kind = message[0]
        if kind in ("settled", "stat"):
            sink = self._sessions.get(message[1])
            if sink is not None:
                sink.unapplied += 1
        elif kind == "result":
            found = self._futures.pop(message[1], None)
            if found is not None and not found.done():
                found.set_exception(exc)

    def unapplied(self, session: SessionProxy) -> int:
        """How many of a session's settled counts or stats could not be applied here."""
        sink = self._sessions.get(session.sid)
        return sink.unapplied if sink is not None else 0

    def _apply(self, message: tuple) -> None:
        kind = message[0]
        if kind == "result":
            _, seq, ok, value = message
            future = self._futures[seq]
            if not ok:
                future.set_exception(rebuild(value))
            else:
                future.set_result(self._unpack(value))
            del self._futures[seq]
        elif kind == "settled":
            _, sid, settled, committed, cause = message
            sink = self._sessions[sid]
            sink.items_settled += settled.get("items", 0)
            sink.on_settle(settled, committed, rebuild(cause) if cause else None)
        elif kind == "stat":
            _, sid, key, count = message
            stats = self._sessions[sid].stats
            if stats is not None:
                stats.inc_value(key, count)
        elif kind == "log":
            record = logging.makeLogRecord(message[1])
            logging.getLogger(record.name).handle(record)

    def _unpack(self, value: Any) -> Any:
        if isinstance(value, tuple) and value[:1] == ("error",):
            return rebuild(value[1])
        return value

    def _fail(self, seq: int, exc: BaseException) -> None:
        found = self._futures.pop(seq, None)
        if found is not None and not found.done():
            found.set_exception(exc)

    def forget(self, session: SessionProxy) -> None:
        """A crawl's session whose crawl ended: nothing more is counted for it."""
        self._sessions.pop(session.sid, None)

    def _died(self) -> None:
        # EOF before "bye": killed (OOM, a signal) or failed; its transaction is lost.
        _, status = os.waitpid(self.pid, os.WNOHANG)
        how = f"ended unexpectedly (status {status})" if status else "ended unexpectedly"
        self.dead = dead = writer_died(how)
        logger.error("archive write failed: the archive's writer process %s", how)
        for seq in list(self._futures):
            self._fail(seq, dead)
        for sink in self._sessions.values():
            lost = max(sink.items_sent - sink.items_settled, 0)
            sink.on_settle(Counter({"items": lost}) if lost else Counter(), False, dead)


# -- the child ------------------------------------------------------------------------------
def _child(archive: Archive, commands: Connection, events: Connection, parent: int) -> int:
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawl's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)  # the reactor's, in the parent
    gc.freeze()  # the parent's objects: never walked, never copied by the collector
    _release_inherited(keep={commands.fileno(), events.fileno()})
    send_lock = threading.Lock()

    def emit(message: tuple) -> None:
        with send_lock:
            events.send(message)

    _forward_logs(emit)
    _INHERITED.append((archive.db, archive.conn, archive._read_conn, archive.run_lock))
    archive.become_writer_process()
    sessions: dict[int, Any] = {}
    reader = threading.Thread(
        target=_read_commands, args=(archive, commands, sessions, emit), daemon=True
    )
    reader.start()
    archive._write_loop()
    archive.try_commit()
    archive.conn.close()
    emit(("bye",))
    events.close()
    return 0


def _die_with(parent: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: EOF on the command pipe still ends it
        pass
    if os.getppid() != parent:  # the parent died before the request
        os._exit(0)


def _release_inherited(keep: set[int]) -> None:
    """Point inherited sockets, pipes and lock files at /dev/null (numbers kept, see
    _INHERITED); SQLite's own files stay, unused."""
    null = os.open(os.devnull, os.O_RDWR)
    keep = keep | {null}
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd < 3 or fd in keep:
            continue
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISREG(mode) and not os.readlink(f"/proc/self/fd/{fd}").endswith(".lock"):
                continue
            os.dup2(null, fd)
        except OSError:  # the listing's own descriptor, already gone
            continue


class _Forward(logging.Handler):
    def __init__(self, emit: Callable[[tuple], None]) -> None:
        super().__init__()
        self.emit_message = emit

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = {k: v for k, v in record.__dict__.items() if k in _LOG_FIELDS}
            fields["msg"], fields["args"] = record.getMessage(), None
            if record.exc_info and not fields.get("exc_text"):
                fields["exc_text"] = logging.Formatter().formatException(record.exc_info)
            self.emit_message(("log", fields))
        except Exception:  # the parent is gone, or a record will not pickle: never fatal
            self.handleError(record)


def _forward_logs(emit: Callable[[tuple], None]) -> None:
    """The child's records go to the crawl's handlers (its log file, stderr, a test's caplog)."""
    loggers = [logging.getLogger()] + [
        item
        for item in logging.Logger.manager.loggerDict.values()
        if isinstance(item, logging.Logger)
    ]
    for each in loggers:
        each.handlers = []
    logging.getLogger().addHandler(_Forward(emit))


def _read_commands(
    archive: Archive, commands: Connection, sessions: dict[int, Any], emit: Callable
) -> None:
    """Batches from the pipe into the writer loop's queue (bounded: the parent then waits)."""
    while True:
        try:
            message = commands.recv()
        except (EOFError, OSError):
            os._exit(0)  # the crawl is gone: its open transaction is not committed
        if message is None:
            archive._queue.put(None)
            return
        started, ops = message
        jobs = []
        for seq, target, name, args in ops:
            future: Future[Any] = Future()
            if seq:
                future.add_done_callback(partial(_reply, emit, seq))
            jobs.append((future, _resolver(archive, sessions, emit, target, name), args))
        archive._queue.put((started, jobs))


def _resolver(
    archive: Archive, sessions: dict[int, Any], emit: Callable, target: Any, name: str
) -> Callable[..., Any]:
    # Resolved when run, on the writer loop: a session is made by an op of the same batch.
    if target == OPEN:

        def run(sid: int, factory: Callable[..., Any], kwargs: dict[str, Any]) -> None:
            sessions[sid] = factory(
                archive,
                stats=_Stats(emit, sid),
                on_settle=partial(_settled, emit, sid),
                **kwargs,
            )

    elif target == ARCHIVE:

        def run(*args: Any) -> Any:
            return getattr(archive, name)(*args)

    else:

        def run(*args: Any) -> Any:
            return getattr(sessions[target], name)(*args)

    run.__name__ = name
    return run


def _reply(emit: Callable, seq: int, future: Future[Any]) -> None:
    exc = future.exception()
    if exc is not None:
        emit(("result", seq, False, portable(exc)))
        return
    value = future.result()
    if isinstance(value, BaseException):  # an error handed back as a value
        value = ("error", portable(value))
    emit(("result", seq, True, value))


def _settled(emit: Callable, sid: int, settled: Counter[str], committed: bool, cause: Any) -> None:
    emit(("settled", sid, settled, committed, portable(cause) if cause is not None else None))


class _Stats:
    """A session's stats in the child: each increment goes to the crawl's stats."""

    def __init__(self, emit: Callable, sid: int) -> None:
        self.emit, self.sid = emit, sid

    def inc_value(self, key: str, count: int = 1) -> None:
        self.emit(("stat", self.sid, key, count))
