"""A websocket handshake's ``Sec-WebSocket-Key`` over a real socket: RFC 6455 section
4.2.1 has it the base64 of 16 bytes, sent once, and the server answer anything else with
400. hypercorn switched protocols for ``Sec-WebSocket-Key: x``, or for two keys (taking
the last)."""

from __future__ import annotations

import asyncio

import pytest
from erlen import Erlen, websocket
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, _port

GOOD = b"dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's example: 16 bytes


def handshake(keys: list[bytes]) -> bytes:
    lines = [
        b"GET /ws HTTP/1.1",
        b"Host: x",
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        b"Sec-WebSocket-Version: 13",
        *(b"Sec-WebSocket-Key: " + key for key in keys),
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


@pytest.mark.parametrize(
    "keys, status",
    [
        ([GOOD], b"101"),
        ([b"x"], b"400"),
        ([b"dGhlIHNhbXBsZSBub25jZQ"], b"400"),  # 15 bytes, unpadded
        ([b"!" * 24], b"400"),
        ([b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"], b"400"),  # 24 bytes
        ([GOOD, GOOD], b"400"),
        ([], b"400"),
    ],
    ids=["valid", "x", "short", "not-base64", "long", "two-keys", "none"],
)
async def test_only_one_valid_key_is_accepted(keys: list[bytes], status: bytes) -> None:
    ran: list[str] = []
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        ran.append("handler")
        await websocket.accept()

    async with serve_app(app) as base_url:
        reader, writer = await asyncio.open_connection("127.0.0.1", _port(base_url))
        try:
            writer.write(handshake(keys))
            status_line = await asyncio.wait_for(reader.readuntil(b"\r\n"), TIMEOUT)
        finally:
            writer.close()
    assert status_line.startswith(b"HTTP/1.1 " + status + b" ")
    assert ran == (["handler"] if status == b"101" else [])


@pytest.mark.parametrize(
    "offer, requested",
    [(b",,,,", []), (b"chat, , v2,", ["chat", "v2"]), (b"chat", ["chat"])],
    ids=["only-commas", "empty-items", "one"],
)
async def test_empty_subprotocol_offers_are_ignored(offer: bytes, requested: list[str]) -> None:
    """RFC 9110 section 5.6.1: a list's empty elements are ignored. The handler saw ``""``
    offered (four times for ``,,,,``), and accepting the first answered with an empty
    ``Sec-WebSocket-Protocol``."""
    seen: list[list[str]] = []
    app = Erlen(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        seen.append(websocket.requested_subprotocols)
        offered = websocket.requested_subprotocols
        await websocket.accept(subprotocol=offered[0] if offered else None)

    async with serve_app(app) as base_url:
        reader, writer = await asyncio.open_connection("127.0.0.1", _port(base_url))
        try:
            writer.write(
                handshake([GOOD]).replace(
                    b"\r\n\r\n", b"\r\nSec-WebSocket-Protocol: " + offer + b"\r\n\r\n"
                )
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        finally:
            writer.close()
    assert head.startswith(b"HTTP/1.1 101 ")
    assert seen == [requested]
    chosen = [
        line for line in head.lower().split(b"\r\n") if line.startswith(b"sec-websocket-protocol")
    ]
    assert chosen == ([b"sec-websocket-protocol: " + requested[0].encode()] if requested else [])
