"""HTTP/2 streams whose app outlived what hypercorn knew of them, over a real socket.

Streams the server resets for a client's error ("MadeYouReset", CVE-2025-8671): the
client opens a stream with a complete request, then sends DATA on it, which h2 answers
by resetting the stream itself. hypercorn is not told, so the app ran on for every such
stream (one connection started it 1,673 times, then hypercorn's ``TooManyStreamsError``
and a second traceback ended the connection). The count of client resets (rapid reset)
does not see these.

Apps waiting to send on a connection that has closed: nothing drains their buffers
again, so they waited for ``SEND_TIMEOUT`` after the client had left.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from erlen import Erlen
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, _port, _raw_exchange


def _made_you_reset(port: int, streams: int) -> dict[str, Any]:
    """Open ``streams`` streams, each a GET ended by its HEADERS, then one DATA frame on it
    (a stream error h2 answers with RST_STREAM); the frames the server sent back."""
    import hpack
    from hyperframe.frame import DataFrame, Frame, GoAwayFrame, HeadersFrame

    encoder = hpack.Encoder()
    headers = [(":method", "GET"), (":path", "/"), (":scheme", "http"), (":authority", "x")]
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    received = b""
    try:
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        for index in range(streams):
            stream_id = 2 * index + 1
            frames = (
                HeadersFrame(
                    stream_id, data=encoder.encode(headers), flags=["END_STREAM", "END_HEADERS"]
                ).serialize()
                + DataFrame(stream_id, data=b"x").serialize()
            )
            try:
                sock.sendall(frames)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server ended the connection
        while True:
            try:
                data = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not data:
                break
            received += data
    finally:
        sock.close()
    goaway: list[int] = []
    at = 0
    while at + 9 <= len(received):
        frame, length = Frame.parse_frame_header(memoryview(received[at : at + 9]))
        if at + 9 + length > len(received):
            break
        frame.parse_body(memoryview(received[at + 9 : at + 9 + length]))
        if isinstance(frame, GoAwayFrame):
            goaway.append(frame.error_code)
        at += 9 + length
    return {"goaway": goaway}


def left(baseline: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """The server's tasks started since ``baseline`` and not done."""
    new = set(asyncio.all_tasks()) - baseline - {asyncio.current_task()}
    return {task for task in new if not task.done()}


async def test_streams_reset_by_the_server_for_client_errors_are_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """2,000 such streams: GOAWAY ENHANCE_YOUR_CALM, the app started for a bounded number
    of them (at most twice ``h2_max_concurrent_streams``, 100), nothing logged as an error,
    and other clients are served."""
    import h2.errors

    calls = 0
    release = asyncio.Event()
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        nonlocal calls
        calls += 1
        if not release.is_set():
            await asyncio.wait_for(release.wait(), TIMEOUT)  # an app that takes its time
        return "hi"

    async with serve_app(app) as base_url:
        port = _port(base_url)
        await asyncio.sleep(0.05)  # the start-up probe's connection ends
        baseline = set(asyncio.all_tasks())
        outcome = await asyncio.to_thread(_made_you_reset, port, 2000)
        assert outcome["goaway"] == [h2.errors.ErrorCodes.ENHANCE_YOUR_CALM]
        assert calls <= 200, f"the app ran for {calls} of 2000 streams"
        release.set()
        received = await _raw_exchange(
            port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert received.startswith(b"HTTP/1.1 200 ") and received.endswith(b"hi")
        # Every app started ends, and the connection with them: none waits for a
        # response nothing will send (each waited SEND_TIMEOUT after the connection
        # had closed).
        for _ in range(int(TIMEOUT / 0.01)):
            if not left(baseline):
                break
            await asyncio.sleep(0.01)
        assert not left(baseline)
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []


async def test_an_app_waiting_to_send_is_let_go_when_the_connection_closes() -> None:
    """A client with a closed flow-control window asks for a 1 MB body, then closes the
    connection: the app, waiting for room to send, ends at once (with the connection's
    task). It waited for ``SEND_TIMEOUT`` after its client had left (hypercorn: for
    good), since nothing drains a stream's buffer once the connection is gone."""
    import h2.events

    from tests.plugins.serving.test_hostile_streams import H2Client

    app = Erlen(__name__)
    app.config["SEND_TIMEOUT"] = 5 * TIMEOUT  # longer than any wait of this test
    asked = asyncio.Event()

    @app.route("/big")
    async def big() -> bytes:
        asked.set()
        return bytes(1024 * 1024)

    def leave_after_asking(port: int) -> None:
        client = H2Client(port, window=0)
        client.request(1, b"/big")
        client.read_until(
            lambda events: any(isinstance(e, h2.events.ResponseReceived) for e in events)
        )
        client.close()

    async with serve_app(app) as base_url:
        await asyncio.sleep(0.05)  # the start-up probe's connection ends
        baseline = set(asyncio.all_tasks())
        await asyncio.to_thread(leave_after_asking, _port(base_url))
        assert asked.is_set()
        for _ in range(int(TIMEOUT / 0.01)):
            if not left(baseline):
                break
            await asyncio.sleep(0.01)
        assert not left(baseline)
