"""Hostile clients of the fourth audit (2026-12-07): streams and connections that never
ended. Over real sockets on 127.0.0.1 against the server Erlen ships: a websocket
handshake hypercorn refuses itself, a ``Host`` outside ``server_names``, websockets over
HTTP/2 (RFC 8441), a plain HTTP/2 ``CONNECT``, and an HTTP/2 response cut short by the
app. Each test says what the client and the server saw before the fix; waits are
bounded and nothing is timed.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from typing import Any

import h2.errors
import h2.events
import pytest
from erlen import Erlen, websocket
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import (
    TIMEOUT,
    _port,
    _raw_exchange,
    frame,
    handshake_request,
)
from tests.plugins.serving.test_hostile_streams import (
    H2Client,
    _ended,
    _outcome,
    _tracebacks,
)


def ws_app(ended: asyncio.Event, max_size: int = 1024) -> Erlen:
    """An echo websocket at ``/ws`` whose handler sets ``ended`` when it stops."""
    app = Erlen(__name__)
    app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = max_size

    @app.websocket("/ws")
    async def ws() -> None:
        try:
            while True:
                await websocket.send(await websocket.receive())
        finally:
            ended.set()

    @app.route("/")
    async def index() -> str:
        return "hi"

    return app


# --- a websocket handshake refused by hypercorn ------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "started"),
    [
        (b"", False),
        (b"Content-Length: 5\r\n\r\nhello", True),
    ],
    ids=["no-version", "body-before-accept"],
)
async def test_a_refused_handshake_closes_the_connection_and_ends_the_handler(
    extra: bytes, started: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A handshake hypercorn refuses with 400 (no ``Sec-WebSocket-Version``; a request
    body, which arrives before the app accepts): the server closes the connection, as its
    ``Connection: close`` says, and a handler already started ends. Before, the connection
    stayed open until the client left, with no idle timeout, and the handler never got
    its disconnect, not even then (3,000 such connections under ``kernel run``: 3,000
    descriptors and handlers held after their clients had gone, +54 MB)."""
    ended = asyncio.Event()
    async with serve_app(ws_app(ended)) as base_url:
        port = _port(base_url)
        request = handshake_request(port, deflate=False)
        if started:
            request = request[:-2] + extra
        else:
            request = request.replace(b"Sec-WebSocket-Version: 13\r\n", b"")
        received = await _raw_exchange(port, request)  # reads until the server closes
        if started:
            await asyncio.wait_for(ended.wait(), TIMEOUT)
    assert received.startswith(b"HTTP/1.1 400 ")
    assert b"connection: close" in received.lower()
    assert ended.is_set() is started
    assert _tracebacks(caplog) == []


@pytest.mark.parametrize("upgrade", [False, True], ids=["http", "websocket"])
async def test_a_host_outside_server_names_is_404_and_the_connection_closes(
    upgrade: bool,
) -> None:
    """hypercorn's ``server_names`` (a config file's setting against DNS rebinding):
    a request for another ``Host`` gets hypercorn's 404 and the connection is closed, as
    the 404's ``Connection: close`` says. Before, it stayed open for good: one such
    request held a descriptor as long as the client liked."""
    ended = asyncio.Event()
    async with serve_app(ws_app(ended), server_names=["good.example"]) as base_url:
        port = _port(base_url)
        request = (
            handshake_request(port, deflate=False)
            if upgrade
            else b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        )
        received = await _raw_exchange(port, request)  # reads until the server closes
    assert received.startswith(b"HTTP/1.1 404 ")
    assert b"connection: close" in received.lower()


# --- websockets over HTTP/2 (RFC 8441) ----------------------------------------------------------


