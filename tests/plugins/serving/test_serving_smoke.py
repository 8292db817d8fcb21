"""``kernel --app MODULE:app run`` serves over a real socket and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx

APP_SOURCE = textwrap.dedent(
    """
    import os
    from erlen import Erlen, request

    app = Erlen(__name__)

    @app.route("/")
    async def index():
        return "hello from kernel run"

    @app.route("/echo", methods=["POST"])
    async def echo():
        data = await request.get_json()
        return {"received": data, "method": request.method}

    @app.after_serving
    async def goodbye():
        with open(os.environ["SMOKE_MARKER"], "w") as f:
            f.write("lifespan shutdown ran")
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kernel_command() -> list[str]:
    script = Path(sys.executable).with_name("kernel")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "erlen"]


def wait_until_serving(proc: subprocess.Popen[bytes], base: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kernel run exited early with {proc.returncode}")
        try:
            httpx.get(base + "/", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"kernel run did not serve {base} within {timeout}s")


def test_kernel_run_serves_http_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    (tmp_path / "smoke_app.py").write_text(APP_SOURCE)
    marker = tmp_path / "marker.txt"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SMOKE_MARKER": str(marker), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [*kernel_command(), "--app", "smoke_app:app", "run", "--host", "127.0.0.1"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_serving(proc, base, timeout=20)
        with httpx.Client(base_url=base, timeout=5.0) as client:
            got = client.get("/")
            assert (got.status_code, got.text) == (200, "hello from kernel run")
            assert got.headers["content-type"] == "text/html; charset=utf-8"

            posted = client.post("/echo", json={"n": [1, 2], "s": "é"})
            assert posted.status_code == 200
            assert posted.headers["content-type"] == "application/json"
            assert posted.json() == {"method": "POST", "received": {"n": [1, 2], "s": "é"}}

            missing = client.get("/missing")
            assert missing.status_code == 404
            assert "Not Found" in missing.text

        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err.decode(errors="replace")
        assert marker.read_text() == "lifespan shutdown ran"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=5)
