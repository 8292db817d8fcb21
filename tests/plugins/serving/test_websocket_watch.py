"""The websocket watch (``erlen.plugins.serving.wswatch``) over a real socket: a silent
client is pinged, then closed with 1011; a client answering pings stays; a message begun
and never finished is closed with 1008. Before it, each of these held its connection
(and the unfinished message's buffer: 50 clients held 720 MB) for good.

The timeouts are set to fractions of a second; every wait is bounded by the socket's
timeout, and no assertion depends on how long something took.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import pytest
from erlen import Erlen, websocket
from erlen.exceptions import ConnectionClosed
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, RawClient, _port, frame

PING, PONG, CLOSE = 0x9, 0xA, 0x8


def watched_app(ended: asyncio.Event, received: list[Any], **config: Any) -> Erlen:
    app = Erlen(__name__)
    app.config.update(config)

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.accept()
        try:
            while True:
                message = await websocket.receive()
                received.append(message)
                await websocket.send(message)
        except ConnectionClosed:
            pass
        finally:
            ended.set()

    return app


def small_frames(data: bytes) -> list[tuple[int, bytes]]:
    """The whole server frames (unmasked, under 126 bytes: pings, close frames) at the
    start of ``data``."""
    frames, at = [], 0
    while at + 2 <= len(data) and at + 2 + (data[at + 1] & 0x7F) <= len(data):
        length = data[at + 1] & 0x7F
        frames.append((data[at] & 0x0F, data[at + 2 : at + 2 + length]))
        at += 2 + length
    return frames


def close_code(payload: bytes) -> int:
    return int(struct.unpack("!H", payload[:2])[0]) if payload else 1005


async def test_a_silent_client_is_pinged_then_closed_with_1011() -> None:
    """A client that connects and sends nothing, not even the pong: a ping after
    ``WEBSOCKET_PING_INTERVAL``, close 1011 after ``WEBSOCKET_PING_TIMEOUT`` more, the
    connection closed and the handler ended."""
    ended, received = asyncio.Event(), []
    app = watched_app(ended, received, WEBSOCKET_PING_INTERVAL=0.2, WEBSOCKET_PING_TIMEOUT=0.2)
    async with serve_app(app) as base_url:

        def silent() -> tuple[tuple[int, bytes], tuple[int, bytes], bool]:
            client = RawClient(_port(base_url), deflate=False)
            try:
                return client.read_frame(), client.read_frame(), client.closed_by_server()
            finally:
                client.close()

        first, second, closed = await asyncio.to_thread(silent)
        assert first == (PING, b"")
        assert second[0] == CLOSE
        assert close_code(second[1]) == 1011
        assert closed
        await asyncio.wait_for(ended.wait(), TIMEOUT)
    assert received == []


async def test_a_client_answering_pings_stays_connected() -> None:
    """A client that only listens but answers each ping (as every client library and
    browser does) is pinged again and again, never closed, and still served."""
    ended, received = asyncio.Event(), []
    app = watched_app(ended, received, WEBSOCKET_PING_INTERVAL=0.1, WEBSOCKET_PING_TIMEOUT=0.1)
    async with serve_app(app) as base_url:

        def listener() -> tuple[list[int], tuple[int, bytes]]:
            client = RawClient(_port(base_url), deflate=False)
            try:
                opcodes = []
                for _ in range(5):
                    opcode, payload = client.read_frame()
                    opcodes.append(opcode)
                    client.sock.sendall(frame(PONG, payload))
                client.sock.sendall(frame(0x1, b"still here"))
                while True:  # a ping may come before the echo: answer it
                    opcode, payload = client.read_frame()
                    if opcode != PING:
                        return opcodes, (opcode, payload)
                    client.sock.sendall(frame(PONG, payload))
            finally:
                client.close()

        opcodes, echoed = await asyncio.to_thread(listener)
    assert opcodes == [PING] * 5
    assert echoed == (0x1, b"still here")


async def test_a_talking_client_sees_no_ping_with_the_defaults() -> None:
    """With the default interval (20 s), a client exchanging messages gets its answers
    and no unasked-for ping first (hypercorn's ``websocket_ping_interval`` pings as soon
    as the websocket opens)."""
    ended, received = asyncio.Event(), []
    app = watched_app(ended, received)
    assert app.config["WEBSOCKET_PING_INTERVAL"] == 20.0
    assert app.config["WEBSOCKET_PING_TIMEOUT"] == 20.0
    assert app.config["WEBSOCKET_MESSAGE_TIMEOUT"] == 60.0
    async with serve_app(app) as base_url:

        def talk() -> list[tuple[int, bytes]]:
            client = RawClient(_port(base_url), deflate=False)
            try:
                answers = []
                for index in range(3):
                    client.sock.sendall(frame(0x1, b"hello %d" % index))
                    answers.append(client.read_frame())
                return answers
            finally:
                client.close()

        answers = await asyncio.to_thread(talk)
    assert answers == [(0x1, b"hello 0"), (0x1, b"hello 1"), (0x1, b"hello 2")]


@pytest.mark.parametrize("ping_interval", [None, 0.1], ids=["no-ping", "ping"])
async def test_a_message_never_finished_is_closed_with_1008(ping_interval: float | None) -> None:
    """A first fragment of 1 MB, then a byte at a time (the client keeps talking, so the
    ping does not end it): close 1008 once ``WEBSOCKET_MESSAGE_TIMEOUT`` has passed since
    the first fragment, the connection closed, the handler ended without the message."""
    ended, received = asyncio.Event(), []
    app = watched_app(
        ended,
        received,
        WEBSOCKET_MESSAGE_TIMEOUT=0.3,
        WEBSOCKET_PING_INTERVAL=ping_interval,
    )
    async with serve_app(app) as base_url:

        def trickle() -> tuple[int, bool]:
            client = RawClient(_port(base_url), deflate=False)
            try:
                client.sock.sendall(frame(0x2, bytes(1024 * 1024), fin=False))
                client.sock.settimeout(0.05)
                received = b""
                for _ in range(int(TIMEOUT / 0.05)):  # bounded: until the close frame
                    try:
                        client.sock.sendall(frame(0x0, b"x", fin=False))
                        received += client.sock.recv(65536)
                    except TimeoutError:
                        continue
                    except (BrokenPipeError, ConnectionResetError):
                        break  # closed by the server
                    closes = [p for opcode, p in small_frames(received) if opcode == CLOSE]
                    if closes:
                        client.sock.settimeout(TIMEOUT)
                        return close_code(closes[0]), client.closed_by_server()
                raise AssertionError(f"no close frame: {received!r}")
            finally:
                client.close()

        code, closed = await asyncio.to_thread(trickle)
        assert code == 1008
        assert closed
        await asyncio.wait_for(ended.wait(), TIMEOUT)
    assert received == []


def test_none_turns_the_watch_off() -> None:
    """``None`` passes no bound to the server (as hypercorn: nothing is watched)."""
    from erlen.plugins.serving.wswatch import (
        MESSAGE_TIMEOUT_SETTING,
        PING_INTERVAL_SETTING,
        PING_TIMEOUT_SETTING,
    )
    from erlen.plugins.testing.server import _app_server_settings

    app = Erlen(__name__)
    app.config.update(
        WEBSOCKET_PING_INTERVAL=None, WEBSOCKET_PING_TIMEOUT=None, WEBSOCKET_MESSAGE_TIMEOUT=None
    )
    settings = _app_server_settings(app)
    assert settings[PING_INTERVAL_SETTING] is None
    assert settings[PING_TIMEOUT_SETTING] is None
    assert settings[MESSAGE_TIMEOUT_SETTING] is None


async def test_a_silent_http2_websocket_is_closed_and_its_stream_ended() -> None:
    """Over HTTP/2 (RFC 8441) too: the ping, close 1011, the stream ended, the handler
    ended, and the connection serves on."""
    import h2.events

    from tests.plugins.serving.test_hostile_streams import H2Client, _ended, _outcome
    from tests.plugins.serving.test_stream_endings import _open_websocket, _stream_data

    ended, received = asyncio.Event(), []
    app = watched_app(ended, received, WEBSOCKET_PING_INTERVAL=0.2, WEBSOCKET_PING_TIMEOUT=0.2)

    @app.route("/")
    async def index() -> str:
        return "hi"

    def silent(port: int) -> list[Any]:
        client = H2Client(port)
        try:
            _open_websocket(client, 1)
            client.read_until(_ended(1))  # the client sends nothing, not even the pong
            client.request(3, b"/")
            return client.read_until(_ended(3))
        finally:
            client.close()

    async with serve_app(app) as base_url:
        events = await asyncio.to_thread(silent, _port(base_url))
        await asyncio.wait_for(ended.wait(), TIMEOUT)
    assert _outcome(events, 1) == 200
    assert any(isinstance(e, h2.events.StreamEnded) and e.stream_id == 1 for e in events)
    frames = small_frames(_stream_data(events, 1))
    assert frames[0] == (PING, b"")
    assert frames[-1][0] == CLOSE
    assert close_code(frames[-1][1]) == 1011
    assert _outcome(events, 3) == 200
    assert received == []


async def test_a_client_waiting_on_a_slow_handler_is_not_dropped() -> None:
    """A client that sent more than a slow handler has read (hypercorn then stops reading
    its socket, so its pongs wait unread) is not taken for a silent one: the handler
    gets every message. Before the watch looked at the app's queue, it closed 1011."""
    app = Erlen(__name__)
    app.config.update(WEBSOCKET_PING_INTERVAL=0.1, WEBSOCKET_PING_TIMEOUT=0.1)
    count = 30

    @app.websocket("/ws")
    async def slow() -> None:
        await websocket.accept()
        for _ in range(count):
            await asyncio.sleep(0.05)  # a handler reading slower than its client sends
            await websocket.receive()
        await websocket.send(f"got {count}")

    async with serve_app(app) as base_url:

        def client() -> tuple[int, bytes]:
            client = RawClient(_port(base_url), deflate=False)
            try:
                for index in range(count):
                    client.sock.sendall(frame(0x1, b"message %d" % index))
                while True:  # bounded by the socket timeout
                    opcode, payload = client.read_frame()
                    if opcode == PING:
                        client.sock.sendall(frame(PONG, payload))
                    else:
                        return opcode, payload
            finally:
                client.close()

        answer = await asyncio.to_thread(client)
    assert answer == (0x1, b"got 30")
