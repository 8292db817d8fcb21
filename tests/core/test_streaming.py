"""Streamed responses: generators, ``stream_with_context``, server-sent events, timeouts,
and a client that disconnects from a real server mid-stream."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from erlen import Erlen, Response, g, make_response, request, stream_with_context
from erlen.plugins.testing.server import serve_app


@pytest.fixture
def app() -> Erlen:
    return Erlen(__name__, static_folder=None)


async def test_async_generator_body(app: Erlen) -> None:
    @app.route("/count")
    async def count() -> Any:
        async def numbers() -> AsyncIterator[bytes]:
            for i in range(3):
                await asyncio.sleep(0)
                yield f"{i}\n".encode()

        return numbers(), 200, {"Content-Type": "text/plain"}

    response = await app.test_client().get("/count")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "Content-Length" not in response.headers
    assert await response.get_data() == b"0\n1\n2\n"


async def test_sync_generator_body_runs_in_a_thread(app: Erlen) -> None:
    threads: list[bool] = []

    @app.route("/sync")
    async def sync_stream() -> Any:
        def lines() -> Iterator[str]:
            for word in ("a", "b"):
                threads.append(threading.current_thread() is threading.main_thread())
                yield word

        return Response(lines())

    assert await (await app.test_client().get("/sync")).get_data() == b"ab"
    assert threads == [False, False]


async def test_stream_with_context_keeps_request_and_g(app: Erlen) -> None:
    @app.route("/hello")
    async def hello() -> Any:
        g.greeting = "hello"

        @stream_with_context
        async def generate() -> AsyncIterator[str]:
            yield g.greeting
            yield " "
            yield request.args["name"]

        return generate()

    @app.route("/sync-hello")
    async def sync_hello() -> Any:
        @stream_with_context
        def generate() -> Iterator[str]:
            yield request.args["name"]

        return await make_response(generate())

    client = app.test_client()
    response = await client.get("/hello", query_string={"name": "ada"})
    assert await response.get_data() == b"hello ada"
    response = await client.get("/sync-hello", query_string={"name": "bob"})
    assert await response.get_data() == b"bob"


async def test_stream_with_context_takes_a_generator_as_flask_writes_it(app: Erlen) -> None:
    # Flask's docs write `return stream_with_context(generate())`, in a sync view: it was
    # a 500 ("did not return a valid response ... but it was a function").
    @app.route("/flask-style")
    def flask_style() -> Any:
        def generate() -> Iterator[str]:
            yield "Hello "
            yield request.args["name"]
            yield "!"

        return stream_with_context(generate())

    @app.route("/async-generator")
    async def async_generator() -> Any:
        async def generate() -> AsyncIterator[str]:
            yield request.args["name"]

        return stream_with_context(generate()), {"Content-Type": "text/plain"}

    client = app.test_client()
    response = await client.get("/flask-style", query_string={"name": "ada"})
    assert response.status_code == 200
    assert await response.get_data() == b"Hello ada!"
    response = await client.get("/async-generator", query_string={"name": "bob"})
    assert response.mimetype == "text/plain"
    assert await response.get_data() == b"bob"


async def test_stream_with_context_refuses_what_it_cannot_stream(app: Erlen) -> None:
    async with app.test_request_context("/"):
        with pytest.raises(TypeError, match=r"takes a generator function .* not 42"):
            stream_with_context(42)  # type: ignore[call-overload]


async def test_stream_with_context_outside_a_request_fails() -> None:
    async def generate() -> AsyncIterator[str]:
        yield "x"

    with pytest.raises(RuntimeError, match="outside of a request context"):
        stream_with_context(generate)


def sse_app() -> Erlen:
    """The server-sent events example of the docs: a clock ticking a few times."""
    app = Erlen(__name__, static_folder=None)

    @app.route("/events")
    async def events() -> Any:
        last_id = int(request.headers.get("Last-Event-ID", "0"))

        async def stream() -> AsyncIterator[str]:
            yield "retry: 1000\n\n"
            for event_id in range(last_id + 1, last_id + 4):
                await asyncio.sleep(0)
                payload = json.dumps({"tick": event_id})
                yield f"id: {event_id}\nevent: tick\ndata: {payload}\n\n"

        response = await make_response(stream())
        response.mimetype = "text/event-stream"
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Accel-Buffering"] = "no"
        response.timeout = None  # an event stream may stay open for as long as it likes
        return response

    return app


def parse_sse(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in fields:
            events.append(fields)
    return events


async def test_server_sent_events_example() -> None:
    client = sse_app().test_client()
    response = await client.get("/events", headers={"Accept": "text/event-stream"})
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    text = await response.get_data(as_text=True)
    assert text.startswith("retry: 1000\n\n")
    assert parse_sse(text) == [
        {"id": str(i), "event": "tick", "data": json.dumps({"tick": i})} for i in (1, 2, 3)
    ]
    resumed = await client.get("/events", headers={"Last-Event-ID": "7"})
    assert [e["id"] for e in parse_sse(await resumed.get_data(as_text=True))] == ["8", "9", "10"]


def endless_app(closed: asyncio.Event, sent: list[int]) -> Erlen:
    app = Erlen(__name__, static_folder=None)

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                sent.append(1)
                yield b"tick\n"
                await asyncio.sleep(0.01)
        finally:
            closed.set()

    @app.route("/timeout")
    async def with_timeout() -> Any:
        response = Response(endless())
        response.timeout = 0.1
        return response

    @app.route("/config-timeout")
    async def config_timeout() -> Any:
        return Response(endless())

    @app.route("/stream")
    async def stream() -> Any:
        return Response(endless(), mimetype="text/plain")

    return app


@pytest.mark.parametrize("path", ["/timeout", "/config-timeout"])
async def test_response_timeout_stops_an_endless_stream(path: str) -> None:
    closed = asyncio.Event()
    sent: list[int] = []
    app = endless_app(closed, sent)
    app.config["RESPONSE_TIMEOUT"] = 0.1
    response = await asyncio.wait_for(app.test_client().get(path), 5)
    assert response.status_code == 200
    assert (await response.get_data()).startswith(b"tick\ntick\n")
    assert closed.is_set()  # the generator was closed: its `finally` ran


def _stream_tasks() -> list[asyncio.Task[Any]]:
    names = ("watch_disconnect", "endless", "_send_streamed")
    return [
        task for task in asyncio.all_tasks() if any(name in repr(task.get_coro()) for name in names)
    ]


async def test_client_disconnect_stops_the_generator_on_a_real_server() -> None:
    closed = asyncio.Event()
    sent: list[int] = []
    app = endless_app(closed, sent)
    async with serve_app(app) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        assert b"transfer-encoding: chunked" in head.lower()
        assert b"tick" in await asyncio.wait_for(reader.read(100), 5)
        writer.close()  # the client goes away mid-stream
        await writer.wait_closed()
        await asyncio.wait_for(closed.wait(), 5)
        count = len(sent)
        await asyncio.sleep(0.05)
        assert len(sent) == count  # nothing is produced after the disconnect
        for _ in range(50):  # the server's task finishes its clean-up
            if not _stream_tasks():
                break
            await asyncio.sleep(0.02)
        assert _stream_tasks() == []


async def test_disconnect_during_a_sync_generator_step_closes_it_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = threading.Event()
    app = Erlen(__name__, static_folder=None)

    @app.route("/slow")
    async def slow() -> Any:
        def ticks() -> Iterator[bytes]:
            try:
                while True:
                    time.sleep(0.05)  # the disconnect arrives while this step runs
                    yield b"tick\n"
            finally:
                closed.set()

        return Response(ticks())

    async with serve_app(app) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert b"tick" in await asyncio.wait_for(reader.read(100), 5)
        writer.close()
        await writer.wait_closed()
        for _ in range(250):
            if closed.is_set():
                break
            await asyncio.sleep(0.02)
    assert closed.is_set()  # the generator's `finally` ran
    assert "already executing" not in caplog.text
    assert "Traceback" not in caplog.text
