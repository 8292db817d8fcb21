"""``kernel run --debug``: an unhandled error is answered with the debug traceback page
over a real socket (the page itself: tests/core/test_debug_page.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def test_kernel_run_debug_shows_the_page_over_a_real_socket(tmp_path: Path) -> None:
    (tmp_path / "boomapp.py").write_text(
        "from erlen import Erlen\napp = Erlen(__name__)\n"
        "@app.route('/boom')\nasync def boom():\n    raise LookupError('kaput')\n"
    )
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "erlen", "--app", "boomapp", "run", "--debug", "--no-reload"]
        + ["--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/boom", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        assert response.status_code == 500
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "LookupError: kaput" in response.text
        assert "raise LookupError(&#39;kaput&#39;)" in response.text
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