def _open_websocket(client: H2Client, stream_id: int, path: bytes = b"/ws") -> list[Any]:
    """Send an extended CONNECT for a websocket and read until its response."""
    client.read_until(
        lambda events: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in events)
    )  # the server's ENABLE_CONNECT_PROTOCOL, which h2 checks before sending :protocol
    headers = [
        (b":method", b"CONNECT"),
        (b":protocol", b"websocket"),
        (b":scheme", b"http"),
        (b":authority", b"x"),
        (b":path", path),
        (b"sec-websocket-version", b"13"),
    ]
    client.conn.send_headers(stream_id, headers)
    client.flush()
    return client.read_until(
        lambda events: any(
            isinstance(e, h2.events.ResponseReceived) and e.stream_id == stream_id for e in events
        )
    )


def _stream_data(events: list[Any], stream_id: int) -> bytes:
    return b"".join(
        e.data for e in events if isinstance(e, h2.events.DataReceived) and e.stream_id == stream_id
    )


@pytest.mark.parametrize(
    ("payload", "close_code"),
    [
        (frame(0x8, struct.pack("!H", 1000)), 1000),
        (frame(0x2, b"x" * 4096), 1009),
        (b"\x81\x01x", 1002),  # an unmasked frame
    ],
    ids=["client-close", "message-too-big", "protocol-error"],
)
async def test_an_http2_websocket_stream_ends_with_its_websocket(
    payload: bytes, close_code: int, caplog: pytest.LogCaptureFixture
) -> None:
    """A websocket over HTTP/2 that the client closes, or that fails (1009, 1002): the
    close frame is sent, the stream ended (END_STREAM, RFC 8441 section 5), the handler
    ends, and the connection serves on. Before, hypercorn ended the stream only when the
    app closed the websocket: the client waited for the end until it gave up, and the
    stream's buffer and send-queue place were kept while the connection lived."""
    ended = asyncio.Event()

    def attack(port: int) -> list[Any]:
        client = H2Client(port)
        try:
            _open_websocket(client, 1)
            client.conn.send_data(1, payload)
            client.flush()
            client.read_until(_ended(1))
            client.request(3, b"/")
            return client.read_until(_ended(3))
        finally:
            client.close()

    async with serve_app(ws_app(ended)) as base_url:
        events = await asyncio.to_thread(attack, _port(base_url))
        await asyncio.wait_for(ended.wait(), TIMEOUT)
    assert _outcome(events, 1) == 200
    assert any(isinstance(e, h2.events.StreamEnded) and e.stream_id == 1 for e in events)
    assert _stream_data(events, 1)[:4] == b"\x88\x02" + struct.pack("!H", close_code)
    assert _outcome(events, 3) == 200
    assert _tracebacks(caplog) == []


async def test_an_http2_websocket_failing_behind_a_closed_window_ends_its_handler() -> None:
    """The same failure (1002) from a client that keeps its flow-control window closed:
    the close frame and the stream's end wait for the window, the handler does not. (The
    stream's end is sent without waiting for it to drain: hypercorn's wait for the
    buffer would hold the connection and the handler for as long as the window stays
    closed.)"""
    ended = asyncio.Event()

    def attack(port: int) -> H2Client:
        client = H2Client(port, window=0)
        _open_websocket(client, 1)
        client.conn.send_data(1, b"\x81\x01x")  # an unmasked frame
        client.flush()
        return client  # kept open, never opening its window

    async with serve_app(ws_app(ended)) as base_url:
        client = await asyncio.to_thread(attack, _port(base_url))
        try:
            await asyncio.wait_for(ended.wait(), TIMEOUT)
        finally:
            client.close()


async def test_an_app_closing_an_http2_websocket_behind_a_closed_window_goes_on() -> None:
    """A handler that closes its websocket, over HTTP/2, to a client whose flow-control
    window stays closed: ``close()`` returns and the handler ends; the close frame waits
    for the window. Before, hypercorn's ``close`` waited for the frame to be sent, so the
    handler hung in ``close()`` for as long as the client liked."""
    ended = asyncio.Event()
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.close(1000)
        ended.set()

    def attack(port: int) -> H2Client:
        client = H2Client(port, window=0)
        _open_websocket(client, 1)
        return client  # kept open, never opening its window

    async with serve_app(app) as base_url:
        client = await asyncio.to_thread(attack, _port(base_url))
        try:
            await asyncio.wait_for(ended.wait(), TIMEOUT)
        finally:
            client.close()


