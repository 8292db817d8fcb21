"""An HTTP/2 app that reads its request body late, over a real socket.

hypercorn handed each DATA frame to the app's queue (10 messages) in the one task that
reads the connection, and waited while the queue was full: an app busy before reading
its body (or reading it slowly) held every other stream of the connection unanswered.
Now the body waits for the app beside its queue, and the stream's flow-control window
holds the uploader back: the client gets its credit back as the app reads. The same for
a websocket over HTTP/2 (RFC 8441) whose handler is slow to read its messages.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from typing import Any

import h2.config
import h2.connection
import h2.events
from erlen import Erlen, request, websocket
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, _port, frame

#: The body of the slow upload: several times the stream's window (65,535 bytes), each
#: byte depending on its place, so a body read out of order shows.
TOTAL = 300_000
BODY = bytes(index % 251 for index in range(TOTAL))
BASE = [(":scheme", "http"), (":authority", "x")]


def slow_reader_app(release: asyncio.Event) -> Erlen:
    app = Erlen(__name__)

    @app.route("/upload", methods=["POST"])
    async def upload() -> str:
        await release.wait()  # busy before it reads the body
        data = await request.get_data()
        return f"read {len(data)} bytes: {hashlib.sha256(data).hexdigest()}"

    @app.route("/")
    async def index() -> str:
        return "index"

    return app


class Uploader:
    """A blocking h2 client: stream 1 uploads in small DATA frames as far as its window
    lets it, stream 3 is a GET."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.h2.initiate_connection()
        self.h2.send_headers(1, [(":method", "POST"), (":path", "/upload"), *BASE])
        self.sent = 0
        self.bodies: dict[int, bytes] = {}
        self.ended: set[int] = set()

    def _send_body(self, frame_size: int) -> bool:
        """Send what the window allows; True if anything was sent."""
        size = min(self.h2.local_flow_control_window(1), frame_size, TOTAL - self.sent)
        if size <= 0:
            return False
        self.h2.send_data(1, BODY[self.sent : self.sent + size])
        self.sent += size
        if self.sent == TOTAL:
            self.h2.end_stream(1)
        self.sock.sendall(self.h2.data_to_send())
        return True

    def _read(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed by the server")
        for event in self.h2.receive_data(data):
            if isinstance(event, h2.events.DataReceived):
                self.bodies[event.stream_id] = self.bodies.get(event.stream_id, b"") + event.data
            elif isinstance(event, h2.events.StreamEnded):
                self.ended.add(event.stream_id)
        self.sock.sendall(self.h2.data_to_send())

    def upload_until_blocked_then_get(self) -> None:
        """Upload in 1,000-byte frames (65 of them: the app's queue takes 10) until the
        window is closed, then ask for ``/`` on stream 3 and read its answer."""
        while self._send_body(1000):
            pass
        self.get_on_stream_3()

    def get_on_stream_3(self) -> None:
        """Ask for ``/`` on stream 3 and read until its answer has ended (or 1,000 reads)."""
        self.h2.send_headers(3, [(":method", "GET"), (":path", "/"), *BASE], end_stream=True)
        self.sock.sendall(self.h2.data_to_send())
        for _ in range(1000):
            if 3 in self.ended:
                return
            self._read()

    def finish_upload(self) -> None:
        for _ in range(10_000):
            if 1 in self.ended:
                return
            if not self._send_body(16_000):
                self._read()

    def close(self) -> None:
        self.sock.close()


async def test_a_slow_reader_does_not_hold_the_other_streams() -> None:
    release = asyncio.Event()
    async with serve_app(slow_reader_app(release)) as base_url:
        client = await asyncio.to_thread(Uploader, _port(base_url))
        try:
            await asyncio.to_thread(client.upload_until_blocked_then_get)
            # Stream 3 is answered while stream 1's app has read nothing; flow control
            # holds the uploader: it sent one window's worth and has no credit left.
            assert client.bodies.get(3) == b"index"
            assert client.sent == 65_535
            assert client.h2.local_flow_control_window(1) == 0
            assert 1 not in client.bodies
            release.set()
            await asyncio.to_thread(client.finish_upload)
        finally:
            client.close()
    # The credit came back as the app read: the whole body arrived, in order.
    assert client.sent == TOTAL
    assert client.bodies[1] == f"read {TOTAL} bytes: {hashlib.sha256(BODY).hexdigest()}".encode()


def _posts(port: int, count: int) -> dict[int, Any]:
    """``count`` POSTs of 20 one-byte DATA frames each on one connection, the last one a
    GET; each stream's body (None if none came within the timeout)."""
    client = Uploader(port)
    try:
        for index in range(1, count):
            stream_id = 2 * index + 1
            client.h2.send_headers(stream_id, [(":method", "POST"), (":path", "/upload"), *BASE])
            for _ in range(20):
                client.h2.send_data(stream_id, b"y")
            client.h2.end_stream(stream_id)
        last = 2 * count + 1
        client.h2.send_headers(last, [(":method", "GET"), (":path", "/"), *BASE], end_stream=True)
        client.sock.sendall(client.h2.data_to_send())
        for _ in range(1000):
            if last in client.ended:
                break
            client._read()
        return dict(client.bodies)
    finally:
        client.close()


async def test_many_slow_readers_on_one_connection_do_not_hold_a_get() -> None:
    """Ten uploads whose apps all wait: each body waits in memory (20 messages, more
    than the queue holds), and the GET behind them is answered."""
    release = asyncio.Event()
    async with serve_app(slow_reader_app(release)) as base_url:
        bodies = await asyncio.to_thread(_posts, _port(base_url), 10)
        assert bodies.get(21) == b"index"
        release.set()


#: Websocket messages the client sends over HTTP/2 (RFC 8441): more than one stream
#: window's worth (65,535 bytes) of 1,000-byte messages.
MESSAGES = 200


def slow_websocket_app(release: asyncio.Event, read: list[bytes]) -> Erlen:
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await release.wait()  # busy before it reads
        for _ in range(MESSAGES):
            read.append(await websocket.receive())
        await websocket.send(f"read {len(read)}")

    @app.route("/")
    async def index() -> str:
        return "index"

    return app


class WebsocketUploader(Uploader):
    """Stream 1: a websocket over HTTP/2 sending MESSAGES messages, one DATA frame each
    (numbered, so their order shows), as far as the stream's window lets it."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.h2.initiate_connection()
        self.bodies = {}
        self.ended = set()
        self.sent = 0
        self.statuses: dict[int, bytes] = {}
        self.sock.sendall(self.h2.data_to_send())
        self._read()  # the server's SETTINGS: extended CONNECT is on
        connect = [(":method", "CONNECT"), (":protocol", "websocket"), (":path", "/ws")]
        self.h2.send_headers(1, [*connect, *BASE, ("sec-websocket-version", "13")])
        self.sock.sendall(self.h2.data_to_send())
        while 1 not in self.statuses:
            self._read()

    def _read(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed by the server")
        for event in self.h2.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                self.statuses[event.stream_id] = dict(event.headers)[b":status"]
            elif isinstance(event, h2.events.DataReceived):
                self.bodies[event.stream_id] = self.bodies.get(event.stream_id, b"") + event.data
            elif isinstance(event, h2.events.StreamEnded):
                self.ended.add(event.stream_id)
        self.sock.sendall(self.h2.data_to_send())

    def _send_message(self) -> bool:
        message = frame(0x2, self.sent.to_bytes(2, "big") + b"m" * 998)
        if self.sent == MESSAGES or self.h2.local_flow_control_window(1) < len(message):
            return False
        self.h2.send_data(1, message)
        self.sock.sendall(self.h2.data_to_send())
        self.sent += 1
        return True

    def send_until_blocked_then_get(self) -> None:
        while self._send_message():
            pass
        self.get_on_stream_3()

    def send_the_rest(self) -> None:
        for _ in range(10_000):
            if b"read" in self.bodies.get(1, b""):
                return
            if not self._send_message():
                self._read()


async def test_a_websocket_slow_to_read_does_not_hold_the_other_streams() -> None:
    release = asyncio.Event()
    read: list[bytes] = []
    async with serve_app(slow_websocket_app(release, read)) as base_url:
        client = await asyncio.to_thread(WebsocketUploader, _port(base_url))
        try:
            assert client.statuses[1] == b"200"
            await asyncio.to_thread(client.send_until_blocked_then_get)
            # The GET is answered while the handler reads nothing; flow control holds
            # the websocket's client back before all its messages are sent.
            assert client.bodies.get(3) == b"index"
            assert client.sent < MESSAGES
            release.set()
            await asyncio.to_thread(client.send_the_rest)
        finally:
            client.close()
    assert client.sent == MESSAGES
    assert [message[:2] for message in read] == [n.to_bytes(2, "big") for n in range(MESSAGES)]
