"""Slow consumers over a real socket: a client that stops reading while the server keeps
sending is closed with 1008 within bounded time, the senders get ``ConnectionClosed``,
and the number of sends waiting on it stays within ``WEBSOCKET_SEND_QUEUE_SIZE``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from erlen import Erlen, websocket
from erlen.exceptions import ConnectionClosed
from erlen.plugins.testing.server import serve_app
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed as ClientConnectionClosed

TIMEOUT = 3.0
CHUNK = b"x" * 65536


def make_app(send_timeout: float | None) -> tuple[Erlen, dict[str, Any]]:
    app = Erlen(__name__)
    app.config["WEBSOCKET_SEND_QUEUE_SIZE"] = 4
    app.config["WEBSOCKET_SEND_TIMEOUT"] = send_timeout
    seen: dict[str, Any] = {"pending": [], "closed": [], "outcomes": []}

    @app.websocket("/push")
    async def push():
        """One sender: the queue bound never fills; the send timeout ends it."""
        await websocket.accept()
        try:
            while True:
                seen["pending"].append(websocket.pending_sends)
                await websocket.send(CHUNK)
        except ConnectionClosed as closed:
            seen["closed"].append((closed.code, closed.reason))

    @app.websocket("/broadcast")
    async def broadcast():
        """Concurrent senders (a broadcast): the queue bound ends it at once."""
        await websocket.accept()
        conn = websocket._get_current_object()

        async def send_one() -> Any:
            seen["pending"].append(conn.pending_sends)
            try:
                await conn.send(CHUNK)
            except ConnectionClosed as closed:
                return closed.code
            return "sent"

        senders = []
        while not conn.closed:  # a new message to fan out, without waiting for the last
            senders.append(asyncio.ensure_future(send_one()))
            await asyncio.sleep(0)
        seen["outcomes"] = await asyncio.gather(*senders)  # each one returns
        seen["closed"].append((conn.close_code, conn.close_reason))

    @app.websocket("/echo")
    async def echo():
        while True:
            await websocket.send(await websocket.receive())

    return app, seen


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[str, dict[str, Any]]]:
    app, seen = make_app(send_timeout=0.3)
    async with serve_app(app) as url:
        yield url.replace("http://", "ws://"), seen


@pytest_asyncio.fixture
async def served_without_timeout() -> AsyncIterator[tuple[str, dict[str, Any]]]:
    app, seen = make_app(send_timeout=None)  # only the queue bound
    async with serve_app(app) as url:
        yield url.replace("http://", "ws://"), seen


async def until(condition: Any, timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def drain_until_closed(ws: Any) -> int:
    """Read what the server sent; returns the close code the client finally sees."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    except ClientConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code


async def still_serves(base_url: str) -> None:
    async with connect(f"{base_url}/echo", open_timeout=TIMEOUT) as ws:
        await ws.send("still here")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "still here"


async def test_a_client_that_stops_reading_is_dropped_after_the_send_timeout(
    served: Any,
) -> None:
    base_url, seen = served
    # max_queue=1: the client library stops reading the socket (TCP backpressure).
    async with connect(
        f"{base_url}/push", max_queue=1, max_size=None, compression=None, open_timeout=TIMEOUT
    ) as ws:
        await until(lambda: seen["closed"])
        assert seen["closed"] == [(1008, "Client too slow")]
        assert max(seen["pending"]) == 0  # one sender: never more than one send waiting
        assert await drain_until_closed(ws) == 1008
    await still_serves(base_url)


async def test_a_broadcast_to_a_client_that_stops_reading_is_bounded(
    served_without_timeout: Any,
) -> None:
    base_url, seen = served_without_timeout
    async with connect(
        f"{base_url}/broadcast",
        max_queue=1,
        max_size=None,
        compression=None,
        open_timeout=TIMEOUT,
    ) as ws:
        await until(lambda: seen["closed"])
        assert seen["closed"] == [(1008, "Client too slow")]
        # At most WEBSOCKET_SEND_QUEUE_SIZE sends ever waited on the slow client (so at
        # most that many messages were held), and every sender was released.
        assert max(seen["pending"]) <= 4
        assert 1008 in seen["outcomes"]
        assert set(seen["outcomes"]) <= {"sent", 1008}
        assert await drain_until_closed(ws) == 1008
    await still_serves(base_url)


async def test_an_http_view_broadcasting_to_a_slow_client_still_answers() -> None:
    """Quart drops sends to a client that is gone; a client dropped for being slow is
    gone too, so the view that broadcast to it answers normally."""
    app = Erlen(__name__)
    app.config["WEBSOCKET_SEND_QUEUE_SIZE"] = 4
    app.config["WEBSOCKET_SEND_TIMEOUT"] = 0.3
    clients: list[Any] = []

    @app.websocket("/listen")
    async def listen():
        conn = websocket._get_current_object()
        await conn.accept()
        clients.append(conn)
        while True:
            await conn.receive()

    @app.websocket("/echo")
    async def echo():
        while True:
            await websocket.send(await websocket.receive())

    @app.post("/broadcast")
    async def broadcast():
        for _ in range(2000):  # bounded; far more than the socket buffers hold
            if all(conn.closed for conn in clients):
                break
            for conn in clients:
                await conn.send(CHUNK)
        return "done"

    async with serve_app(app) as url:
        base_url = url.replace("http://", "ws://")
        async with connect(
            f"{base_url}/listen", max_queue=1, max_size=None, compression=None
        ) as ws:
            await until(lambda: clients)
            async with httpx.AsyncClient(timeout=TIMEOUT) as http:
                response = await http.post(f"{url}/broadcast")
            assert (response.status_code, response.text) == (200, "done")
            assert await drain_until_closed(ws) == 1008
        await still_serves(base_url)
