"""Reading a body under ``BODY_TIMEOUT``: a timer only while ``receive()`` waits.

Driven through the raw ASGI app with hand-written ``receive`` callables: a chunk that
is already there, chunks that arrive after a wait, a wait past the timeout (408), and a
cancellation from outside while waiting (propagates, no response).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from erlen import Erlen, request


def make_app(timeout: float) -> Erlen:
    app = Erlen(__name__)
    app.config["BODY_TIMEOUT"] = timeout

    @app.route("/echo", methods=["POST"])
    async def echo() -> bytes:
        return await request.get_data()

    return app


def scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/echo",
        "raw_path": b"/echo",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }


async def call(app: Erlen, receive: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope(), receive, send), 5)
    return sent


def chunks(*parts: bytes, delay: float = 0.0) -> Any:
    queue = list(parts)

    async def receive() -> dict[str, Any]:
        if delay:
            await asyncio.sleep(delay)
        body = queue.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(queue)}

    return receive


@pytest.mark.parametrize("delay", [0.0, 0.01])
async def test_the_whole_body_is_read_with_or_without_waits(delay: float) -> None:
    sent = await call(make_app(5), chunks(b"ab", b"cd", b"ef", delay=delay))
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"abcdef"


async def test_a_body_that_does_not_come_in_time_is_a_408() -> None:
    sent = await call(make_app(0.05), chunks(b"ab", b"cd", delay=0.2))
    assert sent[0]["status"] == 408


async def test_a_cancellation_while_waiting_for_the_body_propagates() -> None:
    app = make_app(5)
    waiting = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        waiting.set()
        await asyncio.sleep(30)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    task = asyncio.ensure_future(app(scope(), receive, send))
    await asyncio.wait_for(waiting.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert sent == []


async def test_a_receive_returning_a_future_is_awaited_as_is() -> None:
    def receive() -> asyncio.Future[dict[str, Any]]:
        future = asyncio.get_running_loop().create_future()
        future.set_result({"type": "http.request", "body": b"future", "more_body": False})
        return future

    sent = await call(make_app(5), receive)
    assert sent[1]["body"] == b"future"
