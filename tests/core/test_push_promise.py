"""``make_push_promise``: HTTP/2 server push through hypercorn, a no-op elsewhere."""

from __future__ import annotations

import asyncio
from typing import Any

import h2.config
import h2.connection
import h2.events
import pytest
from erlen import Erlen, make_push_promise
from erlen.plugins.testing.server import serve_app


def push_app() -> Erlen:
    app = Erlen(__name__, static_folder=None)

    @app.route("/")
    async def index() -> str:
        await make_push_promise("/style.css")
        return "<link rel=stylesheet href=/style.css>"

    @app.route("/style.css")
    async def style() -> Any:
        return "p {}", 200, {"Content-Type": "text/css"}

    return app


async def test_test_client_records_push_promises() -> None:
    client = push_app().test_client()
    response = await client.get(
        "/", headers={"Accept-Language": "fr", "X-Other": "1"}, http_version="2"
    )
    assert response.status_code == 200
    [(path, headers)] = client.push_promises
    assert path == "/style.css"
    assert headers["Accept-Language"] == "fr"  # the headers that shape the pushed response
    assert "X-Other" not in headers


async def test_outside_a_request_it_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        await make_push_promise("/x")


async def h2_get(port: int, path: str) -> tuple[int, list[str], dict[int, bytes]]:
    """A raw HTTP/2 (prior knowledge) client that accepts pushes: status, pushed paths,
    and the body of every stream."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    stream_id = conn.get_next_available_stream_id()
    conn.send_headers(
        stream_id,
        [(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", "localhost")],
        end_stream=True,
    )
    writer.write(conn.data_to_send())
    status = 0
    pushed: list[str] = []
    bodies: dict[int, bytes] = {}
    open_streams = {stream_id}
    try:
        while open_streams:
            data = await asyncio.wait_for(reader.read(65536), 5)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream_id:
                    status = int(dict(event.headers)[b":status"])
                elif isinstance(event, h2.events.PushedStreamReceived):
                    pushed.append(dict(event.headers)[b":path"].decode())
                    open_streams.add(event.pushed_stream_id)
                elif isinstance(event, h2.events.DataReceived):
                    bodies[event.stream_id] = bodies.get(event.stream_id, b"") + event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    open_streams.discard(event.stream_id)
            writer.write(conn.data_to_send())
    finally:
        writer.close()
        await writer.wait_closed()
    return status, pushed, bodies


async def test_hypercorn_pushes_over_http2() -> None:
    async with serve_app(push_app()) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        status, pushed, bodies = await h2_get(port, "/")
    assert status == 200
    assert pushed == ["/style.css"]
    assert bodies[1] == b"<link rel=stylesheet href=/style.css>"
    assert b"p {}" in bodies.values()


async def test_http1_has_no_push_and_the_page_still_loads() -> None:
    async with serve_app(push_app()) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        raw = await asyncio.wait_for(reader.read(-1), 5)
        writer.close()
        await writer.wait_closed()
    assert raw.startswith(b"HTTP/1.1 200")
    assert raw.endswith(b"<link rel=stylesheet href=/style.css>")
