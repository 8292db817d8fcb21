"""Body limits over a real socket (hypercorn on 127.0.0.1): the client never sends the
whole body, and the 413 / 408 still arrives promptly."""

from __future__ import annotations

import asyncio
from typing import Any

from erlen import Erlen, request
from erlen.plugins.testing.server import serve_app

# Far longer than any wait below: an answer that arrives proves the server did not wait
# for the body the client never sends.
SERVER_BODY_TIMEOUT = 60


def make_app(**config: Any) -> Erlen:
    app = Erlen(__name__)
    app.config["BODY_TIMEOUT"] = SERVER_BODY_TIMEOUT
    app.config.update(config)

    @app.route("/data", methods=["POST"])
    async def data() -> str:
        return str(len(await request.get_data()))

    @app.route("/form", methods=["POST"])
    async def form() -> str:
        return str(len(await request.form))

    return app


async def exchange(base_url: str, head: bytes, body_part: bytes, timeout: float = 5) -> bytes:
    """Send ``head`` and part of a body, keep the connection open, return what comes back."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head + body_part)
        await writer.drain()
        return await asyncio.wait_for(_read_response(reader), timeout)
    finally:
        writer.close()


async def _read_response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + await reader.readexactly(length)


def request_head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def test_large_declared_length_is_413_without_reading_the_body() -> None:
    app = make_app(MAX_CONTENT_LENGTH=1024)
    async with serve_app(app) as base:
        head = request_head("/data", {"Content-Length": str(50 * 1024 * 1024)})
        answer = await exchange(base, head, b"x" * 4096)
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"Request Entity Too Large" in answer


async def test_chunked_body_over_the_limit_is_413() -> None:
    app = make_app(MAX_CONTENT_LENGTH=1024)
    chunk = b"800\r\n" + b"x" * 0x800 + b"\r\n"  # one 2 KiB chunk, and no final chunk
    async with serve_app(app) as base:
        head = request_head("/data", {"Transfer-Encoding": "chunked"})
        answer = await exchange(base, head, chunk)
    assert answer.startswith(b"HTTP/1.1 413")


async def test_body_within_the_limit_is_read() -> None:
    app = make_app(MAX_CONTENT_LENGTH=1024)
    async with serve_app(app) as base:
        head = request_head("/data", {"Content-Length": "1000"})
        answer = await exchange(base, head, b"y" * 1000)
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"\r\n\r\n1000")


async def test_stalled_body_is_408_after_body_timeout() -> None:
    app = make_app(BODY_TIMEOUT=0.3)
    async with serve_app(app) as base:
        head = request_head("/data", {"Content-Length": "100"})
        answer = await exchange(base, head, b"z" * 10)
    assert answer.startswith(b"HTTP/1.1 408")


async def test_big_form_is_413_over_the_wire() -> None:
    app = make_app(MAX_FORM_MEMORY_SIZE=100)
    async with serve_app(app) as base:
        head = request_head(
            "/form",
            {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "100000"},
        )
        answer = await exchange(base, head, b"a=" + b"b" * 500)
    assert answer.startswith(b"HTTP/1.1 413")
