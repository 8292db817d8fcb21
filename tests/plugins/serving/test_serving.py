"""``app.run_task()`` in the running loop: serving, graceful shutdown, websockets get 1001.

The websocket side here is a raw ASGI handler given to the app through the
``erlen_protocol_handlers`` hook, so the kernel's serving layer is tested on its own.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest
from erlen import Erlen, hookimpl
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


class RawWebsocketProtocol:
    """A plugin serving every websocket: accept, then wait for the client to go."""

    def __init__(self) -> None:
        self.disconnect_codes: list[int] = []

    @hookimpl
    def erlen_protocol_handlers(self, app: Erlen) -> dict[str, Any]:
        async def handler(scope: dict[str, Any], receive: Any, send: Any) -> None:
            assert (await receive())["type"] == "websocket.connect"
            await send({"type": "websocket.accept"})
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    self.disconnect_codes.append(message.get("code", 1000))
                    return

        return {"websocket": handler}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until_listening(port: int, task: asyncio.Future[Any]) -> None:
    for _ in range(200):
        if task.done():
            task.result()
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise TimeoutError(f"nothing listens on port {port}")


@pytest.fixture
def served():
    """Start ``app.run_task`` on a free port; yields (app, base URL, stop event, events)."""
    tasks: list[asyncio.Future[Any]] = []

    async def start(app: Erlen, **options: Any) -> tuple[str, asyncio.Event, list[str]]:
        events: list[str] = []

        @app.before_serving
        async def started() -> None:
            events.append("before_serving")

        @app.after_serving
        async def stopped() -> None:
            events.append("after_serving")

        stop = asyncio.Event()
        port = free_port()
        task = asyncio.ensure_future(app.run_task(port=port, shutdown_trigger=stop.wait, **options))
        tasks.append(task)
        await wait_until_listening(port, task)
        return f"127.0.0.1:{port}", stop, events

    yield start
    for task in tasks:
        task.cancel()


async def test_run_task_serves_and_shuts_down(served) -> None:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "hello"

    address, stop, events = await served(app, root_path="/mounted", graceful_timeout=1)
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"http://{address}/mounted/")
    assert response.status_code == 200
    assert response.text == "hello"
    stop.set()
    await asyncio.sleep(0)
    assert events[0] == "before_serving"
    for _ in range(100):
        if "after_serving" in events:
            break
        await asyncio.sleep(0.05)
    assert events == ["before_serving", "after_serving"]


async def test_shutdown_closes_open_websockets_with_1001(served) -> None:
    protocol = RawWebsocketProtocol()
    app = Erlen(__name__, plugins=["serving", protocol])
    address, stop, events = await served(app, graceful_timeout=5)
    async with connect(f"ws://{address}/ws", open_timeout=5) as ws:
        stop.set()
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1001
    assert closed.value.rcvd.reason == "server shutdown"
    for _ in range(100):  # the close did not wait for the grace period to run out
        if "after_serving" in events:
            break
        await asyncio.sleep(0.05)
    assert "after_serving" in events
    assert protocol.disconnect_codes  # the handler was told and returned


async def test_shutdown_event_is_set_when_draining(served) -> None:
    app = Erlen(__name__)
    seen: list[bool] = []

    @app.route("/")
    async def index() -> str:
        return "ok"

    @app.after_serving
    async def check() -> None:
        assert app.shutdown_event is not None
        seen.append(app.shutdown_event.is_set())

    _address, stop, _events = await served(app)
    stop.set()
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.05)
    assert seen == [True]


def test_run_task_refuses_unknown_options() -> None:
    app = Erlen(__name__)
    with pytest.raises(TypeError, match="workers"):
        app.run_task(workers=2)
