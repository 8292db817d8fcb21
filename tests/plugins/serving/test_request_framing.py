"""Request heads whose framing a front end and the server may read two ways, over real
sockets: ``Transfer-Encoding`` in an HTTP/1.0 request and a header line folded onto the
next (obs-fold). Each gets 400 and the connection is closed, so nothing sent after it is
read as a request or as its body.

h11 read an HTTP/1.0 request's body as chunked, and unfolded ``Transfer-Encoding:`` CRLF
SP ``chunked`` into ``Transfer-Encoding: chunked``: a proxy that ignores
``Transfer-Encoding`` in HTTP/1.0 (RFC 9112 section 6.1: the framing is then faulty) or
takes the folded line for a header of its own sees a request without a body, and the
chunks that follow as the next request (request smuggling). nginx answers both with 400.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import _port, _raw_exchange, http_app

SMUGGLED = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize(
    "head",
    [
        # HTTP/1.0 with Transfer-Encoding, keep-alive asked for
        b"POST / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n",  # folded
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n\tchunked\r\n",  # by a tab
        b"POST / HTTP/1.1\r\nHost: x\r\nX-A: a\n b\nTransfer-Encoding: chunked\n",  # bare LFs
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Note: one\r\n two\r\nContent-Length: 0\r\n",
    ],
)
async def test_a_request_framed_two_ways_gets_400_and_a_close(
    head: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serve_app(http_app()) as base_url:
        received = await _raw_exchange(
            _port(base_url), head + b"\r\n" + b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED
        )
    assert received.startswith(b"HTTP/1.1 400 ")
    assert received.count(b"HTTP/1.1 ") == 1  # nothing after it was answered
    assert b"\r\nconnection: close\r\n" in received.lower()
    assert [r.getMessage() for r in caplog.records if r.exc_info is not None] == []


async def test_a_fold_trickled_in_pieces_gets_400() -> None:
    """The head is checked once it is whole, however it arrived."""
    async with serve_app(http_app()) as base_url:
        port = _port(base_url)
        received = await _raw_exchange_in_pieces(
            port, [b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n", b" b\r\n", b"\r\n"]
        )
    assert received.startswith(b"HTTP/1.1 400 ")


async def _raw_exchange_in_pieces(port: int, pieces: list[bytes]) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.05)  # each piece its own read
        return await asyncio.wait_for(reader.read(65536), 10)
    finally:
        writer.close()


async def test_bodies_with_folds_and_ordinary_http_1_0_are_served() -> None:
    """Only the head is looked at: a body holding LF SP (a text upload) is read as
    before, with a pipelined request behind it; an HTTP/1.0 request with a
    ``Content-Length`` (or none) is served."""
    body = b"line one\n indented\r\n\ttabbed"
    pipelined = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body
        + b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n \n"
    )
    async with serve_app(http_app()) as base_url:
        port = _port(base_url)
        received = await _raw_exchange(port, pipelined)
        old = await _raw_exchange(
            port, b"POST / HTTP/1.0\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        )
        bare = await _raw_exchange(port, b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    assert received.count(b"HTTP/1.1 200 ") == 2
    assert received.endswith(b"body 2") and b"body 27" in received
    assert old.startswith(b"HTTP/1.1 200 ") and old.endswith(b"body 3")
    assert bare.startswith(b"HTTP/1.1 200 ") and bare.endswith(b"body 0")
