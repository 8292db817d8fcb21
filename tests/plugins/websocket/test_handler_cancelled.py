"""A handler ends when its connection ends, whatever it awaits (issue 20), through the
test client: the handler is cancelled when a task it started reads the client's
departure, when its connection's reader does, or when the app closes the connection from
elsewhere; tasks reading the socket get ``ConnectionClosed``; a handler that ignores the
cancellation is bounded by the test client's timeout and logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from erlen import Erlen, websocket
from erlen.exceptions import ConnectionClosed
from erlen.testing import WebsocketDisconnectError

TIMEOUT = 3.0  # bounds every scenario; the test client's own timeout is 5 s


def queue_chat_app() -> tuple[Erlen, dict[str, Any]]:
    """The pattern of Quart's docs: a task reads the socket and feeds every client's
    queue; the handler itself awaits its queue and sends."""
    app = Erlen(__name__)
    state: dict[str, Any] = {"queues": set(), "ended": [], "reader": []}

    async def _receive() -> None:
        try:
            while True:
                message = await websocket.receive()
                for queue in state["queues"]:
                    await queue.put(message)
        except ConnectionClosed as closed:
            state["reader"].append(closed.code)
            raise

    @app.websocket("/ws")
    async def ws() -> None:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        state["queues"].add(queue)
        task = asyncio.ensure_future(_receive())
        try:
            while True:
                await websocket.send(await queue.get())
        except asyncio.CancelledError:
            state["ended"].append("cancelled")
            raise
        finally:
            state["queues"].discard(queue)
            task.cancel()

    return app, state


async def test_the_queue_pattern_ends_when_the_client_leaves() -> None:
    app, state = queue_chat_app()

    async def scenario() -> None:
        async with app.test_client().websocket("/ws") as conn:
            await conn.send("hello")
            assert await conn.receive() == "hello"
        # Leaving returned (no TimeoutError): the handler's finally ran.

    await asyncio.wait_for(scenario(), TIMEOUT)
    assert state["ended"] == ["cancelled"]
    assert state["reader"] == [1000]  # the task reading the socket saw ConnectionClosed
    assert state["queues"] == set()


async def test_the_queue_pattern_broadcasts_between_clients_and_each_leaves() -> None:
    app, state = queue_chat_app()
    client = app.test_client()

    async def scenario() -> None:
        async with client.websocket("/ws") as ann:
            async with client.websocket("/ws") as bob:
                await ann.send("from ann")
                assert await ann.receive() == "from ann"
                assert await bob.receive() == "from ann"
            assert len(state["queues"]) == 1  # bob's handler ended, ann's runs on
            await ann.send("still here")
            assert await ann.receive() == "still here"

    await asyncio.wait_for(scenario(), TIMEOUT)
    assert state["ended"] == ["cancelled", "cancelled"]
    assert state["queues"] == set()


class Broker:
    """A publish/subscribe hub with one queue per subscriber."""

    def __init__(self) -> None:
        self.subscribers: set[asyncio.Queue[str]] = set()

    async def publish(self, message: str) -> None:
        for queue in self.subscribers:
            await queue.put(message)

    async def subscribe(self) -> AsyncGenerator[str, None]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self.subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self.subscribers.discard(queue)


async def test_a_chat_with_a_broker_subscription_and_a_reader_task() -> None:
    """Our own test of the shape of Quart's ``examples/chat``: the handler iterates a
    broker subscription while a task publishes what the client sends; the test receives
    from a task of its own while it sends."""
    app = Erlen(__name__)
    broker = Broker()
    finished: list[str] = []

    async def publish_incoming() -> None:
        while True:
            await broker.publish(await websocket.receive())

    @app.websocket("/ws")
    async def ws() -> None:
        task = asyncio.ensure_future(publish_incoming())
        try:
            async for message in broker.subscribe():
                await websocket.send(message)
        finally:
            task.cancel()
            finished.append("finally")
            await asyncio.gather(task, return_exceptions=True)

    async def scenario() -> None:
        async with app.test_client().websocket("/ws") as conn:
            reply = asyncio.ensure_future(conn.receive())
            await conn.send("message")
            assert await reply == "message"

    await asyncio.wait_for(scenario(), TIMEOUT)
    assert finished == ["finally"]
    assert broker.subscribers == set()


async def test_a_task_group_of_reader_and_writer_ends_when_the_client_leaves() -> None:
    """A reader ending with ``ConnectionClosed`` counts as cancelled, which a
    ``TaskGroup`` ignores: the group ends because the handler is cancelled."""
    app = Erlen(__name__)
    outcome: list[Any] = []
    updates: asyncio.Queue[str] = asyncio.Queue()

    async def reader() -> None:
        while True:
            await updates.put(f"got {await websocket.receive()}")

    async def writer() -> None:
        while True:
            await websocket.send(await updates.get())

    @app.websocket("/ws")
    async def ws() -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(reader())
                group.create_task(writer())
        except asyncio.CancelledError:
            outcome.append(websocket.close_code)
            raise

    async def scenario() -> None:
        async with app.test_client().websocket("/ws") as conn:
            await conn.send("a")
            assert await conn.receive() == "got a"
            await conn.close(4001, "bye")

    await asyncio.wait_for(scenario(), TIMEOUT)
    assert outcome == [4001]


async def test_messages_sent_before_leaving_are_still_handed_to_the_handler() -> None:
    """The connection's reader saw the client leave while the handler was busy: the
    handler is not cancelled while it keeps reading what the client sent before."""
    app = Erlen(__name__)
    handled: list[Any] = []

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send("welcome")
        await websocket.send("rules")  # two sends in a row: the reader starts
        try:
            while True:
                message = await websocket.receive()
                await asyncio.sleep(0.05)  # slow work per message
                handled.append(message)
        except ConnectionClosed as closed:
            handled.append(closed.code)

    async def scenario() -> None:
        async with app.test_client().websocket("/ws") as conn:
            assert [await conn.receive(), await conn.receive()] == ["welcome", "rules"]
            for number in range(5):
                await conn.send(f"m{number}")

    await asyncio.wait_for(scenario(), TIMEOUT)
    assert handled == ["m0", "m1", "m2", "m3", "m4", 1000]


async def test_closing_a_connection_from_elsewhere_ends_its_handler() -> None:
    """The app closes a client's connection from an HTTP view (a kick) while its
    handler awaits a queue: the client sees the close, the handler ends."""
    app = Erlen(__name__)
    members: set[Any] = set()
    ended: list[Any] = []

    @app.websocket("/room")
    async def room() -> None:
        me = websocket._get_current_object()
        members.add(me)
        try:
            await websocket.send("joined")
            await asyncio.Queue().get()  # nothing to send: waits for ever
        except asyncio.CancelledError:
            ended.append(websocket.close_code)
            raise
        finally:
            members.discard(me)

    @app.post("/kick")
    async def kick() -> str:
        for member in list(members):
            await member.close(4000, "kicked")
        return "kicked"

    async def scenario() -> None:
        client = app.test_client()
        async with client.websocket("/room") as conn:
            assert await conn.receive() == "joined"
            response = await client.post("/kick")
            assert await response.get_data(as_text=True) == "kicked"
            with pytest.raises(WebsocketDisconnectError) as closed:
                await conn.receive()
            assert (closed.value.code, closed.value.reason) == (4000, "kicked")
        assert members == set()

    await asyncio.wait_for(scenario(), TIMEOUT)
    assert ended == [4000]


async def test_a_handler_awaiting_the_tasks_that_close_it_gets_their_results() -> None:
    """Closing from a task the handler awaits does not cancel the handler under it."""
    app = Erlen(__name__)
    results: list[Any] = []

    @app.websocket("/ws")
    async def ws() -> None:
        async def finish() -> str:
            await websocket.close(4002, "finished")
            return "closed by a task"

        await websocket.accept()
        results.append(await asyncio.ensure_future(finish()))

    async def scenario() -> None:
        async with app.test_client().websocket("/ws") as conn:
            with pytest.raises(WebsocketDisconnectError) as closed:
                await conn.receive()
            assert closed.value.code == 4002

    await asyncio.wait_for(scenario(), TIMEOUT)
    assert results == ["closed by a task"]


async def test_a_handler_ignoring_the_cancellation_is_bounded_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Erlen(__name__)
    app.config["WEBSOCKET_DISCONNECT_TIMEOUT"] = 0.2
    ignored: list[str] = []

    async def _receive() -> None:
        while True:
            await websocket.receive()

    @app.websocket("/stubborn")
    async def stubborn() -> None:
        task = asyncio.ensure_future(_receive())
        try:
            while len(ignored) < 2:  # a buggy handler: swallows two cancellations
                try:
                    await asyncio.sleep(30)
                except asyncio.CancelledError:
                    ignored.append("ignored")
            await asyncio.sleep(30)
        finally:
            task.cancel()

    caplog.set_level(logging.WARNING)
    connection = app.test_client().websocket("/stubborn")
    connection.timeout = 1.0
    with pytest.raises(TimeoutError, match="did not finish within 1.0s"):
        async with connection:
            pass
    # The client left: cancelled once; WEBSOCKET_DISCONNECT_TIMEOUT later, logged and
    # cancelled again; then the test client's timeout cancelled it for good.
    assert ignored == ["ignored", "ignored"]
    (record,) = [r for r in caplog.records if "still running" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "'/stubborn'" in record.getMessage()
    assert "must return or re-raise it" in record.getMessage()


async def test_the_disconnect_timeout_defaults_to_ten_seconds_and_none_turns_it_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert Erlen(__name__).config["WEBSOCKET_DISCONNECT_TIMEOUT"] == 10.0
    app = Erlen(__name__)
    app.config["WEBSOCKET_DISCONNECT_TIMEOUT"] = None
    ignored: list[str] = []

    async def _receive() -> None:
        while True:
            await websocket.receive()

    @app.websocket("/stubborn")
    async def stubborn() -> None:
        task = asyncio.ensure_future(_receive())
        try:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                ignored.append("ignored")  # swallowed: nothing cancels it again
            await asyncio.sleep(30)
        finally:
            task.cancel()

    caplog.set_level(logging.WARNING)
    connection = app.test_client().websocket("/stubborn")
    connection.timeout = 0.8
    with pytest.raises(TimeoutError):
        async with connection:
            pass
    assert ignored == ["ignored"]
    assert not [r for r in caplog.records if "still running" in r.getMessage()]


class StuckServer:
    """A hand-driven ASGI server whose client never reads (sends wait for ever) and
    never answers a close: what the handler sees comes only from the app's side."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.incoming.put_nowait({"type": "websocket.connect"})
        self.sent: list[dict[str, Any]] = []
        self.stuck = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        if message["type"] == "websocket.send":
            self.stuck.set()
            await asyncio.Event().wait()  # the client stopped reading

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "scheme": "ws",
        "path": "/ws",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "subprotocols": [],
    }


