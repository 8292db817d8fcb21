"""Hostile clients of the third audit (2026-12-07) against the server Erlen ships, over
real sockets on 127.0.0.1: a client leaving a streamed response, an HTTP/2 client that
never opens its flow-control window, HTTP/2 frames hypercorn did not expect, and a
websocket handshake with bytes wsproto cannot decode. Each test says what the client and
the log saw before the fix; waits are bounded and nothing is timed.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import tracemalloc
from collections.abc import AsyncIterator, Callable
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import pytest
from erlen import Erlen
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, _port, _raw_exchange, handshake_request


async def counted_body(
    chunks: int, produced: list[int], stopped: Callable[[], None]
) -> AsyncIterator[bytes]:
    """A streamed body of ``chunks`` 1 KiB chunks that, when it stops (finished, or closed
    early), appends how many it produced to ``produced`` and calls ``stopped``."""
    count = 0
    try:
        for _ in range(chunks):
            count += 1
            yield b"x" * 1024
    finally:
        produced.append(count)
        stopped()


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Messages of the records that carry a traceback or come from asyncio's write loop."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.exc_info is not None or "socket.send() raised" in record.getMessage()
    ]


# --- a client that leaves a streamed response ------------------------------------------------


async def test_a_client_leaving_a_streamed_response_stops_the_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A client that reads the head of a 50 MB streamed response, then resets the
    connection: the body's generator is stopped, nothing more is written, nothing is
    logged. Before, hypercorn wrote every remaining chunk to the dead socket (asyncio
    logged ``socket.send() raised exception.`` for each: 17,210 lines for a 20 MB body)
    and a generator that awaits nothing else ran to its end without the event loop
    turning, so the app's disconnect watcher never ran (an endless one hung the server)."""
    chunks = 50_000
    produced: list[int] = []
    stopped = asyncio.Event()
    app = Erlen(__name__)

    @app.route("/export")
    async def export() -> Any:
        return counted_body(chunks, produced, stopped.set)

    @app.route("/")
    async def index() -> str:
        return "still serving"

    async with serve_app(app) as base_url:
        reader, writer = await asyncio.open_connection("127.0.0.1", _port(base_url))
        writer.write(b"GET /export HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        writer.transport.abort()  # RST: the client is gone
        await asyncio.wait_for(stopped.wait(), TIMEOUT)
        after = await _raw_exchange(
            _port(base_url), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
    assert head.startswith(b"HTTP/1.1 200 ")
    assert produced[0] < chunks, "the generator ran to its end for a client that left"
    assert after.startswith(b"HTTP/1.1 200 ") and after.endswith(b"still serving")
    assert _tracebacks(caplog) == []


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab\r\n",
        b"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
    ids=["stray-crlf-after-body", "pipelined-http-1.0", "pipelined-after-close"],
)
async def test_bytes_after_a_closing_request_do_not_cost_its_answer(request_bytes: bytes) -> None:
    """A request that closes the connection (``Connection: close``, HTTP/1.0), followed in
    the same packet by more bytes: that request is answered and the connection closed,
    the rest ignored (RFC 9112 section 9.6). Before, h11 raised "Got data when expecting
    EOF" and hypercorn answered the valid request with 400."""
    app = Erlen(__name__)

    @app.route("/", methods=["GET", "POST"])
    async def index() -> str:
        return "answered"

    async with serve_app(app) as base_url:
        received = await _raw_exchange(_port(base_url), request_bytes)
    assert received.startswith(b"HTTP/1.1 200 ") and received.endswith(b"answered")
    assert received.count(b"HTTP/1.1 ") == 1


async def test_bytes_sent_after_a_closing_request_are_not_buffered() -> None:
    """8 MiB sent after an HTTP/1.0 request while its streamed response is held: the
    server's memory for them stays at hypercorn's one read (64 KiB) and the response
    comes whole. With h11 buffering what it could not parse, they would pile up."""
    release = asyncio.Event()
    app = Erlen(__name__)

    @app.route("/slow")
    async def slow() -> Any:
        async def body() -> Any:
            yield b"first "
            await release.wait()
            yield b"last"

        return body()

    async with serve_app(app) as base_url:
        reader, writer = await asyncio.open_connection("127.0.0.1", _port(base_url))
        try:
            writer.write(b"GET /slow HTTP/1.0\r\n\r\n")
            await asyncio.wait_for(reader.readuntil(b"first "), TIMEOUT)
            tracemalloc.start()
            try:
                for _ in range(128):
                    writer.write(b"x" * 65536)
                    await asyncio.wait_for(writer.drain(), TIMEOUT)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            release.set()
            rest = await asyncio.wait_for(reader.read(), TIMEOUT)
        finally:
            writer.close()
    assert rest == b"last"
    assert peak < 2 * 1024 * 1024, f"{peak / 1e6:.1f} MB held for 8 MiB of ignored bytes"


async def test_a_half_closed_connection_closes_once_its_requests_are_answered() -> None:
    """A client that sends three pipelined requests and then EOF (``shutdown(SHUT_WR)``,
    as ``printf 'GET / ...' | nc`` does) gets its three answers, then the server's EOF at
    once. Before, the connection was held for the keep-alive timeout after the last
    answer (set to 60 s here, past the test's bounded wait)."""
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "answered"

    def client(port: int) -> bytes:
        sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        try:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
            sock.shutdown(socket.SHUT_WR)
            received = b""
            while chunk := sock.recv(65536):  # a TimeoutError if the server holds it
                received += chunk
            return received
        finally:
            sock.close()

    async with serve_app(app, keep_alive_timeout=60) as base_url:
        received = await asyncio.to_thread(client, _port(base_url))
    assert received.count(b"HTTP/1.1 200 ") == 3 and received.endswith(b"answered")


async def test_pipelined_requests_after_a_reset_are_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """1,000 pipelined requests in one packet, then a reset while the server answers
    them: the requests hypercorn had read are still run, but their answers are not
    written, so asyncio logs nothing (it logged ``socket.send() raised exception.`` for
    the writes: 273 lines for 2,000 requests)."""
    requests = 1000
    answered = [0]
    all_run = asyncio.Event()
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        answered[0] += 1
        if answered[0] == requests:
            all_run.set()
        return "hello " * 2000

    def client(port: int) -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * requests)  # 31 kB: one read
        sock.recv(1)  # the server is answering
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # RST

    async with serve_app(app) as base_url:
        await asyncio.to_thread(client, _port(base_url))
        await asyncio.wait_for(all_run.wait(), TIMEOUT)
        after = await _raw_exchange(
            _port(base_url), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
    assert after.startswith(b"HTTP/1.1 200 ")
    assert _tracebacks(caplog) == []


# --- HTTP/2 ------------------------------------------------------------------------------


class H2Client:
    """A blocking HTTP/2 client (cleartext, prior knowledge) on a plain socket, every
    frame the test's, each read bounded by the socket timeout."""

    def __init__(self, port: int, window: int | None = None) -> None:
        self.conn = h2.connection.H2Connection(
            # A hostile client sends what the test says: h2 4.1 (the lowest release
            # Erlen supports) refused a CONNECT without ``:path`` before sending it.
            h2.config.H2Configuration(
                client_side=True, header_encoding=None, validate_outbound_headers=False
            )
        )
        self.conn.initiate_connection()
        if window is not None:
            self.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.events: list[Any] = []
        self.flush()

    def flush(self) -> None:
        self.sock.sendall(self.conn.data_to_send())

    def request(
        self, stream_id: int, path: bytes, method: bytes = b"GET", end: bool = True
    ) -> None:
        headers = [(b":method", method), (b":scheme", b"http"), (b":authority", b"x")]
        self.conn.send_headers(stream_id, [*headers, (b":path", path)], end_stream=end)
        self.flush()

    def read_until(self, done: Callable[[list[Any]], bool]) -> list[Any]:
        """Read frames until ``done(events)``, or the server closes the connection."""
        while not done(self.events):
            data = self.sock.recv(65536)
            if not data:
                break
            self.events.extend(self.conn.receive_data(data))
            self.flush()
        return self.events

    def close(self) -> None:
        self.sock.close()


def _ended(stream_id: int) -> Callable[[list[Any]], bool]:
    """``done`` for :meth:`H2Client.read_until`: the stream ended or was reset, or the
    connection was."""
    ends = (h2.events.StreamEnded, h2.events.StreamReset)

    def done(events: list[Any]) -> bool:
        return any(
            isinstance(e, h2.events.ConnectionTerminated)
            or (isinstance(e, ends) and e.stream_id == stream_id)
            for e in events
        )

    return done


def _outcome(events: list[Any], stream_id: int) -> Any:
    """The status a stream got, the error code it was reset with, or ``"goaway"``."""
    for event in events:
        if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream_id:
            return int(dict(event.headers)[b":status"])
        if isinstance(event, h2.events.StreamReset) and event.stream_id == stream_id:
            return event.error_code
        if isinstance(event, h2.events.ConnectionTerminated):
            return "goaway"
    return None


def h2_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/", methods=["GET", "POST"])
    async def index() -> str:
        return "hi"  # a POST is answered without reading its body

    return app


@pytest.mark.parametrize(
    "settings",
    [b"AAMAAABkAAQ", b"MTIzNDU=", b"AASAAAAA"],
    ids=["bad-base64", "not-settings", "window-over-2**31"],
)
async def test_an_h2c_upgrade_with_unusable_settings_is_answered_in_http1(
    settings: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """``Upgrade: h2c`` whose ``HTTP2-Settings`` HTTP/2 cannot start from: the upgrade is
    ignored and the request answered in HTTP/1.1 (RFC 7540 section 3.2.1). Before,
    hypercorn sent the 101, h2 raised, and the connection ended with a traceback."""
    upgrade = (
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings, close\r\n"
        b"Upgrade: h2c\r\nHTTP2-Settings: " + settings + b"\r\n\r\n"
    )
    async with serve_app(h2_app()) as base_url:
        received = await _raw_exchange(_port(base_url), upgrade)
    assert received.startswith(b"HTTP/1.1 200 ") and received.endswith(b"hi")
    assert _tracebacks(caplog) == []


async def test_http2_requests_with_non_ascii_path_or_method_are_reset(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A ``:path`` or ``:method`` that is not ASCII (HPACK carries any bytes) resets its
    stream with PROTOCOL_ERROR (RFC 9113 section 8.1.1) and the other streams of the
    connection are answered. Before, hypercorn's ``UnicodeDecodeError`` ended the whole
    connection, unanswered, with a traceback. A query string that is not ASCII is still
    passed on."""

    def attack(port: int) -> list[Any]:
        client = H2Client(port)
        try:
            client.request(1, b"/\xff")
            client.request(3, b"/", method=b"G\xffT")
            client.request(5, b"/?q=\xc3\xa9")
            client.request(7, b"/")
            return client.read_until(_ended(7))
        finally:
            client.close()

    async with serve_app(h2_app()) as base_url:
        events = await asyncio.to_thread(attack, _port(base_url))
    protocol_error = h2.errors.ErrorCodes.PROTOCOL_ERROR
    assert [_outcome(events, sid) for sid in (1, 3, 5, 7)] == [
        protocol_error,
        protocol_error,
        200,
        200,
    ]
    assert _tracebacks(caplog) == []


async def test_http2_data_after_the_response_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    """A client that goes on sending a request body after the response (legal: the stream
    is half-closed): the data is dropped and the connection serves on. Before, hypercorn
    looked up the forgotten stream, and the ``KeyError`` ended the connection and every
    stream on it with a traceback."""

    def attack(port: int) -> list[Any]:
        client = H2Client(port)
        try:
            client.request(1, b"/", method=b"POST", end=False)
            client.read_until(_ended(1))
            for _ in range(3):
                client.conn.send_data(1, b"late body")
            client.conn.end_stream(1)
            client.flush()
            client.request(3, b"/")
            return client.read_until(_ended(3))
        finally:
            client.close()

    async with serve_app(h2_app()) as base_url:
        events = await asyncio.to_thread(attack, _port(base_url))
    assert (_outcome(events, 1), _outcome(events, 3)) == (200, 200)
    assert not any(isinstance(e, h2.events.ConnectionTerminated) for e in events)
    assert _tracebacks(caplog) == []


async def test_http2_closed_flow_control_window_holds_the_response_back() -> None:
    """A client that never opens its flow-control window (INITIAL_WINDOW_SIZE 0) and asks
    for 20 streamed responses of 16 MB on one connection, then stops reading: each app is
    held once hypercorn's 32 KiB buffer is full, until RESPONSE_TIMEOUT ends its stream.
    Before, hypercorn let an app go on whenever it could send nothing, so responses piled
    up in server memory (2,524 chunks of 1 KiB per stream within the second here; 5 such
    connections under ``kernel run``: +325 MB of RSS, kept after they closed)."""
    chunks, streams = 16_000, range(1, 41, 2)
    produced: list[int] = []
    all_stopped = asyncio.Event()
    app = Erlen(__name__)
    app.config["RESPONSE_TIMEOUT"] = 1

    def stopped() -> None:
        if len(produced) == len(streams):
            all_stopped.set()

    @app.route("/big")
    async def big() -> Any:
        return counted_body(chunks, produced, stopped)

    def started(events: list[Any]) -> bool:
        return sum(isinstance(e, h2.events.ResponseReceived) for e in events) == len(streams)

    def attack(port: int) -> H2Client:
        client = H2Client(port, window=0)
        for stream_id in streams:
            client.request(stream_id, b"/big")
        client.read_until(started)
        return client  # kept open, not reading, until the apps stop

    async with serve_app(app) as base_url:
        client = await asyncio.to_thread(attack, _port(base_url))
        try:
            await asyncio.wait_for(all_stopped.wait(), TIMEOUT)
        finally:
            client.close()
    events = client.events
    assert [_outcome(events, stream_id) for stream_id in streams] == [200] * len(streams)
    # hypercorn's buffer holds 32 KiB before it makes the app wait.
    assert max(produced) <= 40, f"{max(produced)} chunks of 1 KiB produced for a closed window"


# --- websocket handshake ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        b"Sec-WebSocket-Protocol: chat, \xff\xfe",
        b"Sec-WebSocket-Extensions: permessage-deflate; \xe9",
    ],
    ids=["subprotocols", "extensions"],
)
async def test_a_handshake_header_that_is_not_ascii_is_400(
    header: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """A websocket handshake whose ``Sec-WebSocket-Protocol`` or ``-Extensions`` value is
    not ASCII gets 400, the handler never runs, and nothing is logged as an error. Before,
    wsproto's ``UnicodeDecodeError`` ended the connection unanswered with a traceback."""
    handled: list[str] = []
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        handled.append("ran")

    async with serve_app(app) as base_url:
        port = _port(base_url)
        request = handshake_request(port, deflate=False).replace(
            b"\r\n\r\n", b"\r\n" + header + b"\r\n\r\n"
        )
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(request)
            status_line = await asyncio.wait_for(reader.readuntil(b"\r\n"), TIMEOUT)
        finally:
            writer.close()
    assert status_line.startswith(b"HTTP/1.1 400 ")
    assert handled == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [] and _tracebacks(caplog) == []
