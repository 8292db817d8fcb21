"""``SEND_TIMEOUT`` over real sockets: a client that takes none of what the server sends
it for that long is dropped, and a slow client that reads is not. Descriptors are
counted in this process (the server runs in it); waits are bounded, nothing is timed.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import Any

import h2.errors
import h2.events
import pytest
from erlen import Erlen
from erlen.plugins.testing.server import serve_app

from tests.plugins.serving.test_hardening import TIMEOUT, _port
from tests.plugins.serving.test_hostile_streams import H2Client, _ended

SIZE = 5_000_000


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def send_app() -> Erlen:
    app = Erlen(__name__)
    app.config["SEND_TIMEOUT"] = 1
    app.config["RESPONSE_TIMEOUT"] = 1

    @app.route("/memory")
    async def memory() -> bytes:
        return b"x" * SIZE  # one body held in memory: one write

    @app.route("/stream")
    async def stream() -> Any:
        async def body() -> Any:
            while True:
                yield b"x" * 65536

        return body()  # stopped by RESPONSE_TIMEOUT

    return app


def _non_reading_client(port: int, path: str) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(TIMEOUT)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


def _answered_client(port: int, path: str) -> socket.socket:
    """A non-reading client whose response has begun (its first byte read)."""
    sock = _non_reading_client(port, path)
    assert sock.recv(1) == b"H"
    return sock


@pytest.mark.parametrize("path", ["/memory", "/stream"])
async def test_a_client_that_never_reads_is_dropped(path: str) -> None:
    """Five clients that ask for a big response and never read it: the server drops each
    connection once it took nothing for ``SEND_TIMEOUT``. Before, each was held as long as
    the client liked, with the response buffered for it (``/memory``: the 5 MB body; 50
    such clients under ``kernel run``: +300 MB), also once ``RESPONSE_TIMEOUT`` had ended
    a streamed body (``/stream``: asyncio's close waits to send what is buffered)."""
    count = 5
    async with serve_app(send_app()) as base_url:
        port = _port(base_url)
        baseline = _open_descriptors()
        clients = await asyncio.to_thread(
            lambda: [_answered_client(port, path) for _ in range(count)]
        )
        try:
            held = _open_descriptors() - baseline - count  # the server's side
            for _ in range(int(TIMEOUT / 0.05)):  # bounded
                if held == 0:
                    break
                await asyncio.sleep(0.05)
                held = _open_descriptors() - baseline - count
        finally:
            for client in clients:
                client.close()
    assert held == 0, f"{held} of {count} connections still held for clients that never read"


async def test_a_slow_client_that_reads_gets_everything() -> None:
    """A client reading the 5 MB body in 64 KiB steps with a pause between them: it is
    slow, but takes something well within every ``SEND_TIMEOUT``, so it gets it all."""

    def slow_read(port: int) -> int:
        sock = _non_reading_client(port, "/memory")
        received = 0
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(65536)
            received = len(head.partition(b"\r\n\r\n")[2])
            while received < SIZE:
                data = sock.recv(65536)
                if not data:
                    break
                received += len(data)
                time.sleep(0.002)
        finally:
            sock.close()
        return received

    async with serve_app(send_app()) as base_url:
        received = await asyncio.to_thread(slow_read, _port(base_url))
    assert received == SIZE


async def test_an_http2_stream_whose_window_stays_closed_is_given_up() -> None:
    """An HTTP/2 client that keeps its flow-control window closed (INITIAL_WINDOW_SIZE 0)
    and asks for five 5 MB bodies held in memory on one connection: each stream is reset
    (CANCEL) once the client took none of it for ``SEND_TIMEOUT``. Before, each stayed
    for as long as the client liked, its body buffered a second time in full (100 such
    streams on two connections under ``kernel run``: +920 MB, held; now +490 MB, the
    apps' own bodies, freed after ``SEND_TIMEOUT``)."""
    streams = range(1, 11, 2)

    def attack(port: int) -> list[Any]:
        client = H2Client(port, window=0)
        try:
            for stream_id in streams:
                client.request(stream_id, b"/memory")
            return client.read_until(lambda events: all(_ended(sid)(events) for sid in streams))
        finally:
            client.close()

    async with serve_app(send_app()) as base_url:
        events = await asyncio.to_thread(attack, _port(base_url))
    resets = {e.stream_id: e.error_code for e in events if isinstance(e, h2.events.StreamReset)}
    assert resets == dict.fromkeys(streams, h2.errors.ErrorCodes.CANCEL)
