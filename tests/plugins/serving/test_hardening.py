"""Hostile clients against the server Erlen ships (issue 16), over real sockets on
127.0.0.1: each test measures what a defect would cost (peak memory, descriptors, bytes
on the wire, a handler left running), with bounded waits and no timed assertions.

The server is hypercorn as the serving plugin configures it: ``kernel run`` in a
subprocess where the server's own memory is measured, else the testing plugin's
``serve_app`` (it applies the same ``erlen_server_settings``).
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from erlen import Erlen, request, websocket
from erlen.exceptions import ConnectionClosed
from erlen.plugins.testing.server import serve_app

TIMEOUT = 10.0
MIB = 1024 * 1024


# --- a raw websocket client: every byte on the wire is the test's -------------------------


def handshake_request(
    port: int, path: str = "/ws", deflate: bool = True, offer: str = "permessage-deflate"
) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if deflate:
        lines.append(f"Sec-WebSocket-Extensions: {offer}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def frame(opcode: int, payload: bytes, *, rsv1: bool = False, fin: bool = True) -> bytes:
    """A masked client frame."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", first, 0x80 | length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, length)
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload[:64])) if length <= 64 else None
    if masked is None:  # fast masking for large payloads
        repeated = (mask * (length // 4 + 1))[:length]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
            length, "big"
        )
    return head + mask + masked


def deflate_bomb(inflated_size: int) -> bytes:
    """A permessage-deflate payload (RFC 7692) that inflates to ``inflated_size`` zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(MIB)
    parts = [compressor.compress(chunk) for _ in range(inflated_size // MIB)]
    parts.append(compressor.flush(zlib.Z_SYNC_FLUSH))
    return b"".join(parts)[:-4]  # without the 00 00 ff ff the extension strips


class RawClient:
    """A blocking websocket client on a plain socket, with a timeout on every read."""

    def __init__(self, port: int, deflate: bool = True, offer: str = "permessage-deflate") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.sendall(handshake_request(port, deflate=deflate, offer=offer))
        self.buffer = b""
        head = self._read_until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        self.headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:])
        }

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"closed before {marker!r}: {self.buffer!r}")
            self.buffer += data
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _read_exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed inside a frame")
            self.buffer += data
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_frame(self) -> tuple[int, bytes]:
        first, second = self._read_exactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read_exactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read_exactly(8))
        return first & 0x0F, self._read_exactly(length)

    def read_close_code(self) -> int:
        """Skip data frames up to the close frame; its code."""
        for _ in range(100):
            opcode, payload = self.read_frame()
            if opcode == 0x8:
                return int(struct.unpack("!H", payload[:2])[0]) if payload else 1005
        raise AssertionError("no close frame in 100 frames")

    def closed_by_server(self) -> bool:
        """True when the server closes the TCP connection (EOF) while the client sends
        nothing more (within the socket timeout)."""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


# --- a server in a subprocess, whose memory is measured -----------------------------------

WS_APP = """
import os
from erlen import Erlen, websocket

app = Erlen(__name__)
app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = 1024 * 1024
app.config["WEBSOCKET_COMPRESSION"] = os.environ.get("COMPRESSION") == "1"

@app.websocket("/ws")
async def ws():
    await websocket.accept()
    while True:
        message = await websocket.receive()
        await websocket.send(f"got {len(message)}")
"""


def peak_rss(pid: int) -> int:
    """The process's peak resident set size (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.fixture
def ws_server(tmp_path: Path, start_kernel: Any) -> Any:
    def start(compression: bool) -> tuple[Any, int]:
        (tmp_path / "wsapp.py").write_text(WS_APP)
        env = {"COMPRESSION": "1" if compression else "0"}
        kernel = start_kernel(["--app", "wsapp", "run", "--port", "0"], tmp_path, env)
        port = int(kernel.url().rsplit(":", 1)[1])
        return kernel, port

    return start


def test_compression_is_off_by_default(ws_server: Any) -> None:
    kernel, port = ws_server(compression=False)
    client = RawClient(port)
    try:
        assert client.status == 101
        assert b"sec-websocket-extensions" not in client.headers
        client.sock.sendall(frame(0x1, b"hello"))
        assert client.read_frame() == (0x1, b"got 5")
    finally:
        client.close()
        assert kernel.stop() == 0


def test_a_compression_bomb_is_refused_with_bounded_memory(ws_server: Any) -> None:
    """256 MiB of zeros in a ~250 kB frame, against a 1 MiB message limit: the server
    inflates at most the limit, closes with 1009 and drops the connection, and its peak
    memory barely moves (before the fix: +425 MiB); the next client is served."""
    kernel, port = ws_server(compression=True)
    bomb = deflate_bomb(256 * MIB)
    assert len(bomb) < 300_000
    client = RawClient(port)
    try:
        assert client.status == 101
        assert client.headers[b"sec-websocket-extensions"].startswith(b"permessage-deflate")
        # A small compressed message works: compression is negotiated and used.
        client.sock.sendall(frame(0x1, _deflated(b"hello"), rsv1=True))
        opcode, _payload = client.read_frame()
        assert opcode == 0x1
        before = peak_rss(kernel.proc.pid)
        try:
            client.sock.sendall(frame(0x1, bomb, rsv1=True))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close before the whole frame is sent
        assert client.read_close_code() == 1009
        assert client.closed_by_server()
        growth = peak_rss(kernel.proc.pid) - before
        assert growth < 48 * MIB, f"peak RSS grew by {growth / MIB:.0f} MiB"
    finally:
        client.close()
    other = RawClient(port, deflate=False)
    try:
        other.sock.sendall(frame(0x1, b"still here"))
        assert other.read_frame() == (0x1, b"got 10")
    finally:
        other.close()
    assert kernel.stop() == 0


def rss(pid: int) -> int:
    """The process's resident set size now (VmRSS), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_an_idle_websocket_costs_under_20_kb(ws_server: Any) -> None:
    """500 idle websockets (each proven alive by one echo) grow ``kernel run``'s resident
    memory by under 20 KB each, hypercorn's share included (25 KB before the lean
    connection state; bench/memory.py measures it with 1,000)."""
    kernel, port = ws_server(compression=False)
    clients: list[RawClient] = []
    try:
        for _ in range(20):  # the first connections also load code and fill caches
            clients.append(RawClient(port, deflate=False))
            clients[-1].sock.sendall(frame(0x1, b"warm"))
            assert clients[-1].read_frame() == (0x1, b"got 4")
        before = rss(kernel.proc.pid)
        for index in range(500):
            client = RawClient(port, deflate=False)
            clients.append(client)
            client.sock.sendall(frame(0x1, b"hello %d" % index))
            assert client.read_frame()[0] == 0x1
        per_connection = (rss(kernel.proc.pid) - before) / 500
    finally:
        for client in clients:
            client.close()
    assert per_connection < 20 * 1024, f"{per_connection / 1024:.1f} KB per idle websocket"
    assert kernel.stop() == 0


def _deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return (compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]


# --- in-process servers --------------------------------------------------------------------


def _port(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1])


async def _raw_exchange(port: int, data: bytes) -> bytes:
    """Send ``data``, then read until the server closes the connection (bounded)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        received = b""
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), TIMEOUT)
            if not chunk:
                return received
            received += chunk
    finally:
        writer.close()


