"""Hostile and unlucky clients over a real socket (hypercorn on 127.0.0.1): abrupt TCP
closes (no close frame) while the handler receives, sends or awaits something else; a
handler that ignores the disconnect; the ``websocket`` global used after the handler
returned; many connect/disconnect cycles. Every case checks the server's tasks go back to
their baseline and that the server still serves a new client."""

from __future__ import annotations

import asyncio
import base64
import gc
import logging
import os
import tracemalloc
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from erlen import Erlen, websocket
from erlen.exceptions import ConnectionClosed
from erlen.plugins.testing.server import serve_app
from websockets.asyncio.client import connect

TIMEOUT = 2.0


def make_app() -> tuple[Erlen, dict[str, list[Any]]]:
    app = Erlen(__name__)
    seen: dict[str, list[Any]] = {
        "receive": [],
        "send": [],
        "sleep": [],
        "ignore": [],
        "late": [],
        "objects": [],
    }

    @app.websocket("/echo")
    async def echo():
        while True:
            await websocket.send(await websocket.receive())

    @app.websocket("/receive")
    async def receiving():
        try:
            await websocket.receive()
        except ConnectionClosed as closed:
            seen["receive"].append(closed.code)
            raise

    @app.websocket("/send")
    async def sending():
        await websocket.accept()
        try:
            while True:
                await websocket.send(b"x" * 65536)
        except ConnectionClosed as closed:
            seen["send"].append(closed.code)

    @app.websocket("/sleep")
    async def sleeping():
        await websocket.accept()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError as cancelled:
            seen["sleep"].append(type(cancelled))
            raise
        seen["sleep"].append("slept")  # not reached: the client left

    @app.websocket("/ignore")
    async def ignoring():
        await websocket.accept()
        errors = seen["ignore"]
        while not errors:
            try:
                await websocket.send("tick")
                await asyncio.sleep(0.005)
            except asyncio.CancelledError:  # a buggy handler: catches the disconnect
                errors.append(websocket.close_code)  # (ConnectionClosed, or cancelled)
        for _ in range(100):  # ... and goes on
            try:
                await websocket.send("tick")
            except ConnectionClosed as closed:
                errors.append(closed.code)

    @app.websocket("/leftover")
    async def leftover():
        await websocket.accept()

        async def late() -> None:
            await asyncio.sleep(0.05)  # the handler has returned by now
            seen["late"].append(websocket.path)
            try:
                await websocket.send("too late")
            except ConnectionClosed as closed:
                seen["late"].append(closed)

        seen["late"].append(asyncio.ensure_future(late()))

    @app.websocket("/cycle")
    async def cycle():
        seen["objects"].append(weakref.ref(websocket._get_current_object()))
        await websocket.send("hi")
        await websocket.receive()

    return app, seen


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[str, dict[str, list[Any]], set[asyncio.Task[Any]]]]:
    app, seen = make_app()
    async with serve_app(app) as url:
        await asyncio.sleep(0.05)  # the start-up probe's connection ends
        baseline = set(asyncio.all_tasks())
        yield url.replace("http://", "ws://"), seen, baseline


