"""An Erlen app under the ASGI servers users pick besides ``kernel run``: uvicorn with
uvloop and httptools (``uvicorn[standard]``), granian's ASGI interface, and hypercorn's
own command line (without the serving plugin's hardened classes).

Each server runs ``served_by_asgi_servers.py`` in a subprocess on 127.0.0.1, started
from its own command line as a user would, with bounded memory and a bounded life. What
is checked is what differs between servers: scope shapes (granian's HTTP/1.0 version,
its ``Host:`` with no value, its ports as strings), whether ``send`` yields once the
client is gone, the websocket extensions, the lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pytest
import websockets

HERE = Path(__file__).parent
TARGET = "served_by_asgi_servers:app"

#: How each server is started, as its documentation says (``{port}`` filled in).
COMMANDS = {
    "hypercorn": ["-m", "hypercorn", "--bind", "127.0.0.1:{port}", TARGET],
    "uvicorn-standard": [
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
        TARGET,
    ],
    "granian": [
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--log-level",
        "warning",
        TARGET,
    ],
}
#: Address space of a server process: a server that buffered a stream without end
#: fails here instead of filling the machine's memory.
MEMORY_LIMIT = 4 << 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@dataclass
class Served:
    """One server process serving the app."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    output: IO[bytes]
    said: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (the graceful stop each server documents), then SIGKILL to its
        process group (granian's worker) if it has not ended within ``timeout``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
            self.said = self.lines()
            self.output.close()

    def lines(self) -> list[str]:
        """What the server and the app printed (up to the stop, once stopped)."""
        if self.output.closed:
            return self.said
        self.output.seek(0)
        return self.output.read().decode("utf-8", "replace").splitlines()


def serve(name: str, port: int | None = None, **env: str) -> Served:
    port = port or free_port()
    output = tempfile.TemporaryFile()
    command = [sys.executable, *(part.format(port=port) for part in COMMANDS[name])]
    process = subprocess.Popen(
        command,
        cwd=HERE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=limit_memory,
    )
    served = Served(name, port, process, output)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            served.stop()
            raise RuntimeError(f"{name} exited: " + "\n".join(served.said[-20:]))
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{served.url}/plain", timeout=2).status_code == 200:
                return served
        time.sleep(0.1)
    served.stop()
    raise RuntimeError(f"{name} did not answer within 30 s: " + "\n".join(served.said[-20:]))


@pytest.fixture(scope="module", params=sorted(COMMANDS))
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    # SERVER_NAME is the address the clients use, so every request matches it.
    port = free_port()
    server = serve(request.param, port, SERVED_SERVER_NAME=f"127.0.0.1:{port}")
    try:
        yield server
    finally:
        server.stop()


def raw_request(served: Served, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data``, read until the server closes (bounded by ``timeout``)."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_plain_and_tuple_answers(served: Served) -> None:
    plain = httpx.get(f"{served.url}/plain")
    assert (plain.status_code, plain.text) == (200, "hello")
    assert plain.headers["content-type"] == "text/html; charset=utf-8"
    created = httpx.get(f"{served.url}/tuple")
    assert (created.status_code, created.text, created.headers["x-custom"]) == (201, "created", "1")


def test_server_and_client_addresses_have_asgi_shapes(served: Served) -> None:
    # granian gives the ports as strings; request.server is (host, int port) everywhere.
    seen = httpx.get(f"{served.url}/connection").json()
    assert seen["server"] == ["127.0.0.1", served.port]
    assert seen["remote_addr"] == "127.0.0.1"
    assert seen["http_version"] == "1.1"
    assert seen["url"] == f"{served.url}/connection"


def test_http10_without_host_gets_server_name(served: Served) -> None:
    # What HAProxy's default health check sends. granian reports HTTP/1.0 as "1" and
    # adds an empty Host: the request was matched against "" instead of SERVER_NAME (404).
    answer = raw_request(served, b"GET /connection HTTP/1.0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ", 2)[1] == b"200", answer
    seen = json.loads(body)
    assert seen["host"] == f"127.0.0.1:{served.port}"
    assert seen["http_version"] == "1.0"


def test_a_body_over_max_content_length_gets_413(served: Served) -> None:
    assert httpx.post(f"{served.url}/upload", content=b"x" * 1000).json() == {"length": 1000}
    assert httpx.post(f"{served.url}/upload", content=b"x" * (1024 * 1024 + 1)).status_code == 413


def test_a_streamed_body_stops_when_the_client_leaves(served: Served) -> None:
    """A body that awaits nothing but ``send`` is stopped (its ``finally`` runs) once the
    client disconnects, and the server goes on answering. granian's send neither yields
    nor raises once the client is gone (nor does hypercorn's without the serving
    plugin): the loop was blocked for good, granian logging every chunk."""
    before = httpx.get(f"{served.url}/streams").json()
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(b"GET /busy HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % served.port)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    deadline = time.monotonic() + 10
    counts = before
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TimeoutException):
            counts = httpx.get(f"{served.url}/streams", timeout=2).json()
            if counts["closed"] > before["closed"]:
                break
        time.sleep(0.1)
    assert counts == {"started": before["started"] + 1, "closed": before["closed"] + 1}
    assert httpx.get(f"{served.url}/plain", timeout=5).text == "hello"


async def test_websocket_echo_subprotocol_and_close_code(served: Served) -> None:
    url = f"ws://127.0.0.1:{served.port}/echo"
    async with websockets.connect(url, subprotocols=["chat"], open_timeout=5) as ws:
        assert ws.subprotocol == "chat"
        await ws.send("hi")
        assert await asyncio.wait_for(ws.recv(), 5) == "hi"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4001, "bye")


async def test_a_refused_websocket_gets_the_http_answer(served: Served) -> None:
    # All three offer the websocket.http.response extension.
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(f"ws://127.0.0.1:{served.port}/refused", open_timeout=5):
            pass
    assert refused.value.response.status_code == 401


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_lifespan_runs_the_serving_functions_and_waits_for_background_tasks(name: str) -> None:
    server = serve(name)
    try:
        assert httpx.get(f"{server.url}/later").text == "scheduled"
    finally:
        server.stop()
    lifespan = ("before", "while", "after", "back")
    said = [line for line in server.lines() if line.startswith(lifespan)]
    assert said == [
        "before_serving",
        "while_serving: up",
        "background task done",
        "while_serving: down",
        "after_serving",
    ]
