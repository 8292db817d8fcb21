"""The Quart app with four Quart extensions (examples/quart_extensions), served by
``kernel run`` through ``erlen.quart_patch``, driven over real sockets.

The app runs in its own process: the patch is process-wide, and this test process may
import the real Quart (installed as the extensions' dependency).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import websockets

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 5.0
ORIGIN = "http://localhost:8000"  # the app's default NOTES_ORIGIN
LOGIN = {"username": "alice", "password": "wonderland"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _kernel_run(log: Path) -> Iterator[str]:
    """``kernel --app examples.quart_extensions.app:app run`` on a free port; its URL."""
    port = _free_port()
    kernel = Path(sys.executable).with_name("kernel")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(kernel), "--app", "examples.quart_extensions.app:app", "run"]
            + ["--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # bounded wait for the server to come up
            try:
                httpx.get(base + "/notes", timeout=TIMEOUT)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "kernel run exited:\n" + log.read_text()
                time.sleep(0.05)
        else:
            pytest.fail("kernel run did not start serving within 15 s:\n" + log.read_text())
        yield base
    except BaseException:
        print(log.read_text())  # shown by pytest on failure
        raise
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
            raise
    assert code == 0, log.read_text()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the tests that change no state."""
    with _kernel_run(tmp_path_factory.mktemp("kernel") / "kernel.log") as base:
        yield base


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[str]:
    """A server of its own: logins, notes and rate limits start empty."""
    with _kernel_run(tmp_path / "kernel.log") as base:
        yield base


def test_login_notes_and_logout(fresh_server: str) -> None:
    with httpx.Client(base_url=fresh_server, timeout=TIMEOUT) as http:
        assert http.get("/me").json() == {"error": "log in first"}
        assert http.post("/notes", json={"text": "hi"}).status_code == 401

        wrong = http.post("/login", json={"username": "alice", "password": "guess"})
        assert (wrong.status_code, wrong.json()) == (401, {"error": "wrong username or password"})
        invalid = http.post("/login", json={"username": "alice"})
        assert invalid.status_code == 400
        assert invalid.json()["error"] == "invalid body"

        login = http.post("/login", json=LOGIN)
        assert (login.status_code, login.json()) == (200, {"username": "alice"})
        assert "QUART_AUTH" in login.cookies  # quart-auth's signed cookie
        assert http.get("/me").json() == {"username": "alice"}

        created = http.post("/notes", json={"text": "buy milk"})
        assert (created.status_code, created.json()) == (
            201,
            {"id": 1, "text": "buy milk", "author": "alice"},
        )
        assert http.post("/notes", json={"text": 3}).status_code == 400
        assert http.get("/notes").json() == [{"id": 1, "text": "buy milk", "author": "alice"}]

        assert http.post("/logout").json() == {"logged_out": True}
        assert http.get("/me").status_code == 401
        assert http.get("/notes").status_code == 200  # public


def test_login_attempts_are_rate_limited(fresh_server: str) -> None:
    with httpx.Client(base_url=fresh_server, timeout=TIMEOUT) as http:
        wrong = {"username": "alice", "password": "guess"}
        statuses = [http.post("/login", json=wrong).status_code for _ in range(5)]
        assert statuses == [401] * 5
        limited = http.post("/login", json=LOGIN)  # even the right password, for now
        assert limited.status_code == 429
        # werkzeug's 429 and quart-rate-limiter each add one, on Quart too.
        retry_after = limited.headers.get_list("Retry-After")
        assert retry_after and all(int(seconds) > 0 for seconds in retry_after)
        assert http.get("/notes").status_code == 200  # other routes are not limited


def test_cross_origin_requests_from_the_allowed_origin(server: str) -> None:
    with httpx.Client(base_url=server, timeout=TIMEOUT) as http:
        preflight = http.options(
            "/notes",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"]

        simple = http.get("/notes", headers={"Origin": ORIGIN})
        assert simple.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Origin" in simple.headers["Vary"]

        other = http.get("/notes", headers={"Origin": "https://elsewhere.example"})
        assert other.status_code == 200
        assert "Access-Control-Allow-Origin" not in other.headers


def test_the_openapi_document_describes_the_api(server: str) -> None:
    document = httpx.get(server + "/openapi.json", timeout=TIMEOUT).json()
    assert document["info"] == {"title": "Notes", "version": "1.0.0"}
    assert set(document["paths"]) == {"/login", "/logout", "/me", "/notes"}
    login = document["paths"]["/login"]["post"]
    assert set(login["responses"]) == {"200", "401"}
    assert "requestBody" in login


async def test_the_websocket_validates_messages_with_the_schema(server: str) -> None:
    url = server.replace("http://", "ws://") + "/ws/preview"
    async with websockets.connect(url, origin=ORIGIN, open_timeout=TIMEOUT) as ws:
        await ws.send(json.dumps({"text": "  a draft  "}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert answer == {"id": 0, "text": "a draft", "author": "preview"}
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            url, origin="https://elsewhere.example", open_timeout=TIMEOUT
        ):
            pass
    assert refused.value.response.status_code == 400
