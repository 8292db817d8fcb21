"""Body limits over a real socket (hypercorn on 127.0.0.1): the client never sends the
whole body, and the 413 / 408 still arrives promptly."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

from erlen import Erlen, request
from erlen.plugins.testing.server import serve_app

# Far longer than any wait below: an answer that arrives proves the server did not wait
# for the body the client never sends.
SERVER_BODY_TIMEOUT = 60
MIB = 1024 * 1024


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


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "B") -> bytes:
    """A multipart/form-data body of ``(name, filename or None, data)`` parts."""
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


async def test_form_fields_together_are_bounded() -> None:
    """MAX_FORM_TOTAL_MEMORY_SIZE bounds the non-file fields of a form together (each is
    within MAX_FORM_MEMORY_SIZE): 413 before the rest of the body is sent; a form within
    it is parsed."""
    app = make_app(MAX_FORM_MEMORY_SIZE=1000, MAX_FORM_TOTAL_MEMORY_SIZE=3000)
    fields = [(f"f{i}", None, b"x" * 900) for i in range(4)]
    head = request_head(
        "/form",
        {"Content-Type": "multipart/form-data; boundary=B", "Content-Length": "100000"},
    )
    async with serve_app(app) as base:
        refused = await exchange(base, head, multipart(fields)[:-8])
        body = multipart(fields[:3])
        length = {"Content-Type": "multipart/form-data; boundary=B"}
        taken = await exchange(
            base, request_head("/form", {**length, "Content-Length": str(len(body))}), body
        )
    assert refused.startswith(b"HTTP/1.1 413")
    assert taken.startswith(b"HTTP/1.1 200") and taken.endswith(b"\r\n\r\n3")


async def test_one_field_may_take_a_raised_per_field_limit() -> None:
    """An app that raised only MAX_FORM_MEMORY_SIZE (as a Flask app would) still takes
    one field of that size: the total is never below one field's limit."""
    app = make_app(MAX_FORM_MEMORY_SIZE=4_000_000)
    body = multipart([("big", None, b"x" * 3_000_000)])
    head = request_head(
        "/form",
        {"Content-Type": "multipart/form-data; boundary=B", "Content-Length": str(len(body))},
    )
    async with serve_app(app) as base:
        answer = await exchange(base, head, body)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\n1")


FILES_APP = """
from erlen import Erlen, request

app = Erlen(__name__)
app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024

@app.post("/files")
async def files():
    uploaded = await request.files
    return str(sum(len(f.read()) for f in uploaded.values()))
"""


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_file_parts_share_a_bounded_memory(tmp_path: Path, start_kernel: Any) -> None:
    """60 file parts of 400 KiB each: their data goes to temporary files past the 500 KiB
    they share, so the server's peak memory grows by far less than the upload (each
    part up to 500 KiB stayed in memory before: +24 MiB)."""
    (tmp_path / "filesapp.py").write_text(FILES_APP)
    kernel = start_kernel(["--app", "filesapp", "run", "--port", "0"], tmp_path)
    host, port = kernel.url().removeprefix("http://").split(":")
    body = multipart([(f"f{i}", f"f{i}.bin", bytes([i]) * 400 * 1024) for i in range(60)])
    head = request_head(
        "/files",
        {"Content-Type": "multipart/form-data; boundary=B", "Content-Length": str(len(body))},
    )
    before = _peak_rss(kernel.proc.pid)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + body)
        answer = b""
        while not answer.endswith(str(60 * 400 * 1024).encode()):
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
    growth = _peak_rss(kernel.proc.pid) - before
    assert answer.startswith(b"HTTP/1.1 200")
    assert growth < 10 * MIB, f"peak RSS grew by {growth / MIB:.1f} MiB"
    assert kernel.stop() == 0


def padded_part(name: str, filename: str | None, padding: str) -> bytes:
    """One multipart part whose Content-Disposition line is followed by ``padding``."""
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--B\r\nContent-Disposition: {disposition}{padding}\r\n\r\n".encode() + b"1\r\n"


async def post_form(base_url: str, body: bytes) -> bytes:
    """POST ``body`` as a multipart form with boundary ``B``; the answer."""
    headers = {"Content-Type": "multipart/form-data; boundary=B", "Content-Length": str(len(body))}
    return await exchange(base_url, request_head("/form", headers), body)


async def test_part_headers_are_bounded() -> None:
    """MAX_FORM_PART_HEADERS_SIZE bounds the header blocks of a form's parts together,
    counted before they are parsed: under the default of 250,000 bytes, 700 parts of 100
    four-byte header lines (a parsed header costs about 17 times such a line: a 16 MB form
    of them grew the server by 270 MB) and 10 parts of 30 KB of ``; a=1`` parameters (a
    15 MB form of them took about 70 times the CPU of a 15 MB file) are 413, though within
    MAX_FORM_PARTS and every size limit. An ordinary form is parsed; a lowered limit
    counts file and field parts alike."""
    lines = b"".join(
        padded_part(f"f{i}", "x" if i % 2 else None, "\r\na:" * 99) for i in range(700)
    )
    params = b"".join(padded_part(f"f{i}", None, "; a=1" * 6000) for i in range(10))
    plain = multipart([(f"f{i}", None, b"v") for i in range(300)])
    async with serve_app(make_app()) as base:
        refused = [await post_form(base, body + b"--B--\r\n") for body in (lines, params)]
        taken = await post_form(base, plain)
    assert [answer[:13] for answer in refused] == [b"HTTP/1.1 413 "] * 2
    assert taken.startswith(b"HTTP/1.1 200") and taken.endswith(b"\r\n\r\n300")
    # Each block: 'Content-Disposition: form-data; name="fN"' and, for a file, '; filename="x"'.
    files = b"".join(padded_part(f"f{i}", "x", "") for i in range(4))  # 4 x 55 bytes
    fields = b"".join(padded_part(f"f{i}", None, "") for i in range(5))  # 5 x 41 bytes
    async with serve_app(make_app(MAX_FORM_PART_HEADERS_SIZE=220)) as base:
        within = await post_form(base, files + b"--B--\r\n")
        over = await post_form(base, fields + padded_part("g", None, "") + b"--B--\r\n")
    assert within.startswith(b"HTTP/1.1 200")
    assert over.startswith(b"HTTP/1.1 413")


async def test_chunked_urlencoded_form_is_413_once_past_the_form_limit() -> None:
    """An urlencoded body without a declared length is refused as soon as more than
    MAX_FORM_MEMORY_SIZE has arrived: the client never sends the rest, and the 413 still
    comes. It used to be read up to MAX_CONTENT_LENGTH first (20 such 15 MB bodies at
    once: +266 MB of peak memory, for a form limit of 500 kB); a chunked body within the
    limit is parsed."""
    app = make_app(MAX_FORM_MEMORY_SIZE=1000)
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    head = request_head("/form", {**form_type, "Transfer-Encoding": "chunked"})
    async with serve_app(app) as base:
        refused = await exchange(base, head, b"800\r\na=" + b"b" * 0x7FE + b"\r\n")
        taken = await exchange(base, head, b"7\r\na=1&b=2\r\n0\r\n\r\n")
    assert refused.startswith(b"HTTP/1.1 413")
    assert taken.startswith(b"HTTP/1.1 200") and taken.endswith(b"\r\n\r\n2")
