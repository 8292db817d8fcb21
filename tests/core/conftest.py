"""Shared helpers for the kernel's tests: ``kernel`` commands run as real subprocesses."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

#: The plugins this suite needs. ``.ci/run`` runs the suite alone with exactly these as
#: the default plugins (``ERLEN_PLUGINS``; ``python tests/suites.py`` lists them).
ERLEN_SUITE_PLUGINS = ("testing",)


class KernelProcess:
    """``python -m erlen ARGS`` with its merged output read line by line in a thread."""

    def __init__(
        self,
        args: list[str],
        cwd: Path,
        env: dict[str, str] | None = None,
        *,
        start_timeout: float = 20.0,
        stop_timeout: float = 15.0,
    ) -> None:
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
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

    def wait_for(self, text: str, timeout: float | None = None) -> str:
        timeout = self.start_timeout if timeout is None else timeout
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
        return self.proc.wait(timeout=self.stop_timeout)

    def finish(self) -> int:
        return self.proc.wait(timeout=self.stop_timeout)

    @property
    def text(self) -> str:
        return "".join(self.output)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=self.stop_timeout)
        self._reader.join(5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


StartKernel = Callable[..., KernelProcess]


@pytest.fixture
def start_kernel() -> Iterator[StartKernel]:
    """Start ``python -m erlen ARGS`` (``start_kernel(args, cwd, env, **timeouts)``); every
    process started is killed, if still running, when the test ends."""
    started: list[KernelProcess] = []

    def start(args: list[str], cwd: Path, env: dict[str, str] | None = None, **kw: Any) -> Any:
        process = KernelProcess(args, cwd, env, **kw)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()
