"""Client disconnects: `ConnectionClosed` (a `CancelledError`) in a handler waiting in
receive(), in a handler that only sends, and background tasks keeping the context."""

from __future__ import annotations

import asyncio
from typing import Any

from erlen import (
    Erlen,
    copy_current_websocket_context,
    has_websocket_context,
    websocket,
)
from erlen.exceptions import ConnectionClosed


async def test_receive_raises_connection_closed_with_the_clients_code() -> None:
    app = Erlen(__name__)
    seen: list[BaseException] = []
    torn_down: list[Any] = []

    @app.websocket("/ws")
    async def ws():
        try:
            await websocket.receive()
        except ConnectionClosed as closed:
            seen.append(closed)
            raise

    @app.teardown_websocket
    async def teardown(exc: BaseException | None) -> None:
        torn_down.append(exc)

    async with app.test_client().websocket("/ws") as conn:
        await conn.close(4002, "leaving")
    (closed,) = seen
    assert isinstance(closed, asyncio.CancelledError)
    assert (closed.code, closed.reason) == (4002, "leaving")
    assert torn_down == [closed]


async def test_a_handler_that_only_sends_ends_when_its_client_leaves() -> None:
    app = Erlen(__name__)
    ended: list[Any] = []

    @app.websocket("/feed")
    async def feed():
        count = 0
        try:
            while True:
                count += 1
                await websocket.send(f"item {count}")
                await asyncio.sleep(0.001)
        except asyncio.CancelledError:  # ConnectionClosed in send(), else cancelled
            ended.append(websocket.close_code)
            raise

    async with app.test_client().websocket("/feed") as conn:
        assert await conn.receive() == "item 1"
        assert await conn.receive() == "item 2"
        assert await conn.receive() == "item 3"
    # Leaving the block waited for the handler: its reader saw the client leave.
    assert ended == [1000]


async def test_a_fan_out_handler_after_receiving_ends_when_its_client_leaves() -> None:
    """Ten messages per message received: the handler learns of the departure in
    receive(), with the client's close code."""
    app = Erlen(__name__)
    ended: list[Any] = []

    @app.websocket("/fanout")
    async def fanout():
        try:
            while True:
                data = await websocket.receive()
                for i in range(10):
                    await websocket.send(f"{data} {i}")
        except ConnectionClosed as closed:
            ended.append(closed.code)
            raise

    async with app.test_client().websocket("/fanout") as conn:
        for word in ("a", "b", "c"):
            await conn.send(word)
            assert [await conn.receive() for _ in range(10)] == [f"{word} {i}" for i in range(10)]
        await conn.close(4003, "done")
    assert ended == [4003]


async def test_a_handler_pushing_after_receiving_once_ends_when_its_client_leaves() -> None:
    """One message received (a subscription), then only sends: the connection watch
    starts the reader, which sees the client leave and cancels the handler."""
    app = Erlen(__name__)
    ended: list[Any] = []

    @app.websocket("/subscribe")
    async def subscribe():
        topic = await websocket.receive()
        count = 0
        try:
            while True:
                count += 1
                await websocket.send(f"{topic} {count}")
                await asyncio.sleep(0.005)
        except asyncio.CancelledError:  # ConnectionClosed in send(), else cancelled
            ended.append(websocket.close_code)
            raise

    async def scenario() -> None:
        async with app.test_client().websocket("/subscribe") as conn:
            await conn.send("news")
            assert [await conn.receive() for _ in range(3)] == ["news 1", "news 2", "news 3"]

    await asyncio.wait_for(scenario(), 10)
    assert ended == [1000]


async def test_a_sending_handler_still_receives_what_the_client_sent() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        await websocket.send("one")
        await websocket.send("two")  # two sends in a row: reads continue in the background
        await websocket.send(f"echo {await websocket.receive()}")
        await websocket.send(f"echo {await websocket.receive()}")

    async with app.test_client().websocket("/ws") as conn:
        await conn.send("a")
        await conn.send(b"b")
        assert [await conn.receive() for _ in range(4)] == ["one", "two", "echo a", "echo b'b'"]


async def test_background_tasks_keep_the_websocket_context() -> None:
    app = Erlen(__name__)
    results: list[Any] = []

    async def heartbeat() -> None:
        try:
            while True:
                await asyncio.sleep(0.005)
                await websocket.send_json({"type": "heartbeat", "path": websocket.path})
        except (ConnectionClosed, asyncio.CancelledError):
            results.append("heartbeat stopped")

    @app.websocket("/ws/heartbeat")
    async def ws():
        await websocket.accept()
        task = asyncio.create_task(heartbeat())

        @copy_current_websocket_context
        async def later() -> bool:
            return has_websocket_context() and websocket.path == "/ws/heartbeat"

        results.append(await asyncio.get_running_loop().create_task(later()))
        try:
            while True:
                await websocket.receive()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async with app.test_client().websocket("/ws/heartbeat") as conn:
        assert await conn.receive_json() == {"type": "heartbeat", "path": "/ws/heartbeat"}
        assert await conn.receive_json() == {"type": "heartbeat", "path": "/ws/heartbeat"}
    assert results == [True, "heartbeat stopped"]
