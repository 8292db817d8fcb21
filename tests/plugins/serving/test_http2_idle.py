"""Idle HTTP/2 connections close after the keep-alive timeout, over real sockets.

A client speaking cleartext HTTP/2 by prior knowledge that sent the preface and nothing
more held its connection (a descriptor, its buffers) for good: hypercorn's HTTP/1.1 side
read ``PRI * HTTP/2.0`` as a request, which stopped the keep-alive timer, and nothing
restarted it until a stream ended. It now closes as an idle HTTP/1.1 connection does.
"""

from __future__ import annotations

import asyncio
import socket

import h2.config
import h2.connection
import h2.events
from erlen import Erlen
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, _port

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
EMPTY_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def _app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "index"

    return app


def _closed_by_server(port: int, data: bytes) -> bool:
    """Send ``data``, then nothing: True when the server closes the connection within the
    timeout (several keep-alive timeouts)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    try:
        sock.sendall(data)
        while sock.recv(65536):
            pass
        return True
    except TimeoutError:
        return False
    finally:
        sock.close()


async def test_a_preface_and_nothing_more_is_closed_after_the_keep_alive_timeout() -> None:
    async with serve_app(_app(), keep_alive_timeout=1) as base_url:
        port = _port(base_url)
        closed = await asyncio.gather(
            asyncio.to_thread(_closed_by_server, port, PREFACE),
            asyncio.to_thread(_closed_by_server, port, PREFACE + EMPTY_SETTINGS),
        )
    assert closed == [True, True]


def _request_then_idle(port: int) -> tuple[bytes | None, bool]:
    """A GET by prior knowledge, then nothing: its answer, and whether the server then
    closed the connection."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    base = [(":scheme", "http"), (":authority", "x")]
    client.send_headers(1, [(":method", "GET"), (":path", "/"), *base], end_stream=True)
    body = None
    try:
        sock.sendall(client.data_to_send())
        while True:
            data = sock.recv(65536)
            if not data:
                return body, True
            for event in client.receive_data(data):
                if isinstance(event, h2.events.DataReceived) and event.data:
                    body = event.data
            sock.sendall(client.data_to_send())
    except TimeoutError:
        return body, False
    finally:
        sock.close()


async def test_a_connection_idle_after_its_requests_is_closed_too() -> None:
    async with serve_app(_app(), keep_alive_timeout=1) as base_url:
        body, closed = await asyncio.to_thread(_request_then_idle, _port(base_url))
    assert body == b"index"
    assert closed