def http_app(**config: Any) -> Erlen:
    app = Erlen(__name__)
    app.config.update(config)

    @app.route("/", methods=["GET", "POST"])
    async def index() -> str:
        return f"body {len(await request.get_data())}"

    return app


async def test_content_length_with_chunked_is_refused_and_closed() -> None:
    """Request smuggling (RFC 9112 section 6.1): both framings -> 400, connection closed,
    and the request pipelined behind it is not answered."""
    smuggled = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    async with serve_app(http_app()) as base_url:
        received = await _raw_exchange(_port(base_url), smuggled)
    assert received.startswith(b"HTTP/1.1 400 ")
    assert received.count(b"HTTP/1.1 ") == 1
    assert b"connection: close" in received.lower()


async def test_keep_alive_is_kept_for_ordinary_requests() -> None:
    """The guards cost ordinary clients nothing: two requests on one connection, and no
    ``Connection: close``."""
    two = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
    )
    async with serve_app(http_app()) as base_url:
        received = await _raw_exchange(_port(base_url), two)
    first, _, second = received.partition(b"body 0")
    assert first.startswith(b"HTTP/1.1 200 ")
    assert b"connection: close" not in first.lower()
    assert second.startswith(b"HTTP/1.1 200 ") and second.endswith(b"body 3")


