"""Server-Sent Events (``erlen.sse``): the wire format, keep-alive comments, and a client
leaving ending the source, over a real hypercorn socket and through the test client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from erlen import Erlen
from erlen.plugins.testing.server import serve_app
from erlen.sse import KEEP_ALIVE_COMMENT, ServerSentEvent, event_stream


def test_event_wire_format() -> None:
    event = ServerSentEvent("one\ntwo", event="note", id="7", retry=1500, comment="hi")
    assert event.encode() == (b": hi\nevent: note\nid: 7\nretry: 1500\ndata: one\ndata: two\n\n")
    assert ServerSentEvent({"a": 1}).encode() == b'data: {"a":1}\n\n'
    assert ServerSentEvent(b"raw").encode() == b"data: raw\n\n"
    assert ServerSentEvent("").encode() == b"data: \n\n"


@pytest.mark.parametrize("field", ["event", "id"])
def test_a_field_cannot_smuggle_a_line(field: str) -> None:
    with pytest.raises(ValueError, match="must be one line"):
        ServerSentEvent("x", **{field: "a\ndata: injected"})


def test_event_stream_wants_an_async_iterable() -> None:
    with pytest.raises(TypeError, match="takes an async iterable"):
        event_stream(["not", "async"])  # type: ignore[arg-type]


def make_app(finished: asyncio.Event, keep_alive: float | None = 15.0) -> Erlen:
    app = Erlen(__name__)

    @app.route("/events")
    async def events() -> Any:
        async def source() -> AsyncIterator[Any]:
            try:
                yield ServerSentEvent({"n": 1}, event="tick", id="1")
                yield "plain text"
                await asyncio.sleep(3600)  # a quiet stream: only keep-alive comments
                yield "never sent"
            finally:
                finished.set()

        return event_stream(source(), keep_alive=keep_alive, retry=2000)

    return app


async def test_stream_over_a_real_socket_and_the_client_leaving() -> None:
    finished = asyncio.Event()
    app = make_app(finished, keep_alive=0.05)
    async with serve_app(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        async with http.stream("GET", "/events") as response:
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/event-stream"
            assert response.headers["cache-control"] == "no-cache"
            received = b""
            async for chunk in response.aiter_raw():
                received += chunk
                if received.count(KEEP_ALIVE_COMMENT) >= 2:
                    break
        assert received.startswith(
            b"retry: 2000\n\n"
            b'event: tick\nid: 1\ndata: {"n":1}\n\n'
            b"data: plain text\n\n"
            b": keep-alive\n\n"
        )
        # The client closed the stream: the source is cancelled where it waits.
        await asyncio.wait_for(finished.wait(), timeout=10)


async def test_a_finite_stream_through_the_test_client() -> None:
    app = Erlen(__name__)

    @app.route("/three")
    async def three() -> Any:
        async def source() -> AsyncIterator[int]:
            for n in range(3):
                yield n

        return event_stream(source(), keep_alive=None)

    response = await app.test_client().get("/three")
    assert response.status_code == 200
    assert await response.get_data() == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"


async def test_an_error_in_the_source_ends_the_stream() -> None:
    app = Erlen(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/broken")
    async def broken() -> Any:
        async def source() -> AsyncIterator[str]:
            yield "first"
            raise LookupError("gone")

        return event_stream(source())

    async with serve_app(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        async with http.stream("GET", "/broken") as response:
            body = b""
            with pytest.raises(httpx.RemoteProtocolError):
                async for chunk in response.aiter_raw():
                    body += chunk
    assert body == b"data: first\n\n"
