"""Peak server memory on a websocket compression bomb, under ``kernel run``.

Usage::

    python bench/bomb.py                      # 256 MiB bomb, 1 MiB message limit
    python bench/bomb.py --inflated-mib 1024

``kernel run`` serves an echo websocket app with ``WEBSOCKET_COMPRESSION = True`` and
``WEBSOCKET_MAX_MESSAGE_SIZE = 1 MiB`` in a subprocess; one client negotiates
permessage-deflate and sends a single frame of zeros deflated (~1,030:1). Reported: the
frame's size on the wire, the close code, whether the server closed the connection, and
the growth of the server's peak RSS (``VmHWM``) across the attack. 127.0.0.1 only; every
wait is bounded and the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

MIB = 1024 * 1024
TIMEOUT = 30.0
APP = """
from erlen import Erlen, websocket

app = Erlen(__name__)
app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = 1024 * 1024
app.config["WEBSOCKET_COMPRESSION"] = True

@app.websocket("/ws")
async def ws():
    await websocket.accept()
    while True:
        await websocket.send(await websocket.receive())
"""


def peak_rss_kb(pid: int) -> int:
    """``VmHWM`` of ``pid`` in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def bomb_payload(inflated: int) -> bytes:
    """``inflated`` zero bytes, raw-deflated, without the 00 00 ff ff tail (RFC 7692)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [compressor.compress(bytes(MIB)) for _ in range(inflated // MIB)]
    parts.append(compressor.flush(zlib.Z_SYNC_FLUSH))
    return b"".join(parts)[:-4]


def masked_frame(payload: bytes) -> bytes:
    """A final text frame with RSV1 (compressed), masked as a client must."""
    mask = os.urandom(4)
    length = len(payload)
    head = struct.pack("!BBQ", 0xC1, 0x80 | 127, length)
    repeated = (mask * (length // 4 + 1))[:length]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        length, "big"
    )
    return head + mask + body


def attack(port: int, payload: bytes) -> tuple[int | None, bool]:
    """Send the bomb; the close code the server sent and whether it closed the socket."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
            ).encode()
        )
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(4096)
        head, _, received = received.partition(b"\r\n\r\n")
        if b"permessage-deflate" not in head.lower():
            raise SystemExit("the server did not negotiate compression")
        try:
            sock.sendall(masked_frame(payload))
        except (BrokenPipeError, ConnectionResetError):
            pass
        closed = False
        while True:
            try:
                data = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not data:
                closed = True
                break
            received += data
        code = None
        if len(received) >= 4 and received[0] & 0x0F == 0x8:
            code = struct.unpack("!H", received[2:4])[0]
        return code, closed
    finally:
        sock.close()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inflated-mib", type=int, default=256)
    args = parser.parse_args(argv)
    payload = bomb_payload(args.inflated_mib * MIB)
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "bombapp.py").write_text(APP)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [sys.executable, "-m", "erlen", "--app", "bombapp", "run", "--port", str(port)],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + TIMEOUT
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.1)
            before = peak_rss_kb(server.pid)
            code, closed = attack(port, payload)
            growth = peak_rss_kb(server.pid) - before
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(f"bomb: {len(payload):,} bytes on the wire inflating to {args.inflated_mib} MiB")
    print(f"close code: {code}; connection closed by the server: {closed}")
    print(f"server peak RSS growth: {growth / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
