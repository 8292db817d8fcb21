"""Clients leaving a chat served by hypercorn on 127.0.0.1 (issue 20).

The chat is the pattern Quart's docs teach for broadcasting: a task started by the
handler reads the socket and publishes to every client's queue, the handler awaits its
queue and sends. Hundreds of clients connect, chat and leave, closing normally or
vanishing without a close frame; the number of live handlers returns to zero within a
bounded wait, and the server still serves. A handler that swallows the cancellation is
logged and cancelled again after ``WEBSOCKET_DISCONNECT_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from erlen import Erlen, websocket
from erlen.exceptions import ConnectionClosed
from erlen.plugins.testing.server import serve_app
from websockets.asyncio.client import ClientConnection, connect

TIMEOUT = 10.0  # bounds each wait; a handler left behind fails the test instead
ROUNDS = 10
CLIENTS_PER_ROUND = 20  # 200 clients in all


class Chat:
    """What the test reads from the app: live handlers, queues, how each one ended."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[Any]] = set()
        self.live = 0
        self.ended: list[str] = []
        self.readers: list[int] = []


def make_app() -> tuple[Erlen, Chat]:
    app = Erlen(__name__)
    app.config["WEBSOCKET_DISCONNECT_TIMEOUT"] = 0.5
    chat = Chat()

    async def _receive() -> None:
        try:
            while True:
                message = await websocket.receive()
                for queue in chat.queues:
                    await queue.put(message)
        except ConnectionClosed as closed:
            chat.readers.append(closed.code)
            raise

    @app.websocket("/chat")
    async def room() -> None:
        chat.live += 1
        queue: asyncio.Queue[Any] = asyncio.Queue()
        chat.queues.add(queue)
        task = asyncio.ensure_future(_receive())
        try:
            while True:
                await websocket.send(await queue.get())
        except asyncio.CancelledError:
            chat.ended.append("cancelled")
            raise
        finally:
            chat.queues.discard(queue)
            task.cancel()
            chat.live -= 1

    @app.websocket("/stubborn")
    async def stubborn() -> None:
        chat.live += 1
        task = asyncio.ensure_future(_receive())
        try:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                chat.ended.append("ignored")  # a buggy handler: swallows it, waits on
            await asyncio.sleep(30)
        finally:
            task.cancel()
            chat.live -= 1

    @app.websocket("/echo")
    async def echo() -> None:
        while True:
            await websocket.send(await websocket.receive())

    return app, chat


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[str, Chat]]:
    app, chat = make_app()
    async with serve_app(app) as url:
        yield url.replace("http://", "ws://"), chat


async def until(condition: Any, what: str, timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"not within {timeout}s: {what}"
        await asyncio.sleep(0.01)


async def chat_round(base_url: str, chat: Chat, round_number: int) -> list[ClientConnection]:
    """Connect a round of clients, each says one line and hears every line."""
    clients = await asyncio.gather(
        *(
            connect(f"{base_url}/chat", open_timeout=TIMEOUT, ping_interval=None)
            for _ in range(CLIENTS_PER_ROUND)
        )
    )
    await until(lambda: chat.live == CLIENTS_PER_ROUND, "every client's handler subscribed")
    lines = {f"round {round_number} client {index}" for index in range(CLIENTS_PER_ROUND)}
    for index, client in enumerate(clients):
        await client.send(f"round {round_number} client {index}")

    async def hear_all(client: ClientConnection) -> set[str]:
        return {await client.recv() for _ in range(CLIENTS_PER_ROUND)}  # type: ignore[misc]

    heard = await asyncio.wait_for(asyncio.gather(*(hear_all(c) for c in clients)), TIMEOUT)
    assert all(each == lines for each in heard)
    return list(clients)


async def still_serves(base_url: str) -> None:
    async with connect(f"{base_url}/echo", open_timeout=TIMEOUT) as ws:
        await ws.send("still here")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "still here"


async def test_hundreds_of_clients_chat_and_leave(served: tuple[str, Chat]) -> None:
    base_url, chat = served
    for round_number in range(ROUNDS):
        clients = await chat_round(base_url, chat, round_number)
        await asyncio.wait_for(asyncio.gather(*(c.close() for c in clients)), TIMEOUT)
        await until(lambda: chat.live == 0, f"no live handler after round {round_number}")
    assert chat.queues == set()
    assert chat.ended == ["cancelled"] * ROUNDS * CLIENTS_PER_ROUND
    # Each handler's reader task saw its client leave as ConnectionClosed.
    assert len(chat.readers) == ROUNDS * CLIENTS_PER_ROUND
    await still_serves(base_url)


async def test_hundreds_of_clients_vanish_without_a_close_frame(
    served: tuple[str, Chat],
) -> None:
    base_url, chat = served
    for round_number in range(ROUNDS):
        clients = await chat_round(base_url, chat, round_number)
        for client in clients:
            client.transport.abort()  # TCP reset: no close frame
        await until(lambda: chat.live == 0, f"no live handler after round {round_number}")
    assert chat.queues == set()
    assert chat.ended == ["cancelled"] * ROUNDS * CLIENTS_PER_ROUND
    assert set(chat.readers) == {1006}  # abnormal closure: no close frame
    await still_serves(base_url)


async def test_a_handler_swallowing_the_cancellation_is_logged_and_cancelled_again(
    served: tuple[str, Chat], caplog: pytest.LogCaptureFixture
) -> None:
    base_url, chat = served
    caplog.set_level(logging.WARNING)
    async with connect(f"{base_url}/stubborn", open_timeout=TIMEOUT) as ws:
        await until(lambda: chat.live == 1, "the handler runs")
        await ws.send("hello")
    # Cancelled when the client left (swallowed), then WEBSOCKET_DISCONNECT_TIMEOUT
    # (0.5 s) later logged and cancelled again, which ends it.
    await until(lambda: chat.live == 0, "the stubborn handler ended")
    assert chat.ended == ["ignored"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("'/stubborn'" in w and "still running" in w for w in warnings), warnings
    await still_serves(base_url)
