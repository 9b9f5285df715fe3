"""The machinery the test sites on 127.0.0.1 share (tests/*_server.py): each keeps its pages.

A site is a `LoopbackServer` subclass naming its `LoopbackHandler` subclass; the handler's
`answer` serves one GET. A crawler reaches the site through ``--proxy HOST=server.proxy_url``,
so a request names the site's real URL (``GET http://HOST/path``), which `target` reads back.

    class _Handler(LoopbackHandler):
        server: MySite

        def answer(self, target: Target) -> None:
            self.server.record(target.path)
            self.send_page(200, b"<html>...</html>")

    class MySite(LoopbackServer):
        handler = _Handler

    with MySite() as server:  # a free port; stopped, and its waits ended, on leaving
        server.snapshot()  # requests counted per key
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import urlsplit

#: What a client that gives up on a page (a refused download, a killed crawl) leaves behind.
DISCONNECTS = (BrokenPipeError, ConnectionResetError, TimeoutError)


class Target(NamedTuple):
    host: str
    path: str
    query: str


def count_key(target: Target, home: str) -> str:
    """A site's own pages count by path; pages asked of other hosts as //host/path."""
    return target.path if target.host == home else f"//{target.host}{target.path}"


class LoopbackHandler(BaseHTTPRequestHandler):
    server: LoopbackServer
    protocol_version = "HTTP/1.1"
    # An idle keep-alive connection or a client that stops reading frees its thread after this.
    timeout = 15
    content_type = "text/html; charset=utf-8"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def target(self) -> Target:
        """Host, path and query of a proxy request (absolute URL) or a direct one (Host header)."""
        parts = urlsplit(self.path)
        host = (parts.hostname or self.headers.get("Host", "").split(":")[0]).lower()
        return Target(host, parts.path or "/", parts.query)

    def send_page(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        content_type: str | None = None,
        declared: int | None = None,
    ) -> None:
        """Send `body` whole; `declared` is a Content-Length that lies about it."""
        self.send_response(status)
        self.send_header("Content-Type", content_type or self.content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if declared is None else declared))
        if declared is not None:
            # A lying length leaves the connection in no state to carry another response.
            self.close_connection = True
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()  # on the wire when this returns: steady_server times pages by it

    def do_GET(self) -> None:
        target = self.target()
        try:
            self.answer(target)
        except DISCONNECTS:
            self.close_connection = True  # the client went away: fine, and nothing to answer

    def answer(self, target: Target) -> None:
        raise NotImplementedError


class LoopbackServer(ThreadingHTTPServer):
    """A site on 127.0.0.1 (port 0 picks a free one) in a thread of its own; a context manager.

    Counts requests per key under `lock`, which subclasses share for their own records.
    """

    daemon_threads = True
    handler: type[LoopbackHandler]

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), self.handler)
        self.counts: Counter[str] = Counter()
        self.requests: list[str] = []  # every key recorded, in order
        #: Set on stop: every wait on the server side waits on it, so none outlives the test.
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up is part of the game; anything else is a bug worth printing."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def record(self, key: str) -> int:
        """Count a request; returns how many times this key has been asked for, this one too."""
        with self.lock:
            self.requests.append(key)
            self.counts[key] += 1
            return self.counts[key]

    def hits(self, key: str) -> int:
        with self.lock:
            return self.counts[key]

    def snapshot(self) -> Counter[str]:
        with self.lock:
            return Counter(self.counts)

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.requests.clear()

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def proxy_args(self, *hosts: str) -> list[str]:
        """``--proxy HOST=proxy_url`` for each host, as tjcrawl's CLI takes them."""
        return [arg for host in hosts for arg in ("--proxy", f"{host}={self.proxy_url}")]

    def start(self) -> Self:
        name = type(self).__name__
        self._thread = threading.Thread(target=self.serve_forever, name=name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
