"""Messages: JSON in and out, bad JSON, close code and reason, the message size limit
(1009) and the bound on sends waiting for a slow client (1008)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from erlen import Erlen, websocket
from erlen.exceptions import BadRequest, ConnectionClosed
from erlen.testing import WebsocketDisconnectError


async def test_bad_json_raises_bad_request_and_the_connection_stays_usable() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        while True:
            try:
                data = await websocket.receive_json()
            except BadRequest as error:
                await websocket.send(f"bad: {error.code}")
                continue
            await websocket.send_json({"got": data})

    async with app.test_client().websocket("/ws") as conn:
        await conn.send("{'single': quotes}")
        assert await conn.receive() == "bad: 400"
        await conn.send_json({"a": [1, 2]})
        assert await conn.receive_json() == {"got": {"a": [1, 2]}}


async def test_send_json_takes_arguments_as_jsonify_does() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        await websocket.send_json({"one": 1})
        await websocket.send_json(1, 2, 3)
        await websocket.send_json(name="ann", age=3)
        try:
            await websocket.send_json(1, name="ann")
        except TypeError:
            await websocket.send_json("both refused")

    async with app.test_client().websocket("/ws") as conn:
        assert await conn.receive_json() == {"one": 1}
        assert await conn.receive_json() == [1, 2, 3]
        assert await conn.receive_json() == {"age": 3, "name": "ann"}
        assert await conn.receive_json() == "both refused"


async def test_sending_another_type_is_a_type_error() -> None:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        try:
            await websocket.send({"not": "text"})  # type: ignore[arg-type]
        except TypeError as error:
            await websocket.send(str(error))

    async with app.test_client().websocket("/ws") as conn:
        assert "use send_json()" in await conn.receive()


async def test_close_code_and_reason_reach_the_client() -> None:
    app = Erlen(__name__)
    after_close: list[Any] = []

    @app.websocket("/ws")
    async def ws():
        await websocket.accept()
        await websocket.close(4000, "bye now")
        await websocket.close(1000)  # already closed: nothing happens
        try:
            await websocket.receive()
        except ConnectionClosed as closed:
            after_close.append((closed.code, closed.reason))

    async with app.test_client().websocket("/ws") as conn:
        with pytest.raises(WebsocketDisconnectError) as info:
            await conn.receive()
        with pytest.raises(WebsocketDisconnectError):
            await conn.receive()  # and it stays closed
    assert (info.value.code, info.value.reason) == (4000, "bye now")
    assert after_close == [(4000, "bye now")]


@pytest.mark.parametrize("message", [b"x" * 11, "é" * 6])  # 11 bytes, 12 bytes in UTF-8
async def test_message_over_the_size_limit_closes_1009(message: str | bytes) -> None:
    app = Erlen(__name__)
    app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = 10
    seen: list[int] = []

    @app.websocket("/ws")
    async def ws():
        try:
            while True:
                await websocket.send(await websocket.receive())
        except ConnectionClosed as closed:
            seen.append(closed.code)

    async with app.test_client().websocket("/ws") as conn:
        await conn.send(b"y" * 10)  # at the limit: fine
        assert await conn.receive() == b"y" * 10
        await conn.send(message)
        with pytest.raises(WebsocketDisconnectError) as info:
            await conn.receive()
    assert (info.value.code, info.value.reason) == (1009, "Message too big")
    assert seen == [1009]


async def test_a_size_limit_set_after_connections_were_served_applies_to_the_next() -> None:
    """The plugin's settings follow the config: a test that lowers the limit on an app
    that already served a connection gets it from the next connection on."""
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        while True:
            await websocket.send(await websocket.receive())

    async with app.test_client().websocket("/ws") as conn:
        await conn.send(b"y" * 20)
        assert await conn.receive() == b"y" * 20
    app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = 10
    async with app.test_client().websocket("/ws") as conn:
        await conn.send(b"y" * 20)
        with pytest.raises(WebsocketDisconnectError) as info:
            await conn.receive()
    assert info.value.code == 1009


async def test_sends_piling_up_on_a_slow_client_close_it_1008() -> None:
    """A server whose socket to the client is stuck: sends wait until it drains."""
    app = Erlen(__name__)
    app.config["WEBSOCKET_SEND_QUEUE_SIZE"] = 2
    outcomes: list[Any] = []

    @app.websocket("/ws")
    async def ws():
        await websocket.accept()
        conn = websocket._get_current_object()

        async def send_one(text: str) -> Any:
            # Caught here: a ConnectionClosed escaping a task marks the task cancelled.
            try:
                return await conn.send(text)
            except ConnectionClosed as closed:
                return closed

        outcomes.extend(await asyncio.gather(*(send_one(f"m{i}") for i in range(4))))

    drained = asyncio.Event()
    sent: list[dict[str, Any]] = []
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    incoming.put_nowait({"type": "websocket.connect"})

    async def receive() -> dict[str, Any]:
        return await incoming.get()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "websocket.send":
            await drained.wait()
        elif message["type"] == "websocket.close":
            drained.set()  # the client finally reads; then it answers the close
            incoming.put_nowait({"type": "websocket.disconnect", "code": 1008})

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "scheme": "ws",
        "path": "/ws",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "subprotocols": [],
    }
    await asyncio.wait_for(app(scope, receive, send), 5)
    # The two stuck sends are released too: the client was dropped, they were not sent.
    assert [type(o) for o in outcomes] == [ConnectionClosed] * 4
    assert all(o.code == 1008 for o in outcomes)
    closes = [m for m in sent if m["type"] == "websocket.close"]
    assert closes == [{"type": "websocket.close", "code": 1008, "reason": "Client too slow"}]


async def test_no_send_queue_size_lets_sends_wait_without_bound() -> None:
    """``WEBSOCKET_SEND_QUEUE_SIZE = None``: a hundred sends waiting on a stuck client are
    all sent once it drains, and the connection ends normally."""
    app = Erlen(__name__)
    app.config["WEBSOCKET_SEND_QUEUE_SIZE"] = None
    drained = asyncio.Event()
    seen_pending: list[int] = []

    @app.websocket("/ws")
    async def ws():
        await websocket.accept()
        conn = websocket.connection
        sends = [asyncio.ensure_future(conn.send(f"m{i}")) for i in range(100)]
        for _ in range(1000):  # bounded: until every send waits on the client
            if conn.pending_sends == 100:
                break
            await asyncio.sleep(0)
        seen_pending.append(conn.pending_sends)
        drained.set()
        await asyncio.gather(*sends)
        seen_pending.append(conn.pending_sends)

    sent: list[dict[str, Any]] = []
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    incoming.put_nowait({"type": "websocket.connect"})

    async def receive() -> dict[str, Any]:
        return await incoming.get()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "websocket.send":
            await drained.wait()
        sent.append(message)
        if message["type"] == "websocket.close":
            incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "scheme": "ws",
        "path": "/ws",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "subprotocols": [],
    }
    await asyncio.wait_for(app(scope, receive, send), 5)
    assert seen_pending == [100, 0]
    texts = [m["text"] for m in sent if m["type"] == "websocket.send"]
    assert sorted(texts) == sorted(f"m{i}" for i in range(100))
    assert sent[-1] == {"type": "websocket.close", "code": 1000, "reason": ""}


async def test_send_takes_str_bytes_and_their_kin() -> None:
    """``send`` sends a ``str`` (or a subclass) as text and ``bytes``, a ``bytearray`` or a
    ``memoryview`` as binary; anything else is a ``TypeError`` naming its type."""

    class Text(str):
        pass

    errors: list[str] = []
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws():
        for data in ("text", Text("sub"), b"raw", bytearray(b"array"), memoryview(b"view")):
            await websocket.send(data)
        try:
            await websocket.send(42)  # type: ignore[arg-type]
        except TypeError as error:
            errors.append(str(error))
        await websocket.send("done")

    async with app.test_client().websocket("/ws") as conn:
        received = [await conn.receive() for _ in range(6)]
    assert received == ["text", "sub", b"raw", b"array", b"view", "done"]
    assert [type(item) for item in received[2:5]] == [bytes, bytes, bytes]
    assert errors == [
        "websocket.send() takes str or bytes, not int; use send_json() for other values"
    ]


@pytest.mark.parametrize("count", [63, 64, 300])
async def test_a_push_loop_lets_other_tasks_run(count: int) -> None:
    """A handler sending to a client that takes each message at once (the test client's
    send never waits) awaits nothing else, yet other tasks still run: ``send()`` yields
    to the event loop at every 64th send in a row, past 128 sends too."""
    app = Erlen(__name__)
    turns_while_sending: list[int] = []

    @app.websocket("/push")
    async def push():
        turns = 0

        async def other_client() -> None:
            nonlocal turns
            while True:
                turns += 1
                await asyncio.sleep(0)

        task = asyncio.ensure_future(other_client())
        await asyncio.sleep(0)
        before = turns
        for number in range(count):
            await websocket.send(str(number))
        turns_while_sending.append(turns - before)
        task.cancel()

    async with app.test_client().websocket("/push") as conn:
        assert [await conn.receive() for _ in range(count)] == [str(n) for n in range(count)]
    assert turns_while_sending[0] >= count // 64