async def test_an_http2_websocket_refused_by_hypercorn_ends_the_handler() -> None:
    """DATA on an HTTP/2 websocket stream before the app accepted: hypercorn answers 400,
    and the handler it had started now gets its disconnect (before, it ran on for the
    life of the process)."""
    ended = asyncio.Event()
    app = ws_app(ended)
    accept = asyncio.Event()

    @app.websocket("/late")
    async def late() -> None:
        await accept.wait()  # holds the accept until the client has sent its data
        try:
            await websocket.receive()
        finally:
            ended.set()

    def attack(port: int) -> list[Any]:
        client = H2Client(port)
        try:
            client.read_until(
                lambda events: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in events)
            )
            headers = [
                (b":method", b"CONNECT"),
                (b":protocol", b"websocket"),
                (b":scheme", b"http"),
                (b":authority", b"x"),
                (b":path", b"/late"),
                (b"sec-websocket-version", b"13"),
            ]
            client.conn.send_headers(1, headers)
            client.conn.send_data(1, frame(0x1, b"too early"))
            client.flush()
            return client.read_until(_ended(1))
        finally:
            client.close()

    async with serve_app(app) as base_url:
        events = await asyncio.to_thread(attack, _port(base_url))
        accept.set()
        await asyncio.wait_for(ended.wait(), TIMEOUT)
    assert _outcome(events, 1) == 400


# --- HTTP/2: a tunnel, and a response cut short -------------------------------------------------


async def test_an_http2_connect_tunnel_is_405_and_the_connection_serves_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A plain ``CONNECT`` (a tunnel request, no ``:path``): 405 on its stream, and the
    connection's next request is answered. Before, hypercorn's ``UnboundLocalError``
    ended the connection, every stream on it unanswered, with a traceback."""

    def attack(port: int) -> list[Any]:
        client = H2Client(port)
        try:
            headers = [(b":method", b"CONNECT"), (b":authority", b"example.com:443")]
            client.conn.send_headers(1, headers)
            client.request(3, b"/")
            return client.read_until(_ended(3))
        finally:
            client.close()

    async with serve_app(ws_app(asyncio.Event())) as base_url:
        events = await asyncio.to_thread(attack, _port(base_url))
    assert (_outcome(events, 1), _outcome(events, 3)) == (405, 200)
    assert _tracebacks(caplog) == []


async def test_an_http2_response_cut_short_resets_its_stream() -> None:
    """A streamed body that fails after its first chunk, over HTTP/2: the stream is reset
    (INTERNAL_ERROR), so the client knows the response is incomplete, and the connection
    serves on. Before, the stream was neither ended nor reset: the client waited for the
    rest of the body as long as the connection lived. (Over HTTP/1.1 the connection is
    closed, which tells the client the same.)"""
    app = Erlen(__name__)

    @app.route("/broken")
    async def broken() -> Any:
        async def body() -> Any:
            yield b"first chunk"
            raise RuntimeError("the body failed")

        return body()

    @app.route("/")
    async def index() -> str:
        return "hi"

    def attack(port: int) -> list[Any]:
        client = H2Client(port)
        try:
            client.request(1, b"/broken")
            client.read_until(_ended(1))
            client.request(3, b"/")
            return client.read_until(_ended(3))
        finally:
            client.close()

    async with serve_app(app) as base_url:
        events = await asyncio.to_thread(attack, _port(base_url))
    resets: Callable[[Any], bool] = lambda e: isinstance(e, h2.events.StreamReset)  # noqa: E731
    assert [e.error_code for e in events if resets(e) and e.stream_id == 1] == [
        h2.errors.ErrorCodes.INTERNAL_ERROR
    ]
    assert _outcome(events, 3) == 200
