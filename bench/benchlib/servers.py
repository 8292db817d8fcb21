"""Start, probe and stop app servers in subprocesses (127.0.0.1 only, always bounded)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from benchlib import BENCH_DIR

HOST = "127.0.0.1"
SERVE_PY = BENCH_DIR / "serve.py"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def rss_kb(pid: int) -> int:
    """Resident set size of process ``pid`` in KiB (Linux ``/proc``)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft open-files limit towards ``wanted`` (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return int(soft)


@dataclass
class HttpReply:
    """Status and body of a one-shot HTTP request."""

    status: int
    body: bytes


async def http_get(port: int, path: str, timeout: float = 5.0) -> HttpReply:
    """One ``GET`` over a fresh connection (``Connection: close``), bounded in time."""

    async def exchange() -> HttpReply:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n"
            writer.write(request.encode())
            await writer.drain()
            raw = await reader.read(1 << 20)
            while chunk := await reader.read(1 << 20):
                raw += chunk
        finally:
            writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        return HttpReply(int(head.split(b" ", 2)[1]), body)

    return await asyncio.wait_for(exchange(), timeout)


class ServerProcess:
    """One app served by hypercorn or uvicorn in a subprocess; use as a context manager."""

    def __init__(self, server: str, framework: str, extra_args: Sequence[str] = ()) -> None:
        self.server = server
        self.framework = framework
        self.port = free_port()
        self.stderr: IO[bytes] = tempfile.TemporaryFile()
        command = [
            sys.executable,
            str(SERVE_PY),
            "--server",
            server,
            "--framework",
            framework,
            "--port",
            str(self.port),
            *extra_args,
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self.stderr,
            stderr=self.stderr,
            cwd=BENCH_DIR.parent,
        )

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def wait_ready(self, path: str = "/plaintext", timeout: float = 30.0) -> None:
        """Poll ``GET path`` until it answers 200; raise with the server's log if not."""
        deadline = time.monotonic() + timeout
        last_error = "no attempt"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.server} exited with {self.process.returncode}: " + self.last_log_line()
                )
            try:
                reply = asyncio.run(http_get(self.port, path, timeout=2.0))
                if reply.status == 200:
                    return
                last_error = f"status {reply.status}"
            except (TimeoutError, OSError, ValueError, IndexError) as error:
                last_error = repr(error)
            time.sleep(0.1)
        raise RuntimeError(
            f"{self.server} not ready after {timeout:g}s ({last_error}): " + self.last_log_line()
        )

    def log_tail(self, size: int = 3000) -> str:
        """The last ``size`` characters of the server's output."""
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-size:]

    def last_log_line(self) -> str:
        """The last non-empty line of the server's output (usually the error)."""
        lines = [line for line in self.log_tail().splitlines() if line.strip()]
        return lines[-1] if lines else "(no output)"

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 5 s; always reaps the process."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
