"""``kernel run --workers N`` and ``--reload``: the supervisor, as a real subprocess.

Every process is killed in a ``finally`` and every wait is bounded.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

APP = """
import os, pathlib
from erlen import Erlen

app = Erlen(__name__)
VERSION = 1

@app.route("/")
async def index():
    return {"pid": os.getpid(), "version": VERSION}

@app.after_serving
async def mark_shutdown():
    marker = pathlib.Path(os.environ["SHUTDOWN_MARKER"])
    with marker.open("a") as f:
        f.write(f"{os.getpid()}\\n")
"""

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0


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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "served.py").write_text(APP)
    return tmp_path


@pytest.fixture
def kernel(project: Path):
    started: list[Kernel] = []

    def start(*args: str) -> Kernel:
        env = {"SHUTDOWN_MARKER": str(project / "marker")}
        process = Kernel(["--app", "served", "run", "--port", "0", *args], project, env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


def test_two_workers_serve_from_two_processes(kernel, project: Path) -> None:
    server = kernel("--workers", "2", "--graceful-timeout", "2")
    url = server.url()
    assert "Workers: 2" in server.text
    pids: set[int] = set()
    deadline = time.monotonic() + 20
    # A fresh connection per request: the kernel hands each to whichever worker accepts.
    while len(pids) < 2 and time.monotonic() < deadline:
        pids.add(httpx.get(url + "/", timeout=10).json()["pid"])
    assert len(pids) == 2, pids
    assert server.proc.pid not in pids  # the supervisor itself does not serve
    assert server.stop() == 0
    shut_down = {int(p) for p in (project / "marker").read_text().split()}
    assert shut_down == pids  # every worker ran its lifespan shutdown


@pytest.mark.parametrize("flag", ["--reload", "--debug"])
def test_reload_restarts_after_a_file_edit(kernel, project: Path, flag: str) -> None:
    server = kernel(flag)  # debug mode turns the reloader on, as in Flask
    url = server.url()
    assert f"Debug mode: {'on' if flag == '--debug' else 'off'}" in server.text
    first = httpx.get(url + "/", timeout=10).json()
    assert first["version"] == 1
    server.wait_for("Restarting on changes to")
    source = project / "served.py"
    source.write_text(source.read_text().replace("VERSION = 1", "VERSION = 2"))
    server.wait_for("Detected change in", timeout=20)
    deadline = time.monotonic() + 20
    second = first
    while second["version"] == 1 and time.monotonic() < deadline:
        # During the restart the socket stays bound: requests wait for the new worker.
        second = httpx.get(url + "/", timeout=10).json()
        if second["version"] == 1:
            time.sleep(0.1)
    assert second["version"] == 2
    assert second["pid"] != first["pid"]
    assert server.stop(signal.SIGINT) == 0
