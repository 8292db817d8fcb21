"""``Expect: 100-continue`` over a real socket: the server tells the client to send its
body when the app first reads it, so a body the app refuses unread (a declared length
over ``MAX_CONTENT_LENGTH``, a 404, a view that does not read it) is never sent. Before,
hypercorn sent ``100 Continue`` as soon as the request head was read (it was in the
deployment guide's "Still open"). Waits are bounded and nothing is timed.
"""

from __future__ import annotations

import asyncio

import pytest
from erlen import Erlen, request
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, _port


def continue_app() -> Erlen:
    app = Erlen(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1000

    @app.route("/upload", methods=["POST"])
    async def upload() -> str:
        return f"read {len(await request.get_data())}"

    @app.route("/refuse", methods=["POST"])
    async def refuse() -> tuple[str, int]:
        return "no uploads here", 403

    return app


async def _head(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)


async def _expecting(
    port: int, path: str, length: int
) -> tuple[bytes, asyncio.StreamReader, asyncio.StreamWriter]:
    """Send a POST head with ``Expect: 100-continue`` and no body; the first answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
        "Expect: 100-continue\r\n\r\n".encode()
    )
    return await _head(reader), reader, writer


@pytest.mark.parametrize(
    ("path", "length", "status"),
    [("/upload", 10_000_000, 413), ("/refuse", 10, 403), ("/nowhere", 10, 404)],
    ids=["over-max-content-length", "not-read-by-the-view", "no-route"],
)
async def test_a_body_refused_unread_is_not_asked_for(path: str, length: int, status: int) -> None:
    """The final answer comes first, no ``100 Continue`` before it: the client keeps its
    body (10 MB here), and the response says the connection closes."""
    async with serve_app(continue_app()) as base_url:
        head, _reader, writer = await _expecting(_port(base_url), path, length)
        writer.close()
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"connection: close" in head.lower()


async def test_a_body_the_view_reads_is_asked_for_then_answered() -> None:
    """A view reading the body: ``100 Continue``, then the client's body, then the answer;
    the connection stays open for the next request."""
    async with serve_app(continue_app()) as base_url:
        head, reader, writer = await _expecting(_port(base_url), "/upload", 10)
        try:
            writer.write(b"0123456789")
            final = await _head(reader)
            body = await asyncio.wait_for(reader.readexactly(len(b"read 10")), TIMEOUT)
        finally:
            writer.close()
    assert head.startswith(b"HTTP/1.1 100 ")
    assert final.startswith(b"HTTP/1.1 200 ") and b"connection: close" not in final.lower()
    assert body == b"read 10"
