"""``kernel run --workers N`` and ``--reload``: the supervisor, as a real subprocess.

Every process is killed at the end of its test (the ``start_kernel`` fixture) and every wait
is bounded.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "served.py").write_text(APP)
    return tmp_path


@pytest.fixture
def kernel(project: Path, start_kernel: Any) -> Any:
    def start(*args: str) -> Any:
        env = {"SHUTDOWN_MARKER": str(project / "marker")}
        args = ("--app", "served", "run", "--port", "0", *args)
        # Several processes start at once here: allow more time on a loaded machine.
        return start_kernel(list(args), project, env, start_timeout=30.0, stop_timeout=20.0)

    return start


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


def test_a_signal_to_the_whole_process_group_is_announced_once(kernel, project: Path) -> None:
    """SIGTERM to the process group (systemd's default, ``timeout``, a terminal's job
    control) reaches the supervisor and every worker: one line says so, not one per
    worker, and every worker still runs its lifespan shutdown."""
    server = kernel("--workers", "2", "--graceful-timeout", "2")
    pids = _worker_pids(server.url(), 2)
    assert len(pids) == 2, pids
    os.killpg(server.proc.pid, signal.SIGTERM)  # the fixture starts it in its own session
    assert server.finish() == 0
    assert server.text.count("SIGTERM received") == 1, server.text
    assert " * SIGTERM received: shutting down gracefully" in server.text
    shut_down = {int(p) for p in (project / "marker").read_text().split()}
    assert shut_down == pids


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


def _worker_pids(url: str, count: int, exclude: set[int] | None = None) -> set[int]:
    """``count`` pids of workers answering requests (not those in ``exclude``)."""
    exclude = exclude or set()
    pids: set[int] = set()
    deadline = time.monotonic() + 30
    while len(pids) < count and time.monotonic() < deadline:
        try:
            pid = httpx.get(url + "/", timeout=10).json()["pid"]
        except httpx.TransportError:
            continue
        if pid not in exclude:
            pids.add(pid)
    return pids


def test_a_dead_worker_is_replaced_and_only_a_signal_stops_the_server(
    kernel, project: Path
) -> None:
    """Killing a worker does not stop the server (it did: exit 1): the supervisor logs it,
    starts a new one after a back-off, and keeps serving until SIGTERM."""
    server = kernel("--workers", "2", "--graceful-timeout", "2")
    url = server.url()
    first = _worker_pids(url, 2)
    assert len(first) == 2, first
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    line = server.wait_for(f"Worker {victim} was killed by SIGKILL")
    assert "starting a new one in 0.5s" in line
    server.wait_for("Started worker")
    survivor = first - {victim}
    replacement = _worker_pids(url, 1, exclude=survivor)
    assert replacement and victim not in replacement  # a new process serves
    assert server.proc.poll() is None  # still running
    assert server.stop() == 0
    shut_down = {int(p) for p in (project / "marker").read_text().split()}
    assert shut_down == survivor | replacement  # both live workers shut down gracefully


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_workers_stop_when_the_supervisor_is_killed(kernel, project: Path) -> None:
    """SIGKILL to the supervisor (no graceful stop possible): its workers notice they lost
    their parent and shut down gracefully instead of serving on unsupervised."""
    server = kernel("--workers", "2", "--graceful-timeout", "1")
    workers = _worker_pids(server.url(), 2)
    assert len(workers) == 2, workers
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=10)
    deadline = time.monotonic() + 20
    alive = set(workers)
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if _running(pid)}
        time.sleep(0.1)
    assert not alive, f"workers {alive} outlived their supervisor"
    shut_down = {int(p) for p in (project / "marker").read_text().split()}
    assert shut_down == workers  # each ran its lifespan shutdown


def test_reload_serves_a_page_naming_a_syntax_error_until_it_is_fixed(
    kernel, project: Path
) -> None:
    server = kernel("--reload")
    url = server.url()
    assert httpx.get(url + "/", timeout=10).json()["version"] == 1
    server.wait_for("Restarting on changes to")
    source = project / "served.py"
    good = source.read_text()
    source.write_text(good + "\ndef broken(:\n    pass\n")
    server.wait_for("Detected change in", timeout=60)
    deadline = time.monotonic() + 60
    response = httpx.get(url + "/", timeout=10)
    while response.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
        response = httpx.get(url + "/", timeout=10)
    assert response.status_code == 500  # answered at once, not left waiting for a worker
    assert "<title>SyntaxError // Erlen debugger</title>" in response.text
    assert "served.py" in response.text
    assert "def broken(:</span>" in response.text  # the broken line itself
    source.write_text(good.replace("VERSION = 1", "VERSION = 2"))
    deadline = time.monotonic() + 60
    while response.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
        response = httpx.get(url + "/", timeout=10)
    assert response.json()["version"] == 2
    assert server.stop(signal.SIGINT) == 0
