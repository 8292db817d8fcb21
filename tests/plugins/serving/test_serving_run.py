"""``app.run()``: a script serving itself, as a subprocess; ignored inside a kernel command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SCRIPT = """
import os, pathlib
from erlen import Erlen

app = Erlen(__name__)

@app.route("/")
async def index():
    return "served by app.run"

@app.after_serving
async def mark():
    pathlib.Path(os.environ["SHUTDOWN_MARKER"]).write_text("after_serving ran")

app.run(port=int(os.environ.get("PORT", "5000")), graceful_timeout=1)  # no __main__ guard
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_when_up(url: str, proc: subprocess.Popen[str], timeout: float = 20) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            return httpx.get(url, timeout=5)
        except httpx.ConnectError:
            time.sleep(0.05)
    raise TimeoutError(url)


def test_app_run_serves_until_sigterm(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(SCRIPT)
    port = free_port()
    env = {**os.environ, "SHUTDOWN_MARKER": str(tmp_path / "marker"), "PORT": str(port)}
    env.pop("KERNEL_RUN_FROM_CLI", None)
    proc = subprocess.Popen(
        [sys.executable, "script.py"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        response = get_when_up(f"http://127.0.0.1:{port}/", proc)
        assert response.text == "served by app.run"
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=15)
    assert proc.returncode == 0, output
    assert f"Running on http://127.0.0.1:{port}" in output
    assert (tmp_path / "marker").read_text() == "after_serving ran"


def test_app_run_is_ignored_inside_a_kernel_command(tmp_path: Path) -> None:
    # The module calls app.run() at import time; `kernel routes` must not start a server.
    (tmp_path / "script.py").write_text(SCRIPT)
    env = {**os.environ, "SHUTDOWN_MARKER": str(tmp_path / "marker")}
    proc = subprocess.run(
        [sys.executable, "-m", "erlen", "--app", "script.py:app", "routes", "--sort", "rule"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert "index" in proc.stdout
    assert "Ignoring a call to 'app.run()' inside a 'kernel' command" in proc.stderr