async def test_early_413_announces_the_close() -> None:
    """A body over MAX_CONTENT_LENGTH is refused before it is read; the response says the
    connection closes, so a keep-alive client does not send its next request into it."""
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10
    async with serve_app(http_app(MAX_CONTENT_LENGTH=100)) as base_url:
        received = await _raw_exchange(_port(base_url), head)
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413 ")
    assert b"\r\nconnection: close\r\n" in rest.lower()


async def test_early_408_announces_the_close() -> None:
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10
    async with serve_app(http_app(BODY_TIMEOUT=0.2)) as base_url:
        received = await _raw_exchange(_port(base_url), head)
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 408 ")
    assert b"\r\nconnection: close\r\n" in rest.lower()


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_connections_closed_by_clients_are_released() -> None:
    """Clients that close a keep-alive connection: the server closes its side too, instead
    of holding the descriptor for the keep-alive timeout (60 s here)."""
    count = 40
    async with serve_app(http_app(), keep_alive_timeout=60) as base_url:
        port = _port(base_url)
        baseline = _open_descriptors()
        for _ in range(count):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            assert (await asyncio.wait_for(reader.readuntil(b"body 0"), TIMEOUT)).startswith(
                b"HTTP/1.1 200 "
            )
            writer.close()
            await writer.wait_closed()
        held = _open_descriptors() - baseline
        for _ in range(200):  # bounded: 10 s at most, far below the 60 s timeout
            if held <= 2:
                break
            await asyncio.sleep(0.05)
            held = _open_descriptors() - baseline
        assert held <= 2, f"{held} descriptors still held for {count} closed connections"


def ws_app(max_size: int, ended: asyncio.Event, codes: list[int] | None = None) -> Erlen:
    """A handler that reads until its connection closes; ``codes`` gets the close code
    it saw."""
    app = Erlen(__name__)
    app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = max_size

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.receive()
        except ConnectionClosed as closed:
            if codes is not None:
                codes.append(closed.code)
            raise
        finally:
            ended.set()

    return app


async def test_after_1009_the_connection_and_the_handler_end() -> None:
    """A message over the limit: 1009, then the server closes the connection and the
    handler ends, although the client never answers the close frame."""
    ended = asyncio.Event()
    async with serve_app(ws_app(1024, ended)) as base_url:
        port = _port(base_url)

        def attack() -> tuple[int, bool]:
            client = RawClient(port, deflate=False)
            try:
                client.sock.sendall(frame(0x2, b"x" * 4096))
                return client.read_close_code(), client.closed_by_server()
            finally:
                client.close()

        code, closed = await asyncio.to_thread(attack)
        assert code == 1009
        assert closed
        await asyncio.wait_for(ended.wait(), TIMEOUT)


@pytest.mark.parametrize(
    "offer",
    [
        "permessage-deflate; server_max_window_bits=abc",
        "permessage-deflate; client_max_window_bits=",
    ],
    ids=["server-bits", "client-bits"],
)
async def test_an_unreadable_compression_offer_is_declined(
    offer: str, caplog: pytest.LogCaptureFixture
) -> None:
    """With compression on, a ``permessage-deflate`` offer whose window bits are not a
    number: the websocket is accepted without compression (RFC 7692 section 7) and
    works. Before, wsproto's ``ValueError`` failed the handler's accept, and the
    connection ended unanswered with two tracebacks in the log."""
    app = Erlen(__name__)
    app.config["WEBSOCKET_COMPRESSION"] = True

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    async with serve_app(app) as base_url:
        port = _port(base_url)

        def attack() -> tuple[RawClient, tuple[int, bytes]]:
            client = RawClient(port, offer=offer)
            try:
                client.sock.sendall(frame(0x1, b"still works"))
                return client, client.read_frame()
            finally:
                client.close()

        client, echoed = await asyncio.to_thread(attack)
    assert client.status == 101
    assert b"sec-websocket-extensions" not in client.headers
    assert echoed == (0x1, b"still works")
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []


