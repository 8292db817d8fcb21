"""TLS connections the server closes while the client goes on sending, over a real
socket: a request refused with 400 (``Content-Length`` with ``Transfer-Encoding``), or a
``Connection: close`` request answered, then more bytes. hypercorn's close raised
``ssl.SSLError`` (APPLICATION_DATA_AFTER_CLOSE_NOTIFY) or, closing the transport a second
time, ``AttributeError``; asyncio logged "Unhandled exception in client_connected_cb"
with a traceback for each such connection (a log any client could flood).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from typing import Any

import pytest
from erlen import Erlen
from erlen.plugins.serving.adhoc import adhoc_certificate
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, _port
from tests.plugins.serving.test_http2_server_resets import left


def keep_sending_after(port: int, request: bytes) -> bytes:
    """Send ``request`` over TLS, then 50 KB more in small writes whatever the server
    does; the start of its answer."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    with context.wrap_socket(raw, server_hostname="localhost") as sock:
        sock.sendall(request)
        time.sleep(0.1)  # the server answers, and closes its side
        try:
            for _ in range(50):
                sock.sendall(b"x" * 1000)
                time.sleep(0.005)
        except OSError:
            pass  # the server has closed the connection
        try:
            return sock.recv(64)
        except OSError:
            return b""


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ],
    ids=["refused-400", "connection-close"],
)
async def test_a_tls_client_sending_after_the_close_logs_no_traceback(
    request_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    certfile, keyfile = adhoc_certificate(None)
    app = Erlen(__name__)

    @app.route("/", methods=["GET", "POST"])
    async def index() -> str:
        return "hi"

    async with serve_app(app, certfile=certfile, keyfile=keyfile) as base_url:
        await asyncio.sleep(0.05)  # the start-up probe's connection ends
        baseline: set[asyncio.Task[Any]] = set(asyncio.all_tasks())
        answer = await asyncio.to_thread(keep_sending_after, _port(base_url), request_bytes)
        for _ in range(int(TIMEOUT / 0.01)):  # the connection's task ends
            if not left(baseline):
                break
            await asyncio.sleep(0.01)
        assert not left(baseline)
    assert answer.startswith(b"HTTP/1.1 ")
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
