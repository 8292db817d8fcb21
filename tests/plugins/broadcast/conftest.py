"""Real redis-server processes for the broadcast tests.

``redis_url``: the shared server of the session: ``ERLEN_TEST_REDIS_URL`` when set (CI's
``.ci/run`` starts one), else a ``redis-server`` started here. Without the binary the
tests that need it fail under CI (``CI`` or ``ERLEN_REQUIRE_REDIS`` set) and skip
locally, with a banner at the end of the run. ``redis_factory`` starts private servers
for the fault tests (they kill and restart them).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: The plugins this suite needs. ``.ci/run`` runs the suite alone with exactly these as
#: the default plugins (``ERLEN_PLUGINS``; ``python tests/suites.py`` lists them).
ERLEN_SUITE_PLUGINS = ("broadcast", "websocket", "testing")

URL_ENV = "ERLEN_TEST_REDIS_URL"
_skipped: list[str] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("ERLEN_REQUIRE_REDIS"))


def need_redis_binary(request: pytest.FixtureRequest) -> str:
    binary = shutil.which("redis-server")
    if binary is not None:
        return binary
    message = (
        "redis-server is not installed: apt-get install redis-server (Debian/Ubuntu)"
        f" or set {URL_ENV}"
    )
    if redis_required():
        pytest.fail(f"CI must install redis-server ({message})", pytrace=False)
    _skipped.append(request.node.nodeid)
    pytest.skip(message)


class RedisServer:
    """A ``redis-server`` on 127.0.0.1 in a temporary directory; stopped by PID."""

    def __init__(self, binary: str, port: int | None = None, *args: str) -> None:
        self.binary = binary
        self.port = port or free_port()
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="erlen-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        for _attempt in range(3):
            log = Path(self.dir, "redis.log")
            self.proc = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    self.dir,
                    "--logfile",
                    str(log),
                    *self.args,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._wait_ready():
                return self
            self.stop()
            text = log.read_text() if log.exists() else ""
            if "Address already in use" not in text:
                raise RuntimeError(f"redis-server did not start: {text[-2000:]}")
            self.port = free_port()
        raise RuntimeError("redis-server found no free port in 3 attempts")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                return False
            if self.command("PING") == "+PONG":
                return True
            time.sleep(0.05)
        return False

    def command(self, *args: str, timeout: float = 2.0) -> str:
        """One command over a plain socket; the first reply line ('' on failure)."""
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
                sock.sendall(b"".join(parts))
                return sock.recv(65536).split(b"\r\n", 1)[0].decode()
        except OSError:
            return ""

    def kill(self) -> None:
        """``kill -9``: no goodbye to the clients."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def _shared_redis(request: pytest.FixtureRequest) -> Iterator[str | None]:
    url = os.environ.get(URL_ENV)
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    server = RedisServer(binary).start()
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture
def redis_url(_shared_redis: str | None, request: pytest.FixtureRequest) -> str:
    """The session's Redis URL (fails under CI, skips locally, when there is none)."""
    if _shared_redis is None:
        need_redis_binary(request)
    assert _shared_redis is not None
    return _shared_redis


@pytest.fixture
def redis_factory(request: pytest.FixtureRequest) -> Iterator[Any]:
    """``redis_factory(*args, port=None)``: start a private redis-server; all are
    stopped when the test ends."""
    binary = need_redis_binary(request)
    servers: list[RedisServer] = []

    def start(*args: str, port: int | None = None) -> RedisServer:
        server = RedisServer(binary, port, *args).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


class Served:
    """``python -m erlen --app APP run --port 0 ...`` with its output read in a thread."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.output: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "erlen", *args],
            cwd=cwd,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its workers too can be killed as one group
        )
        self._started = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
        self._started.set()

    @property
    def text(self) -> str:
        return "".join(self.output)

    def wait_for(self, needle: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.output):
                if needle in line:
                    return line
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no {needle!r} in the output:\n{self.text}")

    def url(self) -> str:
        line = self.wait_for("Running on ")
        return line.split("Running on ")[1].split()[0]

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        self._reader.join(5)
        return code

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the supervisor and its workers
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        self._reader.join(10)
        if self.proc.stdout is not None and not self._reader.is_alive():
            self.proc.stdout.close()


@pytest.fixture
def serve() -> Iterator[Any]:
    """``serve(args, cwd, env)``: a ``kernel`` process, killed at the end if still running."""
    started: list[Served] = []

    def start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Served:
        served = Served(args, cwd, env or {})
        started.append(served)
        return served

    yield start
    for served in started:
        served.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _skipped:
        terminalreporter.write_sep(
            "!",
            f"{len(_skipped)} Redis tests did NOT run: apt-get install redis-server"
            f" or set {URL_ENV}",
            red=True,
            bold=True,
        )
