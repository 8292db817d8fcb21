"""An app that answers without reading all its client sent, over real sockets.

hypercorn queues at most 10 messages for an app (``max_app_queue_size``: body chunks,
websocket messages); its reading of the connection waits while the queue is full, and it
puts the app's disconnect in the same queue. So an app that answered a request body sent
in more than 10 pieces without reading it (a 401, 404, 405 or 413 to a chunked upload),
or closed a websocket while more than 10 of its client's messages were unread, left the
connection waiting for good: never closed, never read again (a keep-alive client's next
request hung), and over HTTP/2 every other stream of the connection went unanswered.
The queue of an app that will read no more is now emptied as its stream closes.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

import h2.config
import h2.connection
import h2.events
from erlen import Erlen, abort, websocket
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, RawClient, _port, _raw_exchange, frame

#: More pieces than hypercorn queues for an app (10).
PIECES = 20


def refusing_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/upload", methods=["POST"])
    async def upload() -> str:
        abort(401)  # the body is never read

    @app.route("/")
    async def index() -> str:
        return "index"

    return app


async def test_an_unread_chunked_body_does_not_hold_the_connection() -> None:
    """Answered 401 with ``Connection: close``, then closed; before, the connection stayed
    open, unanswered, for as long as the client liked."""
    chunks = b"5\r\nhello\r\n" * PIECES
    request = (
        b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunks
        + b"0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    async with serve_app(refusing_app()) as base_url:
        received = await _raw_exchange(_port(base_url), request)  # reads to the close
    assert received.startswith(b"HTTP/1.1 401 ")
    assert b"\r\nconnection: close\r\n" in received.lower()
    assert received.count(b"HTTP/1.1 ") == 1  # the request behind it is not served


def _http2_exchange(port: int) -> dict[int, Any]:
    """Stream 1: a POST of PIECES one-byte DATA frames; stream 3: a GET. Each stream's
    status, or None if it got no answer within the timeout."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    base = [(":scheme", "http"), (":authority", "x")]
    client.send_headers(1, [(":method", "POST"), (":path", "/upload"), *base])
    for _ in range(PIECES):
        client.send_data(1, b"x")
    client.end_stream(1)
    client.send_headers(3, [(":method", "GET"), (":path", "/"), *base], end_stream=True)
    statuses: dict[int, Any] = {1: None, 3: None}
    ended: set[int] = set()
    try:
        sock.sendall(client.data_to_send())
        while ended != {1, 3}:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            for event in client.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    statuses[event.stream_id] = dict(event.headers)[b":status"]
                elif isinstance(event, h2.events.StreamEnded):
                    ended.add(event.stream_id)
            sock.sendall(client.data_to_send())
    finally:
        sock.close()
    return statuses


async def test_an_unread_http2_body_does_not_stall_the_other_streams() -> None:
    async with serve_app(refusing_app()) as base_url:
        statuses = await asyncio.to_thread(_http2_exchange, _port(base_url))
    assert statuses == {1: b"401", 3: b"200"}


async def test_a_websocket_closed_with_unread_messages_is_closed() -> None:
    """The handler closes while its client's messages wait unread; the client answers the
    close and the server closes the connection. Before, the connection was held for good
    (no ping either: the watch takes a full queue for the app's wait)."""
    app = Erlen(__name__)
    close_now = asyncio.Event()

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await close_now.wait()  # reads nothing
        await websocket.close(1000)

    async with serve_app(app) as base_url:
        client = await asyncio.to_thread(RawClient, _port(base_url), False)
        try:
            assert client.status == 101
            # Ten messages fill the queue; the pong says the server has read them all.
            # The eleventh waits for room.
            messages = b"".join(frame(0x1, b"m%d" % index) for index in range(10))
            await asyncio.to_thread(client.sock.sendall, messages + frame(0x9, b"p"))
            assert await asyncio.to_thread(client.read_frame) == (0xA, b"p")
            await asyncio.to_thread(client.sock.sendall, frame(0x1, b"unread"))
            close_now.set()
            assert await asyncio.to_thread(client.read_close_code) == 1000
            await asyncio.to_thread(client.sock.sendall, frame(0x8, struct.pack("!H", 1000)))
            assert await asyncio.to_thread(client.closed_by_server)
        finally:
            client.close()
