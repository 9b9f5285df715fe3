"""A real Redis for the tests: Debian's `redis-server`, started on 127.0.0.1 on a free port in
a temporary folder, without persistence (nothing the tests keep outlives them), and stopped
at the end. No mock and no fake server: scrapy-redis, the leases and the writer's reliable
queue all rely on Redis's own atomic commands (LMOVE, Lua scripts, SET NX PX)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: How long a starting server may take to answer PING, in seconds.
START_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]
    folder: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_redis(folder: Path) -> RedisServer:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RuntimeError("redis-server is not installed: run  sudo bash scripts/system-deps.sh")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(folder),
            "--save", "",
            "--appendonly", "no",
            "--protected-mode", "yes",
            "--logfile", str(folder / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = RedisServer(port, process, folder)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            if server.client().ping():
                return server
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                log = (folder / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server did not start on port {port}: {log}") from None
        time.sleep(0.05)


@pytest.fixture(scope="module")
def redis_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server(redis_process: RedisServer) -> RedisServer:
    """The module's Redis, emptied for each test: a worker of the previous test may still have
    sent its last stats there (a demo's archive then held a row of the previous test's
    source)."""
    redis_process.client().flushall()
    return redis_process
