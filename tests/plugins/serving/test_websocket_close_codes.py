"""The close code a handler sees (``ConnectionClosed.code`` and ``.reason``) under the
serving plugin's hypercorn, over a real socket: the client's own code and reason when it
closes first, the code the server sent when it fails the connection, 1006 when the
client vanishes without a close frame. hypercorn told the app 1006 in all of these.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Any

import pytest
from erlen import Erlen, websocket
from erlen.exceptions import ConnectionClosed
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, RawClient, _port, frame

CLOSE = 0x8


def recording_app(seen: list[tuple[int, str]], ended: asyncio.Event, **config: Any) -> Erlen:
    """An echo handler recording the code and reason of the ``ConnectionClosed`` that
    ends it."""
    app = Erlen(__name__)
    app.config.update(config)

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send(await websocket.receive())
        except ConnectionClosed as closed:
            seen.append((closed.code, closed.reason))
        finally:
            ended.set()

    return app


async def run_client(client_does: Any, **config: Any) -> list[tuple[int, str]]:
    """Serve the recording app with ``config``, run ``client_does(RawClient)`` in a
    thread after one echoed message, and return what the handler saw once it ended."""
    seen: list[tuple[int, str]] = []
    ended = asyncio.Event()
    async with serve_app(recording_app(seen, ended, **config)) as base_url:

        def client() -> None:
            raw = RawClient(_port(base_url), deflate=False)
            try:
                raw.sock.sendall(frame(0x1, b"hello"))
                assert raw.read_frame() == (0x1, b"hello")
                client_does(raw)
            finally:
                raw.close()

        await asyncio.to_thread(client)
        await asyncio.wait_for(ended.wait(), TIMEOUT)
    return seen


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()


@pytest.mark.parametrize(
    ("code", "reason"),
    [(1000, ""), (1001, "tab closed"), (4001, "logged out")],
    ids=["normal", "going-away", "app-code"],
)
async def test_the_handler_sees_the_code_and_reason_the_client_closed_with(
    code: int, reason: str
) -> None:
    def close_first(raw: RawClient) -> None:
        raw.sock.sendall(frame(CLOSE, close_payload(code, reason)))
        opcode, payload = raw.read_frame()  # the server answers the closing handshake
        assert opcode == CLOSE
        assert struct.unpack("!H", payload[:2])[0] == code

    assert await run_client(close_first) == [(code, reason)]


async def test_a_registered_code_wsproto_does_not_know_is_a_clean_close(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """1014 ("Bad Gateway", in IANA's registry, sent by proxies): the closing handshake is
    answered with it and the handler sees it. Before, wsproto took it for a protocol
    error: the server failed the connection with 1002 and the handler saw 1002."""
    caplog.set_level(logging.INFO)

    def close_first(raw: RawClient) -> None:
        raw.sock.sendall(frame(CLOSE, close_payload(1014, "upstream down")))
        assert raw.read_frame() == (CLOSE, close_payload(1014, "upstream down"))
        assert raw.closed_by_server()

    assert await run_client(close_first) == [(1014, "upstream down")]
    assert [r.getMessage() for r in caplog.records if r.exc_info is not None] == []


@pytest.mark.parametrize("code", [999, 1004, 1005, 1006, 1015, 1016, 2999, 5000])
async def test_a_code_a_client_may_not_send_fails_the_connection_with_1002(
    code: int, caplog: pytest.LogCaptureFixture
) -> None:
    """RFC 6455 section 7.4: codes outside the registry's and the apps' ranges, and those
    only an endpoint reports (1005, 1006, 1015), are a protocol error: close 1002, which
    the handler sees too, and the connection closed; no traceback."""
    caplog.set_level(logging.INFO)

    def close_first(raw: RawClient) -> None:
        raw.sock.sendall(frame(CLOSE, close_payload(code, "x")))
        assert raw.read_close_code() == 1002
        assert raw.closed_by_server()

    assert await run_client(close_first) == [(1002, "")]
    assert [r.getMessage() for r in caplog.records if r.exc_info is not None] == []


async def test_a_registered_code_with_a_reason_that_is_not_utf8_is_1007() -> None:
    def close_first(raw: RawClient) -> None:
        raw.sock.sendall(frame(CLOSE, struct.pack("!H", 1014) + b"\xff"))
        assert raw.read_close_code() == 1007

    assert await run_client(close_first) == [(1007, "")]


async def test_a_close_frame_without_a_code_is_1005() -> None:
    def close_empty(raw: RawClient) -> None:
        raw.sock.sendall(frame(CLOSE, b""))
        assert raw.read_frame()[0] == CLOSE

    assert await run_client(close_empty) == [(1005, "")]


async def test_a_client_gone_without_a_close_frame_is_1006() -> None:
    assert await run_client(lambda raw: None) == [(1006, "")]


async def test_a_message_over_the_limit_is_1009_for_the_handler_too() -> None:
    def too_big(raw: RawClient) -> None:
        raw.sock.sendall(frame(0x2, b"x" * 4096))
        assert raw.read_close_code() == 1009

    assert await run_client(too_big, WEBSOCKET_MAX_MESSAGE_SIZE=1024) == [(1009, "")]


@pytest.mark.parametrize("declared", [4096, 2**63 - 1])
async def test_a_frame_declaring_more_than_the_limit_is_1009_before_its_payload(
    declared: int,
) -> None:
    """The header alone (and a few bytes): the server fails the connection at once. Before,
    it waited for the payload until WEBSOCKET_MESSAGE_TIMEOUT (a minute)."""

    def declare(raw: RawClient) -> None:
        # The shortest length encoding (RFC 6455 section 5.2), as a client must.
        length = (
            b"\xfe" + struct.pack("!H", declared)
            if declared < 2**16
            else b"\xff" + struct.pack("!Q", declared)
        )
        raw.sock.sendall(b"\x82" + length + b"mask" + b"0123456789")
        assert raw.read_close_code() == 1009
        assert raw.closed_by_server()

    assert await run_client(declare, WEBSOCKET_MAX_MESSAGE_SIZE=1024) == [(1009, "")]


async def test_a_message_of_many_frames_within_the_limit_is_received() -> None:
    """20,000 continuation frames of one byte: one message (the limit counts the
    message, not a frame)."""
    pieces = 20_000

    def fragments(raw: RawClient) -> None:
        frames = [frame(0x2, b"a", fin=False)]
        frames += [frame(0x0, b"a", fin=False)] * (pieces - 2)
        frames.append(frame(0x0, b"a"))
        raw.sock.sendall(b"".join(frames))
        assert raw.read_frame() == (0x2, b"a" * pieces)  # echoed whole
        raw.sock.sendall(frame(CLOSE, close_payload(1000)))
        assert raw.read_close_code() == 1000

    assert await run_client(fragments) == [(1000, "")]


async def test_a_client_silent_after_a_ping_is_1011_for_the_handler_too() -> None:
    def silent(raw: RawClient) -> None:
        assert raw.read_frame() == (0x9, b"")  # the ping, left unanswered
        assert raw.read_close_code() == 1011

    seen = await run_client(silent, WEBSOCKET_PING_INTERVAL=0.2, WEBSOCKET_PING_TIMEOUT=0.2)
    assert seen == [(1011, "")]
