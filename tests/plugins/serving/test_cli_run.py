"""``kernel run`` as a real subprocess on 127.0.0.1: serve, shut down gracefully, errors, TLS.

Every process is killed at the end of its test (the ``start_kernel`` fixture) and every wait
is bounded.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

APP = """
import asyncio, os, pathlib
from erlen import Erlen, request

app = Erlen(__name__)

@app.route("/")
async def index():
    return {"pid": os.getpid(), "root_path": request.root_path}

@app.route("/slow")
async def slow():
    await asyncio.sleep(float(request.args.get("seconds", "1")))
    return "slow done"

@app.after_serving
async def mark_shutdown():
    pathlib.Path(os.environ["SHUTDOWN_MARKER"]).write_text("after_serving ran")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "served.py").write_text(APP)
    return tmp_path


@pytest.fixture
def kernel(project: Path, start_kernel: Any) -> Any:
    def start(*args: str, env: dict[str, str] | None = None) -> Any:
        env = {"SHUTDOWN_MARKER": str(project / "marker"), **(env or {})}
        return start_kernel(["--app", "served", "run", *args], project, env)

    return start


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_then_graceful_shutdown(kernel, project: Path, sig: int) -> None:
    server = kernel("--port", "0", "--graceful-timeout", "5")
    url = server.url()
    assert url.startswith("http://127.0.0.1:")
    assert "Serving Erlen app 'served'" in server.text
    with httpx.Client(timeout=10) as client:
        assert client.get(url + "/").json()["pid"] == server.proc.pid
        # A request in flight when the signal arrives still gets its answer.
        result: dict[str, httpx.Response] = {}
        slow = threading.Thread(target=lambda: result.update(r=client.get(url + "/slow?seconds=1")))
        slow.start()
        time.sleep(0.3)
        assert server.stop(sig) == 0
        slow.join(10)
    assert result["r"].status_code == 200
    assert result["r"].text == "slow done"
    assert (project / "marker").read_text() == "after_serving ran"
    assert f"{signal.Signals(sig).name} received: shutting down gracefully" in server.text
    assert "Traceback" not in server.text


def test_grace_period_bounds_in_flight_requests(kernel, project: Path) -> None:
    # An idle keep-alive connection must not hold the shutdown either.
    (project / "hypercorn.toml").write_text("keep_alive_timeout = 60\n")
    server = kernel("--port", "0", "--graceful-timeout", "0.5", "--config", "hypercorn.toml")
    url = server.url()
    idle = httpx.Client(timeout=10)
    assert idle.get(url + "/").status_code == 200
    outcome: dict[str, object] = {}

    def call() -> None:
        try:
            outcome["response"] = httpx.get(url + "/slow?seconds=30", timeout=20)
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    slow = threading.Thread(target=call)
    slow.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert server.stop() == 0, server.text
    assert time.monotonic() - started < 10  # not the 30 s the view wanted
    slow.join(10)
    idle.close()
    response = outcome["response"]
    assert isinstance(response, httpx.Response), outcome
    assert response.status_code == 503
    assert response.text == "Service Unavailable: the server is shutting down."
    assert "Traceback" not in server.text
    assert (project / "marker").read_text() == "after_serving ran"


def test_port_in_use(kernel) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = kernel("--port", str(port))
        assert server.finish() == 1
    assert server.text.strip().splitlines() == [
        f"Error: Could not bind to 127.0.0.1:{port}: the address is already in use."
        " Is another server running there? Stop it or choose another port: --port, or"
        " app.run(port=...)."
    ]


