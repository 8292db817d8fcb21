"""``kernel run`` as a subprocess: SIGTERM closes open ``@app.websocket`` connections with
1001 (going away), with the websocket plugin loaded. Every process is killed in a
``finally``; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

APP = """
import os, pathlib
from erlen import Erlen, websocket

app = Erlen(__name__)

@app.websocket("/ws")
async def ws():
    while True:
        await websocket.receive()

@app.after_serving
async def mark_shutdown():
    pathlib.Path(os.environ["SHUTDOWN_MARKER"]).write_text("after_serving ran")
"""

START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0


class Kernel:
    """``python -m erlen ARGS`` with its merged output read line by line in a thread."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.output: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "erlen", *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def wait_for(self, text: str, timeout: float = START_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {text!r} in {timeout}s: {self.text}") from None
            if line is None:
                raise AssertionError(f"exited before {text!r}: {self.text}")
            if text in line:
                return line

    def url(self) -> str:
        line = self.wait_for("Running on ")
        return line.split("Running on ")[1].split()[0]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=STOP_TIMEOUT)

    def finish(self) -> int:
        return self.proc.wait(timeout=STOP_TIMEOUT)

    @property
    def text(self) -> str:
        return "".join(self.output)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=STOP_TIMEOUT)
        self._reader.join(5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


async def test_sigterm_closes_plugin_websockets_with_1001(tmp_path: Path) -> None:
    (tmp_path / "served.py").write_text(APP)
    env = {"SHUTDOWN_MARKER": str(tmp_path / "marker")}
    # A long grace period: the websocket must be closed at once, not when it runs out.
    args = ["--app", "served", "run", "--port", "0", "--graceful-timeout", "30"]
    server = Kernel(args, tmp_path, env)
    try:
        url = server.url().replace("http://", "ws://")
        async with connect(url + "/ws", open_timeout=10) as ws:
            started = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1001
        code = await asyncio.to_thread(server.finish)
        assert code == 0
        assert time.monotonic() - started < 10
        assert (tmp_path / "marker").read_text() == "after_serving ran"
    finally:
        server.close()
