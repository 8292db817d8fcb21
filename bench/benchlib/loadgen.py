"""HTTP/1.1 load generators: ``wrk`` when installed, else a bounded asyncio client."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from dataclasses import dataclass

HOST = "127.0.0.1"
MAX_REQUESTS_PER_CONNECTION = 10_000_000


@dataclass
class LoadResult:
    """Throughput of one load run."""

    tool: str
    requests: int
    errors: int
    seconds: float

    @property
    def rps(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.errors) / self.seconds if self.seconds > 0 else 0.0


def wrk_binary() -> str | None:
    """Path of ``wrk`` if it is on PATH."""
    return shutil.which("wrk")


def run_wrk(port: int, path: str, connections: int, seconds: float) -> LoadResult:
    """Run ``wrk`` with one thread (the server gets the other core)."""
    wrk = wrk_binary()
    if wrk is None:
        raise RuntimeError("wrk is not installed")
    duration = max(1, round(seconds))
    command = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        f"http://{HOST}:{port}{path}",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 30, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse_wrk(done.stdout)


def parse_wrk(output: str) -> LoadResult:
    """Read request count, duration and errors from wrk's summary."""
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", output)
    if total is None:
        raise RuntimeError(f"cannot parse wrk output:\n{output}")
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[total.group(3)]
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return LoadResult("wrk", int(total.group(1)), errors, float(total.group(2)) * scale)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return ``(status, server_will_close)``."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers.get("connection") == "close"


async def _connection_loop(port: int, request: bytes, deadline: float) -> tuple[int, int]:
    """Keep-alive request loop of one connection until ``deadline``; (requests, errors)."""
    loop = asyncio.get_running_loop()
    requests = errors = 0
    while loop.time() < deadline and requests < MAX_REQUESTS_PER_CONNECTION:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while loop.time() < deadline and requests < MAX_REQUESTS_PER_CONNECTION:
                writer.write(request)
                status, closing = await read_response(reader)
                requests += 1
                errors += not 200 <= status < 300
                if closing:
                    break
        finally:
            writer.close()
    return requests, errors


async def _python_load(port: int, path: str, connections: int, seconds: float) -> LoadResult:
    """Run ``connections`` keep-alive loops concurrently for ``seconds``."""
    loop = asyncio.get_running_loop()
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()
    start = time.perf_counter()
    deadline = loop.time() + seconds
    loops = [_connection_loop(port, request, deadline) for _ in range(connections)]
    outcomes = await asyncio.wait_for(asyncio.gather(*loops, return_exceptions=True), seconds + 15)
    elapsed = time.perf_counter() - start
    requests = errors = 0
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            errors += 1
        else:
            requests += outcome[0]
            errors += outcome[1]
    return LoadResult("python", requests, errors, elapsed)


def run_python(port: int, path: str, connections: int, seconds: float) -> LoadResult:
    """The fallback generator (much slower than wrk: compare ratios, not absolutes)."""
    return asyncio.run(_python_load(port, path, connections, seconds))


def run_load(tool: str, port: int, path: str, connections: int, seconds: float) -> LoadResult:
    """Dispatch to ``wrk`` or the Python client."""
    if tool == "wrk":
        return run_wrk(port, path, connections, seconds)
    return run_python(port, path, connections, seconds)
