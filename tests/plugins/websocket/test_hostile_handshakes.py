"""Handshake abuse over a real socket: an upgrade to a path with no rule (404), to an
HTTP-only rule (400), with an unsupported ``Sec-WebSocket-Version`` (hypercorn: 400), a
handler raising before accepting (500 whose body reveals nothing), and a handler that
never accepts (no server timeout, as in Quart: the client gives up, and the handler is
cancelled soon after)."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from erlen import Erlen, websocket
from erlen.plugins.testing.server import serve_app
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

TIMEOUT = 3.0
SECRET = "db password is hunter2"


def make_app() -> tuple[Erlen, dict[str, list[Any]]]:
    app = Erlen(__name__)
    seen: dict[str, list[Any]] = {"waiting": []}

    @app.route("/page")
    async def page():
        return "a page"

    @app.websocket("/echo")
    async def echo():
        while True:
            await websocket.send(await websocket.receive())

    @app.websocket("/broken")
    async def broken():
        raise RuntimeError(SECRET)

    @app.websocket("/never")
    async def never():
        try:
            await asyncio.sleep(30)  # neither accepts nor refuses
        except asyncio.CancelledError:
            seen["waiting"].append("cancelled")
            raise

    return app, seen


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[str, dict[str, list[Any]]]]:
    app, seen = make_app()
    async with serve_app(app) as url:
        yield url.replace("http://", "ws://"), seen


async def refused(url: str) -> tuple[int, bytes]:
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, open_timeout=TIMEOUT):
            pass
    response = info.value.response
    return response.status_code, response.body


async def test_an_upgrade_to_a_path_without_a_rule_is_a_404(served: Any) -> None:
    base_url, _seen = served
    status, _body = await refused(f"{base_url}/nowhere")
    assert status == 404


async def test_an_upgrade_to_an_http_only_rule_is_a_400(served: Any) -> None:
    base_url, _seen = served
    status, _body = await refused(f"{base_url}/page")
    assert status == 400


async def test_an_unsupported_websocket_version_is_a_400(served: Any) -> None:
    base_url, _seen = served
    host, port = base_url.removeprefix("ws://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET /echo HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 8\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 400")


async def test_a_handler_raising_before_accept_is_a_500_that_reveals_nothing(
    served: Any, caplog: pytest.LogCaptureFixture
) -> None:
    base_url, _seen = served
    caplog.set_level(logging.ERROR)
    status, body = await refused(f"{base_url}/broken")
    assert status == 500
    assert b"Internal Server Error" in body
    assert SECRET.encode() not in body and b"Traceback" not in body
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and "/broken" in logged[0].getMessage()


async def test_a_handler_that_never_accepts_is_cancelled_once_the_client_gives_up(
    served: Any,
) -> None:
    base_url, seen = served
    with pytest.raises((TimeoutError, asyncio.TimeoutError)):  # distinct before 3.11
        async with connect(f"{base_url}/never", open_timeout=0.2):
            pass
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not seen["waiting"]:
        assert loop.time() < deadline, "the handler kept waiting after the client left"
        await asyncio.sleep(0.01)
    assert seen["waiting"] == ["cancelled"]
    async with connect(f"{base_url}/echo", open_timeout=TIMEOUT) as ws:
        await ws.send("still serving")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "still serving"
