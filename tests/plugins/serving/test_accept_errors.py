"""A server out of file descriptors, under ``kernel run`` over real sockets.

asyncio's accept loop reported every failed accept (``EMFILE``) with a traceback, and
tried again up to the listen backlog times per turn: about 1,200 tracebacks, 500 KB of
log, per second for as long as clients held every descriptor. The serving plugin logs
one line now and then instead, and the server accepts again once descriptors come free.
"""

from __future__ import annotations

import resource
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

#: The app lowers its own process's descriptor limit to this, as a small ``ulimit -n``.
LIMIT = 64

APP = f"""
import resource
from erlen import Erlen

_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, ({LIMIT}, _hard))

app = Erlen(__name__)

@app.route("/")
async def index():
    return "served"
"""


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bytes(response.read())
    except OSError:
        return None


@pytest.mark.skipif(
    resource.getrlimit(resource.RLIMIT_NOFILE)[1] < LIMIT, reason="hard limit below the test's"
)
def test_running_out_of_descriptors_is_one_line_not_a_traceback_flood(
    tmp_path: Path, start_kernel: Any
) -> None:
    (tmp_path / "fdapp.py").write_text(APP)
    kernel = start_kernel(["--app", "fdapp", "run", "--port", "0"], tmp_path)
    url = kernel.url()
    port = int(url.rsplit(":", 1)[1])
    clients = []
    try:
        for _ in range(2 * LIMIT):  # more than the server has descriptors
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        line = kernel.wait_for("Cannot accept new connections", timeout=10)
        assert "Too many open files" in line
    finally:
        for client in clients:
            client.close()
    # Accepting resumes once the descriptors are free (asyncio tries again each second).
    deadline = time.monotonic() + 20
    body = None
    while body is None and time.monotonic() < deadline:
        body = _get(url + "/")
    assert body == b"served"
    assert kernel.stop() == 0
    assert "out of system resource" not in kernel.text
    assert "Traceback" not in kernel.text