async def test_the_message_limit_counts_text_in_bytes() -> None:
    """A text message of 4-byte characters, sent in fragments, over the limit in bytes
    but not in characters: 1009 as soon as the limit is passed, while the message is
    still unfinished. Before, hypercorn counted characters and buffered up to four times
    the limit (a 64 MB message for the 16 MiB default) before the app refused it."""
    ended, codes = asyncio.Event(), []
    async with serve_app(ws_app(64 * 1024, ended, codes)) as base_url:
        port = _port(base_url)

        def attack() -> int | None:
            """The close code the client reads; None when the server's close reached it
            as a reset first: the server closes at once, and a close with the rest of the
            message unread resets the connection (a loaded machine, now and then)."""
            client = RawClient(port, deflate=False)
            try:
                fragment = ("\U0001f600" * 4096).encode()  # 16 KiB, 4,096 characters
                client.sock.sendall(frame(0x1, fragment, fin=False))
                for _ in range(7):  # 128 KiB in all: 32,768 characters
                    client.sock.sendall(frame(0x0, fragment, fin=False))
                code = client.read_close_code()
                assert client.closed_by_server()
                return code
            except (BrokenPipeError, ConnectionResetError):
                return None
            finally:
                client.close()

        code = await asyncio.to_thread(attack)
        assert code in (1009, None)
        await asyncio.wait_for(ended.wait(), TIMEOUT)
    assert codes == [1009]  # the server failed the message over the limit in bytes


async def test_a_compressed_frame_without_negotiation_fails_the_connection() -> None:
    """RSV1 set although compression was not negotiated: a protocol error (1002) with a
    close frame, and the connection is closed."""
    ended = asyncio.Event()
    async with serve_app(ws_app(1024, ended)) as base_url:
        port = _port(base_url)

        def attack() -> tuple[int, bool, bytes]:
            client = RawClient(port)
            try:
                offered = client.headers.get(b"sec-websocket-extensions", b"")
                client.sock.sendall(frame(0x1, _deflated(b"hi"), rsv1=True))
                return client.read_close_code(), client.closed_by_server(), offered
            finally:
                client.close()

        code, closed, offered = await asyncio.to_thread(attack)
        assert offered == b""
        assert code == 1002
        assert closed
        await asyncio.wait_for(ended.wait(), TIMEOUT)


# --- HTTP/2 ----------------------------------------------------------------------------------


def _rapid_reset(port: int, streams: int) -> list[Any]:
    """Open ``streams`` HTTP/2 streams (cleartext, prior knowledge), resetting each at once;
    the events the server's answer produces."""
    import h2.config
    import h2.connection
    import h2.events

    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    events: list[Any] = []
    try:
        sock.sendall(conn.data_to_send())
        headers = [(":method", "GET"), (":path", "/"), (":scheme", "http"), (":authority", "x")]
        for i in range(streams):
            stream_id = conn.get_next_available_stream_id()
            conn.send_headers(stream_id, headers, end_stream=True)
            conn.reset_stream(stream_id)
            if i % 100 == 99:
                try:
                    sock.sendall(conn.data_to_send())
                except (BrokenPipeError, ConnectionResetError):
                    break  # the server ended the connection
        while not any(isinstance(e, h2.events.ConnectionTerminated) for e in events):
            data = sock.recv(65536)
            if not data:
                break
            events.extend(conn.receive_data(data))
    finally:
        sock.close()
    return events


