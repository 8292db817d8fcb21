"""Hostile messages over a real socket: too big (1009), right at the limit, text vs
binary, multi-byte text measured in UTF-8 bytes, a flood of small messages, invalid
UTF-8 in a text frame (close 1007, then the connection is dropped), invalid JSON and other
HTTP errors after accepting (1008), pings answered by the server, and an app limit above
hypercorn's own 16 MiB default (the app's setting is what the server applies)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from erlen import Erlen, abort, websocket
from erlen.exceptions import ConnectionClosed
from erlen.plugins.serving.config import apply_app_server_settings, make_config
from erlen.plugins.testing.server import serve_app
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed as ClientConnectionClosed

TIMEOUT = 3.0
LIMIT = 1024


def make_app(limit: int = LIMIT) -> tuple[Erlen, dict[str, list[Any]]]:
    app = Erlen(__name__)
    app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = limit
    seen: dict[str, list[Any]] = {"closed": []}

    @app.websocket("/echo")
    async def echo():
        try:
            while True:
                data = await websocket.receive()
                await websocket.send(data)
        except ConnectionClosed as closed:
            seen["closed"].append(closed.code)
            raise

    @app.websocket("/size")
    async def size():
        await websocket.send(str(len(await websocket.receive())))

    @app.websocket("/count")
    async def count():
        received = 0
        while await websocket.receive() != "done":
            received += 1
        await websocket.send(str(received))

    return app, seen


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[str, dict[str, list[Any]]]]:
    app, seen = make_app()
    async with serve_app(app) as url:
        yield url.replace("http://", "ws://"), seen


async def close_code_after(ws: Any, message: str | bytes) -> int:
    await ws.send(message)
    try:
        await asyncio.wait_for(ws.recv(), TIMEOUT)
    except ClientConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code
    raise AssertionError("the connection stayed open")


async def test_a_message_over_the_limit_closes_1009(served: Any) -> None:
    base_url, _seen = served
    for message in ("x" * (LIMIT + 1), b"x" * (LIMIT + 1)):
        async with connect(f"{base_url}/echo", compression=None) as ws:
            assert await close_code_after(ws, message) == 1009


async def test_messages_right_at_the_limit_pass_as_text_and_binary(served: Any) -> None:
    base_url, _seen = served
    async with connect(f"{base_url}/echo", compression=None) as ws:
        for message in ("x" * LIMIT, b"\x00" * LIMIT, "é" * (LIMIT // 2)):
            await ws.send(message)
            echoed = await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert echoed == message and type(echoed) is type(message)


async def test_text_is_measured_in_utf8_bytes(served: Any) -> None:
    """600 characters but 1200 bytes: over the limit. The server counts bytes too (the
    serving plugin's buffer; hypercorn's counted characters and let it through to the
    app's check), so it fails the connection as for any message over the limit: the
    client gets 1009, and so does the handler's disconnect."""
    base_url, seen = served
    async with connect(f"{base_url}/echo", compression=None) as ws:
        assert await close_code_after(ws, "é" * 600) == 1009
    assert seen["closed"] == [1009]


async def test_a_flood_of_small_messages(served: Any) -> None:
    base_url, _seen = served
    async with connect(f"{base_url}/count") as ws:
        for _ in range(3000):
            await ws.send("x")
        await ws.send("done")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "3000"


async def test_invalid_utf8_in_a_text_frame_drops_the_connection(served: Any) -> None:
    base_url, seen = served
    host, port = base_url.removeprefix("ws://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET /echo HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        assert head.startswith(b"HTTP/1.1 101")
        payload, mask = b"\xff\xfe\xfd", b"\x01\x02\x03\x04"
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        writer.write(bytes([0x81, 0x80 | len(payload)]) + mask + masked)  # text, FIN
        # The server fails the connection (RFC 6455 section 8.1, the serving plugin's
        # hardened hypercorn): a close frame with 1007, then the connection is closed.
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b"\x88\x02\x03\xef"
    finally:
        writer.close()
    await until(lambda: seen["closed"])
    assert seen["closed"] == [1007]  # the handler's receive() saw the disconnect, and why
    async with connect(f"{base_url}/echo") as ws:  # and the server still serves
        await ws.send("ok")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "ok"


async def until(condition: Any, timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_pings_are_answered_by_the_server(served: Any) -> None:
    base_url, _seen = served
    async with connect(f"{base_url}/echo") as ws:
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, TIMEOUT)
        await ws.send("and messages still flow")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "and messages still flow"


async def test_an_app_limit_above_hypercorns_default_is_what_the_server_applies() -> None:
    size = 17 * 1024 * 1024  # hypercorn alone would close this with 1009
    app, _seen = make_app(limit=size + 1)
    config = make_config("127.0.0.1", 0)  # what `kernel run` and app.run() build
    apply_app_server_settings(app, config)
    assert config.websocket_max_message_size == size + 1
    async with serve_app(app) as url:
        async with connect(
            f"{url.replace('http://', 'ws://')}/size", compression=None, max_size=None
        ) as ws:
            await ws.send(b"x" * size)
            assert await asyncio.wait_for(ws.recv(), TIMEOUT) == str(size)


def json_app() -> Erlen:
    app = Erlen(__name__)

    @app.websocket("/json")
    async def echo_json():
        while True:
            data = await websocket.receive_json()
            if data == "forbidden":
                abort(403)
            if data == "teapot":
                return "short and stout", 418
            await websocket.send_json({"got": data})

    @app.websocket("/handled")
    async def handled():
        await websocket.accept()
        raise Boom()

    @app.errorhandler(Boom)
    async def boom(error: Boom) -> Any:
        return "handled", 200

    return app


class Boom(Exception):
    pass


async def closed_with(ws: Any, message: str) -> tuple[int, str]:
    await ws.send(message)
    try:
        await asyncio.wait_for(ws.recv(), TIMEOUT)
    except ClientConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code, closed.rcvd.reason
    raise AssertionError("the connection stayed open")


async def test_an_http_error_after_accept_closes_with_a_code_that_says_so() -> None:
    """Invalid JSON for ``receive_json()`` (a 400 the handler does not catch), or an
    ``abort(403)``, after accepting: close 1008 with the status as the reason (Quart
    closes with 1000, a normal closure, which tells a client nothing went wrong). A
    handled error's 2xx answer still closes with 1000."""
    async with serve_app(json_app()) as url:
        base = url.replace("http://", "ws://")
        async with connect(f"{base}/json") as ws:
            await ws.send('{"a": 1}')
            reply = await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert json.loads(reply) == {"got": {"a": 1}}  # spacing is the JSON provider's
            assert await closed_with(ws, "{not json") == (1008, "400 Bad Request")
        async with connect(f"{base}/json") as ws:
            assert await closed_with(ws, '"forbidden"') == (1008, "403 Forbidden")
        async with connect(f"{base}/json") as ws:  # a value returned after accept
            assert await closed_with(ws, '"teapot"') == (1008, "418 I'm a teapot")
        async with connect(f"{base}/handled") as ws:
            with pytest.raises(ClientConnectionClosed) as info:
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert info.value.rcvd is not None and info.value.rcvd.code == 1000