async def test_a_handler_stuck_in_send_gets_connection_closed_when_its_client_leaves() -> None:
    """The cancellation lands in the handler's own send(): raised as ConnectionClosed."""
    app = Erlen(__name__)
    app.config["WEBSOCKET_SEND_TIMEOUT"] = None
    outcome: list[Any] = []

    async def _receive() -> None:
        while True:
            await websocket.receive()

    @app.websocket("/ws")
    async def ws() -> None:
        task = asyncio.ensure_future(_receive())
        try:
            await websocket.send("never read")
        except ConnectionClosed as closed:
            outcome.append(closed.code)
        finally:
            task.cancel()

    server = StuckServer()
    running = asyncio.ensure_future(app(server.scope, server.receive, server.send))
    await asyncio.wait_for(server.stuck.wait(), TIMEOUT)
    server.incoming.put_nowait({"type": "websocket.disconnect", "code": 1001})
    await asyncio.wait_for(running, TIMEOUT)
    assert outcome == [1001]


async def test_a_handler_in_receive_gets_connection_closed_when_the_app_closes_it() -> None:
    """Closed from elsewhere and the client never answers the close: the handler
    waiting in receive() is not left there; it gets ConnectionClosed with the code."""
    app = Erlen(__name__)
    outcome: list[Any] = []
    connections: list[Any] = []

    @app.websocket("/ws")
    async def ws() -> None:
        connections.append(websocket._get_current_object())
        try:
            await websocket.receive()
        except ConnectionClosed as closed:
            outcome.append((closed.code, closed.reason))

    server = StuckServer()
    running = asyncio.ensure_future(app(server.scope, server.receive, server.send))
    for _ in range(200):  # bounded: the handler starts
        if connections:
            break
        await asyncio.sleep(0.01)
    await connections[0].close(4003, "closed elsewhere")
    await asyncio.wait_for(running, TIMEOUT)
    assert outcome == [(4003, "closed elsewhere")]
    assert {"type": "websocket.close", "code": 4003, "reason": "closed elsewhere"} in server.sent
