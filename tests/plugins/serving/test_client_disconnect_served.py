"""Served as ``kernel run`` serves it, over real sockets: a view still working when its
client goes away (the connection closed, an HTTP/2 stream reset) is cancelled, as under
Quart, and the server goes on answering. It ran to the end for nobody before: a long poll
whose client left waited for good."""

from __future__ import annotations

import asyncio
import socket

import h2.config
import h2.connection
import h2.errors
import h2.events
from erlen import Erlen, request
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, _port


def long_poll_app(events: list[str], waiting: asyncio.Event) -> Erlen:
    app = Erlen(__name__)
    never = asyncio.Event()

    @app.route("/poll", methods=["GET", "POST"])
    async def poll() -> str:
        if request.method == "POST":
            events.append(f"body {len(await request.get_data())}")
        waiting.set()
        try:
            await never.wait()  # a long poll nothing answers
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        return "never"

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        if request.path == "/poll":
            events.append(f"teardown {type(exc).__name__}")

    return app


async def wait_for(events: list[str], expected: list[str]) -> None:
    for _ in range(int(TIMEOUT / 0.05)):
        if events == expected:
            return
        await asyncio.sleep(0.05)
    assert events == expected


async def get(port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    data = await asyncio.wait_for(reader.read(), TIMEOUT)
    writer.close()
    return data


async def test_a_long_poll_is_cancelled_when_its_http1_client_leaves() -> None:
    events: list[str] = []
    waiting = asyncio.Event()
    async with serve_app(long_poll_app(events, waiting)) as base_url:
        port = _port(base_url)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /poll HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.wait_for(waiting.wait(), TIMEOUT)
        await asyncio.sleep(0.6)
        writer.close()
        await wait_for(events, ["cancelled", "teardown CancelledError"])
        assert (await get(port, "/")).endswith(b"\r\n\r\nindex")


async def test_a_post_whose_body_was_read_is_cancelled_when_its_client_leaves() -> None:
    events: list[str] = []
    waiting = asyncio.Event()
    async with serve_app(long_poll_app(events, waiting)) as base_url:
        reader, writer = await asyncio.open_connection("127.0.0.1", _port(base_url))
        writer.write(b"POST /poll HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        await asyncio.wait_for(waiting.wait(), TIMEOUT)
        writer.close()
        await wait_for(events, ["body 5", "cancelled", "teardown CancelledError"])


def reset_after_headers(port: int, waiting_flag: list[bool]) -> bytes:
    """An HTTP/2 client: GET /poll on stream 1, then (once the view waits) reset it and
    GET / on stream 3 over the same connection; stream 3's body."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    base = [(":scheme", "http"), (":authority", "x")]
    conn.send_headers(1, [(":method", "GET"), (":path", "/poll"), *base], end_stream=True)
    sock.sendall(conn.data_to_send())
    try:
        for _ in range(int(TIMEOUT / 0.05)):
            if waiting_flag:
                break
            sock.settimeout(0.05)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            conn.receive_data(data)
            sock.sendall(conn.data_to_send())
        sock.settimeout(TIMEOUT)
        conn.reset_stream(1, h2.errors.ErrorCodes.CANCEL)
        conn.send_headers(3, [(":method", "GET"), (":path", "/"), *base], end_stream=True)
        sock.sendall(conn.data_to_send())
        body = b""
        for _ in range(1000):
            data = sock.recv(65536)
            if not data:
                break
            ended = False
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.DataReceived) and event.stream_id == 3:
                    body += event.data
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == 3:
                    ended = True
            sock.sendall(conn.data_to_send())
            if ended:
                break
        return body
    finally:
        sock.close()


async def test_a_long_poll_is_cancelled_when_its_http2_stream_is_reset() -> None:
    events: list[str] = []
    waiting = asyncio.Event()
    flag: list[bool] = []

    async def mark_waiting() -> None:
        await waiting.wait()
        await asyncio.sleep(0.6)
        flag.append(True)

    async with serve_app(long_poll_app(events, waiting)) as base_url:
        marker = asyncio.ensure_future(mark_waiting())
        body = await asyncio.to_thread(reset_after_headers, _port(base_url), flag)
        await marker
        assert body == b"index"
        await wait_for(events, ["cancelled", "teardown CancelledError"])
