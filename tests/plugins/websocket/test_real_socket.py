"""The websocket plugin behind a real server: hypercorn on 127.0.0.1 (a free port),
driven by the `websockets` client library."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from erlen import Erlen, abort, websocket
from erlen.exceptions import ConnectionClosed
from erlen.plugins.testing.server import serve_app
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed as ClientConnectionClosed
from websockets.exceptions import ConnectionClosedOK, InvalidStatus

TIMEOUT = 10


def make_app() -> Erlen:
    app = Erlen(__name__)
    app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = 2 * 1024 * 1024

    @app.websocket("/echo")
    async def echo():
        try:
            while True:
                await websocket.send(await websocket.receive())
        except ConnectionClosed:
            pass

    @app.websocket("/proto")
    async def proto():
        await websocket.accept(
            headers={"X-Chosen-By": "erlen"}, subprotocol=websocket.requested_subprotocols[-1]
        )
        await websocket.send(",".join(websocket.requested_subprotocols))

    @app.websocket("/types")
    async def types():
        while True:
            data = await websocket.receive()
            await websocket.send(type(data).__name__)
            await websocket.send(data)

    @app.websocket("/bye")
    async def bye():
        await websocket.accept()
        await websocket.close(4000, "done here")

    @app.websocket("/closed-early")
    async def closed_early():
        await websocket.close(1008, "no")

    @app.websocket("/feed")
    async def feed():
        try:
            while True:
                await websocket.send("tick")
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:  # ConnectionClosed in send(), else cancelled
            app.config["FEED_ENDED"].append(websocket.close_code)
            raise

    room: set[object] = set()

    @app.websocket("/room")
    async def chat_room():
        me = websocket._get_current_object()
        room.add(me)
        await websocket.send("joined")
        try:
            while True:
                message = await websocket.receive()
                for other in room.copy():
                    if other is not me:
                        await other.send(message)
        finally:
            room.discard(me)

    @app.websocket("/returned")
    async def returned():
        return "Invalid password", 403

    @app.websocket("/aborted")
    async def aborted():
        abort(401)

    return app


@pytest_asyncio.fixture
async def app() -> Erlen:
    app = make_app()
    app.config["FEED_ENDED"] = []
    return app


@pytest_asyncio.fixture
async def base_url(app: Erlen) -> AsyncIterator[str]:
    async with serve_app(app) as url:
        yield url.replace("http://", "ws://")


async def test_subprotocol_and_accept_headers(base_url: str) -> None:
    async def scenario() -> None:
        async with connect(f"{base_url}/proto", subprotocols=["one", "two"]) as ws:
            assert ws.subprotocol == "two"
            assert ws.response.headers["X-Chosen-By"] == "erlen"
            assert await ws.recv() == "one,two"

    await asyncio.wait_for(scenario(), TIMEOUT)


async def test_str_and_bytes_round_trip(base_url: str) -> None:
    async def scenario() -> None:
        async with connect(f"{base_url}/types") as ws:
            await ws.send("héllo")
            assert await ws.recv() == "str"
            assert await ws.recv() == "héllo"
            await ws.send(b"\x00\x01\xff")
            assert await ws.recv() == "bytes"
            assert await ws.recv() == b"\x00\x01\xff"

    await asyncio.wait_for(scenario(), TIMEOUT)


async def test_a_1mb_message(base_url: str) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB

    async def scenario() -> None:
        async with connect(f"{base_url}/echo", max_size=2 * 1024 * 1024) as ws:
            await ws.send(payload)
            assert await ws.recv() == payload

    await asyncio.wait_for(scenario(), TIMEOUT)


async def test_close_code_and_reason_seen_by_the_client(base_url: str) -> None:
    async def scenario() -> None:
        async with connect(f"{base_url}/bye") as ws:
            with pytest.raises(ClientConnectionClosed) as info:
                await ws.recv()
        assert info.value.rcvd is not None
        assert (info.value.rcvd.code, info.value.rcvd.reason) == (4000, "done here")

    await asyncio.wait_for(scenario(), TIMEOUT)


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/closed-early", 403, b""),
        ("/returned", 403, b"Invalid password"),
        ("/aborted", 401, b"Unauthorized"),
        ("/missing", 404, b"Not Found"),
    ],
)
async def test_rejected_handshakes(base_url: str, path: str, status: int, body: bytes) -> None:
    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as info:
            async with connect(f"{base_url}{path}"):
                pass
        response = info.value.response
        assert response.status_code == status
        assert body in (response.body or b"")

    await asyncio.wait_for(scenario(), TIMEOUT)


async def test_http_request_to_a_websocket_route_is_a_400(base_url: str) -> None:
    import httpx

    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        response = await client.get(base_url.replace("ws://", "http://") + "/echo")
    assert response.status_code == 400


async def test_100_concurrent_echo_clients(base_url: str) -> None:
    async def client(index: int) -> list[str]:
        async with connect(f"{base_url}/echo") as ws:
            replies = []
            for round_ in range(3):
                await ws.send(f"{index}:{round_}")
                replies.append(await ws.recv())
            return replies

    results = await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(100))), 30)
    assert results == [[f"{i}:{r}" for r in range(3)] for i in range(100)]


async def test_client_close_is_a_normal_close(base_url: str) -> None:
    async def scenario() -> None:
        ws = await connect(f"{base_url}/echo")
        await ws.send("x")
        assert await ws.recv() == "x"
        await ws.close(1000)
        with pytest.raises(ConnectionClosedOK):
            await ws.recv()

    await asyncio.wait_for(scenario(), TIMEOUT)


async def test_a_handler_that_only_sends_sees_the_client_leave(app: Erlen, base_url: str) -> None:
    async def scenario() -> None:
        async with connect(f"{base_url}/feed") as ws:
            assert await ws.recv() == "tick"
            assert await ws.recv() == "tick"
        for _ in range(500):  # bounded: the handler ends once its reader sees the close
            if app.config["FEED_ENDED"]:
                break
            await asyncio.sleep(0.01)

    await asyncio.wait_for(scenario(), TIMEOUT)
    assert app.config["FEED_ENDED"] == [1000]  # the client's own close code


async def test_broadcast_between_two_clients(base_url: str) -> None:
    async def scenario() -> None:
        async with connect(f"{base_url}/room") as ann, connect(f"{base_url}/room") as bob:
            assert await ann.recv() == "joined"
            assert await bob.recv() == "joined"
            await ann.send("ping")
            assert await bob.recv() == "ping"
            await bob.send("pong")
            assert await ann.recv() == "pong"
            await bob.send(b"bytes too")
            assert await ann.recv() == b"bytes too"

    await asyncio.wait_for(scenario(), TIMEOUT)