def test_port_in_use_from_app_run_names_its_argument(project: Path) -> None:
    # The message named only --port, an option app.run() has no use for.
    (project / "runme.py").write_text(
        "import sys\nfrom erlen import Erlen\n\nErlen(__name__).run(port=int(sys.argv[1]))\n"
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # Not marked as a kernel command (an earlier CliRunner test may have set it).
        env = {k: v for k, v in os.environ.items() if k != "KERNEL_RUN_FROM_CLI"}
        result = subprocess.run(
            [sys.executable, "runme.py", str(port)],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: Could not bind to 127.0.0.1:{port}: the address is already in use."
        " Is another server running there? Stop it or choose another port: --port, or"
        " app.run(port=...)."
    )


def test_root_path_access_log_and_hypercorn_config(kernel, project: Path) -> None:
    (project / "hypercorn.toml").write_text('bind = ["127.0.0.1:0"]\nkeep_alive_timeout = 3\n')
    server = kernel("--config", "hypercorn.toml", "--root-path", "/api", "--access-log")
    url = server.url()  # the bind came from the config file
    assert url.startswith("http://127.0.0.1:")
    response = httpx.get(url + "/api/", timeout=10)  # the full path, as a proxy sends it
    assert response.json()["root_path"] == "/api"
    server.wait_for('"GET /api/ 1.1" 200', timeout=10)
    assert httpx.get(url + "/", timeout=10).status_code == 404  # outside the root
    assert server.stop() == 0


def test_one_console_format_for_access_lines_and_app_errors(kernel, project: Path) -> None:
    (project / "served.py").write_text(
        APP + "\n@app.route('/boom')\nasync def boom():\n    raise LookupError('kaput')\n"
    )
    server = kernel("--port", "0")  # access log on by default
    url = server.url()
    assert httpx.get(url + "/?page=2", timeout=10).status_code == 200
    assert httpx.get(url + "/boom", timeout=10).status_code == 500
    # The request line with its query string, as Flask's and uvicorn's access lines.
    access = server.wait_for('"GET /?page=2 1.1" 200', timeout=10)
    error = server.wait_for("Exception on request GET /boom", timeout=10)
    assert server.stop() == 0
    shape = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] (INFO|ERROR) in [\w.]+: ")
    assert shape.match(access), access  # [2026-12-06 20:05:00,123] INFO in erlen.access: ...
    assert shape.match(error), error
    assert access.split("] ", 1)[1].startswith("INFO in erlen.access: 127.0.0.1:")
    assert error.split("] ", 1)[1].rstrip() == "ERROR in app: Exception on request GET /boom"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


def test_tls_and_http2(kernel, project: Path) -> None:
    cert, key = make_certificate(project)
    server = kernel("--port", "0", "--certfile", str(cert), "--keyfile", str(key))
    url = server.url()
    assert url.startswith("https://127.0.0.1:")
    trust = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(verify=trust, http2=True, timeout=10) as client:
        response = client.get(url + "/")
    assert response.status_code == 200
    assert response.http_version == "HTTP/2"  # negotiated with ALPN
    with httpx.Client(verify=trust, timeout=10) as client:
        assert client.get(url + "/").http_version == "HTTP/1.1"
    assert server.stop() == 0


def test_cert_adhoc_serves_https_with_a_throwaway_certificate(kernel) -> None:
    server = kernel("--port", "0", "--cert", "adhoc")
    url = server.url()
    assert url.startswith("https://127.0.0.1:")
    with httpx.Client(verify=False, timeout=10) as client:
        response = client.get(url + "/")
    assert response.status_code == 200
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(url + "/", timeout=10)  # a browser warns too: nobody vouches for it
    assert server.stop() == 0


def test_cert_adhoc_refuses_a_key_of_its_own(kernel, project: Path) -> None:
    server = kernel("--port", "0", "--cert", "adhoc", "--key", str(project / "key.pem"))
    assert server.finish() == 1
    assert "Error: --cert adhoc makes its own key: leave out --key." in server.text


def test_a_client_connected_before_a_shutdown_gets_its_first_request_answered(
    kernel, project: Path
) -> None:
    """A connection accepted just before the server began to stop, whose request comes a
    moment later, is answered. hypercorn closed it at once, unanswered ("Server
    disconnected without sending a response"): a request racing a --reload restart
    failed that way (test_reload_restarts_after_a_file_edit, now and then)."""
    server = kernel("--port", "0", "--graceful-timeout", "5")
    host, port = server.url().removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        time.sleep(0.5)  # the server accepts it, and waits for its first request
        server.proc.send_signal(signal.SIGTERM)
        server.wait_for("SIGTERM received", timeout=10)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert server.finish() == 0