async def raw_open(base_url: str, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A websocket handshake by hand; returns the socket after the 101."""
    host, port = base_url.removeprefix("ws://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def until(condition: Any, timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def back_to_baseline(baseline: set[asyncio.Task[Any]]) -> None:
    """No task is left behind: the server's tasks are those it had before the client."""

    def left() -> set[asyncio.Task[Any]]:
        extra = set(asyncio.all_tasks()) - baseline - {asyncio.current_task()}
        return {task for task in extra if not task.done()}

    try:
        await until(lambda: not left())
    except AssertionError:
        raise AssertionError(f"tasks left behind: {left()}") from None


async def still_serves(base_url: str) -> None:
    async with connect(f"{base_url}/echo", open_timeout=TIMEOUT) as ws:
        await ws.send("still here")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "still here"


async def test_abrupt_close_while_the_handler_receives(served: Any) -> None:
    base_url, seen, baseline = served
    _reader, writer = await raw_open(base_url, "/receive")
    writer.transport.abort()  # TCP reset, no close frame
    await until(lambda: seen["receive"])
    assert seen["receive"] == [1006]
    await back_to_baseline(baseline)
    await still_serves(base_url)


async def test_abrupt_close_while_the_handler_sends(served: Any) -> None:
    base_url, seen, baseline = served
    reader, writer = await raw_open(base_url, "/send")
    await asyncio.wait_for(reader.readexactly(200_000), TIMEOUT)  # it is sending
    writer.transport.abort()
    await until(lambda: seen["send"])
    assert seen["send"] == [1006]
    await back_to_baseline(baseline)
    await still_serves(base_url)


async def test_abrupt_close_cancels_a_handler_awaiting_something_else(served: Any) -> None:
    """As in Quart: the handler sleeping (not in receive/send) is cancelled, within about
    a second (the connection watch), instead of holding the connection for 30 s."""
    base_url, seen, baseline = served
    _reader, writer = await raw_open(base_url, "/sleep")
    writer.transport.abort()
    await until(lambda: seen["sleep"])
    assert seen["sleep"] == [asyncio.CancelledError]
    await back_to_baseline(baseline)
    await still_serves(base_url)


async def test_a_handler_ignoring_the_disconnect_gets_an_error_per_send(
    served: Any, caplog: pytest.LogCaptureFixture
) -> None:
    base_url, seen, baseline = served
    caplog.set_level(logging.INFO)
    reader, writer = await raw_open(base_url, "/ignore")
    await asyncio.wait_for(reader.readexactly(6), TIMEOUT)  # the first "tick" frame
    writer.transport.abort()
    await until(lambda: len(seen["ignore"]) > 0)
    await back_to_baseline(baseline)  # the handler's loop ended: no send hung
    assert seen["ignore"] == [1006] * 101, "every send after the disconnect raises"
    # Meanwhile the server kept serving (failed sends yield to the loop), quietly.
    await still_serves(base_url)
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) <= 1


async def test_the_websocket_global_in_a_task_left_after_the_handler(served: Any) -> None:
    base_url, seen, baseline = served
    async with connect(f"{base_url}/leftover", open_timeout=TIMEOUT) as ws:
        with pytest.raises(Exception) as info:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert getattr(info.value, "rcvd", None) is not None and info.value.rcvd.code == 1000
    task = seen["late"][0]
    await asyncio.wait_for(task, TIMEOUT)  # the leftover task ends by itself
    path, error = seen["late"][1:]
    assert path == "/leftover"  # the handshake data stays readable
    assert isinstance(error, ConnectionClosed) and error.code == 1000
    await back_to_baseline(baseline)
    await still_serves(base_url)


async def test_the_websocket_global_outside_any_handler_is_a_clear_error() -> None:
    async def elsewhere() -> None:
        await websocket.send("nobody")

    with pytest.raises(RuntimeError, match="websocket context"):
        await elsewhere()


async def test_many_connect_disconnect_cycles_leave_nothing_behind(served: Any) -> None:
    base_url, seen, baseline = served
    host, port = base_url.removeprefix("ws://").split(":")

    async def one_cycle(abrupt: bool) -> None:
        reader, writer = await raw_open(base_url, "/cycle")
        await asyncio.wait_for(reader.readexactly(4), TIMEOUT)  # "hi"
        if abrupt:
            writer.transport.abort()
        else:
            writer.close()
            await writer.wait_closed()

    for i in range(20):  # warm up: first-use caches and code paths
        await one_cycle(abrupt=bool(i % 2))
    await back_to_baseline(baseline)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for i in range(300):
            await one_cycle(abrupt=bool(i % 2))
        await back_to_baseline(baseline)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    growth = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert growth < 256 * 1024, f"{growth} bytes kept after 300 connections"
    assert len(seen["objects"]) == 320
    assert all(ref() is None for ref in seen["objects"]), "connection objects are freed"
    await still_serves(base_url)


async def test_the_test_client_leaving_cancels_a_sleeping_handler_too() -> None:
    app, seen = make_app()
    app.config["TESTING"] = True

    async def scenario() -> None:
        async with app.test_client().websocket("/sleep"):
            pass  # leaving disconnects and waits for the handler to end

    await asyncio.wait_for(scenario(), TIMEOUT)
    assert seen["sleep"] == [asyncio.CancelledError]