async def test_http2_rapid_reset_gets_goaway_and_bounded_work() -> None:
    """3,000 streams opened and reset at once (CVE-2023-44487): the server answers GOAWAY
    ENHANCE_YOUR_CALM and closes the connection, the app ran for a fraction of them, and
    other clients are served (hypercorn ended the connection with a TooManyStreamsError
    traceback after starting the app 1,000 times)."""
    import h2.errors
    import h2.events

    calls = 0
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return "hi"

    async with serve_app(app) as base_url:
        port = _port(base_url)
        events = await asyncio.to_thread(_rapid_reset, port, 3000)
        ended = [e for e in events if isinstance(e, h2.events.ConnectionTerminated)]
        assert ended and ended[0].error_code == h2.errors.ErrorCodes.ENHANCE_YOUR_CALM
        assert calls <= 400, f"the app ran for {calls} of 3000 reset streams"
        received = await _raw_exchange(
            port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert received.startswith(b"HTTP/1.1 200 ") and received.endswith(b"hi")


async def test_cleartext_http2_can_be_turned_off() -> None:
    """HTTP2_CLEARTEXT = False: the prior-knowledge preface gets 505 and a close, and
    ``Upgrade: h2c`` is ignored (answered in HTTP/1.1)."""
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    upgrade = (
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings, close\r\n"
        b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"
    )
    async with serve_app(http_app(HTTP2_CLEARTEXT=False)) as base_url:
        refused = await _raw_exchange(_port(base_url), preface)
        ignored = await _raw_exchange(_port(base_url), upgrade)
    assert refused.startswith(b"HTTP/1.1 505 ")
    assert ignored.startswith(b"HTTP/1.1 200 ") and ignored.endswith(b"body 0")
    async with serve_app(http_app()) as base_url:  # the default: hypercorn's h2c upgrade
        reader, writer = await asyncio.open_connection("127.0.0.1", _port(base_url))
        try:
            writer.write(upgrade)
            status_line = await asyncio.wait_for(reader.readuntil(b"\r\n"), TIMEOUT)
        finally:
            writer.close()
    assert status_line.startswith(b"HTTP/1.1 101 ")


def header_app() -> Erlen:
    app = Erlen(__name__)
    after: list[int] = []

    @app.route("/name")
    async def name() -> Any:
        return "hello", {"X-Name": request.args.get("name", "")}

    @app.route("/stream")
    async def stream() -> Any:
        async def body() -> Any:
            yield "never sent"

        return body(), {"X-Name": "Zoë ✓"}

    @app.after_request
    async def count(response: Any) -> Any:
        after.append(response.status_code)
        response.headers["X-After"] = str(len(after))
        return response

    @app.errorhandler(500)
    async def server_error(error: Any) -> Any:
        return f"app 500: {type(error.original_exception).__name__}", 500

    return app


async def test_a_header_outside_latin1_gets_the_apps_500(caplog: Any) -> None:
    """A response header that is not latin-1 cannot be sent (RFC 9110 section 5.5): the
    app's 500 handler answers (the server's bare 500 did), the error is logged with the
    route, and the connection stays usable. A latin-1 value is sent as latin-1."""
    get = "GET /name?name={} HTTP/1.1\r\nHost: x\r\n\r\n"
    last = "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    pipelined = (get.format("Zo%C3%AB%20%E2%9C%93") + get.format("Zo%C3%AB") + last).encode()
    async with serve_app(header_app()) as base_url:
        received = await _raw_exchange(_port(base_url), pipelined)
    first, second, third = received.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"500 ") and first.endswith(b"app 500: UnicodeEncodeError")
    assert b"x-after: 2" in first.lower()  # after functions ran for the 500 too
    assert second.startswith(b"200 ") and b"x-name: Zo\xeb\r\n" in second
    assert third.startswith(b"500 ") and third.endswith(b"app 500: UnicodeEncodeError")
    assert b"never sent" not in third
    logged = [r for r in caplog.records if r.getMessage().startswith("Exception on request")]
    assert [r.getMessage() for r in logged] == [
        "Exception on request GET /name",
        "Exception on request GET /stream",
    ]
    assert "response header 'X-Name'" in str(logged[0].exc_info[1])


async def test_a_header_with_a_control_character_gets_the_apps_500(caplog: Any) -> None:
    """A header value copied from the request with NUL, vertical tab or form feed (which
    werkzeug lets through: it refuses CR and LF only) cannot be sent: the app's 500
    handler answers it, with the route logged, where h11 refused the response and the
    server answered a bare 500. Spaces around a value are dropped (not part of a field
    value, RFC 9110 section 5.5); a tab inside one is kept."""
    get = "GET /name?name={} HTTP/1.1\r\nHost: x\r\n\r\n"
    requests = [get.format(value) for value in ("a%00b", "a%0Bb", "a%0Cb", "%20padded%09", "a%09b")]
    requests[-1] = requests[-1].replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
    async with serve_app(header_app()) as base_url:
        received = await _raw_exchange(_port(base_url), "".join(requests).encode())
    answers = received.split(b"HTTP/1.1 ")[1:]
    assert len(answers) == 5
    for answer in answers[:3]:
        assert answer.startswith(b"500 ") and answer.endswith(b"app 500: InvalidHeaderError")
    assert answers[3].startswith(b"200 ") and b"x-name: padded\r\n" in answers[3]
    assert answers[4].startswith(b"200 ") and b"x-name: a\tb\r\n" in answers[4]
    logged = [r for r in caplog.records if r.getMessage().startswith("Exception on request")]
    assert [r.getMessage() for r in logged] == ["Exception on request GET /name"] * 3
    assert "control character" in str(logged[0].exc_info[1])
    assert "Error in ASGI Framework" not in caplog.text
